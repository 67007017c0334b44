/*
 * Scheduler core (DESIGN.md D6): vCPU states and runstate accounting, hard affinity and
 * migration between pCPUs, the per-pCPU run loop and the policy's accounting timer. The
 * policy (credit or SEDF, chosen by sched=) only decides. vCPUs are taken on and off the
 * pCPUs here and the scheduler says when they have left (vcpu_off_pcpu_locked(),
 * domain_vcpus_off()); a vCPU's and a domain's life (up, down, reset, reap) are kernel/'s.
 * Locking: sched_lock (interrupts off) guards every vCPU state change and every call into
 * the policy, teardown of a policy's items included (docs/locking.md).
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/dom0.h>
#include <kumo/domain_build.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/lock_order.h>
#include <kumo/mm.h>
#include <kumo/panic.h>
#include <kumo/param.h>
#include <kumo/sched.h>
#include <kumo/sched_policy.h>
#include <kumo/smp.h>
#include <kumo/softirq.h>
#include <kumo/xen_abi.h>
#include <kumo/xen_ctl_abi.h>

static const struct sched_policy *const policies[] = { &sched_credit, &sched_sedf };
const struct sched_policy *sched_policy;
static DEFINE_SPINLOCK(sched_lock);
static struct timer account_timer;
static s_time_t account_due;            /* when the account timer is next due */

struct vcpu *current_vcpu(void)
{
    return this_cpu()->curr_vcpu;
}

void set_current_vcpu(struct vcpu *v)
{
    this_cpu()->curr_vcpu = v;
}

static struct vcpu *item_vcpu(struct sched_item *it)
{
    return it ? container_of(it, struct vcpu, sched) : NULL;
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
    /* The 4 bytes after state are padding: stack left there would reach the guest. */
    memset(&r, 0, sizeof(r));
    r.state = (int)runstate_of(v->state);
    r.state_entry_time = v->runstate_entry;
    memcpy(r.time, v->runstate_time, sizeof(r.time));
    r.time[r.state] += (uint64_t)NOW() - v->runstate_entry;
    if (v->domain->compat_shinfo)
        compat_publish_runstate(v, &r);
    else
        copy_to_guest_virt(v, v->runstate_gva, &r, sizeof(r));
}

static uint64_t online_mask(void)
{
    uint64_t m = 0;
    unsigned int cpu;

    for_each_online_cpu(cpu)
        m |= 1ULL << cpu;
    return m;
}

/* The n-th allowed pCPU (wrapping), for spreading a domain's vCPUs. */
static unsigned int nth_allowed(uint64_t mask, unsigned int n)
{
    unsigned int count = 0;

    for (uint64_t m = mask; m; m &= m - 1)
        count++;
    if (!count)
        return 0;
    n %= count;
    for (unsigned int cpu = 0; cpu < 64; cpu++)
        if ((mask & (1ULL << cpu)) && n-- == 0)
            return cpu;
    return 0;
}

static void place_allowed(struct vcpu *v);

void vcpu_place(struct vcpu *v)
{
    uint64_t allowed = v->domain->cpumask & online_mask();

    v->sched.affinity = allowed ? allowed : online_mask();
    v->sched.soft_affinity = ~0ULL;
    v->sched.processor = nth_allowed(v->sched.affinity, v->id + v->domain->domid);
    v->pcpu = v->sched.processor;
}

/* Asks cpu to pick again: now if preempting, else only if it is idle. */
static void tickle(struct sched_item *it, s_time_t now)
{
    unsigned int cpu = it->processor;
    struct vcpu *curr = per_cpu(cpu)->curr_vcpu;

    if (!curr || (sched_policy->should_preempt &&
                  sched_policy->should_preempt(cpu, it, &curr->sched, now))) {
        cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
        return;
    }
    /* Busy: an idle pCPU the item may use can take it (policies that steal), one it
     * prefers (soft affinity) first, as Xen's credit1 tickles; then the rest it may use. */
    uint64_t preferred = sched_preferred(it);
    uint64_t steps[2] = { preferred, it->affinity & ~preferred };

    for (int step = 0; step < 2 && sched_policy->steal; step++)
        for (unsigned int c = 0; c < nr_cpu_ids && steps[step]; c++)
            if ((steps[step] & (1ULL << c)) && per_cpu(c)->online && !per_cpu(c)->curr_vcpu) {
                cpu_raise_softirq(c, SCHEDULE_SOFTIRQ);
                return;
            }
}

