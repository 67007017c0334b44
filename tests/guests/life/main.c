/*
 * A domain's life from the toolstack's side, as Dom0 sees it: getdomaininfolist, kumo's
 * boot-name sysctl, readconsole (incremental index, clear), debug keys, pause/unpause of
 * a ticking DomU (domid 1, "witness") and destroy of another (domid 2, "victim"): its
 * memory comes back and VIRQ_DOM_EXC fires. With "domu" on its command line it is that
 * victim: as a DomU it checks that every one of those operations answers it -EPERM, then
 * spins until Dom0 destroys it.
 */
#include "guest.h"
#include <kumo/xen_ctl_abi.h>
#include <public/kumo.h>

const char test_title[] = "Domain lifecycle control";

static const struct shared_info *shared;
static char ring[16384];

static long domctl(unsigned int cmd, unsigned int domid, struct xen_domctl *op)
{
    op->cmd = cmd;
    op->domain = (domid_t)domid;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_domctl, op, 0);
}

static long sysctl(unsigned int cmd, struct xen_sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_sysctl, op, 0);
}

static void nap_ms(unsigned int ms)
{
    struct sched_poll nap = { .nr_ports = 0 };
    int64_t end = pv_now(shared) + (int64_t)ms * 1000000;

    while (pv_now(shared) < end) {
        nap.timeout = (uint64_t)end;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &nap);
    }
}

/* readconsole into ring (NUL-terminated); returns the count, or -errno. */
static long readconsole(bool incremental, bool clear, uint32_t *index)
{
    struct xen_sysctl op = { 0 };
    long rc;

    op.u.readconsole.incremental = incremental;
    op.u.readconsole.clear = clear;
    op.u.readconsole.index = *index;
    op.u.readconsole.buffer.p = ring;
    op.u.readconsole.count = sizeof(ring) - 1;
    rc = sysctl(XEN_SYSCTL_readconsole, &op);
    if (rc)
        return rc;
    ring[op.u.readconsole.count] = '\0';
    *index = op.u.readconsole.index;
    return op.u.readconsole.count;
}

static uint64_t vcpu0_time(unsigned int domid)
{
    struct xen_domctl op = { 0 };

    op.u.getvcpuinfo.vcpu = 0;
    return domctl(XEN_DOMCTL_getvcpuinfo, domid, &op) ? 0 : op.u.getvcpuinfo.cpu_time;
}

static void test_domaininfolist_and_names(void)
{
    static struct xen_domctl_getdomaininfo info[8];
    struct xen_sysctl op = { 0 };
    struct kumo_sysctl_domainname *n = (void *)&op.u;

    op.u.getdomaininfolist.first_domain = 0;
    op.u.getdomaininfolist.max_domains = 8;
    op.u.getdomaininfolist.buffer.p = info;
    CHECK_EQ("getdomaininfolist", sysctl(XEN_SYSCTL_getdomaininfolist, &op), 0);
    CHECK_EQ("domains listed", op.u.getdomaininfolist.num_domains, 3);
    CHECK_EQ("getdomaininfo's flags for the victim", info[2].flags & XEN_DOMINF_shutdown, 0);
    for (unsigned int i = 0; i < 3; i++)
        CHECK_EQ("listed in id order", info[i].domain, i);
    if (!info[1].tot_pages || info[1].nr_online_vcpus != 1)
        xtf_failure("witness listed with %lu pages, %u vCPUs",
                    (unsigned long)info[1].tot_pages, info[1].nr_online_vcpus);
    op.u.getdomaininfolist.first_domain = 1;
    op.u.getdomaininfolist.max_domains = 1;
    CHECK_EQ("getdomaininfolist from 1, one", sysctl(XEN_SYSCTL_getdomaininfolist, &op), 0);
    CHECK_EQ("one domain listed", op.u.getdomaininfolist.num_domains, 1);
    CHECK_EQ("it is domain 1", info[0].domain, 1);
    op.u.getdomaininfolist.first_domain = 0;
    op.u.getdomaininfolist.max_domains = 8;
    op.u.getdomaininfolist.buffer.p = (void *)0x7ff0000000ul;
    CHECK_EQ("getdomaininfolist into a bad buffer", sysctl(XEN_SYSCTL_getdomaininfolist, &op),
             -XEN_EFAULT);

    memset(&op, 0, sizeof(op));
    n->domid = 1;
    CHECK_EQ("getdomainname(1)", sysctl(KUMO_SYSCTL_getdomainname, &op), 0);
    if (strcmp(n->name, "witness"))
        xtf_failure("domain 1 is named '%s', not 'witness'", n->name);
    n->domid = 0;
    sysctl(KUMO_SYSCTL_getdomainname, &op);
    if (strcmp(n->name, "Domain-0"))
        xtf_failure("domain 0 is named '%s'", n->name);
    n->domid = 99;
    CHECK_EQ("getdomainname(99)", sysctl(KUMO_SYSCTL_getdomainname, &op), -XEN_ESRCH);
}

