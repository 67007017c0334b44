/*
 * VM entry and exit for VT-x. The VMCS holds the guest's RSP, RIP and RFLAGS; this code
 * swaps the other general-purpose registers. HOST_RSP is set here, just before entry, and
 * HOST_RIP (vmx_exit) lands back on the same stack.
 *
 * int vmx_enter(struct guest_regs *regs, int launched): 0 after a VM exit, 1 if the
 * VMLAUNCH/VMRESUME itself failed (VMfail: see VM_INSTRUCTION_ERROR).
 */
#include <asm/guest_regs_asm.h>

#define HOST_RSP 0x6C14

    .text
    .globl vmx_enter, vmx_exit
vmx_enter:
    PUSH_CALLEE_SAVED
    pushq %rdi                          /* regs, found again at vmx_exit */
    movq $HOST_RSP, %rax
    vmwrite %rsp, %rax
    testl %esi, %esi
    LOAD_GUEST_GPRS %rdi
    movq R_RAX(%rdi), %rax
    movq R_RSI(%rdi), %rsi
    movq R_RDI(%rdi), %rdi
    jnz 1f                              /* flags from the testl: mov does not touch them */
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* Only reached when the entry failed. */
    popq %rdi
    movl $1, %eax
    jmp 3f

vmx_exit:
    pushq %rdi
    movq 8(%rsp), %rdi                  /* regs */
    SAVE_GUEST_GPRS %rdi
    movq %rax, R_RAX(%rdi)
    movq %rsi, R_RSI(%rdi)
    popq %rax
    movq %rax, R_RDI(%rdi)
    popq %rdi
    xorl %eax, %eax
3:  POP_CALLEE_SAVED
    ret
