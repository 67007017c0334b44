/*
 * Test-kernel entry for 32-bit builds: PVH starts us in 32-bit flat protected mode with
 * paging off and EBX = start info, and we stay in that mode. Paging is turned on in the
 * mode the build asks for, identity-mapping low memory:
 *   GUEST_PAGING_NONPAE  2-level tables, 4 KiB pages, the first 64 MiB;
 *   GUEST_PAGING_PSE     2-level tables, 4 MiB pages (CR4.PSE), the first 1 GiB;
 *   GUEST_PAGING_PAE     3-level tables, 2 MiB pages (CR4.PAE), the first 1 GiB.
 */
#define NONPAE_TABLES 16                /* 4 MiB each */

#include "pvh_note.S"

    .section .text.entry, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    movl %ebx, start_info_pa
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $stack_top, %esp
    xorl %ebp, %ebp
#if defined(GUEST_PAGING_NONPAE)
    movl $pt32, %edi                    /* PTEs: 4 KiB pages, present + writable */
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    orl $0x3, %eax
    movl %eax, (%edi, %ecx, 4)
    incl %ecx
    cmpl $NONPAE_TABLES * 1024, %ecx
    jne 2b
    xorl %ecx, %ecx                     /* PDEs: one page table each */
3:  movl %ecx, %eax
    shll $12, %eax
    addl $pt32 + 3, %eax
    movl %eax, pd(, %ecx, 4)
    incl %ecx
    cmpl $NONPAE_TABLES, %ecx
    jne 3b
    movl $pd, %eax
#elif defined(GUEST_PAGING_PSE)
    xorl %ecx, %ecx                     /* PDEs: 4 MiB pages */
2:  movl %ecx, %eax
    shll $22, %eax
    orl $0x83, %eax
    movl %eax, pd(, %ecx, 4)
    incl %ecx
    cmpl $256, %ecx
    jne 2b
    movl %cr4, %eax
    orl $0x10, %eax                     /* PSE */
    movl %eax, %cr4
    movl $pd, %eax
#elif defined(GUEST_PAGING_PAE)
    xorl %ecx, %ecx                     /* PDEs: 2 MiB pages */
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, pd(, %ecx, 8)
    movl $0, pd + 4(, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jne 2b
    movl $pd + 1, pdpt                  /* a PDPTE has only P: RW/US are reserved there */
    movl %cr4, %eax
    orl $0x20, %eax                     /* PAE */
    movl %eax, %cr4
    movl $pdpt, %eax
#else
#error "GUEST_PAGING_NONPAE, GUEST_PAGING_PSE or GUEST_PAGING_PAE"
#endif
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax               /* PG */
    movl %eax, %cr0
    call guest_start
4:  hlt
    jmp 4b

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF            /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF            /* 0x10: data */
gdt_end:
gdt_desc:
    .short gdt_end - gdt - 1
    .long gdt
    .globl start_info_pa
start_info_pa: .quad 0

    .bss
    .balign 4096
    .globl pd
pd:   .skip 4096
#if defined(GUEST_PAGING_PAE)
pdpt: .skip 32
    .balign 4096
#endif
#if defined(GUEST_PAGING_NONPAE)
pt32: .skip NONPAE_TABLES * 4096
#endif
    .skip 16384
stack_top:
