/*
 * Exceptions survive exits: the guest raises #BP (delivered natively) and #UD (intercepted
 * by the hypervisor, which looks for VMCALL/VMMCALL and re-injects it) in a tight loop
 * while the scheduler's timer keeps interrupting it. An event whose delivery an exit
 * interrupted must be delivered again: every raise must reach its handler, exactly once.
 */
#include "guest.h"

const char test_title[] = "Exceptions across exits";

volatile unsigned long bp_count, ud_count;

void bp_stub(void);
void ud_stub(void);
__asm__(".text\n"
        "bp_stub: lock incq bp_count(%rip); iretq\n"
        "ud_stub: lock incq ud_count(%rip); addq $2, (%rsp); iretq\n");

void test_main(void)
{
    uint32_t a, b, khz, d;
    unsigned long rounds = 0;
    uint64_t end;

    idt_set_gate(3, bp_stub);
    idt_set_gate(6, ud_stub);
    idt_load();
    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    /*
     * Long enough for many scheduler-timer exits (10 ms slices), and at least 100 rounds
     * however slow the emulator runs beside other work: the property is exact delivery.
     */
    end = rdtsc() + (uint64_t)(khz ? khz : 1000000) * 300;
    while (rdtsc() < end || rounds < 100) {
        __asm__ volatile("int3" ::: "memory");
        __asm__ volatile("ud2" ::: "memory");
        rounds++;
    }
    printk("%lu rounds: %lu #BP, %lu #UD delivered\n", rounds, bp_count, ud_count);
    CHECK_EQ("#BP deliveries", bp_count, rounds);
    CHECK_EQ("#UD deliveries", ud_count, rounds);
    if (rounds < 100)
        xtf_error("only %lu rounds ran", rounds);
}
