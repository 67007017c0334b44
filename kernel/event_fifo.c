/*
 * The FIFO event-channel ABI's calls for domains that stay on the 2-level ABI: kumo does
 * not implement FIFO, so it answers as Xen 4.17 answers when it cannot set FIFO up —
 * never -ENOSYS for init_control and expand_array. Linux falls back to 2-level on any
 * negative answer from init_control (xen_init_IRQ).
 */
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/xen_abi.h>

static long init_control(struct vcpu *v, uint64_t arg)
{
    struct evtchn_init_control c;
    struct domain *d = v->domain;

    if (copy_from_guest_virt(v, &c, arg, sizeof(c)))
        return -XEN_EFAULT;
    if (c.vcpu >= d->nr_vcpus || !d->vcpus[c.vcpu])
        return -XEN_ENOENT;
    /* The control block must not cross a page and must be 8-byte aligned. */
    if (c.offset > PAGE_SIZE - sizeof(evtchn_fifo_control_block_t) || (c.offset & 7))
        return -XEN_EINVAL;
    /* Xen's answer for a control block it cannot map: the domain stays on 2-level. */
    return -XEN_EINVAL;
}

long evtchn_fifo_op(struct vcpu *v, unsigned int cmd, uint64_t arg)
{
    union {
        struct evtchn_expand_array expand;
        struct evtchn_set_priority prio;
    } u;

    switch (cmd) {
    case EVTCHNOP_init_control:
        return init_control(v, arg);
    case EVTCHNOP_expand_array:
        if (copy_from_guest_virt(v, &u.expand, arg, sizeof(u.expand)))
            return -XEN_EFAULT;
        return -XEN_EOPNOTSUPP;         /* Xen's answer until init_control succeeded */
    case EVTCHNOP_set_priority:
        if (copy_from_guest_virt(v, &u.prio, arg, sizeof(u.prio)))
            return -XEN_EFAULT;
        /* Every port the layout has exists; the 2-level ABI has no priorities: -ENOSYS in Xen. */
        return u.prio.port < evtchn_max_ports(v->domain) ? -XEN_ENOSYS : -XEN_EINVAL;
    }
    return -XEN_ENOSYS;
}
