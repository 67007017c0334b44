/*
 * VMRUN with the guest's general-purpose registers. VMRUN itself switches RAX, RSP, RIP
 * and RFLAGS (kept in the VMCB); VMLOAD/VMSAVE switch the segment and syscall state the
 * host also uses (GS base holds this CPU's cpu_info), so the host's is reloaded after.
 * The caller brackets this with CLGI/STGI.
 *
 * void svm_vmrun(paddr_t vmcb_pa, struct guest_regs *regs, paddr_t host_vmcb_pa)
 */
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

    .text
    .globl svm_vmrun
svm_vmrun:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rsi                          /* regs */
    pushq %rdx                          /* host VMCB */
    movq %rdx, %rax
    vmsave %rax                         /* the host's FS/GS/TR/syscall state */
    movq %rdi, %rax
    movq R_RBX(%rsi), %rbx
    movq R_RCX(%rsi), %rcx
    movq R_RDX(%rsi), %rdx
    movq R_RDI(%rsi), %rdi
    movq R_RBP(%rsi), %rbp
    movq R_R8(%rsi), %r8
    movq R_R9(%rsi), %r9
    movq R_R10(%rsi), %r10
    movq R_R11(%rsi), %r11
    movq R_R12(%rsi), %r12
    movq R_R13(%rsi), %r13
    movq R_R14(%rsi), %r14
    movq R_R15(%rsi), %r15
    movq R_RSI(%rsi), %rsi
    vmload %rax
    vmrun %rax
    vmsave %rax
    pushq %rax
    movq 16(%rsp), %rax                 /* regs */
    movq %rbx, R_RBX(%rax)
    movq %rcx, R_RCX(%rax)
    movq %rdx, R_RDX(%rax)
    movq %rsi, R_RSI(%rax)
    movq %rdi, R_RDI(%rax)
    movq %rbp, R_RBP(%rax)
    movq %r8, R_R8(%rax)
    movq %r9, R_R9(%rax)
    movq %r10, R_R10(%rax)
    movq %r11, R_R11(%rax)
    movq %r12, R_R12(%rax)
    movq %r13, R_R13(%rax)
    movq %r14, R_R14(%rax)
    movq %r15, R_R15(%rax)
    popq %rax
    popq %rax                           /* host VMCB */
    vmload %rax
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
