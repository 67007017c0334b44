/*
 * A CPU-bound witness for scheduling tests: spins, and reports how much CPU it got between
 * two absolute system times (from=<s> to=<s> on its command line), measured with its own
 * runstate area and pvclock, so every spinner in a run measures the same window.
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
    while (now_ns() < to)
        ;
    c1 = cpu_time();
    /* Per mille of one pCPU over the window. */
    printk("SHARE %ld permille cpu %ld ms window %ld ms\n",
           (long)((c1 - c0) * 1000 / (to - from)), (long)((c1 - c0) / 1000000),
           (long)((to - from) / 1000000));
}
