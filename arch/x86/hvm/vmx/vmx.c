/*
 * Intel VT-x with EPT, VPID and unrestricted guest (SDM Vol 3C chapters 23-29): entering the
 * guest and decoding its exits into the vendor-neutral struct hvm_exit; vmcs.c sets the VMCS
 * up. CR0.PG is intercepted so the long-mode switch (EFER.LMA and the IA-32e entry control)
 * happens here; KERNEL_GS_BASE and the syscall MSRs, which the VMCS does not hold, are
 * switched around every entry; the guest's TPR is its virtual-APIC page's (TPR shadow).
 */
#include <asm/irq.h>
#include <asm/p2m.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/hvm_exits.h>
#include <kumo/xen_abi.h>
#include "vmx.h"

#define MSR_PAT             0x277
#define PIN_PREEMPT_TIMER   (1u << 6)
#define GUEST_STINT_MAX     MILLISECS(10)
#define VAPIC_TPR           0x80

/* Basic exit reasons (SDM Vol 3D appendix C). */
enum {
    EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTR = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
    EXIT_SIPI = 4, EXIT_INTR_WINDOW = 7, EXIT_CPUID = 10, EXIT_HLT = 12, EXIT_INVD = 13, EXIT_VMCALL = 18,
    EXIT_VMX_FIRST = 19, EXIT_VMX_LAST = 27, EXIT_CR_ACCESS = 28, EXIT_IO = 30,
    EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_INVALID_STATE = 33, EXIT_MSR_LOAD = 34,
    EXIT_MWAIT = 36, EXIT_MONITOR = 39, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49,
    EXIT_PREEMPT_TIMER = 52, EXIT_XSETBV = 55, EXIT_RDPMC = 15, EXIT_MCE_DURING_ENTRY = 41,
    EXIT_WBINVD = 54, EXIT_TPR_BELOW_THRESHOLD = 43,
};

int vmx_enter(struct guest_regs *regs, int launched);

static void inject(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error)
{
    (void)v;
    /* Type 3 = hardware exception, bit 11 = deliver error code, bit 31 = valid. */
    vmwrite(VM_ENTRY_INTR_INFO, vector | 3u << 8 | (has_error ? 1u << 11 : 0) | 1u << 31);
    vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
}

static void set_cr0(struct vcpu *v, uint64_t val)
{
    bool was_paging = to_vmx(v)->cr0_shadow & X86_CR0_PG, paging = val & X86_CR0_PG;
    uint32_t entry = (uint32_t)vmread(VM_ENTRY_CONTROLS);

    if (paging && !was_paging && (v->arch.efer & EFER_LME)) {
        v->arch.efer |= EFER_LMA;
        entry |= ENTRY_IA32E;
    } else if (!paging && was_paging) {
        v->arch.efer &= ~EFER_LMA;
        entry &= ~ENTRY_IA32E;
    }
    to_vmx(v)->cr0_shadow = val;
    vmwrite(VM_ENTRY_CONTROLS, entry);
    vmwrite(GUEST_IA32_EFER, v->arch.efer);
    vmwrite(CR0_READ_SHADOW, val);
    vmwrite(GUEST_CR0, (val | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW));
    if (paging && !was_paging)
        vmx_load_pdptes(v, val, vmread(GUEST_CR4));
}

static uint64_t *gpr(struct vcpu *v, unsigned int n)
{
    struct guest_regs *g = &v->arch.regs;
    uint64_t *by_number[16] = { &g->rax, &g->rcx, &g->rdx, &g->rbx, &g->rsp, &g->rbp,
                                &g->rsi, &g->rdi, &g->r8, &g->r9, &g->r10, &g->r11,
                                &g->r12, &g->r13, &g->r14, &g->r15 };

    return by_number[n & 15];
}

/* MOV to CR8 sets the virtual LAPIC's TPR, never the host's (SDM Vol 3A 10.8.6.1). */
static bool cr8_write(struct vcpu *v, uint64_t val)
{
    if (val >> 4)
        return false;
    v->arch.vlapic.tpr = (uint32_t)val << 4;
    return true;
}

static void vmx_get_paging(struct vcpu *v, struct hvm_paging *p);

static bool cr_write(struct vcpu *v, unsigned int cr, uint64_t val)
{
    struct hvm_paging p;

    vmx_get_paging(v, &p);
    if (cr == 0 && hvm_cr0_valid(&p, val)) {
        set_cr0(v, val);
        return true;
    }
    if (cr == 4 && hvm_cr4_valid(&p, val, vmx_caps.guest_cr4_bits)) {
        vmwrite(CR4_READ_SHADOW, val);
        vmwrite(GUEST_CR4, val | vmx_caps.cr4_fixed0);
        vmx_load_pdptes(v, to_vmx(v)->cr0_shadow, val);
        return true;
    }
    return cr == 8 && cr8_write(v, val);
}

/* MOV to/from CR0, CR4 and CR8, LMSW (qualification: SDM Vol 3C table 28-3). */
static bool cr_access(struct vcpu *v, struct hvm_exit *e)
{
    uint64_t q = vmread(EXIT_QUALIFICATION);
    unsigned int cr = q & 15, type = (q >> 4) & 3;
    uint64_t *reg = gpr(v, (unsigned int)(q >> 8));

    /* Outside 64-bit code the operand is 32 bits; the register's upper half is not read. */
    bool wide = (v->arch.efer & EFER_LMA) && (vmread(GUEST_CS_AR) & (1u << 13));

    if (type == 0) {
        if (!cr_write(v, cr, wide ? *reg : (uint32_t)*reg)) {
            inject(v, 13, true, 0);
            e->kind = HVM_EXIT_NONE;
            e->insn_len = 0;
            return true;
        }
    } else if (type == 1 && cr == 8) {
        *reg = (v->arch.vlapic.tpr >> 4) & 0xF;
    } else if (type == 3) {                     /* LMSW: low 4 bits of CR0 */
        set_cr0(v, (to_vmx(v)->cr0_shadow & ~0xEULL) | ((q >> 16) & 0xF) |
                   (to_vmx(v)->cr0_shadow & 1));
    } else {
        return false;
    }
    e->kind = HVM_EXIT_NONE;
    e->insn_len = (unsigned int)vmread(VM_EXIT_INSTRUCTION_LEN);
    v->arch.regs.rip += e->insn_len;
    e->insn_len = 0;
    return true;
}

/*
 * #DB and #AC go back to the guest (their intercept only makes each one an exit); #MC is
 * the host's. A #DB's DR6 bits come in the qualification (SDM Vol 3C 27.2.1); INT1 is
 * re-injected as the privileged software exception it was, with its length.
 */
static void reflect_exception(struct vcpu *v, uint32_t info)
{
    unsigned int vector = info & 0xFF, type = (info >> 8) & 7;
    uint64_t dr6;

    if (vector == 18) {
        __asm__ volatile("int $18");
        return;
    }
    if (vector == 1 && type == 5) {
        vmwrite(VM_ENTRY_INTR_INFO, 1 | 5u << 8 | 1u << 31);
        vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
        return;
    }
    if (vector == 1) {
        __asm__ volatile("mov %%db6, %0" : "=r"(dr6));
        dr6 = (dr6 & ~0x600FULL) | (vmread(EXIT_QUALIFICATION) & 0x600F);
        __asm__ volatile("mov %0, %%db6" :: "r"(dr6));
        /* Delivery clears DR7.GD; injection does not (Xen's vmx_inject_event does it). */
        vmwrite(GUEST_DR7, vmread(GUEST_DR7) & ~(1ULL << 13));
    }
    inject(v, vector, info & (1u << 11), (uint32_t)vmread(VM_EXIT_INTR_ERROR_CODE));
}

/*
 * A guest that shuts down on a fault it could not deliver says little by its RIP alone: the
 * state the CPU failed to deliver through goes to the log with it.
 */
static void log_shutdown_state(struct vcpu *v)
{
    printk("d%u vCPU %u shutdown state: cr0 %#lx cr3 %#lx cr4 %#lx efer %#lx rsp %#lx "
           "idtr %#lx/%#lx tr %#lx@%#lx idt-vectoring %#lx\n", v->domain->domid, v->id,
           (unsigned long)to_vmx(v)->cr0_shadow, (unsigned long)vmread(GUEST_CR3),
           (unsigned long)vmread(CR4_READ_SHADOW), (unsigned long)v->arch.efer,
           (unsigned long)vmread(GUEST_RSP), (unsigned long)vmread(GUEST_IDTR_BASE),
           (unsigned long)vmread(GUEST_IDTR_LIMIT), (unsigned long)vmread(GUEST_TR_SELECTOR),
           (unsigned long)vmread(GUEST_TR_BASE), (unsigned long)vmread(IDT_VECTORING_INFO));
    /* VT-x leaves the guest's CR2 in the register until the vCPU's state is saved. */
    hvm_log_shutdown_context(v, vmread(GUEST_RIP), read_cr2());
}

/* An exception or NMI exit: the host's NMI, a reflected exception, or VMMCALL's #UD. */
static void exception_exit(struct vcpu *v, struct hvm_exit *e)
{
    static const uint8_t vmmcall[3] = { 0x0F, 0x01, 0xD9 };
    uint32_t info = (uint32_t)vmread(VM_EXIT_INTR_INFO);
    uint8_t insn[3];

    if (((info >> 8) & 7) == 2) {               /* an NMI meant for the host */
        __asm__ volatile("int $2");
    } else if ((info & 0xFF) != 6) {
        reflect_exception(v, info);
    } else if (!copy_from_guest_virt(v, insn, vmread(GUEST_CS_BASE) + v->arch.regs.rip, 3) &&
               !memcmp(insn, vmmcall, 3)) {
        /* A guest that picked AMD's VMMCALL still reaches the hypervisor. */
        e->kind = HVM_EXIT_HYPERCALL;
        e->insn_len = 3;
    } else {
        inject(v, 6, false, 0);
    }
}

/* Exits that only need naming: the generic handler does the rest. */
static const struct {
    uint16_t reason;
    uint8_t kind;
} named_exits[] = {
    { EXIT_CPUID, HVM_EXIT_CPUID }, { EXIT_HLT, HVM_EXIT_HLT },
    { EXIT_VMCALL, HVM_EXIT_HYPERCALL }, { EXIT_RDMSR, HVM_EXIT_MSR_READ },
    { EXIT_WRMSR, HVM_EXIT_MSR_WRITE }, { EXIT_INVD, HVM_EXIT_CACHE_FLUSH },
    { EXIT_WBINVD, HVM_EXIT_CACHE_FLUSH }, { EXIT_RDPMC, HVM_EXIT_RDPMC },
    { EXIT_XSETBV, HVM_EXIT_XSETBV },
};

/* An exit with a qualification to read or an action here; false: not one of those. */
static bool decode_exit_detail(struct vcpu *v, struct hvm_exit *e, uint32_t basic)
{
    uint64_t q;

    switch (basic) {
    case EXIT_EXCEPTION_NMI:
        exception_exit(v, e);
        return true;
    case EXIT_INTR_WINDOW:
        vmwrite(CPU_BASED_VM_EXEC_CONTROL,
                vmread(CPU_BASED_VM_EXEC_CONTROL) & ~(uint64_t)PROC_INTR_WINDOW);
        return true;
    case EXIT_TPR_BELOW_THRESHOLD:              /* the next entry injects what it unmasked */
    case EXIT_EXTERNAL_INTR:
    case EXIT_PREEMPT_TIMER:
    case EXIT_INIT:
    case EXIT_SIPI:
        return true;
    case EXIT_TRIPLE_FAULT:
        log_shutdown_state(v);
        e->kind = HVM_EXIT_TRIPLE_FAULT;
        return true;
    case EXIT_CR_ACCESS:
        return cr_access(v, e);
    case EXIT_IO:
        q = vmread(EXIT_QUALIFICATION);
        e->kind = HVM_EXIT_IO;
        e->io.bytes = (uint8_t)((q & 7) + 1);
        e->io.in = q & 8;
        e->io.string = q & 16;
        e->io.port = (uint16_t)(q >> 16);
        return true;
    case EXIT_EPT_VIOLATION:
        q = vmread(EXIT_QUALIFICATION);
        e->kind = HVM_EXIT_NPF;
        e->npf.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
        e->npf.write = q & 2;
        e->npf.fetch = q & 4;                   /* SDM Vol 3C table 28-7 */
        return true;
    case EXIT_MWAIT:
    case EXIT_MONITOR:
        inject(v, 6, false, 0);
        return true;
    }
    if (basic >= EXIT_VMX_FIRST && basic <= EXIT_VMX_LAST) {
        inject(v, 6, false, 0);                 /* no nested virtualization */
        return true;
    }
    return false;
}

static void decode_exit(struct vcpu *v, struct hvm_exit *e)
{
    uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON), basic = reason & 0xFFFF;

    e->raw = reason;
    e->kind = HVM_EXIT_NONE;
    e->insn_len = (unsigned int)vmread(VM_EXIT_INSTRUCTION_LEN);
    if (basic == EXIT_MCE_DURING_ENTRY) {
        __asm__ volatile("int $18");            /* the host's machine check, as Xen */
        return;
    }
    if (reason & (1u << 31)) {
        /* The qualification says which check (SDM Vol 3C 26.8): 2 PDPTEs, 4 the link pointer. */
        printk("d%u vCPU %u: VM entry failed (reason %u, qualification %lu)\n",
               v->domain->domid, v->id, basic, (unsigned long)vmread(EXIT_QUALIFICATION));
        e->kind = HVM_EXIT_FAILED;
        e->why = basic == EXIT_MSR_LOAD ? "VM entry failed: MSR loading" :
                 "VM entry failed: invalid guest state";
        return;
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(named_exits); i++)
        if (named_exits[i].reason == basic) {
            e->kind = named_exits[i].kind;
            return;
        }
    if (decode_exit_detail(v, e, basic))
        return;
    e->kind = HVM_EXIT_FAILED;
    e->why = "unexpected VMX exit";
}

/*
 * An event whose delivery the exit interrupted (a guest #PF when a host interrupt came,
 * say) is in the IDT-vectoring field: deliver it again on the next entry (SDM Vol 3C 27.2.4).
 */
static void reinject_interrupted_event(void)
{
    uint32_t info = (uint32_t)vmread(IDT_VECTORING_INFO);
    unsigned int type = (info >> 8) & 7;

    if (!(info & (1u << 31))) {
        vmwrite(VM_ENTRY_INTR_INFO, 0);
        return;
    }
    vmwrite(VM_ENTRY_INTR_INFO, info & ~(1u << 12));
    if (info & (1u << 11))
        vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
    if (type == 4 || type == 5 || type == 6)      /* software interrupt or exception */
        vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
}

/*
 * Injects what hvm_next_interrupt() offers when the guest can take it (no STI/MOV SS
 * blocking, nothing else being injected; IF set for an interrupt, no NMI blocking for an
 * NMI). An interrupt that must wait asks for an interrupt-window exit; a blocked NMI is
 * offered again at the next entry.
 */
static void inject_pending(struct vcpu *v)
{
    uint32_t proc = (uint32_t)vmread(CPU_BASED_VM_EXEC_CONTROL);
    uint64_t blocking = vmread(GUEST_INTERRUPTIBILITY);
    bool open = !(blocking & 3) && !(vmread(VM_ENTRY_INTR_INFO) & (1u << 31));
    struct hvm_intr i;

    if (!hvm_next_interrupt(v, &i))
        return;
    if (i.nmi) {
        if (open && !(blocking & 8)) {
            vmwrite(VM_ENTRY_INTR_INFO, 2 | 2u << 8 | 1u << 31);      /* type 2: NMI */
            hvm_interrupt_taken(v, &i);
        }
        return;
    }
    if (open && (v->arch.regs.rflags & (1UL << 9))) {
        vmwrite(VM_ENTRY_INTR_INFO, (uint32_t)i.vector | 1u << 31);    /* type 0: external */
        proc &= ~PROC_INTR_WINDOW;
        hvm_interrupt_taken(v, &i);
    } else {
        proc |= PROC_INTR_WINDOW;
    }
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
}

/*
 * With TPR shadow the guest's TPR is its virtual-APIC page's, where MOV to/from CR8 go
 * without an exit: the vLAPIC's copy goes there before each entry and comes back after each
 * exit. The threshold asks for an exit as soon as the guest lowers its TPR below the class
 * of the highest interrupt the TPR holds back, and is never above the TPR's own class (a
 * VM-entry check, SDM Vol 3C 26.2.1.1).
 */
static void tpr_to_guest(struct vcpu *v)
{
    uint32_t tpr_class = (v->arch.vlapic.tpr >> 4) & 0xF;
    int irr = vlapic_highest_irr(v);
    uint32_t irr_class = irr < 0 ? 0 : (uint32_t)irr >> 4;

    if (!(vmx_caps.proc & PROC_TPR_SHADOW))
        return;
    *(volatile uint32_t *)(to_vmx(v)->vapic + VAPIC_TPR) = v->arch.vlapic.tpr & 0xFF;
    vmwrite(TPR_THRESHOLD, irr_class <= tpr_class ? irr_class : 0);
}

static void tpr_from_guest(struct vcpu *v)
{
    if (vmx_caps.proc & PROC_TPR_SHADOW)
        v->arch.vlapic.tpr = *(volatile uint32_t *)(to_vmx(v)->vapic + VAPIC_TPR) & 0xFF;
}

/*
 * The guest leaves by the time this pCPU's next timer is due (10 ms at most) even if no
 * external interrupt gets it out: Bochs takes external-interrupt exits only while the guest
 * has IF set, so a guest spinning with interrupts off would keep the pCPU for good.
 */
static uint32_t preempt_timer_value(void)
{
    s_time_t now = NOW(), until = this_cpu()->timer_programmed;
    uint64_t ticks;

    if (!until || until > now + GUEST_STINT_MAX)
        until = now + GUEST_STINT_MAX;
    if (until <= now)
        return 0;
    ticks = (stime_to_tsc(until) - stime_to_tsc(now)) >> vmx_caps.preempt_timer_shift;
    return ticks > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)ticks;
}

static void vmx_run(struct vcpu *v, struct hvm_exit *e)
{
    unsigned long flags;
    int failed;

    flags = local_irq_save();
    /* A softirq raised since the caller looked must not wait for the guest's next exit. */
    if (this_cpu()->softirq_pending) {
        local_irq_restore(flags);
        e->kind = HVM_EXIT_NONE;
        e->raw = 0;
        e->insn_len = 0;
        return;
    }
    vmcs_load(v, p2m_enter_guest(v));
    vmwrite(GUEST_RSP, v->arch.regs.rsp);
    vmwrite(GUEST_RIP, v->arch.regs.rip);
    vmwrite(GUEST_RFLAGS, v->arch.regs.rflags);
    /* An instruction skipped on the guest's behalf (HLT after STI) ends its STI/MOV-SS blocking. */
    if (v->arch.regs.rip != v->arch.exit_rip)
        vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ULL);
    inject_pending(v);
    tpr_to_guest(v);
    if (vmx_caps.pin & PIN_PREEMPT_TIMER)
        vmwrite(VMX_PREEMPTION_TIMER_VALUE, preempt_timer_value());
    wrmsr(MSR_KERNEL_GS_BASE, to_vmx(v)->msr_kgs);
    wrmsr(0xC0000081, to_vmx(v)->msr_star);
    wrmsr(0xC0000082, to_vmx(v)->msr_lstar);
    wrmsr(0xC0000083, to_vmx(v)->msr_cstar);
    wrmsr(0xC0000084, to_vmx(v)->msr_sfmask);
    failed = vmx_enter(&v->arch.regs, to_vmx(v)->launched);
    p2m_leave_guest(v);
    tpr_from_guest(v);
    /* SWAPGS in the guest changes KERNEL_GS_BASE without an exit. */
    to_vmx(v)->msr_kgs = rdmsr(MSR_KERNEL_GS_BASE);
    local_irq_restore(flags);
    if (failed) {
        e->kind = HVM_EXIT_FAILED;
        e->raw = vmread(VM_INSTRUCTION_ERROR);
        e->why = "VMLAUNCH/VMRESUME failed";
        return;
    }
    to_vmx(v)->launched = true;
    v->arch.last_pcpu = (int)this_cpu()->id;
    v->arch.regs.rsp = vmread(GUEST_RSP);
    v->arch.regs.rip = vmread(GUEST_RIP);
    v->arch.regs.rflags = vmread(GUEST_RFLAGS);
    v->arch.exit_rip = v->arch.regs.rip;
    reinject_interrupted_event();
    decode_exit(v, e);
}

static void vmx_get_paging(struct vcpu *v, struct hvm_paging *p)
{
    uint64_t cs_ar;

    vmptrld(v->arch.vmcs_or_vmcb_pa);
    p->cr0 = to_vmx(v)->cr0_shadow;
    p->cr3 = vmread(GUEST_CR3);
    p->cr4 = vmread(CR4_READ_SHADOW) | (vmread(GUEST_CR4) & ~vmx_caps.cr4_fixed0);
    p->efer = v->arch.efer;
    p->cpl = (vmread(GUEST_SS_AR) >> 5) & 3;
    p->cs_base = vmread(GUEST_CS_BASE);
    /* CS access rights: L is bit 13, D/B bit 14 (SDM Vol 3C 24.4.1). */
    cs_ar = vmread(GUEST_CS_AR);
    p->cs_bits = (p->efer & EFER_LMA) && (cs_ar & (1u << 13)) ? 64 : cs_ar & (1u << 14) ? 32 : 16;
}

static uint64_t *syscall_msr(struct vcpu *v, uint32_t msr)
{
    switch (msr) {
    case MSR_KERNEL_GS_BASE: return &to_vmx(v)->msr_kgs;
    case 0xC0000081: return &to_vmx(v)->msr_star;
    case 0xC0000082: return &to_vmx(v)->msr_lstar;
    case 0xC0000083: return &to_vmx(v)->msr_cstar;
    case 0xC0000084: return &to_vmx(v)->msr_sfmask;
    }
    return NULL;
}

static int vmcs_msr(uint32_t msr)
{
    switch (msr) {
    case MSR_FS_BASE: return GUEST_FS_BASE;
    case MSR_GS_BASE: return GUEST_GS_BASE;
    case MSR_PAT:     return GUEST_IA32_PAT;
    case 0x174:       return GUEST_SYSENTER_CS;
    case 0x175:       return GUEST_SYSENTER_ESP;
    case 0x176:       return GUEST_SYSENTER_EIP;
    }
    return -1;
}

static bool vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    uint64_t *p = syscall_msr(v, msr);
    int f = vmcs_msr(msr);

    if (msr == MSR_EFER)
        *val = v->arch.efer;
    else if (msr == 0x10)
        *val = rdtsc() + v->arch.tsc_offset;
    else if (p)
        *val = *p;
    else if (f >= 0)
        *val = vmread((enum vmcs_field)f);
    else
        return false;
    return true;
}

static bool vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    uint64_t *p = syscall_msr(v, msr);
    int f = vmcs_msr(msr);

    if (msr == MSR_EFER) {
        if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
            return false;
        v->arch.efer = (val & ~EFER_LMA) | (v->arch.efer & EFER_LMA);
        vmwrite(GUEST_IA32_EFER, v->arch.efer);
    } else if (msr == 0x10) {
        v->arch.tsc_offset = val - rdtsc();
        vmwrite(TSC_OFFSET, v->arch.tsc_offset);
    } else if (p) {
        *p = val;
    } else if (f >= 0) {
        vmwrite((enum vmcs_field)f, val);
    } else {
        return false;
    }
    return true;
}

static void vmx_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
    v->arch.tsc_offset = offset;
}

static const uint8_t vmcall_insn[3] = { 0x0F, 0x01, 0xC1 };

static const struct hvm_ops vmx_ops = {
    .name = "VMX with EPT",
    .cpu_up = vmx_cpu_up,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_destroy = vmx_vcpu_destroy,
    .vcpu_set_state = vmx_set_state,
    .run = vmx_run,
    .vcpu_leave = vmx_vcpu_leave,
    .inject_exception = inject,
    .get_paging = vmx_get_paging,
    .msr_read = vmx_msr_read,
    .msr_write = vmx_msr_write,
    .set_tsc_offset = vmx_set_tsc_offset,
    .p2m_entry = vmx_ept_entry,
    .p2m_flush = vmx_p2m_flush,
    .hypercall_insn = vmcall_insn,
};

const struct hvm_ops *vmx_probe(void)
{
    return vmx_caps_probe() ? NULL : &vmx_ops;
}
