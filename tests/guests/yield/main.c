/*
 * Scheduling-cost benchmark (DESIGN.md D13): a CPU-bound loop of SCHEDOP_yield. N copies
 * pinned to one pCPU each count their yields over the same window of time; `make bench`
 * adds the counts, so window / total is the cost of one yield: exit, scheduler decision and,
 * with another runnable domain queued, the switch to it (a yielder goes behind its equals).
 * A lone domain's yield comes back to itself: a decision without a switch. Each copy's count
 * is printed too, so an unfair rotation shows. Command line: settle=<ms> window=<ms>.
 */
#include "guest.h"

const char test_title[] = "Yield benchmark";

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

static void yield(void)
{
    HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

void test_main(void)
{
    uint32_t a, b, khz, d;
    uint64_t start, end, stop, now, yields = 0;

    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    if (!khz) {
        xtf_error("no TSC rate from CPUID 0x40000003");
        return;
    }
    /*
     * The TSC, not the pvclock (which can step back when refreshed): all copies share one
     * pCPU, so one clock. The settle time lets every copy start before any window opens;
     * yielding on as long again afterwards keeps the queue full until the last window shuts.
     */
    start = rdtsc() + arg("settle=", 300) * khz;
    end = start + arg("window=", 2000) * khz;
    stop = end + arg("settle=", 300) * khz;
    do {
        yield();
        now = rdtsc();
        yields += now >= start && now < end;
    } while (now < stop);
    printk("yields %lu in %lu ns\n", (unsigned long)yields,
           (unsigned long)((end - start) * 1000000 / khz));
}
