/* ACPI S5 power-off (drivers/acpi_power.c). */
#ifndef KUMO_ACPI_POWER_H
#define KUMO_ACPI_POWER_H

#include <kumo/acpi.h>

/* Finds the PM1 control ports and \_S5's sleep type. Boot CPU, after acpi_parse(). */
void acpi_power_init(const struct acpi_info *info);
/* Turns the machine off; halts if nothing worked. */
void machine_power_off(void) __attribute__((noreturn));

#endif
