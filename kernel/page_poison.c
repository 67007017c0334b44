/*
 * page_poison, a debugging option: a freed page is filled with a pattern that allocation
 * checks, so a page written after it was freed (through a mapping someone kept) is
 * reported, and a page freed while a p2m still maps it is reported as it is freed, each
 * with the p2m entries that still reach it. Costs a page's fill, check and p2m walk per
 * page freed; off by default.
 */
#include <asm/p2m.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/param.h>

static bool opt_page_poison;
boolean_param("page_poison", opt_page_poison);

#define POISON 0x5AFEF4EE5AFEF4EEULL
#define POISONED_TYPE 0x9015ED      /* page_info.type of a free page that was filled */
#define MAX_REPORTS 20

static unsigned long mfn_of(const struct page_info *pg)
{
    return (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
}

void page_poison_free(struct page_info *pg, unsigned int order, const void *caller)
{
    static unsigned int reports;

    if (!opt_page_poison)
        return;
    for (unsigned long i = 0; i < (1UL << order); i++) {
        uint64_t *w = __va(page_to_maddr(&pg[i]));

        if (reports < MAX_REPORTS && p2m_report_mappers(mfn_of(&pg[i]), false)) {
            reports++;
            printk("page_poison: mfn %#lx freed (by %p) while mapped:\n", mfn_of(&pg[i]), caller);
            p2m_report_mappers(mfn_of(&pg[i]), true);
        }
        for (unsigned int j = 0; j < PAGE_SIZE / 8; j++)
            w[j] = POISON;
        pg[i].type = POISONED_TYPE;
    }
}

void page_poison_alloc(struct page_info *pg, unsigned int order)
{
    static unsigned int reports;

    if (!opt_page_poison)
        return;
    for (unsigned long i = 0; i < (1UL << order); i++) {
        const uint64_t *w = __va(page_to_maddr(&pg[i]));
        unsigned int bad = 0, first = 0;

        if (pg[i].type != POISONED_TYPE)
            continue;                   /* not freed since boot: never filled */
        pg[i].type = PGT_NONE;
        for (unsigned int j = 0; j < PAGE_SIZE / 8; j++)
            if (w[j] != POISON && !bad++)
                first = j;
        if (!bad || reports >= MAX_REPORTS)
            continue;
        reports++;
        printk("page_poison: mfn %#lx written after free: %u words, the first at %#x = %#lx\n",
               mfn_of(&pg[i]), bad, first * 8, (unsigned long)w[first]);
        p2m_report_mappers(mfn_of(&pg[i]), true);
    }
}

void page_poison_report(struct domain *d)
{
    struct page_info *pg;
    unsigned long n = 0;

    if (!opt_page_poison)
        return;
    list_for_each_entry(pg, &d->page_list, list)
        for (unsigned long i = 0; i < (1UL << pg->order); i++) {
            const uint64_t *w = __va(page_to_maddr(&pg[i]));

            if (w[0] == POISON && w[PAGE_SIZE / 8 - 1] == POISON && !n++)
                printk("d%u: mfn %#lx holds the free pattern\n", d->domid, mfn_of(&pg[i]));
        }
    printk("d%u: %lu of its pages hold the free pattern\n", d->domid, n);
}
