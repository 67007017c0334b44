/*
 * A witness that keeps making progress while other domains crash or misbehave: prints
 * "tick <n>" every "ms=<interval>" milliseconds (default 100, timed by the TSC), "ticks=<n>"
 * times (default 40), then passes. It busy-waits: HLT would block for good.
 */
#include "guest.h"

const char test_title[] = "Ticker";

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

void test_main(void)
{
    unsigned long ticks = arg("ticks=", 40), ms = arg("ms=", 100);
    uint32_t a, b, khz, d;
    uint64_t next;

    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    if (!khz)
        printk("no TSC rate in CPUID 0x40000003: counting loop iterations instead\n");
    next = rdtsc() + (uint64_t)ms * khz;
    for (unsigned long n = 1; n <= ticks; n++) {
        if (khz) {
            while (rdtsc() < next)
                __asm__ volatile("pause");
            /* Deadlines, not sleeps: time spent descheduled does not push them back. */
            next += (uint64_t)ms * khz;
        } else {
            for (volatile unsigned long i = 0; i < ms * 10000; i++)
                ;
        }
        printk("tick %lu\n", n);
    }
}
