/*
 * TSC frequency and system time. The rate comes from CPUID leaf 0x15 (crystal ratio) or
 * 0x16 (base MHz) when present and consistent with a 50 ms measurement against the PIT;
 * under emulators CPUID advertises nominal figures, so the measurement wins a disagreement.
 */
#include <asm/processor.h>
#include <kumo/spinlock.h>
#include <kumo/console.h>
#include <kumo/time.h>

#define PIT_HZ 1193182
#define CALIBRATE_MS 50

uint64_t tsc_khz;
static uint64_t boot_tsc;
static uint64_t ns_per_tsc_32;     /* 32.32 fixed point */
static uint64_t tsc_per_ns_32;

static uint64_t cpuid_tsc_khz(const char **source)
{
    struct cpuid_regs r;
    uint32_t max;

    cpuid(0, &r);
    max = r.eax;
    if (max >= 0x15) {
        cpuid(0x15, &r);
        /* EAX/EBX = TSC/crystal ratio; ECX = crystal Hz, 0 when not enumerated. */
        if (r.eax && r.ebx && r.ecx) {
            *source = "CPUID leaf 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
        }
    }
    if (max >= 0x16) {
        cpuid(0x16, &r);
        if (r.eax & 0xFFFF) {
            *source = "CPUID leaf 0x16";
            return (uint64_t)(r.eax & 0xFFFF) * 1000;
        }
    }
    return 0;
}

/* TSC ticks per CALIBRATE_MS, counted while PIT channel 2 counts down in mode 0. */
static uint64_t pit_measure_tsc(void)
{
    uint32_t latch = PIT_HZ * CALIBRATE_MS / 1000;
    uint64_t t0, t1;
    unsigned long spins = 0;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);    /* gate on, speaker off */
    outb(0x43, 0xB0);                          /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, latch & 0xFF);
    outb(0x42, latch >> 8);
    t0 = rdtsc_ordered();
    while (!(inb(0x61) & 0x20))                /* OUT2 rises at terminal count */
        if (++spins > 200000000)
            return 0;
    t1 = rdtsc_ordered();
    return t1 - t0;
}

static void set_rate(uint64_t khz)
{
    tsc_khz = khz;
    ns_per_tsc_32 = (1000000ULL << 32) / khz;
    tsc_per_ns_32 = (khz << 32) / 1000000;
}

void time_init(void)
{
    const char *source = NULL;
    uint64_t claimed = cpuid_tsc_khz(&source);
    uint64_t measured = pit_measure_tsc() / CALIBRATE_MS;
    uint64_t khz = measured;

    if (claimed && measured) {
        uint64_t diff = claimed > measured ? claimed - measured : measured - claimed;

        if (diff * 50 <= measured)      /* within 2% */
            khz = claimed;
        else
            printk("TSC: %s claims %lu kHz but the PIT measures %lu kHz; using the PIT\n",
                   source, (unsigned long)claimed, (unsigned long)measured);
    } else if (claimed) {
        khz = claimed;
    }
    if (!khz) {
        printk(KLOG_WARNING "TSC: no rate from CPUID or the PIT; assuming 1 GHz\n");
        khz = 1000000;
    }
    set_rate(khz);
    boot_tsc = rdtsc_ordered();
    printk("TSC: %lu.%03lu MHz (%s)%s\n", (unsigned long)(khz / 1000),
           (unsigned long)(khz % 1000), khz == claimed ? source : "calibrated against the PIT",
           cpu_has_invariant_tsc() ? ", invariant" : "");
}

s_time_t tsc_to_ns(uint64_t delta)
{
    return (s_time_t)(((unsigned __int128)delta * ns_per_tsc_32) >> 32);
}

s_time_t NOW(void)
{
    return tsc_to_ns(rdtsc_ordered() - boot_tsc);
}

uint64_t stime_to_tsc(s_time_t t)
{
    return boot_tsc + (uint64_t)(((unsigned __int128)(uint64_t)t * tsc_per_ns_32) >> 32);
}

void udelay(unsigned long us)
{
    uint64_t khz = tsc_khz ? tsc_khz : 1000000;
    uint64_t end = rdtsc_ordered() + us * khz / 1000;

    while ((int64_t)(rdtsc_ordered() - end) < 0)
        cpu_relax();
}
