/*
 * The host's local APIC (drivers/lapic.c), in xAPIC (MMIO) or x2APIC (MSR) mode as the
 * firmware left it: IPIs, EOI, and the per-CPU timer behind the timer queue.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <kumo/types.h>

/* Maps the LAPIC at lapic_pa (from the MADT) and picks the access mode. Boot CPU, once. */
void apic_init(paddr_t lapic_pa);
/* Enables this CPU's LAPIC: spurious vector, error LVT, masked LINTs. Every CPU. */
void apic_setup_cpu(void);
uint32_t apic_id(void);
void apic_eoi(void);
void apic_send_ipi(uint32_t dest_apic_id, unsigned int vector);
/* No-op until apic_init(): panic() may come first. */
void apic_send_nmi_allbutself(void);
/* INIT, then SIPI to page sipi_page (twice unless *alive turns non-zero). */
void apic_start_ap(uint32_t dest_apic_id, unsigned int sipi_page, volatile uint32_t *alive);

/* Measures the LAPIC timer against the TSC and selects TSC-deadline mode where present. */
void apic_timer_init(void);
/* Sets up this CPU's timer LVT (after apic_timer_init on the boot CPU). */
void apic_timer_setup_cpu(void);
/* Arms this CPU's timer for system time deadline (ns); 0 disarms it. */
void apic_timer_program(int64_t deadline);
/* "TSC-deadline" or "one-shot", for the boot log and tests. */
const char *apic_timer_mode(void);

#endif
