/*
 * The fake platform: plat.h over an in-memory hypervisor (fake.h) that answers the
 * domctl, sysctl and xen_version calls of libs/ctl with Xen's errors, so xl's commands
 * run on a host without Xen. Buffers are ordinary heap memory.
 */
#include "plat/plat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/version.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include "plat/fake.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct fake_hv fake_hv;

void fake_reset(void)
{
    memset(&fake_hv, 0, sizeof(fake_hv));
    fake_hv.nr_cpus = 2;
    fake_hv.sched_id = XEN_SCHEDULER_CREDIT;
    fake_hv.total_pages = fake_hv.free_pages = 262144;
    fake_add_domain(0, "Domain-0", 512, 1);
}

void fake_add_domain(uint32_t domid, const char *name, unsigned int mib, unsigned int vcpus)
{
    struct fake_domain *d = &fake_hv.dom[domid];

    memset(d, 0, sizeof(*d));
    d->exists = true;
    strncpy(d->name, name, sizeof(d->name) - 1);
    d->tot_pages = d->max_pages = (uint64_t)mib * 256;
    fake_hv.free_pages -= d->tot_pages;
    d->nr_vcpus = vcpus;
    d->weight = 256;
    for (unsigned int i = 0; i < vcpus; i++)
        d->vcpu[i] = (struct fake_vcpu){ .online = true, .blocked = i > 0, .running = i == 0,
                                         .cpu = i % fake_hv.nr_cpus,
                                         .time_ns = 1500000000ULL * (i + 1),
                                         .affinity = (1ULL << fake_hv.nr_cpus) - 1 };
}

void fake_console_write(const char *s)
{
    for (; *s; s++)
        fake_hv.console[fake_hv.con_len++ % sizeof(fake_hv.console)] = *s;
}

int plat_open(void)
{
    return fake_hv.no_privcmd ? -ENOENT : 0;
}

void plat_close(void)
{
}

void *plat_buf_alloc(size_t len)
{
    return calloc(1, len ? len : 1);
}

void plat_buf_free(void *buf, size_t len)
{
    (void)len;
    free(buf);
}

static struct fake_domain *fake_dom(uint32_t domid)
{
    return domid < FAKE_MAX_DOMAINS && fake_hv.dom[domid].exists ? &fake_hv.dom[domid] : NULL;
}

static void fake_domaininfo(uint32_t id, struct xen_domctl_getdomaininfo *i)
{
    const struct fake_domain *d = &fake_hv.dom[id];

    memset(i, 0, sizeof(*i));
    i->domain = (domid_t)id;
    i->flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap |
               (d->pause_count ? XEN_DOMINF_paused : 0) | (d->dying ? XEN_DOMINF_dying : 0) |
               (d->shutdown ? XEN_DOMINF_shutdown | d->reason << XEN_DOMINF_shutdownshift : 0);
    /* Xen's rule: blocked when every vCPU is; a paused or stopped one is not blocked. */
    i->flags |= XEN_DOMINF_blocked;
    for (unsigned int v = 0; v < d->nr_vcpus; v++) {
        const struct fake_vcpu *fv = &d->vcpu[v];

        i->cpu_time += fv->time_ns;
        i->nr_online_vcpus += fv->online;
        if (fv->running && !d->pause_count && !d->shutdown)
            i->flags |= XEN_DOMINF_running;
        if (fv->online && (!fv->blocked || d->pause_count || d->shutdown))
            i->flags &= ~XEN_DOMINF_blocked;
    }
    i->tot_pages = d->tot_pages;
    i->max_pages = d->max_pages;
    i->max_vcpu_id = d->nr_vcpus - 1;
}

static long fake_sched_op(struct fake_domain *d, struct xen_domctl_scheduler_op *s)
{
    struct kumo_domctl_sched_sedf *sedf = (void *)&s->u;

    if (s->sched_id != fake_hv.sched_id)
        return -EINVAL;
    if (s->cmd == XEN_DOMCTL_SCHEDOP_getinfo) {
        if (s->sched_id == XEN_SCHEDULER_CREDIT) {
            s->u.credit.weight = (uint16_t)d->weight;
            s->u.credit.cap = (uint16_t)d->cap;
        } else {
            *sedf = d->sedf;
        }
        return 0;
    }
    if (s->sched_id == XEN_SCHEDULER_CREDIT) {
        if (s->u.credit.weight)
            d->weight = s->u.credit.weight;
        d->cap = s->u.credit.cap;
    } else if (sedf->slice > sedf->period) {
        return -EINVAL;
    } else {
        d->sedf = *sedf;
    }
    return 0;
}

