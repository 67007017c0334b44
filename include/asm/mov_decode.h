/*
 * Decoding the one instruction family MMIO emulation needs: MOV between a register (or an
 * immediate) and memory (opcodes 88, 89, 8A, 8B, C6 /0, C7 /0, and A1/A3 with an absolute
 * address) and MOVZX loads (0F B6, 0F B7), in 16-, 32- or 64-bit code. The faulting
 * address comes from the exit, so only the length, the sizes and the register are decoded.
 */
#ifndef ASM_MOV_DECODE_H
#define ASM_MOV_DECODE_H

#include <kumo/types.h>

struct mov_insn {
    unsigned int len;           /* bytes to skip */
    unsigned int size;          /* bytes accessed in memory: 1, 2, 4 or 8 */
    unsigned int reg_size;      /* bytes a load writes to the register (MOVZX: > size) */
    bool high_byte;             /* the register is AH, CH, DH or BH (reg 0-3, bits 15:8) */
    bool write;                 /* to memory */
    bool has_imm;               /* C7: the value is imm, not a register */
    unsigned int reg;           /* register number (0 = rAX ... 15 = r15) */
    uint64_t imm;               /* sign-extended to size */
};

/*
 * Decodes the n bytes at insn as code of cs_bits (16, 32, 64). 0, or -1 when it is not one
 * of the MOVs above (or is cut short).
 */
int mov_decode(const uint8_t *insn, unsigned int n, unsigned int cs_bits, struct mov_insn *out);

#endif
