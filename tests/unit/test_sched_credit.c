/*
 * Host tests for kernel/sched/credit.c against a simulated clock (credit_sim.h plays the
 * core): weights, caps, boost, yield, affinity and stealing on one or a few pCPUs.
 * SCHED_TEST_VERBOSE=1 prints the measured figures.
 */
#include "../../kernel/sched/credit.c"
#include "harness.h"
#include "credit_sim.h"

TEST(credit_weights_512_256_share_2_to_1)
{
    struct sim_item *a, *b;
    double ratio;

    sim_init(1);
    run_two(512, 0, 256, 0, 0, 1, SECONDS(20), &a, &b);
    ratio = (double)a->ran / (double)b->ran;
    if (verbose())
        fprintf(stderr, "  512:256 -> %.3f:1 (%.1f%% / %.1f%%)\n", ratio,
                pct(a->ran, sim.now), pct(b->ran, sim.now));
    CHECK(ratio >= 1.8 && ratio <= 2.2);
    CHECK_EQ(sim.idle[0], 0);
    sim_fini();
}

TEST(credit_cap_holds_cpu_bound_domain)
{
    struct sim_item *a;

    sim_init(1);
    a = sim_item(sim_dom(256, 25), 0, 1);
    sim_wake(a);
    sim_run(SECONDS(20));
    if (verbose())
        fprintf(stderr, "  cap 25 alone: %.2f%%\n", pct(a->ran, sim.now));
    CHECK(pct(a->ran, sim.now) <= 27.0);
    CHECK(pct(a->ran, sim.now) >= 23.0);            /* and it does get its cap */
    sim_fini();
}

TEST(credit_cap_does_not_leak_to_neighbour)
{
    struct sim_item *a, *b, *c[4];
    struct sched_dom *capped, *free_dom;

    sim_init(1);
    run_two(256, 25, 256, 0, 0, 1, SECONDS(20), &a, &b);
    if (verbose())
        fprintf(stderr, "  cap 25 + uncapped: %.2f%% + %.2f%%\n", pct(a->ran, sim.now),
                pct(b->ran, sim.now));
    CHECK(pct(a->ran, sim.now) <= 27.0);
    CHECK(pct(b->ran, sim.now) >= 72.0);
    CHECK_EQ(sim.idle[0], 0);
    sim_fini();

    /* Two vCPUs capped at 50 (half of one pCPU) on two pCPUs, next to an uncapped pair. */
    sim_init(2);
    capped = sim_dom(256, 50);
    free_dom = sim_dom(256, 0);
    for (unsigned int i = 0; i < 4; i++) {
        c[i] = sim_item(i < 2 ? capped : free_dom, i % 2, 3);
        sim_wake(c[i]);
    }
    sim_run(SECONDS(20));
    if (verbose())
        fprintf(stderr, "  cap 50 over 2 vCPUs: %.2f%% of one pCPU; neighbour %.2f%%\n",
                pct(c[0]->ran + c[1]->ran, sim.now), pct(c[2]->ran + c[3]->ran, sim.now));
    CHECK(pct(c[0]->ran + c[1]->ran, sim.now) <= 52.0);
    CHECK(pct(c[2]->ran + c[3]->ran, sim.now) >= 145.0);
    sim_fini();
}

TEST(credit_boost_gives_prompt_wakeups)
{
    struct sim_item *hog, *io;

    sim_init(1);
    hog = sim_item(sim_dom(256, 0), 0, 1);
    io = sim_item(sim_dom(256, 0), 0, 1);
    io->run_burst = MILLISECS(1);
    io->sleep_time = MILLISECS(20);
    sim_wake(hog);
    io->wake_at = MILLISECS(55);                    /* first wakes while hog is running */
    sim_run(SECONDS(10));
    if (verbose())
        fprintf(stderr, "  boost: %u wakes, max latency %lld us; hog %.1f%%, io %.1f%%\n",
                io->wakes, (long long)io->max_latency / 1000, pct(hog->ran, sim.now),
                pct(io->ran, sim.now));
    CHECK(io->wakes > 400);                         /* 10 s / 21 ms */
    CHECK(io->max_latency <= MILLISECS(2));
    CHECK(pct(hog->ran, sim.now) >= 85.0);
    sim_fini();
}

/*
 * Credit saved while mostly asleep is clamped: turning CPU-bound next to a hog of three
 * times its weight, it soon drops to its 25% instead of riding a hoard at 50% (both UNDER).
 */
TEST(credit_sleeper_cannot_hoard)
{
    struct sim_item *hog, *x;
    s_time_t x0;

    sim_init(1);
    hog = sim_item(sim_dom(768, 0), 0, 1);
    x = sim_item(sim_dom(256, 0), 0, 1);
    x->run_burst = MILLISECS(1);
    x->sleep_time = MILLISECS(99);
    x->wake_at = MILLISECS(5);
    sim_wake(hog);
    sim_run(SECONDS(10));
    x0 = x->ran;
    x->run_burst = 0;                               /* now CPU-bound */
    if (x->blocked)
        sim_wake(x);
    sim_run(SECONDS(1));
    if (verbose())
        fprintf(stderr, "  hoard: ex-sleeper got %.1f%% of the next second\n",
                pct(x->ran - x0, SECONDS(1)));
    CHECK(x->ran - x0 <= MILLISECS(330));
    CHECK(x->ran - x0 >= MILLISECS(200));
    sim_fini();
}

