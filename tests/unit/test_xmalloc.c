/*
 * Host tests for kernel/xmalloc.c over an aligned_alloc page backend that counts what it
 * lent: objects never overlap or get corrupted, and every page goes back.
 */
#include "../../kernel/xmalloc.c"
#include "harness.h"

static long backend_pages;              /* pages lent out and not yet returned */
static long backend_calls;
static bool backend_fail;

static void *test_alloc_pages(unsigned int order)
{
    void *p;

    backend_calls++;
    if (backend_fail)
        return NULL;
    p = aligned_alloc(PAGE_SIZE << order, PAGE_SIZE << order);
    if (p) {
        backend_pages += 1L << order;
        memset(p, 0xA5, PAGE_SIZE << order);          /* catch reliance on zeroed pages */
    }
    return p;
}

static void test_free_pages(void *p, unsigned int order)
{
    CHECK_EQ((uintptr_t)p & ((PAGE_SIZE << order) - 1), 0);
    backend_pages -= 1L << order;
    free(p);
}

static const struct xmalloc_backend test_backend = { test_alloc_pages, test_free_pages };

struct obj {
    unsigned char *p;
    size_t size;
    unsigned char pattern;
};

static void fill(struct obj *o)
{
    for (size_t i = 0; i < o->size; i++)
        o->p[i] = (unsigned char)(o->pattern + i * 7);
}

static bool pattern_intact(const struct obj *o)
{
    for (size_t i = 0; i < o->size; i++)
        if (o->p[i] != (unsigned char)(o->pattern + i * 7))
            return false;
    return true;
}

static size_t pow2_ceil(size_t n)
{
    size_t p = 1;

    while (p < n)
        p <<= 1;
    return p;
}

static int by_address(const void *a, const void *b)
{
    const struct obj *x = a, *y = b;

    return x->p < y->p ? -1 : x->p > y->p;
}

/* Sorts a copy by address: neighbours must not overlap and every pattern must be intact. */
static void check_live(const struct obj *live, unsigned int n)
{
    static struct obj sorted[4096];

    memcpy(sorted, live, n * sizeof(*live));
    qsort(sorted, n, sizeof(*sorted), by_address);
    for (unsigned int i = 0; i < n; i++) {
        CHECK(pattern_intact(&sorted[i]));
        if (i + 1 < n)
            CHECK(sorted[i].p + sorted[i].size <= sorted[i + 1].p);
    }
}

static size_t random_size(void)
{
    unsigned int r = (unsigned int)(harness_rand() % 100);

    if (r < 50)
        return 1 + harness_rand() % 128;
    if (r < 85)
        return 1 + harness_rand() % 2048;
    return 1 + harness_rand() % 20000;
}

