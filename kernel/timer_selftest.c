/*
 * Boot-time check of the timer path on every CPU: a timer armed from the boot CPU for each
 * online CPU must fire on that CPU, not before its deadline and at most a tolerance after.
 * Then timer_kill() from the boot CPU, while another CPU runs the timer's callback, must
 * return only after that callback has finished, and the callback's re-arm must be refused.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/console.h>
#include <kumo/softirq.h>
#include <kumo/timer.h>

#define SELFTEST_DELAY     MILLISECS(20)
#define SELFTEST_TOLERANCE MILLISECS(50)    /* generous: emulated CPUs are descheduled */
#define SELFTEST_WAIT      SECONDS(3)

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

static bool all_done(void)
{
    unsigned int cpu;

    for_each_online_cpu(cpu)
        if (!__atomic_load_n(&probes[cpu].done, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

static bool check_probe(unsigned int cpu)
{
    struct timer_probe *p = &probes[cpu];
    s_time_t late = p->fired - p->deadline;

    if (!p->done) {
        timer_cancel(&p->timer);
        printk("Timer self-check: CPU %u: timer never fired\n", cpu);
        return false;
    }
    printk("Timer self-check: CPU %u fired %ld us after its deadline\n", cpu,
           (long)(late / 1000));
    if (p->ran_on != cpu) {
        printk("Timer self-check: CPU %u's timer ran on CPU %u\n", cpu, p->ran_on);
        return false;
    }
    if (late < 0 || late > SELFTEST_TOLERANCE) {
        printk("Timer self-check: CPU %u fired %s its window\n", cpu, late < 0 ? "before" : "after");
        return false;
    }
    return true;
}

#define KILL_CALLBACK_US   5000

static struct {
    struct timer timer;
    volatile unsigned int runs;
    volatile bool running;
} kill_probe;

/* Long enough for the boot CPU to call timer_kill() while it runs; then it re-arms itself. */
static void kill_probe_fire(void *unused)
{
    (void)unused;
    __atomic_store_n(&kill_probe.running, true, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&kill_probe.runs, 1, __ATOMIC_SEQ_CST);
    udelay(KILL_CALLBACK_US);
    timer_set(&kill_probe.timer, NOW());
    __atomic_store_n(&kill_probe.running, false, __ATOMIC_SEQ_CST);
}

/* timer_kill_waits_for_running_callback, on the first online CPU other than the boot CPU. */
static bool kill_check(void)
{
    unsigned int cpu, target = 0, runs;
    s_time_t give_up = NOW() + SELFTEST_WAIT;
    bool waited;

    for_each_online_cpu(cpu)
        if (cpu != smp_processor_id() && !target)
            target = cpu;
    if (!target)
        return true;                    /* one CPU: no callback can run beside the killer */
    timer_init(&kill_probe.timer, kill_probe_fire, NULL, target);
    timer_set(&kill_probe.timer, NOW());
    while (!__atomic_load_n(&kill_probe.running, __ATOMIC_SEQ_CST) && NOW() < give_up)
        cpu_relax();
    if (!kill_probe.running) {
        printk("Timer self-check: CPU %u's kill probe never ran\n", target);
        return false;
    }
    timer_kill(&kill_probe.timer);
    waited = !__atomic_load_n(&kill_probe.running, __ATOMIC_SEQ_CST);
    runs = kill_probe.runs;
    udelay(2 * KILL_CALLBACK_US);
    if (!waited || kill_probe.runs != runs) {
        printk("Timer self-check: timer_kill %s\n", !waited ? "returned while the callback ran"
                                                          : "let the callback re-arm");
        return false;
    }
    printk("Timer self-check: timer_kill waited for the callback running on CPU %u\n", target);
    return true;
}

bool timer_selftest(void)
{
    unsigned int cpu, ok = 0, n = 0;
    s_time_t give_up;
    bool killed;

    for_each_online_cpu(cpu) {
        struct timer_probe *p = &probes[cpu];

        p->done = false;
        timer_init(&p->timer, probe_fire, p, cpu);
        p->deadline = NOW() + SELFTEST_DELAY;
        timer_set(&p->timer, p->deadline);
    }
    give_up = NOW() + SELFTEST_WAIT;
    /* The boot CPU's own probe runs from its softirq: run them while waiting. */
    while (!all_done() && NOW() < give_up) {
        local_irq_enable();
        do_softirq();
        cpu_relax();
    }
    for_each_online_cpu(cpu) {
        n++;
        ok += check_probe(cpu);
    }
    killed = kill_check();
    if (ok == n && killed)
        printk("Timer self-check passed on %u CPUs (tolerance %ld ms)\n", n,
               (long)(SELFTEST_TOLERANCE / 1000000));
    else
        printk("Timer self-check FAILED on %u of %u CPUs%s\n", n - ok, n,
               killed ? "" : ", and timer_kill");
    return ok == n && killed;
}
