/*
 * Event channels, 2-level ABI (linux-pvh-abi.md section 5). Port state lives in
 * d->evtchn under d->event_lock; operations touching two domains take both locks in domid
 * order. Raising a port follows Xen's rules exactly: pending already set -> nothing;
 * masked -> stays pending; else set the selector bit, and on its 0->1 edge set
 * upcall_pending and kick the vCPU.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/lock_order.h>
#include <kumo/sched.h>
#include <kumo/softirq.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

/*
 * The 2-level bitmaps and selectors are arrays of xen_ulong_t in the domain's shared_info
 * layout: 64-bit words natively, 32-bit ones once it latched the compat layout (compat.h).
 * Each is operated on with atomics of its own word size, as the guest does.
 */
static bool guest_bit(volatile void *map, unsigned int bit, bool narrow, int op)
{
    if (narrow) {
        volatile uint32_t *w = (volatile uint32_t *)map + bit / 32;
        uint32_t m = 1u << (bit % 32);

        return (op > 0 ? __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST)
              : op < 0 ? __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST)
              : __atomic_load_n(w, __ATOMIC_SEQ_CST)) & m;
    } else {
        volatile uint64_t *w = (volatile uint64_t *)map + bit / 64;
        uint64_t m = 1ULL << (bit % 64);

        return (op > 0 ? __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST)
              : op < 0 ? __atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST)
              : __atomic_load_n(w, __ATOMIC_SEQ_CST)) & m;
    }
}

#define BIT_TEST 0
#define BIT_SET 1
#define BIT_CLEAR (-1)

static volatile void *pending_map(struct domain *d)
{
    struct compat_shared_info *c = d->shared_info;
    struct shared_info *s = d->shared_info;

    return d->compat_shinfo ? (volatile void *)c->evtchn_pending : s->evtchn_pending;
}

static volatile void *mask_map(struct domain *d)
{
    struct compat_shared_info *c = d->shared_info;
    struct shared_info *s = d->shared_info;

    return d->compat_shinfo ? (volatile void *)c->evtchn_mask : s->evtchn_mask;
}

/* Sets port's selector bit in vi; true on its 0 -> 1 edge. */
static bool set_selector(struct domain *d, struct vcpu_info *vi, unsigned int port)
{
    if (d->compat_shinfo)
        return !guest_bit(&((struct compat_vcpu_info *)vi)->evtchn_pending_sel, port / 32,
                          true, BIT_SET);
    return !guest_bit(&vi->evtchn_pending_sel, port / 64, false, BIT_SET);
}

unsigned int evtchn_max_ports(const struct domain *d)
{
    unsigned int layout = d->compat_shinfo ? COMPAT_EVTCHN_WORDS * COMPAT_EVTCHN_WORDS
                                           : NR_EVENT_CHANNELS;

    return MIN(layout, d->max_evtchn_port + 1);
}

void vcpu_info_announce_all(struct domain *d, struct vcpu_info *vi)
{
    if (d->compat_shinfo)
        ((struct compat_vcpu_info *)vi)->evtchn_pending_sel = ~0u;
    else
        vi->evtchn_pending_sel = ~0UL;
    vi->evtchn_upcall_pending = 1;
}

int evtchn_init(struct domain *d)
{
    spin_lock_init(&d->event_lock);
    d->evtchn = xzalloc_array(struct evtchn, NR_EVENT_CHANNELS);
    return d->evtchn ? 0 : -XEN_ENOMEM;
}

struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
    struct shared_info *s = v->domain->shared_info;

    if (v->vcpu_info)
        return v->vcpu_info;
    return v->id < XEN_LEGACY_MAX_VCPUS ? &s->vcpu_info[v->id] : NULL;
}

bool vcpu_events_pending(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);

    return vi && __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

/* Marks port pending in d and notifies its vCPU. Caller holds d->event_lock. */
bool evtchn_is_pending(struct domain *d, unsigned int port)
{
    return port < evtchn_max_ports(d) &&
           guest_bit(pending_map(d), port, d->compat_shinfo, BIT_TEST);
}

