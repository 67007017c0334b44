/*
 * Host tests for kernel/sched/sedf.c against a simulated clock: a small simulator plays
 * the core (pick at each decision point, an idle pCPU decides again when its slice ends,
 * wake with a preemption check) and logs every stretch each item runs, so tests can check
 * what it got in each of its periods. SCHED_TEST_VERBOSE=1 prints the measured figures.
 */
#include "../../kernel/sched/sedf.c"
#include "harness.h"

void *xzalloc_bytes(size_t n)
{
    return calloc(1, n);
}

void xfree(void *p)
{
    free(p);
}

#define MAX_ITEMS 4
#define MAX_CPUS  2
#define MAX_RUNS  16384
#define NEVER     SECONDS(1000000)

struct sim_item {
    struct sched_item si;
    struct sched_dom dom;               /* one item per domain here */
    bool blocked;
    int on_cpu;
    s_time_t ran;
    unsigned int nr_runs;
    struct { s_time_t start, end; } runs[MAX_RUNS];   /* what it ran, merged when adjacent */
};

struct sim {
    const struct sched_policy *pol;
    unsigned int nr_cpus, nr_items;
    struct sim_item items[MAX_ITEMS];
    struct sim_item *curr[MAX_CPUS];
    s_time_t slice_end[MAX_CPUS], idle[MAX_CPUS];
    bool repick[MAX_CPUS];
    s_time_t now;
    s_time_t late;                      /* slice timers fire up to this late (emulated LAPIC) */
    uint64_t rng;
    unsigned int bad_affinity, double_run, ran_blocked;
};

static struct sim sim;

/* How late the next timer fires: uniform in [0, sim.late], from a fixed seed. */
static s_time_t sim_lateness(void)
{
    if (!sim.late)
        return 0;
    sim.rng = sim.rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s_time_t)((sim.rng >> 33) % (uint64_t)(sim.late + 1));
}

static bool verbose(void)
{
    return getenv("SCHED_TEST_VERBOSE") != NULL;
}

static void sim_init(unsigned int nr_cpus)
{
    memset(&sim, 0, sizeof(sim));
    sim.pol = &sched_sedf;
    sim.nr_cpus = nr_cpus;
    CHECK_EQ(sim.pol->init(nr_cpus), 0);
}

static void sim_fini(void)
{
    for (unsigned int i = 0; i < sim.nr_items; i++) {
        sim.pol->item_destroy(&sim.items[i].si);
        CHECK_EQ(sim.items[i].dom.nr_items, 0);
        sim.pol->dom_destroy(&sim.items[i].dom);
    }
}

/* A domain with one vCPU queued on cpu; blocked until sim_wake(). */
static struct sim_item *sim_item(s_time_t period, s_time_t slice, bool extra, unsigned int cpu)
{
    struct sim_item *s = &sim.items[sim.nr_items];

    s->dom.domid = sim.nr_items;
    CHECK_EQ(sim.pol->dom_init(&s->dom), 0);
    s->dom.period = period;
    s->dom.slice = slice;
    s->dom.extra = extra;
    CHECK_EQ(sim.pol->adjust(&s->dom), 0);
    s->si.id = sim.nr_items++;
    s->si.dom = &s->dom;
    s->si.processor = cpu;
    s->si.affinity = 1ULL << cpu;
    s->on_cpu = -1;
    s->blocked = true;
    CHECK_EQ(sim.pol->item_init(&s->si), 0);
    CHECK_EQ(s->dom.nr_items, 1);
    return s;
}

static struct sim_item *sim_of(struct sched_item *it)
{
    return it ? container_of(it, struct sim_item, si) : NULL;
}

/* As the core's vcpu_wake(). */
static void sim_wake(struct sim_item *s)
{
    unsigned int cpu = s->si.processor;

    s->blocked = false;
    sim.pol->wake(&s->si, sim.now);
    if (!sim.curr[cpu] ||
        sim.pol->should_preempt(cpu, &s->si, &sim.curr[cpu]->si, sim.now))
        sim.repick[cpu] = true;
}

/* It blocks: if running, its pCPU decides again now; if queued, the policy drops it. */
static void sim_block(struct sim_item *s)
{
    s->blocked = true;
    if (s->on_cpu >= 0)
        sim.repick[s->on_cpu] = true;
    else
        sim.pol->sleep(&s->si);
}

/*
 * As the core's schedule(), except that an idle pCPU decides again when the slice pick()
 * gave it ends (SEDF idles until a refill), as the core must for this policy.
 */
