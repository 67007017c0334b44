/*
 * XEN_DOMCTL_gethvmcontext, gethvmcontext_partial and sethvmcontext in Xen 4.17's save
 * format (xen/hvm/save.h): a HEADER record, per-vCPU CPU and MTRR records, END. Enough for
 * a toolstack to start vCPU 0 of a PVH domain as libxenguest's vcpu_hvm() does: read the
 * header (and MTRR record 0), load MTRRs per vCPU, then HEADER + CPU(0) + END. A CPU record
 * is checked as VCPUOP_initialise's register set is before it reaches a VMCS or VMCB.
 * kumo models no MTRRs (MTRRcap reads 0): MTRR records are read as "off" and accepted.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/lib.h>
#include <kumo/sched.h>
#include <kumo/time.h>
#include <kumo/xen_ctl_abi.h>
#include <xen/hvm/hvm_vcpu.h>

#define CODE_HEADER HVM_SAVE_CODE(HEADER)
#define CODE_CPU    HVM_SAVE_CODE(CPU)
#define CODE_MTRR   HVM_SAVE_CODE(MTRR)
#define CODE_END    HVM_SAVE_CODE(END)
#define PAT_DEFAULT 0x0007040600070406ULL   /* the power-on PAT (SDM Vol 3A 11.12.4) */

/* Where the records go: a guest buffer of size bytes, or nowhere (just counted). */
struct ctx_out {
    struct vcpu *caller;
    uint64_t buf;
    uint32_t size, cur;
    bool fault;
};

static void put_record(struct ctx_out *o, uint16_t code, uint16_t instance, const void *body,
                       uint32_t len)
{
    struct hvm_save_descriptor desc = { code, instance, len };

    if (o->buf && o->cur + sizeof(desc) + len <= o->size)
        o->fault |= copy_to_guest_virt(o->caller, o->buf + o->cur, &desc, sizeof(desc)) ||
                    (len && copy_to_guest_virt(o->caller, o->buf + o->cur + sizeof(desc),
                                               body, len));
    o->cur += sizeof(desc) + len;
}

static void save_header(struct hvm_save_header *h)
{
    struct cpuid_regs r;

    cpuid(1, &r);
    *h = (struct hvm_save_header){ .magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION,
                                   .cpuid = r.eax, .gtsc_khz = (uint32_t)tsc_khz };
}

/*
 * What kumo holds of a paused vCPU outside its VMCS/VMCB: general registers, RIP, RFLAGS,
 * EFER. Segments, control and debug registers stay 0 (docs/hypercalls.md).
 */
static void save_cpu(const struct vcpu *v, struct hvm_hw_cpu *c)
{
    const struct guest_regs *r = &v->arch.regs;

    memset(c, 0, sizeof(*c));
    c->rax = r->rax, c->rbx = r->rbx, c->rcx = r->rcx, c->rdx = r->rdx;
    c->rbp = r->rbp, c->rsi = r->rsi, c->rdi = r->rdi, c->rsp = r->rsp;
    c->r8 = r->r8, c->r9 = r->r9, c->r10 = r->r10, c->r11 = r->r11;
    c->r12 = r->r12, c->r13 = r->r13, c->r14 = r->r14, c->r15 = r->r15;
    c->rip = r->rip, c->rflags = r->rflags;
    c->msr_efer = v->arch.efer;
}

static void save_mtrr(struct hvm_hw_mtrr *m)
{
    memset(m, 0, sizeof(*m));
    m->msr_pat_cr = PAT_DEFAULT;
}

/* Every record of d (Xen's order: header, per-vCPU CPU records of up vCPUs, MTRRs, end). */
static void save_all(struct domain *d, struct ctx_out *o)
{
    struct hvm_save_header h;
    struct hvm_hw_cpu cpu;
    struct hvm_hw_mtrr mtrr;

    save_header(&h);
    put_record(o, CODE_HEADER, 0, &h, sizeof(h));
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        if (!d->vcpus[i]->is_up)
            continue;                   /* as Xen: a down vCPU has no CPU record */
        save_cpu(d->vcpus[i], &cpu);
        put_record(o, CODE_CPU, (uint16_t)i, &cpu, sizeof(cpu));
    }
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        save_mtrr(&mtrr);
        put_record(o, CODE_MTRR, (uint16_t)i, &mtrr, sizeof(mtrr));
    }
    put_record(o, CODE_END, 0, NULL, 0);
}