/* SCHEDOP_poll ends for vCPUs polling this port (or any port), masked or not. */
static void wake_pollers(struct domain *d, unsigned int port)
{
    for (uint64_t m = __atomic_load_n(&d->poll_mask, __ATOMIC_SEQ_CST); m; m &= m - 1) {
        unsigned int id = (unsigned int)__builtin_ctzll(m);
        struct vcpu *v = d->vcpus[id];

        if ((v->poll_port < 0 || v->poll_port == (int)port) &&
            __atomic_fetch_and(&d->poll_mask, ~(1ULL << id), __ATOMIC_SEQ_CST) & (1ULL << id))
            vcpu_kick(v);
    }
}

static void evtchn_raise(struct domain *d, unsigned int port)
{
    struct evtchn *chn = &d->evtchn[port];
    struct vcpu *v = chn->notify_vcpu < d->nr_vcpus ? d->vcpus[chn->notify_vcpu] : d->vcpus[0];
    struct vcpu_info *vi = vcpu_info_of(v);
    bool narrow = d->compat_shinfo;

    /* A port beyond the layout's bitmaps (bound before a switch to 32-bit) has no bit. */
    if (port >= evtchn_max_ports(d) || guest_bit(pending_map(d), port, narrow, BIT_SET))
        return;
    if (!guest_bit(mask_map(d), port, narrow, BIT_TEST) && vi && set_selector(d, vi, port)) {
        __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
        vcpu_kick(v);
    }
    wake_pollers(d, port);
}

static int get_free_port(struct domain *d)
{
    for (unsigned int p = 1; p < evtchn_max_ports(d); p++)
        if (d->evtchn[p].state == EVTCHNSTAT_closed)
            return (int)p;
    return -XEN_ENOSPC;
}

void send_guest_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    unsigned long flags;

    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    if (virq < NR_VIRQS && v->virq_to_port[virq])
        evtchn_raise(d, v->virq_to_port[virq]);
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
}

/* Locks two domains in domid order (the same domain once). */
static void double_lock(struct domain *a, struct domain *b, unsigned long *flags)
{
    *flags = local_irq_save();
    lock_order_take(LOCK_LEVEL_EVENT);
    if (a == b) {
        spin_lock(&a->event_lock);
        return;
    }
    lock_order_take(LOCK_LEVEL_EVENT);
    spin_lock(a->domid < b->domid ? &a->event_lock : &b->event_lock);
    spin_lock(a->domid < b->domid ? &b->event_lock : &a->event_lock);
}

static void double_unlock(struct domain *a, struct domain *b, unsigned long flags)
{
    spin_unlock(&a->event_lock);
    lock_order_drop(LOCK_LEVEL_EVENT);
    if (a != b) {
        spin_unlock(&b->event_lock);
        lock_order_drop(LOCK_LEVEL_EVENT);
    }
    local_irq_restore(flags);
}

/* A counted reference to the domain id names (DOMID_SELF: self); the caller puts it. */
static struct domain *resolve(struct domain *self, domid_t id)
{
    return domain_lookup_or_self(self, id);
}

static long alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    struct domain *d = resolve(v->domain, a->dom);
    unsigned long flags;
    int port;

    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain && !v->domain->privileged) {
        domain_put(d);
        return -XEN_EPERM;
    }
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    port = d->is_dying ? -XEN_ESRCH : get_free_port(d);
    if (port > 0) {
        d->evtchn[port] = (struct evtchn){ .state = EVTCHNSTAT_unbound, .notify_vcpu = 0,
                                           .remote_domid = a->remote_dom == DOMID_SELF ?
                                               d->domid : a->remote_dom };
        a->port = (evtchn_port_t)port;
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    domain_put(d);
    return port < 0 ? port : 0;
}

