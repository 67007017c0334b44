/*
 * Hypervisor page allocator: the buddy zone over all RAM frames, its frame table, and the
 * xenheap/domheap entry points. heap_lock (IRQ-safe) serialises every zone operation.
 */
#include <asm/irq.h>
#include <kumo/console.h>
#include <kumo/mm.h>

static struct buddy_zone heap;
static DEFINE_SPINLOCK(heap_lock);

struct frame_table_pick {
    uint64_t need;
    uint64_t found;
};

static void pick_frame_table(uint64_t start, uint64_t end, void *arg)
{
    struct frame_table_pick *p = arg;

    /* Highest fitting range: keeps low memory for what needs it (trampolines, DMA). */
    if (end - start >= p->need && end <= directmap_end)
        p->found = end - p->need;
}

static void donate(uint64_t start, uint64_t end, void *arg)
{
    const struct mem_range *skip = arg;

    /* The frame table was carved out of one usable range: donate around it. */
    if (start < skip->end && end > skip->start) {
        if (start < skip->start)
            buddy_add_range(&heap, start >> PAGE_SHIFT, (skip->start - start) >> PAGE_SHIFT);
        if (end > skip->end)
            buddy_add_range(&heap, skip->end >> PAGE_SHIFT, (end - skip->end) >> PAGE_SHIFT);
        return;
    }
    buddy_add_range(&heap, start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT);
}

void page_alloc_init(const struct mem_range *reserved, unsigned int nr_reserved)
{
    uint64_t ram_end = MIN(memmap_ram_end(boot_info.memmap, boot_info.nr_memmap),
                           directmap_end);
    unsigned long nr_pfns = (unsigned long)(ram_end >> PAGE_SHIFT);
    struct frame_table_pick pick = { ROUNDUP(nr_pfns * sizeof(struct page_info), PAGE_SIZE), 0 };
    struct mem_range ft;

    memmap_for_each_usable(boot_info.memmap, boot_info.nr_memmap, reserved, nr_reserved,
                           pick_frame_table, &pick);
    if (!pick.found) {
        printk("Memory: no room for a %lu KiB frame table\n", (unsigned long)(pick.need >> 10));
        return;
    }
    ft.start = pick.found;
    ft.end = pick.found + pick.need;
    buddy_init(&heap, __va(ft.start), 0, nr_pfns);
    memmap_for_each_usable(boot_info.memmap, boot_info.nr_memmap, reserved, nr_reserved,
                           donate, &ft);
}

struct page_info *alloc_domheap_pages(unsigned int order)
{
    unsigned long flags;
    struct page_info *pg;

    spin_lock_irqsave(&heap_lock, flags);
    pg = buddy_alloc(&heap, order);
    spin_unlock_irqrestore(&heap_lock, flags);
    if (pg)
        page_poison_alloc(pg, order);
    return pg;
}

void free_domheap_pages(struct page_info *pg, unsigned int order)
{
    unsigned long flags;

    page_poison_free(pg, order, __builtin_return_address(0));
    spin_lock_irqsave(&heap_lock, flags);
    buddy_free(&heap, pg, order);
    spin_unlock_irqrestore(&heap_lock, flags);
}

paddr_t page_to_maddr(const struct page_info *pg)
{
    return (paddr_t)buddy_page_to_pfn(&heap, pg) << PAGE_SHIFT;
}

struct page_info *maddr_to_page(paddr_t pa)
{
    return buddy_pfn_to_page(&heap, (unsigned long)(pa >> PAGE_SHIFT));
}

void *alloc_xenheap_pages(unsigned int order)
{
    struct page_info *pg = alloc_domheap_pages(order);

    return pg ? __va(page_to_maddr(pg)) : NULL;
}

void free_xenheap_pages(void *va, unsigned int order)
{
    if (va)
        free_domheap_pages(maddr_to_page(__pa(va)), order);
}

unsigned long total_free_pages(void)
{
    return heap.free_pages;
}

unsigned long total_heap_pages(void)
{
    return heap.total_pages;
}
