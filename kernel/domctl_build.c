/*
 * The domctls Dom0's toolstack builds a domain with (linux-dom0-abi.md section 7):
 * XEN_DOMCTL_createdomain -- a PVH domain, paused by the controller, with no memory and no
 * vCPUs yet -- XEN_DOMCTL_max_mem, the paging pool and TSC info. Xen 4.17's checks, numbers and errors; what kumo
 * cannot offer (PV, shadow paging, an IOMMU, device emulation) is refused as Xen refuses a
 * configuration it was built without.
 */
#include <asm/irq.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hypercall.h>
#include <kumo/lib.h>
#include <kumo/mm.h>
#include <kumo/time.h>
#include <kumo/sched.h>
#include <kumo/xen_ctl_abi.h>

/* Xen's defaults for gnttab_max_frames and gnttab_max_maptrack_frames. */
#define MAX_GRANT_FRAMES        64
#define MAX_MAPTRACK_FRAMES     1024
#define INT_MAX                 0x7FFFFFFF

#define CDF_KNOWN (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity | \
                   XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain |                     \
                   XEN_DOMCTL_CDF_iommu | XEN_DOMCTL_CDF_nested_virt | XEN_DOMCTL_CDF_vpmu)

/*
 * Xen's sanitise_domain_config() and the x86 part of it, for a hypervisor with HVM and HAP
 * only: unknown flags, no vCPU, PV, shadow paging, an IOMMU, vPMU, nested virtualization,
 * tboot's S3 integrity or processor tracing are -EINVAL; of the emulators only the LAPIC,
 * i.e. PVH, is on offer (-EOPNOTSUPP for the rest, -EINVAL for unknown bits).
 */
static long check_config(const struct xen_domctl_createdomain *c)
{
    unsigned int version = XEN_DOMCTL_GRANT_version(c->grant_opts);

    if ((c->flags & ~CDF_KNOWN) || (c->grant_opts & ~XEN_DOMCTL_GRANT_version_mask))
        return -XEN_EINVAL;
    if (c->max_vcpus < 1 || c->max_vcpus > MAX_VCPUS)
        return -XEN_EINVAL;
    if (!(c->flags & XEN_DOMCTL_CDF_hvm) || !(c->flags & XEN_DOMCTL_CDF_hap))
        return -XEN_EINVAL;
    if (c->flags & (XEN_DOMCTL_CDF_iommu | XEN_DOMCTL_CDF_vpmu | XEN_DOMCTL_CDF_nested_virt |
                    XEN_DOMCTL_CDF_s3_integrity))
        return -XEN_EINVAL;
    if (c->iommu_opts || c->vmtrace_size || (c->arch.misc_flags & ~XEN_X86_MSR_RELAXED))
        return -XEN_EINVAL;
    if (c->arch.emulation_flags & ~XEN_X86_EMU_ALL)
        return -XEN_EINVAL;
    if (c->arch.emulation_flags != XEN_X86_EMU_LAPIC)
        return -XEN_EOPNOTSUPP;
    /* grant_table_init(): a version Xen has, frames within its command-line bounds. */
    if (version < 1 || version > 2)
        return -XEN_EINVAL;
    if ((c->max_grant_frames >= 0 &&
         (c->max_grant_frames < 1 || c->max_grant_frames > MAX_GRANT_FRAMES)) ||
        c->max_maptrack_frames > MAX_MAPTRACK_FRAMES)
        return -XEN_EINVAL;
    if (c->cpupool_id)
        return -XEN_ENOENT;             /* only Pool-0 exists */
    return 0;
}

/*
 * The id: 0 or a reserved one picks the next free after Xen's rover; a given one must be
 * free (-EEXIST). kumo's table holds MAX_DOMAINS ids: one beyond it is -EINVAL.
 */
static long createdomain(struct xen_domctl *op)
{
    struct xen_domctl_createdomain *c = &op->u.createdomain;
    uint16_t domid = op->domain;
    struct domain *d;
    long rc = check_config(c);
    int err;

    if (rc)
        return rc;
    if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
        domid = DOMID_ROVER;
    else if (domid >= MAX_DOMAINS)
        return -XEN_EINVAL;
    d = domain_create(domid, "domU", false, &err);
    if (!d)
        return err == -XEN_ENOSPC ? -XEN_ENOMEM : err;      /* Xen: no free id is -ENOMEM */
    snprintf(d->name, sizeof(d->name), "d%u", d->domid);
    memcpy(d->handle, c->handle, sizeof(d->handle));
    d->kept_on_shutdown = true;
    d->max_vcpus = c->max_vcpus;
    d->max_evtchn_port = MIN(c->max_evtchn_port, (uint32_t)NR_EVENT_CHANNELS - 1);
    /* Paused by the controller until XEN_DOMCTL_unpausedomain: nothing runs before. */
    domain_ctl_pause(d);
    op->domain = d->domid;
    printk("d%u created by the toolstack (%u vCPUs)\n", d->domid, d->max_vcpus);
    return 0;
}

/* Xen's rule: no error; a maximum below tot_pages only stops new allocations. */
static long max_mem(struct domain *d, const struct xen_domctl *op)
{
    uint64_t pages = op->u.max_mem.max_memkb >> (PAGE_SHIFT - 10);
    unsigned long flags;

    spin_lock_irqsave(&d->page_lock, flags);
    d->max_pages = (unsigned long)MIN(pages, (uint64_t)~0UL);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return 0;
}

/*
 * The p2m's page pool: kumo allocates table pages on demand, so the size is the bound they
 * may grow to (d->p2m_limit), never below what the tables already hold. Xen would allocate
 * the pool at once: a size beyond the free heap is -ENOMEM here as there.
 */
static long paging_mempool(struct domain *d, struct xen_domctl *op)
{
    uint64_t size = op->u.paging_mempool.size;
    unsigned long flags;

    if (op->cmd == XEN_DOMCTL_get_paging_mempool_size) {
        spin_lock_irqsave(&d->page_lock, flags);
        op->u.paging_mempool.size = (uint64_t)MAX(d->p2m_limit, d->p2m_pages) << PAGE_SHIFT;
        spin_unlock_irqrestore(&d->page_lock, flags);
        return 0;
    }
    if (size & (PAGE_SIZE - 1))
        return -XEN_EINVAL;
    if ((size >> PAGE_SHIFT) > total_free_pages())
        return -XEN_ENOMEM;
    spin_lock_irqsave(&d->page_lock, flags);
    d->p2m_limit = MAX((unsigned long)(size >> PAGE_SHIFT), d->p2m_pages);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return 0;
}

/* Xen's TSC modes (xen/arch/x86/include/asm/time.h); kumo never emulates RDTSC. */
#define TSC_MODE_DEFAULT        0
#define TSC_MODE_ALWAYS_EMULATE 1
#define TSC_MODE_NEVER_EMULATE  2

static long tscinfo(struct vcpu *v, struct domain *d, struct xen_domctl *op)
{
    struct xen_domctl_tsc_info *t = &op->u.tsc_info;

    if (d == v->domain)
        return -XEN_EINVAL;
    if (op->cmd == XEN_DOMCTL_gettscinfo) {
        *t = (struct xen_domctl_tsc_info){ .tsc_mode = TSC_MODE_DEFAULT,
                                           .gtsc_khz = (uint32_t)tsc_khz };
        return 0;
    }
    if (t->tsc_mode == TSC_MODE_ALWAYS_EMULATE)
        return -XEN_EOPNOTSUPP;
    return t->tsc_mode == TSC_MODE_DEFAULT || t->tsc_mode == TSC_MODE_NEVER_EMULATE
           ? 0 : -XEN_EINVAL;
}

long domctl_build_op(struct vcpu *v, struct domain *d, struct xen_domctl *op)
{
    switch (op->cmd) {
    case XEN_DOMCTL_createdomain:
        return createdomain(op);
    case XEN_DOMCTL_max_mem:
        return max_mem(d, op);
    case XEN_DOMCTL_get_paging_mempool_size:
    case XEN_DOMCTL_set_paging_mempool_size:
        return paging_mempool(d, op);
    case XEN_DOMCTL_gettscinfo:
    case XEN_DOMCTL_settscinfo:
        return tscinfo(v, d, op);
    }
    return -XEN_ENOSYS;
}
