/*
 * Loading a PVH kernel image (ELF32 or ELF64) into a domain: loadable PT_LOAD segments at
 * their p_paddr, and the entry point from the XEN_ELFNOTE_PHYS32_ENTRY note (in a PT_NOTE
 * segment, else in an SHT_NOTE section, as Xen's libelf finds it).
 */
#ifndef KUMO_ELF_LOAD_H
#define KUMO_ELF_LOAD_H

#include <kumo/domain.h>

struct elf_image_info {
    uint32_t phys32_entry;
    uint64_t paddr_lo, paddr_hi;        /* [lo, hi) covered by PT_LOAD, bss included */
};

/*
 * Checks image (len bytes) and fills info without touching any domain: every header and
 * segment must lie within the image. 0 or -EINVAL with *why set.
 */
int elf_inspect(const void *image, size_t len, struct elf_image_info *info, const char **why);
/* Copies the segments into d (which must have memory up to info->paddr_hi). 0 or -EFAULT. */
int elf_load(struct domain *d, const void *image, size_t len);

#endif