TEST(credit_preempt_rules)
{
    struct sim_item *a, *b, *c;

    sim_init(1);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    c = sim_item(sim_dom(256, 0), 0, 1);
    CSCHED_ITEM(&c->si)->credit = -5000;         /* used more than its share: OVER */
    sim.pol->wake(&a->si, 0);
    CHECK(sim.pol->should_preempt(0, &a->si, NULL, 0));
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, &a->si);
    sim.pol->account(MILLISECS(10));                /* a's boost ends: plain UNDER */
    CHECK_EQ(CSCHED_ITEM(&a->si)->pri, CSCHED_PRI_UNDER);
    CSCHED_ITEM(&a->si)->credit = 20000;         /* stays UNDER for the next 1 ms run */
    sim.pol->wake(&b->si, MILLISECS(10));           /* credit left: BOOST */
    sim.pol->wake(&c->si, MILLISECS(10));           /* OVER: no boost */
    CHECK(sim.pol->should_preempt(0, &b->si, &a->si, MILLISECS(10)));
    CHECK(!sim.pol->should_preempt(0, &c->si, &a->si, MILLISECS(10)));
    CHECK(!sim.pol->should_preempt(1, &b->si, NULL, MILLISECS(10)));   /* not its pCPU */
    /* a is requeued: BOOSTed b first, then a (UNDER), then OVER c. */
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MILLISECS(11)).next, &b->si);
    CHECK_EQ(sim.pol->pick(0, &b->si, false, MILLISECS(12)).next, &a->si);
    CHECK_EQ(sim.pol->pick(0, &a->si, false, MILLISECS(13)).next, &c->si);
    CHECK(sim.pol->pick(0, &c->si, false, MILLISECS(14)).next == NULL);
    sim_fini();
}

/* SCHEDOP_yield: the yielder goes behind its equals; alone, it runs on. */
TEST(credit_yield_goes_behind_equals)
{
    struct sim_item *a, *b;

    sim_init(1);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, NULL);
    sim.pol->wake(&a->si, 0);
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, &a->si);
    a->si.yielded = true;                           /* alone: a yield keeps it on */
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MICROSECS(10)).next, &a->si);
    a->si.yielded = false;
    sim.pol->account(MILLISECS(10));                /* a's boost ends: plain UNDER */
    sim.pol->wake(&b->si, MILLISECS(10));
    sim.pol->account(MILLISECS(20));                /* b's boost ends too */
    CSCHED_ITEM(&a->si)->credit = 20000;         /* both stay UNDER from here */
    CSCHED_ITEM(&b->si)->credit = 20000;
    /* Without a yield a keeps the rest of its slice; with one, b (UNDER too) goes first. */
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MILLISECS(20)).next, &a->si);
    a->si.yielded = true;
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MILLISECS(21)).next, &b->si);
    a->si.yielded = false;
    b->si.yielded = true;
    CHECK_EQ(sim.pol->pick(0, &b->si, true, MILLISECS(22)).next, &a->si);
    sim_fini();
}

TEST(credit_affinity_never_violated)
{
    struct sim_item *pinned, *q, *r, *moved;
    struct sched_dom *d;

    sim_init(2);
    d = sim_dom(256, 0);
    pinned = sim_item(d, 1, 1ULL << 1);
    q = sim_item(d, 1, 3);
    r = sim_item(sim_dom(256, 0), 1, 3);
    sim_wake(pinned);
    sim_wake(q);
    sim_wake(r);
    sim_run(SECONDS(5));
    CHECK_EQ(pinned->ran_on[0], 0);
    CHECK(pinned->ran_on[1] > SECONDS(1));
    CHECK(q->ran_on[0] + r->ran_on[0] > SECONDS(4));    /* cpu 0 stole the others */
    sim_fini();

    /* Only a pinned item queued elsewhere: nothing to steal. */
    sim_init(2);
    pinned = sim_item(sim_dom(256, 0), 1, 1ULL << 1);
    sim.pol->wake(&pinned->si, 0);
    CHECK(sim.pol->steal(0, 0) == NULL);
    CHECK(sim.pol->pick(0, NULL, false, 0).next == NULL);
    /* Queued on cpu 0, then pinned to cpu 1 behind the policy's back: cpu 0 must skip it. */
    moved = sim_item(sim_dom(256, 0), 0, 1);
    sim.pol->wake(&moved->si, 0);
    moved->si.affinity = 1ULL << 1;
    CHECK(sim.pol->pick(0, NULL, false, 0).next == NULL);
    CHECK(sim.pol->steal(0, 0) == NULL);
    CHECK(sim.pol->steal(1, 0) == &moved->si);
    CHECK_EQ(moved->si.processor, 1);
    CHECK(sim.pol->pick(1, &moved->si, false, MILLISECS(1)).next == &pinned->si);
    sim_fini();
}

