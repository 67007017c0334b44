/*
 * Placing and running vCPUs (kernel/sched/core.c). Until the credit and SEDF policies
 * arrive this is a per-pCPU round robin with a 10 ms slice; vCPUs stay on the pCPU they
 * were placed on.
 */
#ifndef KUMO_SCHED_H
#define KUMO_SCHED_H

#include <kumo/domain.h>

#define SCHED_SLICE MILLISECS(10)

/* Chooses v's pCPU among d->cpumask (round robin by vCPU id). */
void vcpu_place(struct vcpu *v);
/* Makes v runnable on its pCPU, kicking that pCPU out of halt. */
void vcpu_wake(struct vcpu *v);
/* Takes v off its run queue for good (shutdown, crash); a running v leaves the CPU soon. */
void vcpu_stop(struct vcpu *v);
/* Called on v's own pCPU: v stops being runnable until vcpu_wake(). */
void vcpu_block(struct vcpu *v);
/* Blocks v unless it has an event pending; true if it blocked. On v's own pCPU. */
bool vcpu_block_unless_pending(struct vcpu *v);
/* Every vCPU of d is stopped: destroys a DomU once none is running; Dom0 ends the machine. */
void domain_stopped(struct domain *d);
/* Boot CPU: the scheduler softirq and per-CPU run queues. */
void sched_init(void);
void sched_init_cpu(unsigned int cpu);

#endif
