/*
 * The memory_op calls a toolstack makes on the domains it builds and serves, as Xen 4.17
 * answers them: XENMEM_add_to_physmap_batch (foreign mapping, what Linux's privcmd uses on
 * an auto-translated Dom0), XENMEM_remove_from_physmap, XENMEM_set_memory_map, and
 * XENMEM_acquire_resource, which kumo does not offer (-EOPNOTSUPP, so libxenguest takes its
 * compat path). What each frame holds is kernel/physmap.c's and physmap_foreign.c's.
 */
#include <asm/irq.h>
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/mm.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>

/* Entries done per call before a continuation gives the caller's vCPU back. */
#define BATCH_CHUNK 256

/*
 * Xen's rcu_lock_remote_domain_by_id(): the caller's own domain is -EPERM, DOMID_SELF and
 * other reserved ids are unknown (-ESRCH); DOMID_XEN is Xen's heap, of which kumo shares
 * nothing with Dom0 (-EINVAL, as Xen answers for a page it does not share).
 */
static int foreign_domain(struct vcpu *v, domid_t domid, struct domain **fd)
{
    if (domid == DOMID_XEN)
        return -XEN_EINVAL;
    if (domid == v->domain->domid)
        return -XEN_EPERM;
    *fd = domain_lookup(domid);
    return *fd ? 0 : -XEN_ESRCH;
}

/* One entry's result: shared_info of d itself, or a foreign page; other spaces find nothing. */
static int map_one(struct vcpu *v, struct domain *d, const struct xen_add_to_physmap_batch *b,
                   unsigned long idx, unsigned long gpfn)
{
    struct domain *fd;
    unsigned long flags;
    int rc;

    if (b->space == XENMAPSPACE_shared_info) {
        if (idx != 0 || gpfn >= P2M_MAX_GFN)
            return -XEN_EINVAL;
        spin_lock_irqsave(&d->page_lock, flags);
        rc = physmap_set_shared_info(d, gpfn);
        spin_unlock_irqrestore(&d->page_lock, flags);
        return rc;
    }
    if (b->space != XENMAPSPACE_gmfn_foreign)
        return -XEN_EINVAL;
    /* Only the hardware domain holds foreign mappings (Xen: arch_acquire_resource_check). */
    if (!d->privileged)
        return -XEN_EPERM;
    rc = foreign_domain(v, b->u.foreign_domid, &fd);
    if (rc)
        return rc;
    rc = physmap_add_foreign(d, fd, idx, gpfn);
    domain_put(fd);
    return rc;
}

/*
 * Per-entry results in errs[]; the call itself fails only when the lists cannot be read or
 * written (-EFAULT) or a continuation's start is wrong (-EILSEQ, as Xen). A DomU naming
 * another domain is -EPERM; one mapping a foreign page into itself gets -EPERM per entry.
 */
long memop_add_to_physmap_batch(struct vcpu *v, unsigned long start, uint64_t arg)
{
    struct xen_add_to_physmap_batch b;
    struct domain *d;
    unsigned long i;
    long rc;

    if (copy_from_guest_virt(v, &b, arg, sizeof(b)))
        return -XEN_EFAULT;
    if (b.space == XENMAPSPACE_gmfn_range)
        return -XEN_EOPNOTSUPP;
    if (b.size < start || (b.size == start && start))
        return -XEN_EILSEQ;
    rc = memop_domain(v, b.domid, &d);
    if (rc)
        return rc;
    for (i = start; i < b.size; i++) {
        xen_ulong_t idx;
        xen_pfn_t gpfn;
        int err;

        if (i - start == BATCH_CHUNK && !v->in_multicall) {
            hypercall_create_continuation(v, __HYPERVISOR_memory_op,
                                          XENMEM_add_to_physmap_batch |
                                              ((uint64_t)i << MEMOP_EXTENT_SHIFT), arg);
            break;
        }
        if (copy_from_guest_virt(v, &idx, (uint64_t)(uintptr_t)b.idxs.p + i * sizeof(idx),
                                 sizeof(idx)) ||
            copy_from_guest_virt(v, &gpfn, (uint64_t)(uintptr_t)b.gpfns.p + i * sizeof(gpfn),
                                 sizeof(gpfn))) {
            rc = -XEN_EFAULT;
            break;
        }
        err = map_one(v, d, &b, (unsigned long)idx, (unsigned long)gpfn);
        if (copy_to_guest_virt(v, (uint64_t)(uintptr_t)b.errs.p + i * sizeof(err), &err,
                               sizeof(err))) {
            rc = -XEN_EFAULT;
            break;
        }
    }
    domain_put(d);
    return rc;
}

