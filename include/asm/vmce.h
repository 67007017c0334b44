/*
 * The guest's machine-check MSRs, answered as Xen 4.17's virtual MCE answers an HVM guest
 * (xen/arch/x86/cpu/mcheck/vmce.c): two banks that never report an error. CPUID keeps
 * MCE and MCA visible, as Xen does by default, so Linux sets up machine checks and must
 * find every MSR the capability advertises.
 */
#ifndef ASM_VMCE_H
#define ASM_VMCE_H

#include <kumo/types.h>

#define VMCE_BANKS 2

struct vmce {
    uint64_t mcg_status;
    uint64_t mci_ctl2[VMCE_BANKS];  /* Intel CMCI control, stored and read back */
};

/* What an MSR handler did: not its MSR, done, or the guest gets #GP. */
enum msr_result { MSR_UNHANDLED, MSR_DONE, MSR_GP };

struct vcpu;

/*
 * MCG_CAP/STATUS/CTL (0x179-0x17B), P5_MC_ADDR/TYPE (0, 1), MCi_CTL2 (0x280-0x29F), the
 * bank range 0x400-0x47F and AMD's MC4_MISC1-3 (0xC0000408-A); MSR_UNHANDLED for any other.
 * `amd`: the guest sees an AMD (or Hygon) CPU. Called on v's own pCPU.
 */
enum msr_result vmce_msr_read(struct vcpu *v, bool amd, uint32_t msr, uint64_t *val);
enum msr_result vmce_msr_write(struct vcpu *v, bool amd, uint32_t msr, uint64_t val);

#endif
