/*
 * Address-space layout and build-wide limits of the hypervisor. Shared by C and assembly.
 * The image runs in the top 2 GiB (kernel code model); all RAM is direct-mapped at
 * DIRECTMAP_VIRT_START, as in Xen.
 */
#ifndef ASM_CONFIG_H
#define ASM_CONFIG_H

#define KERNEL_PHYS_START   0x100000
#define KERNEL_VIRT_OFFSET  0xFFFFFFFF80000000
#define DIRECTMAP_VIRT_START 0xFFFF830000000000
#define DIRECTMAP_MAX_BYTES  (512ULL << 30)   /* one PML4 slot */

#define NR_CPUS             64
#define STACK_ORDER         2                /* 16 KiB per-CPU stacks */
#define STACK_SIZE          (4096 << STACK_ORDER)

/* The AP trampoline is copied to this real-mode page; SIPI vector = page number. */
#define TRAMPOLINE_PHYS     0x8000

/* GDT selectors, identical in the boot, trampoline and per-CPU GDTs. */
#define SEL_CODE64          0x08
#define SEL_DATA            0x10
#define SEL_CODE32          0x18
#define SEL_TSS             0x20

#endif
