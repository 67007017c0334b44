/*
 * Deferred work per CPU. Interrupt handlers raise a softirq; the CPU runs the handlers with
 * interrupts enabled from its idle loop (and, later, before entering a guest). The
 * scheduler registers SCHEDULE_SOFTIRQ here.
 */
#ifndef KUMO_SOFTIRQ_H
#define KUMO_SOFTIRQ_H

enum {
    TIMER_SOFTIRQ,
    SCHEDULE_SOFTIRQ,
    NR_SOFTIRQS
};

void open_softirq(unsigned int nr, void (*handler)(void));
void raise_softirq(unsigned int nr);
/* Marks nr pending on cpu and interrupts it (EVENT_CHECK_VECTOR) if it is not the caller. */
void cpu_raise_softirq(unsigned int cpu, unsigned int nr);
/* Runs pending handlers until none is pending. Interrupts enabled. */
void do_softirq(void);
/* Installs the event-check IPI handler. Once, on the boot CPU. */
void softirq_init(void);

#endif
