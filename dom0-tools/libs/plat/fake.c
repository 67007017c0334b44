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
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/save.h>
#include <xen/hvm/params.h>

#include "plat/fake.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct fake_hv fake_hv;

static void fake_free_mem(struct fake_domain *d)
{
    if (d->mem)
        for (uint32_t g = 0; g < FAKE_MAX_GFN; g++)
            free(d->mem[g]);
    free(d->mem);
    d->mem = NULL;
}

void fake_reset(void)
{
    for (unsigned int i = 0; i < FAKE_MAX_DOMAINS; i++)
        fake_free_mem(&fake_hv.dom[i]);
    memset(&fake_hv, 0, sizeof(fake_hv));
    fake_hv.nr_cpus = 2;
    fake_hv.sched_id = XEN_SCHEDULER_CREDIT;
    fake_hv.credit.tslice_ms = 30;
    fake_hv.credit.ratelimit_us = 1000;
    fake_hv.capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap;
    fake_hv.total_pages = fake_hv.free_pages = 262144;
    fake_add_domain(0, "Domain-0", 512, 1);
}

void fake_add_domain(uint32_t domid, const char *name, unsigned int mib, unsigned int vcpus)
{
    struct fake_domain *d = &fake_hv.dom[domid];

    fake_free_mem(d);
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
                                         .affinity = (1ULL << fake_hv.nr_cpus) - 1,
                                         .soft_affinity = ~0ULL };
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
    bool hard = a->flags & XEN_VCPUAFFINITY_HARD, soft = a->flags & XEN_VCPUAFFINITY_SOFT;
    uint64_t *map = (uint64_t *)a->cpumap_hard.bitmap.p;
    uint64_t *soft_map = (uint64_t *)a->cpumap_soft.bitmap.p;
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
    if (a->vcpu >= d->nr_vcpus || (!hard && !soft) ||
        (hard && (!map || a->cpumap_hard.nr_bits < 64)) ||
        (soft && (!soft_map || a->cpumap_soft.nr_bits < 64)))
        return -EINVAL;
    v = &d->vcpu[a->vcpu];
    if (op->cmd == XEN_DOMCTL_setvcpuaffinity && hard) {
        uint64_t m = *map & ((1ULL << fake_hv.nr_cpus) - 1);

        if (!m)
            return -EINVAL;
        v->affinity = m;
        if (!(m >> v->cpu & 1))
            v->cpu = (unsigned int)__builtin_ctzll(m);
    }
    if (op->cmd == XEN_DOMCTL_setvcpuaffinity && soft)
        v->soft_affinity = *soft_map;
    if (hard)
        *map = v->affinity;
    if (soft)       /* set: the effective one, within hard; get: as set */
        *soft_map = v->soft_affinity &
                    (op->cmd == XEN_DOMCTL_setvcpuaffinity ? v->affinity : ~0ULL);
    return 0;
}

/* ---- Building domains: createdomain, memory, params, HVM context, foreign maps. ---- */

uint8_t *fake_guest_page(uint32_t domid, uint64_t gfn)
{
    const struct fake_domain *d = fake_dom(domid);

    return d && d->mem && gfn < FAKE_MAX_GFN ? d->mem[gfn] : NULL;
}

/* HEADER, one CPU record per vCPU (reset state), END: what Xen's gethvmcontext answers. */
static void fake_hvm_ctx_init(struct fake_domain *d)
{
    uint8_t *p = d->hvm_ctx;
    struct hvm_save_descriptor desc = { HVM_SAVE_CODE(HEADER), 0, HVM_SAVE_LENGTH(HEADER) };
    HVM_SAVE_TYPE(HEADER) hdr = { .magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION };

    memcpy(p, &desc, sizeof(desc)), p += sizeof(desc);
    memcpy(p, &hdr, sizeof(hdr)), p += sizeof(hdr);
    for (unsigned int v = 0; v < d->nr_vcpus; v++) {
        HVM_SAVE_TYPE(CPU) cpu = { .cr0 = 0x60000010, .rip = 0xfff0 };

        desc = (struct hvm_save_descriptor){ HVM_SAVE_CODE(CPU), (uint16_t)v,
                                             HVM_SAVE_LENGTH(CPU) };
        memcpy(p, &desc, sizeof(desc)), p += sizeof(desc);
        memcpy(p, &cpu, sizeof(cpu)), p += sizeof(cpu);
    }
    desc = (struct hvm_save_descriptor){ HVM_SAVE_CODE(END), 0, 0 };
    memcpy(p, &desc, sizeof(desc)), p += sizeof(desc);
    d->hvm_ctx_len = (uint32_t)(p - d->hvm_ctx);
}

