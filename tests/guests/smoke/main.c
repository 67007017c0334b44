/*
 * Hypercall smoke test, run as Dom0 and as a DomU: version and features, Xen's CPUID
 * leaves, console, both hypercall instructions and the hypercall page, -ENOSYS, -EPERM
 * for privileged ops from a DomU, and -EFAULT for every kind of bad guest pointer.
 */
#include "guest.h"

const char test_title[] = "Hypercall smoke test";

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

/* Leaves pages 0 and 2 unmapped: NULL and the far side of a page-crossing buffer fault. */
static void unmap_low_pages(void)
{
    guest_unmap_low_page(0);
    guest_unmap_low_page(2);
}

static void test_version(void)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    char extra[XEN_EXTRAVERSION_LEN];
    long v = HYPERCALL2(__HYPERVISOR_xen_version, XENVER_version, 0);

    if (v < 0x40011)
        xtf_failure("xen_version %#lx, want >= 4.17", v);
    CHECK_EQ("extraversion", HYPERCALL2(__HYPERVISOR_xen_version, XENVER_extraversion, extra), 0);
    CHECK_EQ("get_features", HYPERCALL2(__HYPERVISOR_xen_version, XENVER_get_features, &fi), 0);
    if ((fi.submap & 0x304) != 0x304)
        xtf_failure("features %#x lack bits 2, 8, 9", fi.submap);
    if (!!(fi.submap & (1u << XENFEAT_dom0)) != guest_is_dom0())
        xtf_failure("XENFEAT_dom0 is %u for %s", !!(fi.submap & (1u << XENFEAT_dom0)),
                    guest_is_dom0() ? "Dom0" : "a DomU");
    CHECK_EQ("pagesize", HYPERCALL2(__HYPERVISOR_xen_version, XENVER_pagesize, 0), 4096);
    printk("Xen %ld.%ld%s features %#x\n", v >> 16, v & 0xFFFF, extra, fi.submap);
}

static void test_cpuid(void)
{
    uint32_t a, b, c, d;

    guest_cpuid(0x40000000, &a, &b, &c, &d);
    if (b != XEN_CPUID_SIGNATURE_EBX || c != XEN_CPUID_SIGNATURE_ECX ||
        d != XEN_CPUID_SIGNATURE_EDX)
        xtf_failure("no XenVMMXenVMM signature");
    CHECK_EQ("CPUID 0x40000000 max leaf", a, 0x40000005);
    guest_cpuid(0x40000001, &a, &b, &c, &d);
    CHECK_EQ("CPUID version", a, 0x00040011);
    guest_cpuid(0x40000004, &a, &b, &c, &d);
    if (!(a & XEN_HVM_CPUID_VCPU_ID_PRESENT))
        xtf_failure("vCPU id not present in leaf 4");
    CHECK_EQ("vCPU id", b, 0);
    guest_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 31)))
        xtf_failure("hypervisor bit clear");
    if (c & (1u << 5))
        xtf_failure("VMX visible to the guest");
    if (c & (1u << 3))
        xtf_failure("MONITOR visible to the guest");
    guest_cpuid(0x80000001, &a, &b, &c, &d);
    if (c & (1u << 2))
        xtf_failure("SVM visible to the guest");
}

#ifdef __i386__
static long version_via(bool vmmcall)
{
    long ret;

    if (vmmcall)
        __asm__ volatile("vmmcall" : "=a"(ret) : "a"(__HYPERVISOR_xen_version), "b"(0), "c"(0)
                         : "memory");
    else
        __asm__ volatile("vmcall" : "=a"(ret) : "a"(__HYPERVISOR_xen_version), "b"(0), "c"(0)
                         : "memory");
    return ret;
}

static long version_via_page(uintptr_t page)
{
    long ret;

    __asm__ volatile("call *%1" : "=a"(ret)
                     : "r"(page + __HYPERVISOR_xen_version * 32), "b"(0), "c"(0)
                     : "memory", "edx");
    return ret;
}
#else
static long version_via_page(uintptr_t page)
{
    long ret;

    __asm__ volatile("call *%1" : "=a"(ret)
                     : "r"(page + __HYPERVISOR_xen_version * 32), "D"(0), "S"(0)
                     : "memory", "rcx", "rdx", "r8", "r9", "r10", "r11");
    return ret;
}

static long version_via(bool vmmcall)
{
    long ret;

    if (vmmcall)
        __asm__ volatile("vmmcall" : "=a"(ret) : "a"(__HYPERVISOR_xen_version), "D"(0), "S"(0)
                         : "memory");
    else
        __asm__ volatile("vmcall" : "=a"(ret) : "a"(__HYPERVISOR_xen_version), "D"(0), "S"(0)
                         : "memory");
    return ret;
}
#endif

