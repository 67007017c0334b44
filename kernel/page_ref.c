/*
 * Page ownership and reference counts (include/kumo/page_ref.h). Counts change with
 * atomic compare-and-swap so a put on one CPU and a get on another need no common lock;
 * the owner only changes while the count is 0, when no one can be looking at it.
 */
#include <kumo/page_ref.h>

void page_assign(struct page_info *pg, struct domain *d, enum page_type type)
{
    pg->owner = d;
    pg->type = type;
    __atomic_store_n(&pg->count, 1, __ATOMIC_RELEASE);
}

bool get_page(struct page_info *pg, const struct domain *d)
{
    uint32_t c = __atomic_load_n(&pg->count, __ATOMIC_ACQUIRE);

    do {
        if (!c || c >= PAGE_COUNT_MAX || !d)
            return false;
    } while (!__atomic_compare_exchange_n(&pg->count, &c, c + 1, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    /*
     * The page may have been freed and given to someone else between the load and the
     * swap; now that the reference holds it, its owner can no longer change under us.
     */
    if (__atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) != d) {
        put_page(pg);
        return false;
    }
    return true;
}

static void page_release(struct page_info *pg)
{
    pg->owner = NULL;
    pg->type = PGT_NONE;
    list_init(&pg->list);
    free_domheap_pages(pg, 0);
}

void put_page(struct page_info *pg)
{
    uint32_t c = __atomic_load_n(&pg->count, __ATOMIC_ACQUIRE);

    do {
        if (!c)
            return;             /* an unbalanced put: the frame is already gone */
    } while (!__atomic_compare_exchange_n(&pg->count, &c, c - 1, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    if (c == 1)
        page_release(pg);
}

/* True when nothing but the allocation reference holds any page of the block. */
static bool block_unshared(struct page_info *head, unsigned int order)
{
    for (unsigned long i = 0; i < (1UL << order); i++)
        if (__atomic_load_n(&head[i].count, __ATOMIC_ACQUIRE) != 1)
            return false;
    return true;
}

void pages_relinquish(struct list_head *pages)
{
    struct page_info *pg, *n;

    list_for_each_entry_safe(pg, n, pages, list) {
        unsigned int order = pg->order;

        list_del(&pg->list);
        /* Frame descriptors of one block are contiguous: head[i] is frame i. */
        if (block_unshared(pg, order)) {
            for (unsigned long i = 0; i < (1UL << order); i++) {
                pg[i].owner = NULL;
                pg[i].type = PGT_NONE;
                pg[i].count = 0;
            }
            free_domheap_pages(pg, order);
            continue;
        }
        for (unsigned long i = 0; i < (1UL << order); i++) {
            pg[i].order = 0;
            __atomic_store_n(&pg[i].owner, NULL, __ATOMIC_RELEASE);
            put_page(&pg[i]);
        }
    }
}