static long fake_vcpu_op(struct fake_domain *d, struct xen_domctl *op)
{
    struct xen_domctl_vcpuaffinity *a = &op->u.vcpuaffinity;
    uint64_t *map = (uint64_t *)a->cpumap_hard.bitmap.p;
    struct fake_vcpu *v;

    if (op->cmd == XEN_DOMCTL_getvcpuinfo) {
        if (op->u.getvcpuinfo.vcpu >= d->nr_vcpus)
            return -ESRCH;
        v = &d->vcpu[op->u.getvcpuinfo.vcpu];
        op->u.getvcpuinfo.online = v->online;
        op->u.getvcpuinfo.running = v->running && !d->pause_count;
        op->u.getvcpuinfo.blocked = v->blocked;
        op->u.getvcpuinfo.cpu_time = v->time_ns;
        op->u.getvcpuinfo.cpu = v->cpu;
        return 0;
    }
    if (a->vcpu >= d->nr_vcpus || !map || a->cpumap_hard.nr_bits < 64)
        return -EINVAL;
    v = &d->vcpu[a->vcpu];
    if (op->cmd == XEN_DOMCTL_setvcpuaffinity) {
        uint64_t m = *map & ((1ULL << fake_hv.nr_cpus) - 1);

        if (!m)
            return -EINVAL;
        v->affinity = m;
        if (!(m >> v->cpu & 1))
            v->cpu = (unsigned int)__builtin_ctzll(m);
    }
    *map = v->affinity;
    return 0;
}

