/*
 * The domain table and counted references to domains (DESIGN.md D15). The table holds one
 * reference per listed domain; domain_lookup() takes another under domlist_lock, so a
 * structure found by id stays valid until its domain_put(), whatever destroy does meanwhile.
 * The last put hands the domain to domain_release() (kernel/domain_lifecycle.c), which frees it.
 */
#include <asm/irq.h>
#include <kumo/domain.h>
#include <kumo/lock_order.h>
#include <kumo/panic.h>
#include <kumo/xen_abi.h>

struct domain *domain_table[MAX_DOMAINS];
DEFINE_SPINLOCK(domlist_lock);

void domain_get(struct domain *d)
{
    uint32_t old = __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_ACQUIRE);

    BUG_ON(old == 0);               /* a reference must come from one already held */
}

void domain_put(struct domain *d)
{
    uint32_t old = __atomic_fetch_sub(&d->refcnt, 1, __ATOMIC_RELEASE);

    BUG_ON(old == 0);
    if (old == 1) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        domain_release(d);
    }
}

struct domain *domain_lookup(uint16_t domid)
{
    struct domain *d = NULL;
    unsigned long flags;

    if (domid >= MAX_DOMAINS)
        return NULL;
    lock_level_irqsave(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    /* Listed means the table's reference is still held: the count cannot be 0 here. */
    d = domain_table[domid];
    if (d)
        domain_get(d);
    unlock_level_irqrestore(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    return d;
}

struct domain *domain_lookup_or_self(struct domain *self, uint16_t domid)
{
    if (domid == DOMID_SELF || domid == self->domid) {
        domain_get(self);
        return self;
    }
    return domain_lookup(domid);
}

/* Xen's rotating choice: ids are not reused at once, so a stale id rarely names a new domain. */
static uint16_t next_free_after_rover(void)
{
    static uint16_t rover;              /* under domlist_lock */

    for (unsigned int n = 1; n < MAX_DOMAINS; n++) {
        uint16_t id = (uint16_t)(1 + (rover + n - 1) % (MAX_DOMAINS - 1));

        if (!domain_table[id])
            return rover = id;
    }
    return MAX_DOMAINS;
}

int domain_list(struct domain *d, uint16_t domid, bool privileged)
{
    unsigned long flags;
    int rc = 0;

    lock_level_irqsave(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    if (domid == DOMID_ROVER)
        domid = next_free_after_rover();
    else if (domid == DOMID_INVALID)
        for (domid = privileged ? 0 : 1; domid < MAX_DOMAINS && domain_table[domid]; domid++)
            ;
    if (domid >= MAX_DOMAINS)
        rc = -XEN_ENOSPC;
    else if (domain_table[domid])
        rc = -XEN_EEXIST;
    else {
        d->domid = domid;
        d->refcnt = 1;                  /* the table's */
        domain_table[domid] = d;
    }
    unlock_level_irqrestore(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    return rc;
}

bool domain_unlist(struct domain *d)
{
    unsigned long flags;
    bool was = false;

    lock_level_irqsave(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    if (d->domid < MAX_DOMAINS && domain_table[d->domid] == d) {
        domain_table[d->domid] = NULL;
        was = true;
    }
    unlock_level_irqrestore(&domlist_lock, flags, LOCK_LEVEL_LEAF);
    return was;
}

struct domain *domain_next(unsigned int *domid)
{
    for (; *domid < MAX_DOMAINS; (*domid)++) {
        struct domain *d = domain_lookup((uint16_t)*domid);

        if (d)
            return d;
    }
    return NULL;
}