/* Makes a blocked (or, if allowed, offline) vCPU runnable. sched_lock held. */
static bool wake_locked(struct vcpu *v, bool from_offline, s_time_t now)
{
    if (!(v->state == VCPU_BLOCKED || (from_offline && v->state == VCPU_OFFLINE)) ||
        v->domain->is_shutdown || !v->is_up)
        return false;
    if (v->domain->controller_pause_count) {
        v->wake_on_unpause = true;                  /* its wake-up waits for the unpause */
        return false;
    }
    set_state(v, VCPU_RUNNABLE);
    if (!(v->sched.affinity & (1ULL << v->sched.processor)))
        place_allowed(v);                           /* never queued where it may not run */
    sched_policy->wake(&v->sched, now);
    tickle(&v->sched, now);
    return true;
}

void vcpu_wake(struct vcpu *v)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    wake_locked(v, true, NOW());
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

void vcpu_kick(struct vcpu *v)
{
    unsigned long flags;

    /*
     * Under sched_lock, like the blocking side's check of upcall_pending: either it saw the
     * event and did not block, or it blocked first and is woken here. Never neither.
     */
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    if (!wake_locked(v, false, NOW()) && v->state == VCPU_RUNNING &&
        v->pcpu != smp_processor_id())
        cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);     /* leave the guest, re-enter */
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

/* Takes v off the run queues; a running v goes offline when it leaves. sched_lock held. */
static void stop_locked(struct vcpu *v)
{
    if (v->state == VCPU_RUNNABLE) {
        sched_policy->sleep(&v->sched);
        set_state(v, VCPU_OFFLINE);
    } else if (v->state == VCPU_BLOCKED) {
        set_state(v, VCPU_OFFLINE);
    } else if (v->state == VCPU_RUNNING) {
        /* It leaves the guest at its pCPU's next softirq check and goes offline there. */
        cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);
    }
}

/* Tells kernel/ once when every vCPU of a shut-down d is offline on no pCPU. sched_lock held. */
static void check_domain_off(struct domain *d)
{
    if (!d->is_shutdown || d->vcpus_off)
        return;
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->state != VCPU_OFFLINE || d->vcpus[i]->sched.is_running)
            return;
    __atomic_store_n(&d->vcpus_off, true, __ATOMIC_RELEASE);
    domain_vcpus_off(d);
}

void sched_stop_domain(struct domain *d)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        stop_locked(d->vcpus[i]);
    check_domain_off(d);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

void vcpu_yield(struct vcpu *v)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    v->sched.yielded = true;
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    raise_softirq(SCHEDULE_SOFTIRQ);
}

unsigned long sched_lock_vcpus(void)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return flags;
}

void sched_unlock_vcpus(unsigned long flags)
{
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

void sched_sleep_locked(struct vcpu *v)
{
    stop_locked(v);
}

bool sched_off_pcpu_locked(const struct vcpu *v)
{
    return v->state == VCPU_OFFLINE && !v->sched.is_running;
}

void sched_wake_offline_locked(struct vcpu *v)
{
    wake_locked(v, true, NOW());
}

void vcpu_block(struct vcpu *v)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    if (v->state == VCPU_RUNNING)
        set_state(v, VCPU_BLOCKED);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

bool vcpu_block_unless(struct vcpu *v, bool (*wake)(struct vcpu *v, void *data), void *data)
{
    unsigned long flags;
    bool blocked;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    /* Checked under the lock: an event raised after this finds v BLOCKED and wakes it. */
    blocked = !wake(v, data) && v->state == VCPU_RUNNING;
    if (blocked)
        set_state(v, VCPU_BLOCKED);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return blocked;
}

static bool interrupt_pending(struct vcpu *v, void *unused)
{
    (void)unused;
    return hvm_interrupt_pending(v);
}

bool vcpu_block_unless_pending(struct vcpu *v)
{
    return vcpu_block_unless(v, interrupt_pending, NULL);
}

int vcpu_set_affinity(struct vcpu *v, uint64_t mask)
{
    unsigned long flags;

    mask &= online_mask();
    if (!mask)
        return -XEN_EINVAL;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    v->sched.affinity = mask;
    if (!(mask & (1ULL << v->sched.processor))) {
        if (v->sched.is_running) {
            /* Moved by settle_prev when it leaves the pCPU, blocked by then or not. */
            cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);
        } else if (v->state == VCPU_RUNNABLE) {
            /* Queued on a pCPU it may no longer use: move it now. */
            sched_policy->sleep(&v->sched);
            place_allowed(v);
            sched_policy->wake(&v->sched, NOW());
            tickle(&v->sched, NOW());
        } else {
            place_allowed(v);
        }
    }
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return 0;
}

