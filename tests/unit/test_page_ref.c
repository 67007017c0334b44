/*
 * Host tests for kernel/page_ref.c over a real buddy zone: references are taken only by
 * the owner, never wrap, and a frame returns to the allocator at its last put -- also when
 * its domain is torn down while someone still holds it.
 */
#include "../../kernel/buddy.c"
#include "../../kernel/page_ref.c"
#include "harness.h"

#define BASE 0x1000UL
#define NR   4096UL

static struct buddy_zone zone;
static struct page_info *frames;
static unsigned long nr_frees;

void free_domheap_pages(struct page_info *pg, unsigned int order)
{
    nr_frees++;
    buddy_free(&zone, pg, order);
}

/* Two stand-in domains: only their addresses matter to page_ref.c. */
static char dom_a, dom_b;
#define A ((struct domain *)&dom_a)
#define B ((struct domain *)&dom_b)

static void setup(void)
{
    frames = calloc(NR, sizeof(*frames));
    buddy_init(&zone, frames, BASE, NR);
    buddy_add_range(&zone, BASE, NR);
    nr_frees = 0;
}

static struct page_info *alloc_for(struct domain *d, unsigned int order)
{
    struct page_info *pg = buddy_alloc(&zone, order);

    for (unsigned long i = 0; pg && i < (1UL << order); i++)
        page_assign(&pg[i], d, PGT_RAM);
    return pg;
}

TEST(get_page_only_for_its_owner)
{
    setup();
    struct page_info *pg = alloc_for(A, 0);

    CHECK(get_page(pg, A));
    CHECK(!get_page(pg, B));
    CHECK(!get_page(pg, NULL));
    CHECK_EQ(pg->count, 2);
    put_page(pg);
    put_page(pg);
    CHECK_EQ(nr_frees, 1);
    free(frames);
}

TEST(free_page_cannot_be_referenced)
{
    setup();
    struct page_info *pg = alloc_for(A, 0);

    put_page(pg);
    CHECK(pg->flags & PGF_FREE);
    CHECK(!get_page(pg, A));
    /* Unallocated and hypervisor-owned frames have no owner. */
    CHECK(!get_page(&frames[100], A));
    put_page(pg);               /* unbalanced: ignored, not a double free */
    CHECK_EQ(nr_frees, 1);
    CHECK_EQ(zone.free_pages, NR);
    free(frames);
}

TEST(count_never_overflows)
{
    setup();
    struct page_info *pg = alloc_for(A, 0);

    pg->count = PAGE_COUNT_MAX - 1;
    CHECK(get_page(pg, A));
    CHECK(!get_page(pg, A));
    CHECK_EQ(pg->count, PAGE_COUNT_MAX);
    free(frames);
}

TEST(frame_freed_only_at_last_put)
{
    setup();
    unsigned long before = zone.free_pages;
    struct page_info *pg = alloc_for(A, 0);

    CHECK(get_page(pg, A));     /* a mapping */
    put_page(pg);               /* the owner gives the frame back (balloon) */
    CHECK_EQ(nr_frees, 0);
    CHECK_EQ(zone.free_pages, before - 1);
    put_page(pg);
    CHECK_EQ(nr_frees, 1);
    CHECK_EQ(zone.free_pages, before);
    free(frames);
}

TEST(teardown_with_reference_frees_at_last_put)
{
    setup();
    struct list_head list = LIST_HEAD_INIT(list);
    struct page_info *big = alloc_for(A, 9), *small = alloc_for(A, 0);
    unsigned long before;

    big->order = 9;
    small->order = 0;
    list_add_tail(&big->list, &list);
    list_add_tail(&small->list, &list);
    before = zone.free_pages;
    CHECK(get_page(&big[7], A));
    pages_relinquish(&list);
    CHECK(list_empty(&list));
    /* Everything but the held frame is back; the held one is nobody's now. */
    CHECK_EQ(zone.free_pages, before + 512);
    CHECK(!(big[7].flags & PGF_FREE));
    CHECK(big[7].owner == NULL);
    CHECK(!get_page(&big[7], A));
    put_page(&big[7]);
    CHECK_EQ(zone.free_pages, before + 513);
    CHECK_EQ(zone.free_pages, NR);
    free(frames);
}

TEST(unshared_blocks_freed_whole)
{
    setup();
    struct list_head list = LIST_HEAD_INIT(list);
    struct page_info *big = alloc_for(B, 9);

    big->order = 9;
    list_add_tail(&big->list, &list);
    pages_relinquish(&list);
    CHECK_EQ(nr_frees, 1);
    CHECK_EQ(zone.free_pages, NR);
    CHECK(big[3].owner == NULL && big[3].count == 0);
    free(frames);
}

int main(void)
{
    RUN(get_page_only_for_its_owner);
    RUN(free_page_cannot_be_referenced);
    RUN(count_never_overflows);
    RUN(frame_freed_only_at_last_put);
    RUN(teardown_with_reference_frees_at_last_put);
    RUN(unshared_blocks_freed_whole);
    HARNESS_EXIT();
}
