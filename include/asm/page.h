/* Page-table entry bits and direct-map address conversion. */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <asm/config.h>
#include <kumo/types.h>

#define _PAGE_PRESENT  (1UL << 0)
#define _PAGE_RW       (1UL << 1)
#define _PAGE_USER     (1UL << 2)
#define _PAGE_PWT      (1UL << 3)
#define _PAGE_PCD      (1UL << 4)
#define _PAGE_PSE      (1UL << 7)
#define _PAGE_GLOBAL   (1UL << 8)
#define _PAGE_NX       (1UL << 63)
#define PADDR_MASK     0x000FFFFFFFFFF000UL

#define L1_SHIFT 12
#define L2_SHIFT 21
#define L3_SHIFT 30
#define L4_SHIFT 39
#define PT_INDEX(va, shift) (((unsigned long)(va) >> (shift)) & 511)

static inline void *__va(paddr_t pa)
{
    return (void *)(pa + DIRECTMAP_VIRT_START);
}

/* Works for direct-map and image addresses alike. */
static inline paddr_t __pa(const void *va)
{
    unsigned long v = (unsigned long)va;

    if (v >= KERNEL_VIRT_OFFSET)
        return v - KERNEL_VIRT_OFFSET;
    return v - DIRECTMAP_VIRT_START;
}

#endif
