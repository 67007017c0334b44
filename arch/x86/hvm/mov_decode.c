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

int mov_decode(const uint8_t *insn, unsigned int n, unsigned int cs_bits, struct mov_insn *out)
{
    struct prefixes p;
    unsigned int at, addr_bits, m, imm_len;
    uint8_t op;

    read_prefixes(insn, n, cs_bits, &p);
    at = p.count;
    if (at + 2 > n)
        return -1;
    op = insn[at];
    if (cs_bits == 64)
        addr_bits = p.addrsize ? 32 : 64;
    else
        addr_bits = (cs_bits == 16) != p.addrsize ? 16 : 32;
    out->size = p.rex & 8 ? 8 : (cs_bits == 16) != p.opsize ? 2 : 4;
    if (op == 0xA1 || op == 0xA3) {
        /* MOV rAX, moffs and back: an absolute address as wide as the address size. */
        out->write = op == 0xA3;
        out->has_imm = false;
        out->reg = 0;
        out->imm = 0;
        out->len = at + 1 + addr_bits / 8;
        return out->len > n ? -1 : 0;
    }
    if (op != 0x89 && op != 0x8B && op != 0xC7)
        return -1;
    if (op == 0xC7 && ((insn[at + 1] >> 3) & 7))
        return -1;                                  /* C7 /0 only */
    m = modrm_bytes(insn + at + 1, n - at - 1, addr_bits);
    if (!m)
        return -1;
    out->write = op != 0x8B;
    out->has_imm = op == 0xC7;
    out->reg = ((insn[at + 1] >> 3) & 7) | (p.rex & 4 ? 8 : 0);
    imm_len = out->has_imm ? (out->size == 2 ? 2 : 4) : 0;
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