/* NULL buffer: the size needed; else -ENOSPC when it is too small (Xen's answers). */
static long gethvmcontext(struct vcpu *caller, struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_hvmcontext *c = &op->u.hvmcontext;
    struct ctx_out o = { caller, 0, 0, 0, false };

    save_all(d, &o);
    if (!c->buffer.p) {
        c->size = o.cur;
        return 0;
    }
    if (c->size < o.cur)
        return -XEN_ENOSPC;
    o = (struct ctx_out){ caller, (uint64_t)(uintptr_t)c->buffer.p, c->size, 0, false };
    save_all(d, &o);
    c->size = o.cur;
    return o.fault ? -XEN_EFAULT : 0;
}

/* One record; HEADER and END have no per-record save in Xen (-EINVAL), a missing one -ENOENT. */
static long gethvmcontext_partial(struct vcpu *caller, struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_hvmcontext_partial *p = &op->u.hvmcontext_partial;
    union { struct hvm_hw_cpu cpu; struct hvm_hw_mtrr mtrr; } rec;
    uint32_t len;

    if (p->type != CODE_CPU && p->type != CODE_MTRR)
        return -XEN_EINVAL;
    if (p->instance >= d->max_vcpus || p->instance >= d->nr_vcpus)
        return -XEN_ENOENT;
    if (p->type == CODE_CPU) {
        if (!d->vcpus[p->instance]->is_up)
            return -XEN_ENOENT;
        save_cpu(d->vcpus[p->instance], &rec.cpu);
        len = sizeof(rec.cpu);
    } else {
        save_mtrr(&rec.mtrr);
        len = sizeof(rec.mtrr);
    }
    if (p->buffer.p) {
        if (p->bufsz < len)
            return -XEN_ENOBUFS;
        if (copy_to_guest_virt(caller, (uint64_t)(uintptr_t)p->buffer.p, &rec, len))
            return -XEN_EFAULT;
    }
    p->bufsz = len;
    return 0;
}

/* The CPU record as a VCPUOP_initialise register set: one door, one set of checks. */
static int cpu_record_state(const struct hvm_hw_cpu *c, struct hvm_vcpu_state *s)
{
    struct vcpu_hvm_context ctx;

    if (c->pad0 || (c->flags & ~XEN_X86_FPU_INITIALISED))
        return -XEN_EINVAL;
    memset(&ctx, 0, sizeof(ctx));
    if ((c->msr_efer & EFER_LMA) && (c->cs_arbytes & 0x200)) {
        struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;

        ctx.mode = VCPU_HVM_MODE_64B;
        r->rax = c->rax, r->rcx = c->rcx, r->rdx = c->rdx, r->rbx = c->rbx;
        r->rsp = c->rsp, r->rbp = c->rbp, r->rsi = c->rsi, r->rdi = c->rdi;
        r->rip = c->rip, r->rflags = c->rflags;
        r->cr0 = c->cr0, r->cr3 = c->cr3, r->cr4 = c->cr4, r->efer = c->msr_efer;
    } else {
        struct vcpu_hvm_x86_32 *r = &ctx.cpu_regs.x86_32;

        if ((c->rip | c->rsp | c->cr3 | c->cs_base | c->ds_base | c->ss_base | c->es_base |
             c->tr_base) >> 32)
            return -XEN_EINVAL;
        ctx.mode = VCPU_HVM_MODE_32B;
        r->eax = (uint32_t)c->rax, r->ecx = (uint32_t)c->rcx, r->edx = (uint32_t)c->rdx;
        r->ebx = (uint32_t)c->rbx, r->esp = (uint32_t)c->rsp, r->ebp = (uint32_t)c->rbp;
        r->esi = (uint32_t)c->rsi, r->edi = (uint32_t)c->rdi, r->eip = (uint32_t)c->rip;
        r->eflags = (uint32_t)c->rflags;
        r->cr0 = (uint32_t)c->cr0, r->cr3 = (uint32_t)c->cr3, r->cr4 = (uint32_t)c->cr4;
        r->efer = c->msr_efer;
        r->cs_base = (uint32_t)c->cs_base, r->ds_base = (uint32_t)c->ds_base;
        r->ss_base = (uint32_t)c->ss_base, r->es_base = (uint32_t)c->es_base;
        r->tr_base = (uint32_t)c->tr_base;
        r->cs_limit = c->cs_limit, r->ds_limit = c->ds_limit, r->ss_limit = c->ss_limit;
        r->es_limit = c->es_limit, r->tr_limit = c->tr_limit;
        r->cs_ar = (uint16_t)c->cs_arbytes, r->ds_ar = (uint16_t)c->ds_arbytes;
        r->ss_ar = (uint16_t)c->ss_arbytes, r->es_ar = (uint16_t)c->es_arbytes;
        r->tr_ar = (uint16_t)c->tr_arbytes;
        if ((c->cs_arbytes | c->ds_arbytes | c->ss_arbytes | c->es_arbytes |
             c->tr_arbytes) >> 16)
            return -XEN_EINVAL;
    }
    return hvm_state_from_context(s, &ctx) ? -XEN_EINVAL : 0;
}

