/*
 * domctl, sysctl and xen_version through the platform: each structure (and every buffer
 * it points to) is copied into a hypercall buffer, the call made, the answer copied back.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ctl/ctl.h"
#include "plat/plat.h"

int ctl_open(void)
{
    return plat_open();
}

/* One hypercall on a copy of op (len bytes) in a hypercall buffer, op's address its first
 * argument or, after a sub-op number (memory_op, hvm_op), its second; op gets the answer. */
static long bounce(unsigned int hc, const unsigned int *subop, void *op, size_t len)
{
    void *b = plat_buf_alloc(len);
    uint64_t addr = (uint64_t)(uintptr_t)b;
    long rc;

    if (!b)
        return -ENOMEM;
    memcpy(b, op, len);
    rc = subop ? plat_hypercall(hc, *subop, addr, 0, 0, 0) : plat_hypercall(hc, addr, 0, 0, 0, 0);
    memcpy(op, b, len);
    plat_buf_free(b, len);
    return rc;
}

static long bounce_call(unsigned int hc, void *op, size_t len)
{
    return bounce(hc, NULL, op, len);
}

static long domctl(uint32_t cmd, uint32_t domid, struct xen_domctl *op)
{
    op->cmd = cmd;
    op->domain = (domid_t)domid;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return bounce_call(__HYPERVISOR_domctl, op, sizeof(*op));
}

static long sysctl(uint32_t cmd, struct xen_sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return bounce_call(__HYPERVISOR_sysctl, op, sizeof(*op));
}

int ctl_sched_credit_pool(struct xen_sysctl_credit_schedule *p, bool set)
{
    struct xen_sysctl op = { 0 };
    long rc;

    op.u.scheduler_op.cpupool_id = 0;
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = set ? XEN_SYSCTL_SCHEDOP_putinfo : XEN_SYSCTL_SCHEDOP_getinfo;
    op.u.scheduler_op.u.sched_credit = *p;
    rc = sysctl(XEN_SYSCTL_scheduler_op, &op);
    if (!rc)
        *p = op.u.scheduler_op.u.sched_credit;
    return (int)rc;
}

int ctl_physinfo(struct xen_sysctl_physinfo *pi)
{
    struct xen_sysctl op = { 0 };
    long rc = sysctl(XEN_SYSCTL_physinfo, &op);

    if (!rc)
        *pi = op.u.physinfo;
    return (int)rc;
}

int ctl_sched_id(uint32_t *sched_id)
{
    struct xen_sysctl op = { 0 };
    long rc = sysctl(XEN_SYSCTL_sched_id, &op);

    if (!rc)
        *sched_id = op.u.sched_id.sched_id;
    return (int)rc;
}

int ctl_domain_list(uint32_t first, xen_domctl_getdomaininfo_t *info, unsigned int max)
{
    struct xen_sysctl op = { 0 };
    size_t len = (size_t)max * sizeof(*info);
    void *b = plat_buf_alloc(len);
    long rc;

    if (!b)
        return -ENOMEM;
    op.u.getdomaininfolist.first_domain = (domid_t)first;
    op.u.getdomaininfolist.max_domains = max;
    op.u.getdomaininfolist.buffer.p = b;
    rc = sysctl(XEN_SYSCTL_getdomaininfolist, &op);
    if (!rc) {
        rc = op.u.getdomaininfolist.num_domains;
        if (rc > (long)max)
            rc = -EIO;                  /* the hypervisor wrote past what it was given */
        else
            memcpy(info, b, (size_t)rc * sizeof(*info));
    }
    plat_buf_free(b, len);
    return (int)rc;
}

int ctl_domain_info(uint32_t domid, xen_domctl_getdomaininfo_t *info)
{
    struct xen_domctl op = { 0 };
    long rc = domctl(XEN_DOMCTL_getdomaininfo, domid, &op);

    /* Xen answers the first domain at or above the one asked. */
    if (!rc && op.u.getdomaininfo.domain != domid)
        rc = -ESRCH;
    if (!rc)
        *info = op.u.getdomaininfo;
    return (int)rc;
}

int ctl_vcpu_info(uint32_t domid, uint32_t vcpu, struct xen_domctl_getvcpuinfo *info)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.getvcpuinfo.vcpu = vcpu;
    rc = domctl(XEN_DOMCTL_getvcpuinfo, domid, &op);
    if (!rc)
        *info = op.u.getvcpuinfo;
    return (int)rc;
}

/* One of the two affinities (XEN_VCPUAFFINITY_HARD or _SOFT) through a 64-bit cpumap. */
static int vcpu_affinity(uint32_t domid, uint32_t vcpu, uint32_t which, uint64_t *mask,
                         bool set)
{
    struct xen_domctl op = { 0 };
    struct xenctl_bitmap *map = which == XEN_VCPUAFFINITY_HARD ? &op.u.vcpuaffinity.cpumap_hard
                                                               : &op.u.vcpuaffinity.cpumap_soft;
    uint64_t *b = plat_buf_alloc(sizeof(*b));
    long rc;

    if (!b)
        return -ENOMEM;
    *b = set ? *mask : 0;
    op.u.vcpuaffinity.vcpu = vcpu;
    op.u.vcpuaffinity.flags = which;
    map->bitmap.p = (uint8_t *)b;
    map->nr_bits = 64;
    rc = domctl(set ? XEN_DOMCTL_setvcpuaffinity : XEN_DOMCTL_getvcpuaffinity, domid, &op);
    if (!rc)
        *mask = *b;
    plat_buf_free(b, sizeof(*b));
    return (int)rc;
}

int ctl_vcpu_affinity(uint32_t domid, uint32_t vcpu, uint64_t *mask, bool set)
{
    return vcpu_affinity(domid, vcpu, XEN_VCPUAFFINITY_HARD, mask, set);
}

int ctl_vcpu_soft_affinity(uint32_t domid, uint32_t vcpu, uint64_t *mask, bool set)
{
    return vcpu_affinity(domid, vcpu, XEN_VCPUAFFINITY_SOFT, mask, set);
}

#define SCHED_PARAMS_OFFSET offsetof(struct xen_domctl, u.scheduler_op.u)

static long sched_op(uint32_t domid, uint32_t sched_id, void *params, size_t len, bool set)
{
    struct xen_domctl op = { 0 };
    /* SEDF's parameters outgrow Xen's scheduler union, not struct xen_domctl's. */
    char *where = (char *)&op + SCHED_PARAMS_OFFSET;
    long rc;

    op.u.scheduler_op.sched_id = sched_id;
    op.u.scheduler_op.cmd = set ? XEN_DOMCTL_SCHEDOP_putinfo : XEN_DOMCTL_SCHEDOP_getinfo;
    memcpy(where, params, len);
    rc = domctl(XEN_DOMCTL_scheduler_op, domid, &op);
    if (!rc && !set)
        memcpy(params, where, len);
    return rc;
}

int ctl_sched_credit(uint32_t domid, struct xen_domctl_sched_credit *p, bool set)
{
    return (int)sched_op(domid, XEN_SCHEDULER_CREDIT, p, sizeof(*p), set);
}

int ctl_sched_sedf(uint32_t domid, struct kumo_domctl_sched_sedf *p, bool set)
{
    _Static_assert(SCHED_PARAMS_OFFSET + sizeof(*p) <= sizeof(struct xen_domctl), "fits");
    return (int)sched_op(domid, KUMO_SCHEDULER_SEDF, p, sizeof(*p), set);
}

int ctl_pause(uint32_t domid)
{
    struct xen_domctl op = { 0 };

    return (int)domctl(XEN_DOMCTL_pausedomain, domid, &op);
}

int ctl_unpause(uint32_t domid)
{
    struct xen_domctl op = { 0 };

    return (int)domctl(XEN_DOMCTL_unpausedomain, domid, &op);
}

int ctl_destroy(uint32_t domid)
{
    struct xen_domctl op = { 0 };

    return (int)domctl(XEN_DOMCTL_destroydomain, domid, &op);
}

