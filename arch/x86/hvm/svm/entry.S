/*
 * VMRUN with the guest's general-purpose registers. VMRUN itself switches RAX, RSP, RIP
 * and RFLAGS (kept in the VMCB); VMLOAD/VMSAVE switch the segment and syscall state the
 * host also uses (GS base holds this CPU's cpu_info), so the host's is reloaded after.
 * The caller brackets this with CLGI/STGI.
 *
 * void svm_vmrun(paddr_t vmcb_pa, struct guest_regs *regs, paddr_t host_vmcb_pa)
 */
#include <asm/guest_regs_asm.h>

    .text
    .globl svm_vmrun
svm_vmrun:
    PUSH_CALLEE_SAVED
    pushq %rsi                          /* regs */
    pushq %rdx                          /* host VMCB */
    movq %rdx, %rax
    vmsave %rax                         /* the host's FS/GS/TR/syscall state */
    movq %rdi, %rax
    LOAD_GUEST_GPRS %rsi
    movq R_RDI(%rsi), %rdi
    movq R_RSI(%rsi), %rsi
    vmload %rax
    vmrun %rax
    vmsave %rax
    pushq %rax
    movq 16(%rsp), %rax                 /* regs */
    SAVE_GUEST_GPRS %rax
    movq %rsi, R_RSI(%rax)
    movq %rdi, R_RDI(%rax)
    popq %rax
    popq %rax                           /* host VMCB */
    vmload %rax
    addq $8, %rsp
    POP_CALLEE_SAVED
    ret
