/*
 * The hypervisor's physical memory: one buddy zone over every RAM frame, reached through
 * the direct map. Callers may sleep on nothing; every function here takes heap_lock itself.
 */
#ifndef KUMO_MM_H
#define KUMO_MM_H

#include <asm/page.h>
#include <kumo/buddy.h>
#include <kumo/memmap.h>

/*
 * Builds the frame table and donates every usable frame (RAM minus reserved[]) to the
 * allocator. The frame table itself is carved from usable RAM.
 */
void page_alloc_init(const struct mem_range *reserved, unsigned int nr_reserved);

/* 2^order contiguous frames, direct-mapped, or NULL. Undone by free_xenheap_pages(). */
void *alloc_xenheap_pages(unsigned int order);
void free_xenheap_pages(void *va, unsigned int order);

/* Same, as frame descriptors (for memory that is mapped elsewhere, e.g. guest RAM). */
struct page_info *alloc_domheap_pages(unsigned int order);
void free_domheap_pages(struct page_info *pg, unsigned int order);
paddr_t page_to_maddr(const struct page_info *pg);
struct page_info *maddr_to_page(paddr_t pa);

unsigned long total_free_pages(void);
unsigned long total_heap_pages(void);

/* Directly maps [0, max(top of RAM, 4 GiB)) and switches to the hypervisor's page tables. */
void paging_init(uint64_t ram_end);
/* End of the direct map: physical addresses below it are reachable with __va(). */
extern uint64_t directmap_end;
/* The hypervisor's own top-level page table (physical), loaded by every CPU. */
extern paddr_t idle_pg_table_pa;

/* kernel/page_poison.c (boot option page_poison; each does nothing without it). */
struct domain;
void page_poison_free(struct page_info *pg, unsigned int order, const void *caller);
void page_poison_alloc(struct page_info *pg, unsigned int order);
/* For a crash report: how many of d's pages hold the free pattern. */
void page_poison_report(struct domain *d);

#endif
