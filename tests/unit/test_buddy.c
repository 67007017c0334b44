/*
 * Host tests for kernel/buddy.c: donation splits ranges into maximal aligned blocks, random
 * alloc/free never overlaps or leaves the donated frames, and everything coalesces back.
 */
#include "../../kernel/buddy.c"
#include "harness.h"

#define ZONE_BASE  0x40000UL            /* 1 GiB-aligned base pfn */
#define ZONE_PFNS  ((1UL << 19) + 1000) /* 2 GiB of frames and an unaligned tail */

static struct page_info *frames;
static unsigned char *donated;          /* 1 = the test donated this frame */
static unsigned char *owner;            /* shadow: 1 = allocated by the test */

static void zone_setup(struct buddy_zone *z, unsigned long base, unsigned long nr)
{
    frames = calloc(nr, sizeof(*frames));
    donated = calloc(nr, 1);
    owner = calloc(nr, 1);
    buddy_init(z, frames, base, nr);
}

static void zone_teardown(void)
{
    free(frames);
    free(donated);
    free(owner);
}

/* Donates through the allocator and records the expected clipped, reserved-only effect. */
static void donate(struct buddy_zone *z, unsigned long pfn, unsigned long nr)
{
    for (unsigned long p = pfn; p < pfn + nr; p++)
        if (p >= z->base_pfn && p - z->base_pfn < z->nr_pfns)
            donated[p - z->base_pfn] = 1;
    buddy_add_range(z, pfn, nr);
}

static unsigned long donated_count(const struct buddy_zone *z)
{
    unsigned long n = 0;

    for (unsigned long i = 0; i < z->nr_pfns; i++)
        n += donated[i];
    return n;
}

/*
 * Walks every free list and the whole frame table. Besides consistency it proves full
 * coalescing: an aligned decomposition with no free same-order buddy pair is the unique
 * maximal one, so two zones passing this with equal free frames have equal block sets.
 */
static void zone_check(const struct buddy_zone *z)
{
    unsigned long listed = 0, nr_listed = 0, heads = 0, free_frames = 0;

    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++) {
        const struct page_info *pg;

        list_for_each_entry(pg, &z->free_list[o], list) {
            unsigned long pfn = buddy_page_to_pfn(z, pg), buddy = pfn ^ (1UL << o);
            unsigned long idx = pfn - z->base_pfn;

            CHECK_EQ(pg->flags, PGF_FREE | PGF_HEAD);
            CHECK_EQ(pg->order, o);
            CHECK_EQ(pfn & ((1UL << o) - 1), 0);
            CHECK(idx + (1UL << o) <= z->nr_pfns);
            for (unsigned long i = 1; i < (1UL << o) && idx + i < z->nr_pfns; i++)
                CHECK_EQ(frames[idx + i].flags, PGF_FREE);
            if (o < BUDDY_MAX_ORDER && buddy >= z->base_pfn &&
                buddy + (1UL << o) <= z->base_pfn + z->nr_pfns)
                CHECK(!(buddy_pfn_to_page(z, buddy)->flags & PGF_HEAD) ||
                      buddy_pfn_to_page(z, buddy)->order != o);
            listed += 1UL << o;
            nr_listed++;
            if (harness_current_failed)
                return;
        }
    }
    for (unsigned long i = 0; i < z->nr_pfns; i++) {
        heads += !!(frames[i].flags & PGF_HEAD);
        free_frames += !!(frames[i].flags & PGF_FREE);
        CHECK_EQ(!(frames[i].flags & PGF_RESERVED), donated[i]);
        CHECK(!(frames[i].flags & PGF_FREE) || !owner[i]);
    }
    CHECK_EQ(listed, z->free_pages);
    CHECK_EQ(free_frames, z->free_pages);
    CHECK_EQ(heads, nr_listed);                 /* no stale head outside the lists */
    CHECK_EQ(z->total_pages, donated_count(z));
}

