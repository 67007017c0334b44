/* panic(): the one way the hypervisor stops itself on purpose after a fatal error. */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/panic.h>
#include <kumo/param.h>
#include <kumo/time.h>

volatile bool panic_in_progress;
bool opt_noreboot;
boolean_param("noreboot", opt_noreboot);

void cpu_stop(void)
{
    local_irq_disable();
    for (;;)
        halt();
}

void panic(const char *fmt, ...)
{
    static DEFINE_SPINLOCK(panic_lock);
    char buf[256];
    va_list ap;

    local_irq_disable();
    /* A second CPU panicking at the same time stops here and lets the first report. */
    if (!spin_trylock(&panic_lock))
        cpu_stop();
    panic_in_progress = true;
    apic_send_nmi_allbutself();

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_force_unlock();
    printk("****************************************\n");
    printk("Panic on CPU %u:\n", smp_processor_id());
    printk("%s\n", buf);
    printk("****************************************\n");
    if (opt_noreboot) {
        printk("Manual reset required ('noreboot' specified)\n");
        machine_halt();
    }
    printk("Reboot in five seconds...\n");
    udelay(5000000);
    machine_restart();
}
