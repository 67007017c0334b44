/*
 * MOV decoding for MMIO (see asm/mov_decode.h). Prefixes, then the ModRM/SIB/displacement
 * forms of SDM Vol 2A section 2.1 for the length; no effective address is computed.
 */
#include <asm/mov_decode.h>

struct prefixes {
    bool opsize, addrsize;
    uint8_t rex;
    unsigned int count;
};

static void read_prefixes(const uint8_t *b, unsigned int n, unsigned int cs_bits,
                          struct prefixes *p)
{
    p->opsize = p->addrsize = false;
    p->rex = 0;
    for (p->count = 0; p->count < n; p->count++) {
        uint8_t c = b[p->count];

        if (c == 0x66)
            p->opsize = true;
        else if (c == 0x67)
            p->addrsize = true;
        else if (c != 0x2E && c != 0x36 && c != 0x3E && c != 0x26 && c != 0x64 && c != 0x65)
            break;
    }
    /* REX counts only directly before the opcode, and only in 64-bit code. */
    if (cs_bits == 64 && p->count < n && (b[p->count] & 0xF0) == 0x40)
        p->rex = b[p->count++];
}

/* Bytes of ModRM, SIB and displacement starting at modrm; 0 for a register operand. */
static unsigned int modrm_bytes(const uint8_t *modrm, unsigned int n, unsigned int addr_bits)
{
    unsigned int mod = modrm[0] >> 6, rm = modrm[0] & 7, len = 1;

    if (mod == 3)
        return 0;
    if (addr_bits == 16) {
        if (mod == 1)
            return len + 1;
        return len + (mod == 2 || (mod == 0 && rm == 6) ? 2 : 0);
    }
    if (rm == 4) {
        if (n < 2)
            return 0;
        len++;
        if (mod == 0 && (modrm[1] & 7) == 5)
            return len + 4;
    }
    if (mod == 1)
        return len + 1;
    return len + (mod == 2 || (mod == 0 && rm == 5) ? 4 : 0);
}

/* Opcodes 88/8A/C6 move a byte; 0F B6/B7 zero-extend a byte or word into a wider register. */
static int opcode(const uint8_t *insn, unsigned int at, unsigned int n, struct mov_insn *out,
                  unsigned int *op_len)
{
    uint8_t op = insn[at];

    *op_len = 1;
    if (op == 0x0F) {
        if (at + 3 > n || (insn[at + 1] != 0xB6 && insn[at + 1] != 0xB7))
            return -1;
        *op_len = 2;
        out->reg_size = out->size;
        out->size = insn[at + 1] == 0xB6 ? 1 : 2;
        out->write = false;
        out->has_imm = false;
        return 0;
    }
    if (op != 0x88 && op != 0x89 && op != 0x8A && op != 0x8B && op != 0xC6 && op != 0xC7)
        return -1;
    if ((op == 0xC6 || op == 0xC7) && ((insn[at + 1] >> 3) & 7))
        return -1;                                  /* C6 /0 and C7 /0 only */
    if (op == 0x88 || op == 0x8A || op == 0xC6)
        out->size = 1;
    out->reg_size = out->size;
    out->write = op != 0x8A && op != 0x8B;
    out->has_imm = op == 0xC6 || op == 0xC7;
    return 0;
}

int mov_decode(const uint8_t *insn, unsigned int n, unsigned int cs_bits, struct mov_insn *out)
{
    struct prefixes p;
    unsigned int at, addr_bits, m, imm_len, op_len;

    read_prefixes(insn, n, cs_bits, &p);
    at = p.count;
    if (at + 2 > n)
        return -1;
    if (cs_bits == 64)
        addr_bits = p.addrsize ? 32 : 64;
    else
        addr_bits = (cs_bits == 16) != p.addrsize ? 16 : 32;
    out->size = p.rex & 8 ? 8 : (cs_bits == 16) != p.opsize ? 2 : 4;
    out->reg_size = out->size;
    out->high_byte = false;
    if (insn[at] == 0xA1 || insn[at] == 0xA3) {
        /* MOV rAX, moffs and back: an absolute address as wide as the address size. */
        out->write = insn[at] == 0xA3;
        out->has_imm = false;
        out->reg = 0;
        out->imm = 0;
        out->len = at + 1 + addr_bits / 8;
        return out->len > n ? -1 : 0;
    }
    if (opcode(insn, at, n, out, &op_len))
        return -1;
    at += op_len - 1;
    m = modrm_bytes(insn + at + 1, n - at - 1, addr_bits);
    if (!m)
        return -1;
    out->reg = ((insn[at + 1] >> 3) & 7) | (p.rex & 4 ? 8 : 0);
    /* Without REX, byte registers 4-7 are AH, CH, DH, BH (SDM Vol 2A 3.1.1.1). */
    if (out->reg_size == 1 && !p.rex && out->reg >= 4) {
        out->reg -= 4;
        out->high_byte = true;
    }
    imm_len = out->has_imm ? (out->size == 1 ? 1 : out->size == 2 ? 2 : 4) : 0;
    out->len = at + 1 + m + imm_len;
    if (out->len > n || out->len > 15)
        return -1;
    out->imm = 0;
    for (unsigned int i = 0; i < imm_len; i++)
        out->imm |= (uint64_t)insn[at + 1 + m + i] << (8 * i);
    if (imm_len == 4 && out->size == 8 && (out->imm & 0x80000000))
        out->imm |= 0xFFFFFFFF00000000ULL;          /* imm32 sign-extends to 64 bits */
    return 0;
}