/* Only stored, as in Xen: it steers the next placement, tickle and balance step. */
void vcpu_set_soft_affinity(struct vcpu *v, uint64_t mask)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    v->sched.soft_affinity = mask;
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

int domain_ctl_pause(struct domain *d)
{
    unsigned long flags;
    bool on_cpu = true;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    if (d->controller_pause_count == 255) {
        unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
        return -XEN_EOVERFLOW;
    }
    d->controller_pause_count++;
    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        if (v->state == VCPU_RUNNABLE) {
            sched_policy->sleep(&v->sched);
            set_state(v, VCPU_OFFLINE);
            v->wake_on_unpause = true;
        } else if (v->state == VCPU_RUNNING) {
            cpu_raise_softirq(v->pcpu, SCHEDULE_SOFTIRQ);   /* settle_prev parks it */
        }
    }
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    /*
     * Xen's pause is synchronous: the caller may rely on nothing of d running any more.
     * A pCPU leaves its guest within microseconds of the softirq; the bound is a backstop.
     */
    for (s_time_t end = NOW() + MILLISECS(100); on_cpu && NOW() < end; cpu_relax()) {
        on_cpu = false;
        for (unsigned int i = 0; i < d->nr_vcpus; i++)
            on_cpu |= *(volatile bool *)&d->vcpus[i]->sched.is_running;
    }
    if (on_cpu)
        printk("d%u: a vCPU still runs 100 ms after the pause\n", d->domid);
    return 0;
}

int domain_ctl_unpause(struct domain *d)
{
    unsigned long flags;
    int rc = 0;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    if (!d->controller_pause_count) {
        rc = -XEN_EINVAL;
    } else if (!--d->controller_pause_count) {
        for (unsigned int i = 0; i < d->nr_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];

            if (v->wake_on_unpause) {
                v->wake_on_unpause = false;
                wake_locked(v, true, NOW());
            }
        }
    }
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return rc;
}

/* v's pCPU (and its timer's) is one its affinity allows. sched_lock held. */
static void place_allowed(struct vcpu *v)
{
    v->sched.processor = nth_allowed(sched_preferred(&v->sched), v->id);
    v->pcpu = v->sched.processor;
    timer_migrate(&v->singleshot_timer, v->pcpu);
}

/* prev just stopped running on cpu: settle its state before the policy picks. */
static bool settle_prev(struct vcpu *prev, unsigned int cpu, s_time_t now, bool *moved)
{
    bool away;

    *moved = false;
    if (!prev)
        return false;
    prev->sched.is_running = false;
    /*
     * Pinned away while it ran: it leaves cpu whatever its state. One that blocked before
     * this pick would otherwise be woken onto cpu's queue, where cpu may not take it and
     * no other pCPU looks while cpu stays busy.
     */
    away = !(prev->sched.affinity & (1ULL << cpu));
    if (away)
        place_allowed(prev);
    if (prev->domain->is_shutdown || !prev->is_up) {
        if (prev->state != VCPU_OFFLINE)
            set_state(prev, VCPU_OFFLINE);
        if (!prev->domain->is_shutdown)
            vcpu_off_pcpu_locked(prev);             /* kernel/vcpu.c: a start may wait */
        check_domain_off(prev->domain);
        return false;
    }
    if (prev->domain->controller_pause_count) {
        if (prev->state == VCPU_RUNNING || prev->state == VCPU_RUNNABLE) {
            set_state(prev, VCPU_OFFLINE);
            prev->wake_on_unpause = true;
        }
        return false;
    }
    /*
     * Woken again after it blocked but before this pick: the policy ignored that wake (the
     * item was still its running one), so it must be requeued here like a preempted one.
     */
    if (prev->state != VCPU_RUNNING && prev->state != VCPU_RUNNABLE)
        return false;                               /* blocked while running */
    if (prev->state == VCPU_RUNNING)
        set_state(prev, VCPU_RUNNABLE);
    *moved = away;
    (void)now;
    return !away;
}