static void sim_decide(unsigned int cpu)
{
    struct sim_item *prev = sim.curr[cpu], *next;
    struct sched_decision dec;

    if (prev) {
        prev->si.is_running = false;
        prev->on_cpu = -1;
    }
    dec = sim.pol->pick(cpu, prev ? &prev->si : NULL, prev && !prev->blocked, sim.now);
    if (!dec.next)
        dec.next = sim.pol->steal(cpu, sim.now);
    CHECK(dec.slice > 0);
    next = sim_of(dec.next);
    sim.curr[cpu] = next;
    sim.slice_end[cpu] = sim.now + (dec.slice > 0 ? dec.slice : MILLISECS(1)) + sim_lateness();
    if (!next)
        return;
    sim.bad_affinity += !(next->si.affinity & (1ULL << cpu));
    sim.double_run += next->on_cpu >= 0;
    sim.ran_blocked += next->blocked;
    next->on_cpu = (int)cpu;
    next->si.processor = cpu;
    next->si.is_running = true;
}

static void sim_log(struct sim_item *s, s_time_t from, s_time_t to)
{
    s->ran += to - from;
    if (s->nr_runs && s->runs[s->nr_runs - 1].end == from) {
        s->runs[s->nr_runs - 1].end = to;
        return;
    }
    CHECK(s->nr_runs < MAX_RUNS);
    if (s->nr_runs < MAX_RUNS) {
        s->runs[s->nr_runs].start = from;
        s->runs[s->nr_runs++].end = to;
    }
}

static void sim_run(s_time_t duration)
{
    s_time_t end = sim.now + duration;

    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++)
        sim.repick[cpu] = true;
    while (sim.now < end) {
        s_time_t t = end;

        for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
            if (sim.repick[cpu])
                sim_decide(cpu);
            sim.repick[cpu] = false;
            t = MIN(t, sim.slice_end[cpu]);
        }
        for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
            if (sim.curr[cpu])
                sim_log(sim.curr[cpu], sim.now, t);
            else
                sim.idle[cpu] += t - sim.now;
            sim.repick[cpu] = sim.slice_end[cpu] <= t;
        }
        sim.now = t;
    }
    CHECK_EQ(sim.bad_affinity, 0);
    CHECK_EQ(sim.double_run, 0);
    CHECK_EQ(sim.ran_blocked, 0);
}

/* What s ran within [from, to). */
static s_time_t ran_between(const struct sim_item *s, s_time_t from, s_time_t to)
{
    s_time_t sum = 0;

    for (unsigned int i = 0; i < s->nr_runs; i++)
        if (s->runs[i].end > from && s->runs[i].start < to)
            sum += MIN(s->runs[i].end, to) - MAX(s->runs[i].start, from);
    return sum;
}

/* Each of s's periods from origin on (nr of them): min and max it got in one. */
static void per_period(const struct sim_item *s, s_time_t origin, unsigned int nr,
                       s_time_t *min, s_time_t *max)
{
    *min = NEVER;
    *max = 0;
    for (unsigned int k = 0; k < nr; k++) {
        s_time_t got = ran_between(s, origin + k * s->dom.period,
                                   origin + (k + 1) * s->dom.period);

        *min = MIN(*min, got);
        *max = MAX(*max, got);
    }
}

static double ms(s_time_t t)
{
    return (double)t / 1e6;
}

/* The (10 ms, 3 ms) + (10 ms, 5 ms) pair on pCPU 0 of a sim_init()ed sim, run for duration. */
static void run_pair(bool a_extra, bool b_extra, s_time_t duration, struct sim_item **a,
                     struct sim_item **b)
{
    *a = sim_item(MILLISECS(10), MILLISECS(3), a_extra, 0);
    *b = sim_item(MILLISECS(10), MILLISECS(5), b_extra, 0);
    sim_wake(*a);
    sim_wake(*b);
    sim_run(duration);
}

TEST(sedf_each_gets_its_slice_every_period_and_idles_the_rest)
{
    struct sim_item *a, *b;
    s_time_t amin, amax, bmin, bmax;

    sim_init(1);
    run_pair(false, false, SECONDS(2), &a, &b);
    per_period(a, 0, 200, &amin, &amax);
    per_period(b, 0, 200, &bmin, &bmax);
    if (verbose())
        fprintf(stderr, "  no extra: a %.3f..%.3f ms, b %.3f..%.3f ms per 10 ms, idle %.1f%%\n",
                ms(amin), ms(amax), ms(bmin), ms(bmax), 100.0 * ms(sim.idle[0]) / 2000);
    CHECK_EQ(amin, MILLISECS(3));
    CHECK_EQ(amax, MILLISECS(3));
    CHECK_EQ(bmin, MILLISECS(5));
    CHECK_EQ(bmax, MILLISECS(5));
    CHECK_EQ(sim.idle[0], SECONDS(2) / 5);          /* 2 ms of every 10 */
    sim_fini();
}