static long bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
    struct domain *ld = v->domain, *rd = resolve(ld, b->remote_dom);
    struct evtchn *rchn;
    unsigned long flags;
    long rc = 0;
    int lport;

    if (!rd)
        return -XEN_ESRCH;
    if (b->remote_port == 0 || b->remote_port >= evtchn_max_ports(rd)) {
        domain_put(rd);
        return -XEN_EINVAL;
    }
    double_lock(ld, rd, &flags);
    /* Under rd's lock: evtchn_destroy() sets is_dying there before closing its ports. */
    if (rd->is_dying || ld->is_dying) {
        rc = -XEN_ESRCH;
        goto out;
    }
    rchn = &rd->evtchn[b->remote_port];
    if (rchn->state != EVTCHNSTAT_unbound || rchn->remote_domid != ld->domid) {
        rc = -XEN_EINVAL;
        goto out;
    }
    lport = get_free_port(ld);
    if (lport < 0) {
        rc = lport;
        goto out;
    }
    ld->evtchn[lport] = (struct evtchn){ .state = EVTCHNSTAT_interdomain, .notify_vcpu = 0,
                                         .remote_domid = rd->domid,
                                         .remote_port = b->remote_port };
    rchn->state = EVTCHNSTAT_interdomain;
    rchn->remote_domid = ld->domid;
    rchn->remote_port = (uint32_t)lport;
    b->local_port = (evtchn_port_t)lport;
    /* The other end may have signalled before the bind: make the first event visible. */
    evtchn_raise(ld, (unsigned int)lport);
out:
    double_unlock(ld, rd, flags);
    domain_put(rd);
    return rc;
}

