/*
 * Host tests for arch/x86/hvm/p2m.c: the type is read back from the entry itself, splits
 * keep type and frames, a cleared frame inside a 2 MiB leaf is never mapped to another
 * frame meanwhile, type bits stay out of the bits hardware reads, and table pages are
 * charged to the domain and bounded. Tables live in host memory: "physical" addresses
 * are host addresses here (page-aligned and below 2^47, so they fit an entry).
 */
#include <kumo/spinlock.h>

/* User mode cannot CLI: the IRQ-saving variants become plain locks. */
#define ASM_IRQ_H
static inline unsigned long local_irq_save(void) { return 0; }
static inline void local_irq_restore(unsigned long f) { (void)f; }
#define spin_lock_irqsave(l, f) do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

/* The direct map is the identity. */
#define ASM_PAGE_H
#include <asm/config.h>
#include <kumo/types.h>
#define _PAGE_PRESENT  (1UL << 0)
#define _PAGE_RW       (1UL << 1)
#define _PAGE_USER     (1UL << 2)
#define _PAGE_PSE      (1UL << 7)
#define PADDR_MASK     0x000FFFFFFFFFF000UL
#define PT_INDEX(va, shift) (((unsigned long)(va) >> (shift)) & 511)
static inline void *__va(paddr_t pa) { return (void *)pa; }
static inline paddr_t __pa(const void *va) { return (paddr_t)va; }

#include "../../arch/x86/hvm/p2m.c"
#include "harness.h"

#define NR_TABLES 64
static uint64_t (*tables)[512];
static struct page_info table_info[NR_TABLES];
static unsigned int tables_used;

void *alloc_xenheap_pages(unsigned int order)
{
    (void)order;
    return tables_used < NR_TABLES ? tables[tables_used++] : NULL;
}

struct page_info *maddr_to_page(paddr_t pa)
{
    return &table_info[(pa - (paddr_t)tables) / PAGE_SIZE];
}

void page_assign(struct page_info *pg, struct domain *d, enum page_type type)
{
    pg->owner = d;
    pg->type = type;
    pg->count = 1;
}

void pages_relinquish(struct list_head *pages)
{
    list_init(pages);
}

bool get_page(struct page_info *pg, const struct domain *d)
{
    return pg->owner == d;
}

struct vcpu *current_vcpu(void) { return NULL; }
s_time_t NOW(void) { return 0; }
struct domain *domain_table[MAX_DOMAINS];
void cpu_raise_softirq(unsigned int cpu, unsigned int nr) { (void)cpu, (void)nr; }

/* Every leaf the p2m code asks for, to see what it ever mapped. */
static paddr_t leaves[4096];
static unsigned int nr_leaves;

/* NPT's format (svm.c), which is what the type bits must stay clear of. */
static uint64_t fake_entry(paddr_t pa, unsigned int level, bool leaf, unsigned int perms)
{
    uint64_t e = pa | _PAGE_PRESENT | _PAGE_USER;

    if (leaf && nr_leaves < 4096)
        leaves[nr_leaves++] = pa;
    if (perms & P2M_W)
        e |= _PAGE_RW;
    if (leaf && level > 1)
        e |= _PAGE_PSE;
    return e;
}

static void fake_flush(struct domain *d) { (void)d; }

static const struct hvm_ops fake_ops = { .p2m_entry = fake_entry, .p2m_flush = fake_flush };
const struct hvm_ops *hvm_ops = &fake_ops;

static struct domain *new_domain(void)
{
    struct domain *d = calloc(1, sizeof(*d));

    tables = aligned_alloc(PAGE_SIZE, NR_TABLES * PAGE_SIZE);
    memset(table_info, 0, sizeof(table_info));
    tables_used = 0;
    nr_leaves = 0;
    CHECK_EQ(p2m_init(d), 0);
    return d;
}

static void free_domain(struct domain *d)
{
    free(tables);
    free(d);
}

