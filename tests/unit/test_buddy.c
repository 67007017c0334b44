/* Host tests for kernel/buddy.c: random alloc/free never overlaps and coalesces back. */
#include "../../kernel/buddy.c"
#include "harness.h"

#define ZONE_BASE  0x40000UL            /* 1 GiB-aligned base pfn */
#define ZONE_PFNS  (1UL << 19)          /* 2 GiB of frames */

static struct page_info *frames;
static unsigned char *owner;            /* shadow: 1 = allocated by the test */

static void zone_setup(struct buddy_zone *z)
{
    frames = calloc(ZONE_PFNS, sizeof(*frames));
    owner = calloc(ZONE_PFNS, 1);
    buddy_init(z, frames, ZONE_BASE, ZONE_PFNS);
}

static void zone_teardown(void)
{
    free(frames);
    free(owner);
}

static void per_order_counts(const struct buddy_zone *z, unsigned long *counts)
{
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++) {
        const struct list_head *l;

        counts[o] = 0;
        for (l = z->free_list[o].next; l != &z->free_list[o]; l = l->next)
            counts[o]++;
    }
}

TEST(add_ranges_with_holes_keeps_exact_totals)
{
    struct buddy_zone z;

    zone_setup(&z);
    buddy_add_range(&z, ZONE_BASE + 3, 1000);           /* unaligned both ends */
    buddy_add_range(&z, ZONE_BASE + 5000, 77777);
    harness_log_clear();
    buddy_add_range(&z, ZONE_BASE - 10, 20);            /* clipped; 3..9 already given */
    CHECK(strstr(harness_log, "donated twice") != NULL);
    buddy_add_range(&z, ZONE_BASE + ZONE_PFNS - 5, 50); /* clipped at the zone end */
    CHECK_EQ(z.total_pages, 1000 + 77777 + 3 + 5);
    CHECK_EQ(z.free_pages, z.total_pages);
    CHECK(frames[0].flags & PGF_FREE);
    CHECK(frames[1003].flags & PGF_RESERVED);           /* hole between donations */
    CHECK(frames[4999].flags & PGF_RESERVED);
    for (unsigned long n = 0; n < z.total_pages; n++)
        CHECK(buddy_alloc(&z, 0) != NULL);
    CHECK(buddy_alloc(&z, 0) == NULL);
    zone_teardown();
}

TEST(random_alloc_free_no_overlap_and_full_coalesce)
{
    struct buddy_zone z;
    unsigned long before[BUDDY_MAX_ORDER + 1], after[BUDDY_MAX_ORDER + 1];
    struct { struct page_info *pg; unsigned int order; } live[4096];
    unsigned int nlive = 0;

    zone_setup(&z);
    buddy_add_range(&z, ZONE_BASE + 1, 300000);
    buddy_add_range(&z, ZONE_BASE + 310000, 150000);
    per_order_counts(&z, before);
    for (int step = 0; step < 40000; step++) {
        bool do_alloc = nlive == 0 || (nlive < 4096 && harness_rand() % 100 < 55);

        if (do_alloc) {
            unsigned int order = harness_rand() % 100 < 95 ? harness_rand() % 8
                                                            : 8 + harness_rand() % 8;
            struct page_info *pg = buddy_alloc(&z, order);
            unsigned long pfn;

            if (!pg)
                continue;
            pfn = buddy_page_to_pfn(&z, pg);
            CHECK_EQ(pfn & ((1UL << order) - 1), 0);     /* natural alignment */
            for (unsigned long i = 0; i < (1UL << order); i++) {
                unsigned long idx = pfn - ZONE_BASE + i;

                CHECK(!owner[idx]);                      /* no overlap */
                CHECK(!(frames[idx].flags & PGF_RESERVED));
                CHECK((idx >= 1 && idx < 300001) || (idx >= 310000 && idx < 460000));
                owner[idx] = 1;
            }
            live[nlive].pg = pg;
            live[nlive++].order = order;
        } else {
            unsigned int k = (unsigned int)(harness_rand() % nlive);
            unsigned long pfn = buddy_page_to_pfn(&z, live[k].pg);

            for (unsigned long i = 0; i < (1UL << live[k].order); i++)
                owner[pfn - ZONE_BASE + i] = 0;
            buddy_free(&z, live[k].pg, live[k].order);
            live[k] = live[--nlive];
        }
        if (harness_current_failed)
            break;
    }
    while (nlive) {
        nlive--;
        buddy_free(&z, live[nlive].pg, live[nlive].order);
    }
    CHECK_EQ(z.free_pages, z.total_pages);
    per_order_counts(&z, after);
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_EQ(after[o], before[o]);
    zone_teardown();
}

TEST(one_gib_block_and_exhaustion)
{
    struct buddy_zone z;
    struct page_info *pg;

    zone_setup(&z);
    buddy_add_range(&z, ZONE_BASE, 1UL << 18);
    CHECK_EQ(buddy_largest_free_order(&z), 18);
    pg = buddy_alloc(&z, 18);
    CHECK(pg != NULL);
    CHECK_EQ(buddy_page_to_pfn(&z, pg), ZONE_BASE);
    CHECK(buddy_alloc(&z, 0) == NULL);                  /* exhausted */
    CHECK_EQ(buddy_largest_free_order(&z), -1);
    CHECK(buddy_alloc(&z, BUDDY_MAX_ORDER + 1) == NULL);
    buddy_free(&z, pg, 18);
    CHECK_EQ(z.free_pages, 1UL << 18);
    CHECK_EQ(buddy_largest_free_order(&z), 18);
    zone_teardown();
}

TEST(double_and_bad_frees_are_reported_and_harmless)
{
    struct buddy_zone z;
    struct page_info *a, *b;

    zone_setup(&z);
    buddy_add_range(&z, ZONE_BASE, 64);
    a = buddy_alloc(&z, 0);
    b = buddy_alloc(&z, 0);
    buddy_free(&z, a, 0);
    buddy_free(&z, b, 0);                               /* merges a and b upwards */
    harness_log_clear();
    buddy_free(&z, b, 0);                               /* double free inside a free block */
    CHECK(strstr(harness_log, "already free") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[100], 0);                    /* never donated */
    CHECK(strstr(harness_log, "reserved") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[1], 1);                      /* misaligned for its order */
    CHECK(strstr(harness_log, "bad free") != NULL);
    CHECK_EQ(z.free_pages, 64);
    CHECK_EQ(buddy_largest_free_order(&z), 6);
    for (int i = 0; i < 64; i++)
        CHECK(buddy_alloc(&z, 0) != NULL);
    CHECK(buddy_alloc(&z, 0) == NULL);
    zone_teardown();
}

int main(void)
{
    RUN(add_ranges_with_holes_keeps_exact_totals);
    RUN(random_alloc_free_no_overlap_and_full_coalesce);
    RUN(one_gib_block_and_exhaustion);
    RUN(double_and_bad_frees_are_reported_and_harmless);
    HARNESS_EXIT();
}
