/*
 * struct guest_regs (asm/hvm.h) for the vendors' entry code: the field offsets (checked
 * against the C layout in arch/x86/hvm/hvm.c) and macros for the callee-saved host
 * registers and for the twelve guest registers both vendors move the same way. Each
 * vendor moves RAX, RSI and RDI itself: they hold its arguments and the base pointer.
 */
#ifndef ASM_GUEST_REGS_ASM_H
#define ASM_GUEST_REGS_ASM_H

#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_R8  64
#define R_R9  72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120

#ifdef __ASSEMBLY__
.macro PUSH_CALLEE_SAVED
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro POP_CALLEE_SAVED
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
.endm

/* RBX, RCX, RDX, RBP, R8-R15 from the guest_regs at \base. */
.macro LOAD_GUEST_GPRS base
    movq R_RBX(\base), %rbx
    movq R_RCX(\base), %rcx
    movq R_RDX(\base), %rdx
    movq R_RBP(\base), %rbp
    movq R_R8(\base), %r8
    movq R_R9(\base), %r9
    movq R_R10(\base), %r10
    movq R_R11(\base), %r11
    movq R_R12(\base), %r12
    movq R_R13(\base), %r13
    movq R_R14(\base), %r14
    movq R_R15(\base), %r15
.endm

/* The same registers into the guest_regs at \base. */
.macro SAVE_GUEST_GPRS base
    movq %rbx, R_RBX(\base)
    movq %rcx, R_RCX(\base)
    movq %rdx, R_RDX(\base)
    movq %rbp, R_RBP(\base)
    movq %r8, R_R8(\base)
    movq %r9, R_R9(\base)
    movq %r10, R_R10(\base)
    movq %r11, R_R11(\base)
    movq %r12, R_R12(\base)
    movq %r13, R_R13(\base)
    movq %r14, R_R14(\base)
    movq %r15, R_R15(\base)
.endm
#endif

#endif
