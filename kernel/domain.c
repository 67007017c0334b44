/*
 * A domain's creation with complete unwinding, and its final free (shutdown, crash, kill
 * and reaping are kernel/domain_lifecycle.c's; what its frames hold is kernel/physmap.c's).
 * Every page a domain holds is on its page_list or its p2m_page_list, with its allocation
 * reference (kernel/page_ref.c); the free drops those, and a frame someone else still holds
 * goes back to the allocator at its last put_page().
 */
#include <asm/hvm.h>
#include <asm/irq.h>
#include <asm/p2m.h>
#include <asm/percpu.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/mm.h>
#include <kumo/page_ref.h>
#include <kumo/panic.h>
#include <kumo/physmap.h>
#include <kumo/rtc.h>
#include <kumo/sched.h>
#include <kumo/xen_abi.h>
#include <kumo/xmalloc.h>

/* wc_* in shared_info: the wall-clock time at system time 0, version odd while changing. */
void domain_set_wallclock(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    struct compat_shared_info *c = d->shared_info;
    volatile uint32_t *version = d->compat_shinfo ? &c->wc_version : &s->wc_version;

    (*version)++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (d->compat_shinfo) {
        c->wc_sec = (uint32_t)boot_wallclock_sec;
        c->wc_sec_hi = (uint32_t)(boot_wallclock_sec >> 32);
        c->wc_nsec = boot_wallclock_nsec;
    } else {
        s->wc_sec = (uint32_t)boot_wallclock_sec;
        s->wc_sec_hi = (uint32_t)(boot_wallclock_sec >> 32);
        s->wc_nsec = boot_wallclock_nsec;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    (*version)++;
}

struct domain *domain_create(uint16_t domid, const char *name, bool privileged, int *err)
{
    struct domain *d = xzalloc(struct domain);

    *err = -XEN_ENOMEM;
    if (!d)
        return NULL;
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->console_lock);
    spin_lock_init(&d->pit_lock);
    list_init(&d->page_list);
    list_init(&d->p2m_page_list);       /* the unwinding below walks it */
    d->shared_info_gfn = ~0UL;
    d->max_evtchn_port = NR_EVENT_CHANNELS - 1;
    d->privileged = privileged;
    d->sched.weight = 256;
    d->cpumask = ~0ULL;
    d->hvm_params[HVM_PARAM_TRIPLE_FAULT_REASON] = SHUTDOWN_reboot;    /* Xen's default */
    strlcpy(d->name, name, sizeof(d->name));
    d->shared_info = alloc_xenheap_pages(0);
    if (d->shared_info)
        page_assign(maddr_to_page(__pa(d->shared_info)), d, PGT_SPECIAL);
    if (!d->shared_info || p2m_init(d) || evtchn_init(d) || gnttab_init(d))
        goto fail;
    memset(d->shared_info, 0, PAGE_SIZE);
    domain_set_wallclock(d);

    /* The scheduler's part comes first: a listed domain can be looked up and must be whole. */
    if (sched_dom_init(d))
        goto fail;
    *err = domain_list(d, domid, privileged);
    if (*err) {
        sched_dom_destroy(d);
        goto fail;
    }
    d->sched.domid = d->domid;
    return d;

fail:
    p2m_teardown(d);
    gnttab_free(d);
    xfree(d->evtchn);
    if (d->shared_info)
        put_page(maddr_to_page(__pa(d->shared_info)));
    xfree(d);
    return NULL;
}

void domain_free(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_destroy(d->vcpus[i]);
    physmap_foreign_release(d);
    pages_relinquish(&d->page_list);
    p2m_teardown(d);
    put_page(maddr_to_page(__pa(d->shared_info)));
    gnttab_free(d);
    xfree(d->evtchn);
    sched_dom_destroy(d);
    xfree(d);
}
