/*
 * Per-CPU timer queues. Each queue is a list sorted by expiry under the CPU's timer_lock;
 * its head is what the LAPIC timer is armed for. The timer interrupt only raises
 * TIMER_SOFTIRQ; the softirq runs expired callbacks and re-arms the LAPIC.
 */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <kumo/console.h>
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

void timer_set(struct timer *t, s_time_t expires)
{
    struct cpu_info *c = per_cpu(t->cpu);
    unsigned long flags;
    bool head;

    spin_lock_irqsave(&c->timer_lock, flags);
    if (t->active)
        list_del(&t->entry);
    t->expires = expires;
    queue_insert(c, t);
    head = c->timers.next == &t->entry;
    if (head && t->cpu == smp_processor_id())
        reprogram(c);
    spin_unlock_irqrestore(&c->timer_lock, flags);
    if (head && t->cpu != smp_processor_id())
        cpu_raise_softirq(t->cpu, TIMER_SOFTIRQ);
}

void timer_migrate(struct timer *t, unsigned int cpu)
{
    struct cpu_info *c = per_cpu(t->cpu);
    unsigned long flags;
    bool was_active;

    spin_lock_irqsave(&c->timer_lock, flags);
    was_active = t->active;
    if (was_active) {
        list_del(&t->entry);
        t->active = false;
    }
    t->cpu = cpu;
    spin_unlock_irqrestore(&c->timer_lock, flags);
    if (was_active)
        timer_set(t, t->expires);
}

void timer_cancel(struct timer *t)
{
    struct cpu_info *c = per_cpu(t->cpu);
    unsigned long flags;

    spin_lock_irqsave(&c->timer_lock, flags);
    if (t->active) {
        list_del(&t->entry);
        t->active = false;
    }
    spin_unlock_irqrestore(&c->timer_lock, flags);
}

static void timer_softirq(void)
{
    struct cpu_info *c = this_cpu();
    struct timer *t;

    spin_lock_irq(&c->timer_lock);
    while (!list_empty(&c->timers)) {
        t = list_first_entry(&c->timers, struct timer, entry);
        if (t->expires > NOW())
            break;
        list_del(&t->entry);
        t->active = false;
        spin_unlock_irq(&c->timer_lock);
        t->function(t->data);
        spin_lock_irq(&c->timer_lock);
    }
    reprogram(c);
    spin_unlock_irq(&c->timer_lock);
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
    apic_timer_setup_cpu();
}

void timer_subsys_init(void)
{
    open_softirq(TIMER_SOFTIRQ, timer_softirq);
    set_irq_handler(TIMER_VECTOR, timer_interrupt);
}
