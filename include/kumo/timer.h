/*
 * Timer queue: one sorted queue per CPU, driven by that CPU's LAPIC timer. Callbacks run on
 * the timer's CPU in softirq context with interrupts enabled and no timer lock held.
 */
#ifndef KUMO_TIMER_H
#define KUMO_TIMER_H

#include <kumo/list.h>
#include <kumo/time.h>

struct timer {
    struct list_head entry;
    s_time_t expires;
    void (*function)(void *data);
    void *data;
    unsigned int cpu;           /* whose queue; changes only with that queue's lock held */
    bool active;
    bool killed;                /* timer_kill()ed: never queued again */
};

/* Prepares t to run function(data) on cpu. t must not be active. */
void timer_init(struct timer *t, void (*function)(void *data), void *data, unsigned int cpu);
/* (Re)arms t for system time expires; a past deadline fires at once. Any CPU may call. */
void timer_set(struct timer *t, s_time_t expires);
/*
 * Disarms t if armed. Does not wait for a callback already running on another CPU, which
 * may arm t again: an owner about to free t uses timer_kill().
 */
void timer_cancel(struct timer *t);
/*
 * Disarms t for good (later timer_set()s are ignored) and waits until no callback of t
 * runs on another CPU. After it returns, t's memory and what its data points to may be
 * freed. Not with a lock held that t's callback takes.
 */
void timer_kill(struct timer *t);
bool timer_is_active(const struct timer *t);
/* Moves t to cpu's queue, keeping its deadline (vCPU migration). */
void timer_migrate(struct timer *t, unsigned int cpu);

/* Per-CPU queue set-up (each CPU, before interrupts are enabled) and the softirq hook. */
void timer_init_cpu(unsigned int cpu);
void timer_subsys_init(void);

/* Boot self-check: a timer on every online CPU fires, on that CPU, within tolerance. */
bool timer_selftest(void);

#endif
