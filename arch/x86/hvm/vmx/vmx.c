/*
 * Intel VT-x with EPT, VPID and unrestricted guest (SDM Vol 3C chapters 23-29). One VMCS
 * per vCPU, set up on the pCPU that runs it. Controls are computed from the TRUE_* MSRs as
 * (want | allowed0) & allowed1. CR0.PG is intercepted so the long-mode switch (EFER.LMA and
 * the IA-32e entry control) happens here; KERNEL_GS_BASE and the syscall MSRs, which the
 * VMCS does not hold, are switched around every entry.
 */
#include <asm/desc.h>
#include <asm/hvm.h>
#include <asm/p2m.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/mm.h>
#include <kumo/xen_abi.h>
#include "vmcs.h"

#define MSR_FEATURE_CONTROL 0x3A
#define MSR_VMX_BASIC       0x480
#define MSR_VMX_PINBASED    0x481
#define MSR_VMX_PROCBASED   0x482
#define MSR_VMX_EXIT        0x483
#define MSR_VMX_ENTRY       0x484
#define MSR_VMX_CR0_FIXED0  0x486
#define MSR_VMX_CR0_FIXED1  0x487
#define MSR_VMX_CR4_FIXED0  0x488
#define MSR_VMX_CR4_FIXED1  0x489
#define MSR_VMX_PROCBASED2  0x48B
#define MSR_VMX_EPT_VPID    0x48C
#define MSR_VMX_TRUE_PIN    0x48D
#define MSR_PAT             0x277
#define X86_CR4_VMXE        (1UL << 13)

#define PIN_EXT_INTR        (1u << 0)
#define PIN_NMI             (1u << 3)
#define PIN_VIRTUAL_NMI     (1u << 5)     /* IRET ends an injected NMI's blocking */
#define PIN_PREEMPT_TIMER   (1u << 6)
#define MSR_VMX_MISC        0x485
#define GUEST_STINT_MAX     MILLISECS(10)
#define PROC_INTR_WINDOW    (1u << 2)
#define PROC_TSC_OFFSET     (1u << 3)
#define PROC_HLT            (1u << 7)
#define PROC_MWAIT          (1u << 10)
#define PROC_RDPMC          (1u << 11)
#define PROC_CR8_LOAD       (1u << 19)
#define PROC_CR8_STORE      (1u << 20)
#define PROC_UNCOND_IO      (1u << 24)
#define PROC_MONITOR        (1u << 29)
#define PROC_SECONDARY      (1u << 31)
#define PROC2_EPT           (1u << 1)
#define PROC2_VPID          (1u << 5)
#define PROC2_UNRESTRICTED  (1u << 7)
#define PROC2_WBINVD        (1u << 6)
#define EXIT_SAVE_DEBUG     (1u << 2)
#define ENTRY_LOAD_DEBUG    (1u << 2)
#define X86_CR0_TS          (1UL << 3)
#define EXIT_HOST_64        (1u << 9)
#define EXIT_SAVE_PAT       (1u << 18)
#define EXIT_LOAD_PAT       (1u << 19)
#define EXIT_SAVE_EFER      (1u << 20)
#define EXIT_LOAD_EFER      (1u << 21)
#define ENTRY_IA32E         (1u << 9)
#define ENTRY_LOAD_PAT      (1u << 14)
#define ENTRY_LOAD_EFER     (1u << 15)

/* Basic exit reasons (SDM Vol 3D appendix C). */
enum {
    EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTR = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
    EXIT_SIPI = 4, EXIT_INTR_WINDOW = 7, EXIT_CPUID = 10, EXIT_HLT = 12, EXIT_INVD = 13, EXIT_VMCALL = 18,
    EXIT_VMX_FIRST = 19, EXIT_VMX_LAST = 27, EXIT_CR_ACCESS = 28, EXIT_IO = 30,
    EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_INVALID_STATE = 33, EXIT_MSR_LOAD = 34,
    EXIT_MWAIT = 36, EXIT_MONITOR = 39, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49,
    EXIT_PREEMPT_TIMER = 52, EXIT_XSETBV = 55, EXIT_RDPMC = 15, EXIT_MCE_DURING_ENTRY = 41,
    EXIT_WBINVD = 54,
};

int vmx_enter(struct guest_regs *regs, int launched);
void vmx_exit(void);

static uint32_t vmcs_revision;
static bool true_ctls;
static uint32_t pin_ctl, proc_ctl, proc2_ctl, exit_ctl, entry_ctl;
static uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, guest_cr4_bits;
static bool invvpid_single, invvpid_all;
/* VPIDs in use, so that no two live vCPUs share one (bit 0: VPID 0 is the host's). */
static uint64_t vpid_used[65536 / 64] = { 1 };
static DEFINE_SPINLOCK(vpid_lock);
static unsigned int preempt_timer_shift;     /* it counts TSC >> this (IA32_VMX_MISC) */

static uint32_t adjust(uint32_t msr, uint32_t want)
{
    uint64_t caps = rdmsr(msr);

    return (want | (uint32_t)caps) & (uint32_t)(caps >> 32);
}

static int vmx_cpu_up(void)
{
    struct cpu_info *c = this_cpu();
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);

    /* Bit 0 lock, bit 2 VMXON outside SMX (SDM Vol 3C 23.7). */
    if (!(fc & 1))
        wrmsr(MSR_FEATURE_CONTROL, fc | 5);
    else if (!(fc & 4))
        return -1;
    if (!c->hvm_host_area) {
        c->hvm_host_area = alloc_xenheap_pages(0);
        if (!c->hvm_host_area)
            return -1;
        memset(c->hvm_host_area, 0, PAGE_SIZE);
        *(uint32_t *)c->hvm_host_area = vmcs_revision;
    }
    write_cr0(read_cr0() | X86_CR0_NE);
    write_cr4(read_cr4() | X86_CR4_VMXE);
    return vmxon(__pa(c->hvm_host_area)) ? 0 : -1;
}

static int vmx_vcpu_init(struct vcpu *v)
{
    void *vmcs = alloc_xenheap_pages(0);

    if (!vmcs)
        return -1;
    memset(vmcs, 0, PAGE_SIZE);
    *(uint32_t *)vmcs = vmcs_revision;
    v->arch.vmcs_or_vmcb = vmcs;
    v->arch.vmcs_or_vmcb_pa = __pa(vmcs);
    spin_lock(&vpid_lock);
    for (uint32_t i = 1; i < 65536 && !v->arch.asid_or_vpid; i++)
        if (!(vpid_used[i / 64] & (1ULL << (i % 64)))) {
            vpid_used[i / 64] |= 1ULL << (i % 64);
            v->arch.asid_or_vpid = i;
        }
    spin_unlock(&vpid_lock);
    if (!v->arch.asid_or_vpid) {
        free_xenheap_pages(vmcs, 0);
        v->arch.vmcs_or_vmcb = NULL;
        return -1;
    }
    return 0;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
    /* A VMCS may still be cached by the CPU that ran it: flush it to memory first. */
    vmclear(v->arch.vmcs_or_vmcb_pa);
    free_xenheap_pages(v->arch.vmcs_or_vmcb, 0);
    v->arch.vmcs_or_vmcb = NULL;
    spin_lock(&vpid_lock);
    vpid_used[v->arch.asid_or_vpid / 64] &= ~(1ULL << (v->arch.asid_or_vpid % 64));
    spin_unlock(&vpid_lock);
}

/* The state goes into the VMCS the next time it is loaded (vmcs_load), on whichever pCPU. */
static void vmx_set_state(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    v->arch.vmx_start = *s;
    v->arch.regs = s->regs;
    v->arch.cr0_shadow = s->cr0;
    v->arch.efer = s->efer;
    v->arch.exit_rip = s->regs.rip;
    v->arch.launched = false;
    v->arch.last_pcpu = -1;
}

static void write_host_state(void)
{
    struct cpu_info *c = this_cpu();
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr;

    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_CS_SELECTOR, SEL_CODE64);
    vmwrite(HOST_SS_SELECTOR, SEL_DATA);
    vmwrite(HOST_DS_SELECTOR, SEL_DATA);
    vmwrite(HOST_ES_SELECTOR, SEL_DATA);
    vmwrite(HOST_FS_SELECTOR, 0);
    vmwrite(HOST_GS_SELECTOR, 0);
    vmwrite(HOST_TR_SELECTOR, SEL_TSS);
    vmwrite(HOST_FS_BASE, 0);
    vmwrite(HOST_GS_BASE, (uint64_t)c);
    vmwrite(HOST_TR_BASE, (uint64_t)&c->tss);
    vmwrite(HOST_GDTR_BASE, gdtr.base);
    vmwrite(HOST_IDTR_BASE, (uint64_t)c->idt);
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(MSR_PAT));
    vmwrite(HOST_SYSENTER_CS, 0);
    vmwrite(HOST_SYSENTER_ESP, 0);
    vmwrite(HOST_SYSENTER_EIP, 0);
    vmwrite(HOST_RIP, (uint64_t)vmx_exit);
}

/* SVM-style packed attributes to the VMCS access-rights format (SDM Vol 3C 24.4.1). */
static uint32_t access_rights(const struct hvm_segment *h)
{
    if (!(h->attr & 0x80))
        return 0x10000;                         /* not present: unusable */
    return (h->attr & 0xFF) | (uint32_t)(h->attr & 0xF00) << 4;
}

static void write_guest_segments(const struct hvm_vcpu_state *s)
{
    static const struct {
        enum vmcs_field sel, limit, ar, base;
        size_t offset;
    } segs[] = {
        { GUEST_ES_SELECTOR, GUEST_ES_LIMIT, GUEST_ES_AR, GUEST_ES_BASE,
          offsetof(struct hvm_vcpu_state, es) },
        { GUEST_CS_SELECTOR, GUEST_CS_LIMIT, GUEST_CS_AR, GUEST_CS_BASE,
          offsetof(struct hvm_vcpu_state, cs) },
        { GUEST_SS_SELECTOR, GUEST_SS_LIMIT, GUEST_SS_AR, GUEST_SS_BASE,
          offsetof(struct hvm_vcpu_state, ss) },
        { GUEST_DS_SELECTOR, GUEST_DS_LIMIT, GUEST_DS_AR, GUEST_DS_BASE,
          offsetof(struct hvm_vcpu_state, ds) },
        { GUEST_FS_SELECTOR, GUEST_FS_LIMIT, GUEST_FS_AR, GUEST_FS_BASE,
          offsetof(struct hvm_vcpu_state, fs) },
        { GUEST_GS_SELECTOR, GUEST_GS_LIMIT, GUEST_GS_AR, GUEST_GS_BASE,
          offsetof(struct hvm_vcpu_state, gs) },
        { GUEST_TR_SELECTOR, GUEST_TR_LIMIT, GUEST_TR_AR, GUEST_TR_BASE,
          offsetof(struct hvm_vcpu_state, tr) },
        { GUEST_LDTR_SELECTOR, GUEST_LDTR_LIMIT, GUEST_LDTR_AR, GUEST_LDTR_BASE,
          offsetof(struct hvm_vcpu_state, ldtr) },
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(segs); i++) {
        const struct hvm_segment *h = (const void *)((const char *)s + segs[i].offset);

        vmwrite(segs[i].sel, h->sel);
        vmwrite(segs[i].limit, h->limit);
        vmwrite(segs[i].ar, access_rights(h));
        vmwrite(segs[i].base, h->base);
    }
    vmwrite(GUEST_GDTR_BASE, s->gdtr_base);
    vmwrite(GUEST_GDTR_LIMIT, s->gdtr_limit);
    vmwrite(GUEST_IDTR_BASE, s->idtr_base);
    vmwrite(GUEST_IDTR_LIMIT, s->idtr_limit);
}

/* Reserved bits of a present PAE PDPTE below bit 52 (1-2, 5-8) and the bits from 52 on. */
#define PDPTE_RESERVED 0xFFF00000000001E6ULL

/*
 * With EPT, a VM entry into PAE paging takes the four PDPTEs from the VMCS, not from memory
 * (SDM 26.3.2.4), and the guest's own CR3 loads keep them there. Where kumo emulates the
 * CR0/CR4 write that turns PAE paging on, it loads them from the guest's CR3 as the CPU
 * would, as Xen's vmx_load_pdptrs(); unreadable or reserved-bit entries crash the guest.
 */
static void load_pdptes(struct vcpu *v, uint64_t cr0, uint64_t cr4)
{
    uint64_t pdpte[4];

    if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) || (v->arch.efer & EFER_LME))
        return;
    if (!copy_from_guest_phys(v->domain, pdpte, vmread(GUEST_CR3) & 0xFFFFFFE0ULL,
                              sizeof(pdpte))) {
        domain_crash(v->domain, "PAE page-directory pointers outside its memory");
        return;
    }
    for (unsigned int i = 0; i < 4; i++) {
        if ((pdpte[i] & 1) && (pdpte[i] & PDPTE_RESERVED)) {
            domain_crash(v->domain, "PAE PDPTE %u has reserved bits: %#lx", i,
                         (unsigned long)pdpte[i]);
            return;
        }
        vmwrite(GUEST_PDPTE0 + 2 * i, pdpte[i]);
    }
}

static void write_guest_state(struct vcpu *v)
{
    const struct hvm_vcpu_state *s = &v->arch.vmx_start;

    write_guest_segments(s);
    vmwrite(GUEST_CR0, (s->cr0 | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW));
    vmwrite(CR0_READ_SHADOW, s->cr0);
    vmwrite(CR0_GUEST_HOST_MASK, X86_CR0_PE | X86_CR0_PG | X86_CR0_NE | X86_CR0_CD | X86_CR0_NW);
    vmwrite(GUEST_CR3, s->cr3);
    vmwrite(GUEST_CR4, s->cr4 | cr4_fixed0);
    vmwrite(CR4_READ_SHADOW, s->cr4);
    vmwrite(CR4_GUEST_HOST_MASK, ~0ULL);      /* every write is checked (hvm_cr4_valid) */
    load_pdptes(v, s->cr0, s->cr4);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_IA32_EFER, v->arch.efer);
    vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ULL);
    vmwrite(VM_ENTRY_CONTROLS, s->efer & EFER_LMA ? entry_ctl | ENTRY_IA32E :
                                                    entry_ctl & ~ENTRY_IA32E);
    vmwrite(VM_ENTRY_INTR_INFO, 0);
}

static void write_controls(struct vcpu *v)
{
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin_ctl);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc_ctl);
    vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2_ctl);
    vmwrite(VM_EXIT_CONTROLS, exit_ctl);
    /*
     * #UD: VMMCALL from a guest. #DB and #AC: a guest whose delivery of one raises another
     * would loop inside the CPU without an exit (XSA-156); intercepted, each is an exit.
     * #MC: the host's.
     */
    vmwrite(EXCEPTION_BITMAP, 1u << 1 | 1u << 6 | 1u << 17 | 1u << 18);
    vmwrite(TSC_OFFSET, v->arch.tsc_offset);
    vmwrite(VPID, v->arch.asid_or_vpid);
    /* EPTP: write-back, 4-level walk (SDM Vol 3C 24.6.11). */
    vmwrite(EPT_POINTER, v->domain->p2m_root | 3 << 3 | 6);
}

/* Single-context INVEPT (type 1): this CPU forgets what it cached through d's p2m. */
static void invept_domain(const struct domain *d)
{
    struct { uint64_t eptp, rsvd; } desc = { d->p2m_root | 3 << 3 | 6, 0 };

    __asm__ volatile("invept %0, %1" :: "m"(desc), "r"(1UL) : "cc", "memory");
}

/*
 * A VPID freed by a destroyed vCPU, or a p2m root freed by a destroyed domain, may still
 * tag translations in a pCPU's TLB: a vCPU drops them on each pCPU before it first runs there.
 */
static void flush_stale_tags(struct vcpu *v)
{
    uint64_t cpu = 1ULL << this_cpu()->id;
    struct { uint64_t eptp, rsvd; } ept = { v->domain->p2m_root | 3 << 3 | 6, 0 };
    struct { uint64_t vpid, addr; } vpid = { v->arch.asid_or_vpid, 0 };

    if (v->arch.tlb_clean_cpus & cpu)
        return;
    __asm__ volatile("invept %0, %1" :: "m"(ept), "r"(1UL) : "cc", "memory");
    if (invvpid_single || invvpid_all)
        __asm__ volatile("invvpid %0, %1" :: "m"(vpid), "r"(invvpid_single ? 1UL : 2UL)
                         : "cc", "memory");
    v->arch.tlb_clean_cpus |= cpu;
}

/*
 * Loads v's VMCS on this CPU, writing it from scratch the first time it runs here. Arriving
 * from another CPU it also flushes: this CPU may hold translations another vCPU of the
 * domain cached before a p2m flush whose request that vCPU has not consumed here.
 */
static void vmcs_load(struct vcpu *v, bool flush)
{
    flush_stale_tags(v);
    if (flush || v->arch.last_pcpu != (int)this_cpu()->id)
        invept_domain(v->domain);
    if (v->arch.last_pcpu != (int)this_cpu()->id) {
        vmclear(v->arch.vmcs_or_vmcb_pa);
        vmptrld(v->arch.vmcs_or_vmcb_pa);
        write_controls(v);
        write_host_state();
        if (!v->arch.launched)
            write_guest_state(v);
        v->arch.launched = false;
    } else {
        vmptrld(v->arch.vmcs_or_vmcb_pa);
    }
}

static void inject(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error)
{
    (void)v;
    /* Type 3 = hardware exception, bit 11 = deliver error code, bit 31 = valid. */
    vmwrite(VM_ENTRY_INTR_INFO, vector | 3u << 8 | (has_error ? 1u << 11 : 0) | 1u << 31);
    vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
}

static void set_cr0(struct vcpu *v, uint64_t val)
{
    bool was_paging = v->arch.cr0_shadow & X86_CR0_PG, paging = val & X86_CR0_PG;
    uint32_t entry = (uint32_t)vmread(VM_ENTRY_CONTROLS);

    if (paging && !was_paging && (v->arch.efer & EFER_LME)) {
        v->arch.efer |= EFER_LMA;
        entry |= ENTRY_IA32E;
    } else if (!paging && was_paging) {
        v->arch.efer &= ~EFER_LMA;
        entry &= ~ENTRY_IA32E;
    }
    v->arch.cr0_shadow = val;
    vmwrite(VM_ENTRY_CONTROLS, entry);
    vmwrite(GUEST_IA32_EFER, v->arch.efer);
    vmwrite(CR0_READ_SHADOW, val);
    vmwrite(GUEST_CR0, (val | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW));
    if (paging && !was_paging)
        load_pdptes(v, val, vmread(GUEST_CR4));
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
    if (cr == 4 && hvm_cr4_valid(&p, val, guest_cr4_bits)) {
        vmwrite(CR4_READ_SHADOW, val);
        vmwrite(GUEST_CR4, val | cr4_fixed0);
        load_pdptes(v, v->arch.cr0_shadow, val);
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
        set_cr0(v, (v->arch.cr0_shadow & ~0xEULL) | ((q >> 16) & 0xF) |
                   (v->arch.cr0_shadow & 1));
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

static void decode_exit(struct vcpu *v, struct hvm_exit *e)
{
    static const uint8_t vmmcall[3] = { 0x0F, 0x01, 0xD9 };
    uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON);
    uint64_t q;
    uint8_t insn[3];

    e->raw = reason;
    e->kind = HVM_EXIT_NONE;
    e->insn_len = (unsigned int)vmread(VM_EXIT_INSTRUCTION_LEN);
    if ((reason & 0xFFFF) == EXIT_MCE_DURING_ENTRY) {
        __asm__ volatile("int $18");            /* the host's machine check, as Xen */
        return;
    }
    if (reason & (1u << 31)) {
        e->kind = HVM_EXIT_FAILED;
        e->why = (reason & 0xFFFF) == EXIT_MSR_LOAD ? "VM entry failed: MSR loading" :
                 "VM entry failed: invalid guest state";
        return;
    }
    switch (reason & 0xFFFF) {
    case EXIT_EXCEPTION_NMI:
        q = vmread(VM_EXIT_INTR_INFO);
        if (((q >> 8) & 7) == 2) {              /* an NMI meant for the host */
            __asm__ volatile("int $2");
        } else if ((q & 0xFF) != 6) {
            reflect_exception(v, (uint32_t)q);
        } else {
            /* A guest that picked AMD's VMMCALL still reaches the hypervisor. */
            if (!copy_from_guest_virt(v, insn, vmread(GUEST_CS_BASE) + v->arch.regs.rip, 3) &&
                !memcmp(insn, vmmcall, 3)) {
                e->kind = HVM_EXIT_HYPERCALL;
                e->insn_len = 3;
            } else {
                inject(v, 6, false, 0);
            }
        }
        return;
    case EXIT_INTR_WINDOW:
        vmwrite(CPU_BASED_VM_EXEC_CONTROL,
                vmread(CPU_BASED_VM_EXEC_CONTROL) & ~(uint64_t)PROC_INTR_WINDOW);
        return;
    case EXIT_EXTERNAL_INTR:
    case EXIT_PREEMPT_TIMER:
    case EXIT_INIT:
    case EXIT_SIPI:
        return;
    case EXIT_TRIPLE_FAULT:
        e->kind = HVM_EXIT_TRIPLE_FAULT;
        return;
    case EXIT_CPUID:
        e->kind = HVM_EXIT_CPUID;
        return;
    case EXIT_HLT:
        e->kind = HVM_EXIT_HLT;
        return;
    case EXIT_VMCALL:
        e->kind = HVM_EXIT_HYPERCALL;
        return;
    case EXIT_CR_ACCESS:
        if (cr_access(v, e))
            return;
        break;
    case EXIT_IO:
        q = vmread(EXIT_QUALIFICATION);
        e->kind = HVM_EXIT_IO;
        e->io.bytes = (uint8_t)((q & 7) + 1);
        e->io.in = q & 8;
        e->io.string = q & 16;
        e->io.port = (uint16_t)(q >> 16);
        return;
    case EXIT_RDMSR:
        e->kind = HVM_EXIT_MSR_READ;
        return;
    case EXIT_WRMSR:
        e->kind = HVM_EXIT_MSR_WRITE;
        return;
    case EXIT_EPT_VIOLATION:
        e->kind = HVM_EXIT_NPF;
        e->npf.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
        e->npf.write = vmread(EXIT_QUALIFICATION) & 2;
        e->npf.fetch = vmread(EXIT_QUALIFICATION) & 4;  /* SDM Vol 3C table 28-7 */
        return;
    case EXIT_INVD:
    case EXIT_WBINVD:
        e->kind = HVM_EXIT_CACHE_FLUSH;
        return;
    case EXIT_RDPMC:
        e->kind = HVM_EXIT_RDPMC;
        return;
    case EXIT_XSETBV:
        e->kind = HVM_EXIT_XSETBV;
        return;
    case EXIT_MWAIT:
    case EXIT_MONITOR:
        inject(v, 6, false, 0);
        return;
    }
    if ((reason & 0xFFFF) >= EXIT_VMX_FIRST && (reason & 0xFFFF) <= EXIT_VMX_LAST) {
        inject(v, 6, false, 0);                 /* no nested virtualization */
        return;
    }
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
    ticks = (stime_to_tsc(until) - stime_to_tsc(now)) >> preempt_timer_shift;
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
    if (pin_ctl & PIN_PREEMPT_TIMER)
        vmwrite(VMX_PREEMPTION_TIMER_VALUE, preempt_timer_value());
    wrmsr(MSR_KERNEL_GS_BASE, v->arch.msr_kgs);
    wrmsr(0xC0000081, v->arch.msr_star);
    wrmsr(0xC0000082, v->arch.msr_lstar);
    wrmsr(0xC0000083, v->arch.msr_cstar);
    wrmsr(0xC0000084, v->arch.msr_sfmask);
    failed = vmx_enter(&v->arch.regs, v->arch.launched);
    p2m_leave_guest(v);
    /* SWAPGS in the guest changes KERNEL_GS_BASE without an exit. */
    v->arch.msr_kgs = rdmsr(MSR_KERNEL_GS_BASE);
    local_irq_restore(flags);
    if (failed) {
        e->kind = HVM_EXIT_FAILED;
        e->raw = vmread(VM_INSTRUCTION_ERROR);
        e->why = "VMLAUNCH/VMRESUME failed";
        return;
    }
    v->arch.launched = true;
    v->arch.last_pcpu = (int)this_cpu()->id;
    v->arch.regs.rsp = vmread(GUEST_RSP);
    v->arch.regs.rip = vmread(GUEST_RIP);
    v->arch.regs.rflags = vmread(GUEST_RFLAGS);
    v->arch.exit_rip = v->arch.regs.rip;
    reinject_interrupted_event();
    decode_exit(v, e);
}

/* A VMCS must be cleared on the pCPU where it is active before another may load it. */
static void vmx_vcpu_leave(struct vcpu *v)
{
    vmclear(v->arch.vmcs_or_vmcb_pa);
    v->arch.last_pcpu = -1;
}

static void vmx_get_paging(struct vcpu *v, struct hvm_paging *p)
{
    uint64_t cs_ar;

    vmptrld(v->arch.vmcs_or_vmcb_pa);
    p->cr0 = v->arch.cr0_shadow;
    p->cr3 = vmread(GUEST_CR3);
    p->cr4 = vmread(CR4_READ_SHADOW) | (vmread(GUEST_CR4) & ~cr4_fixed0);
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
    case MSR_KERNEL_GS_BASE: return &v->arch.msr_kgs;
    case 0xC0000081: return &v->arch.msr_star;
    case 0xC0000082: return &v->arch.msr_lstar;
    case 0xC0000083: return &v->arch.msr_cstar;
    case 0xC0000084: return &v->arch.msr_sfmask;
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

/* EPT entries (SDM Vol 3C 28.2.2): RWX in bits 0-2, leaves add WB type and, above 4 KiB, PS. */
static uint64_t ept_entry(paddr_t pa, unsigned int level, bool leaf, unsigned int perms)
{
    uint64_t e = pa;

    if (!leaf)
        return e | 7;
    e |= (perms & P2M_R ? 1 : 0) | (perms & P2M_W ? 2 : 0) | (perms & P2M_X ? 4 : 0);
    e |= 6 << 3;
    if (level > 1)
        e |= 1 << 7;
    return e;
}

static void vmx_p2m_flush(struct domain *d)
{
    struct { uint64_t eptp, rsvd; } desc = { d->p2m_root | 3 << 3 | 6, 0 };

    /* Single-context INVEPT (type 1) on this CPU; other CPUs flush when they next load it. */
    __asm__ volatile("invept %0, %1" :: "m"(desc), "r"(1UL) : "cc", "memory");
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        d->vcpus[i]->arch.tlb_clean_cpus = 1ULL << this_cpu()->id;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->arch.last_pcpu != (int)this_cpu()->id)
            d->vcpus[i]->arch.last_pcpu = -2;  /* forces vmclear+rewrite, launched kept */
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
    .p2m_entry = ept_entry,
    .p2m_flush = vmx_p2m_flush,
    .hypercall_insn = vmcall_insn,
};

const struct hvm_ops *vmx_probe(void)
{
    uint64_t basic, proc2_caps, ept_caps;
    uint32_t base;

    if (!cpu_has(1, 2, 5))
        return NULL;
    basic = rdmsr(MSR_VMX_BASIC);
    vmcs_revision = (uint32_t)basic & 0x7FFFFFFF;
    true_ctls = basic & (1ULL << 55);
    base = true_ctls ? MSR_VMX_TRUE_PIN : MSR_VMX_PINBASED;
    if (!(rdmsr(MSR_VMX_PROCBASED) >> 32 & PROC_SECONDARY))
        return NULL;
    proc2_caps = rdmsr(MSR_VMX_PROCBASED2) >> 32;
    if ((proc2_caps & (PROC2_EPT | PROC2_UNRESTRICTED | PROC2_VPID)) !=
        (PROC2_EPT | PROC2_UNRESTRICTED | PROC2_VPID))
        return NULL;
    ept_caps = rdmsr(MSR_VMX_EPT_VPID);
    /* 4-level walks, write-back tables, 2 MiB pages, INVEPT. */
    if (!(ept_caps & (1 << 6)) || !(ept_caps & (1 << 14)) || !(ept_caps & (1 << 16)) ||
        !(ept_caps & (1 << 20)))
        return NULL;
    pin_ctl = adjust(base, PIN_EXT_INTR | PIN_NMI | PIN_VIRTUAL_NMI | PIN_PREEMPT_TIMER);
    preempt_timer_shift = rdmsr(MSR_VMX_MISC) & 0x1F;
    proc_ctl = adjust(base + 1, PROC_TSC_OFFSET | PROC_HLT | PROC_MWAIT | PROC_RDPMC |
                                PROC_CR8_LOAD | PROC_CR8_STORE | PROC_UNCOND_IO |
                                PROC_MONITOR | PROC_SECONDARY);
    /* Without CR8 exits a guest's MOV to CR8 would set the host CPU's TPR. */
    if ((proc_ctl & (PROC_CR8_LOAD | PROC_CR8_STORE)) != (PROC_CR8_LOAD | PROC_CR8_STORE))
        return NULL;
    /* CR3 load/store exiting are default-1 without TRUE controls; EPT makes them moot. */
    proc_ctl &= ~((1u << 15) | (1u << 16)) | (uint32_t)rdmsr(base + 1);
    proc2_ctl = adjust(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED |
                                           PROC2_WBINVD);
    exit_ctl = adjust(base + 2, EXIT_HOST_64 | EXIT_SAVE_DEBUG | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
                                EXIT_SAVE_EFER | EXIT_LOAD_EFER);
    entry_ctl = adjust(base + 3, ENTRY_LOAD_DEBUG | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER);
    invvpid_single = ept_caps & (1ULL << 41);
    invvpid_all = ept_caps & (1ULL << 42);
    cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    guest_cr4_bits = hvm_cr4_guest_bits() & rdmsr(MSR_VMX_CR4_FIXED1) & ~X86_CR4_VMXE;
    return &vmx_ops;
}
