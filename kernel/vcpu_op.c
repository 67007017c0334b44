/*
 * vcpu_op: a vCPU's life (VCPUOP_initialise with an HVM register set, up, down, is_up, as
 * Xen's common_vcpu_op has them) and the per-vCPU registrations a PVH kernel makes (vcpu_info,
 * runstate area, singleshot timer; the time ones live in kernel/vcpu_time.c).
 */
#include <asm/hvm.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>
#include <xen/hvm/hvm_vcpu.h>

/* A register set for a vCPU that never ran; VCPUOP_up starts it from there. */
static long initialise(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_hvm_context ctx;
    struct hvm_vcpu_state s;

    if (target->initialised)
        return -XEN_EEXIST;             /* checked again under the scheduler's lock */
    if (copy_from_guest_virt(v, &ctx, arg, sizeof(ctx)))
        return -XEN_EFAULT;
    if (hvm_state_from_context(&s, &ctx))
        return -XEN_EINVAL;
    return vcpu_initialise(target, &s);
}

/* Up again where it stopped (or from VCPUOP_initialise's state); already up is fine. */
static long up(struct vcpu *target)
{
    int rc = vcpu_start(target, NULL);

    return rc == -XEN_EEXIST ? 0 : rc;
}

long do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a4,
                uint64_t a5)
{
    struct domain *d = v->domain;
    struct vcpu *target;

    (void)a4, (void)a5;
    if (vcpuid >= d->nr_vcpus)
        return -XEN_ENOENT;
    target = d->vcpus[vcpuid];
    switch (cmd) {
    case VCPUOP_initialise:
        return initialise(v, target, arg);
    case VCPUOP_up:
        return up(target);
    case VCPUOP_down:
        vcpu_down_or_poweroff(target);
        return 0;
    case VCPUOP_is_up:
        return target->is_up;
    case VCPUOP_register_vcpu_info:
        return vcpu_register_vcpu_info(v, target, arg);
    case VCPUOP_set_singleshot_timer:
        return target == v ? vcpu_set_singleshot(v, target, arg) : -XEN_EINVAL;
    case VCPUOP_stop_singleshot_timer:
        timer_cancel(&target->singleshot_timer);
        return 0;
    case VCPUOP_stop_periodic_timer:
        return 0;                       /* there is no periodic timer to stop */
    case VCPUOP_send_nmi:
        if (arg)
            return -XEN_EINVAL;
        __atomic_store_n(&target->arch.vlapic.nmi_pending, true, __ATOMIC_RELEASE);
        vcpu_kick(target);
        return 0;
    case VCPUOP_get_physid:
        return -XEN_EINVAL;             /* Xen's answer unless Dom0's vCPUs are pinned 1:1 */
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area r;

        if (copy_from_guest_virt(v, &r, arg, sizeof(r)))
            return -XEN_EFAULT;
        target->runstate_gva = r.addr.p;
        return 0;
    }
    }
    return -XEN_ENOSYS;
}
