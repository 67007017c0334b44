/*
 * Interrupt and exception entry. One stub per vector pushes a uniform frame
 * (struct cpu_user_regs in asm/regs.h) and calls do_trap(), which dispatches on the vector.
 */
#include <asm/config.h>

/* Vectors for which the CPU pushes an error code (SDM Vol 3A 6.13). */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
                        (v) == 29 || (v) == 30)

    .text
    .code64

    .macro vector_stub v
    .balign 16
vec_\v:
    .if !((\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
    pushq $0
    .endif
    pushq $\v
    jmp common_interrupt
    .endm

    .globl vector_stubs
vector_stubs:
    .irpc hi, 0123456789abcdef
    .irpc lo, 0123456789abcdef
    vector_stub 0x\hi\lo
    .endr
    .endr

common_interrupt:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    /* A frame link through the interrupted RBP keeps stack traces continuous. */
    movq 15*8+16(%rsp), %rax                 /* interrupted RIP */
    pushq %rax
    pushq %rbp
    movq %rsp, %rbp
    cld
    call do_trap
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                           /* vector and error code */
    iretq

/* Secondary CPUs arrive here from the trampoline on the boot page tables. */
    .globl ap_start64
ap_start64:
    /*
     * The stack is direct-mapped: switch to the hypervisor's tables before touching it.
     * The trampoline's GDT is only identity-mapped, so no segment loads until
     * start_secondary() has loaded this CPU's own GDT.
     */
    movq idle_pg_table_pa(%rip), %rax
    movq %rax, %cr3
    call start_secondary
1:  hlt
    jmp 1b
