/* Bringing up the secondary CPUs (arch/x86/smp.c). */
#ifndef KUMO_SMP_H
#define KUMO_SMP_H

#include <kumo/acpi.h>

/*
 * Starts every processor the MADT lists, up to max_cpus (0 = no limit) and NR_CPUS, one at
 * a time with INIT-SIPI-SIPI. A CPU that does not come up is reported and left out.
 * Returns the number of CPUs online, the boot CPU included.
 */
unsigned int smp_boot_cpus(const struct acpi_info *acpi, unsigned int max_cpus);

/* Each CPU's endless idle loop: run softirqs, else halt until an interrupt. */
void idle_loop(void) __attribute__((noreturn));

#endif