TEST(sedf_extra_items_share_the_idle_time)
{
    struct sim_item *a, *b;
    s_time_t amin, amax, bmin, bmax;

    sim_init(1);
    run_pair(true, true, SECONDS(2), &a, &b);
    per_period(a, 0, 200, &amin, &amax);
    per_period(b, 0, 200, &bmin, &bmax);
    if (verbose())
        fprintf(stderr, "  extra: a %.3f..%.3f ms, b %.3f..%.3f ms per 10 ms, idle %.3f ms\n",
                ms(amin), ms(amax), ms(bmin), ms(bmax), ms(sim.idle[0]));
    CHECK(amin > MILLISECS(3));                     /* its slice and a share of the rest */
    CHECK(bmin > MILLISECS(5));
    CHECK_EQ(sim.idle[0], 0);
    CHECK_EQ(a->ran + b->ran, SECONDS(2));
    sim_fini();

    /* Only one of them extra: it alone gets the spare 2 ms; the other keeps its slice. */
    sim_init(1);
    run_pair(false, true, SECONDS(1), &a, &b);
    per_period(a, 0, 100, &amin, &amax);
    per_period(b, 0, 100, &bmin, &bmax);
    CHECK(amin == MILLISECS(3) && amax == MILLISECS(3));
    CHECK(bmin == MILLISECS(7) && bmax == MILLISECS(7));
    sim_fini();
}

/*
 * (10 ms, 3 ms) + (10 ms, 5 ms) with slice timers firing up to 1 ms late, as emulated LAPIC
 * timers do: an overrun is paid back from the next slice, so over 20 s each gets its share
 * to within 0.5%, no deadline is missed, and with extra time the idle rest is shared and
 * no slice is cut short.
 */
TEST(sedf_late_timers_keep_shares_and_deadlines)
{
    for (unsigned int extra = 0; extra < 2; extra++) {
        struct sim_item *a, *b;
        double pa, pb;

        sim_init(1);
        sim.late = MILLISECS(1);
        sim.rng = extra + 7;
        run_pair(extra, extra, SECONDS(20), &a, &b);
        pa = 100.0 * ms(a->ran) / 20000;
        pb = 100.0 * ms(b->ran) / 20000;
        if (verbose())
            fprintf(stderr, "  late timers, extra=%u: a %.2f%%, b %.2f%%; periods %lu/%lu, "
                    "missed %lu/%lu\n", extra, pa, pb, a->dom.periods, b->dom.periods,
                    a->dom.deadlines_missed, b->dom.deadlines_missed);
        CHECK(a->dom.periods >= 1999 && b->dom.periods >= 1999);
        CHECK_EQ(a->dom.deadlines_missed + b->dom.deadlines_missed, 0);
        if (!extra) {
            CHECK(pa >= 29.5 && pa <= 30.5);
            CHECK(pb >= 49.5 && pb <= 50.5);
        } else {
            CHECK(pa >= 30.0 && pb >= 50.0);
            CHECK(pa + pb >= 99.9);
        }
        sim_fini();
    }
}

/* Missed deadlines are counted: none for periods that end before the pCPU first picks,
 * and some when slices add up to more than the pCPU (6 + 6 ms in every 10 ms). */
TEST(sedf_counts_missed_deadlines)
{
    struct sim_item *a, *b;

    sim_init(1);
    a = sim_item(MILLISECS(10), MILLISECS(6), false, 0);
    b = sim_item(MILLISECS(10), MILLISECS(6), false, 0);
    sim_wake(a);
    sim_wake(b);
    sim.now = MILLISECS(35);                        /* still booting: nothing picked yet */
    sim_run(SECONDS(1));
    if (verbose())
        fprintf(stderr, "  overloaded: periods %lu/%lu, missed %lu/%lu\n", a->dom.periods,
                b->dom.periods, a->dom.deadlines_missed, b->dom.deadlines_missed);
    CHECK(a->dom.periods >= 99 && a->dom.periods <= 101);
    CHECK(a->dom.deadlines_missed + b->dom.deadlines_missed >= 50);
    sim_fini();
}