/* Reads the record body at *at of exactly len bytes into buf (max bytes). */
static int read_body(struct vcpu *caller, uint64_t *at, uint64_t end, uint32_t len,
                     void *buf, size_t max)
{
    if (len != max || end - *at < len)
        return -XEN_EINVAL;
    if (copy_from_guest_virt(caller, buf, *at, len))
        return -XEN_EFAULT;
    *at += len;
    return 0;
}

/*
 * Xen's hvm_load(): the header must match, every vCPU goes down, the CPU records bring
 * theirs up (held by the controller's pause until the domain is unpaused); the stream must
 * end with END. Checked records are loaded as they come, as Xen does.
 */
static long load_records(struct vcpu *caller, struct domain *d, uint64_t at, uint64_t end)
{
    struct hvm_save_descriptor desc;
    union { struct hvm_save_header h; struct hvm_hw_cpu cpu; struct hvm_hw_mtrr mtrr; } r;
    struct hvm_vcpu_state s;
    int rc;

    if (end - at < sizeof(desc) + sizeof(r.h))
        return -XEN_EINVAL;
    if (copy_from_guest_virt(caller, &desc, at, sizeof(desc)))
        return -XEN_EFAULT;
    at += sizeof(desc);
    if (desc.typecode != CODE_HEADER)
        return -XEN_EINVAL;
    rc = read_body(caller, &at, end, desc.length, &r.h, sizeof(r.h));
    if (rc)
        return rc;
    if (r.h.magic != HVM_FILE_MAGIC || r.h.version != HVM_FILE_VERSION)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_down(d->vcpus[i]);
    for (;;) {
        if (end - at < sizeof(desc))
            return -XEN_EINVAL;                 /* no END record */
        if (copy_from_guest_virt(caller, &desc, at, sizeof(desc)))
            return -XEN_EFAULT;
        at += sizeof(desc);
        if (desc.typecode == CODE_END)
            return 0;
        if (desc.typecode != CODE_CPU && desc.typecode != CODE_MTRR)
            return -XEN_EINVAL;                 /* a record kumo has no state for */
        if (desc.instance >= d->nr_vcpus)
            return -XEN_EINVAL;
        if (desc.typecode == CODE_MTRR) {
            rc = read_body(caller, &at, end, desc.length, &r.mtrr, sizeof(r.mtrr));
            if (rc)
                return rc;
            continue;
        }
        rc = read_body(caller, &at, end, desc.length, &r.cpu, sizeof(r.cpu));
        if (rc || (rc = cpu_record_state(&r.cpu, &s)))
            return rc;
        rc = vcpu_start(d->vcpus[desc.instance], &s);
        if (rc)
            return rc;
    }
}

static long sethvmcontext(struct vcpu *caller, struct domain *d, struct xen_domctl *op)
{
    const struct xen_domctl_hvmcontext *c = &op->u.hvmcontext;
    uint64_t at = (uint64_t)(uintptr_t)c->buffer.p;
    long rc;

    if (d->is_shutdown || d->is_dying)
        return -XEN_EINVAL;
    if (at + c->size < at)
        return -XEN_EFAULT;
    rc = domain_ctl_pause(d);
    if (rc)
        return rc;
    rc = load_records(caller, d, at, at + c->size);
    domain_ctl_unpause(d);
    return rc;
}

long domctl_hvm_context(struct vcpu *v, struct domain *d, struct xen_domctl *op)
{
    long rc;

    /* Xen's rule: never on the caller's own domain, which could not be paused for it. */
    if (d == v->domain)
        return -XEN_EINVAL;
    if (op->cmd == XEN_DOMCTL_sethvmcontext)
        return sethvmcontext(v, d, op);
    rc = domain_ctl_pause(d);
    if (rc)
        return rc;
    if (op->cmd == XEN_DOMCTL_gethvmcontext)
        rc = gethvmcontext(v, d, op);
    else
        rc = gethvmcontext_partial(v, d, op);
    domain_ctl_unpause(d);
    return rc;
}
