/*
 * Domain lifecycle: creation with complete unwinding, memory population, shutdown, crash
 * and destruction. Every page a domain holds is on its page_list or its p2m_page_list, so
 * destroy returns all of it to the allocator.
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/p2m.h>
#include <asm/percpu.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/mm.h>
#include <kumo/panic.h>
#include <kumo/rtc.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

struct domain *domain_table[MAX_DOMAINS];
DEFINE_SPINLOCK(domlist_lock);

struct domain *domain_by_id(uint16_t domid)
{
    return domid < MAX_DOMAINS ? domain_table[domid] : NULL;
}

/* wc_* in shared_info: the wall-clock time at system time 0, version odd while changing. */
void domain_set_wallclock(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    struct compat_shared_info *c = d->shared_info;
    volatile uint32_t *version = d->compat_shinfo ? &c->wc_version : &s->wc_version;

    (*version)++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (d->compat_shinfo) {
        c->wc_sec = (uint32_t)boot_wallclock_sec;
        c->wc_sec_hi = (uint32_t)(boot_wallclock_sec >> 32);
        c->wc_nsec = boot_wallclock_nsec;
    } else {
        s->wc_sec = (uint32_t)boot_wallclock_sec;
        s->wc_sec_hi = (uint32_t)(boot_wallclock_sec >> 32);
        s->wc_nsec = boot_wallclock_nsec;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    (*version)++;
}

struct domain *domain_create(uint16_t domid, const char *name, bool privileged, int *err)
{
    struct domain *d = xzalloc(struct domain);
    unsigned long flags;

    *err = -XEN_ENOMEM;
    if (!d)
        return NULL;
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->console_lock);
    list_init(&d->page_list);
    list_init(&d->returned_pages);
    d->shared_info_gfn = ~0UL;
    d->privileged = privileged;
    d->sched.weight = 256;
    d->cpumask = ~0ULL;
    d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON] = SHUTDOWN_reboot;    /* Xen's default */
    strlcpy(d->name, name, sizeof(d->name));
    d->shared_info = alloc_xenheap_pages(0);
    if (!d->shared_info || p2m_init(d) || evtchn_init(d))
        goto fail;
    memset(d->shared_info, 0, PAGE_SIZE);
    domain_set_wallclock(d);

    spin_lock_irqsave(&domlist_lock, flags);
    if (domid == DOMID_INVALID)
        for (domid = privileged ? 0 : 1; domid < MAX_DOMAINS && domain_table[domid]; domid++)
            ;
    if (domid >= MAX_DOMAINS || domain_table[domid]) {
        spin_unlock_irqrestore(&domlist_lock, flags);
        *err = domid >= MAX_DOMAINS ? -XEN_ENOSPC : -XEN_EEXIST;
        goto fail;
    }
    d->domid = domid;
    domain_table[domid] = d;
    spin_unlock_irqrestore(&domlist_lock, flags);
    if (sched_dom_init(d)) {
        domain_table[domid] = NULL;
        goto fail;
    }
    *err = 0;
    return d;

fail:
    p2m_teardown(d);
    xfree(d->evtchn);
    free_xenheap_pages(d->shared_info, 0);
    xfree(d);
    return NULL;
}

static void vcpu_free(struct vcpu *v)
{
    sched_item_destroy(v);
    hvm_vcpu_destroy(v);
    xfree(v);
}

int domain_create_vcpus(struct domain *d, unsigned int nr)
{
    unsigned int first = d->nr_vcpus;

    if (nr > MAX_VCPUS - d->nr_vcpus)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < nr; i++) {
        struct vcpu *v = xzalloc(struct vcpu);

        if (!v)
            goto fail;
        v->id = first + i;
        v->domain = d;
        v->state = VCPU_OFFLINE;
        v->runstate_entry = (uint64_t)NOW();
        v->arch.last_pcpu = -1;
        timer_init(&v->singleshot_timer, NULL, v, 0);   /* armed for real by vcpu_place() */
        if (sched_item_init(v)) {
            xfree(v);
            goto fail;
        }
        if (hvm_vcpu_create(v)) {
            sched_item_destroy(v);
            xfree(v);
            goto fail;
        }
        d->vcpus[v->id] = v;
        d->nr_vcpus++;
    }
    return 0;

fail:
    while (d->nr_vcpus > first) {
        d->nr_vcpus--;
        vcpu_free(d->vcpus[d->nr_vcpus]);
        d->vcpus[d->nr_vcpus] = NULL;
    }
    return -XEN_ENOMEM;
}

