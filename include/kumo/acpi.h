/*
 * ACPI table discovery for the host: RSDP, RSDT/XSDT, MADT. The parser reaches physical
 * memory only through a map callback, so host tests feed it crafted (and broken) tables.
 */
#ifndef KUMO_ACPI_H
#define KUMO_ACPI_H

#include <kumo/types.h>

#define ACPI_MAX_CPUS 256

/* Returns a pointer to len readable bytes at physical address pa, or NULL. */
typedef const void *(*acpi_map_fn)(paddr_t pa, size_t len);

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
};

struct acpi_info {
    paddr_t rsdp_pa;
    uint8_t revision;              /* RSDP revision: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */
    paddr_t madt_pa;
    uint32_t madt_len;
    paddr_t fadt_pa;               /* for power-off: PM1 control blocks and the DSDT */
    uint32_t fadt_len;
    paddr_t lapic_pa;              /* from the MADT, or its address override entry */
    unsigned int nr_cpus;          /* enabled or online-capable processors, at most ACPI_MAX_CPUS */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    unsigned int nr_ioapics;
    /* Tables found, for the allocator to keep its hands off: */
    unsigned int nr_tables;
    struct { paddr_t pa; uint32_t len; } tables[32];
};

/* Checks an RSDP candidate's signature, checksums and length. */
bool acpi_rsdp_valid(const void *rsdp, size_t avail);

/*
 * Scans the EBDA's first KiB (segment at 0x40E) and 0xE0000-0xFFFFF on 16-byte boundaries.
 * Returns the RSDP's physical address or 0.
 */
paddr_t acpi_find_rsdp(acpi_map_fn map);

/*
 * Reads the RSDT/XSDT from the RSDP at rsdp_pa, finds the MADT and lists its processors.
 * Tables with a bad signature, length or checksum are skipped with a reason in *why.
 * Returns 0, or a negative errno when no usable MADT was found.
 */
int acpi_parse(paddr_t rsdp_pa, acpi_map_fn map, struct acpi_info *info, const char **why);

#endif
