/*
 * The balloon: XENMEM_decrease_reservation and XENMEM_populate_physmap on the caller's own
 * domain, as Xen 4.17 answers an HVM guest, and the toolstack's on a domain it builds. The result is the number of extents done: a
 * bad argument, an unreadable extent list, a frame that cannot go or come stops the call
 * there, and the caller sees how far it got. kumo does not preempt these calls; one
 * call's work is bounded by the domain's size (max_pages to fill, tot_pages to give).
 */
#include <asm/irq.h>
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/mm.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>

#define UINT_MAX 0xFFFFFFFFu

/* Xen's default CONFIG_DOMU_MAX_ORDER and CONFIG_{CTLDOM,HWDOM}_MAX_ORDER. */
static unsigned int max_order(const struct domain *d)
{
    return d->privileged ? 12 : 9;
}

/* Extent i's GFN from the guest's list; read outside page_lock, which guest copies take. */
static bool read_extent(struct vcpu *v, const struct xen_memory_reservation *r, unsigned long i,
                        xen_pfn_t *gfn)
{
    uint64_t at = (uint64_t)(uintptr_t)r->extent_start.p + i * sizeof(*gfn);

    return !copy_from_guest_virt(v, gfn, at, sizeof(*gfn));
}

static unsigned long decrease(struct vcpu *v, struct domain *d,
                              const struct xen_memory_reservation *r, unsigned long i)
{
    struct list_head freed = LIST_HEAD_INIT(freed);
    unsigned long flags;
    bool ok = true;

    for (; ok && i < r->nr_extents; i++) {
        xen_pfn_t gfn;

        if (!read_extent(v, r, i, &gfn))
            break;
        spin_lock_irqsave(&d->page_lock, flags);
        for (unsigned long j = 0; ok && j < (1UL << r->extent_order); j++)
            ok = physmap_remove(d, (unsigned long)gfn + j, &freed);
        spin_unlock_irqrestore(&d->page_lock, flags);
        if (!ok)
            break;
    }
    /* Also when only shared_info went: its old translation must be gone on return. */
    spin_lock_irqsave(&d->page_lock, flags);
    domain_put_taken(d, &freed);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return i;
}

static unsigned long populate(struct vcpu *v, struct domain *d,
                              const struct xen_memory_reservation *r, unsigned long i)
{
    unsigned int bits = XENMEMF_get_address_bits(r->mem_flags);
    uint64_t max_addr = bits && bits < 52 ? 1ULL << bits : 0;
    unsigned long flags;

    for (; i < r->nr_extents; i++) {
        xen_pfn_t gfn;
        int rc;

        if (!read_extent(v, r, i, &gfn))
            break;
        spin_lock_irqsave(&d->page_lock, flags);
        rc = domain_populate_gfn(d, (unsigned long)gfn, r->extent_order, max_addr);
        spin_unlock_irqrestore(&d->page_lock, flags);
        if (rc)
            break;
    }
    return i;
}

long memory_reservation_op(struct vcpu *v, unsigned int op, unsigned long start, uint64_t arg)
{
    struct xen_memory_reservation r;
    struct domain *d;
    unsigned int bits;
    long done = (long)start;

    if (copy_from_guest_virt(v, &r, arg, sizeof(r)) ||
        r.nr_extents > (UINT_MAX >> MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return (long)start;
    bits = XENMEMF_get_address_bits(r.mem_flags);
    if ((bits && bits <= PAGE_SHIFT) || (r.mem_flags & XENMEMF_vnode) ||
        r.extent_order > max_order(v->domain))
        return (long)start;
    /*
     * Another domain's memory is its toolstack's (a privileged caller, holding a counted
     * reference); Xen answers anyone else, or an unknown domain, with no extent done.
     */
    d = domain_lookup_or_self(v->domain, r.domid);
    if (!d)
        return (long)start;
    if (d != v->domain && !v->domain->privileged) {
        domain_put(d);
        return (long)start;
    }
    switch (op) {
    case XENMEM_decrease_reservation:
        done = (long)decrease(v, d, &r, start);
        break;
    case XENMEM_populate_physmap:
        /* No populate-on-demand in kumo: Xen refuses it on oneself at the first extent. */
        if (!(r.mem_flags & XENMEMF_populate_on_demand))
            done = (long)populate(v, d, &r, start);
        break;
    }
    domain_put(d);
    if (op != XENMEM_increase_reservation)
        return done;
    /*
     * increase_reservation: Xen would allocate frames an auto-translated guest cannot
     * map; kumo allocates none and says so (no extent done).
     */
    return (long)start;
}
