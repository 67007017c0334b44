/*
 * Scheduler benchmark guest: calls SCHEDOP_yield in a loop between two absolute system
 * times (from=<ms> to=<ms>) and reports how many yields it made. With N such domains on
 * one pCPU, every yield is a trip through schedule(); with N > 1 it is also a switch to
 * another domain's vCPU, so the total yields in the window give the cost of one.
 */
#include "guest.h"

const char test_title[] = "Yield benchmark";

#define SHARED_INFO_GFN 0x90            /* below 640 KiB: inside even a 2 MiB domain */

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

void test_main(void)
{
    const struct shared_info *shared = map_shared_info(SHARED_INFO_GFN);
    int64_t from = (int64_t)arg("from=", 2000) * 1000000, to = (int64_t)arg("to=", 4000) * 1000000;
    unsigned long yields = 0;

    if (!shared) {
        xtf_error("no shared_info");
        return;
    }
    if (pv_now(shared) > from) {
        xtf_error("started after the window opened (%ld ms)", (long)(pv_now(shared) / 1000000));
        return;
    }
    while (pv_now(shared) < from)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    while (pv_now(shared) < to) {
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        yields++;
    }
    printk("BENCH yields %lu window %ld ms\n", yields, (long)((to - from) / 1000000));
}
