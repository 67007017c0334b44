/*
 * The domain builder's pieces (create.c runs them in order and undoes them on failure):
 * guest memory and its layout (build_mem.c), what vCPU 0 finds when it starts (start info,
 * ACPI tables and its registers, build_boot.c), xenstore's view of the domain (build_xs.c)
 * and the kept configuration (userdata.c). Private to libs/toolstack.
 */
#ifndef TOOLSTACK_BUILD_H
#define TOOLSTACK_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/config.h"
#include "toolstack/kimage.h"

/*
 * The guest-physical layout, as kumo's boot-time builder lays out its domains (RAM from 0,
 * the ACPI page below 640 KiB, the MMIO hole from 3.75 GiB) with Xen's special pages for
 * the xenstore and console rings (xenguest.h: X86_HVM_END_SPECIAL_REGION - 8 ...).
 */
#define BUILD_ACPI_BASE     0x9F000ULL
#define BUILD_LOW_RAM_END   0xA0000ULL
#define BUILD_MMIO_HOLE     0xF0000000ULL
#define BUILD_HIGH_RAM      0x100000000ULL
#define BUILD_SPECIAL_PFN   0xFEFF8ULL
#define BUILD_NR_SPECIAL    8
#define BUILD_STORE_PFN     0xFEFFCULL
#define BUILD_CONSOLE_PFN   0xFEFFFULL
#define BUILD_MAXMEM_SLACK_KB 1024      /* libxl's LIBXL_MAXMEM_CONSTANT */
#define BUILD_MAX_E820      8

struct build {
    const struct ts_domain_config *cfg;
    uint32_t domid;
    char uuid[40];
    struct kimage k;
    uint8_t *kernel, *ramdisk;          /* the files' contents */
    size_t kernel_len, ramdisk_len;
    uint64_t mem;                       /* RAM bytes */
    struct { uint64_t addr, size; uint32_t type; } e820[BUILD_MAX_E820];
    unsigned int nr_e820;
    uint64_t si_gpa, ramdisk_gpa, rsdp;
    uint32_t store_port, console_port;
    char why[200];                      /* the failing step's reason */
};

/* Each returns 0, or -errno with b->why set. */
int build_read_files(struct build *b);
int build_layout(struct build *b);                  /* e820, placement; nothing touched */
int build_populate(struct build *b);
int build_load_images(struct build *b);             /* kernel and ramdisk */
int build_start_info(struct build *b);              /* ACPI tables, hvm_start_info, params */
int build_vcpu0(struct build *b);                   /* HVM context of vCPU 0 */
int build_store_nodes(struct build *b);
void build_store_remove(struct build *b);

/* Writes len bytes (zeros if src is NULL) at gpa of domid through foreign mappings. */
int build_write_guest(uint32_t domid, uint64_t gpa, const void *src, uint64_t len);

/* The saved configuration (userdata.c). */
int ts_userdata_save(uint32_t domid, const char *uuid, const struct ts_domain_config *cfg);

#endif
