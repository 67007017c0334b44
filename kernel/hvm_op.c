/*
 * hvm_op: HVM parameters. A guest sets its event callback (HVM_PARAM_CALLBACK_IRQ, type 2
 * = a vector injected straight into the vCPU) and reads the store and console pages and
 * ports its builder left; those, and cross-domain access, are Dom0's to set.
 */
#include <kumo/compat.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

#define CALLBACK_TYPE_VECTOR 2ULL

/* Parameters a guest may set for itself; the rest only Dom0 (its toolstack) may set. */
static bool guest_may_set(uint32_t index)
{
    return index == HVM_PARAM_CALLBACK_IRQ;
}

static long set_param(struct domain *d, struct xen_hvm_param *p)
{
    if (p->index == HVM_PARAM_CALLBACK_IRQ) {
        uint64_t type = p->value >> 56;

        /* Only the vector type exists for PVH: GSI/PCI-INTx callbacks need a device model. */
        if (p->value && (type != CALLBACK_TYPE_VECTOR || (p->value & 0xFF) < 0x10))
            return -XEN_EINVAL;
        d->callback_vector = p->value ? (uint8_t)(p->value & 0xFF) : 0;
    }
    if (p->index == HVM_PARAM_TRIPLE_FAULT_REASON && p->value > SHUTDOWN_MAX)
        return -XEN_EINVAL;
    /* Xen's bounds; kumo has no altp2m (Xen without it refuses any mode but disabled). */
    if ((p->index == HVM_PARAM_TIMER_MODE && p->value > HVMPTM_one_missed_tick_pending) ||
        (p->index == HVM_PARAM_ALTP2M && p->value != XEN_ALTP2M_disabled))
        return -XEN_EINVAL;
    d->hvm_params[p->index] = p->value;
    return 0;
}

/* Xen's answers for a HAP domain: the hint is for shadow paging only. */
static long pagetable_dying(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_pagetable_dying a;
    struct domain *d;

    if (copy_from_guest_virt(v, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    if (a.domid == DOMID_SELF || a.domid == v->domain->domid)
        return -XEN_EINVAL;
    d = domain_lookup(a.domid);
    if (!d)
        return -XEN_ESRCH;
    domain_put(d);
    return -XEN_EOPNOTSUPP;
}

/* RAM (shared_info included) or not: what a guest without a device model has. */
static long get_mem_type(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_get_mem_type m;
    struct domain *d;
    unsigned long mfn;

    if (copy_from_guest_virt(v, &m, arg, sizeof(m)))
        return -XEN_EFAULT;
    d = domain_lookup_or_self(v->domain, m.domid);
    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain && !v->domain->privileged) {
        domain_put(d);
        return -XEN_EPERM;
    }
    m.mem_type = m.pfn < ~0UL >> PAGE_SHIFT && gfn_to_mfn(d, (unsigned long)m.pfn, &mfn)
                 ? HVMMEM_ram_rw : HVMMEM_mmio_dm;
    domain_put(d);
    return copy_to_guest_virt(v, arg, &m, sizeof(m)) ? -XEN_EFAULT : 0;
}

/* The other hvm_op calls Xen 4.17 answers cheaply; the rest stay -ENOSYS (docs/hypercalls.md). */
static long other_op(struct vcpu *v, uint64_t op, uint64_t arg)
{
    xen_hvm_get_time_t t;

    switch (op) {
    case HVMOP_get_time:
        t.now = (uint64_t)NOW();
        return copy_to_guest_virt(v, arg, &t, sizeof(t)) ? -XEN_EFAULT : 0;
    case HVMOP_pagetable_dying:
        return pagetable_dying(v, arg);
    case HVMOP_get_mem_type:
        return get_mem_type(v, arg);
    }
    return -XEN_ENOSYS;
}

long do_hvm_op(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_hvm_param p;
    struct domain *d;
    long rc;

    (void)a3, (void)a4, (void)a5;
    if (op != HVMOP_set_param && op != HVMOP_get_param)
        return other_op(v, op, arg);
    if (copy_from_guest_virt(v, &p, arg, sizeof(p)))
        return -XEN_EFAULT;
    if (p.index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    d = domain_lookup_or_self(v->domain, p.domid);
    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain && !v->domain->privileged)
        rc = -XEN_EPERM;
    else if (op == HVMOP_get_param) {
        p.value = d->hvm_params[p.index];
        rc = copy_to_guest_virt(v, arg, &p, sizeof(p)) ? -XEN_EFAULT : 0;
    } else if (!guest_may_set(p.index) && !v->domain->privileged)
        rc = -XEN_EPERM;
    else
        rc = set_param(d, &p);
    /* Xen's hvm_latch_shinfo_size(): the caller's mode now picks the shared_info layout. */
    if (!rc && op == HVMOP_set_param && p.index == HVM_PARAM_CALLBACK_IRQ && d == v->domain)
        compat_latch_shinfo(v);
    domain_put(d);
    return rc;
}
