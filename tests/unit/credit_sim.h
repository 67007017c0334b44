/*
 * A simulated core for host tests of kernel/sched/credit.c: pick at each decision point,
 * steal when idle, account every 10 ms on the core's grid, wake with a preemption check,
 * over simulated pCPUs, tallying the CPU time each item gets; optionally with lost ticks
 * or host stalls. Included by the test files after the policy's source and harness.h.
 * SCHED_TEST_VERBOSE=1 makes the tests print the figures they measure.
 */
#ifndef KUMO_UNIT_CREDIT_SIM_H
#define KUMO_UNIT_CREDIT_SIM_H

void *xzalloc_bytes(size_t n)
{
    return calloc(1, n);
}

void xfree(void *p)
{
    free(p);
}

#define MAX_ITEMS 8
#define MAX_DOMS  8
#define MAX_CPUS  4

struct sim_item {
    struct sched_item si;
    s_time_t run_burst;                 /* 0: CPU-bound; else runs this long, then blocks */
    s_time_t sleep_time;                /* how long it stays blocked */
    s_time_t burst_left, wake_at, woke_at, max_latency;
    unsigned int wakes;
    bool blocked, stopped;              /* stopped: removed with sleep(), never wakes */
    int on_cpu;
    s_time_t ran, ran_on[MAX_CPUS];
};

struct sim {
    const struct sched_policy *pol;
    unsigned int nr_cpus, nr_items, nr_doms;
    struct sched_dom doms[MAX_DOMS];
    struct sim_item items[MAX_ITEMS];
    struct sim_item *curr[MAX_CPUS];
    s_time_t slice_end[MAX_CPUS], idle[MAX_CPUS];
    bool repick[MAX_CPUS];
    s_time_t now, next_acct;
    unsigned int ticks, lose_every;     /* lose_every: every Nth accounting tick is lost */
    bool stalls;                        /* the host stalls the emulator now and then */
    s_time_t next_stall;
    uint32_t seed;
    unsigned int bad_affinity, double_run, ran_unrunnable;
};

static struct sim sim;

static inline bool verbose(void)
{
    return getenv("SCHED_TEST_VERBOSE") != NULL;
}

static inline void sim_init(unsigned int nr_cpus)
{
    memset(&sim, 0, sizeof(sim));
    sim.pol = &sched_credit;
    sim.nr_cpus = nr_cpus;
    sim.next_acct = sim.pol->account_period;
    CHECK_EQ(sim.pol->init(nr_cpus), 0);
}

static inline void sim_fini(void)
{
    for (unsigned int i = 0; i < sim.nr_items; i++)
        sim.pol->item_destroy(&sim.items[i].si);
    for (unsigned int i = 0; i < sim.nr_doms; i++)
        sim.pol->dom_destroy(&sim.doms[i]);
}

static inline struct sched_dom *sim_dom(unsigned int weight, unsigned int cap)
{
    struct sched_dom *d = &sim.doms[sim.nr_doms];

    d->domid = sim.nr_doms++;
    CHECK_EQ(sim.pol->dom_init(d), 0);
    CHECK_EQ(d->weight, 256);
    d->weight = weight;
    d->cap = cap;
    CHECK_EQ(sim.pol->adjust(d), 0);
    return d;
}

static inline struct sim_item *sim_item(struct sched_dom *d, unsigned int cpu,
                                        uint64_t affinity)
{
    struct sim_item *s = &sim.items[sim.nr_items];

    s->si.id = sim.nr_items++;
    s->si.dom = d;
    s->si.processor = cpu;
    s->si.affinity = affinity;
    s->on_cpu = -1;
    s->woke_at = -1;
    s->blocked = true;
    CHECK_EQ(sim.pol->item_init(&s->si), 0);
    return s;
}

static inline struct sim_item *sim_of(struct sched_item *it)
{
    return it ? container_of(it, struct sim_item, si) : NULL;
}

/*
 * As the core's vcpu_wake() and tickle(): queue it, then make its pCPU decide again if
 * idle or if the policy says preempt; else wake an idle pCPU it may use, to steal it.
 */
static inline void sim_wake(struct sim_item *s)
{
    unsigned int cpu = s->si.processor;

    s->blocked = false;
    s->burst_left = s->run_burst;
    s->woke_at = sim.now;
    s->wakes++;
    sim.pol->wake(&s->si, sim.now);
    if (!sim.curr[cpu] ||
        sim.pol->should_preempt(cpu, &s->si, &sim.curr[cpu]->si, sim.now)) {
        sim.repick[cpu] = true;
        return;
    }
    for (unsigned int c = 0; c < sim.nr_cpus; c++)
        if ((s->si.affinity & (1ULL << c)) && !sim.curr[c]) {
            sim.repick[c] = true;
            return;
        }
}

/* As the core's vcpu_stop(): unqueue it now, or make its pCPU decide again if running. */
static inline void sim_stop(struct sim_item *s)
{
    s->stopped = true;
    if (s->on_cpu >= 0)
        sim.repick[s->on_cpu] = true;
    else if (!s->blocked)
        sim.pol->sleep(&s->si);
}

/*
 * As the core's schedule(): pick, steal when idle, and check what came back. An idle pCPU
 * sleeps until the slice pick() gave it ends, or until a wake or its own vCPU blocking
 * makes it decide again; the 30 ms slice applies only to what steal() returns.
 */
