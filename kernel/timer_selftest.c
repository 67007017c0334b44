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
    bool killed;

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
    killed = kill_check();
    if (!failed && killed)
        printk("Timer self-check passed on %u CPUs (tolerance %ld ms, %u attempts)\n", n,
               (long)(SELFTEST_TOLERANCE / 1000000), attempt - 1);
    else
        printk("Timer self-check FAILED on %u of %u CPUs%s\n", nfailed, n,
               killed ? "" : ", and timer_kill");
    return !failed && killed;
}
