/*
 * Per-CPU timer queues. Each queue is a list sorted by expiry under the CPU's timer_lock;
 * its head is what the LAPIC timer is armed for. The timer interrupt only raises
 * TIMER_SOFTIRQ; the softirq runs expired callbacks and re-arms the LAPIC. t->cpu changes
 * only with its queue's lock held, so lock_timer() finds the queue t is really on; a
 * migration holds both queues' locks (lower CPU first), so no cancel or kill slips between.
 */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <kumo/console.h>
#include <kumo/lock_order.h>
#include <kumo/softirq.h>
#include <kumo/timer.h>

void timer_init(struct timer *t, void (*function)(void *data), void *data, unsigned int cpu)
{
    list_init(&t->entry);
    t->expires = 0;
    t->function = function;
    t->data = data;
    t->cpu = cpu;
    t->active = false;
    t->killed = false;
}

/* Locks the queue t is on, whatever migrations run meanwhile. */
static struct cpu_info *lock_timer(struct timer *t, unsigned long *flags)
{
    for (;;) {
        unsigned int cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        struct cpu_info *c = per_cpu(cpu);

        lock_level_irqsave(&c->timer_lock, *flags, LOCK_LEVEL_TIMER);
        if (t->cpu == cpu)
            return c;
        unlock_level_irqrestore(&c->timer_lock, *flags, LOCK_LEVEL_TIMER);
    }
}

bool timer_is_active(const struct timer *t)
{
    return t->active;
}

static void queue_insert(struct cpu_info *c, struct timer *t)
{
    struct timer *pos;

    list_for_each_entry(pos, &c->timers, entry)
        if (pos->expires > t->expires)
            break;
    list_add_tail(&t->entry, &pos->entry);
    t->active = true;
}

/* Called with the queue lock held on c's own CPU. */
static void reprogram(struct cpu_info *c)
{
    s_time_t next = list_empty(&c->timers) ? 0
                  : list_first_entry(&c->timers, struct timer, entry)->expires;

    if (next && next < 1)
        next = 1;
    c->timer_programmed = next;
    apic_timer_program(next);
}

/* Queues t at expires on c (locked); true if it became the head, to re-arm the LAPIC. */
static bool queue_locked(struct cpu_info *c, struct timer *t, s_time_t expires)
{
    if (t->active)
        list_del(&t->entry);
    t->active = false;
    if (t->killed)
        return false;
    t->expires = expires;
    queue_insert(c, t);
    return c->timers.next == &t->entry;
}

/* The head of c's queue changed: its own CPU re-arms the LAPIC, another is asked to. */
static void head_changed(struct cpu_info *c)
{
    if (c->id == smp_processor_id())
        reprogram(c);
    else
        cpu_raise_softirq(c->id, TIMER_SOFTIRQ);
}

void timer_set(struct timer *t, s_time_t expires)
{
    unsigned long flags;
    struct cpu_info *c = lock_timer(t, &flags);

    if (queue_locked(c, t, expires))
        head_changed(c);
    unlock_level_irqrestore(&c->timer_lock, flags, LOCK_LEVEL_TIMER);
}

void timer_migrate(struct timer *t, unsigned int cpu)
{
    struct cpu_info *old, *new = per_cpu(cpu);
    unsigned long flags;

    for (;;) {
        unsigned int from = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);

        old = per_cpu(from);
        if (from == cpu)
            return;
        flags = local_irq_save();
        lock_order_take(LOCK_LEVEL_TIMER);
        lock_order_take(LOCK_LEVEL_TIMER);
        spin_lock(from < cpu ? &old->timer_lock : &new->timer_lock);
        spin_lock(from < cpu ? &new->timer_lock : &old->timer_lock);
        if (t->cpu == from)
            break;
        spin_unlock(&old->timer_lock);
        spin_unlock(&new->timer_lock);
        lock_order_drop(LOCK_LEVEL_TIMER);
        lock_order_drop(LOCK_LEVEL_TIMER);
        local_irq_restore(flags);
    }
    __atomic_store_n(&t->cpu, cpu, __ATOMIC_RELEASE);
    if (t->active && queue_locked(new, t, t->expires))
        head_changed(new);
    spin_unlock(&old->timer_lock);
    spin_unlock(&new->timer_lock);
    lock_order_drop(LOCK_LEVEL_TIMER);
    lock_order_drop(LOCK_LEVEL_TIMER);
    local_irq_restore(flags);
}

void timer_cancel(struct timer *t)
{
    unsigned long flags;
    struct cpu_info *c = lock_timer(t, &flags);

    if (t->active) {
        list_del(&t->entry);
        t->active = false;
    }
    unlock_level_irqrestore(&c->timer_lock, flags, LOCK_LEVEL_TIMER);
}

void timer_kill(struct timer *t)
{
    unsigned long flags;
    struct cpu_info *c = lock_timer(t, &flags);

    t->killed = true;
    if (t->active) {
        list_del(&t->entry);
        t->active = false;
    }
    unlock_level_irqrestore(&c->timer_lock, flags, LOCK_LEVEL_TIMER);
    /*
     * The callback may have been taken off another queue before a migration moved t->cpu:
     * look at every CPU but this one, whose callback cannot be running beneath us.
     */
    for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
        if (cpu != smp_processor_id())
            while (__atomic_load_n(&per_cpu(cpu)->timer_running, __ATOMIC_ACQUIRE) == t)
                cpu_relax();
}

static void timer_softirq(void)
{
    struct cpu_info *c = this_cpu();
    struct timer *t;

    local_irq_disable();
    lock_order_take(LOCK_LEVEL_TIMER);
    spin_lock(&c->timer_lock);
    while (!list_empty(&c->timers)) {
        t = list_first_entry(&c->timers, struct timer, entry);
        if (t->expires > NOW())
            break;
        list_del(&t->entry);
        t->active = false;
        __atomic_store_n(&c->timer_running, t, __ATOMIC_RELEASE);
        spin_unlock(&c->timer_lock);
        lock_order_drop(LOCK_LEVEL_TIMER);
        local_irq_enable();
        t->function(t->data);
        local_irq_disable();
        lock_order_take(LOCK_LEVEL_TIMER);
        spin_lock(&c->timer_lock);
        __atomic_store_n(&c->timer_running, NULL, __ATOMIC_RELEASE);
    }
    reprogram(c);
    spin_unlock(&c->timer_lock);
    lock_order_drop(LOCK_LEVEL_TIMER);
    local_irq_enable();
}

static void timer_interrupt(struct cpu_user_regs *regs)
{
    (void)regs;
    raise_softirq(TIMER_SOFTIRQ);
}

void timer_init_cpu(unsigned int cpu)
{
    struct cpu_info *c = per_cpu(cpu);

    spin_lock_init(&c->timer_lock);
    list_init(&c->timers);
    c->timer_programmed = 0;
    c->timer_running = NULL;
    apic_timer_setup_cpu();
}

void timer_subsys_init(void)
{
    open_softirq(TIMER_SOFTIRQ, timer_softirq);
    set_irq_handler(TIMER_VECTOR, timer_interrupt);
}
