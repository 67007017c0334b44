/*
 * Debug keys and the serial input switch. A 20 ms timer on CPU 0 drains the UART (no
 * interrupt routing is needed for that); three CTRL-a in a row toggle whether input goes
 * to Dom0 or to the debug keys below.
 */
#include <asm/apic.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/exit_trace.h>
#include <kumo/keyhandler.h>
#include <kumo/mm.h>
#include <kumo/sched.h>
#include <kumo/panic.h>
#include <kumo/timer.h>
#include <kumo/uart.h>

#define POLL_PERIOD MILLISECS(20)
#define CTRL_A 0x01

static struct timer poll_timer;
static bool input_to_kumo;
static unsigned int ctrl_a_run;
static void (*dom0_input)(char c);

struct keyhandler {
    char key;
    const char *desc;
    void (*fn)(void);
};

static void key_help(void);

static void key_memory(void)
{
    printk("Memory: %lu of %lu pages free (%lu MiB)\n", total_free_pages(), total_heap_pages(),
           total_free_pages() >> (20 - PAGE_SHIFT));
}

static void key_time(void)
{
    unsigned int cpu;

    printk("System time %ld ns, TSC %lu kHz\n", (long)NOW(), (unsigned long)tsc_khz);
    for_each_online_cpu(cpu)
        printk("CPU %u: APIC id %u, %lu interrupts\n", cpu, per_cpu(cpu)->apic_id,
               per_cpu(cpu)->irq_count);
}

/* Xen's 'q': every domain's vCPUs, where they are and what they wait for. */
static void key_domains(void)
{
    static const char *const states[] = { "offline", "runnable", "running", "blocked" };
    unsigned int id = 0;
    struct domain *d;

    printk("'q' pressed -> dumping domain info\n");
    for (; (d = domain_next(&id)) != NULL; id++) {
        unsigned int mapped = 0;

        for (unsigned int i = 0; i < d->gnttab.nr_frames; i++)
            mapped += d->gnttab.gfn[i] != ~0UL;
        printk("d%u (%s): %lu pages, %u vCPUs%s; %lu p2m changes (last gfn %#lx); "
               "grant frames %u (%u mapped)\n", id, d->name, d->tot_pages, d->nr_vcpus,
               d->is_shutdown ? ", shut down" : "", d->p2m_changes, d->p2m_last_gfn,
               d->gnttab.nr_frames, mapped);
        for (unsigned int i = 0; i < d->nr_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];

            printk("  vCPU %u: %s%s on pCPU %u, rip %#lx, upcall %u, LAPIC vector %d%s%s\n",
                   i, states[v->state], v->is_up ? "" : " (down)", v->pcpu,
                   (unsigned long)v->arch.regs.rip, vcpu_events_pending(v),
                   vlapic_deliverable(v), v->arch.vlapic.nmi_pending ? ", NMI pending" : "",
                   (d->poll_mask >> i) & 1 ? ", polling" : "");
        }
        domain_put(d);
    }
    sched_dump();
}

static void key_events(void)
{
    unsigned int id = 0;
    struct domain *d;

    printk("'e' pressed -> dumping event-channel info\n");
    for (; (d = domain_next(&id)) != NULL; id++) {
        evtchn_dump(d);
        domain_put(d);
    }
}

static void key_exits(void)
{
    unsigned int id = 0;
    struct domain *d;

    printk("'x' pressed -> dumping every vCPU's last exits\n");
    for (; (d = domain_next(&id)) != NULL; id++) {
        exit_trace_dump_domain(d, ~0u);
        domain_put(d);
    }
}

static void key_nmi(void)
{
    printk("Sending NMI to all other CPUs\n");
    apic_send_nmi_allbutself();
}

static void key_crash(void)
{
    printk("'C' pressed -> deliberately crashing the hypervisor\n");
    __asm__ volatile("ud2");
}

static void key_reboot(void)
{
    printk("'R' pressed -> rebooting machine\n");
    machine_restart();
}

static const struct keyhandler keyhandlers[] = {
    { 'h', "print this help", key_help },
    { 'm', "memory info", key_memory },
    { 't', "time and per-CPU interrupt counts", key_time },
    { 'n', "send an NMI to all other CPUs", key_nmi },
    { 'q', "dump domain (and guest vCPU) info", key_domains },
    { 'e', "dump event-channel info", key_events },
    { 'x', "dump every vCPU's last VM exits", key_exits },
    { 'C', "crash the hypervisor (tests the fatal-trap path)", key_crash },
    { 'R', "reboot the machine", key_reboot },
};

static void key_help(void)
{
    printk("'h' pressed -> showing installed handlers\n");
    for (unsigned int i = 0; i < ARRAY_SIZE(keyhandlers); i++)
        printk(" key '%c' (ascii '%02x') => %s\n", keyhandlers[i].key, keyhandlers[i].key,
               keyhandlers[i].desc);
}

void handle_keypress(char c)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(keyhandlers); i++)
        if (keyhandlers[i].key == c) {
            keyhandlers[i].fn();
            return;
        }
    if (c != '\r' && c != '\n')
        printk("Unknown debug key '%c' (ascii '%02x'): 'h' lists them\n",
               c >= 0x20 && c < 0x7F ? c : '?', (unsigned char)c);
}

static void receive(char c)
{
    if (c == CTRL_A) {
        if (++ctrl_a_run == 3) {
            ctrl_a_run = 0;
            input_to_kumo = !input_to_kumo;
            printk("*** Serial input to %s (type 'CTRL-a' three times to switch input)\n",
                   input_to_kumo ? "kumo" : "DOM0");
        }
        return;
    }
    ctrl_a_run = 0;
    if (input_to_kumo)
        handle_keypress(c);
    else if (dom0_input)
        dom0_input(c);
}

static void poll_serial(void *unused)
{
    int c;

    (void)unused;
    while ((c = uart_getc()) >= 0)
        receive((char)c);
    timer_set(&poll_timer, NOW() + POLL_PERIOD);
}

void console_set_dom0_input(void (*sink)(char c))
{
    dom0_input = sink;
}

void console_input_init(void)
{
    timer_init(&poll_timer, poll_serial, NULL, 0);
    timer_set(&poll_timer, NOW() + POLL_PERIOD);
    printk("*** Serial input to DOM0 (type 'CTRL-a' three times to switch input)\n");
}
