/*
 * sched_op: yield, block, poll (sleep until one of some event-channel ports is pending,
 * masked or not, or a timeout; Linux's PV spinlocks wait this way), and the shutdown
 * family. Xen 4.17's numbers and structures.
 */
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/sched.h>
#include <kumo/softirq.h>
#include <kumo/xen_abi.h>

#define POLL_MAX_PORTS 128              /* Xen's limit */

struct poll_args {
    const evtchn_port_t *ports;
    unsigned int nr;
};

/* Under the scheduler's lock: anything that must end the poll before it sleeps. */
static bool poll_satisfied(struct vcpu *v, void *data)
{
    const struct poll_args *p = data;

    for (unsigned int i = 0; i < p->nr; i++)
        if (evtchn_is_pending(v->domain, p->ports[i]))
            return true;
    return hvm_interrupt_pending(v);
}

static long poll(struct vcpu *v, uint64_t arg)
{
    evtchn_port_t ports[POLL_MAX_PORTS];
    struct sched_poll sp;
    struct poll_args p = { ports, 0 };

    if (copy_from_guest_virt(v, &sp, arg, sizeof(sp)))
        return -XEN_EFAULT;
    if (sp.nr_ports > POLL_MAX_PORTS)
        return -XEN_EINVAL;
    if (copy_from_guest_virt(v, ports, (uint64_t)sp.ports.p, sp.nr_ports * sizeof(ports[0])))
        return -XEN_EFAULT;
    for (unsigned int i = 0; i < sp.nr_ports; i++)
        if (ports[i] >= evtchn_max_ports(v->domain))
            return -XEN_EINVAL;
    p.nr = sp.nr_ports;
    /* A raise wakes a poller of its port (or of any, with several) before or after this. */
    v->poll_port = sp.nr_ports == 1 ? (int)ports[0] : -1;
    __atomic_fetch_or(&v->domain->poll_mask, 1ULL << v->id, __ATOMIC_SEQ_CST);
    if (!vcpu_block_unless(v, poll_satisfied, &p)) {
        __atomic_fetch_and(&v->domain->poll_mask, ~(1ULL << v->id), __ATOMIC_SEQ_CST);
        return 0;
    }
    if (sp.timeout)
        timer_set(&v->poll_timer, (s_time_t)sp.timeout);
    else
        timer_cancel(&v->poll_timer);
    return 0;
}

long do_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                 uint64_t a5)
{
    struct sched_shutdown ss;
    struct sched_remote_shutdown rs;
    struct domain *target;

    (void)a3, (void)a4, (void)a5;
    switch (cmd) {
    case SCHEDOP_yield:
        vcpu_yield(v);
        return 0;
    case SCHEDOP_block:
        /* Sleeps until an event is pending; one already pending returns at once. */
        vcpu_block_unless_pending(v);
        return 0;
    case SCHEDOP_poll:
        return poll(v, arg);
    case SCHEDOP_shutdown:
        if (copy_from_guest_virt(v, &ss, arg, sizeof(ss)))
            return -XEN_EFAULT;
        if (ss.reason > SHUTDOWN_MAX)
            return -XEN_EINVAL;
        domain_shutdown(v->domain, ss.reason);
        return 0;
    case SCHEDOP_shutdown_code:
        if (copy_from_guest_virt(v, &ss, arg, sizeof(ss)))
            return -XEN_EFAULT;
        if (ss.reason > SHUTDOWN_MAX)
            return -XEN_EINVAL;
        v->domain->shutdown_code = ss.reason;
        return 0;
    case SCHEDOP_remote_shutdown:
        if (!v->domain->privileged)
            return -XEN_EPERM;
        if (copy_from_guest_virt(v, &rs, arg, sizeof(rs)))
            return -XEN_EFAULT;
        target = domain_lookup(rs.domain_id);
        if (!target)
            return -XEN_ESRCH;
        if (rs.reason <= SHUTDOWN_MAX)
            domain_shutdown(target, rs.reason);
        domain_put(target);
        return rs.reason > SHUTDOWN_MAX ? -XEN_EINVAL : 0;
    }
    return -XEN_ENOSYS;
}
