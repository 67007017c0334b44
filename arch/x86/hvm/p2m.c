/*
 * The per-domain p2m: 4-level nested page tables (NPT or EPT, whose entry format the
 * vendor supplies through hvm_ops->p2m_entry) mapping guest-physical to host-physical,
 * with 2 MiB leaves where both addresses are aligned. Table pages are the domain's (typed
 * PGT_P2M, charged to it and bounded by d->p2m_limit) and are freed with it. Also the
 * flush that makes an unmap final, and the gfn->mfn lookup used to copy guest memory.
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/p2m.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/softirq.h>
#include <kumo/time.h>
#include <kumo/xmalloc.h>

#define ENOMEM 12

static uint64_t *p2m_new_table(struct domain *d, paddr_t *pa)
{
    struct page_info *pg;
    uint64_t *t;

    /* The guest that spreads its mappings runs out of its own pool, not the host's heap. */
    if (d->p2m_limit && d->p2m_pages >= d->p2m_limit)
        return NULL;
    t = alloc_xenheap_pages(0);
    if (!t)
        return NULL;
    memset(t, 0, PAGE_SIZE);
    *pa = __pa(t);
    pg = maddr_to_page(*pa);
    page_assign(pg, d, PGT_P2M);
    list_add(&pg->list, &d->p2m_page_list);
    d->p2m_pages++;
    return t;
}

int p2m_init(struct domain *d)
{
    list_init(&d->p2m_page_list);
    return p2m_new_table(d, &d->p2m_root) ? 0 : -ENOMEM;
}

void p2m_teardown(struct domain *d)
{
    pages_relinquish(&d->p2m_page_list);
    d->p2m_pages = 0;
    d->p2m_root = 0;
}

#define P2M_LARGE (1ULL << 7)           /* a leaf above level 1, in NPT and EPT alike */
/*
 * The type lives in bits 52..55 of a leaf: available to software in an NPT entry (APM
 * vol. 2, 5.3.3: bits 52..58 ignored) and ignored in an EPT entry (SDM vol. 3C, 29.3.2:
 * bits 52..57). A cleared entry is 0: p2m_invalid.
 */
#define P2M_TYPE_SHIFT 52
#define P2M_TYPE_MASK  (0xFULL << P2M_TYPE_SHIFT)

_Static_assert(P2M_NR_TYPES <= 16, "p2m types fit the entry's four software bits");

static unsigned int p2m_type_perms(enum p2m_type t)
{
    switch (t) {
    case p2m_ram_rw:
        return P2M_RWX;
    case p2m_ram_ro:
        return P2M_R | P2M_X;
    case p2m_special:
    case p2m_foreign:
        return P2M_R | P2M_W;
    case p2m_invalid:
    case P2M_NR_TYPES:
        break;
    }
    return 0;
}

static uint64_t leaf_entry(paddr_t ma, unsigned int level, enum p2m_type t)
{
    return hvm_ops->p2m_entry(ma, level, true, p2m_type_perms(t)) |
           (uint64_t)t << P2M_TYPE_SHIFT;
}

static enum p2m_type entry_type(uint64_t e)
{
    return (enum p2m_type)((e & P2M_TYPE_MASK) >> P2M_TYPE_SHIFT);
}

/*
 * A live entry changes in one 8-byte store, ordered after the stores that filled what it
 * points to: a CPU walking the table meanwhile sees the old entry or the new, never half.
 */
static void set_entry(uint64_t *entry, uint64_t e)
{
    __atomic_store_n(entry, e, __ATOMIC_RELEASE);
}

/*
 * Both formats keep the next level's address in bits 12..51. A 2 MiB leaf that must hold
 * a 4 KiB mapping is split into 512 leaves of the same type first.
 */
static uint64_t *next_level(struct domain *d, uint64_t *entry, unsigned int level)
{
    uint64_t *t;
    paddr_t pa;

    if (*entry & 7 && !(*entry & P2M_LARGE))
        return __va(*entry & PADDR_MASK);
    t = p2m_new_table(d, &pa);
    if (!t)
        return NULL;
    if (*entry & 7) {
        paddr_t base = *entry & PADDR_MASK & ~((PAGE_SIZE << (9 * level)) - 1);

        for (unsigned int i = 0; i < 512; i++)
            t[i] = leaf_entry(base + ((paddr_t)i << (12 + 9 * (level - 1))), level,
                              entry_type(*entry));
    }
    /* Published whole and after its 512 entries: another CPU's walker may read it now. */
    set_entry(entry, hvm_ops->p2m_entry(pa, level + 1, false, P2M_RWX));
    return t;
}

static void note_change(struct domain *d, unsigned long gfn)
{
    d->p2m_changes++;
    d->p2m_last_gfn = gfn;
    d->p2m_last_change = NOW();
}

