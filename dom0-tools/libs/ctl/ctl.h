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
/* Pool-0's credit parameters (XEN_SYSCTL_scheduler_op): read, or set and read back. */
int ctl_sched_credit_pool(struct xen_sysctl_credit_schedule *p, bool set);

/* Domains with id >= first, at most max, in id order: the count, or -errno. */
int ctl_domain_list(uint32_t first, xen_domctl_getdomaininfo_t *info, unsigned int max);
/* Exactly domid (-ESRCH when it does not exist). */
int ctl_domain_info(uint32_t domid, xen_domctl_getdomaininfo_t *info);
int ctl_vcpu_info(uint32_t domid, uint32_t vcpu, struct xen_domctl_getvcpuinfo *info);
/* Hard affinity as a mask of pCPUs (kumo has at most 64): read, or set and read back. */
int ctl_vcpu_affinity(uint32_t domid, uint32_t vcpu, uint64_t *mask, bool set);
/* Soft affinity: set returns the effective one (within hard), get the one set. */
int ctl_vcpu_soft_affinity(uint32_t domid, uint32_t vcpu, uint64_t *mask, bool set);

/* Scheduler parameters: read into *p, or write *p (credit: a zero weight keeps it). */
int ctl_sched_credit(uint32_t domid, struct xen_domctl_sched_credit *p, bool set);
int ctl_sched_sedf(uint32_t domid, struct kumo_domctl_sched_sedf *p, bool set);

int ctl_pause(uint32_t domid);
int ctl_unpause(uint32_t domid);
/* Starts the destruction; the domain is gone once ctl_domain_info says -ESRCH. */
int ctl_destroy(uint32_t domid);

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

/* ---- Building domains (ctl_build.c): Xen 4.17's calls, as libxc makes them. ---- */

/*
 * XEN_DOMCTL_createdomain: *domid in is the id wanted (0: the hypervisor picks), out the
 * new domain's. The domain starts paused, without memory. 0 or -errno.
 */
int ctl_domain_create(struct xen_domctl_createdomain *c, uint32_t *domid);
/* XEN_DOMCTL_max_vcpus: makes the vCPUs (max must be createdomain's max_vcpus). */
int ctl_max_vcpus(uint32_t domid, uint32_t max);
/* XEN_DOMCTL_max_mem, in KiB. */
int ctl_max_mem(uint32_t domid, uint64_t max_kb);
/*
 * XENMEM_populate_physmap for domid: n extents of 2^order pages at gfns[i]. The number of
 * extents populated (less than n when memory ran out), or -errno.
 */
long ctl_populate_physmap(uint32_t domid, const uint64_t *gfns, unsigned int n,
                          unsigned int order);
/* XENMEM_maximum_gpfn: the domain's highest GFN in use. */
long ctl_maximum_gpfn(uint32_t domid);

/* An e820 entry as XENMEM_set_memory_map takes it (libxc's struct e820entry). */
struct ctl_e820 {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));
int ctl_set_memory_map(uint32_t domid, const struct ctl_e820 *map, unsigned int n);

/* HVMOP_set_param / HVMOP_get_param on domid. */
int ctl_hvm_param_set(uint32_t domid, uint32_t index, uint64_t value);
int ctl_hvm_param_get(uint32_t domid, uint32_t index, uint64_t *value);

/*
 * XEN_DOMCTL_gethvmcontext: with buf NULL, *size gets the size the whole context needs;
 * else up to *size bytes into buf and *size the bytes written.
 */
int ctl_hvmcontext_get(uint32_t domid, void *buf, uint32_t *size);
/* XEN_DOMCTL_gethvmcontext_partial: the record type/instance (without its descriptor). */
int ctl_hvmcontext_get_partial(uint32_t domid, uint16_t type, uint16_t instance, void *buf,
                               uint32_t len);
/* XEN_DOMCTL_sethvmcontext: records (descriptor + body each), the last one END. */
int ctl_hvmcontext_set(uint32_t domid, const void *buf, uint32_t size);

/* EVTCHNOP_alloc_unbound in domid for remote: the new port, or -errno. */
int ctl_evtchn_alloc_unbound(uint32_t domid, uint32_t remote);

/* For the library's own files: one domctl, or one sub-op of a hypercall (memory_op, hvm_op)
 * on a bounced structure. */
long ctl_domctl(uint32_t cmd, uint32_t domid, struct xen_domctl *op);
long ctl_bounce_subop(unsigned int hc, unsigned int subop, void *op, size_t len);

#endif
