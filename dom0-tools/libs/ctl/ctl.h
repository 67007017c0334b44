/*
 * Typed control operations (libxc's role, STYLE.md libs/ctl): domctl, sysctl and version
 * queries with Xen 4.17's layouts from libxen-dev (interface version 0x15), plus kumo's
 * own from include/public/kumo.h, each bounced through hypercall buffers of libs/plat.
 * Every call returns 0 (or a count) or a negative errno; nothing is printed here.
 */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/version.h>
#include <kumo.h>

/* Opens the platform; 0 or -errno. */
int ctl_open(void);

int ctl_physinfo(struct xen_sysctl_physinfo *pi);
int ctl_sched_id(uint32_t *sched_id);

/* Domains with id >= first, at most max, in id order: the count, or -errno. */
int ctl_domain_list(uint32_t first, xen_domctl_getdomaininfo_t *info, unsigned int max);
/* Exactly domid (-ESRCH when it does not exist). */
int ctl_domain_info(uint32_t domid, xen_domctl_getdomaininfo_t *info);
int ctl_vcpu_info(uint32_t domid, uint32_t vcpu, struct xen_domctl_getvcpuinfo *info);
/* Hard affinity as a mask of pCPUs (kumo has at most 64): read, or set and read back. */
int ctl_vcpu_affinity(uint32_t domid, uint32_t vcpu, uint64_t *mask, bool set);

/* Scheduler parameters: read into *p, or write *p (credit: a zero weight keeps it). */
int ctl_sched_credit(uint32_t domid, struct xen_domctl_sched_credit *p, bool set);
int ctl_sched_sedf(uint32_t domid, struct kumo_domctl_sched_sedf *p, bool set);

int ctl_pause(uint32_t domid);
int ctl_unpause(uint32_t domid);
/* Starts the destruction; the domain is gone once ctl_domain_info says -ESRCH. */
int ctl_destroy(uint32_t domid);

/* The hypervisor's bound on the domain's memory (XEN_DOMCTL_max_mem), in KiB. */
int ctl_max_mem(uint32_t domid, uint64_t max_memkb);
/* Another domain's HVM parameter (HVMOP_get_param, as xc_hvm_param_get). */
int ctl_hvm_param_get(uint32_t domid, uint32_t index, uint64_t *value);

/*
 * The hypervisor's console ring, read incrementally from *index (0 = from the oldest
 * byte): up to *count bytes into buf; *count and *index are updated. clear forgets what
 * was read.
 */
int ctl_readconsole(char *buf, uint32_t *count, bool clear, uint32_t *index);
int ctl_debug_keys(const char *keys);
/* The name the hypervisor gave domid at boot (kumo's sysctl). */
int ctl_domain_name(uint32_t domid, char *name, size_t len);

struct ctl_version {
    int major, minor;
    xen_extraversion_t extra;
    xen_capabilities_info_t caps;
    xen_changeset_info_t changeset;
    xen_commandline_t cmdline;
    xen_compile_info_t compile;
    unsigned long pagesize;
    uint64_t virt_start;
};
/* What `xl info` shows of the hypervisor; fields it does not answer stay empty. */
int ctl_version(struct ctl_version *v);

#endif
