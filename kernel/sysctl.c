/*
 * XEN_SYSCTL_*: the host-wide half of the privileged control interface (DESIGN.md D3),
 * with Xen 4.17's numbers and layouts (interface version 0x15), plus kumo's own commands
 * from include/public/kumo.h. A privileged table entry: a DomU never reaches this file.
 * Unknown commands answer -ENOSYS.
 */
#include <asm/percpu.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/keyhandler.h>
#include <kumo/mm.h>
#include <kumo/sched.h>
#include <kumo/time.h>
#include <kumo/xen_ctl_abi.h>
#include <public/kumo.h>

static void physinfo(struct xen_sysctl_physinfo *pi)
{
    unsigned int cpu, n = 0, max = 0;

    for_each_online_cpu(cpu) {
        n++;
        max = cpu;
    }
    memset(pi, 0, sizeof(*pi));
    pi->threads_per_core = 1;
    pi->cores_per_socket = n;
    pi->nr_cpus = n;
    pi->max_cpu_id = max;
    pi->nr_nodes = 1;
    pi->cpu_khz = (uint32_t)tsc_khz;
    pi->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap;
    pi->total_pages = total_heap_pages();
    pi->free_pages = total_free_pages();
    pi->max_mfn = directmap_end >> PAGE_SHIFT;
}

/* Xen's loop: domains with id >= first_domain, at most max_domains of them, in id order. */
static long getdomaininfolist(struct vcpu *v, struct xen_sysctl_getdomaininfolist *l)
{
    struct xen_domctl_getdomaininfo info;
    uint64_t buf = (uint64_t)(uintptr_t)l->buffer.p;
    uint32_t n = 0;
    unsigned int id = l->first_domain;
    struct domain *d;

    for (; n < l->max_domains && (d = domain_next(&id)) != NULL; id++) {
        domain_getinfo(d, &info);
        domain_put(d);
        if (copy_to_guest_virt(v, buf + (uint64_t)n * sizeof(info), &info, sizeof(info)))
            return -XEN_EFAULT;
        n++;
    }
    l->num_domains = n;
    return 0;
}

/*
 * Xen's read_console_ring(): from the oldest byte not cleared, or from index when
 * incremental and index lies inside the window; out go the bytes copied and the index
 * after them. clear forgets what was read.
 */
static long readconsole(struct vcpu *v, struct xen_sysctl_readconsole *r)
{
    uint64_t buf = (uint64_t)(uintptr_t)r->buffer.p;
    uint32_t c, p, sofar = 0;
    char chunk[256];

    console_ring_window(&c, &p);
    if (r->incremental && (uint32_t)(r->index - c) <= (uint32_t)(p - c))
        c = r->index;
    while (c != p && sofar < r->count) {
        size_t n = console_ring_copy(chunk, c, MIN(sizeof(chunk), (size_t)(r->count - sofar)));

        if (!n)
            break;
        if (copy_to_guest_virt(v, buf + sofar, chunk, n))
            return -XEN_EFAULT;
        sofar += (uint32_t)n;
        c += (uint32_t)n;
    }
    if (r->clear)
        console_ring_clear(c);
    r->count = sofar;
    r->index = c;
    return 0;
}

static long debug_keys(struct vcpu *v, const struct xen_sysctl_debug_keys *k)
{
    uint64_t keys = (uint64_t)(uintptr_t)k->keys.p;
    char c;

    for (uint32_t i = 0; i < k->nr_keys; i++) {
        if (copy_from_guest_virt(v, &c, keys + i, 1))
            return -XEN_EFAULT;
        handle_keypress(c);
    }
    return 0;
}

static long getdomainname(struct kumo_sysctl_domainname *n)
{
    struct domain *d = domain_lookup(n->domid);

    if (!d)
        return -XEN_ESRCH;
    memset(n->name, 0, sizeof(n->name));
    strlcpy(n->name, d->name, sizeof(n->name));
    domain_put(d);
    return 0;
}

/* Pool-0 is the only pool; its policy answers for its own sched_id only, as in Xen. */
static long scheduler_op(struct xen_sysctl_scheduler_op *s)
{
    struct xen_sysctl_credit_schedule *c = &s->u.sched_credit;
    struct sched_global g = { c->tslice_ms, c->ratelimit_us, c->vcpu_migr_delay_us };
    int rc;

    if (s->cpupool_id != 0)
        return -XEN_ESRCH;
    if (s->sched_id != sched_policy->sched_id ||
        (s->cmd != XEN_SYSCTL_SCHEDOP_putinfo && s->cmd != XEN_SYSCTL_SCHEDOP_getinfo))
        return -XEN_EINVAL;
    rc = sched_global_params(&g, s->cmd == XEN_SYSCTL_SCHEDOP_putinfo);
    if (rc)
        return rc;
    c->tslice_ms = g.tslice_ms;
    c->ratelimit_us = g.ratelimit_us;
    c->vcpu_migr_delay_us = g.migr_delay_us;
    return 0;
}

long do_sysctl(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_sysctl op;
    long rc = 0;

    _Static_assert(sizeof(struct kumo_sysctl_domainname) <= sizeof(op.u), "fits the union");
    (void)a2, (void)a3, (void)a4, (void)a5;
    if (copy_from_guest_virt(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    switch (op.cmd) {
    case XEN_SYSCTL_sched_id:
        op.u.sched_id.sched_id = sched_policy->sched_id;
        break;
    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        break;
    case XEN_SYSCTL_getdomaininfolist:
        rc = getdomaininfolist(v, &op.u.getdomaininfolist);
        break;
    case XEN_SYSCTL_readconsole:
        rc = readconsole(v, &op.u.readconsole);
        break;
    case XEN_SYSCTL_scheduler_op:
        rc = scheduler_op(&op.u.scheduler_op);
        break;
    case XEN_SYSCTL_debug_keys:
        return debug_keys(v, &op.u.debug_keys);     /* nothing to copy back, as in Xen */
    case KUMO_SYSCTL_getdomainname:
        rc = getdomainname((struct kumo_sysctl_domainname *)&op.u);
        break;
    default:
        return -XEN_ENOSYS;
    }
    if (rc)
        return rc;
    return copy_to_guest_virt(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}
