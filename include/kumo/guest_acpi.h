/*
 * ACPI tables for every guest (kernel/guest_acpi.c), as Xen's libxl gives PVH guests:
 * RSDP (revision 2) -> XSDT -> hardware-reduced FADT (+ DSDT with \_S5) and a MADT with one
 * local APIC per vCPU (processor UID = vCPU index, APIC id = 2 x index). A guest powers
 * itself off by writing SLP_TYP/SLP_EN to the FADT's sleep control register, a port the
 * hypervisor traps (arch/x86/hvm/io.c).
 */
#ifndef KUMO_GUEST_ACPI_H
#define KUMO_GUEST_ACPI_H

#include <kumo/types.h>

#define GUEST_ACPI_BASE         0x9F000ULL  /* one page below the 640 KiB line */
#define GUEST_ACPI_SIZE         0x1000
#define GUEST_ACPI_SLEEP_CTL    0xB010      /* SLEEP_CONTROL_REG (byte) */
#define GUEST_ACPI_SLEEP_STS    0xB011      /* SLEEP_STATUS_REG (byte), reads 0 */
#define GUEST_ACPI_S5_TYP       5           /* \_S5's SLP_TYP */
#define GUEST_ACPI_SLP_EN       (1u << 5)

/*
 * Fills buf (GUEST_ACPI_SIZE bytes, to be placed at guest-physical base) with the tables
 * for nr_vcpus (1..255/2) vCPUs. Returns the RSDP's guest-physical address, or 0 if the
 * vCPU count does not fit.
 */
uint64_t guest_acpi_build(void *buf, uint64_t base, unsigned int nr_vcpus);

#endif