TEST(sedf_earliest_deadline_runs_first)
{
    struct sim_item *a, *b, *c, *d;
    struct sched_decision dec;
    s_time_t amin, amax, bmin, bmax;

    sim_init(1);
    a = sim_item(MILLISECS(20), MILLISECS(5), false, 0);
    b = sim_item(MILLISECS(10), MILLISECS(2), false, 0);
    sim.pol->wake(&a->si, 0);                       /* deadline 20 ms */
    sim.pol->wake(&b->si, 0);                       /* deadline 10 ms: first */
    dec = sim.pol->pick(0, NULL, false, 0);
    CHECK(dec.next == &b->si);
    CHECK_EQ(dec.slice, MILLISECS(2));
    dec = sim.pol->pick(0, &b->si, true, MILLISECS(2));
    CHECK(dec.next == &a->si);
    CHECK(dec.slice <= MILLISECS(5));
    sim_fini();

    /* A later waker with an earlier deadline preempts; one with a later deadline does not. */
    sim_init(1);
    c = sim_item(MILLISECS(100), MILLISECS(50), false, 0);
    d = sim_item(MILLISECS(10), MILLISECS(5), false, 0);
    b = sim_item(MILLISECS(200), MILLISECS(5), false, 0);
    sim.pol->wake(&c->si, 0);
    CHECK(sim.pol->pick(0, NULL, false, 0).next == &c->si);
    sim.pol->wake(&d->si, MILLISECS(20));           /* deadline 30 < 100 */
    sim.pol->wake(&b->si, MILLISECS(20));           /* deadline 220 > 100 */
    CHECK(sim.pol->should_preempt(0, &d->si, &c->si, MILLISECS(20)));
    CHECK(!sim.pol->should_preempt(0, &b->si, &c->si, MILLISECS(20)));
    CHECK(!sim.pol->should_preempt(1, &d->si, NULL, MILLISECS(20)));   /* not its pCPU */
    CHECK(sim.pol->pick(0, &c->si, true, MILLISECS(20)).next == &d->si);
    CHECK(sim.pol->steal(1, MILLISECS(20)) == NULL);
    sim_fini();

    /* 100 %: (100 ms, 50 ms) + (10 ms, 5 ms); the long slice is cut at each refill. */
    sim_init(1);
    a = sim_item(MILLISECS(100), MILLISECS(50), false, 0);
    b = sim_item(MILLISECS(10), MILLISECS(5), false, 0);
    sim_wake(a);
    sim_wake(b);
    sim_run(SECONDS(2));
    per_period(a, 0, 20, &amin, &amax);
    per_period(b, 0, 200, &bmin, &bmax);
    if (verbose())
        fprintf(stderr, "  mixed: a %.3f..%.3f ms per 100 ms, b %.3f..%.3f ms per 10 ms\n",
                ms(amin), ms(amax), ms(bmin), ms(bmax));
    CHECK(amin == MILLISECS(50) && bmin == MILLISECS(5));
    sim_fini();
}

TEST(sedf_sleeper_resumes_with_fresh_budget_and_no_burst)
{
    struct sim_item *a, *b;
    s_time_t w, amin, amax, bmin, bmax, before;

    sim_init(1);
    a = sim_item(MILLISECS(10), MILLISECS(3), false, 0);
    b = sim_item(MILLISECS(10), MILLISECS(5), true, 0);
    sim_wake(a);
    sim_wake(b);
    sim_run(MILLISECS(1001));                       /* a is running, 1 ms into its slice */
    CHECK(a->on_cpu == 0);
    sim_block(a);
    before = a->ran;
    sim_run(MILLISECS(54));                         /* asleep for five and a half periods */
    CHECK_EQ(a->ran, before);
    w = sim.now;
    sim_wake(a);
    sim_run(MILLISECS(100));
    per_period(a, w, 10, &amin, &amax);
    per_period(b, 0, 115, &bmin, &bmax);
    if (verbose())
        fprintf(stderr, "  after sleep: a %.3f..%.3f ms per period; first 3 ms after wake: "
                "%.3f ms; b %.3f..%.3f ms\n", ms(amin), ms(amax),
                ms(ran_between(a, w, w + MILLISECS(3))), ms(bmin), ms(bmax));
    CHECK_EQ(amin, MILLISECS(3));                   /* a fresh slice every period */
    CHECK_EQ(amax, MILLISECS(3));                   /* and never the missed ones on top */
    CHECK_EQ(ran_between(a, w, w + MILLISECS(3)), MILLISECS(3));    /* promptly */
    CHECK(bmin >= MILLISECS(5));                    /* b's deadlines held throughout */
    sim_fini();

    /*
     * Woken 1 ms before its deadline with 4.5 ms of budget left: it must not spend that
     * and then its next slice back to back (6 ms in 10 ms); it starts a new period instead.
     */
    sim_init(1);
    a = sim_item(MILLISECS(10), MILLISECS(5), false, 0);
    b = sim_item(MILLISECS(30), MILLISECS(5), false, 0);
    sim_wake(a);
    sim_wake(b);
    sim_run(MICROSECS(500));
    CHECK(a->on_cpu == 0);
    sim_block(a);
    sim_run(MICROSECS(8500));
    w = sim.now;
    sim_wake(a);
    sim_run(MILLISECS(50));
    if (verbose())
        fprintf(stderr, "  woken near its deadline: a got %.3f ms in the next 10 ms\n",
                ms(ran_between(a, w, w + MILLISECS(10))));
    CHECK(ran_between(a, w, w + MILLISECS(10)) <= MILLISECS(5));
    CHECK_EQ(ran_between(b, 0, MILLISECS(30)), MILLISECS(5));
    CHECK_EQ(ran_between(b, MILLISECS(30), MILLISECS(60)), MILLISECS(5));
    sim_fini();
}

