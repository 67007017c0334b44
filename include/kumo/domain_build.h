/*
 * Building PVH domains from kernel images: the hypervisor's own builder, used at boot for
 * Dom0 and for "domU ..." modules (the toolstack's builder comes with Dom0's xl).
 */
#ifndef KUMO_DOMAIN_BUILD_H
#define KUMO_DOMAIN_BUILD_H

#include <kumo/domain.h>

struct build_module {
    const void *data;
    size_t len;
    const char *cmdline;
};

struct pvh_build_args {
    const char *name;
    bool privileged;
    uint64_t memory;                    /* bytes */
    unsigned int vcpus;
    uint64_t cpumask;                   /* pCPUs allowed; 0 = all */
    struct sched_args {                 /* scheduling parameters given (others: defaults) */
        bool has_weight, has_cap, has_period, has_slice, has_extra;
        unsigned int weight, cap;
        s_time_t period, slice;
        bool extra;
    } sched;
    const void *kernel;
    size_t kernel_len;
    const char *cmdline;
    unsigned int nr_modules;
    const struct build_module *modules;
};

/*
 * Creates, fills and unpauses a PVH domain. Returns it, or NULL with *why set and nothing
 * left allocated.
 */
struct domain *pvh_build(const struct pvh_build_args *a, const char **why);

/* Builds Dom0 from the first boot module and the "domU ..." modules; reports each. */
void build_boot_domains(void);

/* Dom0 stopped: poweroff, reboot, or report the crash (kernel/shutdown handling). */
void dom0_stopped(struct domain *d);

#endif
