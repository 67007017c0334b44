/*
 * Boot options that shape Dom0 and the scheduler, parsed with Xen's syntax now so that the
 * command line is stable before the domain builder and schedulers exist.
 */
#ifndef KUMO_DOM0_H
#define KUMO_DOM0_H

#include <kumo/types.h>

struct dom0_options {
    uint64_t mem;           /* dom0_mem=<amt>: bytes, 0 = default */
    uint64_t mem_min;       /* dom0_mem=min:<amt> */
    uint64_t mem_max;       /* dom0_mem=max:<amt> */
    unsigned int max_vcpus_min, max_vcpus_max;  /* dom0_max_vcpus=<n> or <min>-<max> */
    char sched[16];         /* sched=credit|sedf */
};

extern struct dom0_options dom0_opts;

/* Xen's dom0_mem=[min:<amt>,][max:<amt>,][<amt>]: 0 or -EINVAL. */
int parse_dom0_mem(const char *s, struct dom0_options *o);
/* Xen's dom0_max_vcpus=<n> | <min>-<max>: 0 or -EINVAL. */
int parse_dom0_max_vcpus(const char *s, struct dom0_options *o);

/* Prints the options in effect (boot log). */
void dom0_params_report(void);

#endif
