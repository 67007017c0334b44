/* Softirqs: a pending bitmap per CPU, handlers run from do_softirq(). */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/traps.h>
#include <kumo/softirq.h>

static void (*softirq_handlers[NR_SOFTIRQS])(void);

void open_softirq(unsigned int nr, void (*handler)(void))
{
    softirq_handlers[nr] = handler;
}

void raise_softirq(unsigned int nr)
{
    __atomic_fetch_or(&this_cpu()->softirq_pending, 1UL << nr, __ATOMIC_SEQ_CST);
}

void cpu_raise_softirq(unsigned int cpu, unsigned int nr)
{
    struct cpu_info *c = per_cpu(cpu);
    unsigned long old = __atomic_fetch_or(&c->softirq_pending, 1UL << nr, __ATOMIC_SEQ_CST);

    /* Already pending means an IPI is already on its way or the CPU will see it anyway. */
    if (cpu != smp_processor_id() && !(old & (1UL << nr)))
        apic_send_ipi(c->apic_id, EVENT_CHECK_VECTOR);
}

void do_softirq(void)
{
    struct cpu_info *c = this_cpu();
    unsigned long pending;

    while ((pending = __atomic_exchange_n(&c->softirq_pending, 0, __ATOMIC_SEQ_CST))) {
        for (unsigned int nr = 0; nr < NR_SOFTIRQS; nr++)
            if ((pending & (1UL << nr)) && softirq_handlers[nr])
                softirq_handlers[nr]();
    }
}

static void event_check_interrupt(struct cpu_user_regs *regs)
{
    /* Nothing to do here: the interrupted idle loop looks at softirq_pending next. */
    (void)regs;
}

void softirq_init(void)
{
    set_irq_handler(EVENT_CHECK_VECTOR, event_check_interrupt);
}
