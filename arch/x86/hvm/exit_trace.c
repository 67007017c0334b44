/*
 * The last VM exits of every vCPU, in a ring of one page per vCPU, so a guest that dies
 * without a word (asks for its own crash, triple-faults, is crashed by an exit kumo cannot
 * handle) still shows what it did last. Dumped when a domain crashes and by debug key 'x'.
 * Only the pCPU running the vCPU writes its ring; a dump reads it unlocked (a debug aid).
 */
#include <asm/hvm.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/exit_trace.h>
#include <kumo/hvm_exits.h>
#include <kumo/mm.h>
#include <kumo/time.h>

struct exit_record {
    s_time_t when;
    uint64_t rip, rax, rcx, rdx, rsi, rdi;
    uint32_t raw;
    uint8_t kind;
};

#define NR_RECORDS ((PAGE_SIZE - sizeof(unsigned int) * 2) / sizeof(struct exit_record))

struct exit_trace {
    unsigned int next;              /* slot the next exit goes to */
    unsigned int count;             /* exits recorded, saturating at NR_RECORDS */
    struct exit_record r[NR_RECORDS];
};
_Static_assert(sizeof(struct exit_trace) <= PAGE_SIZE, "one page per vCPU");

/* Stack words shown for the vCPU that crashed its own domain. */
#define STACK_WORDS 24

int exit_trace_init(struct vcpu *v)
{
    v->arch.exit_trace = alloc_xenheap_pages(0);
    if (!v->arch.exit_trace)
        return -1;
    memset(v->arch.exit_trace, 0, PAGE_SIZE);
    return 0;
}

void exit_trace_free(struct vcpu *v)
{
    if (v->arch.exit_trace)
        free_xenheap_pages(v->arch.exit_trace, 0);
    v->arch.exit_trace = NULL;
}

void exit_trace_record(struct vcpu *v, const struct hvm_exit *e)
{
    struct exit_trace *t = v->arch.exit_trace;
    const struct guest_regs *g = &v->arch.regs;
    struct exit_record *r;

    if (!t)
        return;
    r = &t->r[t->next];
    *r = (struct exit_record){ NOW(), g->rip, g->rax, g->rcx, g->rdx, g->rsi, g->rdi,
                               (uint32_t)e->raw, (uint8_t)e->kind };
    t->next = (t->next + 1) % NR_RECORDS;
    if (t->count < NR_RECORDS)
        t->count++;
}

static const char *kind_name(unsigned int kind)
{
    static const char *const names[] = {
        [HVM_EXIT_NONE] = "none", [HVM_EXIT_CPUID] = "cpuid", [HVM_EXIT_HLT] = "hlt",
        [HVM_EXIT_IO] = "io", [HVM_EXIT_MSR_READ] = "rdmsr", [HVM_EXIT_MSR_WRITE] = "wrmsr",
        [HVM_EXIT_HYPERCALL] = "hcall", [HVM_EXIT_NPF] = "npf",
        [HVM_EXIT_TRIPLE_FAULT] = "3fault", [HVM_EXIT_FAILED] = "failed",
    };

    return kind < ARRAY_SIZE(names) && names[kind] ? names[kind] : "?";
}

void exit_trace_dump_stack(struct vcpu *v)
{
    uint64_t w[STACK_WORDS];
    uint64_t rsp = v->arch.regs.rsp;

    if (copy_from_guest_virt(v, w, rsp, sizeof(w))) {
        printk("  stack at %#lx: not readable\n", (unsigned long)rsp);
        return;
    }
    printk("  stack at %#lx:\n", (unsigned long)rsp);
    for (unsigned int i = 0; i < STACK_WORDS; i += 4)
        printk("   %016lx %016lx %016lx %016lx\n", (unsigned long)w[i], (unsigned long)w[i + 1],
               (unsigned long)w[i + 2], (unsigned long)w[i + 3]);
}

void exit_trace_dump(struct vcpu *v, unsigned int last)
{
    const struct exit_trace *t = v->arch.exit_trace;
    const struct guest_regs *g = &v->arch.regs;
    unsigned int n;
    s_time_t end;

    if (!t)
        return;
    n = MIN(last, t->count);
    end = t->r[(t->next + NR_RECORDS - 1) % NR_RECORDS].when;
    printk("d%uv%u: rip %#lx rsp %#lx rflags %#lx; last %u exits (us before the last):\n",
           v->domain->domid, v->id, (unsigned long)g->rip, (unsigned long)g->rsp,
           (unsigned long)g->rflags, n);
    for (unsigned int i = 0; i < n; i++) {
        const struct exit_record *r = &t->r[(t->next + NR_RECORDS - n + i) % NR_RECORDS];

        printk("  -%-8ld %-6s %#6x rip %016lx ax %lx cx %lx dx %lx si %lx di %lx\n",
               (long)((end - r->when) / 1000), kind_name(r->kind), r->raw,
               (unsigned long)r->rip, (unsigned long)r->rax, (unsigned long)r->rcx,
               (unsigned long)r->rdx, (unsigned long)r->rsi, (unsigned long)r->rdi);
    }
}

void exit_trace_dump_domain(struct domain *d, unsigned int last)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->initialised)
            exit_trace_dump(d->vcpus[i], last);
}
