/*
 * Binary buddy allocator over a contiguous range of page frames. It touches only the
 * frame descriptors (struct page_info), never the pages themselves, so the same code runs
 * in the hypervisor and in host unit tests. Locking is the caller's (see mm/page_alloc.c).
 */
#ifndef KUMO_BUDDY_H
#define KUMO_BUDDY_H

#include <kumo/list.h>

/* Order 18 blocks are 1 GiB: the largest block the allocator keeps whole. */
#define BUDDY_MAX_ORDER 18

#define PGF_FREE     (1u << 0)  /* in a free block (every page of it) */
#define PGF_RESERVED (1u << 1)  /* never given to the allocator (image, modules, ACPI, holes) */
#define PGF_HEAD     (1u << 2)  /* first page of a free block of page_info.order */

struct domain;

struct page_info {
    struct list_head list;      /* free-list link while free; owner's list when allocated */
    uint32_t order;             /* valid on a free block's head */
    uint32_t flags;
    /* Ownership (kernel/page_ref.c): zero while free or the hypervisor's own. */
    struct domain *owner;
    uint32_t count;             /* references: the owner's allocation one, then mappings */
    uint32_t type;              /* PGT_*, fixed while the page is a domain's */
};

struct buddy_zone {
    unsigned long base_pfn;             /* first frame described by frame_table */
    unsigned long nr_pfns;
    struct page_info *frame_table;      /* frame_table[pfn - base_pfn] */
    struct list_head free_list[BUDDY_MAX_ORDER + 1];
    unsigned long free_pages;
    unsigned long total_pages;          /* pages ever handed to the zone by buddy_add_range */
};

/*
 * Prepares a zone describing frames [base_pfn, base_pfn + nr_pfns), all reserved until
 * buddy_add_range() donates them. frame_table must hold nr_pfns entries.
 */
void buddy_init(struct buddy_zone *z, struct page_info *frame_table,
                unsigned long base_pfn, unsigned long nr_pfns);

/* Donates usable frames [pfn, pfn + nr) (clipped to the zone) as free memory. */
void buddy_add_range(struct buddy_zone *z, unsigned long pfn, unsigned long nr);

/* Returns the head of a free 2^order block, or NULL. The block is naturally aligned. */
struct page_info *buddy_alloc(struct buddy_zone *z, unsigned int order);

/* Returns a block from buddy_alloc() (same order) and merges it with free buddies. */
void buddy_free(struct buddy_zone *z, struct page_info *pg, unsigned int order);

static inline unsigned long buddy_page_to_pfn(const struct buddy_zone *z,
                                              const struct page_info *pg)
{
    return z->base_pfn + (unsigned long)(pg - z->frame_table);
}

static inline struct page_info *buddy_pfn_to_page(const struct buddy_zone *z, unsigned long pfn)
{
    return &z->frame_table[pfn - z->base_pfn];
}

/* Largest free block order, or -1 when empty: for reports and tests. */
int buddy_largest_free_order(const struct buddy_zone *z);

#endif
