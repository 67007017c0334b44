/*
 * Event channels, 2-level ABI (kernel/event_channel.c): 4096 ports per domain, pending and
 * mask bits in the domain's shared_info, one notified vCPU per port. Also the vCPU-side
 * pieces: the upcall-pending flag in vcpu_info and the per-vCPU singleshot timer.
 */
#ifndef KUMO_EVENT_H
#define KUMO_EVENT_H

#include <kumo/domain.h>
#include <kumo/xen_abi.h>

/* 4096 ports: the 2-level ABI's limit with 64-bit words. */
#ifndef NR_EVENT_CHANNELS
#define NR_EVENT_CHANNELS EVTCHN_2L_NR_CHANNELS
#endif

/* Allocates d's port table (all closed). 0 or -ENOMEM; freed with d (domain_free). */
int evtchn_init(struct domain *d);
/*
 * d is being destroyed: no port binds to it any more, and every port is closed (remote ends
 * of interdomain channels go back to unbound). The table stays until d is freed.
 */
void evtchn_destroy(struct domain *d);
/* Debug key 'e': d's open ports, each with its pending and mask bits, and its selectors. */
void evtchn_dump(struct domain *d);

/* Raises a VIRQ bound on v (no-op when unbound). Any context. */
void send_guest_virq(struct vcpu *v, unsigned int virq);

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t,
                         uint64_t);
/* init_control, expand_array, set_priority (kernel/event_fifo.c): FIFO is not offered. */
long evtchn_fifo_op(struct vcpu *v, unsigned int cmd, uint64_t arg);
long do_hvm_op(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t, uint64_t, uint64_t);

/* Ports the domain's shared_info layout has bits for: 4096, or 1024 in the 32-bit layout. */
unsigned int evtchn_max_ports(const struct domain *d);
/* Marks every selector bit and the upcall in vi, in d's layout (a vcpu_info that moved). */
void vcpu_info_announce_all(struct domain *d, struct vcpu_info *vi);
/* v's vcpu_info: the registered copy, or its slot in shared_info. */
struct vcpu_info *vcpu_info_of(struct vcpu *v);
/* The port's pending bit in d's shared_info (false for a port out of range). */
bool evtchn_is_pending(struct domain *d, unsigned int port);
/* True when v has an upcall pending (it must not stay blocked). */
bool vcpu_events_pending(struct vcpu *v);
/* Injects the callback vector before entry when an upcall is pending. */
void hvm_deliver_upcall(struct vcpu *v);

/* Per-vCPU timers and pvclock (kernel/vcpu_time.c). */
void vcpu_time_init(struct vcpu *v);
void vcpu_time_destroy(struct vcpu *v);
void update_vcpu_system_time(struct vcpu *v);
/* VCPUOP_register_vcpu_info and VCPUOP_set_singleshot_timer for target; arg is v's pointer. */
long vcpu_register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg);
long vcpu_set_singleshot(struct vcpu *v, struct vcpu *target, uint64_t arg);

#endif