TEST(credit_idle_cpu_steals_and_both_progress)
{
    struct sim_item *a, *b;

    sim_init(2);
    run_two(256, 0, 256, 0, 0, 3, SECONDS(5), &a, &b);
    if (verbose())
        fprintf(stderr, "  steal: a %.1f%%, b %.1f%% of one pCPU\n", pct(a->ran, sim.now),
                pct(b->ran, sim.now));
    CHECK(pct(a->ran, sim.now) >= 90.0);
    CHECK(pct(b->ran, sim.now) >= 90.0);
    CHECK(a->ran_on[1] + b->ran_on[1] > SECONDS(4));
    sim_fini();
}

TEST(credit_steal_takes_under_before_over)
{
    struct sim_item *over, *under;

    sim_init(3);
    over = sim_item(sim_dom(256, 0), 1, 7);
    under = sim_item(sim_dom(256, 0), 2, 7);
    CSCHED_ITEM(&over->si)->credit = -20000;
    sim.pol->wake(&over->si, 0);                    /* first on the first queue scanned */
    sim.pol->wake(&under->si, 0);
    sim.pol->account(MILLISECS(10));                /* boost ends: UNDER vs OVER */
    CHECK_EQ(CSCHED_ITEM(&under->si)->pri, CSCHED_PRI_UNDER);
    CHECK_EQ(CSCHED_ITEM(&over->si)->pri, CSCHED_PRI_OVER);
    CHECK(sim.pol->steal(0, MILLISECS(10)) == &under->si);
    CHECK_EQ(under->si.processor, 0);
    /* under blocks; cpu 0 idles again and, with nothing better anywhere, takes OVER work. */
    CHECK(sim.pol->pick(0, &under->si, false, MILLISECS(11)).next == NULL);
    CHECK(sim.pol->steal(0, MILLISECS(11)) == &over->si);
    CHECK(sim.pol->steal(2, MILLISECS(11)) == NULL);
    sim_fini();
}

TEST(credit_adjust_validates)
{
    struct sched_dom *d;

    sim_init(2);
    d = sim_dom(256, 0);
    d->weight = 0;
    CHECK_EQ(sim.pol->adjust(d), -22);
    d->weight = 65536;
    CHECK_EQ(sim.pol->adjust(d), -22);
    d->weight = 1;
    CHECK_EQ(sim.pol->adjust(d), 0);
    d->weight = 65535;
    CHECK_EQ(sim.pol->adjust(d), 0);
    d->cap = 200;
    CHECK_EQ(sim.pol->adjust(d), 0);
    d->cap = 201;
    CHECK_EQ(sim.pol->adjust(d), -22);
    CHECK_EQ(sim.pol->sched_id, 5);
    CHECK(!strcmp(sim.pol->name, "SMP Credit Scheduler"));
    CHECK(!strcmp(sim.pol->opt_name, "credit"));
    CHECK_EQ(sim.pol->account_period, MILLISECS(10));
    sim_fini();
}

TEST(credit_slept_items_never_picked)
{
    struct sim_item *a, *b, *c, *capped;
    s_time_t before, b_before;

    sim_init(1);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    c = sim_item(sim_dom(256, 0), 0, 1);
    capped = sim_item(sim_dom(256, 10), 0, 1);
    sim_wake(a);
    sim_wake(b);
    sim_wake(c);
    sim_wake(capped);
    sim_run(SECONDS(1));
    CHECK(b->ran > 0 && capped->ran > 0);
    sim_stop(b);
    sim_stop(capped);
    before = b->ran + capped->ran;
    sim_run(SECONDS(2));                            /* sim_run checks nothing stopped ran */
    CHECK_EQ(b->ran + capped->ran, before);
    CHECK(a->ran > SECONDS(1) && c->ran > SECONDS(1));
    /* Woken again it runs again. */
    b_before = b->ran;
    b->stopped = false;
    sim_wake(b);
    sim_run(SECONDS(1));
    CHECK(b->ran > b_before + MILLISECS(100));
    sim_fini();
}

int main(void)
{
    RUN(credit_weights_512_256_share_2_to_1);
    RUN(credit_cap_holds_cpu_bound_domain);
    RUN(credit_cap_does_not_leak_to_neighbour);
    RUN(credit_boost_gives_prompt_wakeups);
    RUN(credit_sleeper_cannot_hoard);
    RUN(credit_preempt_rules);
    RUN(credit_yield_goes_behind_equals);
    RUN(credit_affinity_never_violated);
    RUN(credit_idle_cpu_steals_and_both_progress);
    RUN(credit_steal_takes_under_before_over);
    RUN(credit_adjust_validates);
    RUN(credit_slept_items_never_picked);
    HARNESS_EXIT();
}
