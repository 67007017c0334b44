/*
 * Boot CPU entry from GRUB (multiboot2) or QEMU (multiboot1): 32-bit protected mode, paging
 * off. Builds the boot page tables (identity 0-4 GiB, image at -2 GiB), enters long mode and
 * jumps to start_kumo() in the higher half. The boot tables stay for the AP trampoline.
 */
#include <asm/config.h>

#define PTE_PRW     0x003       /* present | writable */
#define PDE_PRW_PS  0x083       /* present | writable | 2 MiB page */

    .section .boot.text, "ax"
    .code32
    .globl mb_entry
mb_entry:
    cli
    cld
    movl %eax, boot_mb_magic
    movl %ebx, boot_mb_info

    /* Long mode is a hard requirement: say so on the serial port rather than die silently. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode
    movl %edx, boot_ext_edx

    /* Zero .bss (GRUB does for ELF; this keeps the QEMU -kernel wrapper honest too). */
    movl $__bss_start_phys, %edi
    movl $__bss_end_phys, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    movl $boot_stack_top_phys, %esp

    /* Four page directories of 2 MiB pages identity-map the low 4 GiB. */
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $PDE_PRW_PS, %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    movl $boot_pdpt_low, %edi
    movl $boot_pd + PTE_PRW, %eax
    movl %eax, 0(%edi)
    addl $0x1000, %eax
    movl %eax, 8(%edi)
    addl $0x1000, %eax
    movl %eax, 16(%edi)
    addl $0x1000, %eax
    movl %eax, 24(%edi)
    /* -2 GiB..0 maps physical 0..2 GiB: the image's higher-half home. */
    movl $boot_pdpt_high, %edi
    movl $boot_pd + PTE_PRW, %eax
    movl %eax, 510*8(%edi)
    addl $0x1000, %eax
    movl %eax, 511*8(%edi)
    movl $boot_pml4, %edi
    movl $boot_pdpt_low + PTE_PRW, 0(%edi)
    movl $boot_pdpt_high + PTE_PRW, 511*8(%edi)

    call enter_long_mode
    ljmp $SEL_CODE64, $start64

/* Shared by the boot CPU and the AP trampoline's copy of this logic: PAE, EFER, paging. */
enter_long_mode:
    movl %cr4, %eax
    orl $0x20, %eax                          /* CR4.PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx                   /* EFER */
    rdmsr
    orl $0x100, %eax                         /* LME */
    btl $20, boot_ext_edx                    /* NX supported? */
    jnc 2f
    orl $0x800, %eax                         /* NXE */
2:  wrmsr
    movl %cr0, %eax
    andl $0x9FFFFFFF, %eax                   /* clear CD and NW: caches on (SDM 11.5.1) */
    orl $0x80010023, %eax                    /* PG | WP | NE | MP | PE */
    movl %eax, %cr0
    lgdt boot_gdt_desc
    ret

no_long_mode:
    movl $no_lm_msg, %esi
3:  movb (%esi), %al
    testb %al, %al
    jz 5f
    movw $0x3FD, %dx                         /* wait for the UART's transmit holding reg */
4:  inb %dx, %al
    testb $0x20, %al
    jz 4b
    movb (%esi), %al
    movw $0x3F8, %dx
    outb %al, %dx
    incl %esi
    jmp 3b
5:  hlt
    jmp 5b

    .code64
start64:
    movabsq $start64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
no_lm_msg:
    .asciz "kumo: this CPU has no long mode (x86-64); cannot boot\r\n"
    .balign 8
    .globl boot_mb_magic, boot_mb_info
boot_mb_magic: .long 0
boot_mb_info:  .long 0
boot_ext_edx:  .long 0
    .balign 16
    .globl boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                 /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF                 /* 0x10: data */
    .quad 0x00CF9A000000FFFF                 /* 0x18: 32-bit code */
boot_gdt_end:
boot_gdt_desc:
    .short boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .balign 4096
    .globl boot_pml4
boot_pml4:      .fill 512, 8, 0
boot_pdpt_low:  .fill 512, 8, 0
boot_pdpt_high: .fill 512, 8, 0
boot_pd:        .fill 2048, 8, 0

    .text
    .code64
start64_high:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp                          /* terminates stack traces */
    movl boot_mb_magic, %edi
    movl boot_mb_info, %esi
    call start_kumo
6:  hlt
    jmp 6b

    .bss
    .balign 4096
    .globl boot_stack, boot_stack_top
boot_stack:
    .skip STACK_SIZE
boot_stack_top:
