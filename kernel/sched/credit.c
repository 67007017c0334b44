/*
 * Credit scheduler policy, modelled on Xen's csched: owns the per-pCPU run queues (BOOST >
 * UNDER > OVER; BOOST in FIFO order, the others by credit), per-item credit shared out by
 * weight over the pCPUs each item may run on, domain caps (parking) and stealing by idle
 * pCPUs. Locking: called with the core's sched_lock held (interrupts off) for every entry
 * point, so it takes no lock of its own.
 */
#include <kumo/sched_policy.h>
#include <kumo/xen_ctl_abi.h>
#include <kumo/xmalloc.h>

#define CSCHED_EINVAL 22                /* XEN_EINVAL */
#define CSCHED_ENOMEM 12                /* XEN_ENOMEM */
/*
 * Host-wide, as Xen's credit has them (XEN_SYSCTL_scheduler_op, boot options
 * sched_credit_tslice_ms, sched_ratelimit_us, vcpu_migration_delay): the slice; how long a
 * vCPU that was just picked runs before anything but a yield or its own block takes its
 * pCPU; how long after it ran a vCPU counts as cache-hot there, so idle pCPUs leave it.
 */
static s_time_t csched_tslice = MILLISECS(30);
static s_time_t csched_ratelimit = MICROSECS(1000);
static s_time_t csched_migr_delay;
#define CSCHED_TSLICE       csched_tslice
#define CSCHED_ACCT_PERIOD  MILLISECS(10)
/* 1 credit = 1 us of pCPU time: an item running for 1 ms burns 1000 credits. */
#define CSCHED_NS_PER_CREDIT MICROSECS(1)
#define CSCHED_CREDITS_PER_ACCT (CSCHED_ACCT_PERIOD / CSCHED_NS_PER_CREDIT)
/*
 * An item that is not runnable keeps at most one slice's credit, so a sleeper cannot hoard
 * (what it cannot take goes to the others: csched_gather_claims()). A runnable one is owed
 * what it could not run, and a debt is kept, up to CSCHED_OWED_SLICES slices either way, so
 * that a host stall charged to one item (an emulator's thread descheduled) is paid back:
 * clamping at one slice let such stalls push 512:256 towards 1:1.
 */
#define CSCHED_CREDIT_MAX   (CSCHED_TSLICE / CSCHED_NS_PER_CREDIT)
#define CSCHED_OWED_SLICES  4
#define CSCHED_OWED_MAX     (CSCHED_OWED_SLICES * CSCHED_CREDIT_MAX)
#define CSCHED_RUNNABLE(ci) ((ci)->queued_on >= 0 || (ci)->running_on >= 0)
/* Less than this left of a slice is not worth continuing: pick again from the queue. */
#define CSCHED_MIN_SLICE    MICROSECS(100)

enum { CSCHED_PRI_BOOST, CSCHED_PRI_UNDER, CSCHED_PRI_OVER, CSCHED_NR_PRI };
#define CSCHED_ITEM(it) ((struct csched_item *)(it)->priv)

struct csched_dom {
    struct list_head link;              /* on csched_doms */
    struct list_head items;             /* its csched_items */
    struct sched_dom *sd;
    s_time_t cap_used;                  /* ns run this period, plus overrun carried over */
    unsigned int nr_active;             /* scratch for csched_account() */
    bool parked;                        /* over its cap: not picked until accounting */
};

struct csched_item {
    struct list_head dom_link;          /* on its csched_dom's items */
    struct list_head run_link;          /* on csched_runq[queued_on][pri] while queued */
    struct sched_item *it;
    struct csched_dom *cdom;
    int64_t credit;                     /* in credits (us of pCPU time) */
    s_time_t start;                     /* running: time up to which it has been charged */
    unsigned int pri;                   /* CSCHED_PRI_*: the queue it is (or would be) on */
    int queued_on;                      /* pCPU whose run queue holds it, -1 if none */
    int running_on;                     /* pCPU it runs on (as far as we know), -1 if none */
    s_time_t run_start;                 /* when it was last picked afresh (ratelimit) */
    s_time_t run_end;                   /* when it last stopped running (migration delay) */
    bool ran;                           /* burnt credit in this accounting period */
    /* Scratch for csched_account(), valid only while it runs: */
    struct list_head claim_link;        /* on csched_claims: it gets a share this period */
    uint64_t reach;                     /* the counted pCPUs its affinity allows */
    int64_t bound;                      /* the most credit it could use this period */
    int64_t share;                      /* its credit for this period, once fixed */
    bool fixed;
};

static struct list_head csched_runq[SCHED_MAX_CPUS][CSCHED_NR_PRI];
static struct csched_item *csched_curr[SCHED_MAX_CPUS];
static s_time_t csched_slice_end[SCHED_MAX_CPUS];
static struct list_head csched_doms;
static unsigned int csched_nr_cpus;
/*
 * pCPUs seen in pick() or steal(): each period hands out one period of credit per pCPU that
 * exists (init() is told the most there may be), or everyone would be UNDER all the time.
 */
static uint64_t csched_seen_cpus;
static s_time_t csched_next_acct;      /* when account() is next due, as far as we know */
/*
 * Credit is handed out for whole periods up to this time (0: not yet). A tick more than a
 * period late (an emulator's descheduled thread) hands out every period that passed, as
 * time run in them was charged; otherwise everyone sinks to the credit floor, where weights
 * no longer count. Catching up stops at CSCHED_MAX_CATCHUP periods (the credit clamp would
 * drop more anyway).
 */
static s_time_t csched_acct_upto;
#define CSCHED_MAX_CATCHUP 10
/* csched_account()'s scratch: the active items, and the pCPU sets that may run short. */
static struct list_head csched_claims;
#define CSCHED_MAX_GROUPS 64
static struct csched_group {
    uint64_t cpus;
    int64_t left;                       /* credit its pCPUs have not given to fixed claimants */
    int64_t weight;                     /* of its unfixed claimants (that can run nowhere else) */
} csched_groups[CSCHED_MAX_GROUPS];

/* Priority from credit alone (BOOST is granted only by wake()). */
#define CSCHED_CREDIT_PRI(ci) ((ci)->credit >= 0 ? CSCHED_PRI_UNDER : CSCHED_PRI_OVER)
/* What a capped domain may run per accounting period, in ns. */
#define CSCHED_CAP_BUDGET(cd) ((s_time_t)(cd)->sd->cap * CSCHED_ACCT_PERIOD / 100)
/* cpu may run it now: not parked, and its hard affinity allows cpu. */
#define CSCHED_ELIGIBLE(ci, cpu) (!(ci)->cdom->parked && ((ci)->it->affinity & (1ULL << (cpu))))

static void csched_dequeue(struct csched_item *ci)
{
    if (ci->queued_on >= 0)
        list_del(&ci->run_link);
    ci->queued_on = -1;
}

/* To the tail of its priority's queue on cpu (off any queue it was on). */
static void csched_enqueue_last(struct csched_item *ci, unsigned int cpu)
{
    csched_dequeue(ci);
    list_add_tail(&ci->run_link, &csched_runq[cpu][ci->pri]);
    ci->queued_on = (int)cpu;
}

/*
 * Onto its priority's queue on cpu: BOOST in FIFO order; UNDER and OVER by credit, highest
 * first (FIFO among equals), where Xen's credit1 keeps FIFO order. When competitors share a
 * sign (a debt or a surplus left by host stalls), FIFO took turns 1:1 whatever the weights;
 * by credit, whoever is owed most runs, so debts and surpluses even out by weight.
 */
static void csched_enqueue(struct csched_item *ci, unsigned int cpu)
{
    struct csched_item *pos;

    if (ci->pri == CSCHED_PRI_BOOST) {
        csched_enqueue_last(ci, cpu);
        return;
    }
    csched_dequeue(ci);
    list_for_each_entry(pos, &csched_runq[cpu][ci->pri], run_link)
        if (pos->credit < ci->credit)
            break;
    list_insert(&ci->run_link, pos->run_link.prev, &pos->run_link);
    ci->queued_on = (int)cpu;
}

/* Credits changed: cpu's queue at pri is sorted again (an insertion sort, stable). */
static void csched_sort_queue(unsigned int cpu, unsigned int pri)
{
    struct list_head *q = &csched_runq[cpu][pri], unsorted;
    struct csched_item *ci, *next;

    list_init(&unsorted);
    list_for_each_entry_safe(ci, next, q, run_link) {
        list_del(&ci->run_link);
        list_add_tail(&ci->run_link, &unsorted);
    }
    list_for_each_entry_safe(ci, next, &unsorted, run_link) {
        list_del(&ci->run_link);
        ci->queued_on = -1;
        csched_enqueue(ci, cpu);
    }
}

/* Charges a running item for the time since it was last charged, and parks on its cap. */
static void csched_burn(struct csched_item *ci, s_time_t now)
{
    struct csched_dom *cd = ci->cdom;
    int64_t credits;

    if (ci->running_on < 0 || now <= ci->start)
        return;
    /* Whole credits only; the remainder stays in start for the next charge. */
    credits = (now - ci->start) / CSCHED_NS_PER_CREDIT;
    ci->credit -= credits;
    ci->start += credits * CSCHED_NS_PER_CREDIT;
    ci->ran = true;
    cd->cap_used += credits * CSCHED_NS_PER_CREDIT;
    if (cd->sd->cap && cd->cap_used >= CSCHED_CAP_BUDGET(cd))
        cd->parked = true;
}

static void csched_start_running(struct csched_item *ci, unsigned int cpu, s_time_t now,
                                 bool new_slice)
{
    ci->running_on = (int)cpu;
    csched_curr[cpu] = ci;
    if (!new_slice)
        return;                                 /* start keeps the sub-credit remainder */
    ci->start = ci->run_start = now;
    csched_slice_end[cpu] = now + CSCHED_TSLICE;
}

/* ci stops running: charge it; any boost ends now that it has had its turn. */
static void csched_stop_running(struct csched_item *ci, s_time_t now)
{
    csched_burn(ci, now);
    ci->run_end = now;
    if (ci->running_on >= 0 && csched_curr[ci->running_on] == ci)
        csched_curr[ci->running_on] = NULL;
    ci->running_on = -1;
    ci->pri = CSCHED_CREDIT_PRI(ci);
}

/* The first item on queue qcpu at priority pri that cpu may run, or NULL. */
static struct csched_item *csched_first(unsigned int qcpu, unsigned int pri, unsigned int cpu)
{
    struct csched_item *ci;

    list_for_each_entry(ci, &csched_runq[qcpu][pri], run_link)
        if (CSCHED_ELIGIBLE(ci, cpu))
            return ci;
    return NULL;
}

static struct csched_item *csched_best(unsigned int cpu)
{
    for (unsigned int pri = 0; pri < CSCHED_NR_PRI; pri++) {
        struct csched_item *ci = csched_first(cpu, pri, cpu);

        if (ci)
            return ci;
    }
    return NULL;
}

/*
 * cpu idles: with parked work queued it must look again once accounting may have unparked
 * it (the core prods only busy pCPUs after account()); otherwise a wake will prod it.
 */
static s_time_t csched_idle_slice(unsigned int cpu, s_time_t now)
{
    for (unsigned int pri = 0; pri < CSCHED_NR_PRI; pri++)
        if (!list_empty(&csched_runq[cpu][pri]))
            return csched_next_acct > now ? MAX(csched_next_acct - now, CSCHED_MIN_SLICE)
                                          : CSCHED_ACCT_PERIOD;
    return CSCHED_TSLICE;
}

/* prev may keep cpu without a queue round trip: slice left, nothing better waiting. */
static bool csched_may_continue(const struct csched_item *ci, unsigned int cpu, s_time_t now)
{
    const struct csched_item *best = csched_best(cpu);

    return CSCHED_ELIGIBLE(ci, cpu) && csched_slice_end[cpu] - now >= CSCHED_MIN_SLICE &&
           (!best || best->pri >= ci->pri);
}

/* Picked less than the rate limit ago, still runnable and allowed here: it stays on. */
static bool csched_rate_limited(const struct csched_item *ci, unsigned int cpu, s_time_t now)
{
    return csched_ratelimit && CSCHED_ELIGIBLE(ci, cpu) && now - ci->run_start < csched_ratelimit;
}

/* Runs to the end of the slice, or until a capped domain's budget for this period is used. */
static s_time_t csched_slice(const struct csched_item *ci, unsigned int cpu, s_time_t now)
{
    s_time_t slice = csched_slice_end[cpu] - now;

    if (ci->cdom->sd->cap)
        slice = MIN(slice, CSCHED_CAP_BUDGET(ci->cdom) - ci->cdom->cap_used);
    return MAX(slice, CSCHED_NS_PER_CREDIT);
}

static struct sched_decision csched_pick(unsigned int cpu, struct sched_item *prev,
                                         bool prev_runnable, s_time_t now)
{
    struct sched_decision dec = { NULL, CSCHED_TSLICE };
    struct csched_item *ci = prev ? CSCHED_ITEM(prev) : NULL;
    bool new_slice = true;

    csched_seen_cpus |= 1ULL << cpu;
    if (ci) {
        csched_stop_running(ci, now);
        /* A yielder goes behind its equals in the queue, as in Xen's credit1. */
        if (prev_runnable && !prev->yielded && csched_rate_limited(ci, cpu, now)) {
            csched_start_running(ci, cpu, now, false);
            dec.next = prev;
            dec.slice = MIN(ci->run_start + csched_ratelimit - now, csched_slice(ci, cpu, now));
            return dec;
        }
        if (prev_runnable && !prev->yielded && csched_may_continue(ci, cpu, now))
            new_slice = false;                  /* keeps the rest of its slice */
        else if (prev_runnable && prev->yielded)
            csched_enqueue_last(ci, cpu);
        else if (prev_runnable)
            csched_enqueue(ci, cpu);
    }
    if (new_slice) {
        ci = csched_best(cpu);
        if (!ci) {
            dec.slice = csched_idle_slice(cpu, now);
            return dec;
        }
        csched_dequeue(ci);
    }
    csched_start_running(ci, cpu, now, new_slice);
    dec.next = ci->it;
    dec.slice = csched_slice(ci, cpu, now);
    return dec;
}

/* The first item on queue qcpu at priority pri that cpu may take: allowed, not cache-hot
 * where it ran, and preferring cpu (soft affinity) or not, as the balance step asks. */
static struct csched_item *csched_first_to_steal(unsigned int qcpu, unsigned int pri,
                                                 unsigned int cpu, bool prefers, s_time_t now)
{
    struct csched_item *ci;

    list_for_each_entry(ci, &csched_runq[qcpu][pri], run_link)
        if (CSCHED_ELIGIBLE(ci, cpu) &&
            !!(sched_preferred(ci->it) & (1ULL << cpu)) == prefers &&
            !(csched_migr_delay && now - ci->run_end < csched_migr_delay))
            return ci;
    return NULL;
}

/*
 * An idle cpu takes the best item queued elsewhere that it may run, in Xen's two balance
 * steps: first work that prefers cpu (soft affinity), then work that would rather run
 * elsewhere but may run here. Within a step
 * the highest priority over all other queues first (an OVER item never goes ahead of an
 * UNDER one), scanning the queues from cpu + 1 so idle pCPUs do not all raid the same one.
 */
static struct sched_item *csched_steal(unsigned int cpu, s_time_t now)
{
    csched_seen_cpus |= 1ULL << cpu;
    for (int step = 0; step < 2; step++)
        for (unsigned int pri = 0; pri < CSCHED_NR_PRI; pri++)
            for (unsigned int i = 1; i < csched_nr_cpus; i++) {
                struct csched_item *ci = csched_first_to_steal((cpu + i) % csched_nr_cpus,
                                                               pri, cpu, step == 0, now);

                if (ci) {
                    csched_dequeue(ci);
                    ci->it->processor = cpu;
                    csched_start_running(ci, cpu, now, true);
                    return ci->it;
                }
            }
    return NULL;
}

/* An item is active (gets a share) if it wants the CPU or used it this period. */
#define CSCHED_ACTIVE(ci) (CSCHED_RUNNABLE(ci) || (ci)->ran)

/* New credit, clamped; boost ends; a queued item whose priority changed changes queue. */
static void csched_account_item(struct csched_item *ci, int64_t share)
{
    unsigned int pri;

    if (CSCHED_ACTIVE(ci))
        ci->credit += share;
    ci->credit = MIN(ci->credit, CSCHED_RUNNABLE(ci) ? CSCHED_OWED_MAX : CSCHED_CREDIT_MAX);
    ci->credit = MAX(ci->credit, -CSCHED_OWED_MAX);
    ci->ran = false;
    pri = ci->pri;
    ci->pri = CSCHED_CREDIT_PRI(ci);
    if (ci->pri != pri && ci->queued_on >= 0)
        csched_enqueue(ci, (unsigned int)ci->queued_on);
}

/*
 * The cap budget renews for each of the periods that passed; overrun (several vCPUs at
 * once) is carried over.
 */
static void csched_account_cap(struct csched_dom *cd, unsigned int periods)
{
    s_time_t budget = CSCHED_CAP_BUDGET(cd);

    cd->cap_used = cd->sd->cap ? MAX(cd->cap_used - budget * periods, 0) : 0;
    cd->parked = cd->sd->cap && cd->cap_used >= budget;
}

static unsigned int csched_nr_in(uint64_t cpus)
{
    unsigned int n = 0;

    for (; cpus; cpus &= cpus - 1)
        n++;
    return n;
}

/* The pCPUs that take part in accounting: those seen running the policy (all if none yet). */
static uint64_t csched_counted_cpus(void)
{
    uint64_t all = csched_nr_cpus >= 64 ? ~0ULL : (1ULL << csched_nr_cpus) - 1;

    return csched_seen_cpus & all ? csched_seen_cpus & all : all;
}

/*
 * Lists the active items as claimants with what each could use: one pCPU's worth, less
 * under a cap (the domain's budget split among its active items), and for one that is not
 * runnable no more than takes it to CSCHED_CREDIT_MAX (so a sleeper's unused share goes
 * to whoever ran in its place, instead of leaving them a debt); counts nr_active.
 */
static void csched_gather_claims(uint64_t counted, unsigned int periods)
{
    struct csched_dom *cd;
    struct csched_item *ci;

    list_init(&csched_claims);
    list_for_each_entry(cd, &csched_doms, link) {
        cd->nr_active = 0;
        list_for_each_entry(ci, &cd->items, dom_link)
            cd->nr_active += CSCHED_ACTIVE(ci);
        list_for_each_entry(ci, &cd->items, dom_link) {
            ci->share = 0;
            if (!CSCHED_ACTIVE(ci))
                continue;
            ci->reach = ci->it->affinity & counted;
            ci->bound = CSCHED_CREDITS_PER_ACCT * periods;
            if (cd->sd->cap)
                ci->bound = MIN(ci->bound, (int64_t)cd->sd->cap * CSCHED_CREDITS_PER_ACCT *
                                               periods / 100 / cd->nr_active);
            if (!CSCHED_RUNNABLE(ci))
                ci->bound = MIN(ci->bound, MAX(CSCHED_CREDIT_MAX - ci->credit, 0));
            ci->fixed = !ci->reach;             /* nowhere to run: nothing to give it */
            list_add_tail(&ci->claim_link, &csched_claims);
        }
    }
}

static bool csched_in_group(const struct csched_item *ci, const struct csched_group *g)
{
    return !(ci->reach & ~g->cpus);
}

/* Adds cpus as a group unless known; false once there is no room for more. */
static bool csched_add_group(unsigned int *n, uint64_t cpus)
{
    for (unsigned int i = 0; i < *n; i++)
        if (csched_groups[i].cpus == cpus)
            return true;
    if (*n == CSCHED_MAX_GROUPS)
        return false;
    csched_groups[(*n)++].cpus = cpus;
    return true;
}

/*
 * The pCPU sets whose credit may run out before their claimants' bounds are reached: each
 * claimant's reach, and every union of overlapping ones (pins that share a pCPU compete as
 * one group), with what each has to hand out. A set that overlaps none of the others only
 * adds credit, so is never the tightest. Unions beyond CSCHED_MAX_GROUPS are dropped: less
 * exact, never unsafe.
 */
static unsigned int csched_find_groups(unsigned int periods)
{
    struct csched_item *ci;
    unsigned int n = 0;
    bool room = true;

    list_for_each_entry(ci, &csched_claims, claim_link)
        if (ci->reach)
            room = room && csched_add_group(&n, ci->reach);
    for (unsigned int i = 1; i < n && room; i++)        /* n grows as unions are found */
        for (unsigned int j = 0; j < i && room; j++)
            if (csched_groups[i].cpus & csched_groups[j].cpus)
                room = csched_add_group(&n, csched_groups[i].cpus | csched_groups[j].cpus);
    for (unsigned int g = 0; g < n; g++) {
        csched_groups[g].left = CSCHED_CREDITS_PER_ACCT * periods *
                                csched_nr_in(csched_groups[g].cpus);
        csched_groups[g].weight = 0;
        list_for_each_entry(ci, &csched_claims, claim_link)
            if (!ci->fixed && csched_in_group(ci, &csched_groups[g]))
                csched_groups[g].weight += ci->cdom->sd->weight;
    }
    return n;
}

/* ci gets share: taken off what its groups have left, its weight out of their count. */
static void csched_fix(struct csched_item *ci, int64_t share, unsigned int nr_groups)
{
    ci->share = share;
    ci->fixed = true;
    for (unsigned int g = 0; g < nr_groups; g++)
        if (csched_in_group(ci, &csched_groups[g])) {
            csched_groups[g].left -= share;
            csched_groups[g].weight -= ci->cdom->sd->weight;
        }
}

/*
 * Weighted max-min share-out (water-filling): every unfixed claimant's credit rises in
 * proportion to its weight until it reaches its bound, or until a group of pCPUs is used
 * up by the claimants that can run nowhere else; those are fixed there, and the rest rise
 * on. So a domain's entitlement counts only the pCPUs its affinity allows (two domains
 * pinned to one pCPU share that pCPU by weight, however many others there are), and what
 * pinned domains cannot use goes to whoever can run there. Levels are compared as
 * credit/weight fractions by cross-multiplying.
 */
static void csched_share_out(unsigned int nr_groups)
{
    for (;;) {
        struct csched_item *ci, *tightest = NULL;
        int64_t left = 0, weight = 0;
        int group = -1;

        list_for_each_entry(ci, &csched_claims, claim_link)
            if (!ci->fixed &&
                (!tightest || ci->bound * weight < left * ci->cdom->sd->weight)) {
                tightest = ci;
                left = ci->bound;
                weight = ci->cdom->sd->weight;
            }
        if (!tightest)
            return;
        for (unsigned int g = 0; g < nr_groups; g++) {
            int64_t g_left = MAX(csched_groups[g].left, 0), g_weight = csched_groups[g].weight;

            if (g_weight && g_left * weight <= left * g_weight) {
                group = (int)g;
                left = g_left;
                weight = g_weight;
            }
        }
        if (group < 0) {
            csched_fix(tightest, tightest->bound, nr_groups);
            continue;
        }
        list_for_each_entry(ci, &csched_claims, claim_link)
            if (!ci->fixed && csched_in_group(ci, &csched_groups[group]))
                csched_fix(ci, MIN(left * ci->cdom->sd->weight / weight, ci->bound), nr_groups);
    }
}

/* How many whole periods passed since credit was last handed out (at least one). */
static unsigned int csched_periods_passed(s_time_t now)
{
    s_time_t n;

    if (!csched_acct_upto || now - csched_acct_upto < CSCHED_ACCT_PERIOD)
        csched_acct_upto = now - CSCHED_ACCT_PERIOD;
    n = (now - csched_acct_upto) / CSCHED_ACCT_PERIOD;
    if (n > CSCHED_MAX_CATCHUP) {
        n = CSCHED_MAX_CATCHUP;
        csched_acct_upto = now - n * CSCHED_ACCT_PERIOD;
    }
    csched_acct_upto += n * CSCHED_ACCT_PERIOD;
    return (unsigned int)n;
}

