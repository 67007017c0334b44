/*
 * platform_op and mca as a Linux Dom0 uses them at boot: settime64/settime32 move the wall
 * clock in shared_info, get_cpuinfo describes each pCPU, firmware_info and get_dom0_console
 * answer "none" as Xen does without EFI or VGA, XEN_MC_physcpuinfo counts and lists the pCPUs.
 * Run as Dom0 on a 2-CPU machine; as a DomU both hypercalls answer -EPERM.
 */
#include "guest.h"

const char test_title[] = "platform_op and mca for Dom0";

#define SHARED_INFO_GFN 0x900
#define NSEC 1000000000UL
#define XENPF_get_dom0_console 64       /* Xen 4.18's number; Linux 6.1 asks for it */

static long platform_op(struct xen_platform_op *op)
{
    op->interface_version = XENPF_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_platform_op, op, 0);
}

static long mca(struct xen_mc *mc)
{
    mc->interface_version = XEN_MCA_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_mca, mc, 0);
}

static uint64_t wc_at_zero(const struct shared_info *s)
{
    return ((uint64_t)s->wc_sec_hi << 32 | s->wc_sec) * NSEC + s->wc_nsec;
}

static void test_settime(const struct shared_info *s)
{
    struct xen_platform_op op = { .cmd = XENPF_settime64 };
    int64_t now = pv_now(s);

    op.u.settime64.secs = 2000000000;
    op.u.settime64.nsecs = 5;
    op.u.settime64.system_time = (uint64_t)now;
    CHECK_EQ("settime64", platform_op(&op), 0);
    if (wc_at_zero(s) != 2000000000 * NSEC + 5 - (uint64_t)now)
        xtf_failure("settime64: wall clock at 0 is %lu ns, want %lu", wc_at_zero(s),
                    2000000000 * NSEC + 5 - (uint64_t)now);
    op.u.settime64.mbz = 1;
    CHECK_EQ("settime64 with mbz set", platform_op(&op), -XEN_EINVAL);

    op = (struct xen_platform_op){ .cmd = XENPF_settime32 };
    now = pv_now(s);
    op.u.settime32.secs = 1800000000;
    op.u.settime32.nsecs = 999999999;
    op.u.settime32.system_time = (uint64_t)now;
    CHECK_EQ("settime32", platform_op(&op), 0);
    if (wc_at_zero(s) != 1800000000 * NSEC + 999999999 - (uint64_t)now)
        xtf_failure("settime32: wall clock at 0 is %lu ns", wc_at_zero(s));
    op.u.settime32.nsecs = 1000000000;
    CHECK_EQ("settime32 with nsecs >= 1 s", platform_op(&op), -XEN_EINVAL);

    op = (struct xen_platform_op){ .cmd = XENPF_settime64 };
    op.u.settime64.secs = 1;
    op.interface_version = 0;
    CHECK_EQ("wrong interface version", HYPERCALL2(__HYPERVISOR_platform_op, &op, 0),
             -XEN_EACCES);
}

static void test_cpuinfo(void)
{
    struct xen_platform_op op = { .cmd = XENPF_get_cpuinfo };

    for (uint32_t cpu = 0; cpu < 2; cpu++) {
        op.u.pcpu_info.xen_cpuid = cpu;
        CHECK_EQ("get_cpuinfo", platform_op(&op), 0);
        CHECK_EQ("pCPU online flag", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
        CHECK_EQ("max_present", op.u.pcpu_info.max_present, 1);
        CHECK_EQ("APIC id", op.u.pcpu_info.apic_id, cpu);
    }
    op.u.pcpu_info.xen_cpuid = 77;
    CHECK_EQ("get_cpuinfo of an absent CPU", platform_op(&op), 0);
    CHECK_EQ("absent CPU flag", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID);
}

static void test_firmware(void)
{
    struct xen_platform_op op = { .cmd = XENPF_firmware_info };

    op.u.firmware_info.type = XEN_FW_EFI_INFO;
    if (platform_op(&op) >= 0)
        xtf_failure("firmware_info EFI succeeded on a machine without EFI");
    op.u.firmware_info.type = XEN_FW_DISK_INFO;
    CHECK_EQ("firmware_info disk 0", platform_op(&op), -XEN_ESRCH);
    op.u.firmware_info.type = 200;
    CHECK_EQ("firmware_info unknown type", platform_op(&op), -XEN_EINVAL);
    op = (struct xen_platform_op){ .cmd = XENPF_get_dom0_console };
    CHECK_EQ("get_dom0_console without VGA", platform_op(&op), -XEN_ENODEV);
}

static struct mcinfo_logical_cpu cpus[4];

static void test_mca(void)
{
    struct xen_mc mc = { .cmd = XEN_MC_physcpuinfo };

    CHECK_EQ("physcpuinfo count", mca(&mc), 0);
    CHECK_EQ("physcpuinfo ncpus", mc.u.mc_physcpuinfo.ncpus, 2);
    mc.u.mc_physcpuinfo.ncpus = 4;
    set_xen_guest_handle(mc.u.mc_physcpuinfo.info, cpus);
    CHECK_EQ("physcpuinfo list", mca(&mc), 0);
    CHECK_EQ("physcpuinfo entries", mc.u.mc_physcpuinfo.ncpus, 2);
    CHECK_EQ("entry 1's CPU", cpus[1].mc_cpunr, 1);
    if (!cpus[0].mc_vendorid[0] || !cpus[0].mc_family)
        xtf_failure("physcpuinfo: no vendor or family");
}

void test_main(void)
{
    struct xen_platform_op op = { .cmd = XENPF_get_cpuinfo };
    struct xen_mc mc = { .cmd = XEN_MC_physcpuinfo };
    const struct shared_info *s;

    if (!guest_is_dom0()) {
        CHECK_EQ("platform_op from a DomU", platform_op(&op), -XEN_EPERM);
        CHECK_EQ("mca from a DomU", mca(&mc), -XEN_EPERM);
        xtf_success();
        return;
    }
    s = map_shared_info(SHARED_INFO_GFN);
    if (!s) {
        xtf_error("cannot map shared_info");
        return;
    }
    test_settime(s);
    test_cpuinfo();
    test_firmware();
    test_mca();
    xtf_success();
}