/* Maps one 4 KiB (order 0) or 2 MiB (order 9) page. */
static int p2m_set_entry(struct domain *d, uint64_t gpa, paddr_t ma, unsigned int order,
                         enum p2m_type type)
{
    uint64_t *t = __va(d->p2m_root);
    unsigned int level;

    for (level = 4; level > (order == 9 ? 2u : 1u); level--) {
        t = next_level(d, &t[PT_INDEX(gpa, 12 + 9 * (level - 1))], level - 1);
        if (!t)
            return -ENOMEM;
    }
    set_entry(&t[PT_INDEX(gpa, 12 + 9 * (level - 1))], leaf_entry(ma, level, type));
    note_change(d, gpa >> PAGE_SHIFT);
    d->max_mapped_gfn = MAX(d->max_mapped_gfn,
                            (unsigned long)(gpa >> PAGE_SHIFT) + (1UL << order) - 1);
    return 0;
}

enum p2m_type p2m_lookup(struct domain *d, unsigned long gfn, unsigned long *mfn)
{
    uint64_t gpa = (uint64_t)gfn << PAGE_SHIFT, *t, e;
    unsigned int level;

    if (gfn >= P2M_MAX_GFN || !d->p2m_root)
        return p2m_invalid;
    t = __va(d->p2m_root);
    for (level = 4;; level--) {
        e = t[PT_INDEX(gpa, 12 + 9 * (level - 1))];
        if (!(e & 7))
            return p2m_invalid;
        if (level == 1 || (e & P2M_LARGE))
            break;
        t = __va(e & PADDR_MASK);
    }
    if (mfn)
        *mfn = (unsigned long)((e & PADDR_MASK) >> PAGE_SHIFT) +
               (gfn & ((1UL << (9 * (level - 1))) - 1));
    return entry_type(e);
}

int p2m_clear_entry(struct domain *d, unsigned long gfn)
{
    uint64_t gpa = (uint64_t)gfn << PAGE_SHIFT, *t = __va(d->p2m_root);

    for (unsigned int level = 4; level > 1; level--) {
        uint64_t e = t[PT_INDEX(gpa, 12 + 9 * (level - 1))];

        if (!(e & 7))
            return 0;
        if (e & P2M_LARGE) {
            unsigned long mfn;
            enum p2m_type type = p2m_lookup(d, gfn, &mfn);

            /* Split it first (gfn keeps its frame and type meanwhile), then clear gfn. */
            if (p2m_set_entry(d, gpa, (paddr_t)mfn << PAGE_SHIFT, 0, type))
                return -ENOMEM;
            return p2m_clear_entry(d, gfn);
        }
        t = __va(e & PADDR_MASK);
    }
    set_entry(&t[PT_INDEX(gpa, 12)], 0);
    note_change(d, gfn);
    return 0;
}

/*
 * True when the 2 MiB slot of gpa already points to a table of 4 KiB entries. A 2 MiB leaf
 * written there would orphan that table, and freeing it would need every CPU's
 * paging-structure caches flushed first: such a slot keeps 4 KiB entries.
 */
static bool slot_has_table(struct domain *d, uint64_t gpa)
{
    uint64_t *t = __va(d->p2m_root);

    for (unsigned int level = 4; level > 1; level--) {
        uint64_t e = t[PT_INDEX(gpa, 12 + 9 * (level - 1))];

        if (!(e & 7) || (e & P2M_LARGE))
            return false;
        t = __va(e & PADDR_MASK);
    }
    return true;
}

int p2m_map_range(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr,
                  enum p2m_type t)
{
    while (nr) {
        unsigned int order = !(gfn & 511) && !(mfn & 511) && nr >= 512 &&
                             !slot_has_table(d, (uint64_t)gfn << PAGE_SHIFT) ? 9 : 0;
        int rc = p2m_set_entry(d, (uint64_t)gfn << PAGE_SHIFT, (paddr_t)mfn << PAGE_SHIFT,
                               order, t);

        if (rc)
            return rc;
        gfn += 1UL << order;
        mfn += 1UL << order;
        nr -= 1UL << order;
    }
    return 0;
}

/* Walks the tables under t (level): each leaf that maps mfn is printed with its gfn. */
static unsigned int find_mfn(struct domain *d, uint64_t *t, unsigned int level,
                             unsigned long gfn_base, unsigned long mfn, bool print)
{
    unsigned int found = 0;

    for (unsigned int i = 0; i < 512; i++) {
        uint64_t e = t[i];
        unsigned long gfn = gfn_base + ((unsigned long)i << (9 * (level - 1))), first;

        if (!(e & 7))
            continue;
        if (level > 1 && !(e & P2M_LARGE)) {
            found += find_mfn(d, __va(e & PADDR_MASK), level - 1, gfn, mfn, print);
            continue;
        }
        first = (unsigned long)((e & PADDR_MASK) >> PAGE_SHIFT);
        if (mfn >= first && mfn - first < (1UL << (9 * (level - 1)))) {
            if (print)
                printk("  d%u maps mfn %#lx at gfn %#lx (type %u)\n", d->domid, mfn,
                       gfn + (mfn - first), entry_type(e));
            found++;
        }
    }
    return found;
}

unsigned int p2m_report_mappers(unsigned long mfn, bool print)
{
    unsigned int found = 0;

    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_table[id];

        if (d && d->p2m_root && !d->is_dying)
            found += find_mfn(d, __va(d->p2m_root), 4, 0, mfn, print);
    }
    return found;
}

bool p2m_enter_guest(struct vcpu *v)
{
    __atomic_add_fetch(&v->arch.guest_epoch, 1, __ATOMIC_SEQ_CST);
    /*
     * Either p2m_flush_sync() set need_flush before this exchange and this entry flushes,
     * or it reads the odd epoch after it and waits for this entry's exit.
     */
    return __atomic_exchange_n(&v->arch.need_flush, false, __ATOMIC_SEQ_CST);
}

void p2m_leave_guest(struct vcpu *v)
{
    __atomic_add_fetch(&v->arch.guest_epoch, 1, __ATOMIC_RELEASE);
}

void p2m_flush_sync(struct domain *d)
{
    struct vcpu *self = current_vcpu();
    uint32_t epoch[MAX_VCPUS];

    hvm_ops->p2m_flush(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        __atomic_store_n(&d->vcpus[i]->arch.need_flush, true, __ATOMIC_SEQ_CST);
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        epoch[i] = __atomic_load_n(&v->arch.guest_epoch, __ATOMIC_SEQ_CST);
        if (v != self && (epoch[i] & 1))
            cpu_raise_softirq(v->pcpu, TIMER_SOFTIRQ);      /* the IPI makes it exit */
    }
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        if (v == self || !(epoch[i] & 1))
            continue;
        while (__atomic_load_n(&v->arch.guest_epoch, __ATOMIC_ACQUIRE) == epoch[i])
            __asm__ volatile("pause" ::: "memory");
    }
}

struct page_info *p2m_get_page(struct domain *d, unsigned long gfn)
{
    struct page_info *pg = NULL;
    unsigned long flags, mfn;

    spin_lock_irqsave(&d->page_lock, flags);
    if (gfn_to_mfn_locked(d, gfn, &mfn)) {
        pg = maddr_to_page((paddr_t)mfn << PAGE_SHIFT);
        if (!get_page(pg, d))
            pg = NULL;
    }
    spin_unlock_irqrestore(&d->page_lock, flags);
    return pg;
}

enum p2m_type p2m_type_of(struct domain *d, unsigned long gfn)
{
    unsigned long flags;
    enum p2m_type t;

    spin_lock_irqsave(&d->page_lock, flags);
    t = p2m_lookup(d, gfn, NULL);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return t;
}

bool p2m_type_allows(enum p2m_type t, bool write, bool fetch)
{
    unsigned int perms = p2m_type_perms(t);

    return (perms & P2M_R) && (!write || (perms & P2M_W)) && (!fetch || (perms & P2M_X));
}

bool gfn_to_mfn_locked(struct domain *d, unsigned long gfn, unsigned long *mfn)
{
    return p2m_has_page(p2m_lookup(d, gfn, mfn));
}

bool gfn_to_mfn(struct domain *d, unsigned long gfn, unsigned long *mfn)
{
    unsigned long flags;
    bool found;

    /* A split on another vCPU rewrites a table under page_lock: walk it there. */
    spin_lock_irqsave(&d->page_lock, flags);
    found = gfn_to_mfn_locked(d, gfn, mfn);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return found;
}

static bool copy_guest_phys(struct domain *d, uint64_t gpa, void *buf, size_t len, bool to)
{
    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        unsigned long flags, mfn;
        char *va;

        /*
         * page_lock held across the copy: a frame leaves the domain only under it, so no
         * balloon on another vCPU can free it midway (cheaper than a reference, and these
         * copies are on every intercepted instruction's path).
         */
        spin_lock_irqsave(&d->page_lock, flags);
        if (!gfn_to_mfn_locked(d, (unsigned long)(gpa >> PAGE_SHIFT), &mfn)) {
            spin_unlock_irqrestore(&d->page_lock, flags);
            return false;
        }
        va = (char *)__va((paddr_t)mfn << PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1));
        if (to)
            memcpy(va, buf, chunk);
        else
            memcpy(buf, va, chunk);
        spin_unlock_irqrestore(&d->page_lock, flags);
        gpa += chunk;
        buf = (char *)buf + chunk;
        len -= chunk;
    }
    return true;
}

bool copy_to_guest_phys(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
    return copy_guest_phys(d, gpa, (void *)src, len, true);
}

bool copy_from_guest_phys(struct domain *d, void *dst, uint64_t gpa, size_t len)
{
    return copy_guest_phys(d, gpa, dst, len, false);
}
