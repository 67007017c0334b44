/*
 * Who holds a frame. A page given to a domain carries its owner, a type and a reference
 * count that starts at 1: the allocation reference, held for as long as the domain holds
 * the page (in its page list, or as a table of its p2m, or as a special page the hypervisor
 * writes). Everything else that keeps the frame reachable -- a registered vcpu_info, a
 * copy in progress, later a foreign or grant mapping -- holds a reference of its own. The
 * frame goes back to the allocator at the last put_page(), never earlier (DESIGN.md D15).
 */
#ifndef KUMO_PAGE_REF_H
#define KUMO_PAGE_REF_H

#include <kumo/buddy.h>

enum page_type {
    PGT_NONE,                   /* free, or the hypervisor's own */
    PGT_RAM,                    /* guest RAM */
    PGT_P2M,                    /* a table of the owner's p2m */
    PGT_SPECIAL,                /* written by the hypervisor: shared_info, grant frames */
};

/* Past this many references get_page() refuses rather than wrap the count. */
#define PAGE_COUNT_MAX 0x7FFFFFF0u

/* Gives a freshly allocated page to d with its allocation reference (count 1). */
void page_assign(struct page_info *pg, struct domain *d, enum page_type type);

/*
 * Takes a reference on pg for domain d: false when pg is not d's (free, another domain's,
 * orphaned by a destroyed domain) or its count would overflow.
 */
bool get_page(struct page_info *pg, const struct domain *d);

/* Drops a reference; the last one returns the frame to the allocator. */
void put_page(struct page_info *pg);

/*
 * Drops the allocation reference of every page on `pages` (block heads with their order,
 * as a domain's page list holds them) and empties the list. A page someone still holds is
 * orphaned -- no owner, so no new reference can be taken -- and freed at its last put.
 */
void pages_relinquish(struct list_head *pages);

/* Frees 2^order frames (kernel/page_alloc.c, or the unit tests' own zone). */
void free_domheap_pages(struct page_info *pg, unsigned int order);

#endif