/*
 * Every period, one period of credit per counted pCPU is shared out among the active items
 * by their domains' weights, over the pCPUs each may run on (csched_share_out()).
 */
static void csched_account(s_time_t now)
{
    unsigned int periods = csched_periods_passed(now);
    struct csched_dom *cd;
    struct csched_item *ci;

    csched_next_acct = now + CSCHED_ACCT_PERIOD;
    for (unsigned int cpu = 0; cpu < SCHED_MAX_CPUS; cpu++)
        if (csched_curr[cpu])
            csched_burn(csched_curr[cpu], now);
    csched_gather_claims(csched_counted_cpus(), periods);
    csched_share_out(csched_find_groups(periods));
    list_for_each_entry(cd, &csched_doms, link) {
        csched_account_cap(cd, periods);
        list_for_each_entry(ci, &cd->items, dom_link)
            csched_account_item(ci, ci->share);
    }
    for (unsigned int cpu = 0; cpu < csched_nr_cpus; cpu++) {
        csched_sort_queue(cpu, CSCHED_PRI_UNDER);
        csched_sort_queue(cpu, CSCHED_PRI_OVER);
    }
}

/* It woke: with credit left it gets BOOST until it has run once, for low wake latency. */
static void csched_wake(struct sched_item *it, s_time_t now)
{
    struct csched_item *ci = CSCHED_ITEM(it);

    (void)now;
    if (ci->queued_on >= 0 || ci->running_on >= 0)
        return;
    ci->pri = ci->credit >= 0 && !ci->cdom->parked ? CSCHED_PRI_BOOST : CSCHED_CREDIT_PRI(ci);
    /*
     * Only a queue whose pCPU may run it: a busy pCPU never looks at another's queue, so
     * an item queued where it may not run waits for as long as its own pCPUs stay busy.
     */
    if (!(it->affinity & (1ULL << it->processor)) && it->affinity)
        it->processor = (unsigned int)__builtin_ctzll(it->affinity);
    csched_enqueue(ci, it->processor);
}

static void csched_sleep(struct sched_item *it)
{
    csched_dequeue(CSCHED_ITEM(it));
}

static bool csched_should_preempt(unsigned int cpu, struct sched_item *woken,
                                  struct sched_item *curr, s_time_t now)
{
    const struct csched_item *wi = CSCHED_ITEM(woken);

    (void)now;
    return CSCHED_ELIGIBLE(wi, cpu) && (!curr || wi->pri < CSCHED_ITEM(curr)->pri);
}

static int csched_adjust(struct sched_dom *d)
{
    struct csched_dom *cd = d->priv;

    if (d->weight < 1 || d->weight > 65535 || d->cap > 100 * csched_nr_cpus)
        return -CSCHED_EINVAL;
    if (!d->cap)
        csched_account_cap(cd, 1);              /* uncapped: unparked at once */
    return 0;
}

static int csched_init(unsigned int nr_cpus)
{
    csched_nr_cpus = MAX(MIN(nr_cpus, SCHED_MAX_CPUS), 1U);
    csched_seen_cpus = 0;
    csched_next_acct = csched_acct_upto = 0;
    list_init(&csched_doms);
    memset(csched_curr, 0, sizeof(csched_curr));
    for (unsigned int cpu = 0; cpu < SCHED_MAX_CPUS; cpu++)
        for (unsigned int pri = 0; pri < CSCHED_NR_PRI; pri++)
            list_init(&csched_runq[cpu][pri]);
    return 0;
}