static inline void sim_decide(unsigned int cpu)
{
    struct sim_item *prev = sim.curr[cpu], *next;
    bool runnable = prev && !prev->blocked && !prev->stopped;
    struct sched_decision dec;

    if (prev) {
        prev->si.is_running = false;
        prev->on_cpu = -1;
    }
    dec = sim.pol->pick(cpu, prev ? &prev->si : NULL, runnable, sim.now);
    if (!dec.next && sim.pol->steal) {
        dec.next = sim.pol->steal(cpu, sim.now);
        if (dec.next)
            dec.slice = MILLISECS(30);
    }
    next = sim_of(dec.next);
    sim.curr[cpu] = next;
    sim.slice_end[cpu] = sim.now + (dec.slice > 0 ? dec.slice : MILLISECS(1));
    if (!next)
        return;
    sim.bad_affinity += !(next->si.affinity & (1ULL << cpu));
    sim.double_run += next->on_cpu >= 0;
    sim.ran_unrunnable += next->blocked || next->stopped;
    next->on_cpu = (int)cpu;
    next->si.processor = cpu;
    next->si.is_running = true;
    if (next->woke_at >= 0)
        next->max_latency = MAX(next->max_latency, sim.now - next->woke_at);
    next->woke_at = -1;
}

static inline s_time_t sim_next_event(s_time_t end)
{
    s_time_t t = MIN(end, sim.next_acct);

    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
        t = MIN(t, sim.slice_end[cpu]);
        if (sim.curr[cpu] && sim.curr[cpu]->run_burst)
            t = MIN(t, sim.now + sim.curr[cpu]->burst_left);
    }
    for (unsigned int i = 0; i < sim.nr_items; i++)
        if (sim.items[i].blocked && !sim.items[i].stopped && sim.items[i].run_burst)
            t = MIN(t, sim.items[i].wake_at);
    return t;
}

static inline void sim_advance(s_time_t t)
{
    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
        struct sim_item *s = sim.curr[cpu];

        if (!s) {
            sim.idle[cpu] += t - sim.now;
            continue;
        }
        s->ran += t - sim.now;
        s->ran_on[cpu] += t - sim.now;
        if (s->run_burst)
            s->burst_left -= t - sim.now;
    }
    sim.now = t;
}

static inline void sim_events(void)
{
    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
        struct sim_item *s = sim.curr[cpu];

        if (s && s->run_burst && s->burst_left <= 0) {
            s->blocked = true;
            s->wake_at = sim.now + s->sleep_time;
            sim.repick[cpu] = true;
        }
        if (sim.slice_end[cpu] <= sim.now)
            sim.repick[cpu] = true;
    }
    if (sim.now >= sim.next_acct) {
        if (!sim.lose_every || ++sim.ticks % sim.lose_every) {
            sim.pol->account(sim.now);
            for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++)
                sim.repick[cpu] |= sim.curr[cpu] != NULL;
        }
        /* As the core's timer: on a fixed grid, restarted from now once a period behind. */
        sim.next_acct += sim.pol->account_period;
        if (sim.next_acct <= sim.now)
            sim.next_acct = sim.now + sim.pol->account_period;
    }
    for (unsigned int i = 0; i < sim.nr_items; i++) {
        struct sim_item *s = &sim.items[i];

        if (s->blocked && !s->stopped && s->run_burst && s->wake_at <= sim.now)
            sim_wake(s);
    }
}

/* A pseudo-random time in [lo, hi) (a fixed LCG: runs repeat exactly). */
static inline s_time_t sim_rand(s_time_t lo, s_time_t hi)
{
    sim.seed = sim.seed * 1103515245u + 12345u;
    return lo + (s_time_t)((sim.seed >> 8) % (uint32_t)((hi - lo) / MICROSECS(1))) *
                MICROSECS(1);
}

/*
 * With stalls: every 50-300 ms the emulator is descheduled for 20-100 ms, as on a loaded
 * host: whatever runs is charged for it, and timers fire late.
 */
static inline void sim_advance_stalling(s_time_t t)
{
    if (!sim.stalls || t < sim.next_stall) {
        sim_advance(t);
        return;
    }
    sim_advance(sim.next_stall);
    sim_advance(sim.now + sim_rand(MILLISECS(20), MILLISECS(100)));
    sim.next_stall = sim.now + sim_rand(MILLISECS(50), MILLISECS(300));
}

static inline void sim_run(s_time_t duration)
{
    s_time_t end = sim.now + duration;

    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++)
        sim.repick[cpu] = true;
    while (sim.now < end) {
        for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++) {
            if (sim.repick[cpu])
                sim_decide(cpu);
            sim.repick[cpu] = false;
        }
        sim_advance_stalling(sim_next_event(end));
        sim_events();
    }
    CHECK_EQ(sim.bad_affinity, 0);
    CHECK_EQ(sim.double_run, 0);
    CHECK_EQ(sim.ran_unrunnable, 0);
}

static inline double pct(s_time_t part, s_time_t whole)
{
    return 100.0 * (double)part / (double)whole;
}

/*
 * Two single-item domains (weight, cap each), made and woken in that order on cpu, free to
 * run where affinity allows, for duration.
 */
static inline void run_two(unsigned int weight_a, unsigned int cap_a, unsigned int weight_b,
                           unsigned int cap_b, unsigned int cpu, uint64_t affinity,
                           s_time_t duration, struct sim_item **a, struct sim_item **b)
{
    *a = sim_item(sim_dom(weight_a, cap_a), cpu, affinity);
    *b = sim_item(sim_dom(weight_b, cap_b), cpu, affinity);
    sim_wake(*a);
    sim_wake(*b);
    sim_run(duration);
}

#endif