static void per_order_counts(const struct buddy_zone *z, unsigned long *counts)
{
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++) {
        const struct page_info *pg;

        counts[o] = 0;
        list_for_each_entry(pg, &z->free_list[o], list)
            counts[o]++;
    }
}

/* Free-block heads as a per-frame map (order + 1, or 0): the exact block set. */
static unsigned char *block_map(const struct buddy_zone *z)
{
    unsigned char *m = calloc(z->nr_pfns, 1);

    for (unsigned long i = 0; i < z->nr_pfns; i++)
        if (frames[i].flags & PGF_HEAD)
            m[i] = (unsigned char)(frames[i].order + 1);
    return m;
}

/*
 * The block set computed independently of the allocator: each donated frame belongs to the
 * largest aligned block (order <= 18) that is entirely donated and inside the zone.
 */
static unsigned char *expected_map(const struct buddy_zone *z)
{
    unsigned char *m = calloc(z->nr_pfns, 1);
    unsigned long *prefix = calloc(z->nr_pfns + 1, sizeof(*prefix));

    for (unsigned long i = 0; i < z->nr_pfns; i++)
        prefix[i + 1] = prefix[i] + donated[i];
    for (unsigned long i = 0; i < z->nr_pfns; i++) {
        unsigned long pfn = z->base_pfn + i, head = pfn;
        int best = -1;

        for (unsigned int o = 0; donated[i] && o <= BUDDY_MAX_ORDER; o++) {
            unsigned long s = pfn & ~((1UL << o) - 1), e = s + (1UL << o);

            if (s < z->base_pfn || e > z->base_pfn + z->nr_pfns ||
                prefix[e - z->base_pfn] - prefix[s - z->base_pfn] != (1UL << o))
                break;
            best = (int)o;
            head = s;
        }
        if (best >= 0)
            m[head - z->base_pfn] = (unsigned char)(best + 1);
    }
    free(prefix);
    return m;
}

static void check_maps_equal(const struct buddy_zone *z, const unsigned char *a,
                             const unsigned char *b)
{
    for (unsigned long i = 0; i < z->nr_pfns && !harness_current_failed; i++)
        if (a[i] != b[i]) {
            fprintf(stderr, "  block map differs at pfn %#lx: %d vs %d\n",
                    z->base_pfn + i, a[i] - 1, b[i] - 1);
            harness_current_failed = 1;
        }
}

TEST(donation_splits_into_maximal_aligned_blocks)
{
    const unsigned long base = 0x1003;  /* unaligned zone base: alignment is by absolute pfn */
    struct buddy_zone z;
    unsigned char *got, *want;

    zone_setup(&z, base, 70000);
    donate(&z, base - 50, 60);                  /* clipped at the zone start */
    donate(&z, 0x1100 + 3, 1000);               /* unaligned both ends */
    donate(&z, 0x2000, 5);                      /* then its neighbours, out of order */
    donate(&z, 0x2008, 0x1ff8);                 /* hole at 0x2005..0x2007 for now */
    donate(&z, 0x1f00, 0x100);
    donate(&z, base + 70000 - 7, 100);          /* clipped at the zone end */
    donate(&z, 0x9000, 0x4000 + 1);
    zone_check(&z);
    got = block_map(&z);
    want = expected_map(&z);
    check_maps_equal(&z, got, want);
    free(got);
    free(want);

    donate(&z, 0x2005, 3);                      /* filling the hole merges up to order 13 */
    zone_check(&z);
    CHECK_EQ(frames[0x2000 - base].flags, PGF_FREE | PGF_HEAD);
    CHECK_EQ(frames[0x2000 - base].order, 13);
    got = block_map(&z);
    want = expected_map(&z);
    check_maps_equal(&z, got, want);
    CHECK_EQ(z.total_pages, 10 + 1000 + 0x2000 + 0x100 + 7 + 0x4001);
    CHECK_EQ(z.free_pages, z.total_pages);
    CHECK(frames[0x1100 + 2 - base].flags & PGF_RESERVED);
    CHECK(frames[0x1100 + 1003 - base].flags & PGF_RESERVED);
    free(got);
    free(want);
    zone_teardown();
}