static void test_instructions(void)
{
    long want = HYPERCALL2(__HYPERVISOR_xen_version, XENVER_version, 0);
    uint64_t page = (uintptr_t)hypercall_page;

    CHECK_EQ("xen_version via VMCALL", version_via(false), want);
    CHECK_EQ("xen_version via VMMCALL", version_via(true), want);
    __asm__ volatile("wrmsr" :: "c"(0x40000000), "a"((uint32_t)page), "d"((uint32_t)(page >> 32)));
    CHECK_EQ("xen_version via the hypercall page", version_via_page((uintptr_t)page), want);
}

static void test_errors(void)
{
    struct sched_shutdown ss = { .reason = SHUTDOWN_reboot };
    static const unsigned long bad[] = {
        0,                              /* NULL (page 0 unmapped) */
        0x80000000,                     /* beyond the guest's mappings */
#ifdef __i386__
        0xfffff000,                     /* the top page, never mapped */
#else
        0x0000800000000000,             /* non-canonical */
        0xffff830000000000,             /* the hypervisor's direct map */
        0xffffffff80100000,             /* the hypervisor's image */
#endif
        0x1ffe,                         /* crosses from a mapped into an unmapped page */
    };

    CHECK_EQ("unknown hypercall 63", hypercall(63, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("hypercall 1000", hypercall(1000, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("set_trap_table (PV only)", hypercall(0, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("unknown xen_version op", HYPERCALL2(__HYPERVISOR_xen_version, 99, 0), -XEN_ENOSYS);
    if (guest_is_dom0())
        CHECK_EQ("domctl from Dom0 with a zeroed (wrong-version) argument",
                 hypercall(__HYPERVISOR_domctl, 0, 0, 0, 0, 0), -XEN_EACCES);
    else
        CHECK_EQ("domctl from a DomU", hypercall(__HYPERVISOR_domctl, 0, 0, 0, 0, 0), -XEN_EPERM);
    if (!guest_is_dom0())
        CHECK_EQ("sysctl from a DomU", hypercall(__HYPERVISOR_sysctl, 0, 0, 0, 0, 0), -XEN_EPERM);
    unmap_low_pages();
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long rc = HYPERCALL2(__HYPERVISOR_xen_version, XENVER_extraversion, bad[i]);

        if (rc != -XEN_EFAULT)
            xtf_failure("extraversion to %#lx: %ld, want -EFAULT", bad[i], rc);
        rc = HYPERCALL3(__HYPERVISOR_console_io, CONSOLEIO_write, 16, bad[i]);
        if (rc != -XEN_EFAULT)
            xtf_failure("console_io from %#lx: %ld, want -EFAULT", bad[i], rc);
        rc = HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, bad[i]);
        if (rc != -XEN_EFAULT)
            xtf_failure("sched_op shutdown from %#lx: %ld, want -EFAULT", bad[i], rc);
    }
    CHECK_EQ("vcpu_op is_up(0)", HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    CHECK_EQ("vcpu_op is_up(99)", HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 99, 0),
             -XEN_ENOENT);
    CHECK_EQ("shutdown_code", HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_shutdown_code, &ss), 0);
}

static void test_shared_info(void)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0, .gpfn = 0x900,
    };
    volatile uint64_t *si = (volatile uint64_t *)0x900000;

    CHECK_EQ("add_to_physmap(shared_info)",
             HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &xatp), 0);
    if (!((volatile struct shared_info *)si)->vcpu_info[0].time.tsc_to_system_mul)
        xtf_failure("no pvclock in the page mapped as shared_info");
    si[100] = 0x1234;
    CHECK_EQ("shared_info readback", si[100], 0x1234);
    xatp.space = 99;
    CHECK_EQ("add_to_physmap(bad space)",
             HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &xatp), -XEN_EINVAL);
}

/* Every guest has ACPI tables with a MADT, 1-vCPU ones included, kept from RAM by the memmap. */
static void test_acpi_presence(void)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
    const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
    unsigned int vcpus = 0;
    bool listed = false;

    while (vcpus < 64 && HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, vcpus, 0) >= 0)
        vcpus++;
    if (!acpi_check_tables(vcpus))
        return;
    for (unsigned int i = 0; i < si->memmap_entries; i++)
        listed |= e[i].type == XEN_HVM_MEMMAP_TYPE_ACPI && e[i].addr <= si->rsdp_paddr &&
                  si->rsdp_paddr < e[i].addr + e[i].size;
    if (!listed)
        xtf_failure("the RSDP at %#lx is not in an ACPI range of the memmap",
                    (unsigned long)si->rsdp_paddr);
}

void test_main(void)
{
    test_acpi_presence();
    test_version();
    test_cpuid();
    test_instructions();
    test_errors();
    test_shared_info();
}
