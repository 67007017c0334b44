/*
 * Host tests for arch/x86/hvm/mov_decode.c: lengths, sizes, registers and immediates of the
 * MOV and MOVZX forms MMIO emulation decodes, in 64-, 32- and 16-bit code, with the encodings
 * compilers and kernels emit for APIC accesses, and refusals of everything else.
 */
#include "../../arch/x86/hvm/mov_decode.c"
#include "harness.h"

static struct mov_insn d;

static int dec(unsigned int bits, const uint8_t *b, unsigned int n)
{
    memset(&d, 0xAA, sizeof(d));
    return mov_decode(b, n, bits, &d);
}

#define DEC(bits, ...) ({ const uint8_t _b[] = { __VA_ARGS__ }; dec(bits, _b, sizeof(_b)); })

TEST(long_mode_forms)
{
    CHECK_EQ(DEC(64, 0x89, 0x07), 0);                       /* mov %eax,(%rdi) */
    CHECK_EQ(d.len, 2); CHECK_EQ(d.size, 4); CHECK(d.write); CHECK_EQ(d.reg, 0);
    CHECK_EQ(DEC(64, 0x8B, 0x87, 0x20, 0x03, 0, 0), 0);     /* mov 0x320(%rdi),%eax */
    CHECK_EQ(d.len, 6); CHECK(!d.write);
    CHECK_EQ(DEC(64, 0x44, 0x89, 0x04, 0x25, 0xB0, 0xD0, 0x5F, 0xFF), 0);  /* mov %r8d,abs */
    CHECK_EQ(d.len, 8); CHECK_EQ(d.reg, 8); CHECK_EQ(d.size, 4);
    CHECK_EQ(DEC(64, 0x8B, 0x05, 1, 2, 3, 4), 0);           /* RIP-relative */
    CHECK_EQ(d.len, 6);
    CHECK_EQ(DEC(64, 0x8B, 0x44, 0x24, 0x08), 0);           /* SIB + disp8 */
    CHECK_EQ(d.len, 4);
    CHECK_EQ(DEC(64, 0xC7, 0x40, 0x10, 0x78, 0x56, 0x34, 0x12), 0);   /* movl $imm,0x10(%rax) */
    CHECK_EQ(d.len, 7); CHECK(d.has_imm); CHECK_EQ(d.imm, 0x12345678);
    CHECK_EQ(DEC(64, 0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF), 0);   /* imm32 sign-extends */
    CHECK_EQ(d.size, 8); CHECK_EQ(d.imm, ~0ULL);
    CHECK_EQ(DEC(64, 0xA1, 0x20, 0, 0xE0, 0xFE, 0, 0, 0, 0), 0);      /* movabs 0xfee00020,%eax */
    CHECK_EQ(d.len, 9); CHECK(!d.write); CHECK_EQ(d.reg, 0);
    CHECK_EQ(DEC(64, 0x67, 0xA3, 0xB0, 0, 0xE0, 0xFE), 0);            /* addr32 movabs */
    CHECK_EQ(d.len, 6); CHECK(d.write);
    CHECK_EQ(DEC(64, 0x3E, 0x41, 0x8B, 0x12), 0);           /* ds: prefix, REX.B */
    CHECK_EQ(d.len, 4); CHECK_EQ(d.reg, 2);
    CHECK_EQ(DEC(64, 0x66, 0x89, 0x07), 0);                 /* 16-bit store */
    CHECK_EQ(d.size, 2);
}

TEST(byte_and_zero_extending_forms)
{
    CHECK_EQ(DEC(64, 0x8A, 0x07), 0);                       /* mov (%rdi),%al */
    CHECK_EQ(d.len, 2); CHECK_EQ(d.size, 1); CHECK_EQ(d.reg_size, 1); CHECK(!d.high_byte);
    CHECK_EQ(DEC(64, 0x8A, 0x27), 0);                       /* mov (%rdi),%ah */
    CHECK_EQ(d.reg, 0); CHECK(d.high_byte);
    CHECK_EQ(DEC(64, 0x40, 0x8A, 0x37), 0);                 /* mov (%rdi),%sil: REX */
    CHECK_EQ(d.reg, 6); CHECK(!d.high_byte);
    CHECK_EQ(DEC(64, 0x88, 0x0F), 0);                       /* mov %cl,(%rdi) */
    CHECK(d.write); CHECK_EQ(d.size, 1);
    CHECK_EQ(DEC(64, 0xC6, 0x47, 0x04, 0x7F), 0);           /* movb $0x7f,4(%rdi) */
    CHECK_EQ(d.len, 4); CHECK(d.has_imm); CHECK_EQ(d.imm, 0x7F);
    CHECK_EQ(DEC(64, 0x0F, 0xB7, 0x06), 0);                 /* movzwl (%rsi),%eax */
    CHECK_EQ(d.len, 3); CHECK_EQ(d.size, 2); CHECK_EQ(d.reg_size, 4); CHECK(!d.write);
    CHECK_EQ(DEC(64, 0x48, 0x0F, 0xB6, 0x4F, 0x08), 0);     /* movzbq 8(%rdi),%rcx */
    CHECK_EQ(d.len, 5); CHECK_EQ(d.size, 1); CHECK_EQ(d.reg_size, 8); CHECK_EQ(d.reg, 1);
}

TEST(legacy_modes)
{
    CHECK_EQ(DEC(32, 0x89, 0x15, 0x20, 0x03, 0xE0, 0xFE), 0);   /* mov %edx,0xfee00320 */
    CHECK_EQ(d.len, 6); CHECK_EQ(d.reg, 2); CHECK_EQ(d.size, 4);
    CHECK_EQ(DEC(32, 0x40, 0x89, 0x07), -1);                /* 0x40 is INC here, not REX */
    CHECK_EQ(DEC(16, 0x66, 0x89, 0x06, 0x00, 0x03), 0);     /* 16-bit addressing, disp16 */
    CHECK_EQ(d.len, 5); CHECK_EQ(d.size, 4);
    CHECK_EQ(DEC(16, 0x66, 0x67, 0x89, 0x05, 0, 3, 0xE0, 0xFE), 0);  /* addr32 in 16-bit */
    CHECK_EQ(d.len, 8);
    CHECK_EQ(DEC(16, 0xA1, 0x20, 0x00), 0);
    CHECK_EQ(d.len, 3); CHECK_EQ(d.size, 2);
}

TEST(refusals)
{
    CHECK_EQ(DEC(64, 0x89, 0xC0), -1);                      /* register to register */
    CHECK_EQ(DEC(64, 0x0F, 0xBE, 0x07), -1);                /* movsx */
    CHECK_EQ(DEC(64, 0xC6, 0x48, 0x10, 1), -1);             /* C6 /1 */
    CHECK_EQ(DEC(64, 0xC7, 0x48, 0x10, 1, 2, 3, 4), -1);    /* C7 /1 */
    CHECK_EQ(DEC(64, 0x8B, 0x87, 0x20), -1);                /* cut short */
    CHECK_EQ(DEC(64, 0x66), -1);
    CHECK_EQ(DEC(64, 0x87, 0x07), -1);                      /* xchg: not decoded */
}

int main(void)
{
    RUN(long_mode_forms);
    RUN(byte_and_zero_extending_forms);
    RUN(legacy_modes);
    RUN(refusals);
    HARNESS_EXIT();
}
