/* Host tests for kernel/xmalloc.c over an aligned_alloc page backend. */
#include "../../kernel/xmalloc.c"
#include "harness.h"

static long backend_pages;

static void *test_alloc_pages(unsigned int order)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

    if (p) {
        backend_pages += 1L << order;
        memset(p, 0xA5, PAGE_SIZE << order);          /* catch reliance on zeroed pages */
    }
    return p;
}

static void test_free_pages(void *p, unsigned int order)
{
    backend_pages -= 1L << order;
    free(p);
}

static const struct xmalloc_backend test_backend = { test_alloc_pages, test_free_pages };

struct obj {
    unsigned char *p;
    size_t size;
    unsigned char pattern;
};

static bool pattern_intact(const struct obj *o)
{
    for (size_t i = 0; i < o->size; i++)
        if (o->p[i] != (unsigned char)(o->pattern + i))
            return false;
    return true;
}

TEST(random_sizes_no_overlap_no_corruption_all_returned)
{
    static struct obj live[3000];
    unsigned int nlive = 0;

    xmalloc_init(&test_backend);
    for (int step = 0; step < 30000 && !harness_current_failed; step++) {
        if (nlive < 3000 && (nlive == 0 || harness_rand() % 100 < 55)) {
            size_t size = harness_rand() % 100 < 90 ? 1 + harness_rand() % 2048
                                                    : 1 + harness_rand() % 20000;
            struct obj *o = &live[nlive];

            o->p = xmalloc_bytes(size);
            CHECK(o->p != NULL);
            if (!o->p)
                continue;
            o->size = size;
            o->pattern = (unsigned char)harness_rand();
            CHECK(((uintptr_t)o->p & 15) == 0);
            for (size_t i = 0; i < size; i++)
                o->p[i] = (unsigned char)(o->pattern + i);
            nlive++;
        } else {
            unsigned int k = (unsigned int)(harness_rand() % nlive);

            CHECK(pattern_intact(&live[k]));
            xfree(live[k].p);
            live[k] = live[--nlive];
        }
    }
    for (unsigned int k = 0; k < nlive; k++) {
        CHECK(pattern_intact(&live[k]));
        xfree(live[k].p);
    }
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

TEST(size_classes_alignment_and_zeroing)
{
    xmalloc_init(&test_backend);
    for (size_t size = 1; size <= 4096; size *= 2) {
        unsigned char *p = xzalloc_bytes(size);

        CHECK(p != NULL);
        if (!p)
            continue;
        for (size_t i = 0; i < size; i++)
            CHECK(p[i] == 0);
        CHECK(((uintptr_t)p % (size < 16 ? size : 16)) == 0);
        xfree(p);
    }
    CHECK(xmalloc_bytes(0) == NULL);
    CHECK_EQ(backend_pages, 0);
}

TEST(bad_frees_reported_and_harmless)
{
    unsigned char *a, *b, *big;
    char stackbuf[64] __attribute__((aligned(4096)));

    xmalloc_init(&test_backend);
    a = xmalloc_bytes(100);
    b = xmalloc_bytes(100);
    big = xmalloc_bytes(10000);
    harness_log_clear();
    xfree(a + 8);                                      /* interior pointer */
    CHECK(strstr(harness_log, "not an object start") != NULL);
    harness_log_clear();
    xfree(a);
    xfree(a);                                          /* double free */
    CHECK(strstr(harness_log, "double free") != NULL);
    harness_log_clear();
    memset(stackbuf, 0, sizeof(stackbuf));
    xfree(stackbuf);                                   /* never allocated */
    CHECK(strstr(harness_log, "not allocated by xmalloc") != NULL);
    harness_log_clear();
    xfree(big + 16);                                   /* inside a large block */
    CHECK(strstr(harness_log, "not allocated by xmalloc") != NULL);
    xfree(NULL);
    xfree(b);
    xfree(big);
    CHECK_EQ(xmalloc_pages_in_use(), 0);
    CHECK_EQ(backend_pages, 0);
}

int main(void)
{
    RUN(random_sizes_no_overlap_no_corruption_all_returned);
    RUN(size_classes_alignment_and_zeroing);
    RUN(bad_frees_reported_and_harmless);
    HARNESS_EXIT();
}
