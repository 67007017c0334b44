/*
 * The control interface, from Dom0: sysctl sched_id, physinfo and the pool's credit
 * parameters, domctl getdomaininfo, scheduler_op get/put, soft affinity as Xen returns it,
 * and pinning: a DomU vCPU pinned to a pCPU is only ever seen there, and pinning it
 * elsewhere moves it. Needs a DomU (domid 1) running beside it. With
 * "pin-load" it only pins domid 1's vCPU to pCPU 2, then unpins it and, sleeping between
 * looks so the other pCPUs idle, waits to see it move off pCPU 2 (where a second
 * CPU-bound DomU keeps it waiting) by an idle pCPU's stealing.
 */
#include "guest.h"
#include <kumo/xen_ctl_abi.h>

const char test_title[] = "Control interface";

static long domctl(struct xen_domctl *op)
{
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_domctl, op, 0);
}

static long sysctl(struct xen_sysctl *op)
{
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_sysctl, op, 0);
}

static uint8_t cpumap[8];

/* Hard affinity of domid's vCPU 0: one pCPU, or every pCPU for cpu = ~0u. */
static long pin(unsigned int domid, unsigned int cpu)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpuaffinity, .domain = (domid_t)domid };

    memset(cpumap, cpu == ~0u ? 0xFF : 0, sizeof(cpumap));
    if (cpu != ~0u)
        cpumap[cpu / 8] = (uint8_t)(1u << (cpu % 8));
    op.u.vcpuaffinity.vcpu = 0;
    op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD;
    op.u.vcpuaffinity.cpumap_hard.bitmap.p = cpumap;
    op.u.vcpuaffinity.cpumap_hard.nr_bits = 64;
    return domctl(&op);
}

/*
 * Once the DomU's vCPU has left its old pCPU (it moves when it next stops running there:
 * allow 100 ms), it must only ever be seen on cpu for the next ~300 ms.
 */
static void check_only_on(unsigned int domid, unsigned int cpu)
{
    uint32_t a, b, khz, d;
    unsigned int seen = 0, running = 0;
    uint64_t end, ms;

    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    ms = khz ? khz : 1000000;
    end = rdtsc() + ms * 100;
    for (;;) {
        struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = (domid_t)domid };

        op.u.getvcpuinfo.vcpu = 0;
        if (!domctl(&op) && op.u.getvcpuinfo.cpu == cpu)
            break;
        if (rdtsc() > end) {
            xtf_failure("vCPU pinned to pCPU %u never moved there", cpu);
            return;
        }
    }
    end = rdtsc() + ms * 300;
    while (rdtsc() < end) {
        struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = (domid_t)domid };

        op.u.getvcpuinfo.vcpu = 0;
        if (domctl(&op)) {
            xtf_failure("getvcpuinfo failed");
            return;
        }
        seen++;
        running += op.u.getvcpuinfo.running;
        if (op.u.getvcpuinfo.cpu != cpu) {
            xtf_failure("vCPU pinned to pCPU %u seen on pCPU %u", cpu, op.u.getvcpuinfo.cpu);
            return;
        }
    }
    printk("pinned to pCPU %u: seen there %u times (%u running)\n", cpu, seen, running);
    if (!running)
        xtf_error("never saw the DomU running");
}

static void test_sysctl(void)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_sched_id };

    CHECK_EQ("sched_id", sysctl(&op), 0);
    CHECK_EQ("scheduler is credit", op.u.sched_id.sched_id, XEN_SCHEDULER_CREDIT);
    op = (struct xen_sysctl){ .cmd = XEN_SYSCTL_physinfo };
    CHECK_EQ("physinfo", sysctl(&op), 0);
    CHECK_EQ("physinfo nr_cpus", op.u.physinfo.nr_cpus, 2);
    if (!op.u.physinfo.free_pages || op.u.physinfo.free_pages > op.u.physinfo.total_pages)
        xtf_failure("physinfo pages: %lu free of %lu", (unsigned long)op.u.physinfo.free_pages,
                    (unsigned long)op.u.physinfo.total_pages);
    op.cmd = 99;
    CHECK_EQ("unknown sysctl", sysctl(&op), -XEN_ENOSYS);
}

