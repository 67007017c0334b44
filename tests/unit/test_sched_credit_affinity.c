/*
 * Host tests of credit's share-out over affinity (issue 9): entitlement counts the pCPUs a
 * domain may run on, idle pCPUs still go to whoever may use them, caps hold, and weights
 * survive lost ticks and host stalls. SCHED_TEST_VERBOSE=1 prints the measured figures.
 */
#include "../../kernel/sched/credit.c"
#include "harness.h"
#include "credit_sim.h"

/*
 * Issue 9: entitlement counts the pCPUs a domain may run on. Two CPU-bound domains pinned to
 * pCPU 0 of 2 share it 2:1 for weights 512:256 (handing out both pCPUs' credit made both
 * UNDER for good, 1:1), and pCPU 1, which neither may use, stays idle.
 */
TEST(credit_weights_hold_when_pinned_to_one_of_two)
{
    struct sim_item *a, *b;
    double ratio;

    sim_init(2);
    run_two(512, 0, 256, 0, 0, 1, SECONDS(20), &a, &b);
    ratio = (double)a->ran / (double)b->ran;
    if (verbose())
        fprintf(stderr, "  pinned to 1 of 2, 512:256 -> %.3f:1 (%.1f%% / %.1f%%)\n", ratio,
                pct(a->ran, sim.now), pct(b->ran, sim.now));
    CHECK(ratio >= 1.8 && ratio <= 2.2);
    CHECK_EQ(sim.idle[0], 0);
    CHECK_EQ(sim.idle[1], sim.now);
    sim_fini();
}

/* Unpinned, two vCPUs each on 2 pCPUs: weights 512:256 give 2:1 of the host, none idle. */
TEST(credit_weights_hold_unpinned_over_host)
{
    struct sched_dom *heavy, *light;
    struct sim_item *it[4];
    s_time_t h, l;
    double ratio;

    sim_init(2);
    heavy = sim_dom(512, 0);
    light = sim_dom(256, 0);
    for (unsigned int i = 0; i < 4; i++) {
        it[i] = sim_item(i < 2 ? heavy : light, i % 2, 3);
        sim_wake(it[i]);
    }
    sim_run(SECONDS(20));
    h = it[0]->ran + it[1]->ran;
    l = it[2]->ran + it[3]->ran;
    ratio = (double)h / (double)l;
    if (verbose())
        fprintf(stderr, "  unpinned 2+2 vCPUs on 2, 512:256 -> %.3f:1 (%.1f%% / %.1f%%)\n",
                ratio, pct(h, sim.now), pct(l, sim.now));
    CHECK(ratio >= 1.8 && ratio <= 2.2);
    CHECK_EQ(sim.idle[0] + sim.idle[1], 0);
    sim_fini();
}

/*
 * Work-conserving: a third, unpinned domain next to the pinned pair gets the pCPU they may
 * not use (its credit is not spent on pCPU 0's pair), and the pair still shares 2:1.
 */
TEST(credit_idle_pcpu_goes_to_unpinned_third)
{
    struct sim_item *a, *b, *c;
    double ratio;

    sim_init(2);
    c = sim_item(sim_dom(256, 0), 1, 3);
    sim_wake(c);
    run_two(512, 0, 256, 0, 0, 1, SECONDS(20), &a, &b);
    ratio = (double)a->ran / (double)b->ran;
    if (verbose())
        fprintf(stderr, "  pinned pair + unpinned third: %.3f:1, third %.1f%%\n", ratio,
                pct(c->ran, sim.now));
    CHECK(ratio >= 1.8 && ratio <= 2.2);
    CHECK(pct(c->ran, sim.now) >= 95.0);
    CHECK_EQ(sim.idle[0] + sim.idle[1], 0);
    sim_fini();
}

/* A cap stays exact whatever the affinity: 25 on pCPU 0 of 2 next to a pinned neighbour. */
TEST(credit_cap_exact_when_pinned)
{
    struct sim_item *a, *b;

    sim_init(2);
    run_two(512, 25, 256, 0, 0, 1, SECONDS(20), &a, &b);
    if (verbose())
        fprintf(stderr, "  pinned cap 25 + uncapped: %.2f%% + %.2f%%\n", pct(a->ran, sim.now),
                pct(b->ran, sim.now));
    CHECK(pct(a->ran, sim.now) <= 25.5);
    CHECK(pct(a->ran, sim.now) >= 24.0);
    CHECK(pct(b->ran, sim.now) >= 74.0);
    sim_fini();
}

/* One accounting period's credit for each item, all queued on cpu 0 and pCPUs all seen. */
static void one_period(struct sim_item **it, unsigned int n, int64_t *credit)
{
    for (unsigned int cpu = 0; cpu < sim.nr_cpus; cpu++)
        CHECK(sim.pol->pick(cpu, NULL, false, 0).next == NULL);
    for (unsigned int i = 0; i < n; i++)
        sim.pol->wake(&it[i]->si, 0);
    sim.pol->account(MILLISECS(10));
    for (unsigned int i = 0; i < n; i++)
        credit[i] = CSCHED_ITEM(&it[i]->si)->credit;
}

/*
 * The share-out itself (1 credit = 1 us): a pinned pair shares its pCPU by weight while an
 * unpinned third gets the other pCPU whole; and items pinned to {0,1} and to {1,2} compete
 * for all three pCPUs together (each of six gets half a pCPU, not 2/3 of one).
 */