int ctl_readconsole(char *buf, uint32_t *count, bool clear, uint32_t *index)
{
    struct xen_sysctl op = { 0 };
    char *b = plat_buf_alloc(*count);
    long rc;

    if (!b)
        return -ENOMEM;
    op.u.readconsole.clear = clear;
    op.u.readconsole.incremental = 1;
    op.u.readconsole.index = *index;
    op.u.readconsole.buffer.p = b;
    op.u.readconsole.count = *count;
    rc = sysctl(XEN_SYSCTL_readconsole, &op);
    if (!rc && op.u.readconsole.count > *count)
        rc = -EIO;
    if (!rc) {
        memcpy(buf, b, op.u.readconsole.count);
        *count = op.u.readconsole.count;
        *index = op.u.readconsole.index;
    }
    plat_buf_free(b, *count);
    return (int)rc;
}

int ctl_debug_keys(const char *keys)
{
    struct xen_sysctl op = { 0 };
    size_t len = strlen(keys);
    char *b = plat_buf_alloc(len + 1);
    long rc;

    if (!b)
        return -ENOMEM;
    memcpy(b, keys, len);
    op.u.debug_keys.keys.p = b;
    op.u.debug_keys.nr_keys = (uint32_t)len;
    rc = sysctl(XEN_SYSCTL_debug_keys, &op);
    plat_buf_free(b, len + 1);
    return (int)rc;
}

int ctl_domain_name(uint32_t domid, char *name, size_t len)
{
    struct xen_sysctl op = { 0 };
    struct kumo_sysctl_domainname *n = (void *)&op.u;
    long rc;

    _Static_assert(sizeof(*n) <= sizeof(op.u), "fits the union");
    n->domid = (uint16_t)domid;
    rc = sysctl(KUMO_SYSCTL_getdomainname, &op);
    if (rc)
        return (int)rc;
    n->name[sizeof(n->name) - 1] = '\0';
    if (strlen(n->name) >= len)
        return -ENAMETOOLONG;
    strcpy(name, n->name);
    return 0;
}

/* xen_version with an output buffer of len bytes; the call's value or -errno. */
static long version_op(int cmd, void *out, size_t len)
{
    void *b = plat_buf_alloc(len);
    long rc;

    if (!b)
        return -ENOMEM;
    rc = plat_hypercall(__HYPERVISOR_xen_version, (uint64_t)cmd, (uint64_t)(uintptr_t)b, 0, 0,
                        0);
    if (rc >= 0 && out)
        memcpy(out, b, len);
    plat_buf_free(b, len);
    return rc;
}

int ctl_version(struct ctl_version *v)
{
    xen_platform_parameters_t pp = { 0 };
    long ver = version_op(XENVER_version, NULL, 8);
    long page;

    memset(v, 0, sizeof(*v));
    if (ver < 0)
        return (int)ver;
    v->major = (int)(ver >> 16);
    v->minor = (int)(ver & 0xffff);
    version_op(XENVER_extraversion, v->extra, sizeof(v->extra));
    version_op(XENVER_capabilities, v->caps, sizeof(v->caps));
    version_op(XENVER_changeset, v->changeset, sizeof(v->changeset));
    version_op(XENVER_commandline, v->cmdline, sizeof(v->cmdline));
    version_op(XENVER_compile_info, &v->compile, sizeof(v->compile));
    if (version_op(XENVER_platform_parameters, &pp, sizeof(pp)) >= 0)
        v->virt_start = pp.virt_start;
    page = version_op(XENVER_pagesize, NULL, 8);
    v->pagesize = page > 0 ? (unsigned long)page : 4096;
    v->extra[sizeof(v->extra) - 1] = v->caps[sizeof(v->caps) - 1] = '\0';
    v->changeset[sizeof(v->changeset) - 1] = v->cmdline[sizeof(v->cmdline) - 1] = '\0';
    return 0;
}

long ctl_domctl(uint32_t cmd, uint32_t domid, struct xen_domctl *op)
{
    return domctl(cmd, domid, op);
}

long ctl_bounce_subop(unsigned int hc, unsigned int subop, void *op, size_t len)
{
    return bounce(hc, &subop, op, len);
}