/* The vCPUs max_vcpus makes: down until the HVM context starts them. */
static void fake_add_vcpus(struct fake_domain *d)
{
    d->nr_vcpus = d->max_vcpus;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        d->vcpu[i] = (struct fake_vcpu){ .affinity = (1ULL << fake_hv.nr_cpus) - 1,
                                         .soft_affinity = ~0ULL,
                                         .cpu = i % fake_hv.nr_cpus };
    fake_hvm_ctx_init(d);
}

static long fake_createdomain(struct xen_domctl *op)
{
    struct xen_domctl_createdomain *c = &op->u.createdomain;
    uint32_t id = op->domain;
    struct fake_domain *d;

    if ((c->flags & (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap)) !=
            (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap) ||
        c->arch.emulation_flags != XEN_X86_EMU_LAPIC)
        return -EINVAL;
    if (!c->max_vcpus || c->max_vcpus > FAKE_MAX_VCPUS)
        return -EINVAL;
    if (id && id < DOMID_FIRST_RESERVED) {
        if (id >= FAKE_MAX_DOMAINS)
            return -EINVAL;
        if (fake_dom(id))
            return -EEXIST;
    } else {
        for (id = 1; id < FAKE_MAX_DOMAINS && fake_dom(id); id++)
            ;
        if (id == FAKE_MAX_DOMAINS)
            return -ENOSPC;
    }
    fake_add_domain(id, "", 0, 0);     /* vCPUs come with XEN_DOMCTL_max_vcpus */
    d = &fake_hv.dom[id];
    d->max_vcpus = c->max_vcpus;
    d->max_pages = 0;
    d->pause_count = 1;                 /* a new domain starts paused */
    d->mem = calloc(FAKE_MAX_GFN, sizeof(*d->mem));
    if (!d->mem) {
        d->exists = false;
        return -ENOMEM;
    }
    memcpy(d->handle, c->handle, sizeof(d->handle));
    d->emulation_flags = c->arch.emulation_flags;
    d->create_flags = c->flags;
    d->next_port = 1;
    fake_hvm_ctx_init(d);
    op->domain = (domid_t)id;
    return 0;
}

/* The record of type/instance in d's context: its body, or NULL. */
static uint8_t *fake_hvm_record(struct fake_domain *d, uint16_t type, uint16_t instance,
                                uint32_t *len)
{
    struct hvm_save_descriptor desc;

    for (uint32_t off = 0; off + sizeof(desc) <= d->hvm_ctx_len;) {
        memcpy(&desc, d->hvm_ctx + off, sizeof(desc));
        off += sizeof(desc);
        if (desc.typecode == type && desc.instance == instance) {
            *len = desc.length;
            return d->hvm_ctx + off;
        }
        off += desc.length;
    }
    return NULL;
}

/* sethvmcontext: every record must lie within the buffer; known records replace ours. */
static long fake_set_hvm_ctx(struct fake_domain *d, const uint8_t *buf, uint32_t size)
{
    struct hvm_save_descriptor desc;
    bool end = false;

    for (uint32_t off = 0; !end; off += desc.length) {
        uint32_t len;
        uint8_t *ours;

        if (size - off < sizeof(desc))
            return -EINVAL;
        memcpy(&desc, buf + off, sizeof(desc));
        off += sizeof(desc);
        if (desc.length > size - off)
            return -EINVAL;
        end = desc.typecode == HVM_SAVE_CODE(END);
        if (desc.typecode == HVM_SAVE_CODE(HEADER) || end)
            continue;
        ours = fake_hvm_record(d, desc.typecode, desc.instance, &len);
        if (!ours || len != desc.length)
            return -EINVAL;
        memcpy(ours, buf + off, len);
    }
    return 0;
}

static long fake_hvmcontext(struct fake_domain *d, struct xen_domctl *op)
{
    struct xen_domctl_hvmcontext *c = &op->u.hvmcontext;
    struct xen_domctl_hvmcontext_partial *p = &op->u.hvmcontext_partial;
    uint8_t *rec;
    uint32_t len;

    if (op->cmd == XEN_DOMCTL_sethvmcontext)
        return fake_set_hvm_ctx(d, c->buffer.p, c->size);
    if (op->cmd == XEN_DOMCTL_gethvmcontext) {
        if (c->buffer.p) {
            if (c->size < d->hvm_ctx_len)
                return -ENOSPC;
            memcpy(c->buffer.p, d->hvm_ctx, d->hvm_ctx_len);
        }
        c->size = d->hvm_ctx_len;
        return 0;
    }
    if (p->type == HVM_SAVE_CODE(HEADER) || p->type == HVM_SAVE_CODE(END))
        return -EINVAL;                 /* no per-instance save for them (Xen) */
    rec = fake_hvm_record(d, (uint16_t)p->type, (uint16_t)p->instance, &len);
    if (!rec)
        return -ENOENT;
    if (p->bufsz < len)
        return -ENOSPC;
    memcpy(p->buffer.p, rec, len);
    return 0;
}

static long fake_populate(struct xen_memory_reservation *r)
{
    struct fake_domain *d = fake_dom(r->domid);
    uint64_t nr = 1ULL << r->extent_order;
    xen_ulong_t i;

    if (!d || !d->mem)
        return -ESRCH;
    for (i = 0; i < r->nr_extents; i++) {
        xen_pfn_t gfn = r->extent_start.p[i];

        if (gfn & (nr - 1) || gfn + nr > FAKE_MAX_GFN)
            return -EINVAL;
        if (d->tot_pages + nr > d->max_pages || nr > fake_hv.free_pages)
            break;
        for (uint64_t g = gfn; g < gfn + nr; g++)
            if (d->mem[g])
                return -EBUSY;
        for (uint64_t g = gfn; g < gfn + nr; g++)
            if (!(d->mem[g] = calloc(1, 4096)))
                return -ENOMEM;
        d->tot_pages += nr;
        fake_hv.free_pages -= nr;
    }
    return (long)i;
}

static long fake_memory_op(unsigned int cmd, void *arg)
{
    struct xen_foreign_memory_map *m = arg;
    struct fake_domain *d;

    if (cmd == XENMEM_populate_physmap)
        return fake_populate(arg);
    if (cmd != XENMEM_set_memory_map)
        return -ENOSYS;
    if (!(d = fake_dom(m->domid)))
        return -ESRCH;
    if (m->map.nr_entries > 16)
        return -EINVAL;
    memcpy(d->memmap, m->map.buffer.p, m->map.nr_entries * 20);
    d->nr_memmap = m->map.nr_entries;
    return 0;
}

static long fake_hvm_op(unsigned int cmd, struct xen_hvm_param *p)
{
    struct fake_domain *d = fake_dom(p->domid);

    if (cmd != HVMOP_set_param && cmd != HVMOP_get_param)
        return -ENOSYS;
    if (!d)
        return -ESRCH;
    if (p->index >= HVM_NR_PARAMS)
        return -EINVAL;
    if (cmd == HVMOP_set_param)
        d->params[p->index] = p->value;
    else
        p->value = d->params[p->index];
    return 0;
}

static long fake_evtchn_op(unsigned int cmd, void *arg)
{
    struct evtchn_alloc_unbound *a = arg;
    struct fake_domain *d;

    if (cmd != EVTCHNOP_alloc_unbound)
        return -ENOSYS;
    if (!(d = fake_dom(a->dom)) || !fake_dom(a->remote_dom))
        return -ESRCH;
    a->port = d->next_port++;
    return 0;
}

/* Mappings are copies: written back to the domain's pages when unmapped. */
#define FAKE_MAX_MAPS 64
static struct fake_map {
    void *addr;
    uint32_t domid;
    uint64_t *gfns;
    unsigned int n;
} fake_maps[FAKE_MAX_MAPS];

void *plat_map_foreign(uint32_t domid, const uint64_t *gfns, unsigned int n, int *errs)
{
    struct fake_map *m = NULL;
    uint8_t *addr;
    int bad = 0;

    if (fake_hv.fail_at && ++fake_hv.calls == fake_hv.fail_at) {
        errno = ENOMEM;
        return NULL;
    }
    for (unsigned int i = 0; i < FAKE_MAX_MAPS && !m; i++)
        m = fake_maps[i].addr ? NULL : &fake_maps[i];
    if (!m || !n || !(addr = calloc(n, 4096))) {
        errno = !n ? EINVAL : ENOMEM;
        return NULL;
    }
    for (unsigned int i = 0; i < n; i++) {
        const uint8_t *pg = fake_guest_page(domid, gfns[i]);
        int e = pg ? 0 : fake_dom(domid) ? -EFAULT : -ESRCH;

        if (pg)
            memcpy(addr + (size_t)i * 4096, pg, 4096);
        if (errs)
            errs[i] = e;
        bad = bad ? bad : e;
    }
    if (bad && !errs) {
        free(addr);
        errno = -bad;
        return NULL;
    }
    *m = (struct fake_map){ addr, domid, malloc(n * sizeof(*gfns)), n };
    memcpy(m->gfns, gfns, n * sizeof(*gfns));
    fake_hv.nr_maps++;
    return addr;
}

void plat_unmap_foreign(void *addr, unsigned int n)
{
    for (unsigned int i = 0; i < FAKE_MAX_MAPS; i++) {
        struct fake_map *m = &fake_maps[i];

        if (m->addr != addr || !addr)
            continue;
        for (unsigned int p = 0; p < n && p < m->n; p++) {
            uint8_t *pg = fake_guest_page(m->domid, m->gfns[p]);

            if (pg)
                memcpy(pg, (uint8_t *)addr + (size_t)p * 4096, 4096);
        }
        free(m->gfns);
        free(m->addr);
        *m = (struct fake_map){ 0 };
        fake_hv.nr_maps--;
    }
}

static long fake_domctl(struct xen_domctl *op)
{
    struct fake_domain *d;

    if (op->interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;
    if (op->cmd == XEN_DOMCTL_createdomain)
        return fake_createdomain(op);
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
    case XEN_DOMCTL_max_vcpus:
        if (op->u.max_vcpus.max != d->max_vcpus || d->nr_vcpus)
            return -EINVAL;
        fake_add_vcpus(d);
        return 0;
    case XEN_DOMCTL_max_mem:
        d->max_pages = op->u.max_mem.max_memkb / 4;
        return 0;
    case XEN_DOMCTL_gethvmcontext:
    case XEN_DOMCTL_gethvmcontext_partial:
    case XEN_DOMCTL_sethvmcontext:
        return fake_hvmcontext(d, op);
    case XEN_DOMCTL_destroydomain:
        if (op->domain == 0)
            return -EINVAL;
        fake_hv.free_pages += d->tot_pages;
        fake_free_mem(d);
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

/* Xen's checks (credit's csched_sys_cntl), on the one pool. */
static long fake_sched_pool_op(struct xen_sysctl_scheduler_op *s)
{
    struct xen_sysctl_credit_schedule *c = &s->u.sched_credit;

    if (s->cpupool_id)
        return -ESRCH;
    if (s->sched_id != fake_hv.sched_id || s->sched_id != XEN_SCHEDULER_CREDIT)
        return -EINVAL;
    if (s->cmd == XEN_SYSCTL_SCHEDOP_putinfo) {
        if (c->tslice_ms < XEN_SYSCTL_CSCHED_TSLICE_MIN ||
            c->tslice_ms > XEN_SYSCTL_CSCHED_TSLICE_MAX ||
            (c->ratelimit_us && (c->ratelimit_us < XEN_SYSCTL_SCHED_RATELIMIT_MIN ||
                                 c->ratelimit_us > XEN_SYSCTL_SCHED_RATELIMIT_MAX)) ||
            (uint64_t)c->ratelimit_us > (uint64_t)c->tslice_ms * 1000 ||
            c->vcpu_migr_delay_us > XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US)
            return -EINVAL;
        fake_hv.credit = *c;
    } else if (s->cmd != XEN_SYSCTL_SCHEDOP_getinfo) {
        return -EINVAL;
    }
    *c = fake_hv.credit;
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
        op->u.physinfo.capabilities = fake_hv.capabilities;
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
    case XEN_SYSCTL_scheduler_op:
        return fake_sched_pool_op(&op->u.scheduler_op);
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
        strcpy(arg, "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ");
        return 0;
    case XENVER_platform_parameters:
        ((xen_platform_parameters_t *)arg)->virt_start = 0xFFFF800000000000ULL;
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

long plat_hypercall(unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    if (fake_hv.fail_at && ++fake_hv.calls == fake_hv.fail_at)
        return -ENOMEM;
    switch (op) {
    case __HYPERVISOR_memory_op:
        return fake_memory_op((unsigned int)a1, (void *)(uintptr_t)a2);
    case __HYPERVISOR_hvm_op:
        return fake_hvm_op((unsigned int)a1, (struct xen_hvm_param *)(uintptr_t)a2);
    case __HYPERVISOR_event_channel_op:
        return fake_evtchn_op((unsigned int)a1, (void *)(uintptr_t)a2);
    case __HYPERVISOR_domctl:
        return fake_domctl((struct xen_domctl *)(uintptr_t)a1);
    case __HYPERVISOR_sysctl:
        return fake_sysctl((struct xen_sysctl *)(uintptr_t)a1);
    case __HYPERVISOR_xen_version:
        return fake_version((unsigned int)a1, (void *)(uintptr_t)a2);
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
