/*
 * XEN_DOMCTL_*: the per-domain half of the privileged control interface (DESIGN.md D3),
 * the subset scheduling, inspection and the domain's life need, with Xen 4.17's numbers
 * and layouts (interface version 0x15); kernel/sysctl.c has the host-wide half. A
 * privileged table entry: a DomU never reaches this file. Unknown sub-ops answer -ENOSYS.
 */
#include <asm/percpu.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/mm.h>
#include <kumo/physmap.h>
#include <kumo/sched.h>
#include <kumo/sched_policy.h>
#include <kumo/sched_sedf_abi.h>
#include <kumo/time.h>
#include <kumo/xen_ctl_abi.h>

static uint64_t vcpu_cpu_time(const struct vcpu *v)
{
    uint64_t t = v->runstate_time[0];

    if (v->state == VCPU_RUNNING)
        t += (uint64_t)NOW() - v->runstate_entry;
    return t;
}

static void fill_domaininfo(const struct domain *d, struct xen_domctl_getdomaininfo *i)
{
    bool running = false, all_blocked = d->nr_vcpus > 0;

    memset(i, 0, sizeof(*i));
    i->domain = d->domid;
    i->flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    for (unsigned int n = 0; n < d->nr_vcpus; n++) {
        const struct vcpu *v = d->vcpus[n];

        running |= v->state == VCPU_RUNNING;
        /* As Xen: a vCPU held by a pause or a shutdown is not blocked, a down one is. */
        all_blocked &= v->state == VCPU_BLOCKED || !v->is_up;
        i->cpu_time += vcpu_cpu_time(v);
        i->nr_online_vcpus += v->is_up;
    }
    if (d->is_dying || d->is_killed)
        i->flags |= XEN_DOMINF_dying;
    else if (d->is_shutdown)
        i->flags |= XEN_DOMINF_shutdown | (d->shutdown_code & XEN_DOMINF_shutdownmask)
                                          << XEN_DOMINF_shutdownshift;
    if (d->controller_pause_count)
        i->flags |= XEN_DOMINF_paused;
    if (running)
        i->flags |= XEN_DOMINF_running;
    else if (all_blocked)
        i->flags |= XEN_DOMINF_blocked;
    i->tot_pages = d->tot_pages;
    i->max_pages = d->max_pages;
    i->shared_info_frame = d->shared_info_gfn;
    memcpy(i->handle, d->handle, sizeof(i->handle));
    /* Xen's: the most the domain may have, made or not. */
    i->max_vcpu_id = d->max_vcpus ? d->max_vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
    i->gpaddr_bits = 48;
}

void domain_getinfo(const struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    fill_domaininfo(d, info);
}

/* Xen's rule: the first domain whose id is >= the one asked for. */
static long getdomaininfo(struct xen_domctl *op)
{
    unsigned int id = op->domain;
    struct domain *d = domain_next(&id);

    if (!d)
        return -XEN_ESRCH;
    fill_domaininfo(d, &op->u.getdomaininfo);
    op->domain = (domid_t)id;
    domain_put(d);
    return 0;
}

/* A 64-bit cpumap from the caller (at most 64 pCPUs; bits beyond nr_bits read 0). */
static long map_in(struct vcpu *caller, const struct xenctl_bitmap *m, uint64_t *mask)
{
    uint8_t bits[8] = { 0 };
    size_t bytes = MIN((size_t)(m->nr_bits + 7) / 8, sizeof(bits));

    if (copy_from_guest_virt(caller, bits, (uint64_t)(uintptr_t)m->bitmap.p, bytes))
        return -XEN_EFAULT;
    memcpy(mask, bits, sizeof(*mask));
    return 0;
}

static long map_out(struct vcpu *caller, const struct xenctl_bitmap *m, uint64_t mask)
{
    uint8_t bits[8];
    size_t bytes = MIN((size_t)(m->nr_bits + 7) / 8, sizeof(bits));

    memcpy(bits, &mask, sizeof(bits));
    return copy_to_guest_virt(caller, (uint64_t)(uintptr_t)m->bitmap.p, bits, bytes) ?
           -XEN_EFAULT : 0;
}

/*
 * Xen's answers: set returns the hard affinity within the online pCPUs and the effective
 * soft one (within hard and online); get returns each as it was set.
 */
static long vcpuaffinity(struct vcpu *caller, struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_vcpuaffinity *a = &op->u.vcpuaffinity;
    bool set = op->cmd == XEN_DOMCTL_setvcpuaffinity;
    bool hard = a->flags & XEN_VCPUAFFINITY_HARD, soft = a->flags & XEN_VCPUAFFINITY_SOFT;
    uint64_t hard_mask = 0, soft_mask = 0;
    struct vcpu *v;
    long rc;

    /* Beyond the domain's limit -EINVAL, a vCPU not made yet -ESRCH. */
    if (a->vcpu >= MAX(d->max_vcpus, d->nr_vcpus))
        return -XEN_EINVAL;
    if (a->vcpu >= d->nr_vcpus)
        return -XEN_ESRCH;
    v = d->vcpus[a->vcpu];
    if (!hard && !soft)
        return -XEN_EINVAL;
    if (set && ((hard && (rc = map_in(caller, &a->cpumap_hard, &hard_mask))) ||
                (soft && (rc = map_in(caller, &a->cpumap_soft, &soft_mask)))))
        return rc;
    if (set && hard && (rc = vcpu_set_affinity(v, hard_mask)))
        return rc;
    if (set && soft)
        vcpu_set_soft_affinity(v, soft_mask);
    hard_mask = v->sched.affinity;                  /* kept within the online pCPUs */
    soft_mask = v->sched.soft_affinity & (set ? hard_mask : ~0ULL);
    if ((hard && (rc = map_out(caller, &a->cpumap_hard, hard_mask))) ||
        (soft && (rc = map_out(caller, &a->cpumap_soft, soft_mask))))
        return rc;
    return 0;
}

