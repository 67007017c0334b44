/*
 * A vCPU's life: made with its domain (scheduler item and vendor state included), given its
 * first register state by the builder, taken down and started again (VCPUOP_down/up,
 * INIT/SIPI, VCPUOP_initialise), destroyed with the domain once it runs nowhere. The
 * scheduler (kernel/sched/core.c) only takes it on and off the pCPUs and says when it has
 * left; vendor state is reached through the hvm_* interface. Life state (is_up,
 * initialised, start_*) changes under the scheduler's lock, with the state it schedules by.
 */
#include <asm/hvm.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

void vcpu_destroy(struct vcpu *v)
{
    if (v->vcpu_info)                   /* the registration's reference (kernel/page_ref.c) */
        put_page(maddr_to_page(__pa(v->vcpu_info)));
    sched_item_destroy(v);
    hvm_vcpu_destroy(v);
    xfree(v);
}

/* A vCPU of d with id id: offline, no register state yet. NULL when out of memory. */
static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v = xzalloc(struct vcpu);

    if (!v)
        return NULL;
    v->id = id;
    v->domain = d;
    v->state = VCPU_OFFLINE;
    v->runstate_entry = (uint64_t)NOW();
    v->arch.last_pcpu = -1;
    timer_init(&v->singleshot_timer, NULL, v, 0);       /* armed for real by vcpus_ready() */
    if (sched_item_init(v)) {
        xfree(v);
        return NULL;
    }
    if (hvm_vcpu_create(v)) {
        sched_item_destroy(v);
        xfree(v);
        return NULL;
    }
    return v;
}

int domain_create_vcpus(struct domain *d, unsigned int nr)
{
    unsigned int first = d->nr_vcpus;

    if (nr > MAX_VCPUS - d->nr_vcpus)
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < nr; i++) {
        struct vcpu *v = vcpu_create(d, first + i);

        if (!v)
            goto fail;
        d->vcpus[v->id] = v;
        d->nr_vcpus++;
    }
    return 0;

fail:
    while (d->nr_vcpus > first) {
        d->nr_vcpus--;
        vcpu_destroy(d->vcpus[d->nr_vcpus]);
        d->vcpus[d->nr_vcpus] = NULL;
    }
    return -XEN_ENOMEM;
}

void vcpus_ready(struct domain *d, unsigned int first, const struct hvm_vcpu_state *boot)
{
    for (unsigned int i = first; i < d->nr_vcpus; i++)
        hvm_vcpu_reset_lapic(d->vcpus[i]);
    if (boot && first == 0 && d->nr_vcpus) {
        hvm_vcpu_set_state(d->vcpus[0], boot);
        d->vcpus[0]->initialised = true;
        d->vcpus[0]->is_up = true;
    }
    for (unsigned int i = first; i < d->nr_vcpus; i++) {
        vcpu_place(d->vcpus[i]);
        vcpu_time_init(d->vcpus[i]);            /* its timers start on the pCPU chosen */
    }
}

void vcpu_down(struct vcpu *v)
{
    unsigned long flags = sched_lock_vcpus();

    v->is_up = false;
    v->start_pending = false;
    sched_sleep_locked(v);
    sched_unlock_vcpus(flags);
}

void vcpu_down_or_poweroff(struct vcpu *v)
{
    struct domain *d = v->domain;

    vcpu_down(v);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i]->is_up)
            return;
    printk("d%u: all vCPUs down -- powering off\n", d->domid);
    domain_shutdown(d, SHUTDOWN_poweroff);
}

/* v is down, offline and on no pCPU: load s (if any) and make it runnable. Locked. */
static void start_locked(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    if (s)
        hvm_vcpu_reset(v, s);
    v->initialised = true;
    v->is_up = true;
    sched_wake_offline_locked(v);
}

int vcpu_start(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    unsigned long flags = sched_lock_vcpus();
    int rc = 0;

    if (v->is_up || v->domain->is_shutdown) {
        rc = -XEN_EEXIST;
    } else if (!s && !v->initialised) {
        rc = -XEN_EINVAL;
    } else if (!sched_off_pcpu_locked(v)) {
        /* Still leaving its pCPU after going down: vcpu_off_pcpu_locked() starts it. */
        v->start_pending = true;
        v->start_fresh = s;
        if (s)
            v->start_state = *s;
    } else {
        start_locked(v, s);
    }
    sched_unlock_vcpus(flags);
    return rc;
}

void vcpu_off_pcpu_locked(struct vcpu *v)
{
    if (!v->start_pending)
        return;
    v->start_pending = false;
    start_locked(v, v->start_fresh ? &v->start_state : NULL);
}

int vcpu_initialise(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    unsigned long flags = sched_lock_vcpus();
    int rc = -XEN_EEXIST;

    /* Never initialised means never ran: it is offline on no pCPU, safe to load. */
    if (!v->initialised && !v->is_up && !v->start_pending) {
        hvm_vcpu_reset(v, s);
        v->initialised = true;
        rc = 0;
    }
    sched_unlock_vcpus(flags);
    return rc;
}
