/*
 * Guest writes to CR0 and CR4, checked as the hardware checks a MOV to CR (SDM Vol 3A 2.5,
 * APM Vol 2 3.1): a value the CPU would refuse is the guest's #GP, never a failed VM entry,
 * and a CR4 bit the CPU lacks or kumo does not virtualise (VMXE, SMXE, LA57, PKE, CET...)
 * is refused like a reserved one. Both vendors intercept every write and ask here.
 */
#include <asm/hvm.h>
#include <asm/processor.h>

#define X86_CR4_UMIP     (1UL << 11)
#define X86_CR4_FSGSBASE (1UL << 16)
#define X86_CR4_PCIDE    (1UL << 17)
#define X86_CR4_OSXSAVE  (1UL << 18)
#define X86_CR4_SMEP     (1UL << 20)
#define X86_CR4_SMAP     (1UL << 21)
#define CR4_LEGACY_BITS  0x7FFUL        /* VME .. OSXMMEXCPT */

uint64_t hvm_cr4_guest_bits(void)
{
    static uint64_t bits;
    struct cpuid_regs r;

    if (bits)
        return bits;
    bits = CR4_LEGACY_BITS;
    if (cpu_has(1, 2, 17))
        bits |= X86_CR4_PCIDE;
    if (cpu_has(1, 2, 26))
        bits |= X86_CR4_OSXSAVE;
    cpuid(0, &r);
    if (r.eax >= 7) {
        cpuid_count(7, 0, &r);
        bits |= (r.ebx & 1 ? X86_CR4_FSGSBASE : 0) | (r.ebx & (1u << 7) ? X86_CR4_SMEP : 0) |
                (r.ebx & (1u << 20) ? X86_CR4_SMAP : 0) | (r.ecx & (1u << 2) ? X86_CR4_UMIP : 0);
    }
    return bits;
}

bool hvm_cr0_valid(const struct hvm_paging *p, uint64_t val)
{
    if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
        ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
        return false;
    /* Paging on with EFER.LME is long mode, which needs PAE's tables. */
    return !((val & X86_CR0_PG) && !(p->cr0 & X86_CR0_PG) && (p->efer & EFER_LME) &&
             !(p->cr4 & X86_CR4_PAE));
}

bool hvm_cr4_valid(const struct hvm_paging *p, uint64_t val, uint64_t allowed)
{
    bool long_mode = p->efer & EFER_LMA;

    if (val & ~allowed)
        return false;
    if (long_mode && !(val & X86_CR4_PAE))
        return false;
    /* SDM 4.10.1: only turning PCIDE on needs long mode and PCID 0 in CR3; once on, CR3
     * carries a PCID and other bits of CR4 (PGE, to flush) change freely. */
    return !(val & X86_CR4_PCIDE) || (p->cr4 & X86_CR4_PCIDE) ||
           (long_mode && !(p->cr3 & 0xFFF));
}
