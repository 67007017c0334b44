/*
 * The calls a domain builder makes on the domain it builds (Xen 4.17's, as libxc makes
 * them): createdomain, max_mem, populate_physmap, the memory map, HVM params, the HVM
 * context and event channels allocated on its behalf. Arrays a call points to are
 * bounced through hypercall buffers like the structures themselves.
 */
#include <errno.h>
#include <string.h>

#include "ctl/ctl.h"
#include "plat/plat.h"

#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>

int ctl_domain_create(struct xen_domctl_createdomain *c, uint32_t *domid)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.createdomain = *c;
    rc = ctl_domctl(XEN_DOMCTL_createdomain, *domid, &op);
    if (!rc) {
        *domid = op.domain;
        *c = op.u.createdomain;
    }
    return (int)rc;
}

int ctl_max_vcpus(uint32_t domid, uint32_t max)
{
    struct xen_domctl op = { 0 };

    op.u.max_vcpus.max = max;
    return (int)ctl_domctl(XEN_DOMCTL_max_vcpus, domid, &op);
}

int ctl_max_mem(uint32_t domid, uint64_t max_kb)
{
    struct xen_domctl op = { 0 };

    op.u.max_mem.max_memkb = max_kb;
    return (int)ctl_domctl(XEN_DOMCTL_max_mem, domid, &op);
}

long ctl_populate_physmap(uint32_t domid, const uint64_t *gfns, unsigned int n,
                          unsigned int order)
{
    struct xen_memory_reservation r = { 0 };
    size_t len = (size_t)n * sizeof(xen_pfn_t);
    xen_pfn_t *b = plat_buf_alloc(len);
    long rc;

    if (!b)
        return -ENOMEM;
    for (unsigned int i = 0; i < n; i++)
        b[i] = gfns[i];
    set_xen_guest_handle(r.extent_start, b);
    r.nr_extents = n;
    r.extent_order = order;
    r.domid = (domid_t)domid;
    rc = ctl_bounce_subop(__HYPERVISOR_memory_op, XENMEM_populate_physmap, &r, sizeof(r));
    plat_buf_free(b, len);
    return rc;
}

long ctl_maximum_gpfn(uint32_t domid)
{
    domid_t id = (domid_t)domid;

    return ctl_bounce_subop(__HYPERVISOR_memory_op, XENMEM_maximum_gpfn, &id, sizeof(id));
}

int ctl_set_memory_map(uint32_t domid, const struct ctl_e820 *map, unsigned int n)
{
    struct xen_foreign_memory_map fmap = { 0 };
    size_t len = (size_t)n * sizeof(*map);
    void *b = plat_buf_alloc(len);
    long rc;

    if (!b)
        return -ENOMEM;
    memcpy(b, map, len);
    fmap.domid = (domid_t)domid;
    fmap.map.nr_entries = n;
    set_xen_guest_handle(fmap.map.buffer, b);
    rc = ctl_bounce_subop(__HYPERVISOR_memory_op, XENMEM_set_memory_map, &fmap,
                          sizeof(fmap));
    plat_buf_free(b, len);
    return (int)rc;
}

int ctl_hvm_param_set(uint32_t domid, uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = (domid_t)domid, .index = index, .value = value };

    return (int)ctl_bounce_subop(__HYPERVISOR_hvm_op, HVMOP_set_param, &p, sizeof(p));
}

int ctl_hvm_param_get(uint32_t domid, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = (domid_t)domid, .index = index };
    long rc = ctl_bounce_subop(__HYPERVISOR_hvm_op, HVMOP_get_param, &p, sizeof(p));

    if (!rc)
        *value = p.value;
    return (int)rc;
}

int ctl_hvmcontext_get(uint32_t domid, void *buf, uint32_t *size)
{
    struct xen_domctl op = { 0 };
    uint32_t len = buf ? *size : 0;
    void *b = buf ? plat_buf_alloc(len) : NULL;
    long rc;

    if (buf && !b)
        return -ENOMEM;
    op.u.hvmcontext.size = buf ? *size : 0;
    set_xen_guest_handle(op.u.hvmcontext.buffer, (uint8_t *)b);
    rc = ctl_domctl(XEN_DOMCTL_gethvmcontext, domid, &op);
    if (!rc && buf && op.u.hvmcontext.size > *size)
        rc = -EIO;                      /* the hypervisor wrote past what it was given */
    if (!rc && buf)
        memcpy(buf, b, op.u.hvmcontext.size);
    if (!rc)
        *size = op.u.hvmcontext.size;
    plat_buf_free(b, len);
    return (int)rc;
}

int ctl_hvmcontext_get_partial(uint32_t domid, uint16_t type, uint16_t instance, void *buf,
                               uint32_t len)
{
    struct xen_domctl op = { 0 };
    void *b = plat_buf_alloc(len);
    long rc;

    if (!b)
        return -ENOMEM;
    op.u.hvmcontext_partial.type = type;
    op.u.hvmcontext_partial.instance = instance;
    op.u.hvmcontext_partial.bufsz = len;
    set_xen_guest_handle(op.u.hvmcontext_partial.buffer, (uint8_t *)b);
    rc = ctl_domctl(XEN_DOMCTL_gethvmcontext_partial, domid, &op);
    if (!rc)
        memcpy(buf, b, len);
    plat_buf_free(b, len);
    return (int)rc;
}

int ctl_hvmcontext_set(uint32_t domid, const void *buf, uint32_t size)
{
    struct xen_domctl op = { 0 };
    void *b = plat_buf_alloc(size);
    long rc;

    if (!b)
        return -ENOMEM;
    memcpy(b, buf, size);
    op.u.hvmcontext.size = size;
    set_xen_guest_handle(op.u.hvmcontext.buffer, (uint8_t *)b);
    rc = ctl_domctl(XEN_DOMCTL_sethvmcontext, domid, &op);
    plat_buf_free(b, size);
    return (int)rc;
}

int ctl_evtchn_alloc_unbound(uint32_t domid, uint32_t remote)
{
    struct evtchn_alloc_unbound a = { .dom = (domid_t)domid, .remote_dom = (domid_t)remote };
    long rc = ctl_bounce_subop(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a,
                               sizeof(a));

    return rc ? (int)rc : (int)a.port;
}
