/*
 * kumo's own additions to Xen's privileged ABI, for Dom0's toolstack (DESIGN.md D3): what
 * Xen has no interface for gets a number in a range Xen does not use, 0x6b000000 ('k' in
 * the top byte) for sysctl commands. Standalone: the hypervisor and dom0-tools both
 * include it, so it needs nothing beyond <stdint.h>.
 */
#ifndef KUMO_PUBLIC_KUMO_H
#define KUMO_PUBLIC_KUMO_H

#include <stdint.h>

/* XEN_SYSCTL_* numbers end below 0x100; kumo's start at the base of a range of 256. */
#define KUMO_SYSCTL_BASE            0x6b000000u

/*
 * The name a domain was given when the hypervisor built it at boot (the domU module's
 * name=, "Domain-0" for Dom0), NUL-terminated, so Dom0 can write the xenstore nodes Xen's
 * toolstack writes for domains it creates. -ESRCH when no domain has that id. Laid over
 * the union of struct xen_sysctl (at most 128 bytes). Any domain answers; the toolstack
 * skips those its xenstore already names.
 */
#define KUMO_SYSCTL_getdomainname   (KUMO_SYSCTL_BASE + 1)
#define KUMO_DOMAIN_NAME_MAX        64

struct kumo_sysctl_domainname {
    uint16_t domid;                 /* IN */
    uint16_t pad;
    uint32_t pad2;
    char name[KUMO_DOMAIN_NAME_MAX];/* OUT */
};

/*
 * SEDF parameters for XEN_DOMCTL_scheduler_op with scheduler id 4. Xen removed SEDF from
 * its ABI, so the layout is kumo's own, laid over the union of xen_domctl_scheduler_op:
 * times in ns, as Xen's old SEDF interface had them.
 */
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
