/*
 * Turning the firmware memory map into allocatable ranges: RAM entries minus every
 * reserved range (the image, modules, ACPI tables, low memory) and minus any non-RAM or
 * earlier RAM entry that overlaps them. Pure logic, unit-tested on the host.
 */
#ifndef KUMO_MEMMAP_H
#define KUMO_MEMMAP_H

#include <kumo/boot.h>

struct mem_range {
    uint64_t start, end;            /* [start, end) */
};

/*
 * Calls fn(start, end, arg) for each page-aligned usable piece, in memmap order. Returns
 * the number of pieces. Pieces never overlap each other or any of reserved[0..nr_reserved).
 */
unsigned int memmap_for_each_usable(const struct boot_memmap_entry *map, unsigned int nr_map,
                                    const struct mem_range *reserved, unsigned int nr_reserved,
                                    void (*fn)(uint64_t start, uint64_t end, void *arg),
                                    void *arg);

/* End of the highest RAM entry (0 when none). */
uint64_t memmap_ram_end(const struct boot_memmap_entry *map, unsigned int nr_map);
/* Sum of the lengths of the RAM entries. */
uint64_t memmap_ram_total(const struct boot_memmap_entry *map, unsigned int nr_map);

#endif
