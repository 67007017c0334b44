/*
 * SMP bring-up. CPU numbering follows the MADT with the boot CPU as CPU 0. Each AP is
 * started alone: the BSP fills the trampoline's parameter block, sends INIT-SIPI-SIPI and
 * waits (bounded) for the AP to mark itself online from start_secondary().
 */
#include <asm/apic.h>
#include <asm/hvm.h>
#include <kumo/sched.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/mm.h>
#include <kumo/smp.h>
#include <kumo/softirq.h>
#include <kumo/time.h>
#include <kumo/timer.h>

#define AP_ONLINE_TIMEOUT SECONDS(2)

extern char trampoline_start[], trampoline_end[];
extern char tramp_cr3[], tramp_efer[], tramp_stack[], tramp_entry[], tramp_alive[];
extern char ap_start64[];
extern uint64_t boot_pml4[];

struct cpu_info cpu_infos[NR_CPUS];
unsigned int nr_cpu_ids = 1;
static struct cpu_info *volatile ap_booting;

/* Address of a trampoline symbol in the copy at TRAMPOLINE_PHYS. */
static void *tramp_var(char *sym)
{
    return (char *)__va(TRAMPOLINE_PHYS) + (sym - trampoline_start);
}

void start_secondary(void);
void start_secondary(void)
{
    struct cpu_info *c = ap_booting;

    desc_load_cpu(c);
    apic_setup_cpu();
    timer_init_cpu(c->id);
    sched_init_cpu(c->id);
    hvm_cpu_up();
    if (apic_id() != c->apic_id)
        printk(KLOG_WARNING "CPU %u: APIC id %u, MADT said %u\n", c->id, apic_id(), c->apic_id);
    printk("CPU %u online (APIC id %u)\n", c->id, c->apic_id);
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    idle_loop();
}

static bool start_ap(struct cpu_info *c)
{
    uint32_t efer = (uint32_t)(EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE));
    s_time_t give_up;

    c->stack = alloc_xenheap_pages(STACK_ORDER);
    if (!c->stack || desc_alloc_cpu(c)) {
        printk("CPU %u (APIC id %u) not started: out of memory\n", c->id, c->apic_id);
        return false;
    }
    memcpy(__va(TRAMPOLINE_PHYS), trampoline_start, (size_t)(trampoline_end - trampoline_start));
    *(uint32_t *)tramp_var(tramp_cr3) = (uint32_t)((uint64_t)boot_pml4);
    *(uint32_t *)tramp_var(tramp_efer) = efer;
    *(uint64_t *)tramp_var(tramp_stack) = (uint64_t)c->stack + STACK_SIZE;
    *(uint64_t *)tramp_var(tramp_entry) = (uint64_t)ap_start64;
    *(volatile uint32_t *)tramp_var(tramp_alive) = 0;
    ap_booting = c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    apic_start_ap(c->apic_id, TRAMPOLINE_PHYS >> 12, (volatile uint32_t *)tramp_var(tramp_alive));
    give_up = NOW() + AP_ONLINE_TIMEOUT;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && NOW() < give_up)
        cpu_relax();
    if (c->online)
        return true;
    printk("CPU %u (APIC id %u) failed to start (%s); continuing without it\n", c->id,
           c->apic_id, *(volatile uint32_t *)tramp_var(tramp_alive) ?
           "it took the SIPI but never reached C" : "no response to INIT-SIPI-SIPI");
    /* Leave its memory allocated: a late AP could still wake up and use it. */
    return false;
}

unsigned int smp_boot_cpus(const struct acpi_info *acpi, unsigned int max_cpus)
{
    uint32_t bsp_id = apic_id();
    unsigned int online = 1, listed = acpi ? acpi->nr_cpus : 0;

    if (!max_cpus || max_cpus > NR_CPUS)
        max_cpus = NR_CPUS;
    for (unsigned int i = 0; i < listed; i++) {
        struct cpu_info *c;

        if (acpi->cpus[i].apic_id == bsp_id)
            continue;
        if (nr_cpu_ids >= max_cpus) {
            printk("CPU with APIC id %u not started (maxcpus=%u)\n", acpi->cpus[i].apic_id,
                   max_cpus);
            continue;
        }
        c = &cpu_infos[nr_cpu_ids];
        c->self = c;
        c->id = nr_cpu_ids++;
        c->apic_id = acpi->cpus[i].apic_id;
        online += start_ap(c);
    }
    return online;
}
