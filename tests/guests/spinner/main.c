/*
 * A CPU-bound witness for scheduling tests: spins, and reports how much CPU it got between
 * two absolute system times (from=<s> to=<s> on its command line), measured with its own
 * runstate area and pvclock, so every spinner in a run measures the same window. With
 * guarantee=<slice_us>/<period_us> it also reports the least CPU any stretch of two
 * periods gave it, against the slice EDF owes a (period, slice) job in any such stretch
 * (one whole period always fits in two).
 */
#include "guest.h"

const char test_title[] = "CPU share";

#define SHARED_INFO_GFN 0x900

static struct shared_info *const shared = (void *)(SHARED_INFO_GFN << 12);
static struct vcpu_runstate_info runstate;

static int64_t now_ns(void)
{
    return pv_now(shared);
}

/* CPU time consumed so far: what the runstate area says plus the current running stretch. */
static int64_t cpu_time(void)
{
    int64_t now = now_ns();

    return (int64_t)runstate.time[RUNSTATE_running] + (now - (int64_t)runstate.state_entry_time);
}

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

#define SAMPLE_NS   100000LL
#define GAP_NS      20000LL             /* a longer pause in the loop: it was not running */
#define MAX_SAMPLES 1024                /* two periods of up to 51 ms */

static int64_t samples[MAX_SAMPLES], least_at;

/*
 * Spins until `to`, counting the time it ran as wall time minus the pauses it sees in its
 * own loop (no shared state to read half-updated), sampled every 100 us; returns the
 * least any 2-period stretch of samples gave (ns).
 */
static int64_t spin_checking(int64_t to, int64_t period)
{
    unsigned int span = (unsigned int)(2 * period / SAMPLE_NS), n = 0;
    int64_t start = now_ns(), last = start, paused = 0, next = start, least = INT64_MAX;

    while (last < to) {
        int64_t now = now_ns();

        if (now - last > GAP_NS)
            paused += now - last;
        last = now;
        while (next <= now && next <= to) {     /* one sample per 100 us of wall time */
            samples[n % MAX_SAMPLES] = now - start - paused;
            if (n >= span &&
                samples[n % MAX_SAMPLES] - samples[(n - span) % MAX_SAMPLES] < least) {
                least = samples[n % MAX_SAMPLES] - samples[(n - span) % MAX_SAMPLES];
                least_at = now;
            }
            n++;
            next += SAMPLE_NS;
        }
    }
    return least;
}

void test_main(void)
{
    struct vcpu_register_runstate_memory_area r = { .addr.v = &runstate };
    int64_t from = (int64_t)arg("from=", 3) * 1000000000LL;
    int64_t to = (int64_t)arg("to=", 23) * 1000000000LL;
    int64_t c0, c1;

    if (!map_shared_info(SHARED_INFO_GFN) ||
        HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, &r)) {
        xtf_error("no shared_info or runstate area");
        return;
    }
    if (now_ns() > from) {
        xtf_error("started after the window opened (%ld ms)", (long)(now_ns() / 1000000));
        return;
    }
    while (now_ns() < from)
        ;
    c0 = cpu_time();
    if (strstr(guest_cmdline(), "guarantee=")) {
        const char *g = strstr(guest_cmdline(), "guarantee=") + 10;
        const char *end;
        int64_t slice = (int64_t)simple_strtoull(g, &end, 10) * 1000;
        int64_t period = *end == '/' ? (int64_t)simple_strtoull(end + 1, NULL, 10) * 1000 : 0;
        int64_t least;

        if (period <= 0 || 2 * period / SAMPLE_NS >= MAX_SAMPLES) {
            xtf_error("bad guarantee=");
            return;
        }
        least = spin_checking(to, period);
        /* Reported, not failed: under emulation a host stall looks like a missed slice. */
        printk("GUARANTEE least %ld us in any %ld us (slice %ld us), at %ld ms\n",
               (long)(least / 1000), (long)(2 * period / 1000), (long)(slice / 1000),
               (long)(least_at / 1000000));
    } else {
        while (now_ns() < to)
            ;
    }
    c1 = cpu_time();
    /* Per mille of one pCPU over the window. */
    printk("SHARE %ld permille cpu %ld ms window %ld ms\n",
           (long)((c1 - c0) * 1000 / (to - from)), (long)((c1 - c0) / 1000000),
           (long)((to - from) / 1000000));
}
