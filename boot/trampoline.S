/*
 * Application-processor trampoline. smp.c copies [trampoline_start, trampoline_end) to
 * TRAMPOLINE_PHYS and fills in its parameter block; the SIPI starts the AP in real mode at
 * that page. It climbs to long mode on the boot page tables, then jumps to ap_start64.
 * Everything here is position-dependent on TRAMPOLINE_PHYS: addresses are computed as
 * offsets from trampoline_start.
 */
#include <asm/config.h>

#define TRAMP(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

    .section .rodata, "a"
    .balign 16
    .globl trampoline_start, trampoline_end
    .globl tramp_cr3, tramp_efer, tramp_stack, tramp_entry, tramp_alive
    .code16
trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl tramp_gdt_desc - trampoline_start
    movl %cr0, %eax
    orl $1, %eax                             /* CR0.PE */
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $TRAMP(tramp32)

    .code32
tramp32:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $1, TRAMP(tramp_alive)              /* tells the BSP this CPU took the SIPI */
    movl %cr4, %eax
    orl $0x20, %eax                          /* CR4.PAE */
    movl %eax, %cr4
    movl TRAMP(tramp_cr3), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx                   /* EFER */
    rdmsr
    orl TRAMP(tramp_efer), %eax              /* LME, and NXE where the BSP has it */
    wrmsr
    movl %cr0, %eax
    andl $0x9FFFFFFF, %eax                   /* clear CD and NW (SDM 11.5.1) */
    orl $0x80010023, %eax                    /* PG | WP | NE | MP | PE */
    movl %eax, %cr0
    ljmp $SEL_CODE64, $TRAMP(tramp64)

    .code64
tramp64:
    movq TRAMP(tramp_stack), %rsp
    xorl %ebp, %ebp
    movq TRAMP(tramp_entry), %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                 /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF                 /* 0x10: data */
    .quad 0x00CF9A000000FFFF                 /* 0x18: 32-bit code */
tramp_gdt_end:
tramp_gdt_desc:
    .short tramp_gdt_end - tramp_gdt - 1
    .long TRAMP(tramp_gdt)
    .balign 8
tramp_stack: .quad 0
tramp_entry: .quad 0
tramp_cr3:   .long 0
tramp_efer:  .long 0
tramp_alive: .long 0
trampoline_end:
