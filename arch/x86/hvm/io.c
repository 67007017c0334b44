/*
 * Port I/O and HLT for PVH guests (DESIGN.md D4): there is no emulated PC, so reads return
 * all-ones and writes are dropped, except port 0xE9, each domain's debug console, the
 * ACPI sleep registers of kernel/guest_acpi.c's FADT, and the domain's own PIT channel 2
 * (pit_channel2.c). HLT sleeps until an interrupt is due;
 * with interrupts off it takes the vCPU down.
 */
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/guest_acpi.h>
#include <kumo/hvm_exits.h>
#include <kumo/pit_channel2.h>
#include <kumo/sched.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

#define DEBUG_CONSOLE_PORT 0xE9

/* Dom0's lines go out as they are, as in Xen; a DomU's carry its name. */
void domain_console_putc(struct domain *d, char c)
{
    /* Two vCPUs writing at once must not push conlen past the buffer. */
    spin_lock(&d->console_lock);
    if (c == '\n' || d->conlen >= sizeof(d->conbuf) - 1) {
        d->conbuf[d->conlen] = '\0';
        if (d->privileged)
            console_write_line_raw(d->conbuf, d->conlen);
        else
            printk("[%s] %s\n", d->name, d->conbuf);
        d->conlen = 0;
    }
    if (c != '\n' && c != '\r' && c != '\0')
        d->conbuf[d->conlen++] = c;
    spin_unlock(&d->console_lock);
}

/* The FADT's sleep control register: SLP_EN with \_S5's type is an ACPI poweroff. */
static void acpi_sleep(struct domain *d, uint8_t val)
{
    if ((val & GUEST_ACPI_SLP_EN) && ((val >> 2) & 7) == GUEST_ACPI_S5_TYP) {
        printk("d%u: ACPI S5 -- powering off\n", d->domid);
        domain_shutdown(d, SHUTDOWN_poweroff);
    }
}

void hvm_io(struct vcpu *v, uint16_t port, unsigned int bytes, bool in)
{
    struct guest_regs *g = &v->arch.regs;
    uint64_t mask = bytes == 1 ? 0xFF : bytes == 2 ? 0xFFFF : 0xFFFFFFFF;

    if (bytes == 1 && pit_channel2_port(port)) {
        struct domain *d = v->domain;

        spin_lock(&d->pit_lock);
        if (in)
            g->rax = (g->rax & ~mask) | pit_channel2_read(&d->pit, port, NOW());
        else
            pit_channel2_write(&d->pit, port, (uint8_t)g->rax, NOW());
        spin_unlock(&d->pit_lock);
        return;
    }
    if (in) {
        /* The ACPI sleep status reads clear (no wake event); the rest all-ones. */
        uint64_t val = port == GUEST_ACPI_SLEEP_STS ? 0 : mask;

        /* Writes to EAX in 32-bit operations zero the upper half, as hardware does. */
        g->rax = bytes == 4 ? val : (g->rax & ~mask) | val;
        return;
    }
    if (port == DEBUG_CONSOLE_PORT && (v->domain->privileged || console_allowance(v->domain, 1)))
        domain_console_putc(v->domain, (char)g->rax);
    else if (port == GUEST_ACPI_SLEEP_CTL)
        acpi_sleep(v->domain, (uint8_t)g->rax);
}

bool hvm_hlt(struct vcpu *v)
{
    /*
     * With interrupts off only an NMI or INIT could end it: Xen takes the vCPU down, and
     * the last one down powers the domain off (Linux halts so without ACPI).
     */
    if (!(v->arch.regs.rflags & (1UL << 9))) {
        vcpu_down_or_poweroff(v);
        return false;
    }
    /* Sleeps until an event is pending for it; one already pending ends HLT at once. */
    return !vcpu_block_unless_pending(v);
}
