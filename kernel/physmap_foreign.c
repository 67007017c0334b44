/*
 * Foreign mappings (DESIGN.md D9, D15): Dom0's toolstack maps pages of the domains it builds
 * and serves (privcmd's MMAPBATCH on an auto-translated Dom0 -> XENMAPSPACE_gmfn_foreign).
 * Each mapping is an entry of type p2m_foreign in the mapper's p2m and a row of its
 * d->foreign table (sorted by gfn), which holds a reference on the foreign page: the owner
 * may be destroyed meanwhile, and its page then lives until the last mapping is removed.
 * The table and the p2m entry change together under the mapper's page_lock.
 */
#include <asm/irq.h>
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

/* A quarter of a million mappings (1 GiB): far above a builder's needs, bounded for the heap. */
#define FOREIGN_MAX (1u << 18)

/* Index of the first row with gfn >= gfn. */
static unsigned int find_row(const struct domain *d, unsigned long gfn)
{
    unsigned int lo = 0, hi = d->nr_foreign;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (d->foreign[mid].gfn < gfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool has_row(const struct domain *d, unsigned long gfn, unsigned int *i)
{
    *i = find_row(d, gfn);
    return *i < d->nr_foreign && d->foreign[*i].gfn == gfn;
}

/* Room for one more row. 0 or -ENOMEM (the bound, or the heap). */
static int grow_table(struct domain *d)
{
    unsigned int max;
    struct foreign_map *n;

    if (d->nr_foreign < d->max_foreign)
        return 0;
    if (d->max_foreign >= FOREIGN_MAX)
        return -XEN_ENOMEM;
    max = d->max_foreign ? d->max_foreign * 2 : 64;
    n = xmalloc_bytes(max * sizeof(*n));
    if (!n)
        return -XEN_ENOMEM;
    if (d->foreign)
        memcpy(n, d->foreign, d->nr_foreign * sizeof(*n));
    xfree(d->foreign);
    d->foreign = n;
    d->max_foreign = max;
    return 0;
}

static void drop_row(struct domain *d, unsigned int i)
{
    memmove(&d->foreign[i], &d->foreign[i + 1], (d->nr_foreign - i - 1) * sizeof(d->foreign[0]));
    d->nr_foreign--;
}

bool physmap_remove_foreign(struct domain *d, unsigned long gfn)
{
    struct page_info *pg;
    unsigned int i;

    if (!has_row(d, gfn, &i) || p2m_clear_entry(d, gfn))
        return false;
    pg = d->foreign[i].pg;
    drop_row(d, i);
    p2m_flush_sync(d);                  /* no CPU may still reach the page through d */
    put_page(pg);
    return true;
}

/* A reference on fd's frame at fgfn: RAM or shared_info, not a page fd maps itself. */
static struct page_info *foreign_page(struct domain *fd, unsigned long fgfn)
{
    struct page_info *pg = NULL;
    unsigned long flags, mfn;

    spin_lock_irqsave(&fd->page_lock, flags);
    if (fgfn < P2M_MAX_GFN && gfn_to_mfn_locked(fd, fgfn, &mfn)) {
        pg = maddr_to_page((paddr_t)mfn << PAGE_SHIFT);
        /* get_page checks the owner: another domain's page mapped in fd is refused. */
        if (!get_page(pg, fd))
            pg = NULL;
    }
    spin_unlock_irqrestore(&fd->page_lock, flags);
    return pg;
}

/* Empties gfn in d (page_lock held); what it held is released after the flush. */
static int clear_target(struct domain *d, unsigned long gfn, struct list_head *taken)
{
    unsigned long mfn;

    if (physmap_remove_foreign(d, gfn))
        return 0;
    if (!gfn_to_mfn_locked(d, gfn, &mfn))
        return 0;
    return physmap_remove(d, gfn, taken) ? 0 : -XEN_ENOMEM;
}

int physmap_add_foreign(struct domain *d, struct domain *fd, unsigned long fgfn,
                        unsigned long gfn)
{
    struct list_head taken = LIST_HEAD_INIT(taken);
    struct page_info *pg;
    unsigned long flags;
    unsigned int i;
    int rc;

    if (!d->privileged || fd == d)
        return -XEN_EPERM;
    if (gfn >= P2M_MAX_GFN)
        return -XEN_EINVAL;
    pg = foreign_page(fd, fgfn);
    if (!pg)
        return -XEN_EINVAL;
    spin_lock_irqsave(&d->page_lock, flags);
    rc = clear_target(d, gfn, &taken);
    if (!rc)
        rc = grow_table(d);
    if (!rc)
        rc = p2m_map_range(d, gfn, (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT), 1,
                           p2m_foreign);
    if (!rc) {
        i = find_row(d, gfn);
        memmove(&d->foreign[i + 1], &d->foreign[i], (d->nr_foreign - i) * sizeof(d->foreign[0]));
        d->foreign[i] = (struct foreign_map){ gfn, pg };
        d->nr_foreign++;
    }
    domain_put_taken(d, &taken);
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc)
        put_page(pg);
    return rc;
}

void physmap_foreign_release(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_foreign; i++)
        put_page(d->foreign[i].pg);
    d->nr_foreign = 0;
    xfree(d->foreign);
    d->foreign = NULL;
}