/*
 * Whatever gpfn holds leaves the domain: a foreign mapping drops its reference, RAM is
 * freed (Xen keeps it allocated but unmapped until the domain dies), shared_info is
 * unhooked; -ENOENT when nothing is there. Flushed before the call returns.
 */
long memop_remove_from_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_remove_from_physmap r;
    struct list_head taken = LIST_HEAD_INIT(taken);
    struct domain *d;
    unsigned long flags;
    long rc;

    if (copy_from_guest_virt(v, &r, arg, sizeof(r)))
        return -XEN_EFAULT;
    rc = memop_domain(v, r.domid, &d);
    if (rc)
        return rc;
    spin_lock_irqsave(&d->page_lock, flags);
    if (r.gpfn >= P2M_MAX_GFN || !physmap_remove(d, (unsigned long)r.gpfn, &taken))
        rc = -XEN_ENOENT;
    domain_put_taken(d, &taken);
    spin_unlock_irqrestore(&d->page_lock, flags);
    domain_put(d);
    return rc;
}

/* Xen's e820entry in the caller's buffer (20 bytes, packed). */
struct memmap_entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

/* The map XENMEM_memory_map answers d with. kumo keeps 16 entries (Xen 1024): more is -EINVAL. */
long memop_set_memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_foreign_memory_map fmap;
    struct domain_e820 e820[ARRAY_SIZE(((struct domain *)0)->e820)];
    struct domain *d;
    unsigned long flags;
    long rc;

    if (copy_from_guest_virt(v, &fmap, arg, sizeof(fmap)))
        return -XEN_EFAULT;
    if (fmap.map.nr_entries > ARRAY_SIZE(e820))
        return -XEN_EINVAL;
    rc = memop_domain(v, fmap.domid, &d);
    if (rc)
        return rc;
    for (unsigned int i = 0; i < fmap.map.nr_entries; i++) {
        struct memmap_entry e;

        if (copy_from_guest_virt(v, &e, (uint64_t)(uintptr_t)fmap.map.buffer.p + i * sizeof(e),
                                 sizeof(e))) {
            domain_put(d);
            return -XEN_EFAULT;
        }
        e820[i] = (struct domain_e820){ e.addr, e.size, e.type };
    }
    spin_lock_irqsave(&d->page_lock, flags);
    memcpy(d->e820, e820, fmap.map.nr_entries * sizeof(e820[0]));
    d->nr_e820 = fmap.map.nr_entries;
    spin_unlock_irqrestore(&d->page_lock, flags);
    domain_put(d);
    return 0;
}

/* Xen's checks come first (a remote domain the caller may map); no resource type exists. */
long memop_acquire_resource(struct vcpu *v, uint64_t arg)
{
    struct xen_mem_acquire_resource r;
    struct domain *d;
    int rc;

    if (copy_from_guest_virt(v, &r, arg, sizeof(r)))
        return -XEN_EFAULT;
    rc = foreign_domain(v, r.domid, &d);
    if (rc)
        return rc == -XEN_EINVAL ? -XEN_EOPNOTSUPP : rc;
    rc = v->domain->privileged ? -XEN_EOPNOTSUPP : -XEN_EPERM;
    domain_put(d);
    return rc;
}