TEST(donating_twice_is_reported_and_not_counted)
{
    struct buddy_zone z;

    zone_setup(&z, ZONE_BASE, 4096);
    donate(&z, ZONE_BASE + 100, 200);
    harness_log_clear();
    donate(&z, ZONE_BASE + 50, 100);            /* 100..149 again; 50..99 are new */
    CHECK(strstr(harness_log, "donated twice") != NULL);
    CHECK_EQ(z.total_pages, 250);
    CHECK_EQ(z.free_pages, 250);
    harness_log_clear();
    buddy_add_range(&z, ZONE_BASE + 4096, 10);  /* wholly outside: nothing, silently */
    buddy_add_range(&z, 0, ZONE_BASE);
    CHECK_EQ(harness_log_len, 0);
    CHECK_EQ(z.total_pages, 250);
    /* "Everything from here on": pfn + nr wraps, yet it must reach the zone end. */
    buddy_add_range(&z, ZONE_BASE + 3000, ~0UL);
    memset(donated + 3000, 1, 4096 - 3000);
    CHECK_EQ(z.total_pages, 250 + 4096 - 3000);
    zone_check(&z);
    zone_teardown();
}

struct live_block {
    struct page_info *pg;
    unsigned int order;
};

static void shadow_mark(const struct buddy_zone *z, const struct live_block *b, bool alloc)
{
    unsigned long idx = buddy_page_to_pfn(z, b->pg) - z->base_pfn;

    for (unsigned long i = 0; i < (1UL << b->order); i++) {
        if (alloc) {
            CHECK(idx + i < z->nr_pfns);
            if (idx + i >= z->nr_pfns)
                return;
            CHECK(!owner[idx + i]);             /* no overlap with a live block */
            CHECK(donated[idx + i]);            /* never a reserved or hole frame */
            CHECK_EQ(frames[idx + i].flags, 0);
        } else {
            CHECK(owner[idx + i]);
        }
        owner[idx + i] = alloc;
    }
}

static unsigned int random_order(void)
{
    unsigned int r = (unsigned int)(harness_rand() % 100);

    if (r < 60)
        return (unsigned int)(harness_rand() % 4);
    if (r < 97)
        return 4 + (unsigned int)(harness_rand() % 7);
    return 11 + (unsigned int)(harness_rand() % 8);
}

struct random_run {
    struct live_block live[8192];
    unsigned int nlive;
    unsigned long allocated, large_ok, failed;
};

/* One random step: allocate a random order (55%) or free a random live block. */
static void random_step(struct buddy_zone *z, struct random_run *r)
{
    if (r->nlive == 0 || (r->nlive < 8192 && harness_rand() % 100 < 55)) {
        unsigned int order = random_order();
        struct page_info *pg = buddy_alloc(z, order);

        if (!pg) {
            /* Failure is only allowed when no block of that order or bigger is free. */
            CHECK(buddy_largest_free_order(z) < (int)order);
            r->failed++;
            return;
        }
        CHECK_EQ(buddy_page_to_pfn(z, pg) & ((1UL << order) - 1), 0);
        r->live[r->nlive] = (struct live_block){ pg, order };
        shadow_mark(z, &r->live[r->nlive++], true);
        r->allocated += 1UL << order;
        r->large_ok += order > 10;
    } else {
        unsigned int k = (unsigned int)(harness_rand() % r->nlive);

        shadow_mark(z, &r->live[k], false);
        buddy_free(z, r->live[k].pg, r->live[k].order);
        r->allocated -= 1UL << r->live[k].order;
        r->live[k] = r->live[--r->nlive];
    }
}