static long fake_domctl(struct xen_domctl *op)
{
    struct fake_domain *d;

    if (op->interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;
    if (op->cmd == XEN_DOMCTL_getdomaininfo) {
        for (uint32_t id = op->domain; id < FAKE_MAX_DOMAINS; id++)
            if (fake_dom(id)) {
                fake_domaininfo(id, &op->u.getdomaininfo);
                return 0;
            }
        return -ESRCH;
    }
    d = fake_dom(op->domain);
    if (!d)
        return -ESRCH;
    switch (op->cmd) {
    case XEN_DOMCTL_getvcpuinfo:
    case XEN_DOMCTL_getvcpuaffinity:
    case XEN_DOMCTL_setvcpuaffinity:
        return fake_vcpu_op(d, op);
    case XEN_DOMCTL_scheduler_op:
        return fake_sched_op(d, &op->u.scheduler_op);
    case XEN_DOMCTL_pausedomain:
        if (op->domain == 0)
            return -EINVAL;             /* the caller is Dom0 */
        d->pause_count++;
        return 0;
    case XEN_DOMCTL_unpausedomain:
        if (!d->pause_count)
            return -EINVAL;
        d->pause_count--;
        return 0;
    case XEN_DOMCTL_max_mem:
        d->max_pages = op->u.max_mem.max_memkb / 4;
        return 0;
    case XEN_DOMCTL_destroydomain:
        if (op->domain == 0)
            return -EINVAL;
        fake_hv.free_pages += d->tot_pages;
        d->exists = false;
        return 0;
    default:
        return -ENOSYS;
    }
}

static long fake_readconsole(struct xen_sysctl_readconsole *r)
{
    uint32_t size = sizeof(fake_hv.console), p = fake_hv.con_len, c = fake_hv.con_cleared;
    uint32_t n = 0;

    if (p - c > size)
        c = p - size;
    if (r->incremental && r->index - c <= p - c)
        c = r->index;
    for (; c != p && n < r->count; c++, n++)
        r->buffer.p[n] = fake_hv.console[c % size];
    if (r->clear)
        fake_hv.con_cleared = c;
    r->count = n;
    r->index = c;
    return 0;
}

static long fake_sysctl(struct xen_sysctl *op)
{
    struct xen_sysctl_getdomaininfolist *l = &op->u.getdomaininfolist;
    struct kumo_sysctl_domainname *name = (void *)&op->u;

    if (op->interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;
    switch (op->cmd) {
    case XEN_SYSCTL_physinfo:
        memset(&op->u.physinfo, 0, sizeof(op->u.physinfo));
        op->u.physinfo.nr_cpus = fake_hv.nr_cpus;
        op->u.physinfo.max_cpu_id = fake_hv.nr_cpus - 1;
        op->u.physinfo.cores_per_socket = fake_hv.nr_cpus;
        op->u.physinfo.threads_per_core = op->u.physinfo.nr_nodes = 1;
        op->u.physinfo.cpu_khz = 2097172;
        op->u.physinfo.capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap;
        op->u.physinfo.total_pages = fake_hv.total_pages;
        op->u.physinfo.free_pages = fake_hv.free_pages;
        return 0;
    case XEN_SYSCTL_sched_id:
        op->u.sched_id.sched_id = fake_hv.sched_id;
        return 0;
    case XEN_SYSCTL_getdomaininfolist:
        l->num_domains = 0;
        for (uint32_t id = l->first_domain; id < FAKE_MAX_DOMAINS; id++)
            if (fake_dom(id) && l->num_domains < l->max_domains)
                fake_domaininfo(id, &l->buffer.p[l->num_domains++]);
        return 0;
    case XEN_SYSCTL_readconsole:
        return fake_readconsole(&op->u.readconsole);
    case XEN_SYSCTL_debug_keys:
        strncat(fake_hv.keys, op->u.debug_keys.keys.p,
                MIN(op->u.debug_keys.nr_keys, sizeof(fake_hv.keys) - 1 - strlen(fake_hv.keys)));
        return 0;
    case KUMO_SYSCTL_getdomainname:
        if (!fake_dom(name->domid))
            return -ESRCH;
        memcpy(name->name, fake_hv.dom[name->domid].name, sizeof(name->name));
        return 0;
    default:
        return -ENOSYS;
    }
}

static long fake_version(unsigned int cmd, void *arg)
{
    switch (cmd) {
    case XENVER_version:
        return 4 << 16 | 17;
    case XENVER_extraversion:
        strcpy(arg, ".0-kumo");
        return 0;
    case XENVER_capabilities:
        strcpy(arg, "hvm-3.0-x86_64");
        return 0;
    case XENVER_commandline:
        strcpy(arg, "console=com1 dom0_mem=512M");
        return 0;
    case XENVER_pagesize:
        return 4096;
    default:
        return -ENOSYS;
    }
}

static long fake_hvm_op(unsigned int op, struct xen_hvm_param *p)
{
    struct fake_domain *d = fake_dom(p->domid);

    if (op != HVMOP_get_param)
        return -ENOSYS;
    if (!d)
        return -ESRCH;
    if (p->index >= HVM_NR_PARAMS)
        return -EINVAL;
    p->value = p->index == HVM_PARAM_CALLBACK_IRQ ? d->callback_irq : 0;
    return 0;
}

long plat_hypercall(unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    switch (op) {
    case __HYPERVISOR_domctl:
        return fake_domctl((struct xen_domctl *)(uintptr_t)a1);
    case __HYPERVISOR_sysctl:
        return fake_sysctl((struct xen_sysctl *)(uintptr_t)a1);
    case __HYPERVISOR_xen_version:
        return fake_version((unsigned int)a1, (void *)(uintptr_t)a2);
    case __HYPERVISOR_hvm_op:
        return fake_hvm_op((unsigned int)a1, (struct xen_hvm_param *)(uintptr_t)a2);
    default:
        return -ENOSYS;
    }
}

int plat_evtchn_bind_virq(unsigned int virq)
{
    (void)virq;
    return -ENOSYS;
}

int plat_evtchn_wait(int timeout_ms)
{
    (void)timeout_ms;
    return -ENOSYS;
}

int plat_evtchn_fd(void)
{
    return -ENOSYS;                     /* nothing to poll: tests call plat_evtchn_pending */
}

int plat_evtchn_bind_interdomain(uint32_t domid, uint32_t remote_port)
{
    if (!fake_dom(domid))
        return -ESRCH;
    for (uint32_t p = 1; p < FAKE_MAX_PORTS; p++)
        if (!fake_hv.port[p].bound) {
            fake_hv.port[p] = (struct fake_port){ true, domid, remote_port, 0 };
            return (int)p;
        }
    return -ENOSPC;
}

static struct fake_port *fake_port(uint32_t port)
{
    return port < FAKE_MAX_PORTS && fake_hv.port[port].bound ? &fake_hv.port[port] : NULL;
}

int plat_evtchn_notify(uint32_t port)
{
    struct fake_port *p = fake_port(port);

    if (!p)
        return -EINVAL;
    p->notified++;
    return 0;
}

int plat_evtchn_unbind(uint32_t port)
{
    struct fake_port *p = fake_port(port);

    if (!p)
        return -ENOTCONN;
    p->bound = false;
    return 0;
}

void fake_evtchn_fire(uint32_t port)
{
    if (fake_hv.nr_fired < FAKE_MAX_PORTS)
        fake_hv.fired[fake_hv.nr_fired++] = port;
}

int plat_evtchn_pending(void)
{
    uint32_t port;

    if (!fake_hv.nr_fired)
        return 0;
    port = fake_hv.fired[0];
    memmove(fake_hv.fired, fake_hv.fired + 1, --fake_hv.nr_fired * sizeof(port));
    return (int)port;
}

int plat_read_proc_xen(const char *name, char *buf, size_t len)
{
    (void)name, (void)buf, (void)len;
    return -ENOENT;
}