/* Pool-0's credit parameters: Xen's defaults, its ranges, a change read back. */
static void test_pool_params(void)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_scheduler_op };
    struct xen_sysctl_credit_schedule *c = &op.u.scheduler_op.u.sched_credit;

    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_getinfo;
    CHECK_EQ("pool params", sysctl(&op), 0);
    if (c->tslice_ms != 30 || c->ratelimit_us != 1000 || c->vcpu_migr_delay_us != 0)
        xtf_failure("pool params %u ms, %u us, %u us: not Xen's defaults", c->tslice_ms,
                    c->ratelimit_us, c->vcpu_migr_delay_us);
    op.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_putinfo;
    *c = (struct xen_sysctl_credit_schedule){ 5, 6000, 0 };
    CHECK_EQ("rate limit above the slice", sysctl(&op), -XEN_EINVAL);
    *c = (struct xen_sysctl_credit_schedule){ 1001, 0, 0 };
    CHECK_EQ("slice above 1 s", sysctl(&op), -XEN_EINVAL);
    *c = (struct xen_sysctl_credit_schedule){ 20, 500, 100 };
    CHECK_EQ("new pool params", sysctl(&op), 0);
    op.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_getinfo;
    *c = (struct xen_sysctl_credit_schedule){ 0 };
    sysctl(&op);
    if (c->tslice_ms != 20 || c->ratelimit_us != 500 || c->vcpu_migr_delay_us != 100)
        xtf_failure("pool params read back %u, %u, %u", c->tslice_ms, c->ratelimit_us,
                    c->vcpu_migr_delay_us);
    op.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_putinfo;
    *c = (struct xen_sysctl_credit_schedule){ 30, 1000, 0 };
    CHECK_EQ("pool params back", sysctl(&op), 0);
    op.u.scheduler_op.cpupool_id = 1;
    CHECK_EQ("no pool 1", sysctl(&op), -XEN_ESRCH);
    op.u.scheduler_op.cpupool_id = 0;
    op.u.scheduler_op.sched_id = 4;
    CHECK_EQ("not the pool's scheduler", sysctl(&op), -XEN_EINVAL);
}

/* Soft affinity: set returns it within the hard affinity, get as it was set. */
static void test_soft_affinity(void)
{
    static uint8_t hard[8], soft[8];
    struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpuaffinity, .domain = 1 };

    memset(hard, 0, sizeof(hard));
    memset(soft, 0, sizeof(soft));
    hard[0] = 0x1;                      /* pCPU 0 */
    soft[0] = 0x3;                      /* pCPUs 0 and 1 */
    op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT;
    op.u.vcpuaffinity.cpumap_hard.bitmap.p = hard;
    op.u.vcpuaffinity.cpumap_hard.nr_bits = 64;
    op.u.vcpuaffinity.cpumap_soft.bitmap.p = soft;
    op.u.vcpuaffinity.cpumap_soft.nr_bits = 64;
    CHECK_EQ("set hard and soft", domctl(&op), 0);
    CHECK_EQ("effective soft affinity", soft[0], 0x1);
    op.cmd = XEN_DOMCTL_getvcpuaffinity;
    op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_SOFT;
    CHECK_EQ("get soft", domctl(&op), 0);
    CHECK_EQ("soft affinity as set", soft[0], 0x3);
    memset(hard, 0xFF, sizeof(hard));
    memset(soft, 0xFF, sizeof(soft));
    op.cmd = XEN_DOMCTL_setvcpuaffinity;
    op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT;
    CHECK_EQ("unpin", domctl(&op), 0);
}