TEST(sedf_slept_items_are_never_picked)
{
    struct sim_item *a, *b;
    s_time_t before;

    sim_init(2);
    a = sim_item(MILLISECS(10), MILLISECS(5), true, 0);
    b = sim_item(MILLISECS(10), MILLISECS(5), true, 0);
    sim_wake(a);
    sim_wake(b);
    sim_run(MILLISECS(95));
    sim_block(b);
    before = b->ran;
    sim_run(SECONDS(1));                            /* sim_run checks nothing blocked ran */
    CHECK_EQ(b->ran, before);
    CHECK_EQ(a->ran, SECONDS(1) + MILLISECS(95) - before);    /* a alone, on extra time */
    /* Another pCPU: an item on cpu 1 never runs on cpu 0, and cpu 0 steals nothing. */
    b->si.processor = 1;
    b->si.affinity = 1ULL << 1;
    sim_wake(b);
    sim_run(MILLISECS(100));
    CHECK_EQ(b->ran, before + MILLISECS(100));     /* alone on cpu 1, on extra time */
    sim_fini();
}

TEST(sedf_adjust_validates)
{
    struct sched_dom d = { 0 };

    sim_init(1);
    CHECK_EQ(sim.pol->dom_init(&d), 0);
    CHECK_EQ(d.period, MILLISECS(100));             /* the documented defaults */
    CHECK_EQ(d.slice, MILLISECS(10));
    CHECK(d.extra);
    CHECK_EQ(sim.pol->adjust(&d), 0);
    d.period = MILLISECS(1) - 1;
    d.slice = MICROSECS(500);
    CHECK_EQ(sim.pol->adjust(&d), -22);
    d.period = MILLISECS(1);
    CHECK_EQ(sim.pol->adjust(&d), 0);
    d.slice = MILLISECS(1);
    CHECK_EQ(sim.pol->adjust(&d), 0);
    d.slice = MILLISECS(1) + 1;
    CHECK_EQ(sim.pol->adjust(&d), -22);
    d.slice = 0;
    CHECK_EQ(sim.pol->adjust(&d), -22);
    d.slice = -MILLISECS(1);
    CHECK_EQ(sim.pol->adjust(&d), -22);
    d.period = 0;
    d.slice = 0;
    CHECK_EQ(sim.pol->adjust(&d), -22);
    CHECK_EQ(sim.pol->sched_id, 4);
    CHECK(!strcmp(sim.pol->name, "Simple EDF Scheduler"));
    CHECK(!strcmp(sim.pol->opt_name, "sedf"));
    sim.pol->dom_destroy(&d);
}

int main(void)
{
    RUN(sedf_each_gets_its_slice_every_period_and_idles_the_rest);
    RUN(sedf_extra_items_share_the_idle_time);
    RUN(sedf_late_timers_keep_shares_and_deadlines);
    RUN(sedf_counts_missed_deadlines);
    RUN(sedf_earliest_deadline_runs_first);
    RUN(sedf_sleeper_resumes_with_fresh_budget_and_no_burst);
    RUN(sedf_slept_items_are_never_picked);
    RUN(sedf_adjust_validates);
    HARNESS_EXIT();
}
