/*
 * Simple EDF policy (scheduler id 4): owns per-pCPU queues of runnable items, each with an
 * absolute deadline and the budget left of its slice in the current period. Earliest
 * deadline first among items with budget; extra-time items share what is left. Locking:
 * called with the core's sched_lock held (interrupts off); it takes no lock of its own.
 */
#include <kumo/sched_policy.h>
#include <kumo/xmalloc.h>

#define SEDF_EINVAL 22                  /* XEN_EINVAL */
#define SEDF_ENOMEM 12                  /* XEN_ENOMEM */
/*
 * A domain given no parameters is guaranteed 10 ms every 100 ms and, like Xen's default
 * domU, may use idle time beyond that (extra), so a lone domain is not held to 10%.
 */
#define SEDF_DEFAULT_PERIOD MILLISECS(100)
#define SEDF_DEFAULT_SLICE  MILLISECS(10)
#define SEDF_MIN_PERIOD     MILLISECS(1)
/* Idle time goes round robin to extra items in quanta this long (or up to a refill). */
#define SEDF_EXTRA_QUANTUM  MILLISECS(1)
/* Nothing queued at all: decide again after this long (a wake preempts sooner). */
#define SEDF_IDLE_SLICE     MILLISECS(100)

struct sedf_item {
    struct list_head link;              /* on sedf_runq[queued_on] while queued */
    struct sched_item *it;
    s_time_t deadline;                  /* absolute end of its current period */
    s_time_t budget;                    /* slice left in this period; < 0: overrun, owed */
    s_time_t start;                     /* running: when it was picked */
    s_time_t extra_end;                 /* running on idle time: when that time ends */
    int queued_on;                      /* pCPU whose queue holds it, -1 if none */
    bool running;                       /* picked and not yet charged */
    bool extra_run;                     /* running on idle time, until extra_end */
};

#define SEDF_ITEM(it) ((struct sedf_item *)(it)->priv)

/* Runnable items per pCPU, unordered: queues are a few vCPUs long and EDF scans them. */
static struct list_head sedf_runq[SCHED_MAX_CPUS];
/* pCPUs that have picked once: periods that ended before that are no missed deadlines. */
static uint64_t sedf_live_cpus;

static bool sedf_allowed(const struct sedf_item *si, unsigned int cpu)
{
    return si->it->affinity & (1ULL << cpu);
}

static void sedf_dequeue(struct sedf_item *si)
{
    if (si->queued_on >= 0)
        list_del(&si->link);
    si->queued_on = -1;
}

/* To the tail, so items tied on deadline, and extra items, take turns. */
static void sedf_enqueue(struct sedf_item *si, unsigned int cpu)
{
    sedf_dequeue(si);
    list_add_tail(&si->link, &sedf_runq[cpu]);
    si->queued_on = (int)cpu;
}

/*
 * Catches up with periods that ended (it was runnable throughout: queued): the next
 * period boundary after now becomes the deadline and the budget a fresh slice, less what
 * it overran (a timer that fired late let it run past its budget: that time was someone
 * else's, so it is paid back here). Periods missed while it waited are skipped, not
 * banked, so nobody makes up for them in a burst. Slice left unrun is a missed deadline.
 */
static void sedf_refresh(struct sedf_item *si, s_time_t now)
{
    struct sched_dom *d = si->it->dom;

    if (now < si->deadline)
        return;
    if (si->queued_on >= 0 && (sedf_live_cpus & (1ULL << si->queued_on))) {
        d->periods++;
        d->deadlines_missed += si->budget > 0;
    }
    si->deadline += ((now - si->deadline) / d->period + 1) * d->period;
    si->budget = d->slice + MIN(si->budget, 0);
}

/*
 * prev stopped running: what it ran comes off its budget, overrun included (the budget
 * goes negative). On idle time only what it ran past the end of that time is charged.
 */
static void sedf_charge(struct sedf_item *si, s_time_t now)
{
    if (!si->running)
        return;
    if (!si->extra_run)
        si->budget -= now - si->start;
    else if (now > si->extra_end)
        si->budget -= now - si->extra_end;
    si->running = false;
}

/* Earliest deadline among queued items cpu may run that have budget left (NULL: none). */
static struct sedf_item *sedf_earliest(unsigned int cpu, s_time_t now)
{
    struct sedf_item *si, *best = NULL;

    list_for_each_entry(si, &sedf_runq[cpu], link) {
        if (!sedf_allowed(si, cpu))
            continue;
        sedf_refresh(si, now);
        if (si->budget > 0 && (!best || si->deadline < best->deadline))
            best = si;
    }
    return best;
}

/*
 * best runs until its budget or its period ends, or until a waiting item is refilled with
 * a deadline earlier than best's: EDF must switch to it then, or it could miss it.
 */
static s_time_t sedf_slice(unsigned int cpu, const struct sedf_item *best, s_time_t now)
{
    s_time_t slice = MIN(best->budget, best->deadline - now);
    const struct sedf_item *si;

    list_for_each_entry(si, &sedf_runq[cpu], link)
        if (sedf_allowed(si, cpu) && si->budget <= 0 &&
            si->deadline + si->it->dom->period < best->deadline)
            slice = MIN(slice, si->deadline - now);
    return slice;
}

/*
 * Nobody on cpu has budget (all queued items are refreshed and waiting for a refill):
 * the first extra item in queue order runs for a quantum, at most until the next refill,
 * and goes to the tail when it stops, so extra items share the idle time round robin.
 */
static struct sched_decision sedf_pick_extra(unsigned int cpu, s_time_t now)
{
    struct sched_decision dec = { NULL, SEDF_IDLE_SLICE };
    struct sedf_item *si, *extra = NULL;
    s_time_t refill = now + SEDF_IDLE_SLICE;

    list_for_each_entry(si, &sedf_runq[cpu], link) {
        if (!sedf_allowed(si, cpu))
            continue;
        refill = MIN(refill, si->deadline);
        if (!extra && si->it->dom->extra)
            extra = si;
    }
    dec.slice = refill - now;
    if (extra) {
        extra->extra_run = true;
        dec.next = extra->it;
        dec.slice = MIN(dec.slice, SEDF_EXTRA_QUANTUM);
        extra->extra_end = now + dec.slice;
    }
    return dec;
}

static struct sched_decision sedf_pick(unsigned int cpu, struct sched_item *prev,
                                       bool prev_runnable, s_time_t now)
{
    struct sched_decision dec;
    struct sedf_item *si;

    if (prev) {
        sedf_charge(SEDF_ITEM(prev), now);
        if (prev_runnable)
            sedf_enqueue(SEDF_ITEM(prev), cpu);
    }
    si = sedf_earliest(cpu, now);
    if (si) {
        si->extra_run = false;
        dec.next = si->it;
        dec.slice = sedf_slice(cpu, si, now);
    } else {
        dec = sedf_pick_extra(cpu, now);
        si = dec.next ? SEDF_ITEM(dec.next) : NULL;
    }
    if (si) {
        sedf_dequeue(si);
        si->running = true;
        si->start = now;
    }
    sedf_live_cpus |= 1ULL << cpu;
    return dec;
}

/*
 * It became runnable. If its period ended while it slept, a new one starts now with a
 * fresh slice. So does one whose remaining budget exceeds its share (slice/period) of the
 * time left to its deadline (the constant-bandwidth-server rule): otherwise a waker could
 * spend a whole slice just before its deadline and push others past theirs.
 */
static void sedf_wake(struct sched_item *it, s_time_t now)
{
    struct sedf_item *si = SEDF_ITEM(it);
    const struct sched_dom *d = it->dom;

    if (si->queued_on >= 0 || si->running)
        return;
    if (now >= si->deadline ||
        (__int128)si->budget * d->period > (__int128)(si->deadline - now) * d->slice) {
        si->deadline = now + d->period;
        si->budget = d->slice + MIN(si->budget, 0);     /* an overrun is still owed */
    }
    sedf_enqueue(si, it->processor);
}

static void sedf_sleep(struct sched_item *it)
{
    sedf_dequeue(SEDF_ITEM(it));
}

/* A woken item with budget preempts one with a later deadline, or one on idle time. */
static bool sedf_should_preempt(unsigned int cpu, struct sched_item *woken,
                                struct sched_item *curr, s_time_t now)
{
    struct sedf_item *wi = SEDF_ITEM(woken);
    const struct sedf_item *ci;

    if (!sedf_allowed(wi, cpu))
        return false;
    sedf_refresh(wi, now);
    if (wi->budget <= 0)
        return false;
    if (!curr)
        return true;
    ci = SEDF_ITEM(curr);
    return ci->extra_run || wi->deadline < ci->deadline;
}

/* SEDF keeps items on their pCPU: an idle pCPU takes nothing from another's queue. */
static struct sched_item *sedf_steal(unsigned int cpu, s_time_t now)
{
    (void)cpu;
    (void)now;
    return NULL;
}

/* Nothing periodic: budgets and deadlines are brought up to date whenever pick() looks. */
static void sedf_account(s_time_t now)
{
    (void)now;
}

/*
 * New parameters apply from each item's next period (its current deadline and budget
 * stand). latency is only stored: it is a hint this policy does not use.
 */
static int sedf_adjust(struct sched_dom *d)
{
    if (d->period < SEDF_MIN_PERIOD || d->slice <= 0 || d->slice > d->period)
        return -SEDF_EINVAL;
    return 0;
}

static int sedf_init(unsigned int nr_cpus)
{
    (void)nr_cpus;
    sedf_live_cpus = 0;
    for (unsigned int cpu = 0; cpu < SCHED_MAX_CPUS; cpu++)
        list_init(&sedf_runq[cpu]);
    return 0;
}

static int sedf_dom_init(struct sched_dom *d)
{
    if (!d->period) {                   /* no parameters yet: the defaults */
        d->period = SEDF_DEFAULT_PERIOD;
        d->slice = SEDF_DEFAULT_SLICE;
        d->extra = true;
    }
    return 0;
}

static void sedf_dom_destroy(struct sched_dom *d)
{
    SCHED_ASSERT_LOCKED();
    (void)d;
}

static int sedf_item_init(struct sched_item *it)
{
    struct sedf_item *si = xzalloc(struct sedf_item);

    if (!si)
        return -SEDF_ENOMEM;
    si->it = it;
    si->queued_on = -1;                 /* deadline 0: its first wake starts a period */
    it->dom->nr_items++;
    it->priv = si;
    return 0;
}

static void sedf_item_destroy(struct sched_item *it)
{
    SCHED_ASSERT_LOCKED();
    sedf_dequeue(SEDF_ITEM(it));
    it->dom->nr_items--;
    xfree(it->priv);
    it->priv = NULL;
}

const struct sched_policy sched_sedf = {
    .name = "Simple EDF Scheduler", .opt_name = "sedf",
    .sched_id = 4,                      /* XEN_SCHEDULER_SEDF */
    .account_period = 0,                /* sedf_account() has nothing to do */
    .init = sedf_init, .dom_init = sedf_dom_init, .dom_destroy = sedf_dom_destroy,
    .item_init = sedf_item_init, .item_destroy = sedf_item_destroy,
    .wake = sedf_wake, .sleep = sedf_sleep, .pick = sedf_pick,
    .account = sedf_account, .steal = sedf_steal,
    .should_preempt = sedf_should_preempt, .adjust = sedf_adjust,
};
