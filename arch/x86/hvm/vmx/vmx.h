/*
 * What vmcs.c (capabilities, VMCS set-up and loading) and vmx.c (entry, exits, the ops) share:
 * the controls chosen at probe time and the per-vCPU VT-x state, which lives here behind
 * vcpu_arch.vendor rather than in the generic vCPU structure.
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <asm/hvm.h>
#include <kumo/domain.h>
#include "vmcs.h"

#define PROC_INTR_WINDOW    (1u << 2)
#define PROC_TPR_SHADOW     (1u << 21)
#define ENTRY_IA32E         (1u << 9)
#define X86_CR4_VMXE        (1UL << 13)

/* The controls and fixed bits of this CPU model, from the TRUE_* MSRs (vmx_caps_probe). */
struct vmx_caps {
    uint32_t vmcs_revision;
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, guest_cr4_bits;
    bool invvpid_single, invvpid_all;
    unsigned int preempt_timer_shift;       /* it counts TSC >> this (IA32_VMX_MISC) */
};
extern struct vmx_caps vmx_caps;

/* A vCPU's VT-x state that the VMCS does not hold. */
struct vmx_vcpu {
    bool launched;                          /* VMLAUNCH done on the current VMCS */
    uint64_t msr_kgs, msr_star, msr_lstar, msr_cstar, msr_sfmask;
    uint64_t cr0_shadow;                    /* the guest's view of CR0 */
    struct hvm_vcpu_state start;            /* written into the VMCS when next loaded */
    uint64_t tlb_clean_cpus;                /* pCPUs that dropped stale VPID/EPT entries for it */
    uint8_t *vapic;                         /* virtual-APIC page: the guest's TPR (TPR shadow) */
};

static inline struct vmx_vcpu *to_vmx(const struct vcpu *v)
{
    return v->arch.vendor;
}

/* vmcs.c. vmx_caps_probe: 0, or -1 when the CPU lacks what kumo needs (EPT, VPID...). */
int vmx_caps_probe(void);
int vmx_cpu_up(void);
/* The VMCS, VPID, virtual-APIC page and struct vmx_vcpu: 0 or -1; undone by destroy. */
int vmx_vcpu_init(struct vcpu *v);
void vmx_vcpu_destroy(struct vcpu *v);
void vmx_set_state(struct vcpu *v, const struct hvm_vcpu_state *s);
/* Makes v's VMCS current on this pCPU (writing it in full on a new pCPU); IRQs off. */
void vmcs_load(struct vcpu *v, bool flush);
void vmx_vcpu_leave(struct vcpu *v);
/* PAE paging's PDPTEs into the VMCS from the guest's CR3, as the CPU would on a CR write. */
void vmx_load_pdptes(struct vcpu *v, uint64_t cr0, uint64_t cr4);
uint64_t vmx_ept_entry(paddr_t pa, unsigned int level, bool leaf, unsigned int perms);
void vmx_p2m_flush(struct domain *d);

#endif
