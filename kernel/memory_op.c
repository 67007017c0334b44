/*
 * memory_op for PVH guests, answered as Xen 4.17 answers an HVM domain: add_to_physmap
 * (shared_info), the memory map the builder gave, the reservation figures, the balloon's
 * decrease_reservation/populate_physmap (memory_reservation.c) and the toolstack's
 * foreign mapping, memory map and physmap removal (memory_physmap.c).
 */
#include <asm/irq.h>
#include <asm/p2m.h>
#include <kumo/grant_table.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/mm.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>

/* Xen's e820entry: what XENMEM_memory_map's buffer holds (20 bytes, packed). */
struct xen_e820entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

long memop_domain(struct vcpu *v, domid_t domid, struct domain **d)
{
    *d = domain_lookup_or_self(v->domain, domid);
    if (!*d)
        return -XEN_ESRCH;
    if (*d != v->domain && !v->domain->privileged) {
        domain_put(*d);
        return -XEN_EPERM;
    }
    return 0;
}

/* Where shared_info goes is physmap's decision; the lock makes it one step. */
static long map_shared_info(struct domain *d, unsigned long gpfn)
{
    unsigned long flags;
    int rc;

    if (gpfn >= P2M_MAX_GFN)
        return -XEN_EINVAL;
    spin_lock_irqsave(&d->page_lock, flags);
    rc = physmap_set_shared_info(d, gpfn);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

static long add_to_physmap(struct vcpu *v, unsigned long start, uint64_t arg)
{
    struct xen_add_to_physmap xatp;
    struct domain *d;
    long rc;

    if (start != (uint16_t)start)       /* must fit xatp.size for a continuation */
        return -XEN_EDOM;
    if (copy_from_guest_virt(v, &xatp, arg, sizeof(xatp)))
        return -XEN_EFAULT;
    if (xatp.space == XENMAPSPACE_gmfn_foreign)
        return -XEN_ENOSYS;             /* only through add_to_physmap_batch, as in Xen */
    rc = memop_domain(v, xatp.domid, &d);
    /* Xen checks dev_mmio (the hardware domain's own; there is no device) before the caller. */
    if (rc != -XEN_ESRCH && xatp.space == XENMAPSPACE_dev_mmio) {
        if (!rc)
            domain_put(d);
        return -XEN_EACCES;
    }
    if (rc)
        return rc;
    if (xatp.space == XENMAPSPACE_shared_info && xatp.idx == 0)
        rc = map_shared_info(d, xatp.gpfn);
    else if (xatp.space == XENMAPSPACE_grant_table)
        rc = gnttab_map_frame(d, xatp.idx, xatp.gpfn);
    else
        rc = -XEN_EINVAL;               /* Xen finds no frame for an unknown space or index */
    domain_put(d);
    return rc;
}

static long memory_map(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->domain;
    struct xen_memory_map map;

    if (copy_from_guest_virt(v, &map, arg, sizeof(map)))
        return -XEN_EFAULT;
    if (!d->nr_e820)
        return -XEN_ENOSYS;             /* a domain no builder described, as in Xen */
    map.nr_entries = MIN(map.nr_entries, d->nr_e820);
    for (unsigned int i = 0; i < map.nr_entries; i++) {
        struct xen_e820entry e = { d->e820[i].addr, d->e820[i].size, d->e820[i].type };

        if (copy_to_guest_virt(v, (uint64_t)(uintptr_t)map.buffer.p + i * sizeof(e), &e, sizeof(e)))
            return -XEN_EFAULT;
    }
    return copy_to_guest_virt(v, arg, &map, sizeof(map)) ? -XEN_EFAULT : 0;
}

/* As Xen: the highest frame the p2m has ever mapped, not only those mapped now. */
static unsigned long maximum_gpfn(struct domain *d)
{
    return __atomic_load_n(&d->max_mapped_gfn, __ATOMIC_RELAXED);
}

static long reservation_figure(struct vcpu *v, unsigned int op, unsigned long start,
                               uint64_t arg)
{
    struct xen_memory_domain md;
    struct domain *d;
    long rc;

    if (start)
        return -XEN_EINVAL;
    if (copy_from_guest_virt(v, &md, arg, sizeof(md)))
        return -XEN_EFAULT;
    rc = memop_domain(v, md.domid, &d);
    if (rc)
        return rc;
    if (op == XENMEM_current_reservation)
        rc = (long)d->tot_pages;
    else if (op == XENMEM_maximum_reservation)
        rc = (long)d->max_pages;
    else
        rc = (long)maximum_gpfn(d);
    domain_put(d);
    return rc;
}

long do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                  uint64_t a5)
{
    /* The upper bits carry where a continuation starts (Xen's MEMOP_EXTENT_SHIFT). */
    unsigned int op = cmd & MEMOP_CMD_MASK;
    unsigned long start = (unsigned long)(cmd >> MEMOP_EXTENT_SHIFT);

    (void)a3, (void)a4, (void)a5;
    switch (op) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return memory_reservation_op(v, op, start, arg);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        return reservation_figure(v, op, start, arg);
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, start, arg);
    case XENMEM_add_to_physmap_batch:
        return memop_add_to_physmap_batch(v, start, arg);
    }
    /* Xen's x86 sub-ops match the whole cmd: start bits make them unknown. */
    switch (cmd) {
    case XENMEM_memory_map:
        return memory_map(v, arg);
    case XENMEM_set_memory_map:
        return memop_set_memory_map(v, arg);
    case XENMEM_remove_from_physmap:
        return memop_remove_from_physmap(v, arg);
    case XENMEM_acquire_resource:
        return memop_acquire_resource(v, arg);
    case XENMEM_get_sharing_freed_pages:
    case XENMEM_get_sharing_shared_pages:
        return 0;                       /* no page sharing: Xen without mem_sharing says 0 */
    }
    return -XEN_ENOSYS;
}
