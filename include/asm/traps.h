/* Interrupt dispatch: handlers for device and IPI vectors, and the trap entry point. */
#ifndef ASM_TRAPS_H
#define ASM_TRAPS_H

#include <asm/regs.h>

/* Vectors owned by the hypervisor's local APIC use (high priority classes). */
#define TIMER_VECTOR        0xF0
#define EVENT_CHECK_VECTOR  0xF1    /* IPI: "look at your softirqs" */
#define CALL_FUNCTION_VECTOR 0xF2
#define ERROR_APIC_VECTOR   0xFE
#define SPURIOUS_APIC_VECTOR 0xFF

typedef void (*irq_handler_fn)(struct cpu_user_regs *regs);

/* Installs fn for vector (>= 32); the caller's LAPIC source gets an EOI after it returns. */
void set_irq_handler(unsigned int vector, irq_handler_fn fn);

/* Called from arch/x86/entry.S for every vector. */
void do_trap(struct cpu_user_regs *regs);

/* Prints registers and a frame-pointer stack trace (for traps and debug keys). */
void show_registers(const struct cpu_user_regs *regs);
void show_stack_trace(uint64_t rbp);

#endif
