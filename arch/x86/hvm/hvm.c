/*
 * Vendor-neutral HVM core: picks VT-x or SVM at boot, runs a vCPU, and dispatches exits to
 * the common handlers by kind. Anything a guest does that cannot be handled crashes that
 * guest, never the hypervisor.
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/p2m.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/guest_regs_asm.h>
#include <asm/vlapic.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/sched.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

/* The entry code moves guest_regs by these offsets. */
_Static_assert(offsetof(struct guest_regs, rax) == R_RAX &&
               offsetof(struct guest_regs, rdi) == R_RDI &&
               offsetof(struct guest_regs, rbp) == R_RBP &&
               offsetof(struct guest_regs, r8) == R_R8 &&
               offsetof(struct guest_regs, r15) == R_R15, "guest_regs layout vs entry code");

const struct hvm_ops *hvm_ops;
bool hvm_enabled;

void hvm_init(void)
{
    const struct hvm_ops *ops = vmx_probe();

    if (!ops)
        ops = svm_probe();
    if (!ops) {
        printk("HVM: no VT-x with EPT or SVM with NPT on this CPU; guests are disabled\n");
        return;
    }
    hvm_ext_state_cpu_init();
    if (ops->cpu_up()) {
        printk("HVM: %s could not be enabled on CPU 0; guests are disabled\n", ops->name);
        return;
    }
    hvm_ops = ops;
    hvm_enabled = true;
    printk("HVM: %s\n", ops->name);
}

void hvm_cpu_up(void)
{
    if (hvm_enabled)
        hvm_ext_state_cpu_init();
    if (hvm_enabled && hvm_ops->cpu_up())
        printk("HVM: could not enable %s on CPU %u\n", hvm_ops->name, smp_processor_id());
}

static void advance(struct vcpu *v, const struct hvm_exit *e)
{
    v->arch.regs.rip += e->insn_len;
}

/*
 * A fault on a frame with a page behind it is a permission the guest lacks, and code
 * cannot run from a frame without RAM: both crash the guest, as in Xen. Data accesses to
 * a frame with no page reach the LAPIC or nothing (all-ones, writes dropped), as in Xen
 * for PVH. A frame whose page allows the access now was remapped (by another vCPU's
 * populate) since the fault: the access is simply retried.
 */
static bool handle_npf(struct vcpu *v, struct hvm_exit *e)
{
    unsigned long gfn = (unsigned long)(e->npf.gpa >> PAGE_SHIFT);
    enum p2m_type t = p2m_type_of(v->domain, gfn);
    bool backed = p2m_has_page(t);

    if (!e->npf.fetch && vlapic_mmio_claims(v, e->npf.gpa))
        return hvm_mmio(v, e->npf.gpa, e->npf.write);
    if (!e->npf.fetch && !backed)
        return hvm_mmio_unbacked(v, e->npf.gpa, e->npf.write);
    if (backed && p2m_type_allows(t, e->npf.write, e->npf.fetch))
        return true;
    domain_crash(v->domain, "%s %s guest-physical %#lx, %s (rip %#lx)",
                 e->npf.fetch ? "instruction fetch" : e->npf.write ? "write" : "read",
                 e->npf.fetch ? "from" : "to", (unsigned long)e->npf.gpa,
                 backed ? "not permitted" : "which has no RAM", (unsigned long)v->arch.regs.rip);
    return false;
}

/* Xen's hvm_triple_fault(): the domain shuts down for HVM_PARAM_TRIPLE_FAULT_REASON. */
static void triple_fault(struct vcpu *v)
{
    struct domain *d = v->domain;
    unsigned int reason = (unsigned int)d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON];

    printk("d%u vCPU %u: triple fault at rip %#lx -- shutdown reason %u\n", d->domid, v->id,
           (unsigned long)v->arch.regs.rip, reason);
    domain_shutdown(d, reason);
}

/* The exit handlers by kind: each returns false when v must leave the CPU. */
static bool exit_none(struct vcpu *v, struct hvm_exit *e)
{
    (void)v, (void)e;
    return true;
}

static bool exit_cpuid(struct vcpu *v, struct hvm_exit *e)
{
    hvm_cpuid(v);
    advance(v, e);
    return true;
}

static bool exit_hlt(struct vcpu *v, struct hvm_exit *e)
{
    advance(v, e);
    return hvm_hlt(v);
}

static bool exit_io(struct vcpu *v, struct hvm_exit *e)
{
    if (e->io.string) {
        domain_crash(v->domain, "string I/O to port %#x is not emulated", e->io.port);
        return false;
    }
    hvm_io(v, e->io.port, e->io.bytes, e->io.in);
    advance(v, e);
    return true;
}

static bool exit_msr(struct vcpu *v, struct hvm_exit *e)
{
    if (hvm_msr(v, e->kind == HVM_EXIT_MSR_WRITE))
        advance(v, e);
    return !v->domain->is_shutdown;
}

static bool exit_hypercall(struct vcpu *v, struct hvm_exit *e)
{
    advance(v, e);
    hvm_hypercall(v);
    return v->state == VCPU_RUNNING && !v->domain->is_shutdown;
}

static bool exit_triple_fault(struct vcpu *v, struct hvm_exit *e)
{
    (void)e;
    triple_fault(v);
    return false;
}

static unsigned int guest_cpl(struct vcpu *v)
{
    struct hvm_paging p;

    hvm_ops->get_paging(v, &p);
    return p.cpl;
}

/* XSETBV from ring 0 with a value Xen's handle_xsetbv accepts; anything else is #GP. */
static bool exit_xsetbv(struct vcpu *v, struct hvm_exit *e)
{
    if (guest_cpl(v) || hvm_xsetbv(v, (uint32_t)v->arch.regs.rcx,
                                   (v->arch.regs.rdx << 32) | (uint32_t)v->arch.regs.rax))
        hvm_ops->inject_exception(v, 13, true, 0);
    else
        advance(v, e);
    return true;
}

/* WBINVD and INVD: nothing to write back for a guest without passthrough (Xen ignores them). */
static bool exit_cache_flush(struct vcpu *v, struct hvm_exit *e)
{
    advance(v, e);
    return true;
}

/* RDPMC: no vPMU, so #GP as Xen gives. */
static bool exit_rdpmc(struct vcpu *v, struct hvm_exit *e)
{
    (void)e;
    hvm_ops->inject_exception(v, 13, true, 0);
    return true;
}

static bool (*const exit_handlers[])(struct vcpu *v, struct hvm_exit *e) = {
    [HVM_EXIT_NONE] = exit_none,
    [HVM_EXIT_CPUID] = exit_cpuid,
    [HVM_EXIT_HLT] = exit_hlt,
    [HVM_EXIT_IO] = exit_io,
    [HVM_EXIT_MSR_READ] = exit_msr,
    [HVM_EXIT_MSR_WRITE] = exit_msr,
    [HVM_EXIT_HYPERCALL] = exit_hypercall,
    [HVM_EXIT_NPF] = handle_npf,
    [HVM_EXIT_TRIPLE_FAULT] = exit_triple_fault,
    [HVM_EXIT_XSETBV] = exit_xsetbv,
    [HVM_EXIT_CACHE_FLUSH] = exit_cache_flush,
    [HVM_EXIT_RDPMC] = exit_rdpmc,
    /* HVM_EXIT_FAILED and any kind without a handler crash the guest below. */
};

/* Returns false when v must leave the CPU (blocked, crashed, shut down). */
static bool handle_exit(struct vcpu *v, struct hvm_exit *e)
{
    if ((unsigned int)e->kind < ARRAY_SIZE(exit_handlers) && exit_handlers[e->kind])
        return exit_handlers[e->kind](v, e);
    domain_crash(v->domain, "vCPU %u: %s (exit %#lx)", v->id, e->why ? e->why : "unhandled exit",
                 (unsigned long)e->raw);
    return false;
}

bool hvm_next_interrupt(struct vcpu *v, struct hvm_intr *i)
{
    uint8_t callback = v->domain->callback_vector;
    int lapic = vlapic_deliverable(v), upcall = callback && vcpu_events_pending(v) ? callback : -1;

    i->nmi = __atomic_load_n(&v->arch.vlapic.nmi_pending, __ATOMIC_ACQUIRE);
    if (i->nmi) {
        i->from_lapic = false;
        i->vector = 2;
        return true;
    }
    if (lapic < 0 && upcall < 0)
        return false;
    /* The callback vector bypasses IRR/ISR (Linux does not EOI it): it only competes. */
    i->from_lapic = lapic > upcall;
    i->vector = (uint8_t)(i->from_lapic ? lapic : upcall);
    return true;
}

void hvm_interrupt_taken(struct vcpu *v, const struct hvm_intr *i)
{
    if (i->nmi)
        __atomic_store_n(&v->arch.vlapic.nmi_pending, false, __ATOMIC_RELEASE);
    else if (i->from_lapic)
        vlapic_accept(v, i->vector);
}

bool hvm_interrupt_pending(struct vcpu *v)
{
    /* As Xen's hvm_local_events_need_delivery(): interrupts count only with IF set. */
    if (__atomic_load_n(&v->arch.vlapic.nmi_pending, __ATOMIC_ACQUIRE))
        return true;
    return (v->arch.regs.rflags & (1UL << 9)) &&
           (vcpu_events_pending(v) || vlapic_deliverable(v) >= 0);
}

int hvm_vcpu_create(struct vcpu *v)
{
    if (hvm_ext_state_init(v))
        return -XEN_ENOMEM;
    if (hvm_ops->vcpu_init(v)) {
        hvm_ext_state_free(v);
        return -XEN_ENOMEM;
    }
    return 0;
}

void hvm_vcpu_destroy(struct vcpu *v)
{
    if (v->arch.vmcs_or_vmcb)
        hvm_ops->vcpu_destroy(v);
    if (v->arch.ext_state)
        hvm_ext_state_free(v);
}

void hvm_vcpu_reset(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    vlapic_reset(v);
    hvm_ext_state_reset(v);
    hvm_ops->vcpu_set_state(v, s);
}

void hvm_vcpu_reset_lapic(struct vcpu *v)
{
    vlapic_reset(v);
}

void hvm_vcpu_set_state(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    hvm_ext_state_reset(v);             /* a fresh register state starts with fresh FPU state */
    hvm_ops->vcpu_set_state(v, s);
}


void hvm_run_vcpu(struct vcpu *v, s_time_t slice)
{
    struct cpu_info *c = this_cpu();
    s_time_t start = NOW(), slice_end = start + slice;
    struct hvm_exit e;

    /* The slice ends through a softirq like any other reason to leave the guest. */
    timer_set(&c->slice_timer, slice_end);
    update_vcpu_system_time(v);
    hvm_ext_state_load(v);
    while (!c->softirq_pending && !v->domain->is_shutdown) {
        hvm_ops->run(v, &e);
        if (!handle_exit(v, &e))
            break;
    }
    hvm_ext_state_save(v);
    timer_cancel(&c->slice_timer);
    if (hvm_ops->vcpu_leave)
        hvm_ops->vcpu_leave(v);
    v->cpu_time_ns += (uint64_t)(NOW() - start);
}
