/*
 * A domain's life after creation: shut down or crashed (its vCPUs asked off the pCPUs),
 * reaped once the scheduler says none is left on one (a toolstack-built one only once the
 * toolstack destroys it, as in Xen), destroyed (unlisted, event channels
 * closed, timers killed) and freed when the last counted reference goes. The scheduler only
 * takes vCPUs off and reports it (domain_vcpus_off); everything else happens here, on CPU 0.
 */
#include <asm/irq.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/domain_build.h>
#include <kumo/event.h>
#include <kumo/exit_trace.h>
#include <kumo/lock_order.h>
#include <kumo/mm.h>
#include <kumo/physmap.h>
#include <kumo/sched.h>
#include <kumo/timer.h>
#include <kumo/xen_abi.h>

/* Exits of each vCPU shown when a domain crashes (debug key 'x' shows them all). */
#define CRASH_TRACE_EXITS 16

static struct timer reaper_timer;
/* Domains whose last reference went: freed by the reaper. Guards released_list only. */
static DEFINE_SPINLOCK(released_lock);
static struct domain *released_list;    /* linked through d->reap.next */

void domain_unpause(struct domain *d)
{
    physmap_seal(d);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->is_up)
            vcpu_wake(d->vcpus[i]);
}

/* Xen's VIRQ_DOM_EXC: a global VIRQ, bound on Dom0's vCPU 0, telling it to look again. */
static void notify_dom_exc(void)
{
    struct domain *d0 = domain_lookup(0);

    if (!d0)
        return;
    if (d0->nr_vcpus)
        send_guest_virq(d0->vcpus[0], VIRQ_DOM_EXC);
    domain_put(d0);
}

/* The first caller wins: records the code and asks the scheduler to stop every vCPU. */
static bool domain_stop(struct domain *d, unsigned int code)
{
    if (__atomic_exchange_n(&d->is_shutdown, true, __ATOMIC_SEQ_CST))
        return false;
    d->shutdown_code = code;
    sched_stop_domain(d);
    return true;
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash",
                                           "watchdog", "soft_reset" };

    if (!domain_stop(d, reason))
        return;
    printk("d%u (%s) shut down: %s (code %u)\n", d->domid, d->name,
           reason < ARRAY_SIZE(reasons) ? reasons[reason] : "unknown", reason);
    /* A guest's own crash request (Linux's panic notifier) is often its only word. */
    if (reason == SHUTDOWN_crash) {
        exit_trace_dump_domain(d, CRASH_TRACE_EXITS);
        if (current_vcpu() && current_vcpu()->domain == d)
            exit_trace_dump_stack(current_vcpu());
    }
    notify_dom_exc();
    if (d->domid == 0)
        dom0_stopped(d);
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
    if (!domain_stop(d, SHUTDOWN_crash))
        return;
    exit_trace_dump_domain(d, CRASH_TRACE_EXITS);
    notify_dom_exc();
    if (d->domid == 0)
        dom0_stopped(d);
}

void domain_kill(struct domain *d)
{
    if (d->domid == 0 || __atomic_exchange_n(&d->is_killed, true, __ATOMIC_SEQ_CST))
        return;
    printk("d%u (%s) destroyed by the toolstack\n", d->domid, d->name);
    /* Stopped the way a shutdown stops it; getdomaininfo shows dying, not shut down. */
    if (!__atomic_exchange_n(&d->is_shutdown, true, __ATOMIC_SEQ_CST))
        sched_stop_domain(d);
    timer_set(&reaper_timer, NOW());    /* already off its pCPUs if it had shut down */
    notify_dom_exc();
}

void domain_vcpus_off(struct domain *d)
{
    (void)d;
    timer_set(&reaper_timer, NOW());
}

void domain_destroy(struct domain *d)
{
    if (__atomic_exchange_n(&d->is_dying, true, __ATOMIC_SEQ_CST))
        return;
    domain_unlist(d);
    /* After this no callback of d's timers runs or will run: they may point into d. */
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_time_destroy(d->vcpus[i]);
    evtchn_destroy(d);
    domain_put(d);                      /* the table's reference */
}

void domain_release(struct domain *d)
{
    unsigned long flags;

    lock_level_irqsave(&released_lock, flags, LOCK_LEVEL_LEAF);
    d->reap.next = released_list;
    released_list = d;
    unlock_level_irqrestore(&released_lock, flags, LOCK_LEVEL_LEAF);
    timer_set(&reaper_timer, NOW());
}

/* A shut-down DomU with no vCPU left on a pCPU: logs what it used and destroys it. */
static void reap_one(struct domain *d)
{
    unsigned long pages = d->tot_pages + d->p2m_pages;
    uint64_t cpu_ms = 0;

    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        cpu_ms += d->vcpus[i]->runstate_time[0] / 1000000;
    if (d->sched.periods)
        printk("d%u: %lu SEDF periods, %lu deadlines missed\n", d->domid, d->sched.periods,
               d->sched.deadlines_missed);
    d->reap.log = true;
    d->reap.pages = pages;
    d->reap.cpu_ms = cpu_ms;
    domain_destroy(d);
}

/* Frees what domain_release() queued; the line tests read comes once memory is back. */
static void free_released(void)
{
    struct domain *d, *next;
    unsigned long flags;

    lock_level_irqsave(&released_lock, flags, LOCK_LEVEL_LEAF);
    d = released_list;
    released_list = NULL;
    unlock_level_irqrestore(&released_lock, flags, LOCK_LEVEL_LEAF);
    for (; d; d = next) {
        uint16_t id = d->domid;
        bool log = d->reap.log;
        unsigned long pages = d->reap.pages;
        unsigned long cpu_ms = (unsigned long)d->reap.cpu_ms;

        next = d->reap.next;
        domain_free(d);
        if (log)
            printk("d%u destroyed: %lu pages returned, %lu pages free, %lu ms of CPU used\n",
                   id, pages, total_free_pages(), cpu_ms);
        notify_dom_exc();
    }
}

static void reap(void *unused)
{
    unsigned int id = 1;
    struct domain *d;

    (void)unused;
    for (; (d = domain_next(&id)) != NULL; id++) {
        if (__atomic_load_n(&d->vcpus_off, __ATOMIC_ACQUIRE) && !d->is_dying &&
            (!d->kept_on_shutdown || __atomic_load_n(&d->is_killed, __ATOMIC_ACQUIRE)))
            reap_one(d);
        domain_put(d);
    }
    free_released();
}

void domain_lifecycle_init(void)
{
    timer_init(&reaper_timer, reap, NULL, 0);
}