TEST(random_alloc_free_no_overlap_and_full_coalesce)
{
    static struct random_run r;
    unsigned long before[BUDDY_MAX_ORDER + 1], after[BUDDY_MAX_ORDER + 1];
    unsigned char *map_before, *map_after;
    struct buddy_zone z;
    int largest_before;

    zone_setup(&z, ZONE_BASE, ZONE_PFNS);
    donate(&z, ZONE_BASE + 3, 70001);
    donate(&z, ZONE_BASE + 70100, 129900);
    donate(&z, ZONE_BASE + 200001, 7);
    donate(&z, ZONE_BASE + (1UL << 18) - 5, (1UL << 18) + 900);  /* one whole 1 GiB block */
    zone_check(&z);
    per_order_counts(&z, before);
    largest_before = buddy_largest_free_order(&z);
    map_before = block_map(&z);
    for (int step = 0; step < 60000 && !harness_current_failed; step++) {
        random_step(&z, &r);
        CHECK_EQ(z.free_pages + r.allocated, z.total_pages);
        if (step % 5000 == 0)
            zone_check(&z);
    }
    CHECK(r.large_ok > 0);                      /* the large orders were really exercised */
    CHECK(r.failed > 0);                        /* and so was running out of big blocks */
    zone_check(&z);
    while (r.nlive) {
        r.nlive--;
        shadow_mark(&z, &r.live[r.nlive], false);
        buddy_free(&z, r.live[r.nlive].pg, r.live[r.nlive].order);
    }
    zone_check(&z);
    CHECK_EQ(z.free_pages, z.total_pages);
    per_order_counts(&z, after);
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_EQ(after[o], before[o]);
    CHECK_EQ(buddy_largest_free_order(&z), largest_before);
    map_after = block_map(&z);
    check_maps_equal(&z, map_before, map_after);
    free(map_before);
    free(map_after);
    zone_teardown();
}

TEST(one_gib_block_needs_a_1gib_aligned_zone_range)
{
    struct buddy_zone z;
    struct page_info *pg;

    zone_setup(&z, ZONE_BASE, ZONE_PFNS);
    donate(&z, ZONE_BASE + 1, (1UL << 19) - 1);
    CHECK_EQ(buddy_largest_free_order(&z), 18);
    pg = buddy_alloc(&z, 18);
    CHECK(pg != NULL);
    if (pg)
        CHECK_EQ(buddy_page_to_pfn(&z, pg), ZONE_BASE + (1UL << 18));
    CHECK(buddy_alloc(&z, 18) == NULL);         /* the rest is one frame short */
    CHECK_EQ(buddy_largest_free_order(&z), 17);
    donate(&z, ZONE_BASE, 1);                   /* completes the first 1 GiB block */
    CHECK_EQ(buddy_largest_free_order(&z), 18);
    if (pg)
        buddy_free(&z, pg, 18);
    zone_check(&z);
    CHECK_EQ(z.free_pages, 1UL << 19);
    CHECK_EQ(z.free_list[18].next->next->next, &z.free_list[18]);   /* exactly two */
    zone_teardown();

    /* 2^18 frames that straddle a 1 GiB boundary never form an order-18 block. */
    zone_setup(&z, ZONE_BASE + 512, 1UL << 18);
    donate(&z, ZONE_BASE + 512, 1UL << 18);
    CHECK(buddy_largest_free_order(&z) < 18);
    CHECK(buddy_alloc(&z, 18) == NULL);
    CHECK_EQ(z.free_pages, 1UL << 18);
    zone_check(&z);
    zone_teardown();
}

