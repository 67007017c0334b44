/*
 * Host tests for the guest CR0/CR4 checks (arch/x86/hvm/cr.c) against the SDM's MOV-to-CR
 * rules, in particular the ones a stock Linux kernel exercises.
 */
#include "../../arch/x86/hvm/cr.c"
#include "harness.h"

#define PAE    (1UL << 5)
#define PGE    (1UL << 7)
#define FSGS   (1UL << 16)
#define PCIDE  (1UL << 17)
#define ALLOWED (PAE | PGE | FSGS | PCIDE | (1UL << 4) | (1UL << 9) | (1UL << 10))

static struct hvm_paging long_mode(uint64_t cr4, uint64_t cr3)
{
    return (struct hvm_paging){ .cr0 = 0x80050033, .cr3 = cr3, .cr4 = cr4,
                                .efer = EFER_LME | EFER_LMA };
}

/* Linux's native_flush_tlb_global toggles PGE with PCIDE on and a PCID in CR3. */
TEST(pge_toggle_with_pcid_in_cr3_is_allowed)
{
    struct hvm_paging p = long_mode(0x300b0, 0x2a10001);

    CHECK(hvm_cr4_valid(&p, 0x30030, ALLOWED));
    CHECK(hvm_cr4_valid(&p, 0x300b0, ALLOWED));
}

TEST(pcide_turned_on_needs_pcid_zero)
{
    struct hvm_paging p = long_mode(PAE | PGE, 0x1000 | 1);

    CHECK(!hvm_cr4_valid(&p, PAE | PGE | PCIDE, ALLOWED));
    p.cr3 = 0x1000;
    CHECK(hvm_cr4_valid(&p, PAE | PGE | PCIDE, ALLOWED));
}

TEST(long_mode_keeps_pae_and_unknown_bits_refused)
{
    struct hvm_paging p = long_mode(PAE, 0x1000);

    CHECK(!hvm_cr4_valid(&p, PGE, ALLOWED));
    CHECK(!hvm_cr4_valid(&p, PAE | (1UL << 13), ALLOWED));     /* VMXE */
}

int main(void)
{
    RUN(pge_toggle_with_pcid_in_cr3_is_allowed);
    RUN(pcide_turned_on_needs_pcid_zero);
    RUN(long_mode_keeps_pae_and_unknown_bits_refused);
    HARNESS_EXIT();
}