static int add_extent(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr)
{
    struct p2m_extent *e = d->nr_extents ? &d->extents[d->nr_extents - 1] : NULL;

    if (e && e->gfn + e->nr == gfn && e->mfn + e->nr == mfn) {
        e->nr += nr;
        return 0;
    }
    if (d->nr_extents == d->max_extents) {
        unsigned int max = d->max_extents ? d->max_extents * 2 : 16;
        struct p2m_extent *n = xmalloc_bytes(max * sizeof(*n));

        if (!n)
            return -XEN_ENOMEM;
        if (d->extents)
            memcpy(n, d->extents, d->nr_extents * sizeof(*n));
        xfree(d->extents);
        d->extents = n;
        d->max_extents = max;
    }
    d->extents[d->nr_extents++] = (struct p2m_extent){ gfn, mfn, nr };
    return 0;
}

int domain_populate(struct domain *d, uint64_t bytes)
{
    const unsigned long hole = GUEST_MMIO_HOLE_START >> PAGE_SHIFT;
    unsigned long want = (unsigned long)(bytes >> PAGE_SHIFT), gfn = d->tot_pages;

    if (gfn >= hole)
        gfn += (GUEST_HIGH_RAM_START >> PAGE_SHIFT) - hole;
    d->max_pages = MAX(d->max_pages, want);
    while (d->tot_pages < want) {
        if (gfn == hole)                        /* the hole is 2 MiB aligned */
            gfn = GUEST_HIGH_RAM_START >> PAGE_SHIFT;
        unsigned long left = want - d->tot_pages;
        unsigned int order = left >= 512 && !(gfn & 511) ? 9 : 0;
        struct page_info *pg = alloc_domheap_pages(order);
        unsigned long mfn;

        if (!pg && order) {
            order = 0;
            pg = alloc_domheap_pages(0);
        }
        if (!pg)
            return -XEN_ENOMEM;
        mfn = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
        memset(__va(page_to_maddr(pg)), 0, PAGE_SIZE << order);
        list_add_tail(&pg->list, &d->page_list);
        pg->order = order;
        d->tot_pages += 1UL << order;
        if (add_extent(d, gfn, mfn, 1UL << order) ||
            p2m_map_range(d, gfn, mfn, 1UL << order, P2M_RWX))
            return -XEN_ENOMEM;
        gfn += 1UL << order;
    }
    return 0;
}

/* Splits the page block holding mfn into single pages on d's list; returns mfn's page. */
static struct page_info *split_block(struct domain *d, unsigned long mfn)
{
    struct page_info *pg;

    list_for_each_entry(pg, &d->page_list, list) {
        unsigned long base = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);

        if (mfn < base || mfn - base >= (1UL << pg->order))
            continue;
        for (unsigned long i = (1UL << pg->order) - 1; i > 0; i--) {
            struct page_info *p = maddr_to_page((paddr_t)(base + i) << PAGE_SHIFT);

            p->order = 0;
            list_add(&p->list, &pg->list);
        }
        pg->order = 0;
        return maddr_to_page((paddr_t)mfn << PAGE_SHIFT);
    }
    return NULL;
}

/* Forgets the run at index i (left empty by a page taken from its start). */
static void drop_extent(struct domain *d, unsigned int i)
{
    memmove(&d->extents[i], &d->extents[i + 1], (d->nr_extents - i - 1) * sizeof(d->extents[0]));
    d->nr_extents--;
}

struct page_info *domain_take_gfn(struct domain *d, unsigned long gfn)
{
    for (unsigned int i = 0; i < d->nr_extents; i++) {
        struct p2m_extent *e = &d->extents[i];
        unsigned long mfn, end;
        struct page_info *pg;

        if (gfn < e->gfn || gfn - e->gfn >= e->nr)
            continue;
        mfn = e->mfn + (gfn - e->gfn);
        end = e->gfn + e->nr;
        pg = split_block(d, mfn);
        if (!pg)
            return NULL;
        /* The run keeps the part below gfn; the part above becomes a run of its own. */
        e->nr = gfn - e->gfn;
        if (end > gfn + 1 && add_extent(d, gfn + 1, mfn + 1, end - gfn - 1)) {
            e->nr = end - e->gfn;
            return NULL;
        }
        if (!d->extents[i].nr)
            drop_extent(d, i);
        list_del(&pg->list);
        d->tot_pages--;
        return pg;
    }
    return NULL;
}

bool domain_frame_pinned(struct domain *d, unsigned long mfn)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        const struct vcpu_info *vi = d->vcpus[i]->vcpu_info;

        if (vi && (__pa(vi) >> PAGE_SHIFT) == mfn)
            return true;
    }
    return false;
}

void domain_free_returned(struct domain *d, struct list_head *pages)
{
    struct page_info *pg, *n;
    struct vcpu *self = current_vcpu();

    list_for_each_entry_safe(pg, n, pages, list) {
        list_del(&pg->list);
        list_add_tail(&pg->list, &d->returned_pages);
    }
    /*
     * The flush only marks other vCPUs for a fresh ASID/VPID context at their next entry;
     * one in guest mode now may still hold a translation to these frames.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i] != self && __atomic_load_n(&d->vcpus[i]->sched.is_running,
                                                   __ATOMIC_SEQ_CST))
            return;
    list_for_each_entry_safe(pg, n, &d->returned_pages, list) {
        list_del(&pg->list);
        free_domheap_pages(pg, 0);
    }
}

/* Undoes add_extent(d, gfn, mfn, nr) made when the list had nr_before runs. */
static void undo_add_extent(struct domain *d, unsigned int nr_before, unsigned long nr)
{
    if (d->nr_extents > nr_before)
        d->nr_extents--;
    else
        d->extents[d->nr_extents - 1].nr -= nr;     /* it was merged into the last run */
}

/*
 * What the p2m's tables may grow to once the domain runs: the paging pool xl gives an HVM
 * guest by default (1 MiB per vCPU and 8 KiB per MiB of RAM). Frames populated anywhere in
 * the guest-physical space would otherwise cost the hypervisor tables without end.
 */
static unsigned long p2m_pool_pages(const struct domain *d)
{
    return 256UL * d->nr_vcpus + d->max_pages / 128;
}

int domain_populate_gfn(struct domain *d, unsigned long gfn, unsigned int order,
                        uint64_t max_addr)
{
    unsigned long nr = 1UL << order, mfn;
    unsigned int nr_before = d->nr_extents;
    struct page_info *pg;

    if (gfn >= P2M_MAX_GFN || nr > P2M_MAX_GFN - gfn)
        return -XEN_EINVAL;
    if (d->tot_pages + nr > d->max_pages || d->p2m_pages >= p2m_pool_pages(d))
        return -XEN_ENOMEM;
    for (unsigned long i = 0; i < nr; i++)
        if (gfn_to_mfn_locked(d, gfn + i, &mfn))
            return -XEN_EBUSY;
    pg = alloc_domheap_pages(order);
    if (!pg)
        return -XEN_ENOMEM;
    mfn = (unsigned long)(page_to_maddr(pg) >> PAGE_SHIFT);
    if ((max_addr && page_to_maddr(pg) + (PAGE_SIZE << order) > max_addr) ||
        add_extent(d, gfn, mfn, nr)) {
        free_domheap_pages(pg, order);
        return -XEN_ENOMEM;
    }
    memset(__va(page_to_maddr(pg)), 0, PAGE_SIZE << order);
    if (p2m_map_range(d, gfn, mfn, nr, P2M_RWX)) {
        /* What was mapped is 4 KiB entries or nothing: clearing them needs no memory. */
        for (unsigned long i = 0; i < nr; i++)
            p2m_clear_entry(d, gfn + i);
        hvm_ops->p2m_flush(d);
        undo_add_extent(d, nr_before, nr);
        free_domheap_pages(pg, order);
        return -XEN_ENOMEM;
    }
    list_add_tail(&pg->list, &d->page_list);
    pg->order = order;
    d->tot_pages += nr;
    return 0;
}

void domain_unpause(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->is_up)
            vcpu_wake(d->vcpus[i]);
}

static void domain_stop_vcpus(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_stop(d->vcpus[i]);
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash",
                                           "watchdog", "soft_reset" };

    if (d->is_shutdown)
        return;
    d->is_shutdown = true;
    d->shutdown_code = reason;
    domain_stop_vcpus(d);
    printk("d%u (%s) shut down: %s (code %u)\n", d->domid, d->name,
           reason < ARRAY_SIZE(reasons) ? reasons[reason] : "unknown", reason);
    domain_stopped(d);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (d->is_shutdown)
        return;
    printk("d%u crashed: %s\n", d->domid, why);
    d->is_shutdown = true;
    d->shutdown_code = SHUTDOWN_crash;
    domain_stop_vcpus(d);
    domain_stopped(d);
}

void domain_destroy(struct domain *d)
{
    struct page_info *pg, *n;
    unsigned long flags;

    d->is_dying = true;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_time_destroy(d->vcpus[i]);
    evtchn_destroy(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_free(d->vcpus[i]);
    list_for_each_entry_safe(pg, n, &d->page_list, list) {
        unsigned int order = pg->order;

        list_del(&pg->list);
        free_domheap_pages(pg, order);
    }
    list_for_each_entry_safe(pg, n, &d->returned_pages, list) {
        list_del(&pg->list);
        free_domheap_pages(pg, 0);
    }
    p2m_teardown(d);
    free_xenheap_pages(d->shared_info, 0);
    xfree(d->extents);
    sched_dom_destroy(d);
    spin_lock_irqsave(&domlist_lock, flags);
    if (domain_table[d->domid] == d)
        domain_table[d->domid] = NULL;
    spin_unlock_irqrestore(&domlist_lock, flags);
    xfree(d);
}