TEST(exhaustion_returns_null_and_recovers)
{
    static struct page_info *pages[3000];
    unsigned char *map_before, *map_after;
    struct buddy_zone z;
    unsigned long n = 0;

    zone_setup(&z, ZONE_BASE, 4096);
    donate(&z, ZONE_BASE + 7, 1500);
    donate(&z, ZONE_BASE + 2049, 1000);
    map_before = block_map(&z);
    CHECK(buddy_alloc(&z, BUDDY_MAX_ORDER + 1) == NULL);
    CHECK(buddy_alloc(&z, 12) == NULL);         /* more than was donated */
    while (n < 3000 && (pages[n] = buddy_alloc(&z, 0)) != NULL) {
        CHECK(donated[buddy_page_to_pfn(&z, pages[n]) - ZONE_BASE]);
        n++;
    }
    CHECK_EQ(n, 2500);
    CHECK_EQ(z.free_pages, 0);
    CHECK_EQ(buddy_largest_free_order(&z), -1);
    for (unsigned int o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK(buddy_alloc(&z, o) == NULL);
    while (n)
        buddy_free(&z, pages[--n], 0);
    zone_check(&z);
    CHECK_EQ(z.free_pages, 2500);
    map_after = block_map(&z);
    check_maps_equal(&z, map_before, map_after);
    free(map_before);
    free(map_after);
    zone_teardown();
}

TEST(double_and_bad_frees_are_reported_and_harmless)
{
    struct buddy_zone z;
    struct page_info *a, *b, *c, *outside = (struct page_info *)&z;

    zone_setup(&z, ZONE_BASE, 200);
    donate(&z, ZONE_BASE, 64);
    a = buddy_alloc(&z, 0);
    b = buddy_alloc(&z, 0);
    c = buddy_alloc(&z, 2);
    CHECK(a == &frames[0] && b == &frames[1] && c == &frames[4]);
    harness_log_clear();
    buddy_free(&z, a, 2);                       /* spills into free frames 2..3 */
    CHECK(strstr(harness_log, "already free") != NULL);
    buddy_free(&z, a, 0);
    harness_log_clear();
    buddy_free(&z, a, 0);                       /* plain double free of a head */
    CHECK(strstr(harness_log, "already free") != NULL);
    buddy_free(&z, b, 0);                       /* merges a and b upwards */
    harness_log_clear();
    buddy_free(&z, b, 0);                       /* double free of a non-head page */
    CHECK(strstr(harness_log, "already free") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[100], 0);            /* never donated */
    CHECK(strstr(harness_log, "reserved") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[1], 1);              /* misaligned for its order */
    CHECK(strstr(harness_log, "bad free") != NULL);
    harness_log_clear();
    buddy_free(&z, c, 3);
    CHECK(strstr(harness_log, "bad free") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[0], BUDDY_MAX_ORDER + 1);
    CHECK(strstr(harness_log, "bad free") != NULL);
    harness_log_clear();
    buddy_free(&z, &frames[128], 7);            /* aligned, but runs off the zone's end */
    CHECK(strstr(harness_log, "bad free") != NULL);
    harness_log_clear();
    buddy_free(&z, outside, 0);                 /* not a frame descriptor at all */
    CHECK(strstr(harness_log, "bad free") != NULL);
    harness_log_clear();
    buddy_free(&z, (struct page_info *)((char *)&frames[4] + 4), 0);
    CHECK(strstr(harness_log, "bad free") != NULL);
    zone_check(&z);
    CHECK_EQ(z.free_pages, 60);
    CHECK_EQ(frames[4].flags, 0);               /* c survived all of it, still allocated */
    buddy_free(&z, c, 2);
    zone_check(&z);
    CHECK_EQ(z.free_pages, 64);
    CHECK_EQ(buddy_largest_free_order(&z), 6);
    for (int i = 0; i < 64; i++)
        CHECK(buddy_alloc(&z, 0) != NULL);
    CHECK(buddy_alloc(&z, 0) == NULL);
    zone_teardown();
}

int main(void)
{
    RUN(donation_splits_into_maximal_aligned_blocks);
    RUN(donating_twice_is_reported_and_not_counted);
    RUN(random_alloc_free_no_overlap_and_full_coalesce);
    RUN(one_gib_block_needs_a_1gib_aligned_zone_range);
    RUN(exhaustion_returns_null_and_recovers);
    RUN(double_and_bad_frees_are_reported_and_harmless);
    HARNESS_EXIT();
}