static long debug_key(char *key)
{
    struct xen_sysctl op = { 0 };

    op.u.debug_keys.keys.p = key;
    op.u.debug_keys.nr_keys = 1;
    return sysctl(XEN_SYSCTL_debug_keys, &op);
}

/*
 * The ring is the hypervisor's log (what `xl dmesg` shows): a debug key's output lands there,
 * Dom0's own console_io output does not (Xen keeps it out unless console_to_ring is given).
 */
static void test_readconsole_and_debug_keys(void)
{
    uint32_t index = 0, mark;
    long n = readconsole(false, false, &index);

    if (n <= 0 || !strstr(ring, "(kumo) ") || !strstr(ring, "witness"))
        xtf_failure("readconsole: %ld bytes without kumo's boot log", n);
    printk("readconsole: Dom0's own line\n");
    mark = index;
    CHECK_EQ("debug_keys h", debug_key("h"), 0);
    n = readconsole(true, false, &index);
    if (n <= 0 || !strstr(ring, "'h' pressed") || strstr(ring, "Heap:"))
        xtf_failure("incremental readconsole from %u: %ld bytes, not just what followed",
                    mark, n);
    if (strstr(ring, "Dom0's own line"))
        xtf_failure("Dom0's console_io output reached the hypervisor's ring");
    index = 0;
    CHECK_EQ("readconsole with clear", readconsole(false, true, &index) > 0, 1);
    CHECK_EQ("debug_keys q", debug_key("q"), 0);
    index = 0;
    n = readconsole(false, false, &index);
    if (n <= 0 || !strstr(ring, "'q' pressed") || strstr(ring, "'h' pressed"))
        xtf_failure("after clear, readconsole gave %ld bytes, not only the new ones", n);
}

static void test_pause_unpause(void)
{
    struct xen_domctl op = { 0 };
    uint64_t t0, t1, t2;
    uint32_t index = 0;

    CHECK_EQ("pause myself", domctl(XEN_DOMCTL_pausedomain, 0, &op), -XEN_EINVAL);
    CHECK_EQ("unpause a running domain", domctl(XEN_DOMCTL_unpausedomain, 1, &op), -XEN_EINVAL);
    CHECK_EQ("pause a missing domain", domctl(XEN_DOMCTL_pausedomain, 77, &op), -XEN_ESRCH);
    CHECK_EQ("pause the witness", domctl(XEN_DOMCTL_pausedomain, 1, &op), 0);
    domctl(XEN_DOMCTL_getdomaininfo, 1, &op);
    if (!(op.u.getdomaininfo.flags & XEN_DOMINF_paused))
        xtf_failure("paused domain's flags %#x lack XEN_DOMINF_paused", op.u.getdomaininfo.flags);
    t0 = vcpu0_time(1);
    readconsole(false, false, &index);
    nap_ms(300);
    t1 = vcpu0_time(1);
    readconsole(true, false, &index);
    if (t1 != t0 || strstr(ring, "[witness] tick"))
        xtf_failure("paused witness ran: CPU time %lu -> %lu ns, console '%s'",
                    (unsigned long)t0, (unsigned long)t1, ring);
    CHECK_EQ("unpause the witness", domctl(XEN_DOMCTL_unpausedomain, 1, &op), 0);
    nap_ms(300);
    t2 = vcpu0_time(1);
    readconsole(true, false, &index);
    if (t2 <= t1 || !strstr(ring, "[witness] tick"))
        xtf_failure("unpaused witness did not run: CPU time %lu -> %lu ns",
                    (unsigned long)t1, (unsigned long)t2);
    printk("paused 300 ms: witness CPU time +%lu ns; unpaused 300 ms: +%lu ns\n",
           (unsigned long)(t1 - t0), (unsigned long)(t2 - t1));
}

