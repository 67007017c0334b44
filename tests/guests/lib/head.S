/*
 * Test-kernel entry, PVH style: 32-bit flat protected mode, paging off, EBX = start info.
 * Identity-maps the first 1 GiB with 2 MiB pages, enters long mode and calls guest_start().
 */
#include "pvh_note.S"

    .section .text.entry, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    movl %ebx, start_info_pa
    lgdt gdt_desc
    movl $pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, (%edi, %ecx, 8)
    movl $0, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b
    movl $pd + 3, pdpt
    movl $pdpt + 3, pml4
    movl %cr4, %eax
    orl $0x20, %eax                     /* PAE */
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $0x100, %eax                    /* EFER.LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax               /* PG | PE */
    movl %eax, %cr0
    ljmp $0x08, $start64

    .code64
start64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    leaq stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call guest_start
2:  hlt
    jmp 2b

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF            /* 0x10: data */
gdt_end:
gdt_desc:
    .short gdt_end - gdt - 1
    .long gdt
    .globl start_info_pa
start_info_pa: .quad 0

    .bss
    .balign 4096
pml4: .skip 4096
    .globl pdpt
pdpt: .skip 4096
    .globl pd
pd:   .skip 4096
    .skip 16384
stack_top:
