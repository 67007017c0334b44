/*
 * The VMCS of each vCPU (SDM Vol 3C chapters 23-26): what this CPU model allows (the
 * controls, computed from the TRUE_* MSRs as (want | allowed0) & allowed1), VMXON per pCPU,
 * a vCPU's VMCS, VPID and virtual-APIC page, and writing the VMCS in full on the pCPU that
 * next runs the vCPU. vmx.c enters the guest and decodes its exits.
 */
#include <asm/desc.h>
#include <asm/p2m.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/mm.h>
#include <kumo/xmalloc.h>
#include "vmx.h"

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

#define PIN_EXT_INTR        (1u << 0)
#define PIN_NMI             (1u << 3)
#define PIN_VIRTUAL_NMI     (1u << 5)     /* IRET ends an injected NMI's blocking */
#define PIN_PREEMPT_TIMER   (1u << 6)
#define MSR_VMX_MISC        0x485
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
#define ENTRY_LOAD_PAT      (1u << 14)
#define ENTRY_LOAD_EFER     (1u << 15)

void vmx_exit(void);

struct vmx_caps vmx_caps;
/* VPIDs in use, so that no two live vCPUs share one (bit 0: VPID 0 is the host's). */
static uint64_t vpid_used[65536 / 64] = { 1 };
static DEFINE_SPINLOCK(vpid_lock);

static uint32_t adjust(uint32_t msr, uint32_t want)
{
    uint64_t caps = rdmsr(msr);

    return (want | (uint32_t)caps) & (uint32_t)(caps >> 32);
}

/*
 * TPR shadow when the CPU has it (a guest's CR8 reads and writes stay in its virtual-APIC
 * page, with no exit); CR8 load and store exits otherwise. Either way the guest never
 * reaches the host's TPR.
 */
static uint32_t proc_controls(uint32_t msr)
{
    uint32_t want = PROC_TSC_OFFSET | PROC_HLT | PROC_MWAIT | PROC_RDPMC | PROC_UNCOND_IO |
                    PROC_MONITOR | PROC_SECONDARY;
    uint32_t ctl;

    if ((rdmsr(msr) >> 32) & PROC_TPR_SHADOW)
        return adjust(msr, want | PROC_TPR_SHADOW);
    ctl = adjust(msr, want | PROC_CR8_LOAD | PROC_CR8_STORE);
    return (ctl & (PROC_CR8_LOAD | PROC_CR8_STORE)) == (PROC_CR8_LOAD | PROC_CR8_STORE) ? ctl : 0;
}

int vmx_caps_probe(void)
{
    uint64_t basic, proc2_caps, ept_caps;
    uint32_t base;

    if (!cpu_has(1, 2, 5))
        return -1;
    basic = rdmsr(MSR_VMX_BASIC);
    vmx_caps.vmcs_revision = (uint32_t)basic & 0x7FFFFFFF;
    base = basic & (1ULL << 55) ? MSR_VMX_TRUE_PIN : MSR_VMX_PINBASED;
    if (!(rdmsr(MSR_VMX_PROCBASED) >> 32 & PROC_SECONDARY))
        return -1;
    proc2_caps = rdmsr(MSR_VMX_PROCBASED2) >> 32;
    if ((proc2_caps & (PROC2_EPT | PROC2_UNRESTRICTED | PROC2_VPID)) !=
        (PROC2_EPT | PROC2_UNRESTRICTED | PROC2_VPID))
        return -1;
    ept_caps = rdmsr(MSR_VMX_EPT_VPID);
    /* 4-level walks, write-back tables, 2 MiB pages, INVEPT. */
    if (!(ept_caps & (1 << 6)) || !(ept_caps & (1 << 14)) || !(ept_caps & (1 << 16)) ||
        !(ept_caps & (1 << 20)))
        return -1;
    vmx_caps.pin = adjust(base, PIN_EXT_INTR | PIN_NMI | PIN_VIRTUAL_NMI | PIN_PREEMPT_TIMER);
    vmx_caps.preempt_timer_shift = rdmsr(MSR_VMX_MISC) & 0x1F;
    vmx_caps.proc = proc_controls(base + 1);
    if (!vmx_caps.proc)
        return -1;
    /* CR3 load/store exiting are default-1 without TRUE controls; EPT makes them moot. */
    vmx_caps.proc &= ~((1u << 15) | (1u << 16)) | (uint32_t)rdmsr(base + 1);
    vmx_caps.proc2 = adjust(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED |
                                                PROC2_WBINVD);
    vmx_caps.exit = adjust(base + 2, EXIT_HOST_64 | EXIT_SAVE_DEBUG | EXIT_SAVE_PAT |
                                     EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER);
    vmx_caps.entry = adjust(base + 3, ENTRY_LOAD_DEBUG | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER);
    vmx_caps.invvpid_single = ept_caps & (1ULL << 41);
    vmx_caps.invvpid_all = ept_caps & (1ULL << 42);
    vmx_caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    vmx_caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    vmx_caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    vmx_caps.guest_cr4_bits = hvm_cr4_guest_bits() & rdmsr(MSR_VMX_CR4_FIXED1) & ~X86_CR4_VMXE;
    return 0;
}

int vmx_cpu_up(void)
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
        *(uint32_t *)c->hvm_host_area = vmx_caps.vmcs_revision;
    }
    write_cr0(read_cr0() | X86_CR0_NE);
    write_cr4(read_cr4() | X86_CR4_VMXE);
    return vmxon(__pa(c->hvm_host_area)) ? 0 : -1;
}

static uint32_t vpid_alloc(void)
{
    uint32_t vpid = 0;

    spin_lock(&vpid_lock);
    for (uint32_t i = 1; i < 65536 && !vpid; i++)
        if (!(vpid_used[i / 64] & (1ULL << (i % 64)))) {
            vpid_used[i / 64] |= 1ULL << (i % 64);
            vpid = i;
        }
    spin_unlock(&vpid_lock);
    return vpid;
}

int vmx_vcpu_init(struct vcpu *v)
{
    void *vmcs = alloc_xenheap_pages(0);
    struct vmx_vcpu *x = xzalloc_bytes(sizeof(*x));

    if (x)
        x->vapic = alloc_xenheap_pages(0);
    if (!vmcs || !x || !x->vapic) {
        if (x && x->vapic)
            free_xenheap_pages(x->vapic, 0);
        if (vmcs)
            free_xenheap_pages(vmcs, 0);
        xfree(x);
        return -1;
    }
    memset(vmcs, 0, PAGE_SIZE);
    memset(x->vapic, 0, PAGE_SIZE);
    *(uint32_t *)vmcs = vmx_caps.vmcs_revision;
    v->arch.vmcs_or_vmcb = vmcs;
    v->arch.vmcs_or_vmcb_pa = __pa(vmcs);
    v->arch.vendor = x;
    v->arch.asid_or_vpid = vpid_alloc();
    if (!v->arch.asid_or_vpid) {
        vmx_vcpu_destroy(v);
        return -1;
    }
    return 0;
}

void vmx_vcpu_destroy(struct vcpu *v)
{
    struct vmx_vcpu *x = to_vmx(v);

    /* A VMCS may still be cached by the CPU that ran it: flush it to memory first. */
    vmclear(v->arch.vmcs_or_vmcb_pa);
    free_xenheap_pages(v->arch.vmcs_or_vmcb, 0);
    v->arch.vmcs_or_vmcb = NULL;
    free_xenheap_pages(x->vapic, 0);
    xfree(x);
    v->arch.vendor = NULL;
    if (!v->arch.asid_or_vpid)
        return;                             /* vmx_vcpu_init found no free VPID */
    spin_lock(&vpid_lock);
    vpid_used[v->arch.asid_or_vpid / 64] &= ~(1ULL << (v->arch.asid_or_vpid % 64));
    spin_unlock(&vpid_lock);
    v->arch.asid_or_vpid = 0;
}

/* The state goes into the VMCS the next time it is loaded (vmcs_load), on whichever pCPU. */
void vmx_set_state(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    to_vmx(v)->start = *s;
    v->arch.regs = s->regs;
    to_vmx(v)->cr0_shadow = s->cr0;
    v->arch.efer = s->efer;
    v->arch.exit_rip = s->regs.rip;
    to_vmx(v)->launched = false;
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
void vmx_load_pdptes(struct vcpu *v, uint64_t cr0, uint64_t cr4)
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
    const struct hvm_vcpu_state *s = &to_vmx(v)->start;

    write_guest_segments(s);
    vmwrite(GUEST_CR0, (s->cr0 | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW));
    vmwrite(CR0_READ_SHADOW, s->cr0);
    vmwrite(CR0_GUEST_HOST_MASK, X86_CR0_PE | X86_CR0_PG | X86_CR0_NE | X86_CR0_CD | X86_CR0_NW);
    vmwrite(GUEST_CR3, s->cr3);
    vmwrite(GUEST_CR4, s->cr4 | vmx_caps.cr4_fixed0);
    vmwrite(CR4_READ_SHADOW, s->cr4);
    vmwrite(CR4_GUEST_HOST_MASK, ~0ULL);      /* every write is checked (hvm_cr4_valid) */
    vmx_load_pdptes(v, s->cr0, s->cr4);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_IA32_EFER, v->arch.efer);
    vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ULL);
    vmwrite(VM_ENTRY_CONTROLS, s->efer & EFER_LMA ? vmx_caps.entry | ENTRY_IA32E :
                                                    vmx_caps.entry & ~ENTRY_IA32E);
    vmwrite(VM_ENTRY_INTR_INFO, 0);
}

static void write_controls(struct vcpu *v)
{
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
    vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_caps.proc2);
    vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit);
    /*
     * #UD: VMMCALL from a guest. #DB and #AC: a guest whose delivery of one raises another
     * would loop inside the CPU without an exit (XSA-156); intercepted, each is an exit.
     * #MC: the host's.
     */
    vmwrite(EXCEPTION_BITMAP, 1u << 1 | 1u << 6 | 1u << 17 | 1u << 18);
    vmwrite(TSC_OFFSET, v->arch.tsc_offset);
    vmwrite(VPID, v->arch.asid_or_vpid);
    /* EPTP: write-back, 4-level walk (SDM Vol 3C 24.6.11). */
    /* The guest's CR8/TPR lives in the virtual-APIC page, never in the host's TPR. */
    if (vmx_caps.proc & PROC_TPR_SHADOW)
        vmwrite(VIRTUAL_APIC_PAGE_ADDR, __pa(to_vmx(v)->vapic));
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

    if (to_vmx(v)->tlb_clean_cpus & cpu)
        return;
    __asm__ volatile("invept %0, %1" :: "m"(ept), "r"(1UL) : "cc", "memory");
    if (vmx_caps.invvpid_single || vmx_caps.invvpid_all)
        __asm__ volatile("invvpid %0, %1" :: "m"(vpid), "r"(vmx_caps.invvpid_single ? 1UL : 2UL)
                         : "cc", "memory");
    to_vmx(v)->tlb_clean_cpus |= cpu;
}

/*
 * Loads v's VMCS on this CPU, writing it from scratch the first time it runs here. Arriving
 * from another CPU it also flushes: this CPU may hold translations another vCPU of the
 * domain cached before a p2m flush whose request that vCPU has not consumed here.
 */
void vmcs_load(struct vcpu *v, bool flush)
{
    flush_stale_tags(v);
    if (flush || v->arch.last_pcpu != (int)this_cpu()->id)
        invept_domain(v->domain);
    if (v->arch.last_pcpu != (int)this_cpu()->id) {
        vmclear(v->arch.vmcs_or_vmcb_pa);
        vmptrld(v->arch.vmcs_or_vmcb_pa);
        write_controls(v);
        write_host_state();
        if (!to_vmx(v)->launched)
            write_guest_state(v);
        to_vmx(v)->launched = false;
    } else {
        vmptrld(v->arch.vmcs_or_vmcb_pa);
    }
}

/* A VMCS must be cleared on the pCPU where it is active before another may load it. */
void vmx_vcpu_leave(struct vcpu *v)
{
    vmclear(v->arch.vmcs_or_vmcb_pa);
    v->arch.last_pcpu = -1;
}

/* EPT entries (SDM Vol 3C 28.2.2): RWX in bits 0-2, leaves add WB type and, above 4 KiB, PS. */
uint64_t vmx_ept_entry(paddr_t pa, unsigned int level, bool leaf, unsigned int perms)
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

void vmx_p2m_flush(struct domain *d)
{
    struct { uint64_t eptp, rsvd; } desc = { d->p2m_root | 3 << 3 | 6, 0 };

    /* Single-context INVEPT (type 1) on this CPU; other CPUs flush when they next load it. */
    __asm__ volatile("invept %0, %1" :: "m"(desc), "r"(1UL) : "cc", "memory");
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        to_vmx(d->vcpus[i])->tlb_clean_cpus = 1ULL << this_cpu()->id;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->arch.last_pcpu != (int)this_cpu()->id)
            d->vcpus[i]->arch.last_pcpu = -2;  /* forces vmclear+rewrite, launched kept */
}