static long bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->domain;
    unsigned long flags;
    struct vcpu *target;
    int port;

    if (b->virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (b->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    target = d->vcpus[b->vcpu];
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    if (target->virq_to_port[b->virq]) {
        unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
        return -XEN_EEXIST;
    }
    port = get_free_port(d);
    if (port > 0) {
        d->evtchn[port] = (struct evtchn){ .state = EVTCHNSTAT_virq,
                                           .notify_vcpu = (uint16_t)b->vcpu, .virq = b->virq };
        target->virq_to_port[b->virq] = (unsigned int)port;
        b->port = (evtchn_port_t)port;
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    return port < 0 ? port : 0;
}

static long bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->domain;
    unsigned long flags;
    int port;

    if (b->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    port = get_free_port(d);
    if (port > 0) {
        d->evtchn[port] = (struct evtchn){ .state = EVTCHNSTAT_ipi,
                                           .notify_vcpu = (uint16_t)b->vcpu };
        b->port = (evtchn_port_t)port;
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    return port < 0 ? port : 0;
}

/* Closes port in d; an interdomain peer goes back to unbound (waiting for d again). */
static long close_port(struct domain *d, unsigned int port)
{
    struct domain *rd = NULL, *peer;
    struct evtchn *chn;
    unsigned long flags;
    long rc;

    if (port == 0 || port >= NR_EVENT_CHANNELS)
        return -XEN_EINVAL;
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    chn = &d->evtchn[port];
    if (chn->state == EVTCHNSTAT_interdomain)
        rd = domain_lookup(chn->remote_domid);
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    /* double_lock() takes a single lock when both sides are the same domain. */
    peer = rd ? rd : d;
    double_lock(d, peer, &flags);
    switch (chn->state) {
    case EVTCHNSTAT_virq:
        if (chn->notify_vcpu < d->nr_vcpus)
            d->vcpus[chn->notify_vcpu]->virq_to_port[chn->virq] = 0;
        break;
    case EVTCHNSTAT_interdomain:
        if (rd && rd->evtchn[chn->remote_port].state == EVTCHNSTAT_interdomain &&
            rd->evtchn[chn->remote_port].remote_domid == d->domid) {
            rd->evtchn[chn->remote_port].state = EVTCHNSTAT_unbound;
            rd->evtchn[chn->remote_port].remote_domid = d->domid;
        }
        break;
    }
    rc = chn->state == EVTCHNSTAT_closed ? -XEN_EINVAL : 0;
    if (!rc)
        *chn = (struct evtchn){ 0 };
    double_unlock(d, peer, flags);
    if (rd)
        domain_put(rd);
    return rc;
}

static long send(struct vcpu *v, unsigned int port)
{
    struct domain *d = v->domain, *rd = NULL;
    struct evtchn *chn;
    unsigned long flags;
    long rc = 0;

    if (port == 0 || port >= evtchn_max_ports(d))
        return -XEN_EINVAL;
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    chn = &d->evtchn[port];
    if (chn->state == EVTCHNSTAT_interdomain)
        rd = domain_lookup(chn->remote_domid);
    else if (chn->state == EVTCHNSTAT_ipi)
        evtchn_raise(d, port);
    else if (chn->state != EVTCHNSTAT_unbound)
        rc = -XEN_EINVAL;
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    if (!rd)
        return rc;
    double_lock(d, rd, &flags);
    /* Re-check: the channel may have been closed while no lock was held. */
    if (chn->state == EVTCHNSTAT_interdomain && chn->remote_domid == rd->domid && !rd->is_dying)
        evtchn_raise(rd, chn->remote_port);
    double_unlock(d, rd, flags);
    domain_put(rd);
    return 0;
}

static void status_of(struct domain *d, struct evtchn_status *st)
{
    struct evtchn *chn;
    unsigned long flags;

    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    chn = &d->evtchn[st->port];
    st->status = chn->state;
    st->vcpu = chn->notify_vcpu;
    if (chn->state == EVTCHNSTAT_unbound)
        st->u.unbound.dom = chn->remote_domid;
    else if (chn->state == EVTCHNSTAT_interdomain) {
        st->u.interdomain.dom = chn->remote_domid;
        st->u.interdomain.port = chn->remote_port;
    } else if (chn->state == EVTCHNSTAT_virq)
        st->u.virq = chn->virq;
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
}

static long status(struct vcpu *v, struct evtchn_status *st)
{
    struct domain *d = resolve(v->domain, st->dom);
    long rc = 0;

    if (!d)
        return -XEN_ESRCH;
    if (d != v->domain && !v->domain->privileged)
        rc = -XEN_EPERM;
    else if (st->port == 0 || st->port >= evtchn_max_ports(d))
        rc = -XEN_EINVAL;
    else
        status_of(d, st);
    domain_put(d);
    return rc;
}

static long unmask(struct vcpu *v, unsigned int port)
{
    struct domain *d = v->domain;
    unsigned long flags;

    if (port == 0 || port >= evtchn_max_ports(d))
        return -XEN_EINVAL;
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    /* The re-raise rule: an unmasked port that is pending notifies its vCPU again. */
    guest_bit(mask_map(d), port, d->compat_shinfo, BIT_CLEAR);
    if (guest_bit(pending_map(d), port, d->compat_shinfo, BIT_TEST)) {
        struct evtchn *chn = &d->evtchn[port];
        struct vcpu *t = d->vcpus[chn->notify_vcpu < d->nr_vcpus ? chn->notify_vcpu : 0];
        struct vcpu_info *vi = vcpu_info_of(t);

        if (vi && set_selector(d, vi, port)) {
            __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
            vcpu_kick(t);
        }
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    return 0;
}

static long bind_vcpu(struct vcpu *v, struct evtchn_bind_vcpu *b)
{
    struct domain *d = v->domain;
    unsigned long flags;
    long rc = 0;

    if (b->port == 0 || b->port >= evtchn_max_ports(d))
        return -XEN_EINVAL;
    if (b->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    switch (d->evtchn[b->port].state) {
    case EVTCHNSTAT_unbound:
    case EVTCHNSTAT_interdomain:
        d->evtchn[b->port].notify_vcpu = (uint16_t)b->vcpu;
        break;
    default:            /* VIRQs and IPIs are bound to their vCPU for good, as in Xen */
        rc = -XEN_EINVAL;
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    return rc;
}

void evtchn_destroy(struct domain *d)
{
    unsigned long flags;

    if (!d->evtchn)
        return;
    /* No port binds to d after this (bind_interdomain checks under the same lock). */
    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    d->is_dying = true;
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    for (unsigned int p = 1; p < NR_EVENT_CHANNELS; p++)
        if (d->evtchn[p].state != EVTCHNSTAT_closed)
            close_port(d, p);
    /* The table itself goes with d (domain_free): a peer holding d may still look at it. */
}

/*
 * EVTCHNOP_reset(_cont): closes every port of the caller's domain. Xen lets a toolstack
 * reset another domain only while it holds it paused; kumo has no such pause (-EINVAL).
 */
static long reset(struct vcpu *v, uint64_t arg)
{
    struct evtchn_reset r;
    struct domain *d;

    if (copy_from_guest_virt(v, &r, arg, sizeof(r)))
        return -XEN_EFAULT;
    d = resolve(v->domain, r.dom);
    if (!d)
        return -XEN_ESRCH;
    domain_put(d);                      /* only v's own domain is reset, which v keeps */
    if (d != v->domain)
        return v->domain->privileged ? -XEN_EINVAL : -XEN_EPERM;
    /* An unlocked look first: close_port() takes two locks even for a closed port. */
    for (unsigned int port = 1; port < NR_EVENT_CHANNELS; port++)
        if (__atomic_load_n(&d->evtchn[port].state, __ATOMIC_RELAXED) != EVTCHNSTAT_closed)
            close_port(d, port);
    return 0;
}

/* Copies the argument in, runs op, copies it back out when op succeeded. */
#define EVTCHN_OP(type, fn)                                                          \
    do {                                                                             \
        struct type a;                                                               \
        long rc;                                                                     \
        if (copy_from_guest_virt(v, &a, arg, sizeof(a)))                             \
            return -XEN_EFAULT;                                                      \
        rc = fn(v, &a);                                                              \
        if (!rc && copy_to_guest_virt(v, arg, &a, sizeof(a)))                        \
            return -XEN_EFAULT;                                                      \
        return rc;                                                                   \
    } while (0)

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                         uint64_t a5)
{
    uint32_t port;

    (void)a3, (void)a4, (void)a5;
    if (!v->domain->evtchn)
        return -XEN_ENOSYS;
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        EVTCHN_OP(evtchn_alloc_unbound, alloc_unbound);
    case EVTCHNOP_bind_interdomain:
        EVTCHN_OP(evtchn_bind_interdomain, bind_interdomain);
    case EVTCHNOP_bind_virq:
        EVTCHN_OP(evtchn_bind_virq, bind_virq);
    case EVTCHNOP_bind_ipi:
        EVTCHN_OP(evtchn_bind_ipi, bind_ipi);
    case EVTCHNOP_status:
        EVTCHN_OP(evtchn_status, status);
    case EVTCHNOP_bind_vcpu:
        EVTCHN_OP(evtchn_bind_vcpu, bind_vcpu);
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_unmask:
        if (copy_from_guest_virt(v, &port, arg, sizeof(port)))
            return -XEN_EFAULT;
        return cmd == EVTCHNOP_close ? close_port(v->domain, port)
             : cmd == EVTCHNOP_send ? send(v, port) : unmask(v, port);
    case EVTCHNOP_reset:
    case EVTCHNOP_reset_cont:
        return reset(v, arg);
    case EVTCHNOP_init_control:
    case EVTCHNOP_expand_array:
    case EVTCHNOP_set_priority:
        return evtchn_fifo_op(v, (unsigned int)cmd, arg);
    }
    return -XEN_ENOSYS;                 /* bind_pirq: no physical IRQs to bind */
}

void evtchn_dump(struct domain *d)
{
    static const char *const states[] = { "closed", "unbound", "interdomain", "pirq", "virq",
                                          "ipi" };
    bool narrow = d->compat_shinfo;
    unsigned long flags;

    lock_level_irqsave(&d->event_lock, flags, LOCK_LEVEL_EVENT);
    printk("d%u event channels:\n", d->domid);
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu_info *vi = vcpu_info_of(d->vcpus[i]);

        if (vi)
            printk("  vCPU %u: upcall_pending %u, pending_sel %#lx\n", i,
                   vi->evtchn_upcall_pending, narrow ?
                   (unsigned long)((struct compat_vcpu_info *)vi)->evtchn_pending_sel :
                   (unsigned long)vi->evtchn_pending_sel);
    }
    for (unsigned int p = 1; p < evtchn_max_ports(d); p++) {
        const struct evtchn *chn = &d->evtchn[p];

        if (chn->state == EVTCHNSTAT_closed)
            continue;
        printk("  port %u: %s", p, chn->state < ARRAY_SIZE(states) ? states[chn->state] : "?");
        if (chn->state == EVTCHNSTAT_interdomain)
            printk(" d%u:%u", chn->remote_domid, chn->remote_port);
        else if (chn->state == EVTCHNSTAT_virq)
            printk(" virq %u", chn->virq);
        printk(" vcpu %u%s%s\n", chn->notify_vcpu,
               guest_bit(pending_map(d), p, narrow, BIT_TEST) ? " pending" : "",
               guest_bit(mask_map(d), p, narrow, BIT_TEST) ? " masked" : "");
    }
    unlock_level_irqrestore(&d->event_lock, flags, LOCK_LEVEL_EVENT);
}