static long getvcpuinfo(struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_getvcpuinfo *i = &op->u.getvcpuinfo;
    struct vcpu *v;

    if (i->vcpu >= MAX(d->max_vcpus, d->nr_vcpus))
        return -XEN_EINVAL;
    if (i->vcpu >= d->nr_vcpus)
        return -XEN_ESRCH;
    v = d->vcpus[i->vcpu];
    i->online = v->is_up;
    i->blocked = v->state == VCPU_BLOCKED;
    i->running = v->state == VCPU_RUNNING;
    i->cpu_time = vcpu_cpu_time(v);
    i->cpu = v->pcpu;
    return 0;
}

static long scheduler_op(struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_scheduler_op *s = &op->u.scheduler_op;
    struct kumo_domctl_sched_sedf *sedf = (void *)&s->u;
    struct sched_dom want = d->sched;

    if (s->sched_id != sched_policy->sched_id)
        return -XEN_EINVAL;
    if (s->cmd == XEN_DOMCTL_SCHEDOP_getinfo) {
        if (s->sched_id == XEN_SCHEDULER_CREDIT) {
            s->u.credit.weight = (uint16_t)d->sched.weight;
            s->u.credit.cap = (uint16_t)d->sched.cap;
        } else {
            *sedf = (struct kumo_domctl_sched_sedf){ (uint64_t)d->sched.period,
                (uint64_t)d->sched.slice, (uint64_t)d->sched.latency, d->sched.extra, 0, 0 };
        }
        return 0;
    }
    if (s->cmd != XEN_DOMCTL_SCHEDOP_putinfo)
        return -XEN_EINVAL;                     /* no per-vCPU parameters in these policies */
    if (s->sched_id == XEN_SCHEDULER_CREDIT) {
        /* Xen's convention: a zero weight leaves the weight alone. */
        if (s->u.credit.weight)
            want.weight = s->u.credit.weight;
        want.cap = s->u.credit.cap;
    } else {
        want.period = (s_time_t)sedf->period;
        want.slice = (s_time_t)sedf->slice;
        want.latency = (s_time_t)sedf->latency;
        want.extra = sedf->extratime != 0;
    }
    return sched_adjust(d, &want) ? -XEN_EINVAL : 0;
}

/*
 * Xen 4.17's contract: the count must be the one the domain was created with; the vCPUs
 * not made yet are made (down, waiting for INIT/SIPI or VCPUOP_up). Not on the caller's
 * own domain, which could not be paused for it.
 */
static long max_vcpus(struct vcpu *caller, struct domain *d, struct xen_domctl *op)
{
    unsigned int first = d->nr_vcpus;

    if (d == caller->domain || op->u.max_vcpus.max != d->max_vcpus)
        return -XEN_EINVAL;
    if (d->nr_vcpus == d->max_vcpus)
        return 0;
    if (domain_create_vcpus(d, d->max_vcpus - d->nr_vcpus))
        return -XEN_ENOMEM;
    vcpus_ready(d, first, NULL);
    return 0;
}

long do_domctl(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_domctl op;
    struct domain *d;
    long rc;

    (void)a2, (void)a3, (void)a4, (void)a5;
    if (copy_from_guest_virt(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -XEN_EACCES;
    if (op.cmd == XEN_DOMCTL_getdomaininfo) {
        rc = getdomaininfo(&op);
    } else if (op.cmd == XEN_DOMCTL_createdomain) {
        rc = domctl_build_op(v, NULL, &op);     /* no target to look up: it is made */
    } else {
        d = domain_lookup(op.domain);
        if (!d)
            return -XEN_ESRCH;
        switch (op.cmd) {
        case XEN_DOMCTL_setvcpuaffinity:
        case XEN_DOMCTL_getvcpuaffinity:
            rc = vcpuaffinity(v, d, &op);
            break;
        case XEN_DOMCTL_getvcpuinfo:
            rc = getvcpuinfo(d, &op);
            break;
        case XEN_DOMCTL_scheduler_op:
            rc = scheduler_op(d, &op);
            break;
        case XEN_DOMCTL_max_vcpus:
            rc = max_vcpus(v, d, &op);
            break;
        /* Xen's rule for the three: never on the caller's own domain (-EINVAL). */
        case XEN_DOMCTL_pausedomain:
            rc = d == v->domain ? -XEN_EINVAL : domain_ctl_pause(d);
            break;
        case XEN_DOMCTL_unpausedomain:
            physmap_seal(d);            /* a toolstack-built domain: its p2m pool from now */
            rc = domain_ctl_unpause(d);
            break;
        case XEN_DOMCTL_max_mem:
        case XEN_DOMCTL_get_paging_mempool_size:
        case XEN_DOMCTL_set_paging_mempool_size:
        case XEN_DOMCTL_gettscinfo:
        case XEN_DOMCTL_settscinfo:
            rc = domctl_build_op(v, d, &op);
            break;
        case XEN_DOMCTL_gethvmcontext:
        case XEN_DOMCTL_gethvmcontext_partial:
        case XEN_DOMCTL_sethvmcontext:
            rc = domctl_hvm_context(v, d, &op);
            break;
        case XEN_DOMCTL_destroydomain:
            rc = d == v->domain || d->domid == 0 ? -XEN_EINVAL : 0;
            if (!rc)
                domain_kill(d);
            break;
        default:
            rc = -XEN_ENOSYS;
        }
        domain_put(d);
        if (rc == -XEN_ENOSYS)
            return rc;
    }
    if (!rc && copy_to_guest_virt(v, arg, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc;
}
