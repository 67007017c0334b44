/* Rebooting and halting the machine. */
#include <asm/irq.h>
#include <asm/processor.h>
#include <kumo/panic.h>
#include <kumo/time.h>

void machine_restart(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } null_idt = { 0, 0 };

    local_irq_disable();
    /* Pulse the reset line through the keyboard controller, as PCs have since the AT... */
    for (unsigned int i = 0; i < 0x10000; i++)
        if (!(inb(0x64) & 0x02))
            break;
    outb(0x64, 0xFE);
    /* The pulse takes effect a little later (QEMU's at its next event): a triple fault left
     * for when it did nothing keeps "Triple fault" in an emulator's log a sign of a crash. */
    udelay(100000);
    /* ...and if that did nothing, a triple fault resets any PC. */
    __asm__ volatile("lidt %0; int3" :: "m"(null_idt));
    cpu_stop();
}

void machine_halt(void)
{
    cpu_stop();
}
