/*
 * Boot-time check of the timer path on every CPU: a timer armed from the boot CPU for each
 * online CPU must fire on that CPU, not before its deadline and at most a tolerance after.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/console.h>
#include <kumo/softirq.h>
#include <kumo/timer.h>

#define SELFTEST_DELAY     MILLISECS(20)
#define SELFTEST_TOLERANCE MILLISECS(50)    /* generous: emulated CPUs are descheduled */
#define SELFTEST_WAIT      SECONDS(3)
/*
 * A probe late beyond the tolerance is armed again, up to this many times in all: an
 * emulator whose CPU thread the host descheduled delivers one interrupt late, while a
 * fault in the timer path makes every attempt late. Early or never is a failure at once.
 */
#define SELFTEST_ATTEMPTS  3

struct timer_probe {
    struct timer timer;
    s_time_t deadline;
    s_time_t fired;
    unsigned int ran_on;
    volatile bool done;
};

static struct timer_probe probes[NR_CPUS];

static void probe_fire(void *data)
{
    struct timer_probe *p = data;

    p->fired = NOW();
    p->ran_on = smp_processor_id();
    __atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
}

static bool all_done(uint64_t want)
{
    unsigned int cpu;

    for_each_online_cpu(cpu)
        if ((want & (1ULL << cpu)) && !__atomic_load_n(&probes[cpu].done, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

/* 1: in its window; 0: late (worth another attempt); -1: failed for good. */
static int check_probe(unsigned int cpu)
{
    struct timer_probe *p = &probes[cpu];
    s_time_t late = p->fired - p->deadline;

    if (!p->done) {
        timer_cancel(&p->timer);
        printk("Timer self-check: CPU %u: timer never fired\n", cpu);
        return -1;
    }
    printk("Timer self-check: CPU %u fired %ld us after its deadline\n", cpu,
           (long)(late / 1000));
    if (p->ran_on != cpu) {
        printk("Timer self-check: CPU %u's timer ran on CPU %u\n", cpu, p->ran_on);
        return -1;
    }
    if (late < 0 || late > SELFTEST_TOLERANCE) {
        printk("Timer self-check: CPU %u fired %s its window\n", cpu, late < 0 ? "before" : "after");
        return late < 0 ? -1 : 0;
    }
    return 1;
}

static void arm_probe(unsigned int cpu)
{
    struct timer_probe *p = &probes[cpu];

    p->done = false;
    timer_init(&p->timer, probe_fire, p, cpu);
    p->deadline = NOW() + SELFTEST_DELAY;
    timer_set(&p->timer, p->deadline);
}

/* Arms the probes in want, waits for them, and moves each to ok, late or failed. */
static void run_round(uint64_t want, uint64_t *ok, uint64_t *late, uint64_t *failed)
{
    unsigned int cpu;
    s_time_t give_up;

    for_each_online_cpu(cpu)
        if (want & (1ULL << cpu))
            arm_probe(cpu);
    give_up = NOW() + SELFTEST_WAIT;
    /* The boot CPU's own probe runs from its softirq: run them while waiting. */
    while (!all_done(want) && NOW() < give_up) {
        local_irq_enable();
        do_softirq();
        cpu_relax();
    }
    *late = 0;
    for_each_online_cpu(cpu) {
        int r;

        if (!(want & (1ULL << cpu)))
            continue;
        r = check_probe(cpu);
        *(r > 0 ? ok : r == 0 ? late : failed) |= 1ULL << cpu;
    }
}

bool timer_selftest(void)
{
    uint64_t want = 0, ok = 0, late = 0, failed = 0;
    unsigned int cpu, n = 0, nfailed = 0, attempt;

    for_each_online_cpu(cpu) {
        want |= 1ULL << cpu;
        n++;
    }
    for (attempt = 1; want && attempt <= SELFTEST_ATTEMPTS; attempt++) {
        run_round(want, &ok, &late, &failed);
        want = late;
    }
    failed |= late;
    for_each_online_cpu(cpu)
        nfailed += !!(failed & (1ULL << cpu));
    if (!failed)
        printk("Timer self-check passed on %u CPUs (tolerance %ld ms, %u attempts)\n", n,
               (long)(SELFTEST_TOLERANCE / 1000000), attempt - 1);
    else
        printk("Timer self-check FAILED on %u of %u CPUs\n", nfailed, n);
    return !failed;
}
