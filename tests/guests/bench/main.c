/*
 * Exit-cost benchmark (DESIGN.md D13): the round trip of a null hypercall
 * (xen_version(XENVER_version)) against the cheapest exit, CPUID, in one run. Times come
 * from the TSC and the rate the hypervisor publishes in CPUID leaf 0x40000003.
 * Command line: iterations=<n>.
 */
#include "guest.h"

const char test_title[] = "Exit-cost benchmark";

static unsigned long arg_iterations(void)
{
    const struct hvm_start_info *si = (const void *)start_info_pa;
    const char *s = si->cmdline_paddr ? strstr((const char *)si->cmdline_paddr, "iterations=")
                                      : NULL;

    return s ? simple_strtoull(s + 11, NULL, 10) : 20000;
}

/* Tenths of a nanosecond per iteration. */
static uint64_t tenth_ns(uint64_t ticks, uint64_t khz, unsigned long n)
{
    return ticks * 10000000 / khz / n;
}

void test_main(void)
{
    unsigned long n = arg_iterations();
    uint32_t a, b, c, khz;
    uint64_t t0, hc, cp, hc_t, cp_t;

    guest_cpuid(0x40000003, &a, &b, &khz, &c);
    if (!khz || !n) {
        xtf_error("no TSC rate from CPUID 0x40000003 or no iterations");
        return;
    }
    for (unsigned long i = 0; i < n / 10 + 1; i++)      /* warm up */
        hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    t0 = rdtsc();
    for (unsigned long i = 0; i < n; i++)
        hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    hc = rdtsc() - t0;
    t0 = rdtsc();
    for (unsigned long i = 0; i < n; i++)
        guest_cpuid(0, &a, &b, &c, &c);
    cp = rdtsc() - t0;
    hc_t = tenth_ns(hc, khz, n);
    cp_t = tenth_ns(cp, khz, n);
    printk("BENCH null-hypercall-vs-cpuid ratio %lu.%02lu hypercall %lu.%lu ns cpuid %lu.%lu ns "
           "iterations %lu tsc_khz %u\n", (unsigned long)(hc * 100 / cp / 100),
           (unsigned long)(hc * 100 / cp % 100), (unsigned long)(hc_t / 10),
           (unsigned long)(hc_t % 10), (unsigned long)(cp_t / 10), (unsigned long)(cp_t % 10), n,
           khz);
}
