/* Stopping the machine: panic(), and the ASSERT/BUG_ON contract of STYLE.md. */
#ifndef KUMO_PANIC_H
#define KUMO_PANIC_H

#include <kumo/types.h>

/*
 * Prints the reason, stops every other CPU, then reboots after five seconds, or halts for
 * good with `noreboot`. Only for boot failures and hypervisor-state corruption.
 */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* True once a panic or fatal trap has begun: other CPUs stop when they see it. */
extern volatile bool panic_in_progress;
extern bool opt_noreboot;

#define BUG_ON(cond) do { if (unlikely(cond)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); } while (0)
#ifdef NDEBUG
#define ASSERT(cond) do { } while (0)
#else
#define ASSERT(cond) do { if (unlikely(!(cond))) panic("Assertion '%s' failed at %s:%d", #cond, __FILE__, __LINE__); } while (0)
#endif

/* Power control (arch/x86/shutdown.c). */
void machine_restart(void) __attribute__((noreturn));
void machine_halt(void) __attribute__((noreturn));
/* Stops the calling CPU for good with interrupts off. */
void cpu_stop(void) __attribute__((noreturn));

#endif
