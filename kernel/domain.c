/*
 * Domain lifecycle: creation with complete unwinding, shutdown, crash and destruction
 * (what its frames hold is kernel/physmap.c's). Every page a domain holds is on its
 * page_list or its p2m_page_list, with its allocation reference (kernel/page_ref.c);
 * destroy drops those, and a frame someone else still holds goes back to the allocator at
 * its last put_page().
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
#include <kumo/page_ref.h>
#include <kumo/panic.h>
#include <kumo/physmap.h>
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
    list_init(&d->page_list);
    list_init(&d->p2m_page_list);       /* the unwinding below walks it */
    d->shared_info_gfn = ~0UL;
    d->privileged = privileged;
    d->sched.weight = 256;
    d->cpumask = ~0ULL;
    d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON] = SHUTDOWN_reboot;    /* Xen's default */
    strlcpy(d->name, name, sizeof(d->name));
    d->shared_info = alloc_xenheap_pages(0);
    if (d->shared_info)
        page_assign(maddr_to_page(__pa(d->shared_info)), d, PGT_SPECIAL);
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
    if (d->shared_info)
        put_page(maddr_to_page(__pa(d->shared_info)));
    xfree(d);
    return NULL;
}

static void vcpu_free(struct vcpu *v)
{
    if (v->vcpu_info)
        put_page(maddr_to_page(__pa(v->vcpu_info)));
    sched_item_destroy(v);
    if (v->arch.vmcs_or_vmcb)
        hvm_ops->vcpu_destroy(v);
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
        if (hvm_ops->vcpu_init(v)) {
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

void domain_unpause(struct domain *d)
{
    physmap_seal(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->is_up)
            vcpu_wake(d->vcpus[i]);
}

static void domain_stop_vcpus(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_stop(d->vcpus[i]);
}

/* Xen's VIRQ_DOM_EXC: a global VIRQ, bound on Dom0's vCPU 0, telling it to look again. */
static void notify_dom_exc(void)
{
    struct domain *d0 = domain_table[0];

    if (d0 && d0->nr_vcpus)
        send_guest_virq(d0->vcpus[0], VIRQ_DOM_EXC);
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
    notify_dom_exc();
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
    notify_dom_exc();
    domain_stopped(d);
}

void domain_kill(struct domain *d)
{
    if (d->is_dying || d->domid == 0)
        return;
    printk("d%u (%s) destroyed by the toolstack\n", d->domid, d->name);
    d->is_dying = true;
    /* Stopped the way a shutdown stops it; getdomaininfo shows dying, not shut down. */
    d->is_shutdown = true;
    domain_stop_vcpus(d);
    notify_dom_exc();
    domain_stopped(d);
}

void domain_destroy(struct domain *d)
{
    unsigned long flags;

    d->is_dying = true;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_time_destroy(d->vcpus[i]);
    evtchn_destroy(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_free(d->vcpus[i]);
    pages_relinquish(&d->page_list);
    p2m_teardown(d);
    put_page(maddr_to_page(__pa(d->shared_info)));
    xfree(d->extents);
    sched_dom_destroy(d);
    spin_lock_irqsave(&domlist_lock, flags);
    if (domain_table[d->domid] == d)
        domain_table[d->domid] = NULL;
    spin_unlock_irqrestore(&domlist_lock, flags);
    xfree(d);
    notify_dom_exc();
}