/* Chooses what cpu runs next; returns the vCPU (NULL = idle) and its slice. */
static struct vcpu *schedule(unsigned int cpu, struct vcpu *prev, s_time_t *slice)
{
    unsigned long flags;
    s_time_t now = NOW();
    struct sched_decision dec;
    struct vcpu *next;
    bool prev_runnable, moved;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    prev_runnable = settle_prev(prev, cpu, now, &moved);
    dec = sched_policy->pick(cpu, prev ? &prev->sched : NULL, prev_runnable, now);
    if (prev)
        prev->sched.yielded = false;
    if (moved) {                                    /* runnable, placed by settle_prev */
        sched_policy->wake(&prev->sched, now);
        tickle(&prev->sched, now);
    }
    if (!dec.next && sched_policy->steal) {
        dec.next = sched_policy->steal(cpu, now);
        if (dec.next)
            dec.slice = MILLISECS(30);
    }
    next = item_vcpu(dec.next);
    if (next) {
        if (next->pcpu != cpu) {                    /* migration: its timer follows it */
            next->pcpu = cpu;
            timer_migrate(&next->singleshot_timer, cpu);
        }
        next->sched.processor = cpu;
        next->sched.is_running = true;
        set_state(next, VCPU_RUNNING);
    }
    this_cpu()->curr_vcpu = next;
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    *slice = dec.slice > 0 ? dec.slice : MILLISECS(1);
    return next;
}

void idle_loop(void)
{
    struct cpu_info *c = this_cpu();
    struct vcpu *prev = NULL;

    for (;;) {
        struct vcpu *v;
        s_time_t slice;

        local_irq_enable();
        do_softirq();
        v = schedule(c->id, prev, &slice);
        prev = v;
        if (v) {
            runstate_publish(v);
            hvm_run_vcpu(v, slice);
            if (!v->domain->is_shutdown)
                runstate_publish(v);
            continue;
        }
        /* Idle until woken, or until the policy wants to decide again (a budget refill). */
        if (slice < SECONDS(1))
            timer_set(&c->slice_timer, NOW() + slice);
        local_irq_disable();
        if (!c->softirq_pending)
            safe_halt();
        local_irq_enable();
        timer_cancel(&c->slice_timer);
    }
}

static void schedule_softirq(void)
{
    /* Raising it made the running vCPU leave the guest; the idle loop picks again. */
}

static void account(void *unused)
{
    unsigned long flags;
    unsigned int cpu;

    (void)unused;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    sched_policy->account(NOW());
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    /* Priorities and caps may have changed: every busy pCPU decides again. */
    for_each_online_cpu(cpu)
        if (per_cpu(cpu)->curr_vcpu)
            cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
    /*
     * On a fixed grid, not NOW() + period: a policy hands out one period's worth per call,
     * so ticks that drift late would hand out less than the time that is charged.
     */
    account_due += sched_policy->account_period;
    if (account_due <= NOW())
        account_due = NOW() + sched_policy->account_period;     /* fell a period behind */
    timer_set(&account_timer, account_due);
}

