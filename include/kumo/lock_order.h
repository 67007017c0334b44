/*
 * The lock order of docs/locking.md, checked where it is cheap: a CPU takes the levelled
 * locks below only in increasing level (equal levels nest only where the code orders them,
 * as double_lock() does by domid). Debug builds count each level held per CPU and ASSERT
 * before taking a lock that none of a higher level is held; release builds check nothing.
 */
#ifndef KUMO_LOCK_ORDER_H
#define KUMO_LOCK_ORDER_H

#include <asm/irq.h>
#include <kumo/panic.h>

enum lock_level {
    LOCK_LEVEL_EVENT,           /* d->event_lock (two at most, lower domid first) */
    LOCK_LEVEL_SCHED,           /* sched_lock */
    LOCK_LEVEL_TIMER,           /* a CPU's timer_lock (two at most, lower CPU first) */
    LOCK_LEVEL_LEAF,            /* domlist_lock, released_lock: nothing levelled inside */
    LOCK_LEVELS
};

#if !defined(NDEBUG) && !defined(KUMO_HOST_TEST)
#include <asm/percpu.h>

static inline void lock_order_take(enum lock_level l)
{
    struct cpu_info *c = this_cpu();

    for (unsigned int i = l + 1; i < LOCK_LEVELS; i++)
        ASSERT(!c->locks_held[i]);
    c->locks_held[l]++;
}

static inline void lock_order_drop(enum lock_level l)
{
    ASSERT(this_cpu()->locks_held[l]);
    this_cpu()->locks_held[l]--;
}

/* This CPU holds a lock of level l (for ASSERTs of "called under ..."). */
static inline bool lock_level_held(enum lock_level l)
{
    return this_cpu()->locks_held[l] != 0;
}
#else
static inline void lock_order_take(enum lock_level l) { (void)l; }
static inline void lock_order_drop(enum lock_level l) { (void)l; }
static inline bool lock_level_held(enum lock_level l) { (void)l; return true; }
#endif

/* spin_lock_irqsave/irqrestore for a levelled lock: checked before it can deadlock. */
#define lock_level_irqsave(l, f, lvl) \
    do { (f) = local_irq_save(); lock_order_take(lvl); spin_lock(l); } while (0)
#define unlock_level_irqrestore(l, f, lvl) \
    do { spin_unlock(l); lock_order_drop(lvl); local_irq_restore(f); } while (0)

#endif