TEST(credit_share_counts_reachable_pcpus)
{
    struct sim_item *it[6];
    int64_t credit[6];

    sim_init(2);
    it[0] = sim_item(sim_dom(512, 0), 0, 1);
    it[1] = sim_item(sim_dom(256, 0), 0, 1);
    it[2] = sim_item(sim_dom(256, 0), 0, 3);
    one_period(it, 3, credit);
    CHECK_EQ(credit[0], 6666);
    CHECK_EQ(credit[1], 3333);
    CHECK_EQ(credit[2], 10000);
    sim_fini();

    sim_init(3);
    for (unsigned int i = 0; i < 6; i++)
        it[i] = sim_item(sim_dom(256, 0), 0, i < 3 ? 3 : 6);
    one_period(it, 6, credit);
    for (unsigned int i = 0; i < 6; i++)
        CHECK_EQ(credit[i], 5000);
    sim_fini();
}

/*
 * Ticks that come more than a period late (an emulator thread descheduled) hand out every
 * period that passed: losing one tick in five left a deficit that sank both domains to
 * the credit floor, where weights stop counting. A cap still holds (a domain parked across
 * a lost tick loses that period's budget: 20% here, never more than 25%).
 */
TEST(credit_late_ticks_keep_weights_and_caps)
{
    struct sim_item *a, *b;
    double ratio;

    sim_init(2);
    sim.lose_every = 5;
    run_two(512, 0, 256, 0, 0, 1, SECONDS(20), &a, &b);
    ratio = (double)a->ran / (double)b->ran;
    if (verbose())
        fprintf(stderr, "  one tick in 5 lost, pinned 512:256 -> %.3f:1\n", ratio);
    CHECK(ratio >= 1.8 && ratio <= 2.2);
    sim_fini();

    sim_init(1);
    sim.lose_every = 5;
    run_two(256, 25, 256, 0, 0, 1, SECONDS(20), &a, &b);
    if (verbose())
        fprintf(stderr, "  one tick in 5 lost, cap 25: %.2f%%\n", pct(a->ran, sim.now));
    CHECK(pct(a->ran, sim.now) <= 25.5);
    sim_fini();
}

/*
 * Host stalls (20-100 ms, charged to whatever was running, ticks late) do not bend weights:
 * the debts and credit they leave are paid back rather than clamped away.
 */
TEST(credit_host_stalls_keep_weights)
{
    struct sim_item *a, *b;
    double ratio;

    sim_init(2);
    sim.stalls = true;
    sim.seed = 1;
    sim.next_stall = MILLISECS(100);
    run_two(512, 0, 256, 0, 0, 1, SECONDS(60), &a, &b);
    ratio = (double)a->ran / (double)b->ran;
    if (verbose())
        fprintf(stderr, "  host stalls, pinned 512:256 -> %.3f:1\n", ratio);
    CHECK(ratio >= 1.9 && ratio <= 2.1);
    sim_fini();
}

/*
 * A vCPU pinned away from the pCPU it last ran on, and woken before that pCPU moved it, is
 * queued where it may run: on its old pCPU's queue it would wait as long as its own pCPU
 * stays busy (Dom0 waited there a minute beside a busy guest).
 */
TEST(credit_wake_queues_only_where_the_item_may_run)
{
    struct sim_item *here, *there, *moved;

    sim_init(2);
    here = sim_item(sim_dom(256, 0), 0, 1);
    there = sim_item(sim_dom(256, 0), 1, 2);
    moved = sim_item(sim_dom(256, 0), 1, 1);      /* last on pCPU 1, now pinned to 0 */
    sim_wake(here);
    sim_wake(there);
    sim_run(MILLISECS(100));
    sim_wake(moved);
    sim_run(SECONDS(2));
    CHECK(pct(moved->ran, sim.now) >= 40.0);
    CHECK_EQ(sim.bad_affinity, 0);
    sim_fini();
}

/* Xen's two balance steps: an idle pCPU first takes queued work that prefers it (soft
 * affinity), and work preferring another pCPU only when there is no other. */
TEST(credit_idle_pcpu_takes_soft_affine_work_first)
{
    struct sim_item *busy, *elsewhere, *anywhere;

    sim_init(3);
    busy = sim_item(sim_dom(256, 0), 0, 7);
    elsewhere = sim_item(sim_dom(256, 0), 0, 7);
    anywhere = sim_item(sim_dom(256, 0), 0, 7);
    elsewhere->si.soft_affinity = 1ULL << 2;
    anywhere->si.soft_affinity = ~0ULL;
    busy->si.soft_affinity = ~0ULL;
    sim.pol->wake(&busy->si, 0);
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, &busy->si);
    sim.pol->wake(&elsewhere->si, 0);               /* first in pCPU 0's queue */
    sim.pol->wake(&anywhere->si, 0);
    CHECK(sim.pol->steal(1, MICROSECS(10)) == &anywhere->si);
    CHECK(sim.pol->pick(1, &anywhere->si, false, MICROSECS(20)).next == NULL);
    CHECK(sim.pol->steal(1, MICROSECS(30)) == &elsewhere->si);  /* nothing else: step 2 */
    sim_fini();
}

int main(void)
{
    RUN(credit_weights_hold_when_pinned_to_one_of_two);
    RUN(credit_wake_queues_only_where_the_item_may_run);
    RUN(credit_idle_pcpu_takes_soft_affine_work_first);
    RUN(credit_weights_hold_unpinned_over_host);
    RUN(credit_idle_pcpu_goes_to_unpinned_third);
    RUN(credit_cap_exact_when_pinned);
    RUN(credit_share_counts_reachable_pcpus);
    RUN(credit_late_ticks_keep_weights_and_caps);
    RUN(credit_host_stalls_keep_weights);
    HARNESS_EXIT();
}