TEST(lookup_returns_the_type_written_in_the_entry)
{
    struct domain *d = new_domain();
    unsigned long mfn = 0;

    CHECK_EQ(p2m_map_range(d, 0, 0x40000, 1024, p2m_ram_rw), 0);
    CHECK_EQ(p2m_map_range(d, 5000, 0x777, 1, p2m_special), 0);
    CHECK_EQ(p2m_map_range(d, 6000, 0x888, 1, p2m_foreign), 0);
    CHECK_EQ(p2m_map_range(d, 7000, 0x999, 1, p2m_ram_ro), 0);
    CHECK_EQ(p2m_lookup(d, 700, &mfn), p2m_ram_rw);
    CHECK_EQ(mfn, 0x40000 + 700);
    CHECK_EQ(p2m_lookup(d, 5000, &mfn), p2m_special);
    CHECK_EQ(mfn, 0x777);
    CHECK_EQ(p2m_lookup(d, 6000, &mfn), p2m_foreign);
    CHECK_EQ(mfn, 0x888);
    CHECK_EQ(p2m_lookup(d, 7000, NULL), p2m_ram_ro);
    CHECK_EQ(p2m_lookup(d, 1024, NULL), p2m_invalid);
    CHECK_EQ(p2m_lookup(d, 5001, NULL), p2m_invalid);
    CHECK_EQ(p2m_lookup(d, P2M_MAX_GFN, NULL), p2m_invalid);
    CHECK_EQ(d->max_mapped_gfn, 7000);
    free_domain(d);
}

TEST(type_bits_stay_out_of_what_hardware_reads)
{
    struct domain *d = new_domain();
    uint64_t *t;

    CHECK_EQ(p2m_map_range(d, 1, 0x12345, 1, p2m_foreign), 0);
    t = __va(d->p2m_root);
    for (unsigned int level = 4; level > 1; level--)
        t = __va(t[0] & PADDR_MASK);
    /* Frame, flags from the vendor, and the type in 52..55: nothing else. */
    CHECK_EQ(t[1] & PADDR_MASK, 0x12345000UL);
    CHECK_EQ(t[1] >> 52, p2m_foreign);
    CHECK_EQ(t[1] & 0xFFF, _PAGE_PRESENT | _PAGE_USER | _PAGE_RW);
    free_domain(d);
}

TEST(clearing_inside_a_2m_leaf_keeps_neighbours_and_maps_no_other_frame)
{
    struct domain *d = new_domain();
    unsigned long mfn = 0;

    CHECK_EQ(p2m_map_range(d, 512, 0x80000, 512, p2m_ram_ro), 0);
    nr_leaves = 0;
    CHECK_EQ(p2m_clear_entry(d, 700), 0);
    CHECK_EQ(p2m_lookup(d, 700, NULL), p2m_invalid);
    CHECK_EQ(p2m_lookup(d, 699, &mfn), p2m_ram_ro);
    CHECK_EQ(mfn, 0x80000 + 699 - 512);
    CHECK_EQ(p2m_lookup(d, 1023, &mfn), p2m_ram_ro);
    CHECK_EQ(mfn, 0x80000 + 511);
    /* While splitting, every leaf written maps a frame of the original block. */
    CHECK(nr_leaves >= 512);
    for (unsigned int i = 0; i < nr_leaves; i++)
        CHECK(leaves[i] >= 0x80000000UL && leaves[i] < 0x80200000UL);
    free_domain(d);
}

TEST(foreign_and_special_frames_are_data_only)
{
    CHECK(p2m_type_allows(p2m_foreign, true, false));
    CHECK(!p2m_type_allows(p2m_foreign, false, true));
    CHECK(!p2m_type_allows(p2m_special, false, true));
    CHECK(!p2m_type_allows(p2m_ram_ro, true, false));
    CHECK(p2m_type_allows(p2m_ram_ro, false, true));
    CHECK(p2m_type_allows(p2m_ram_rw, true, true));
    CHECK(!p2m_type_allows(p2m_invalid, false, false));
}

TEST(p2m_tables_charged_to_domain_and_bounded)
{
    struct domain *d = new_domain();
    unsigned long i;
    int rc = 0;

    CHECK_EQ(d->p2m_pages, 1);
    CHECK_EQ(table_info[0].owner, d);
    CHECK_EQ(table_info[0].type, PGT_P2M);
    d->p2m_limit = 8;
    /* One frame per 1 GiB: each needs tables of its own until the pool is spent. */
    for (i = 0; i < 64 && !rc; i++)
        rc = p2m_map_range(d, i << 18, 0x1000 + i, 1, p2m_ram_rw);
    CHECK_EQ(rc, -ENOMEM);
    CHECK_EQ(d->p2m_pages, 8);
    CHECK(tables_used <= 8);
    free_domain(d);
}

int main(void)
{
    RUN(lookup_returns_the_type_written_in_the_entry);
    RUN(type_bits_stay_out_of_what_hardware_reads);
    RUN(clearing_inside_a_2m_leaf_keeps_neighbours_and_maps_no_other_frame);
    RUN(foreign_and_special_frames_are_data_only);
    RUN(p2m_tables_charged_to_domain_and_bounded);
    HARNESS_EXIT();
}