TEST(random_sizes_no_overlap_no_corruption_all_returned)
{
    static struct obj live[4096];
    unsigned int nlive = 0;
    long peak = 0;

    xmalloc_init(&test_backend);
    for (int step = 0; step < 40000 && !harness_current_failed; step++) {
        if (nlive < 4096 && (nlive == 0 || harness_rand() % 100 < 55)) {
            struct obj *o = &live[nlive];

            o->size = random_size();
            o->p = xmalloc_bytes(o->size);
            CHECK(o->p != NULL);
            if (!o->p)
                continue;
            /* The promise is min(pow2(size), 16); the headers make it 16 for every size. */
            CHECK_EQ((uintptr_t)o->p % (pow2_ceil(o->size) < 16 ? pow2_ceil(o->size) : 16), 0);
            CHECK_EQ((uintptr_t)o->p & 15, 0);
            o->pattern = (unsigned char)harness_rand();
            fill(o);
            nlive++;
        } else {
            unsigned int k = (unsigned int)(harness_rand() % nlive);

            CHECK(pattern_intact(&live[k]));
            xfree(live[k].p);
            live[k] = live[--nlive];
        }
        CHECK_EQ(xmalloc_pages_in_use(), backend_pages);
        peak = backend_pages > peak ? backend_pages : peak;
        if (step % 2000 == 0)
            check_live(live, nlive);
    }
    check_live(live, nlive);
    CHECK(peak > 100);                          /* the test really held many pages */
    harness_log_clear();
    for (unsigned int k = 0; k < nlive; k++) {
        CHECK(pattern_intact(&live[k]));
        xfree(live[k].p);
    }
    CHECK_EQ(harness_log_len, 0);               /* no valid free was ever reported */
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(slab_and_large_page_accounting_is_exact)
{
    static void *objs[600];
    unsigned char *big;

    xmalloc_init(&test_backend);
    objs[0] = xmalloc_bytes(16);
    objs[1] = xmalloc_bytes(9);                 /* same class, same page */
    CHECK_EQ(xmalloc_pages_in_use(), 1);
    CHECK(((uintptr_t)objs[0] & PAGE_MASK) == ((uintptr_t)objs[1] & PAGE_MASK));
    for (int i = 2; i < 600; i++)               /* 600 * 16 bytes cannot fit in two pages */
        objs[i] = xmalloc_bytes(16);
    CHECK_EQ(xmalloc_pages_in_use(), 3);
    for (int i = 0; i < 600; i++)
        xfree(objs[i]);
    CHECK_EQ(xmalloc_pages_in_use(), 0);

    big = xmalloc_bytes(2049);                  /* smallest large request: one page */
    CHECK_EQ(xmalloc_pages_in_use(), 1);
    xfree(big);
    big = xmalloc_bytes(PAGE_SIZE);             /* no room for its header in one page */
    CHECK_EQ(xmalloc_pages_in_use(), 2);
    xfree(big);
    big = xmalloc_bytes(20000);
    CHECK_EQ(xmalloc_pages_in_use(), 8);
    CHECK(big != NULL);
    if (big) {
        memset(big, 0x5c, 20000);               /* ASan: the whole object is ours */
        xfree(big);
    }
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(xzalloc_zeroes_recycled_memory)
{
    static unsigned char *dirty[64];
    struct pair {
        int a;
        long b;
    } *pr;
    unsigned int *arr;

    xmalloc_init(&test_backend);
    for (size_t size = 1; size <= 8192; size *= 2) {
        unsigned char *p;

        /* Dirty freed slots keep the slab page alive, so xzalloc reuses dirty memory. */
        for (int i = 0; i < 64; i++) {
            dirty[i] = xmalloc_bytes(size);
            memset(dirty[i], 0xff, size);
        }
        for (int i = 0; i < 64; i += 2)
            xfree(dirty[i]);
        p = xzalloc_bytes(size);
        CHECK(p != NULL);
        for (size_t i = 0; p && i < size; i++)
            CHECK(p[i] == 0);
        xfree(p);
        for (int i = 1; i < 64; i += 2)
            xfree(dirty[i]);
    }
    pr = xzalloc(struct pair);
    arr = xzalloc_array(unsigned int, 1000);
    CHECK(pr && pr->a == 0 && pr->b == 0);
    for (int i = 0; arr && i < 1000; i++)
        CHECK(arr[i] == 0);
    xfree(pr);
    xfree(arr);
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(bad_slab_frees_reported_and_harmless)
{
    struct obj a = { 0, 100, 0x11 }, b = { 0, 100, 0x22 }, c = { 0, 128, 0x44 };
    char stackbuf[64] __attribute__((aligned(4096)));

    xmalloc_init(&test_backend);
    a.p = xmalloc_bytes(a.size);
    b.p = xmalloc_bytes(b.size);
    CHECK(a.p && b.p);
    if (!a.p || !b.p)
        return;
    fill(&a);
    fill(&b);
    harness_log_clear();
    xfree(a.p + 8);                             /* misaligned inside a slab object */
    CHECK(strstr(harness_log, "not an object start") != NULL);
    harness_log_clear();
    xfree((void *)(((uintptr_t)a.p & PAGE_MASK) + 16));    /* inside the slab header */
    CHECK(strstr(harness_log, "not an object start") != NULL);
    harness_log_clear();
    xfree(a.p);
    xfree(a.p);                                 /* double free while the slab lives on */
    CHECK(strstr(harness_log, "double free") != NULL);
    harness_log_clear();
    memset(stackbuf, 0, sizeof(stackbuf));
    xfree(stackbuf);                            /* bad magic: never allocated */
    CHECK(strstr(harness_log, "not allocated by xmalloc") != NULL);
    CHECK(pattern_intact(&b));
    CHECK_EQ(xmalloc_pages_in_use(), 1);        /* the slab survived all of it */
    /* The slab's free list is still sound: a double free pushed twice would repeat a slot. */
    a.p = xmalloc_bytes(a.size);
    c.p = xmalloc_bytes(c.size);
    CHECK(a.p && c.p && a.p != c.p && a.p != b.p && c.p != b.p);
    if (a.p && c.p) {
        fill(&a);
        fill(&c);
        CHECK(pattern_intact(&a));
        CHECK(pattern_intact(&b));
        xfree(a.p);
        xfree(c.p);
    }
    harness_log_clear();
    xfree(NULL);
    xfree(b.p);
    CHECK_EQ(harness_log_len, 0);
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(bad_large_frees_reported_and_harmless)
{
    struct obj big = { 0, 10000, 0x33 };

    xmalloc_init(&test_backend);
    big.p = xmalloc_bytes(big.size);
    CHECK(big.p != NULL);
    if (!big.p)
        return;
    fill(&big);
    harness_log_clear();
    xfree(big.p + 16);                          /* inside a large block's first page */
    CHECK(strstr(harness_log, "not allocated by xmalloc") != NULL);
    CHECK(pattern_intact(&big));
    /* A later page of the block has no header: give it one that is not a magic. */
    memset(big.p + PAGE_SIZE - 64, 0, 64);
    big.size = PAGE_SIZE - 64;
    harness_log_clear();
    xfree(big.p + PAGE_SIZE);
    CHECK(strstr(harness_log, "not allocated by xmalloc") != NULL);
    CHECK(pattern_intact(&big));
    CHECK_EQ(xmalloc_pages_in_use(), 4);        /* 10000 bytes and a header: 2^2 pages */
    CHECK_EQ(backend_pages, 4);
    harness_log_clear();
    xfree(big.p);
    CHECK_EQ(harness_log_len, 0);
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(backend_failure_and_impossible_sizes_return_null)
{
    xmalloc_init(&test_backend);
    backend_fail = true;
    CHECK(xmalloc_bytes(16) == NULL);
    CHECK(xmalloc_bytes(5000) == NULL);
    CHECK(xzalloc_bytes(100) == NULL);
    backend_fail = false;
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    backend_calls = 0;
    CHECK(xmalloc_bytes(0) == NULL);
    CHECK(xmalloc_bytes((size_t)-1) == NULL);
    CHECK(xmalloc_bytes((size_t)-4096) == NULL);
    CHECK(xmalloc_bytes((PAGE_SIZE << 18) + 1) == NULL);    /* beyond a 1 GiB block */
    CHECK_EQ(backend_calls, 0);
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

int main(void)
{
    RUN(random_sizes_no_overlap_no_corruption_all_returned);
    RUN(slab_and_large_page_accounting_is_exact);
    RUN(xzalloc_zeroes_recycled_memory);
    RUN(bad_slab_frees_reported_and_harmless);
    RUN(bad_large_frees_reported_and_harmless);
    RUN(backend_failure_and_impossible_sizes_return_null);
    HARNESS_EXIT();
}