static void test_domaininfo_and_sched(void)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = 1 };

    CHECK_EQ("getdomaininfo(1)", domctl(&op), 0);
    CHECK_EQ("getdomaininfo domain", op.u.getdomaininfo.domain, 1);
    if (!(op.u.getdomaininfo.flags & XEN_DOMINF_hvm_guest) || !op.u.getdomaininfo.tot_pages ||
        op.u.getdomaininfo.nr_online_vcpus != 1)
        xtf_failure("getdomaininfo: flags %#x, %lu pages, %u vCPUs", op.u.getdomaininfo.flags,
                    (unsigned long)op.u.getdomaininfo.tot_pages,
                    op.u.getdomaininfo.nr_online_vcpus);
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_getdomaininfo, .domain = 40 };
    CHECK_EQ("getdomaininfo past the last domain", domctl(&op), -XEN_ESRCH);
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_scheduler_op, .domain = 1 };
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
    CHECK_EQ("scheduler_op getinfo", domctl(&op), 0);
    CHECK_EQ("default weight", op.u.scheduler_op.u.credit.weight, 256);
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
    op.u.scheduler_op.u.credit.weight = 512;
    op.u.scheduler_op.u.credit.cap = 50;
    CHECK_EQ("scheduler_op putinfo", domctl(&op), 0);
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
    domctl(&op);
    CHECK_EQ("weight after put", op.u.scheduler_op.u.credit.weight, 512);
    CHECK_EQ("cap after put", op.u.scheduler_op.u.credit.cap, 50);
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
    op.u.scheduler_op.u.credit.cap = 0;
    domctl(&op);
    op.u.scheduler_op.sched_id = 4;
    CHECK_EQ("scheduler_op for the wrong scheduler", domctl(&op), -XEN_EINVAL);
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_getvcpuinfo, .domain = 1 };
    op.u.getvcpuinfo.vcpu = 7;
    /* Xen's rule: past the domain's vCPU limit -EINVAL (one not made yet would be -ESRCH). */
    CHECK_EQ("getvcpuinfo past the vCPU limit", domctl(&op), -XEN_EINVAL);
    op.interface_version = 0x14;
    CHECK_EQ("old interface version",
             HYPERCALL2(__HYPERVISOR_domctl, &op, 0), -XEN_EACCES);
}

/* XEN_DOMCTL_max_vcpus: only the count the domain was made with, never on oneself. */
static void test_max_vcpus(void)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_max_vcpus, .domain = 1 };

    op.u.max_vcpus.max = 1;
    CHECK_EQ("max_vcpus with the DomU's count", domctl(&op), 0);
    op.u.max_vcpus.max = 4;
    CHECK_EQ("max_vcpus with another count", domctl(&op), -XEN_EINVAL);
    op.domain = 0;
    op.u.max_vcpus.max = 1;
    CHECK_EQ("max_vcpus on the caller's own domain", domctl(&op), -XEN_EINVAL);
    op.domain = 77;
    CHECK_EQ("max_vcpus on no domain", domctl(&op), -XEN_ESRCH);
}

static unsigned int vcpu_cpu(unsigned int domid)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = (domid_t)domid };

    op.u.getvcpuinfo.vcpu = 0;
    return domctl(&op) ? ~0u : op.u.getvcpuinfo.cpu;
}

/* Unpinned from pCPU 2 and kept waiting there, it must move within about two seconds. */
static void test_unpinned_moves(void)
{
    struct sched_poll nap = { .nr_ports = 0 };
    const struct shared_info *shared = map_shared_info(0x900);
    unsigned int looks = 0, cpu = 2;

    if (!shared) {
        xtf_error("no shared_info");
        return;
    }
    CHECK_EQ("pin to pCPU 2", pin(1, 2), 0);
    check_only_on(1, 2);
    CHECK_EQ("unpin", pin(1, ~0u), 0);
    while (looks < 2000 && (cpu = vcpu_cpu(1)) == 2) {
        nap.timeout = (uint64_t)pv_now(shared) + 1000000;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &nap);
        looks++;
    }
    if (cpu == 2 || cpu == ~0u)
        xtf_failure("unpinned, the vCPU stayed on pCPU 2 (%u looks, 1 ms apart)", looks);
    else
        printk("unpinned: moved from pCPU 2 to pCPU %u after %u looks\n", cpu, looks);
}

void test_main(void)
{
    if (strstr(guest_cmdline(), "pin-load")) {
        test_unpinned_moves();
        return;
    }
    test_max_vcpus();
    test_sysctl();
    test_pool_params();
    test_domaininfo_and_sched();
    test_soft_affinity();
    CHECK_EQ("pin to pCPU 1", pin(1, 1), 0);
    check_only_on(1, 1);
    CHECK_EQ("pin to pCPU 0", pin(1, 0), 0);
    check_only_on(1, 0);
    CHECK_EQ("pin to a missing pCPU", pin(1, 9), -XEN_EINVAL);
}
