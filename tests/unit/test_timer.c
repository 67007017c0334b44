/*
 * Host tests for kernel/timer.c: cancel, set and migration of one timer from two threads
 * standing for two CPUs change a queue only under that queue's lock, and leave the timer on
 * exactly the queue its cpu field names (or on none) with both queues whole; a killed timer
 * is never queued again, wherever it migrates.
 */
#include <pthread.h>
#include <kumo/spinlock.h>

/* User mode cannot CLI: the IRQ-saving variants become plain locks. */
#define ASM_IRQ_H
static inline unsigned long local_irq_save(void) { return 0; }
static inline void local_irq_restore(unsigned long f) { (void)f; }
static inline void local_irq_enable(void) {}
static inline void local_irq_disable(void) {}

/* Two CPUs; each test thread says which one it is. */
#define ASM_PERCPU_H
#include <kumo/list.h>
#include <kumo/timer.h>
struct cpu_info {
    unsigned int id;
    spinlock_t timer_lock;
    struct list_head timers;
    int64_t timer_programmed;
    struct timer *timer_running;
};
static struct cpu_info cpus[2];
static unsigned int nr_cpu_ids = 2;
static __thread unsigned int this_id;
static inline struct cpu_info *per_cpu(unsigned int cpu) { return &cpus[cpu]; }
static inline struct cpu_info *this_cpu(void) { return &cpus[this_id]; }
static inline unsigned int smp_processor_id(void) { return this_id; }

#define ASM_APIC_H
static inline void apic_timer_program(s_time_t deadline) { (void)deadline; }
static inline void apic_timer_setup_cpu(void) {}
#define TIMER_VECTOR 0xF0
#define ASM_TRAPS_H
struct cpu_user_regs;
typedef void (*irq_handler_fn)(struct cpu_user_regs *regs);
static inline void set_irq_handler(unsigned int vector, irq_handler_fn fn) { (void)vector, (void)fn; }

/*
 * Which thread holds each queue's lock, and every queue change checked against it: a
 * change made under another queue's lock shows at once, not only when it corrupts a list.
 */
static volatile unsigned int holder[2];
static volatile unsigned int wrong_lock;

static int queue_of_lock(spinlock_t *l)
{
    return l == &cpus[0].timer_lock ? 0 : l == &cpus[1].timer_lock ? 1 : -1;
}

static void checked_spin_lock(spinlock_t *l)
{
    spin_lock(l);
    if (queue_of_lock(l) >= 0)
        holder[queue_of_lock(l)] = this_id + 1;
}

static void checked_spin_unlock(spinlock_t *l)
{
    if (queue_of_lock(l) >= 0)
        holder[queue_of_lock(l)] = 0;
    spin_unlock(l);
}

/* The queue e is on (its head or an entry), read racily but bounded; -1 if none. */
static int queue_holding(struct list_head *e)
{
    for (int c = 0; c < 2; c++) {
        struct list_head *p = &cpus[c].timers;

        for (int n = 0; n < 64; n++, p = p->next) {
            if (p == e)
                return c;
            if (n && p == &cpus[c].timers)
                break;
        }
    }
    return -1;
}

static void check_queue_locked(struct list_head *e)
{
    int c = queue_holding(e);

    if (c >= 0 && holder[c] != this_id + 1)
        wrong_lock++;
}

static void checked_list_del(struct list_head *n)
{
    check_queue_locked(n);
    list_del(n);
}

static void checked_list_add_tail(struct list_head *n, struct list_head *pos)
{
    check_queue_locked(pos);
    list_add_tail(n, pos);
}

#define spin_lock checked_spin_lock
#define spin_unlock checked_spin_unlock
#define list_del checked_list_del
#define list_add_tail checked_list_add_tail
#include "../../kernel/timer.c"
#undef spin_lock
#undef spin_unlock
#undef list_del
#undef list_add_tail
#include "harness.h"

s_time_t NOW(void) { return 1; }
void raise_softirq(unsigned int nr) { (void)nr; }
void cpu_raise_softirq(unsigned int cpu, unsigned int nr) { (void)cpu, (void)nr; }
void open_softirq(unsigned int nr, void (*fn)(void)) { (void)nr, (void)fn; }

static void never(void *data) { (void)data; }

/* Entries on c's queue; -1 when its links do not agree. */
static long queue_length(struct cpu_info *c)
{
    long n = 0;

    for (struct list_head *p = c->timers.next; p != &c->timers; p = p->next) {
        if (p->next->prev != p || ++n > 1000)
            return -1;
    }
    return n;
}

static bool on_queue(struct cpu_info *c, struct timer *t)
{
    for (struct list_head *p = c->timers.next; p != &c->timers; p = p->next)
        if (p == &t->entry)
            return true;
    return false;
}

static struct timer racer, bystander[2];
static volatile bool stop;

static void *migrator(void *arg)
{
    this_id = 1;
    for (unsigned long i = 0; i < (unsigned long)arg; i++) {
        timer_migrate(&racer, i & 1);
        timer_set(&racer, 100 + (s_time_t)(i % 7));
    }
    stop = true;
    return NULL;
}

static void setup(void)
{
    for (unsigned int c = 0; c < 2; c++) {
        cpus[c].id = c;
        spin_lock_init(&cpus[c].timer_lock);
        list_init(&cpus[c].timers);
        timer_init(&bystander[c], never, NULL, c);
        timer_set(&bystander[c], 50);
    }
    timer_init(&racer, never, NULL, 0);
    stop = false;
    wrong_lock = 0;
}

TEST(cancel_and_migration_cannot_race)
{
    pthread_t th;

    setup();
    pthread_create(&th, NULL, migrator, (void *)200000UL);
    this_id = 0;
    while (!stop) {
        timer_cancel(&racer);
        timer_set(&racer, 90);
    }
    pthread_join(th, NULL);
    CHECK_EQ(wrong_lock, 0);
    for (unsigned int c = 0; c < 2; c++) {
        CHECK(queue_length(&cpus[c]) == 1 + (racer.active && racer.cpu == c));
        CHECK(on_queue(&cpus[c], &bystander[c]));
        CHECK_EQ(on_queue(&cpus[c], &racer), racer.active && racer.cpu == c);
    }
}

TEST(killed_timer_never_queued_again)
{
    pthread_t th;

    setup();
    pthread_create(&th, NULL, migrator, (void *)20000UL);
    this_id = 0;
    timer_kill(&racer);
    pthread_join(th, NULL);
    CHECK(!racer.active);
    CHECK(!on_queue(&cpus[0], &racer) && !on_queue(&cpus[1], &racer));
    CHECK_EQ(queue_length(&cpus[0]), 1);
    CHECK_EQ(queue_length(&cpus[1]), 1);
}

int main(void)
{
    RUN(cancel_and_migration_cannot_race);
    RUN(killed_timer_never_queued_again);
    HARNESS_EXIT();
}
