/*
 * Scheduler core, first cut: per-pCPU run queues of vCPUs, round robin with a 10 ms slice,
 * and the reaper that destroys stopped domains. Locking: a pCPU's runq_lock guards its
 * queue and the queued vCPUs' state transitions; it is taken with interrupts off.
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/console.h>
#include <kumo/domain_build.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/xen_abi.h>
#include <kumo/mm.h>
#include <kumo/panic.h>
#include <kumo/sched.h>
#include <kumo/smp.h>
#include <kumo/softirq.h>
#include <kumo/xen_abi.h>

static struct timer reaper_timer;

struct vcpu *current_vcpu(void)
{
    return this_cpu()->curr_vcpu;
}

void set_current_vcpu(struct vcpu *v)
{
    this_cpu()->curr_vcpu = v;
}

/* Xen's RUNSTATE_* numbering: running, runnable, blocked, offline. */
static unsigned int runstate_of(enum vcpu_state s)
{
    return s == VCPU_RUNNING ? 0 : s == VCPU_RUNNABLE ? 1 : s == VCPU_BLOCKED ? 2 : 3;
}

/* Every state change goes through here so the runstate times stay exact. */
static void set_state(struct vcpu *v, enum vcpu_state s)
{
    uint64_t now = (uint64_t)NOW();

    v->runstate_time[runstate_of(v->state)] += now - v->runstate_entry;
    v->runstate_entry = now;
    v->state = s;
}

/* Copies v's runstate to the area it registered (on v's own pCPU; faults are ignored). */
static void runstate_publish(struct vcpu *v)
{
    struct vcpu_runstate_info r;

    if (!v->runstate_gva)
        return;
    r.state = (int)runstate_of(v->state);
    r.state_entry_time = v->runstate_entry;
    memcpy(r.time, v->runstate_time, sizeof(r.time));
    r.time[r.state] += (uint64_t)NOW() - v->runstate_entry;
    copy_to_guest_virt(v, v->runstate_gva, &r, sizeof(r));
}

void vcpu_place(struct vcpu *v)
{
    unsigned int n = 0, cpu, pick = v->id;
    uint64_t mask = v->domain->cpumask;

    for_each_online_cpu(cpu)
        if (mask & (1ULL << cpu))
            n++;
    if (!n) {
        mask = ~0ULL;
        for_each_online_cpu(cpu)
            n++;
    }
    pick %= n;
    for_each_online_cpu(cpu)
        if ((mask & (1ULL << cpu)) && pick-- == 0)
            break;
    v->pcpu = cpu;
    vcpu_time_init(v);
}

void vcpu_wake(struct vcpu *v)
{
    struct cpu_info *c = per_cpu(v->pcpu);
    unsigned long flags;

    spin_lock_irqsave(&c->runq_lock, flags);
    if ((v->state == VCPU_OFFLINE || v->state == VCPU_BLOCKED) && !v->domain->is_shutdown) {
        set_state(v, VCPU_RUNNABLE);
        list_add_tail(&v->runq_link, &c->runq);
    }
    spin_unlock_irqrestore(&c->runq_lock, flags);
    cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);
}

void vcpu_stop(struct vcpu *v)
{
    struct cpu_info *c = per_cpu(v->pcpu);
    unsigned long flags;
    bool running;

    spin_lock_irqsave(&c->runq_lock, flags);
    if (v->state == VCPU_RUNNABLE)
        list_del(&v->runq_link);
    running = v->state == VCPU_RUNNING;
    if (!running)
        set_state(v, VCPU_OFFLINE);
    spin_unlock_irqrestore(&c->runq_lock, flags);
    /* A running vCPU notices is_shutdown when its pCPU looks at this softirq. */
    if (running)
        cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);
}

void vcpu_block(struct vcpu *v)
{
    struct cpu_info *c = per_cpu(v->pcpu);
    unsigned long flags;

    spin_lock_irqsave(&c->runq_lock, flags);
    set_state(v, VCPU_BLOCKED);
    spin_unlock_irqrestore(&c->runq_lock, flags);
}

bool vcpu_block_unless_pending(struct vcpu *v)
{
    vcpu_block(v);
    /* An event raised before BLOCKED was visible found v running and did not wake it. */
    if (vcpu_events_pending(v)) {
        struct cpu_info *c = per_cpu(v->pcpu);
        unsigned long flags;

        spin_lock_irqsave(&c->runq_lock, flags);
        if (v->state == VCPU_BLOCKED)
            set_state(v, VCPU_RUNNING);
        spin_unlock_irqrestore(&c->runq_lock, flags);
        return false;
    }
    return true;
}

static struct vcpu *runq_pick(struct cpu_info *c)
{
    struct vcpu *v = NULL;
    unsigned long flags;

    spin_lock_irqsave(&c->runq_lock, flags);
    if (!list_empty(&c->runq)) {
        v = list_first_entry(&c->runq, struct vcpu, runq_link);
        list_del(&v->runq_link);
        set_state(v, VCPU_RUNNING);
    }
    spin_unlock_irqrestore(&c->runq_lock, flags);
    return v;
}

/* After a vCPU left the CPU: requeue it at the tail if it is still runnable. */
static void runq_put(struct cpu_info *c, struct vcpu *v)
{
    unsigned long flags;

    spin_lock_irqsave(&c->runq_lock, flags);
    if (v->domain->is_shutdown)
        set_state(v, VCPU_OFFLINE);
    else if (v->state == VCPU_RUNNING) {
        set_state(v, VCPU_RUNNABLE);
        list_add_tail(&v->runq_link, &c->runq);
    }
    spin_unlock_irqrestore(&c->runq_lock, flags);
}

void idle_loop(void)
{
    struct cpu_info *c = this_cpu();

    for (;;) {
        struct vcpu *v;

        local_irq_enable();
        do_softirq();
        v = runq_pick(c);
        if (v) {
            set_current_vcpu(v);
            runstate_publish(v);
            hvm_run_vcpu(v);
            runq_put(c, v);
            if (!v->domain->is_shutdown)
                runstate_publish(v);
            set_current_vcpu(NULL);
            continue;
        }
        local_irq_disable();
        if (!c->softirq_pending && list_empty(&c->runq))
            safe_halt();
    }
}

static void schedule_softirq(void)
{
    /* Nothing to do: raising it made the running vCPU leave the guest and the idle loop
     * picks the next one. */
}

static bool domain_quiescent(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->state == VCPU_RUNNING || d->vcpus[i]->state == VCPU_RUNNABLE)
            return false;
    return true;
}

static void reap(void *unused)
{
    bool again = false;

    (void)unused;
    for (unsigned int id = 1; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_table[id];

        if (!d || !d->is_shutdown)
            continue;
        if (!domain_quiescent(d)) {
            again = true;
            continue;
        }
        {
            unsigned long pages = d->tot_pages + d->p2m_pages;
            unsigned int domid = d->domid;

            domain_destroy(d);
            printk("d%u destroyed: %lu pages returned, %lu pages free\n", domid, pages,
                   total_free_pages());
        }
    }
    if (again)
        timer_set(&reaper_timer, NOW() + MILLISECS(1));
}

void domain_stopped(struct domain *d)
{
    if (d->domid == 0) {
        dom0_stopped(d);
        return;
    }
    timer_set(&reaper_timer, NOW() + MILLISECS(1));
}

static void slice_end(void *unused)
{
    (void)unused;
    raise_softirq(SCHEDULE_SOFTIRQ);
}

void sched_init_cpu(unsigned int cpu)
{
    spin_lock_init(&per_cpu(cpu)->runq_lock);
    list_init(&per_cpu(cpu)->runq);
    timer_init(&per_cpu(cpu)->slice_timer, slice_end, NULL, cpu);
}

void sched_init(void)
{
    open_softirq(SCHEDULE_SOFTIRQ, schedule_softirq);
    timer_init(&reaper_timer, reap, NULL, 0);
}
