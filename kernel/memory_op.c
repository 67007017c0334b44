/*
 * memory_op: for now only XENMEM_add_to_physmap of the shared_info page, which Linux
 * needs before anything else. The page is the hypervisor's and is mapped at the GFN the
 * guest chose; the RAM page that was there goes back to the heap.
 */
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/mm.h>
#include <kumo/xen_abi.h>

/* The sub-op is in the low 6 bits; the rest carries a continuation (Xen's MEMOP_EXTENT_SHIFT). */
#define MEMOP_CMD_MASK 0x3F

static long add_to_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_add_to_physmap xatp;
    struct domain *d = v->domain;

    if (copy_from_guest_virt(v, &xatp, arg, sizeof(xatp)))
        return -XEN_EFAULT;
    if (xatp.domid != DOMID_SELF && xatp.domid != d->domid)
        return -XEN_EPERM;
    if (xatp.space != XENMAPSPACE_shared_info)
        return -XEN_ENOSYS;
    if (xatp.idx != 0)
        return -XEN_EINVAL;
    if (xatp.gpfn >= (1UL << 40))
        return -XEN_EINVAL;
    if (d->shared_info_gfn == xatp.gpfn)
        return 0;
    /* Moving it leaves a hole where it was; the RAM page under its new home is freed. */
    if (d->shared_info_gfn != ~0UL)
        p2m_clear_entry(d, d->shared_info_gfn);
    domain_release_gfn(d, xatp.gpfn);
    if (p2m_map_range(d, xatp.gpfn, (unsigned long)(__pa(d->shared_info) >> PAGE_SHIFT), 1,
                      P2M_R | P2M_W))
        return -XEN_ENOMEM;
    d->shared_info_gfn = xatp.gpfn;
    hvm_ops->p2m_flush(d);
    return 0;
}

long do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                  uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    switch (cmd & MEMOP_CMD_MASK) {   /* the upper bits carry a continuation start */
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    }
    return -XEN_ENOSYS;
}
