/*
 * console_io: guests write to the hypervisor console (Dom0's bytes go out as they come, an
 * interactive shell's prompt included; a DomU's lines are rate-limited and prefixed with its
 * name, like its port-0xE9 output); Dom0 reads
 * the serial input that the CTRL-a switch hands it.
 */
#include <asm/irq.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/keyhandler.h>
#include <kumo/xen_abi.h>

#define DOMU_CONSOLE_BYTES_PER_SEC 8192
#define DOMU_CONSOLE_BURST         16384
#define DOM0_INPUT_SIZE            256

static char dom0_input[DOM0_INPUT_SIZE];
static unsigned int input_head, input_tail;
static DEFINE_SPINLOCK(input_lock);

/*
 * Linux's hvc console reads input only when VIRQ_CONSOLE (bound on vCPU 0) fires or when
 * something writes to it, so every buffered byte raises the VIRQ, as Xen's serial_rx does.
 */
static void dom0_input_putc(char c)
{
    struct domain *d = domain_lookup(0);
    unsigned long flags;

    spin_lock_irqsave(&input_lock, flags);
    if (input_head - input_tail < DOM0_INPUT_SIZE)
        dom0_input[input_head++ % DOM0_INPUT_SIZE] = c;
    spin_unlock_irqrestore(&input_lock, flags);
    if (d && d->privileged && d->nr_vcpus)
        send_guest_virq(d->vcpus[0], VIRQ_CONSOLE);
    if (d)
        domain_put(d);
}

void console_io_init(void)
{
    console_set_dom0_input(dom0_input_putc);
}

/* Token bucket: a DomU cannot flood the console that everyone shares, by either way in. */
size_t console_allowance(struct domain *d, size_t want)
{
    int64_t now = NOW();

    spin_lock(&d->console_lock);
    if (!d->console_refill) {
        d->console_refill = now;
        d->console_tokens = DOMU_CONSOLE_BURST;
    }
    d->console_tokens = MIN((uint64_t)DOMU_CONSOLE_BURST,
                            d->console_tokens + (uint64_t)(now - d->console_refill) *
                                                    DOMU_CONSOLE_BYTES_PER_SEC / 1000000000);
    d->console_refill = now;
    want = MIN(want, d->console_tokens);
    d->console_tokens -= want;
    spin_unlock(&d->console_lock);
    return want;
}

static long console_write(struct vcpu *v, uint64_t count, uint64_t buf)
{
    struct domain *d = v->domain;
    char chunk[128];
    uint64_t done = 0;

    if (count > (1u << 20))
        return -XEN_EINVAL;
    if (!d->privileged)
        count = console_allowance(d, count);
    while (done < count) {
        size_t n = MIN(sizeof(chunk), count - done);

        if (copy_from_guest_virt(v, chunk, buf + done, n))
            return -XEN_EFAULT;
        if (d->privileged) {
            console_write_raw(chunk, n);
        } else {
            for (size_t i = 0; i < n; i++)
                domain_console_putc(d, chunk[i]);
        }
        done += n;
    }
    return 0;
}

static long console_read(struct vcpu *v, uint64_t count, uint64_t buf)
{
    char chunk[DOM0_INPUT_SIZE];
    unsigned long flags;
    size_t n = 0;

    if (!v->domain->privileged)
        return -XEN_EPERM;
    spin_lock_irqsave(&input_lock, flags);
    while (n < count && n < sizeof(chunk) && input_tail != input_head)
        chunk[n++] = dom0_input[input_tail++ % DOM0_INPUT_SIZE];
    spin_unlock_irqrestore(&input_lock, flags);
    if (n && copy_to_guest_virt(v, buf, chunk, n))
        return -XEN_EFAULT;
    return (long)n;
}

long do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a4,
                   uint64_t a5)
{
    (void)a4, (void)a5;
    switch (cmd) {
    case CONSOLEIO_write:
        return console_write(v, count, buf);
    case CONSOLEIO_read:
        return console_read(v, count, buf);
    }
    return -XEN_ENOSYS;
}
