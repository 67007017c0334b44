/*
 * Multiboot2 header (GRUB's path) and multiboot1 header (QEMU -kernel's path). Both sit at
 * the very start of the loaded image: GRUB looks in the first 32 KiB, QEMU in the first 8.
 */
#define MB2_MAGIC   0xE85250D6
#define MB1_MAGIC   0x1BADB002
/* MB1 flags: bit 0 = page-align modules, bit 1 = pass the memory map. */
#define MB1_FLAGS   0x00000003

    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                 /* architecture: i386 (32-bit protected mode) */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    /* Module alignment tag: modules start on page boundaries. */
    .balign 8
    .short 6, 0
    .long 8
    /* End tag. */
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

    .balign 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
