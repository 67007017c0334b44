/*
 * Register frame pushed by the interrupt entry stubs (arch/x86/entry.S). The layout is
 * shared with that assembly: change both together.
 */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <kumo/types.h>

struct cpu_user_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;        /* 0 where the CPU pushes none */
    /* Pushed by the CPU: */
    uint64_t rip, cs, rflags, rsp, ss;
};

#endif