static unsigned long free_pages(void)
{
    struct xen_sysctl op = { 0 };

    return sysctl(XEN_SYSCTL_physinfo, &op) ? 0 : (unsigned long)op.u.physinfo.free_pages;
}

static void test_destroy(void)
{
    struct evtchn_bind_virq bind = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    struct xen_domctl op = { 0 };
    unsigned long before, after, pages;
    unsigned int waited = 0;

    CHECK_EQ("bind VIRQ_DOM_EXC", HYPERCALL2(__HYPERVISOR_event_channel_op,
                                             EVTCHNOP_bind_virq, &bind), 0);
    CHECK_EQ("destroy myself", domctl(XEN_DOMCTL_destroydomain, 0, &op), -XEN_EINVAL);
    domctl(XEN_DOMCTL_getdomaininfo, 2, &op);
    pages = (unsigned long)op.u.getdomaininfo.tot_pages;
    before = free_pages();
    CHECK_EQ("destroy the victim", domctl(XEN_DOMCTL_destroydomain, 2, &op), 0);
    while (domctl(XEN_DOMCTL_getdomaininfo, 2, &op) == 0 && op.u.getdomaininfo.domain == 2 &&
           waited++ < 1000)
        nap_ms(1);
    after = free_pages();
    if (after < before + pages)
        xtf_failure("destroy returned %ld pages of the victim's %lu", (long)(after - before),
                    pages);
    CHECK_EQ("destroy it again", domctl(XEN_DOMCTL_destroydomain, 2, &op), -XEN_ESRCH);
    if (!((shared->evtchn_pending[bind.port / 64] >> (bind.port % 64)) & 1))
        xtf_failure("VIRQ_DOM_EXC (port %u) not pending after the destroy", bind.port);
    printk("destroyed the victim after %u ms: %lu pages back (it had %lu)\n", waited,
           after - before, pages);
}

/* From a DomU every one of them is Dom0's business only. */
static void test_unprivileged(void)
{
    struct xen_domctl dop = { 0 };
    struct xen_sysctl sop = { 0 };
    static const unsigned int sysctls[] = { XEN_SYSCTL_getdomaininfolist, XEN_SYSCTL_readconsole,
                                            XEN_SYSCTL_debug_keys, KUMO_SYSCTL_getdomainname };
    static const unsigned int domctls[] = { XEN_DOMCTL_pausedomain, XEN_DOMCTL_unpausedomain,
                                            XEN_DOMCTL_destroydomain };

    for (unsigned int i = 0; i < ARRAY_SIZE(sysctls); i++)
        if (sysctl(sysctls[i], &sop) != -XEN_EPERM)
            xtf_failure("sysctl %#x from a DomU was not refused -EPERM", sysctls[i]);
    for (unsigned int i = 0; i < ARRAY_SIZE(domctls); i++)
        if (domctl(domctls[i], 1, &dop) != -XEN_EPERM)
            xtf_failure("domctl %u from a DomU was not refused -EPERM", domctls[i]);
}

void test_exit(void)
{
    if (!strstr(guest_cmdline(), "domu"))
        return;
    for (;;)
        __asm__ volatile("pause");
}

/* The victim's verdict is part of this test: wait (bounded) until it is in the ring. */
static void wait_for_victim(void)
{
    uint32_t index = 0;

    for (unsigned int ms = 0; ms < 5000; ms += 10) {
        if (readconsole(false, false, &index) > 0 && strstr(ring, "[victim] Test result"))
            return;
        nap_ms(10);
    }
    xtf_error("the victim never reported its result");
}

void test_main(void)
{
    if (strstr(guest_cmdline(), "domu")) {
        test_unprivileged();
        return;
    }
    shared = map_shared_info(0x900);
    if (!shared) {
        xtf_error("no shared_info");
        return;
    }
    wait_for_victim();
    test_domaininfolist_and_names();
    test_readconsole_and_debug_keys();
    test_pause_unpause();
    test_destroy();
}
