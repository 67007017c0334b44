/*
 * Placing and running vCPUs (kernel/sched/core.c): states, affinity and migration; the
 * policy chosen with sched= (credit or SEDF) decides what runs.
 */
#ifndef KUMO_SCHED_H
#define KUMO_SCHED_H

#include <kumo/domain.h>

/* Chooses v's pCPU among d->cpumask (round robin by vCPU id). */
void vcpu_place(struct vcpu *v);
/* Makes v runnable on its pCPU, kicking that pCPU out of halt. */
void vcpu_wake(struct vcpu *v);
/*
 * An event is pending for v (its upcall_pending already set): wakes it if blocked, or
 * makes it re-enter its guest (where the upcall is injected) if it runs elsewhere.
 */
void vcpu_kick(struct vcpu *v);
/*
 * Called on v's own pCPU (SCHEDOP_yield): v stays runnable, but at the next pick, which
 * it asks for now, the policy lets a runnable equal go first instead of keeping it on.
 */
void vcpu_yield(struct vcpu *v);
/* Called on v's own pCPU: v stops being runnable until vcpu_wake(). */
void vcpu_block(struct vcpu *v);
/* Blocks v unless it has an event pending; true if it blocked. On v's own pCPU. */
bool vcpu_block_unless_pending(struct vcpu *v);
/*
 * Blocks v unless wake(v, data), checked under the scheduler's lock, says not to: a waker
 * that makes wake() true and then calls vcpu_wake() cannot be missed. True if it blocked.
 */
bool vcpu_block_unless(struct vcpu *v, bool (*wake)(struct vcpu *v, void *data), void *data);
/*
 * For kernel/vcpu.c, which owns a vCPU's life: the scheduler's lock also guards a vCPU's
 * life state (is_up, initialised, start_*), so that "down" and "left its pCPU" are seen
 * together. Interrupts off while held; nothing that takes sched_lock may be called.
 */
unsigned long sched_lock_vcpus(void);
void sched_unlock_vcpus(unsigned long flags);
/*
 * Locked: v stops being scheduled (the caller made it not runnable, e.g. is_up false); a
 * running v leaves its pCPU at that pCPU's next softirq check, and the scheduler then
 * calls vcpu_off_pcpu_locked(v).
 */
void sched_sleep_locked(struct vcpu *v);
/* Locked: v is offline and on no pCPU (its register state may be loaded). */
bool sched_off_pcpu_locked(const struct vcpu *v);
/* Locked: an offline v that may run again (is_up, domain live) becomes runnable. */
void sched_wake_offline_locked(struct vcpu *v);
/* Hard affinity (pinning): mask of pCPUs; a vCPU outside it moves. 0 or -EINVAL. */
int vcpu_set_affinity(struct vcpu *v, uint64_t mask);
/* Soft affinity: where it prefers to run, within its hard affinity: the pCPU it is placed
 * on when it must move, the idle pCPU woken to take it, and which queued work an idle
 * pCPU takes first. Any mask, as in Xen. */
void vcpu_set_soft_affinity(struct vcpu *v, uint64_t mask);
/*
 * The toolstack's pause (XEN_DOMCTL_pausedomain), counted as in Xen: while the count is
 * non-zero no vCPU of d runs; those that were runnable, or were woken meanwhile, run again
 * when it drops to 0. domain_ctl_pause returns once none of d's vCPUs is on a pCPU (never
 * call it on the caller's own domain); -EOVERFLOW past 255 pauses. domain_ctl_unpause:
 * -EINVAL when d is not paused by the toolstack.
 */
int domain_ctl_pause(struct domain *d);
int domain_ctl_unpause(struct domain *d);
/* Policy data for a domain / vCPU: made with them, undone with them. 0 or -ENOMEM. */
int sched_dom_init(struct domain *d);
void sched_dom_destroy(struct domain *d);
int sched_item_init(struct vcpu *v);
void sched_item_destroy(struct vcpu *v);
/* Applies new parameters (weight, cap, period, slice, latency, extra) or -EINVAL. */
int sched_adjust(struct domain *d, const struct sched_dom *want);
/* The policy's host-wide parameters (XEN_SYSCTL_scheduler_op): read, or checked and set;
 * 0, -EINVAL (out of range, or a policy without any). */
int sched_global_params(struct sched_global *g, bool set);
extern const struct sched_policy *sched_policy;
/*
 * d is shut down: takes its vCPUs off the run queues and, once none is left on a pCPU,
 * calls domain_vcpus_off(d) (at once, or from the pCPU the last one leaves). Any CPU.
 */
void sched_stop_domain(struct domain *d);
/* Debug key 'q': the policy's view of each pCPU (running item, queue). */
void sched_dump(void);
/* Boot CPU: the scheduler softirq and per-CPU run queues. */
void sched_init(void);
void sched_init_cpu(unsigned int cpu);

#endif
