/*
 * The scheduler-policy interface (DESIGN.md D6). The core (kernel/sched/core.c) owns vCPU
 * state, hard affinity, timers and migration; a policy only decides which runnable item a
 * pCPU runs next and for how long. Policies never touch struct vcpu: they see a
 * struct sched_item per vCPU and a struct sched_dom per domain, so the same policy files
 * run in the hypervisor and in host unit tests against a simulated clock.
 *
 * Locking: the core serialises every call into the policy with one lock (sched_lock,
 * interrupts off), so policies need no locks of their own.
 */
#ifndef KUMO_SCHED_POLICY_H
#define KUMO_SCHED_POLICY_H

#include <kumo/list.h>
#include <kumo/time.h>

#define SCHED_MAX_CPUS 64

struct sched_dom {
    unsigned int domid;
    /* credit */
    unsigned int weight;            /* 1..65535, default 256 */
    unsigned int cap;               /* % of one pCPU, 0 = no cap */
    /* SEDF (kumo's own parameter set, scheduler id 4, see docs/hypercalls.md) */
    s_time_t period, slice, latency;
    bool extra;                     /* may use idle time beyond its slice */
    /* SEDF's record, for tests: periods that ended while runnable, and those that ended
     * with slice left unrun (a missed deadline). */
    unsigned long periods, deadlines_missed;
    unsigned int nr_items;          /* its vCPUs known to the policy */
    void *priv;                     /* policy's per-domain data */
};

struct sched_item {
    unsigned int id;                /* vCPU number within the domain (for messages/tests) */
    struct sched_dom *dom;
    unsigned int processor;         /* pCPU whose queue holds it / that runs it (core-owned) */
    uint64_t affinity;              /* hard affinity: pCPUs it may run on (core-owned) */
    uint64_t soft_affinity;         /* soft affinity: pCPUs it prefers (core-owned) */
    bool is_running;                /* core-owned: currently on a pCPU */
    bool yielded;                   /* core-owned: asked to yield (SCHEDOP_yield) since the
                                       last pick; pick() must not keep it on by preference */
    void *priv;                     /* policy's per-item data */
};

/* Where it would rather run: its soft affinity within its hard one, or the hard one when
 * the two do not meet (Xen's rule: a soft affinity outside the hard one is no preference). */
static inline uint64_t sched_preferred(const struct sched_item *it)
{
    uint64_t both = it->affinity & it->soft_affinity;

    return both ? both : it->affinity;
}

struct sched_decision {
    struct sched_item *next;        /* NULL: the pCPU idles */
    s_time_t slice;                 /* run at most this long before pick() is called again */
};

/* A policy's host-wide parameters, in XEN_SYSCTL_scheduler_op's units (credit's). */
struct sched_global {
    uint32_t tslice_ms, ratelimit_us, migr_delay_us;
};

struct sched_policy {
    const char *name;               /* "SMP Credit Scheduler" */
    const char *opt_name;           /* "credit", as in sched= */
    unsigned int sched_id;          /* XEN_SCHEDULER_CREDIT (5); SEDF uses 4 */
    s_time_t account_period;        /* how often the core calls account(); 0 = never */

    /* Policy-global state for nr_cpus pCPUs. 0 or -ENOMEM. */
    int (*init)(unsigned int nr_cpus);
    int (*dom_init)(struct sched_dom *d);
    void (*dom_destroy)(struct sched_dom *d);
    int (*item_init)(struct sched_item *it);
    void (*item_destroy)(struct sched_item *it);
    /*
     * it became runnable (woke, was unpaused): queue it on it->processor. An item that is
     * still the running one of its pCPU (it blocked, and woke before that pCPU's next pick)
     * is left alone: the core passes it to pick() as a runnable prev instead.
     */
    void (*wake)(struct sched_item *it, s_time_t now);
    /* it stopped being runnable (blocked, paused, dying): unqueue it if queued. */
    void (*sleep)(struct sched_item *it);
    /*
     * cpu must choose what to run at time now. prev ran on cpu until now (NULL when cpu was
     * idle); prev_runnable says whether it still wants to run (the policy requeues it then).
     * The returned item is taken off the queue and must allow cpu in its affinity.
     */
    struct sched_decision (*pick)(unsigned int cpu, struct sched_item *prev, bool prev_runnable,
                                  s_time_t now);
    /* Periodic accounting (credit: every 10 ms, shared out by weight, caps enforced). */
    void (*account)(s_time_t now);
    /* An idle cpu looks for queued work on another pCPU it may take (NULL: none). */
    struct sched_item *(*steal)(unsigned int cpu, s_time_t now);
    /* True when a just-woken it should preempt what cpu is running (boost, earlier deadline). */
    bool (*should_preempt)(unsigned int cpu, struct sched_item *woken, struct sched_item *curr,
                           s_time_t now);
    /* Checks and applies new domain parameters (already copied into d by the caller). */
    int (*adjust)(struct sched_dom *d);
    /*
     * Optional: with set, checks g as Xen does (-EINVAL) and applies it; then (or without
     * set) fills g with the parameters in force.
     */
    int (*global)(struct sched_global *g, bool set);
    /* Optional, for debug keys: prints each pCPU's running item and queue through out. */
    void (*dump)(void (*out)(const char *fmt, ...));
};

/*
 * The core calls every hook under sched_lock (docs/locking.md); debug builds check it where
 * a policy unlinks what others walk (teardown), so a caller without it panics at once
 * instead of corrupting a run queue now and then.
 */
#ifdef KUMO_HOST_TEST
#define SCHED_ASSERT_LOCKED() ((void)0)
#else
#include <kumo/lock_order.h>
#define SCHED_ASSERT_LOCKED() ASSERT(lock_level_held(LOCK_LEVEL_SCHED))
#endif

extern const struct sched_policy sched_credit;
extern const struct sched_policy sched_sedf;

#endif