void sched_dump(void)
{
    unsigned long flags;

    if (!sched_policy->dump)
        return;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    printk("Scheduler %s:\n", sched_policy->opt_name);
    sched_policy->dump(printk);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

int sched_dom_init(struct domain *d)
{
    unsigned long flags;
    int rc;

    /* The policy links it where account() walks under sched_lock. */
    d->sched.domid = d->domid;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    rc = sched_policy->dom_init(&d->sched);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return rc;
}

void sched_dom_destroy(struct domain *d)
{
    unsigned long flags;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    sched_policy->dom_destroy(&d->sched);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

int sched_item_init(struct vcpu *v)
{
    unsigned long flags;
    int rc;

    v->sched.id = v->id;
    v->sched.dom = &v->domain->sched;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    rc = sched_policy->item_init(&v->sched);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return rc;
}

void sched_item_destroy(struct vcpu *v)
{
    unsigned long flags;

    /* A policy's run queues and balancing walk items under sched_lock: unlink it there. */
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    sched_policy->item_destroy(&v->sched);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
}

int sched_adjust(struct domain *d, const struct sched_dom *want)
{
    struct sched_dom old = d->sched;
    unsigned long flags;
    int rc;

    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    d->sched.weight = want->weight;
    d->sched.cap = want->cap;
    d->sched.period = want->period;
    d->sched.slice = want->slice;
    d->sched.latency = want->latency;
    d->sched.extra = want->extra;
    rc = sched_policy->adjust(&d->sched);
    if (rc)
        d->sched = old;
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return rc;
}

int sched_global_params(struct sched_global *g, bool set)
{
    unsigned long flags;
    int rc;

    if (!sched_policy->global)
        return -XEN_EINVAL;
    lock_level_irqsave(&sched_lock, flags, LOCK_LEVEL_SCHED);
    rc = sched_policy->global(g, set);
    unlock_level_irqrestore(&sched_lock, flags, LOCK_LEVEL_SCHED);
    return rc;
}

/* Xen's boot options for them, with Xen's defaults and its checks (a bad value is reset). */
static unsigned int opt_tslice_ms = 30, opt_ratelimit_us = 1000, opt_migr_delay_us;
integer_param("sched_credit_tslice_ms", opt_tslice_ms);
integer_param("sched_ratelimit_us", opt_ratelimit_us);
integer_param("vcpu_migration_delay", opt_migr_delay_us);

static void sched_boot_params(void)
{
    struct sched_global g = { opt_tslice_ms, opt_ratelimit_us, opt_migr_delay_us };

    if (!sched_policy->global)
        return;
    if (g.ratelimit_us && (g.ratelimit_us > XEN_SYSCTL_SCHED_RATELIMIT_MAX ||
                           g.ratelimit_us < XEN_SYSCTL_SCHED_RATELIMIT_MIN)) {
        printk("WARNING: sched_ratelimit_us outside of valid range [%d,%d]; using %u\n",
               XEN_SYSCTL_SCHED_RATELIMIT_MIN, XEN_SYSCTL_SCHED_RATELIMIT_MAX, 1000);
        g.ratelimit_us = 1000;
    }
    if (g.tslice_ms > XEN_SYSCTL_CSCHED_TSLICE_MAX || g.tslice_ms < XEN_SYSCTL_CSCHED_TSLICE_MIN) {
        printk("WARNING: sched_credit_tslice_ms outside of valid range [%d,%d]; using %u\n",
               XEN_SYSCTL_CSCHED_TSLICE_MIN, XEN_SYSCTL_CSCHED_TSLICE_MAX, 30);
        g.tslice_ms = 30;
    }
    if ((uint64_t)g.ratelimit_us > (uint64_t)g.tslice_ms * 1000) {
        printk("WARNING: sched_ratelimit_us > sched_credit_tslice_ms is undefined; "
               "ratelimit set to the slice\n");
        g.ratelimit_us = g.tslice_ms * 1000;
    }
    if (g.migr_delay_us > XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US) {
        printk("WARNING: vcpu_migration_delay outside of valid range [0,%d]us; using 0\n",
               XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US);
        g.migr_delay_us = 0;
    }
    sched_policy->global(&g, true);
}

static void slice_end(void *unused)
{
    (void)unused;
    raise_softirq(SCHEDULE_SOFTIRQ);
}

void sched_init_cpu(unsigned int cpu)
{
    timer_init(&per_cpu(cpu)->slice_timer, slice_end, NULL, cpu);
}

void sched_init(void)
{
    sched_policy = policies[0];
    for (unsigned int i = 0; i < ARRAY_SIZE(policies); i++)
        if (!strcmp(policies[i]->opt_name, dom0_opts.sched))
            sched_policy = policies[i];
    if (sched_policy->init(SCHED_MAX_CPUS))
        panic("scheduler %s failed to initialise", sched_policy->opt_name);
    sched_boot_params();
    printk("Using scheduler: %s (%s)\n", sched_policy->name, sched_policy->opt_name);
    open_softirq(SCHEDULE_SOFTIRQ, schedule_softirq);
    timer_init(&account_timer, account, NULL, 0);
    if (sched_policy->account_period) {
        account_due = NOW() + sched_policy->account_period;
        timer_set(&account_timer, account_due);
    }
}
