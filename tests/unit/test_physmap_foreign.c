/*
 * Host tests for kernel/physmap_foreign.c over the real page references (kernel/page_ref.c)
 * and a real buddy zone: a foreign mapping holds its own reference, so the owner's end
 * leaves the page alive until the last mapping goes; the reference is dropped only after
 * the mapper's translations are flushed; only a privileged mapper may map, never its own
 * pages nor a frame the owner lacks; a failed map leaves nothing behind; many mappings in
 * any order are found and removed one by one. The p2m is a stub that records entries.
 */
#include <kumo/spinlock.h>

/* User mode cannot CLI: the IRQ-saving variants become plain locks. */
#define ASM_IRQ_H
static inline unsigned long local_irq_save(void) { return 0; }
static inline void local_irq_restore(unsigned long f) { (void)f; }
#define spin_lock_irqsave(l, f) do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

#include "../../kernel/buddy.c"
#include "../../kernel/page_ref.c"
#include "../../kernel/physmap_foreign.c"
#include "harness.h"

#define BASE 0x1000UL
#define NR   256UL

static struct buddy_zone zone;
static struct page_info *frames;
static unsigned long nr_frees;

void free_domheap_pages(struct page_info *pg, unsigned int order)
{
    nr_frees++;
    buddy_free(&zone, pg, order);
}

paddr_t page_to_maddr(const struct page_info *pg)
{
    return (paddr_t)(BASE + (unsigned long)(pg - frames)) << PAGE_SHIFT;
}

struct page_info *maddr_to_page(paddr_t pa)
{
    return &frames[(pa >> PAGE_SHIFT) - BASE];
}

void *xmalloc_bytes(size_t size) { return malloc(size); }
void xfree(void *p) { free(p); }

/* The stub p2m: one mfn per gfn (0 = none), and what a flush saw. */
#define NR_GFNS 4096
static unsigned long p2m_a[NR_GFNS], p2m_b[NR_GFNS];
static unsigned long flushes, frees_at_last_flush;
static bool fail_next_map;

static unsigned long *p2m_of(struct domain *d);

int p2m_map_range(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr,
                  enum p2m_type t)
{
    (void)t;
    if (fail_next_map) {
        fail_next_map = false;
        return -12;
    }
    for (unsigned long i = 0; i < nr; i++)
        p2m_of(d)[gfn + i] = mfn + i;
    return 0;
}

int p2m_clear_entry(struct domain *d, unsigned long gfn)
{
    p2m_of(d)[gfn] = 0;
    return 0;
}

void p2m_flush_sync(struct domain *d)
{
    (void)d;
    flushes++;
    frees_at_last_flush = nr_frees;
}

bool gfn_to_mfn_locked(struct domain *d, unsigned long gfn, unsigned long *mfn)
{
    if (gfn >= NR_GFNS || !p2m_of(d)[gfn])
        return false;
    *mfn = p2m_of(d)[gfn];
    return true;
}

/* The mapper's own RAM is not in these tests: physmap_remove only sees foreign rows. */
bool physmap_remove(struct domain *d, unsigned long gfn, struct list_head *taken)
{
    (void)taken;
    return physmap_remove_foreign(d, gfn);
}

void domain_put_taken(struct domain *d, struct list_head *pages)
{
    (void)d, (void)pages;
}

static struct domain *dom0, *domu;

static unsigned long *p2m_of(struct domain *d)
{
    return d == dom0 ? p2m_a : p2m_b;
}

static void setup(void)
{
    frames = calloc(NR, sizeof(*frames));
    buddy_init(&zone, frames, BASE, NR);
    buddy_add_range(&zone, BASE, NR);
    nr_frees = flushes = 0;
    memset(p2m_a, 0, sizeof(p2m_a));
    memset(p2m_b, 0, sizeof(p2m_b));
    dom0 = calloc(1, sizeof(*dom0));
    domu = calloc(1, sizeof(*domu));
    dom0->privileged = true;
    dom0->domid = 0;
    domu->domid = 1;
}

static void teardown(void)
{
    physmap_foreign_release(dom0);
    free(dom0);
    free(domu);
    free(frames);
}

/* A page of domu at gfn, with its allocation reference. */
static struct page_info *give(unsigned long gfn)
{
    struct page_info *pg = buddy_alloc(&zone, 0);

    page_assign(pg, domu, PGT_RAM);
    p2m_b[gfn] = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
    return pg;
}

TEST(mapping_outlives_the_owner_until_removed)
{
    setup();
    struct page_info *pg = give(0x10);

    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, 0x800), 0);
    CHECK_EQ(pg->count, 2);
    CHECK_EQ(p2m_a[0x800], p2m_b[0x10]);
    /* The owner goes: its allocation reference is dropped, the page stays. */
    put_page(pg);
    CHECK_EQ(nr_frees, 0);
    CHECK(physmap_remove_foreign(dom0, 0x800));
    CHECK_EQ(nr_frees, 1);
    CHECK_EQ(p2m_a[0x800], 0);
    CHECK(!physmap_remove_foreign(dom0, 0x800));
    teardown();
}

TEST(reference_dropped_only_after_the_flush)
{
    setup();
    struct page_info *pg = give(0x10);

    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, 0x800), 0);
    put_page(pg);
    CHECK(physmap_remove_foreign(dom0, 0x800));
    CHECK_EQ(flushes, 1);
    CHECK_EQ(frees_at_last_flush, 0);       /* still held while the flush ran */
    CHECK_EQ(nr_frees, 1);
    teardown();
}

TEST(replacing_a_mapping_releases_the_old_page_after_a_flush)
{
    setup();
    struct page_info *a = give(0x10), *b = give(0x11);

    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, 0x800), 0);
    put_page(a);
    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x11, 0x800), 0);
    CHECK_EQ(flushes, 1);
    CHECK_EQ(frees_at_last_flush, 0);
    CHECK_EQ(nr_frees, 1);                  /* a went at the replacement */
    CHECK_EQ(b->count, 2);
    CHECK_EQ(dom0->nr_foreign, 1);
    teardown();
}

TEST(only_a_privileged_domain_maps_and_never_itself)
{
    setup();
    struct page_info *pg = give(0x10);

    CHECK_EQ(physmap_add_foreign(domu, dom0, 0x10, 0x800), -XEN_EPERM);
    CHECK_EQ(physmap_add_foreign(dom0, dom0, 0x10, 0x800), -XEN_EPERM);
    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x99, 0x800), -XEN_EINVAL);   /* not populated */
    CHECK_EQ(physmap_add_foreign(dom0, domu, ~0UL, 0x800), -XEN_EINVAL);
    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, P2M_MAX_GFN), -XEN_EINVAL);
    CHECK_EQ(pg->count, 1);
    CHECK_EQ(dom0->nr_foreign, 0);
    teardown();
}

TEST(a_page_mapped_from_elsewhere_cannot_be_mapped_on)
{
    setup();
    struct page_info *pg = give(0x10);

    /* domu "maps" the page at 0x20 of a privileged dom0: its owner is not dom0. */
    p2m_a[0x20] = p2m_b[0x10];
    CHECK_EQ(physmap_add_foreign(dom0, dom0, 0x20, 0x800), -XEN_EPERM);
    domu->privileged = true;
    CHECK_EQ(physmap_add_foreign(domu, dom0, 0x20, 0x800), -XEN_EINVAL);
    CHECK_EQ(pg->count, 1);
    teardown();
}

TEST(failed_map_leaves_no_reference)
{
    setup();
    struct page_info *pg = give(0x10);

    fail_next_map = true;
    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, 0x800), -12);
    CHECK_EQ(pg->count, 1);
    CHECK_EQ(dom0->nr_foreign, 0);
    CHECK_EQ(p2m_a[0x800], 0);
    teardown();
}

TEST(many_mappings_found_and_removed_in_any_order)
{
    setup();
    enum { N = 100 };
    struct page_info *pg[N];

    for (unsigned int i = 0; i < N; i++)
        pg[i] = give(0x100 + i);
    /* Map in a scrambled order (37 is prime to 100). */
    for (unsigned int k = 0; k < N; k++) {
        unsigned int i = (k * 37) % N;

        CHECK_EQ(physmap_add_foreign(dom0, domu, 0x100 + i, 0x900 + i), 0);
    }
    for (unsigned int i = 1; i < dom0->nr_foreign; i++)
        CHECK(dom0->foreign[i - 1].gfn < dom0->foreign[i].gfn);
    for (unsigned int i = 0; i < N; i++)
        put_page(pg[i]);
    for (unsigned int k = 0; k < N; k++) {
        unsigned int i = (k * 53) % N;

        CHECK(physmap_remove_foreign(dom0, 0x900 + i));
        CHECK_EQ(nr_frees, k + 1);
    }
    CHECK_EQ(dom0->nr_foreign, 0);
    teardown();
}

TEST(mapper_end_releases_every_mapping)
{
    setup();
    struct page_info *a = give(0x10), *b = give(0x11);

    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x10, 0x800), 0);
    CHECK_EQ(physmap_add_foreign(dom0, domu, 0x11, 0x801), 0);
    put_page(a);
    physmap_foreign_release(dom0);
    CHECK_EQ(nr_frees, 1);
    CHECK_EQ(b->count, 1);
    CHECK_EQ(dom0->nr_foreign, 0);
    teardown();
}

int main(void)
{
    RUN(mapping_outlives_the_owner_until_removed);
    RUN(reference_dropped_only_after_the_flush);
    RUN(replacing_a_mapping_releases_the_old_page_after_a_flush);
    RUN(only_a_privileged_domain_maps_and_never_itself);
    RUN(a_page_mapped_from_elsewhere_cannot_be_mapped_on);
    RUN(failed_map_leaves_no_reference);
    RUN(many_mappings_found_and_removed_in_any_order);
    RUN(mapper_end_releases_every_mapping);
    HARNESS_EXIT();
}
