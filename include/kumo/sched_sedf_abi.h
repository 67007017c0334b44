/*
 * kumo's SEDF parameters for XEN_DOMCTL_scheduler_op (scheduler id 4). Xen removed SEDF from
 * its ABI, so the layout is kumo's own, laid over the union of xen_domctl_scheduler_op:
 * times in ns, as Xen's old SEDF interface had them.
 */
#ifndef KUMO_SCHED_SEDF_ABI_H
#define KUMO_SCHED_SEDF_ABI_H

#include <kumo/types.h>

#define KUMO_SCHEDULER_SEDF 4

struct kumo_domctl_sched_sedf {
    uint64_t period;
    uint64_t slice;
    uint64_t latency;
    uint16_t extratime;
    uint16_t weight;                /* unused, kept for Xen's old layout */
    uint32_t pad;
};

#endif