static int csched_global(struct sched_global *g, bool set)
{
    if (set) {
        if (g->tslice_ms > XEN_SYSCTL_CSCHED_TSLICE_MAX ||
            g->tslice_ms < XEN_SYSCTL_CSCHED_TSLICE_MIN ||
            (g->ratelimit_us && (g->ratelimit_us > XEN_SYSCTL_SCHED_RATELIMIT_MAX ||
                                 g->ratelimit_us < XEN_SYSCTL_SCHED_RATELIMIT_MIN)) ||
            MICROSECS(g->ratelimit_us) > MILLISECS(g->tslice_ms) ||
            g->migr_delay_us > XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US)
            return -CSCHED_EINVAL;
        csched_tslice = MILLISECS(g->tslice_ms);
        csched_ratelimit = MICROSECS(g->ratelimit_us);
        csched_migr_delay = MICROSECS(g->migr_delay_us);
    }
    g->tslice_ms = (uint32_t)(csched_tslice / MILLISECS(1));
    g->ratelimit_us = (uint32_t)(csched_ratelimit / MICROSECS(1));
    g->migr_delay_us = (uint32_t)(csched_migr_delay / MICROSECS(1));
    return 0;
}

static int csched_dom_init(struct sched_dom *d)
{
    struct csched_dom *cd = xzalloc(struct csched_dom);

    if (!cd)
        return -CSCHED_ENOMEM;
    if (!d->weight)
        d->weight = 256;
    cd->sd = d;
    list_init(&cd->items);
    list_add_tail(&cd->link, &csched_doms);
    d->priv = cd;
    return 0;
}

static void csched_dom_destroy(struct sched_dom *d)
{
    struct csched_dom *cd = d->priv;

    SCHED_ASSERT_LOCKED();
    list_del(&cd->link);
    xfree(cd);
}

static int csched_item_init(struct sched_item *it)
{
    struct csched_item *ci = xzalloc(struct csched_item);

    if (!ci)
        return -CSCHED_ENOMEM;
    ci->it = it;
    ci->cdom = it->dom->priv;
    ci->pri = CSCHED_PRI_UNDER;
    ci->queued_on = ci->running_on = -1;
    list_add_tail(&ci->dom_link, &ci->cdom->items);
    it->dom->nr_items++;
    it->priv = ci;
    return 0;
}

static void csched_item_destroy(struct sched_item *it)
{
    struct csched_item *ci = CSCHED_ITEM(it);

    SCHED_ASSERT_LOCKED();
    csched_dequeue(ci);
    csched_stop_running(ci, ci->start);         /* off csched_curr[], nothing to charge */
    list_del(&ci->dom_link);
    it->dom->nr_items--;
    xfree(ci);
}

/* Debug key 'q': each pCPU's running item and queue, with priority and credit. */
static void csched_dump(void (*out)(const char *fmt, ...))
{
    static const char *const pris[] = { "boost", "under", "over" };

    for (unsigned int cpu = 0; cpu < csched_nr_cpus; cpu++) {
        const struct csched_item *c = csched_curr[cpu];

        if (!(csched_seen_cpus & (1ULL << cpu)))
            continue;
        out("  pCPU %u: ", cpu);
        if (c)
            out("running d%u v%u (%s, credit %ld);", c->cdom->sd->domid, c->it->id, pris[c->pri],
                (long)c->credit);
        else
            out("idle;");
        for (unsigned int pri = 0; pri < CSCHED_NR_PRI; pri++) {
            const struct csched_item *ci;

            list_for_each_entry(ci, &csched_runq[cpu][pri], run_link)
                out(" d%u v%u (%s, credit %ld%s)", ci->cdom->sd->domid, ci->it->id, pris[pri],
                    (long)ci->credit, ci->cdom->parked ? ", parked" : "");
        }
        out("\n");
    }
}

const struct sched_policy sched_credit = {
    .name = "SMP Credit Scheduler", .opt_name = "credit",
    .sched_id = 5,                      /* XEN_SCHEDULER_CREDIT */
    .account_period = CSCHED_ACCT_PERIOD,
    .init = csched_init, .dom_init = csched_dom_init, .dom_destroy = csched_dom_destroy,
    .item_init = csched_item_init, .item_destroy = csched_item_destroy,
    .wake = csched_wake, .sleep = csched_sleep, .pick = csched_pick,
    .account = csched_account, .steal = csched_steal,
    .should_preempt = csched_should_preempt, .adjust = csched_adjust, .global = csched_global,
    .dump = csched_dump,
};
