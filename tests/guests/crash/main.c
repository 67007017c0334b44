/*
 * A guest that stops on purpose, to show that only it stops: "npf" jumps to guest-physical
 * 0x3F000000 (mapped by its own page tables, outside its RAM: code cannot run there, the
 * domain is crashed), "triple" loads an empty IDT and executes int3 (#BP -> #GP -> #DF ->
 * triple fault: the domain shuts down for reboot, Xen's default). "after=<ms>" waits first
 * (TSC-timed), so that witnesses are seen running before the crash.
 */
#include "guest.h"

const char test_title[] = "Crash on purpose";

#define OUTSIDE_RAM 0x3F000000UL        /* inside head.S's 1 GiB identity map */

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

/* Busy-waits (HLT would block for good: nothing wakes this guest). */
static void wait_ms(unsigned long ms)
{
    uint32_t a, b, khz, d;
    uint64_t end;

    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    if (!khz) {
        for (volatile unsigned long i = 0; i < ms * 10000; i++)
            ;
        return;
    }
    end = rdtsc() + (uint64_t)ms * khz;
    while (rdtsc() < end)
        __asm__ volatile("pause");
}

static void crash_npf(void)
{
    printk("jumping to guest-physical %#lx\n", OUTSIDE_RAM);
    ((void (*)(void))OUTSIDE_RAM)();
}

static void crash_triple(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };

    printk("int3 with an empty IDT\n");
    /* A zero limit makes every vector's gate fault, #DF's too: the CPU shuts down. */
    __asm__ volatile("lidt %0; int3" :: "m"(idtr) : "memory");
}

void test_main(void)
{
    const char *cmdline = guest_cmdline();

    wait_ms(arg("after=", 0));
    if (strstr(cmdline, "npf"))
        crash_npf();
    else if (strstr(cmdline, "triple"))
        crash_triple();
    else {
        xtf_error("command line '%s' names neither npf nor triple", cmdline);
        return;
    }
    xtf_failure("still running after the crash point");
}
