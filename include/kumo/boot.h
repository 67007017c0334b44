/*
 * What the boot loader told us, copied out of the multiboot information before anything
 * can overwrite it. Filled by arch/x86/multiboot.c, read by setup and the Dom0 builder.
 */
#ifndef KUMO_BOOT_H
#define KUMO_BOOT_H

#include <kumo/types.h>

#define BOOT_MAX_MEMMAP  128
#define BOOT_MAX_MODULES 80
#define BOOT_CMDLINE_LEN 1024

/* Memory map types as in E820 and multiboot. */
#define MEM_RAM      1
#define MEM_RESERVED 2
#define MEM_ACPI     3
#define MEM_NVS      4
#define MEM_BAD      5

struct boot_memmap_entry {
    uint64_t addr, len;
    uint32_t type;
};

struct boot_module {
    paddr_t start, end;             /* [start, end) */
    char string[256];
};

struct boot_info {
    unsigned int multiboot;         /* 1 or 2 */
    char loader[64];
    char cmdline[BOOT_CMDLINE_LEN];
    unsigned int nr_memmap;
    struct boot_memmap_entry memmap[BOOT_MAX_MEMMAP];
    unsigned int nr_modules;
    unsigned int nr_modules_dropped;    /* beyond BOOT_MAX_MODULES: reported, not used */
    struct boot_module modules[BOOT_MAX_MODULES];
    /* Multiboot2 hands over a copy of the RSDP rather than its address. */
    bool has_rsdp_copy;
    uint8_t rsdp_copy[64] __attribute__((aligned(16)));
};

extern struct boot_info boot_info;

/*
 * Copies the loader's information (magic from EAX, info from EBX; identity-mapped) into
 * boot_info. Returns 0, or -1 when the magic is not a multiboot one.
 */
int multiboot_parse(uint32_t magic, uint32_t info_pa);

#endif
