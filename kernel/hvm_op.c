/*
 * hvm_op: HVM parameters. A guest sets its event callback (HVM_PARAM_CALLBACK_IRQ, type 2
 * = a vector injected straight into the vCPU) and reads the store and console pages and
 * ports its builder left; those, and cross-domain access, are Dom0's to set.
 */
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
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
    d->hvm_params[p->index] = p->value;
    return 0;
}

long do_hvm_op(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_hvm_param p;
    struct domain *d;
    long rc;

    (void)a3, (void)a4, (void)a5;
    if (op != HVMOP_set_param && op != HVMOP_get_param)
        return -XEN_ENOSYS;
    if (copy_from_guest_virt(v, &p, arg, sizeof(p)))
        return -XEN_EFAULT;
    if (p.index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    d = p.domid == DOMID_SELF || p.domid == v->domain->domid ? v->domain : domain_by_id(p.domid);
    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain && !v->domain->privileged)
        return -XEN_EPERM;
    if (op == HVMOP_get_param) {
        p.value = d->hvm_params[p.index];
        return copy_to_guest_virt(v, arg, &p, sizeof(p)) ? -XEN_EFAULT : 0;
    }
    if (!guest_may_set(p.index) && !v->domain->privileged)
        return -XEN_EPERM;
    rc = set_param(d, &p);
    return rc;
}
