/*
 * Binary buddy allocator over frame descriptors. A free block of order k starts at a pfn
 * that is a multiple of 2^k and its buddy is at pfn ^ 2^k. Every page of a free block is
 * marked PGF_FREE (so any double free is caught), its head also PGF_HEAD with the order.
 * Callers serialise (kernel/page_alloc.c holds heap_lock).
 */
#include <kumo/buddy.h>
#include <kumo/console.h>

void buddy_init(struct buddy_zone *z, struct page_info *frame_table,
                unsigned long base_pfn, unsigned long nr_pfns)
{
    z->base_pfn = base_pfn;
    z->nr_pfns = nr_pfns;
    z->frame_table = frame_table;
    z->free_pages = 0;
    z->total_pages = 0;
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++)
        list_init(&z->free_list[o]);
    for (unsigned long i = 0; i < nr_pfns; i++) {
        list_init(&frame_table[i].list);
        frame_table[i].order = 0;
        frame_table[i].flags = PGF_RESERVED;
        frame_table[i].owner = NULL;
        frame_table[i].count = 0;
        frame_table[i].type = 0;
    }
}

static bool in_zone(const struct buddy_zone *z, unsigned long pfn)
{
    return pfn >= z->base_pfn && pfn - z->base_pfn < z->nr_pfns;
}

/* A block may only be merged or freed if no page of it falls off either end of the zone. */
static bool block_in_zone(const struct buddy_zone *z, unsigned long pfn, unsigned int order)
{
    return in_zone(z, pfn) && in_zone(z, pfn + (1UL << order) - 1);
}

static void set_flags(struct buddy_zone *z, unsigned long pfn, unsigned int order, uint32_t f)
{
    for (unsigned long i = 0; i < (1UL << order); i++)
        buddy_pfn_to_page(z, pfn + i)->flags = f;
}

/* Links an already PGF_FREE-marked block as a free-list head. */
static void link_head(struct buddy_zone *z, unsigned long pfn, unsigned int order)
{
    struct page_info *pg = buddy_pfn_to_page(z, pfn);

    pg->flags = PGF_FREE | PGF_HEAD;
    pg->order = order;
    list_add(&pg->list, &z->free_list[order]);
}

/* Puts a block back and merges upwards while its buddy is a free block of the same order. */
static void merge_free(struct buddy_zone *z, unsigned long pfn, unsigned int order)
{
    while (order < BUDDY_MAX_ORDER) {
        unsigned long buddy = pfn ^ (1UL << order);
        struct page_info *bp;

        if (!block_in_zone(z, buddy, order))
            break;
        bp = buddy_pfn_to_page(z, buddy);
        /* Only a head carries a valid order; a free non-head page is inside a bigger block. */
        if (bp->flags != (PGF_FREE | PGF_HEAD) || bp->order != order)
            break;
        list_del(&bp->list);
        bp->flags = PGF_FREE;
        pfn &= ~(1UL << order);
        order++;
    }
    link_head(z, pfn, order);
}

static void donate_run(struct buddy_zone *z, unsigned long pfn, unsigned long end)
{
    while (pfn < end) {
        unsigned int order = 0;

        /* Largest naturally aligned block starting at pfn that fits before end. */
        while (order < BUDDY_MAX_ORDER && !(pfn & (1UL << order)) &&
               end - pfn >= (2UL << order))
            order++;
        set_flags(z, pfn, order, PGF_FREE);
        z->free_pages += 1UL << order;
        z->total_pages += 1UL << order;
        merge_free(z, pfn, order);
        pfn += 1UL << order;
    }
}

void buddy_add_range(struct buddy_zone *z, unsigned long pfn, unsigned long nr)
{
    unsigned long zone_end = z->base_pfn + z->nr_pfns;
    /* A range reaching the top of the address space must not wrap to a tiny end. */
    unsigned long end = nr > ~0UL - pfn ? ~0UL : pfn + nr;
    bool reported = false;

    if (pfn < z->base_pfn)
        pfn = z->base_pfn;
    if (end > zone_end)
        end = zone_end;
    /* Only still-reserved frames are donated: a frame given twice would corrupt the lists. */
    while (pfn < end) {
        unsigned long run = pfn;

        while (run < end && buddy_pfn_to_page(z, run)->flags == PGF_RESERVED)
            run++;
        donate_run(z, pfn, run);
        if (run < end && !reported) {
            printk("buddy: pfn %#lx donated twice; ignored\n", run);
            reported = true;
        }
        pfn = run + 1;
    }
}

struct page_info *buddy_alloc(struct buddy_zone *z, unsigned int order)
{
    unsigned int o = order;
    struct page_info *pg;
    unsigned long pfn;

    if (order > BUDDY_MAX_ORDER)
        return NULL;
    while (o <= BUDDY_MAX_ORDER && list_empty(&z->free_list[o]))
        o++;
    if (o > BUDDY_MAX_ORDER)
        return NULL;
    pg = list_first_entry(&z->free_list[o], struct page_info, list);
    list_del(&pg->list);
    pfn = buddy_page_to_pfn(z, pg);
    /* Split: the upper halves go back on the smaller free lists. */
    while (o > order) {
        o--;
        link_head(z, pfn + (1UL << o), o);
    }
    set_flags(z, pfn, order, 0);
    pg->order = order;
    z->free_pages -= 1UL << order;
    return pg;
}

void buddy_free(struct buddy_zone *z, struct page_info *pg, unsigned int order)
{
    uintptr_t off = (uintptr_t)pg - (uintptr_t)z->frame_table;
    unsigned long pfn;

    /* Compare addresses before indexing: pg may not point into the frame table at all. */
    if (off % sizeof(*pg) || off / sizeof(*pg) >= z->nr_pfns) {
        printk("buddy: bad free of page_info %p ignored\n", (void *)pg);
        return;
    }
    pfn = z->base_pfn + off / sizeof(*pg);
    if (order > BUDDY_MAX_ORDER || (pfn & ((1UL << order) - 1)) ||
        !block_in_zone(z, pfn, order)) {
        printk("buddy: bad free of pfn %#lx order %u ignored\n", pfn, order);
        return;
    }
    for (unsigned long i = 0; i < (1UL << order); i++) {
        uint32_t f = buddy_pfn_to_page(z, pfn + i)->flags;

        if (f & (PGF_FREE | PGF_RESERVED)) {
            printk("buddy: free of %s pfn %#lx (block %#lx order %u) ignored\n",
                   (f & PGF_FREE) ? "already free" : "reserved", pfn + i, pfn, order);
            return;
        }
    }
    set_flags(z, pfn, order, PGF_FREE);
    z->free_pages += 1UL << order;
    merge_free(z, pfn, order);
}

int buddy_largest_free_order(const struct buddy_zone *z)
{
    for (int o = BUDDY_MAX_ORDER; o >= 0; o--)
        if (!list_empty(&z->free_list[o]))
            return o;
    return -1;
}
