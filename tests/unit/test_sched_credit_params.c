/*
 * Host tests for credit's host-wide parameters (kernel/sched/credit.c's global(), what
 * XEN_SYSCTL_scheduler_op and the boot options set): Xen's ranges, the slice, the rate
 * limit and the migration delay, each as Xen's credit1 applies it.
 */
#include "../../kernel/sched/credit.c"
#include "harness.h"
#include "credit_sim.h"

static struct sched_global xen_defaults = { 30, 1000, 0 };

static int set(uint32_t tslice_ms, uint32_t ratelimit_us, uint32_t migr_delay_us)
{
    struct sched_global g = { tslice_ms, ratelimit_us, migr_delay_us };

    return sim.pol->global(&g, true);
}

static void restore_defaults(void)
{
    struct sched_global g = xen_defaults;

    CHECK_EQ(sim.pol->global(&g, true), 0);
}

TEST(credit_parameters_start_at_xens_defaults_and_keep_its_ranges)
{
    struct sched_global g = { 0 };

    sim_init(1);
    CHECK_EQ(sim.pol->global(&g, false), 0);
    CHECK(g.tslice_ms == 30 && g.ratelimit_us == 1000 && g.migr_delay_us == 0);
    CHECK_EQ(set(0, 0, 0), -22);                    /* the slice: 1 to 1000 ms */
    CHECK_EQ(set(1001, 0, 0), -22);
    CHECK_EQ(set(30, 99, 0), -22);                  /* the rate limit: 0, or 100 us to 0.5 s */
    CHECK_EQ(set(1000, 500001, 0), -22);
    CHECK_EQ(set(1, 1001, 0), -22);                 /* never above the slice */
    CHECK_EQ(set(30, 1000, 100001), -22);           /* the migration delay: 100 ms at most */
    CHECK_EQ(sim.pol->global(&g, false), 0);
    CHECK(g.tslice_ms == 30 && g.ratelimit_us == 1000);     /* nothing refused applied */
    CHECK_EQ(set(1000, 500000, 100000), 0);
    CHECK_EQ(set(10, 0, 2000), 0);
    CHECK_EQ(sim.pol->global(&g, false), 0);
    CHECK(g.tslice_ms == 10 && g.ratelimit_us == 0 && g.migr_delay_us == 2000);
    restore_defaults();
    sim_fini();
}

/* A picked vCPU keeps its pCPU for the rate limit even against a boosted waker; with a
 * limit of 0 it gives way at once. */
TEST(credit_ratelimit_keeps_a_just_picked_vcpu_on)
{
    struct sim_item *a, *b;
    struct sched_decision dec;

    sim_init(1);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    CSCHED_ITEM(&a->si)->credit = -5000;            /* OVER: anything boosted preempts it */
    sim.pol->wake(&a->si, 0);
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, &a->si);
    sim.pol->wake(&b->si, MICROSECS(400));
    CHECK(sim.pol->should_preempt(0, &b->si, &a->si, MICROSECS(400)));
    dec = sim.pol->pick(0, &a->si, true, MICROSECS(400));
    CHECK_EQ(dec.next, &a->si);
    CHECK_EQ(dec.slice, MICROSECS(600));            /* to the end of its 1000 us */
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MICROSECS(1000)).next, &b->si);
    sim.pol->pick(0, &b->si, false, MICROSECS(1100));   /* b blocks: a again, afresh */

    CHECK_EQ(set(30, 0, 0), 0);
    CSCHED_ITEM(&b->si)->credit = 5000;             /* wakes boosted again */
    sim.pol->wake(&b->si, MICROSECS(1200));
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MICROSECS(1300)).next, &b->si);
    restore_defaults();
    sim_fini();
}

/* A yield is never held to the limit: the yielder's equal goes first at once. */
TEST(credit_ratelimit_lets_a_yielder_go)
{
    struct sim_item *a, *b, *x;

    sim_init(1);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    sim.pol->wake(&a->si, 0);
    sim.pol->wake(&b->si, 0);
    sim.pol->account(MILLISECS(10));                /* boosts end: both UNDER */
    CSCHED_ITEM(&a->si)->credit = CSCHED_ITEM(&b->si)->credit = 20000;
    x = sim_of(sim.pol->pick(0, NULL, false, MILLISECS(10)).next);
    CHECK(x == a || x == b);
    x->si.yielded = true;
    CHECK_EQ(sim.pol->pick(0, &x->si, true, MILLISECS(10) + MICROSECS(100)).next,
             x == a ? &b->si : &a->si);
    sim_fini();
}

TEST(credit_tslice_bounds_every_slice)
{
    struct sim_item *a, *b;
    s_time_t longest = 0;

    sim_init(1);
    CHECK_EQ(set(5, 1000, 0), 0);
    a = sim_item(sim_dom(256, 0), 0, 1);
    b = sim_item(sim_dom(256, 0), 0, 1);
    sim_wake(a);
    sim_wake(b);
    for (int i = 0; i < 200; i++) {
        struct sched_decision dec = sim.pol->pick(0, sim.curr[0] ? &sim.curr[0]->si : NULL,
                                                  sim.curr[0] != NULL, sim.now);

        longest = MAX(longest, dec.slice);
        sim.curr[0] = sim_of(dec.next);
        sim.now += dec.slice;
        if (sim.now >= sim.next_acct) {
            sim.pol->account(sim.next_acct);
            sim.next_acct += sim.pol->account_period;
        }
    }
    CHECK(longest <= MILLISECS(5));
    CHECK(longest > MILLISECS(1));
    restore_defaults();
    sim_fini();
}

/* An idle pCPU leaves a vCPU that stopped on another less than the delay ago. */
TEST(credit_migration_delay_keeps_a_cache_hot_vcpu_home)
{
    struct sim_item *a, *b;

    sim_init(2);
    CHECK_EQ(set(30, 1000, 2000), 0);
    a = sim_item(sim_dom(256, 0), 0, 3);
    b = sim_item(sim_dom(256, 0), 0, 3);
    sim.pol->wake(&a->si, 0);
    sim.pol->wake(&b->si, 0);
    CHECK_EQ(sim.pol->pick(0, NULL, false, 0).next, &a->si);
    /* a's turn ends at 5 ms and it is queued behind b on pCPU 0. */
    CHECK_EQ(sim.pol->pick(0, &a->si, true, MILLISECS(40)).next, &b->si);
    CHECK(sim.pol->steal(1, MILLISECS(41)) == NULL);            /* 1 ms after it ran */
    CHECK(sim.pol->steal(1, MILLISECS(43)) == &a->si);          /* 3 ms after */
    CHECK_EQ(set(30, 1000, 0), 0);
    restore_defaults();
    sim_fini();
}

int main(void)
{
    RUN(credit_parameters_start_at_xens_defaults_and_keep_its_ranges);
    RUN(credit_ratelimit_keeps_a_just_picked_vcpu_on);
    RUN(credit_ratelimit_lets_a_yielder_go);
    RUN(credit_tslice_bounds_every_slice);
    RUN(credit_migration_delay_keeps_a_cache_hot_vcpu_home);
    return harness_failures ? 1 : 0;
}
