/*
 * Grant tables, as far as a guest sets its own up (Xen 4.17, v1 layout): each domain's
 * shared frames, grown on demand up to its maximum and placed in its physmap through
 * XENMEM_add_to_physmap (XENMAPSPACE_grant_table), and GNTTABOP_query_size, setup_table,
 * set_version and get_version. With those, Linux's grant-table driver initialises as under
 * Xen. Mapping, copying and transferring other domains' grants (map_grant_ref, copy, ...)
 * is a later issue: -ENOSYS (docs/hypercalls.md).
 */
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/grant_table.h>
#include <kumo/hvm_exits.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>

static int grow(struct domain *d, unsigned int want)
{
    while (d->gnttab.nr_frames < want) {
        void *f = alloc_xenheap_pages(0);
        unsigned long flags;

        if (!f)
            return -XEN_ENOMEM;
        memset(f, 0, PAGE_SIZE);
        page_assign(maddr_to_page(__pa(f)), d, PGT_SPECIAL);
        spin_lock_irqsave(&d->page_lock, flags);
        if (d->gnttab.nr_frames < want) {
            d->gnttab.gfn[d->gnttab.nr_frames] = ~0UL;
            d->gnttab.frame[d->gnttab.nr_frames++] = f;
            f = NULL;
        }
        spin_unlock_irqrestore(&d->page_lock, flags);
        if (f)                          /* another vCPU grew it meanwhile */
            put_page(maddr_to_page(__pa(f)));
    }
    return 0;
}

int gnttab_init(struct domain *d)
{
    d->gnttab.max_frames = GNTTAB_MAX_FRAMES;
    return grow(d, 1);
}

void gnttab_free(struct domain *d)
{
    for (unsigned int i = 0; i < d->gnttab.nr_frames; i++)
        put_page(maddr_to_page(__pa(d->gnttab.frame[i])));
    d->gnttab.nr_frames = 0;
}

long gnttab_map_frame(struct domain *d, unsigned long idx, unsigned long gpfn)
{
    unsigned long flags;
    long rc;

    /* v1 has no status frames; beyond the maximum Xen finds no frame either. */
    if ((idx & XENMAPIDX_grant_table_status) || idx >= d->gnttab.max_frames ||
        gpfn >= P2M_MAX_GFN)
        return -XEN_EINVAL;
    rc = grow(d, (unsigned int)idx + 1);
    if (rc)
        return rc;
    spin_lock_irqsave(&d->page_lock, flags);
    rc = physmap_set_special(d, __pa(d->gnttab.frame[idx]) >> PAGE_SHIFT, &d->gnttab.gfn[idx],
                             gpfn);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return rc;
}

/*
 * The domain an op names, counted: any for the privileged, only its own for a DomU (Xen's
 * XSM_TARGET). NULL with *status GNTST_bad_domain or GNTST_permission_denied.
 */
static struct domain *target(struct vcpu *v, domid_t dom, int16_t *status)
{
    struct domain *d = domain_lookup_or_self(v->domain, dom);

    *status = d ? GNTST_okay : GNTST_bad_domain;
    if (d && d != v->domain && !v->domain->privileged) {
        domain_put(d);
        *status = GNTST_permission_denied;
        return NULL;
    }
    return d;
}

static long query_size(struct vcpu *v, uint64_t uop, uint64_t count)
{
    struct gnttab_query_size q;
    struct domain *d;

    if (count != 1)
        return -XEN_EINVAL;
    if (copy_from_guest_virt(v, &q, uop, sizeof(q)))
        return -XEN_EFAULT;
    d = target(v, q.dom, &q.status);
    if (d) {
        q.nr_frames = d->gnttab.nr_frames;
        q.max_nr_frames = d->gnttab.max_frames;
        domain_put(d);
    }
    return copy_to_guest_virt(v, uop, &q, sizeof(q)) ? -XEN_EFAULT : 0;
}

/* The 32-bit caller's layout: its frame list handle is 32 bits, its frames too. */
struct compat_gnttab_setup_table {
    domid_t dom;
    uint32_t nr_frames;
    int16_t status;
    uint32_t frame_list;
};

/*
 * As Xen answers an HVM guest: the table grown to nr_frames (more than the maximum, or no
 * memory: GNTST_general_error), then the gfn each frame is mapped at, ~0 for none.
 */
static long setup_table(struct vcpu *v, uint64_t uop, uint64_t count, bool compat)
{
    struct gnttab_setup_table n;
    struct compat_gnttab_setup_table c;
    uint64_t list;
    struct domain *d;
    int16_t status;
    size_t width = compat ? 4 : 8;

    if (count != 1)
        return -XEN_EINVAL;
    if (compat ? copy_from_guest_virt(v, &c, uop, sizeof(c))
               : copy_from_guest_virt(v, &n, uop, sizeof(n)))
        return -XEN_EFAULT;
    if (compat)
        n = (struct gnttab_setup_table){ .dom = c.dom, .nr_frames = c.nr_frames };
    list = compat ? c.frame_list : (uint64_t)(uintptr_t)n.frame_list.p;
    d = target(v, n.dom, &status);
    if (d && (n.nr_frames > d->gnttab.max_frames || grow(d, n.nr_frames)))
        status = GNTST_general_error;
    for (uint32_t i = 0; status == GNTST_okay && i < n.nr_frames; i++) {
        uint64_t gfn = d->gnttab.gfn[i];

        if (copy_to_guest_virt(v, list + i * width, &gfn, width))
            status = GNTST_bad_virt_addr;
    }
    if (d)
        domain_put(d);
    return copy_to_guest_virt(v, uop + offsetof(struct gnttab_setup_table, status), &status,
                              sizeof(status)) ? -XEN_EFAULT : 0;
}

/* Version 1 only, as Xen answers for a domain whose maximum is 1; the version is returned. */
static long set_version(struct vcpu *v, uint64_t uop)
{
    struct gnttab_set_version s;
    long rc;

    if (copy_from_guest_virt(v, &s, uop, sizeof(s)))
        return -XEN_EFAULT;
    rc = s.version == 1 ? 0 : s.version == 2 ? -XEN_ENOSYS : -XEN_EINVAL;
    s.version = 1;
    if (copy_to_guest_virt(v, uop, &s, sizeof(s)))
        return -XEN_EFAULT;
    return rc;
}

static long get_version(struct vcpu *v, uint64_t uop)
{
    struct gnttab_get_version g;
    struct domain *d;
    int16_t status;

    if (copy_from_guest_virt(v, &g, uop, sizeof(g)))
        return -XEN_EFAULT;
    d = target(v, g.dom, &status);
    if (!d)
        return status == GNTST_bad_domain ? -XEN_ESRCH : -XEN_EPERM;
    domain_put(d);
    g.version = 1;
    return copy_to_guest_virt(v, uop, &g, sizeof(g)) ? -XEN_EFAULT : 0;
}

static long grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count,
                           bool compat)
{
    switch (cmd) {
    case GNTTABOP_query_size:
        return query_size(v, uop, count);
    case GNTTABOP_setup_table:
        return setup_table(v, uop, count, compat);
    case GNTTABOP_set_version:
        return set_version(v, uop);
    case GNTTABOP_get_version:
        return get_version(v, uop);
    default:
        return -XEN_ENOSYS;
    }
}

long do_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count,
                       uint64_t a4, uint64_t a5)
{
    (void)a4, (void)a5;
    return grant_table_op(v, cmd, uop, count, false);
}

/* query_size and the version calls have one layout for both; setup_table does not. */
long compat_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count,
                           uint64_t a4, uint64_t a5)
{
    (void)a4, (void)a5;
    return grant_table_op(v, cmd, uop, count, true);
}
