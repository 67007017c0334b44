/*
 * What each guest frame holds, decided in one place: RAM populated at build time and by
 * the balloon, RAM given back, shared_info placed. The p2m code (arch/x86/hvm/p2m.c)
 * writes the entries; this module keeps the domain's page list and gfn runs in step with
 * them, and every page's ownership (kernel/page_ref.c). Once the domain runs, all of it
 * happens under d->page_lock.
 */
#include <asm/hvm.h>
#include <asm/p2m.h>
#include <kumo/domain.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/physmap.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

static int add_extent(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr)
{
    struct p2m_extent *e = d->nr_extents ? &d->extents[d->nr_extents - 1] : NULL;

    if (e && e->gfn + e->nr == gfn && e->mfn + e->nr == mfn) {
        e->nr += nr;
        return 0;
    }
    if (d->nr_extents == d->max_extents) {
        unsigned int max = d->max_extents ? d->max_extents * 2 : 16;
        struct p2m_extent *n = xmalloc_bytes(max * sizeof(*n));

        if (!n)
            return -XEN_ENOMEM;
        if (d->extents)
            memcpy(n, d->extents, d->nr_extents * sizeof(*n));
        xfree(d->extents);
        d->extents = n;
        d->max_extents = max;
    }
    d->extents[d->nr_extents++] = (struct p2m_extent){ gfn, mfn, nr };
    return 0;
}

int domain_populate(struct domain *d, uint64_t bytes)
{
    const unsigned long hole = GUEST_MMIO_HOLE_START >> PAGE_SHIFT;
    unsigned long want = (unsigned long)(bytes >> PAGE_SHIFT), gfn = d->tot_pages;

    if (gfn >= hole)
        gfn += (GUEST_HIGH_RAM_START >> PAGE_SHIFT) - hole;
    d->max_pages = MAX(d->max_pages, want);
    while (d->tot_pages < want) {
        if (gfn == hole)                        /* the hole is 2 MiB aligned */
            gfn = GUEST_HIGH_RAM_START >> PAGE_SHIFT;
        unsigned long left = want - d->tot_pages;
        unsigned int order = left >= 512 && !(gfn & 511) ? 9 : 0;
        struct page_info *pg = alloc_domheap_pages(order);
        unsigned long mfn;

        if (!pg && order) {
            order = 0;
            pg = alloc_domheap_pages(0);
        }
        if (!pg)
            return -XEN_ENOMEM;
        mfn = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
        memset(__va(page_to_maddr(pg)), 0, PAGE_SIZE << order);
        for (unsigned long i = 0; i < (1UL << order); i++)
            page_assign(&pg[i], d, PGT_RAM);
        list_add_tail(&pg->list, &d->page_list);
        pg->order = order;
        d->tot_pages += 1UL << order;
        if (add_extent(d, gfn, mfn, 1UL << order) ||
            p2m_map_range(d, gfn, mfn, 1UL << order, p2m_ram_rw))
            return -XEN_ENOMEM;
        gfn += 1UL << order;
    }
    return 0;
}

/* Splits the page block holding mfn into single pages on d's list; returns mfn's page. */
static struct page_info *split_block(struct domain *d, unsigned long mfn)
{
    struct page_info *pg;

    list_for_each_entry(pg, &d->page_list, list) {
        unsigned long base = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);

        if (mfn < base || mfn - base >= (1UL << pg->order))
            continue;
        for (unsigned long i = (1UL << pg->order) - 1; i > 0; i--) {
            struct page_info *p = maddr_to_page((paddr_t)(base + i) << PAGE_SHIFT);

            p->order = 0;
            list_add(&p->list, &pg->list);
        }
        pg->order = 0;
        return maddr_to_page((paddr_t)mfn << PAGE_SHIFT);
    }
    return NULL;
}

/* Forgets the run at index i (left empty by a page taken from its start). */
static void drop_extent(struct domain *d, unsigned int i)
{
    memmove(&d->extents[i], &d->extents[i + 1], (d->nr_extents - i - 1) * sizeof(d->extents[0]));
    d->nr_extents--;
}

struct page_info *domain_take_gfn(struct domain *d, unsigned long gfn)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        struct p2m_extent *e = &d->extents[i];
        unsigned long mfn, end;
        struct page_info *pg;

        if (gfn < e->gfn || gfn - e->gfn >= e->nr)
            continue;
        mfn = e->mfn + (gfn - e->gfn);
        end = e->gfn + e->nr;
        pg = split_block(d, mfn);
        if (!pg)
            return NULL;
        /* The run keeps the part below gfn; the part above becomes a run of its own. */
        e->nr = gfn - e->gfn;
        if (end > gfn + 1 && add_extent(d, gfn + 1, mfn + 1, end - gfn - 1)) {
            e->nr = end - e->gfn;
            return NULL;
        }
        if (!d->extents[i].nr)
            drop_extent(d, i);
        list_del(&pg->list);
        d->tot_pages--;
        return pg;
    }
    return NULL;
}

void domain_put_taken(struct domain *d, struct list_head *pages)
{
    struct page_info *pg, *n;

    p2m_flush_sync(d);
    list_for_each_entry_safe(pg, n, pages, list) {
        list_del(&pg->list);
        put_page(pg);
    }
}

/* Undoes add_extent(d, gfn, mfn, nr) made when the list had nr_before runs. */
static void undo_add_extent(struct domain *d, unsigned int nr_before, unsigned long nr)
{
    if (d->nr_extents > nr_before)
        d->nr_extents--;
    else
        d->extents[d->nr_extents - 1].nr -= nr;     /* it was merged into the last run */
}


int domain_populate_gfn(struct domain *d, unsigned long gfn, unsigned int order,
                        uint64_t max_addr)
{
    unsigned long nr = 1UL << order, mfn;
    unsigned int nr_before = d->nr_extents;
    struct page_info *pg;

    if (gfn >= P2M_MAX_GFN || nr > P2M_MAX_GFN - gfn)
        return -XEN_EINVAL;
    if (d->tot_pages + nr > d->max_pages)
        return -XEN_ENOMEM;
    for (unsigned long i = 0; i < nr; i++)
        if (gfn_to_mfn_locked(d, gfn + i, &mfn))
            return -XEN_EBUSY;
    pg = alloc_domheap_pages(order);
    if (!pg)
        return -XEN_ENOMEM;
    mfn = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
    if ((max_addr && page_to_maddr(pg) + (PAGE_SIZE << order) > max_addr) ||
        add_extent(d, gfn, mfn, nr)) {
        free_domheap_pages(pg, order);
        return -XEN_ENOMEM;
    }
    memset(__va(page_to_maddr(pg)), 0, PAGE_SIZE << order);
    if (p2m_map_range(d, gfn, mfn, nr, p2m_ram_rw)) {
        /* What was mapped is 4 KiB entries or nothing: clearing them needs no memory. */
        for (unsigned long i = 0; i < nr; i++)
            p2m_clear_entry(d, gfn + i);
        p2m_flush_sync(d);
        undo_add_extent(d, nr_before, nr);
        free_domheap_pages(pg, order);
        return -XEN_ENOMEM;
    }
    for (unsigned long i = 0; i < nr; i++)
        page_assign(&pg[i], d, PGT_RAM);
    list_add_tail(&pg->list, &d->page_list);
    pg->order = order;
    d->tot_pages += nr;
    return 0;
}

/*
 * What the p2m's tables may grow to once the domain runs: the paging pool xl gives an HVM
 * guest by default (1 MiB per vCPU and 8 KiB per MiB of RAM), on top of what the builder
 * needed. Mappings made anywhere in the guest-physical space would otherwise cost the
 * hypervisor tables without end.
 */
void physmap_seal(struct domain *d)
{
    if (!d->p2m_limit)
        d->p2m_limit = d->p2m_pages + 256UL * d->nr_vcpus + d->max_pages / 128;
}

bool physmap_remove(struct domain *d, unsigned long gfn, struct list_head *taken)
{
    struct page_info *pg;
    unsigned long mfn;

    if (d->nr_foreign && physmap_remove_foreign(d, gfn))
        return true;
    if (gfn == d->shared_info_gfn) {
        if (p2m_clear_entry(d, gfn))
            return false;
        d->shared_info_gfn = ~0UL;
        return true;
    }
    if (!gfn_to_mfn_locked(d, gfn, &mfn) || p2m_clear_entry(d, gfn))
        return false;
    pg = domain_take_gfn(d, gfn);
    if (!pg) {
        /* The table the entry lived in is still there: putting it back needs no memory. */
        p2m_map_range(d, gfn, mfn, 1, p2m_ram_rw);
        return false;
    }
    list_add_tail(&pg->list, taken);
    return true;
}

int physmap_set_shared_info(struct domain *d, unsigned long gpfn)
{
    struct list_head taken = LIST_HEAD_INIT(taken);
    struct page_info *pg = NULL;
    unsigned long mfn;
    int rc = 0;

    if (d->shared_info_gfn == gpfn)
        return 0;
    if (d->shared_info_gfn != ~0UL && p2m_clear_entry(d, d->shared_info_gfn))
        return -XEN_ENOMEM;
    if (gfn_to_mfn_locked(d, gpfn, &mfn))
        pg = domain_take_gfn(d, gpfn);
    if (p2m_map_range(d, gpfn, (unsigned long)(__pa(d->shared_info) >> PAGE_SHIFT), 1,
                      p2m_special))
        rc = -XEN_ENOMEM;               /* the old home is unmapped: keep the record of it */
    else
        d->shared_info_gfn = gpfn;
    if (pg)
        list_add_tail(&pg->list, &taken);
    domain_put_taken(d, &taken);
    return rc;
}
