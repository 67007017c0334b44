/*
 * Guest time: the pvclock in each vcpu_info (system time = the hypervisor's NOW(), scaled
 * from the TSC with mul/shift, version odd while it changes), VCPUOP singleshot timers and
 * set_timer_op raising VIRQ_TIMER, and where vcpu_info lives (VCPUOP_register_vcpu_info);
 * kernel/vcpu_op.c dispatches the VCPUOPs.
 */
#include <asm/processor.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <asm/p2m.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/pvclock.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>

#define ETIME 62

void update_vcpu_system_time(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    struct vcpu_time_info *t;
    uint64_t tsc;

    if (!vi || !tsc_khz)
        return;
    t = &vi->time;
    t->version++;                       /* odd: update in progress */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    tsc = rdtsc_ordered();
    t->tsc_timestamp = tsc + v->arch.tsc_offset;
    t->system_time = (uint64_t)tsc_to_ns(tsc - stime_to_tsc(0));
    pvclock_scale((uint64_t)tsc_khz * 1000, &t->tsc_to_system_mul, &t->tsc_shift);
    /* Stable only when the TSC is invariant: then every vCPU's clock agrees. */
    t->flags = cpu_has_invariant_tsc() ? XEN_PVCLOCK_TSC_STABLE_BIT : 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->version++;
}

static void singleshot_fired(void *data)
{
    send_guest_virq(data, VIRQ_TIMER);
}

/* A poll that times out returns 0 like one that saw its port, as in Xen. */
static void poll_timed_out(void *data)
{
    struct vcpu *v = data;
    uint64_t bit = 1ULL << v->id;

    if (__atomic_fetch_and(&v->domain->poll_mask, ~bit, __ATOMIC_SEQ_CST) & bit)
        vcpu_kick(v);
}

void vcpu_time_init(struct vcpu *v)
{
    timer_init(&v->singleshot_timer, singleshot_fired, v, v->pcpu);
    timer_init(&v->poll_timer, poll_timed_out, v, v->pcpu);
}

void vcpu_time_destroy(struct vcpu *v)
{
    timer_kill(&v->singleshot_timer);
    timer_kill(&v->poll_timer);
}

long vcpu_register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    struct vcpu_info *old = vcpu_info_of(target), *now;
    struct page_info *pg;

    if (copy_from_guest_virt(v, &r, arg, sizeof(r)))
        return -XEN_EFAULT;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info))
        return -XEN_EINVAL;
    if (target->vcpu_info)
        return -XEN_EINVAL;             /* once per vCPU, as in Xen */
    /* Held until the vCPU goes: whatever the guest does to its physmap, this stays d's. */
    pg = p2m_get_page(v->domain, (unsigned long)r.mfn);
    if (!pg)
        return -XEN_EINVAL;
    if (pg->type != PGT_RAM) {
        put_page(pg);
        return -XEN_EINVAL;             /* Xen wants a RAM page it can map writable */
    }
    now = (struct vcpu_info *)((char *)__va(page_to_maddr(pg)) + r.offset);
    /* Two vCPUs registering for one target: one wins, the other's reference goes back. */
    if (__atomic_exchange_n(&target->vcpu_info_claimed, true, __ATOMIC_ACQ_REL)) {
        put_page(pg);
        return -XEN_EINVAL;
    }
    if (old)
        memcpy(now, old, sizeof(*now));
    else
        memset(now, 0, sizeof(*now));
    /* Anything pending is re-announced in the new copy. */
    vcpu_info_announce_all(v->domain, now);
    __atomic_store_n(&target->vcpu_info, now, __ATOMIC_RELEASE);
    update_vcpu_system_time(target);
    return 0;
}

long vcpu_set_singleshot(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_set_singleshot_timer t;

    if (copy_from_guest_virt(v, &t, arg, sizeof(t)))
        return -XEN_EFAULT;
    if ((t.flags & VCPU_SSHOTTMR_future) && (int64_t)t.timeout_abs_ns < NOW())
        return -ETIME;
    /* A deadline already past fires at once, as Linux expects. */
    timer_set(&target->singleshot_timer, (s_time_t)t.timeout_abs_ns);
    return 0;
}

long do_set_timer_op(struct vcpu *v, uint64_t timeout, uint64_t a2, uint64_t a3, uint64_t a4,
                     uint64_t a5)
{
    (void)a2, (void)a3, (void)a4, (void)a5;
    if (!timeout)
        timer_cancel(&v->singleshot_timer);
    else
        timer_set(&v->singleshot_timer, (s_time_t)timeout);
    return 0;
}
