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
        if (p2m_map_range(d, gfn, mfn, 1UL << order, p2m_ram_rw))
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

/* Takes frame mfn, unmapped already, off d's page list. NULL when d does not hold it. */
static struct page_info *take_frame(struct domain *d, unsigned long mfn)
{
    struct page_info *pg = split_block(d, mfn);

    if (!pg)
        return NULL;
    list_del(&pg->list);
    d->tot_pages--;
    return pg;
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

int domain_populate_gfn(struct domain *d, unsigned long gfn, unsigned int order,
                        uint64_t max_addr)
{
    unsigned long nr = 1UL << order, mfn;
    struct page_info *pg;

    if (gfn >= P2M_MAX_GFN || nr > P2M_MAX_GFN - gfn)
        return -XEN_EINVAL;
    if (d->tot_pages + nr > d->max_pages)
        return -XEN_ENOMEM;
    for (unsigned long i = 0; i < nr; i++)
        if (p2m_lookup(d, gfn + i, NULL) != p2m_invalid)
            return -XEN_EBUSY;
    pg = alloc_domheap_pages(order);
    if (!pg)
        return -XEN_ENOMEM;
    mfn = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
    if (max_addr && page_to_maddr(pg) + (PAGE_SIZE << order) > max_addr) {
        free_domheap_pages(pg, order);
        return -XEN_ENOMEM;
    }
    memset(__va(page_to_maddr(pg)), 0, PAGE_SIZE << order);
    if (p2m_map_range(d, gfn, mfn, nr, p2m_ram_rw)) {
        /* What was mapped is 4 KiB entries or nothing: clearing them needs no memory. */
        for (unsigned long i = 0; i < nr; i++)
            p2m_clear_entry(d, gfn + i);
        p2m_flush_sync(d);
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

/* The special page that was at gfn (shared_info or a grant frame) is mapped nowhere now. */
static void forget_special_at(struct domain *d, unsigned long gfn)
{
    if (d->shared_info_gfn == gfn)
        d->shared_info_gfn = ~0UL;
    for (unsigned int i = 0; i < d->gnttab.nr_frames; i++)
        if (d->gnttab.gfn[i] == gfn)
            d->gnttab.gfn[i] = ~0UL;
}

bool physmap_remove(struct domain *d, unsigned long gfn, struct list_head *taken)
{
    unsigned long mfn = 0;
    enum p2m_type type = p2m_lookup(d, gfn, &mfn);
    struct page_info *pg;

    switch (type) {
    case p2m_foreign:
        return physmap_remove_foreign(d, gfn);
    case p2m_special:
        /* shared_info or a grant frame: the domain keeps the page itself. */
        if (p2m_clear_entry(d, gfn))
            return false;
        forget_special_at(d, gfn);
        return true;
    case p2m_ram_rw:
    case p2m_ram_ro:
        break;
    default:
        return false;
    }
    if (p2m_clear_entry(d, gfn))
        return false;
    pg = take_frame(d, mfn);
    if (!pg) {
        /* The table the entry lived in is still there: putting it back needs no memory. */
        p2m_map_range(d, gfn, mfn, 1, type);
        return false;
    }
    list_add_tail(&pg->list, taken);
    return true;
}

int physmap_set_special(struct domain *d, unsigned long mfn, unsigned long *at,
                        unsigned long gpfn)
{
    struct list_head taken = LIST_HEAD_INIT(taken);
    int rc = 0;

    if (*at == gpfn)
        return 0;
    if (*at != ~0UL && p2m_clear_entry(d, *at))
        return -XEN_ENOMEM;
    /* Whatever the new home held goes, as in Xen (RAM back to the heap once unmapped). */
    physmap_remove(d, gpfn, &taken);
    if (p2m_map_range(d, gpfn, mfn, 1, p2m_special))
        rc = -XEN_ENOMEM;               /* the old home is unmapped: keep the record of it */
    else
        *at = gpfn;
    domain_put_taken(d, &taken);
    return rc;
}

int physmap_set_shared_info(struct domain *d, unsigned long gpfn)
{
    return physmap_set_special(d, (unsigned long)(__pa(d->shared_info) >> PAGE_SHIFT),
                               &d->shared_info_gfn, gpfn);
}
