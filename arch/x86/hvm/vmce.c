/*
 * Virtual machine-check MSRs (asm/vmce.h). As in Xen 4.17: Intel guests see MCG_CAP with
 * SER_P, TES_P and CMCI_P, AMD guests only the bank count; MCi_CTL reads all-ones and
 * ignores writes; MCi_STATUS/ADDR/MISC read 0 and take only 0 (a guest cannot fake an
 * error); Intel's MCi_CTL2 of the two banks hold what is written; the rest of Xen's vMCE
 * ranges (P5_MC_ADDR/TYPE, 0x280-0x29F, 0x400-0x47F, AMD's MC4_MISC1-3) read 0 and drop
 * writes.
 */
#include <asm/vmce.h>
#include <kumo/domain.h>

#define MSR_P5_MC_TYPE      0x1
#define MSR_MCG_CAP         0x179
#define MSR_MCG_STATUS      0x17A
#define MSR_MCG_CTL         0x17B
#define MSR_MC0_CTL2        0x280
#define MSR_MC0_CTL         0x400
#define MSR_MC_LAST         0x47F
#define MSR_F10_MC4_MISC1   0xC0000408
#define MSR_F10_MC4_MISC3   0xC000040A

/* SDM Vol 3B 15.3.1.1: bank count in 7:0, CMCI_P 10, TES_P 11, SER_P 24. */
#define MCG_CMCI_P          (1ULL << 10)
#define MCG_TES_P           (1ULL << 11)
#define MCG_SER_P           (1ULL << 24)
#define INTEL_MCG_CAP       (MCG_SER_P | MCG_TES_P | MCG_CMCI_P | VMCE_BANKS)
#define AMD_MCG_CAP         VMCE_BANKS

static bool in_bank(uint32_t msr)
{
    return msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * VMCE_BANKS;
}

static bool in_ctl2(bool amd, uint32_t msr)
{
    return !amd && msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + VMCE_BANKS;
}

/* The rest of the ranges Xen routes to its vMCE, which answer "nothing here". */
static bool in_vmce_ranges(bool amd, uint32_t msr)
{
    return msr <= MSR_P5_MC_TYPE || (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 32) ||
           (msr >= MSR_MC0_CTL && msr <= MSR_MC_LAST) ||
           (amd && msr >= MSR_F10_MC4_MISC1 && msr <= MSR_F10_MC4_MISC3);
}

enum msr_result vmce_msr_read(struct vcpu *v, bool amd, uint32_t msr, uint64_t *val)
{
    *val = 0;
    if (msr == MSR_MCG_CAP)
        *val = amd ? AMD_MCG_CAP : INTEL_MCG_CAP;
    else if (msr == MSR_MCG_STATUS)
        *val = v->arch.vmce.mcg_status;
    else if (msr == MSR_MCG_CTL)
        ;                               /* no MCG_CTL_P: reads 0 */
    else if (in_ctl2(amd, msr))
        *val = v->arch.vmce.mci_ctl2[msr - MSR_MC0_CTL2];
    else if (in_bank(msr) && (msr & 3) == 0)
        *val = ~0ULL;                   /* MCi_CTL: every error type enabled */
    else if (!in_vmce_ranges(amd, msr))
        return MSR_UNHANDLED;
    return MSR_DONE;
}

enum msr_result vmce_msr_write(struct vcpu *v, bool amd, uint32_t msr, uint64_t val)
{
    if (msr == MSR_MCG_STATUS)
        v->arch.vmce.mcg_status = val;
    else if (msr == MSR_MCG_CAP || msr == MSR_MCG_CTL)
        ;                               /* read-only / absent: the write changes nothing */
    else if (in_ctl2(amd, msr))
        v->arch.vmce.mci_ctl2[msr - MSR_MC0_CTL2] = val;
    else if (in_bank(msr) && (msr & 3) != 0)
        return val ? MSR_GP : MSR_DONE; /* STATUS/ADDR/MISC: only clearing */
    else if (!in_vmce_ranges(amd, msr))
        return MSR_UNHANDLED;
    return MSR_DONE;
}
