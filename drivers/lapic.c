/*
 * Local APIC driver. Both access modes sit behind apic_read/apic_write: xAPIC registers
 * through the direct map, x2APIC registers as MSRs 0x800 + (offset >> 4) (SDM Vol 3A 10.12).
 */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include <kumo/console.h>
#include <kumo/time.h>

#define APIC_ID       0x020
#define APIC_VERSION  0x030
#define APIC_TPR      0x080
#define APIC_EOI      0x0B0
#define APIC_SVR      0x0F0
#define APIC_ESR      0x280
#define APIC_ICR      0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TMICT    0x380
#define APIC_TMCCT    0x390
#define APIC_TDCR     0x3E0

#define APIC_SVR_ENABLE     (1u << 8)
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_TIMER_TSC_DEADLINE (2u << 17)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_DM_NMI          (4u << 8)
#define ICR_DM_INIT         (5u << 8)
#define ICR_DM_STARTUP      (6u << 8)
#define ICR_ALL_BUT_SELF    (3u << 18)
#define APIC_BASE_X2APIC    (1u << 10)

static volatile uint32_t *apic_mmio;
static bool x2apic_mode;
static bool apic_ready;
static bool tsc_deadline;
static uint64_t apic_timer_hz;      /* LAPIC timer ticks per second at divide-by-1 */
static uint64_t apic_ticks_per_ns_32; /* apic_timer_hz / 1e9, as a 32.32 fixed-point value */

static uint32_t apic_read(unsigned int reg)
{
    if (x2apic_mode)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return apic_mmio[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
    if (x2apic_mode)
        wrmsr(0x800 + (reg >> 4), v);
    else
        apic_mmio[reg / 4] = v;
}

static void apic_write_icr(uint32_t dest, uint32_t low)
{
    if (x2apic_mode) {
        wrmsr(0x800 + (APIC_ICR >> 4), ((uint64_t)dest << 32) | low);
        return;
    }
    for (unsigned int i = 0; i < 1000000 && (apic_read(APIC_ICR) & ICR_DELIVERY_PENDING); i++)
        cpu_relax();
    apic_write(APIC_ICR_HIGH, dest << 24);
    apic_write(APIC_ICR, low);
}

void apic_init(paddr_t lapic_pa)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    x2apic_mode = base & APIC_BASE_X2APIC;
    if (!lapic_pa)
        lapic_pa = base & PADDR_MASK;
    apic_mmio = __va(lapic_pa);
    apic_ready = true;
    printk("Local APIC: %s mode at %#lx, version %#x\n", x2apic_mode ? "x2APIC" : "xAPIC",
           (unsigned long)lapic_pa, apic_read(APIC_VERSION) & 0xFF);
}

static void apic_error_interrupt(struct cpu_user_regs *regs)
{
    uint32_t esr;

    (void)regs;
    apic_write(APIC_ESR, 0);
    esr = apic_read(APIC_ESR);
    printk(KLOG_WARNING "APIC error on CPU %u: ESR %#x\n", smp_processor_id(), esr);
}

void apic_setup_cpu(void)
{
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_APIC_VECTOR);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
    apic_write(APIC_LVT_ERROR, ERROR_APIC_VECTOR);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    set_irq_handler(ERROR_APIC_VECTOR, apic_error_interrupt);
}

uint32_t apic_id(void)
{
    uint32_t id = apic_read(APIC_ID);

    return x2apic_mode ? id : id >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

void apic_send_ipi(uint32_t dest_apic_id, unsigned int vector)
{
    unsigned long flags = local_irq_save();

    apic_write_icr(dest_apic_id, vector);
    local_irq_restore(flags);
}

void apic_send_nmi_allbutself(void)
{
    if (apic_ready)
        apic_write_icr(0, ICR_DM_NMI | ICR_ALL_BUT_SELF);
}

void apic_start_ap(uint32_t dest, unsigned int sipi_page, volatile uint32_t *alive)
{
    /* The universal start-up algorithm (SDM Vol 3A 8.4.4.1): INIT, 10 ms, SIPI, SIPI. */
    apic_write(APIC_ESR, 0);
    apic_write_icr(dest, ICR_DM_INIT | ICR_LEVEL_ASSERT);
    udelay(10000);
    for (unsigned int i = 0; i < 2 && !*alive; i++) {
        apic_write_icr(dest, ICR_DM_STARTUP | sipi_page);
        for (unsigned int us = 0; us < 200 && !*alive; us += 10)
            udelay(10);
    }
}

void apic_timer_init(void)
{
    uint64_t t0, t1;
    uint32_t left;

    tsc_deadline = cpu_has_tsc_deadline();
    /* Even with TSC-deadline, know the timer's rate: it is reported and kept as fallback. */
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TDCR, 0xB);                 /* divide by 1 */
    t0 = rdtsc_ordered();
    apic_write(APIC_TMICT, 0xFFFFFFFF);
    udelay(10000);
    left = apic_read(APIC_TMCCT);
    t1 = rdtsc_ordered();
    apic_write(APIC_TMICT, 0);
    apic_timer_hz = (0xFFFFFFFFULL - left) * tsc_khz * 1000 / MAX(t1 - t0, 1);
    apic_ticks_per_ns_32 = (apic_timer_hz << 32) / 1000000000;
    printk("LAPIC timer: %s mode, timer clock %lu.%03lu MHz\n", apic_timer_mode(),
           (unsigned long)(apic_timer_hz / 1000000), (unsigned long)(apic_timer_hz / 1000 % 1000));
}

void apic_timer_setup_cpu(void)
{
    apic_write(APIC_TDCR, 0xB);
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR | (tsc_deadline ? APIC_TIMER_TSC_DEADLINE : 0));
}

void apic_timer_program(int64_t deadline)
{
    int64_t delta;
    uint64_t count;

    if (tsc_deadline) {
        /* Writing 0 disarms; any past value fires at once (SDM Vol 3A 10.5.4.1). */
        wrmsr(MSR_TSC_DEADLINE, deadline ? MAX(stime_to_tsc(deadline), 1) : 0);
        return;
    }
    if (!deadline) {
        apic_write(APIC_TMICT, 0);
        return;
    }
    delta = deadline - NOW();
    count = delta <= 0 ? 1 : (uint64_t)(((unsigned __int128)delta * apic_ticks_per_ns_32) >> 32);
    /* A far deadline is reached in steps: an early interrupt just re-arms the timer. */
    apic_write(APIC_TMICT, (uint32_t)MIN(MAX(count, 1), 0xFFFFFFFFULL));
}

const char *apic_timer_mode(void)
{
    return tsc_deadline ? "TSC-deadline" : "one-shot";
}
