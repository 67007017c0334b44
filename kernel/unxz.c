/*
 * The .xz container (xz-file-format.txt 1.1): stream header and footer, block headers with
 * their filter chains, integrity checks, the index, and the x86 BCJ filter that Linux puts
 * before LZMA2 for its kernels. Every field is checked as the specification requires, so a
 * damaged image is refused here rather than booted.
 */
#include <kumo/crc.h>
#include <kumo/decompress.h>
#include <kumo/lib.h>
#include <kumo/xen_abi.h>

#define STREAM_HDR_LEN   12
#define FILTER_X86       0x04
#define FILTER_LZMA2     0x21
#define CHECK_NONE       0
#define CHECK_CRC32      1
#define CHECK_CRC64      4
#define VLI_MAX_BYTES    9

static const uint8_t xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The x86 BCJ filter treats E8/E9 operands whose top byte is 00 or FF as addresses. */
static bool x86_msbyte_ok(uint8_t b)
{
    return b == 0x00 || b == 0xFF;
}

/* For a mask of recent E8/E9 bytes (bits 0-2): its highest set bit's number, 1-based. */
static unsigned int x86_mask_bits(uint32_t mask)
{
    return mask >= 4 ? 3 : mask >= 2 ? 2 : 1;
}

/* Whether any byte of w is E8 or E9 (a zero byte of w & FE.. ^ E8..; exact, no misses). */
static bool word_has_e8_e9(const uint8_t *p)
{
    uint64_t w, v;

    __builtin_memcpy(&w, p, 8);
    v = (w & 0xFEFEFEFEFEFEFEFEULL) ^ 0xE8E8E8E8E8E8E8E8ULL;
    return (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;
}

void bcj_x86_decode(uint8_t *buf, size_t len, uint32_t start)
{
    uint32_t mask = 0;                  /* which of the last three bytes were E8/E9 */
    size_t last = 0, i;
    bool seen = false;

    if (len < 5)
        return;
    for (i = 0; i < len - 4; i++) {
        uint32_t src, dest;

        /* Most bytes are no E8/E9: pass them a word at a time (fewer accesses under TCG). */
        while (i + 8 <= len - 4 && !word_has_e8_e9(buf + i))
            i += 8;
        if (i >= len - 4)
            break;
        if ((buf[i] & 0xFE) != 0xE8)
            continue;
        if (!seen || i - last > 3) {
            mask = 0;
        } else {
            mask = (mask << (i - last - 1)) & 7;
            /* An opcode byte inside a recent operand: only some patterns are instructions. */
            if (mask && ((mask & (mask - 1)) ||
                         x86_msbyte_ok(buf[i + 4 - x86_mask_bits(mask)]))) {
                last = i;
                mask = (mask << 1) | 1;
                continue;
            }
        }
        last = i;
        seen = true;
        if (!x86_msbyte_ok(buf[i + 4])) {
            mask = (mask << 1) | 1;
            continue;
        }
        src = le32(buf + i + 1);
        for (;;) {
            unsigned int shift;

            dest = src - (start + (uint32_t)i + 5);
            if (!mask)
                break;
            shift = x86_mask_bits(mask) * 8;
            if (!x86_msbyte_ok((uint8_t)(dest >> (24 - shift))))
                break;
            src = dest ^ ((1U << (32 - shift)) - 1);
        }
        /* Sign-extend from bit 24: the encoder kept the address within +-16 MiB. */
        dest &= 0x01FFFFFF;
        dest |= 0U - (dest & 0x01000000);
        buf[i + 1] = (uint8_t)dest;
        buf[i + 2] = (uint8_t)(dest >> 8);
        buf[i + 3] = (uint8_t)(dest >> 16);
        buf[i + 4] = (uint8_t)(dest >> 24);
        i += 4;
    }
}

/* A variable-length integer: 7 bits a byte, little-endian, at most 9 bytes, no padding. */
static int vli_read(const uint8_t *p, size_t avail, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned int i = 0; i < VLI_MAX_BYTES; i++) {
        uint8_t byte;

        if (*pos >= avail)
            return -XEN_EINVAL;
        byte = p[(*pos)++];
        *v |= (uint64_t)(byte & 0x7F) << (7 * i);
        if (!(byte & 0x80))
            return byte == 0 && i ? -XEN_EINVAL : 0;
    }
    return -XEN_EINVAL;
}

struct xz_block {
    bool has_bcj, has_csize, has_usize;
    uint32_t bcj_start;
    uint64_t csize, usize;
};

/* Parses a filter chain of LZMA2 alone or x86 BCJ then LZMA2. */
static int filters_parse(const uint8_t *h, size_t end, size_t *pos, unsigned int nr,
                         struct xz_block *blk, const char **why)
{
    for (unsigned int f = 0; f < nr; f++) {
        uint64_t id, psize;

        if (vli_read(h, end, pos, &id) || vli_read(h, end, pos, &psize) ||
            psize > end - *pos) {
            *why = "bad xz filter flags";
            return -XEN_EINVAL;
        }
        if (f + 1 < nr && id == FILTER_X86 && (psize == 0 || psize == 4)) {
            blk->has_bcj = true;
            blk->bcj_start = psize ? le32(h + *pos) : 0;
        } else if (f + 1 == nr && id == FILTER_LZMA2 && psize == 1) {
            /* Dictionary sizes stop at 4 GiB - 1 (code 40); the buffer is the dictionary. */
            if (h[*pos] > 40) {
                *why = "bad LZMA2 dictionary size";
                return -XEN_EINVAL;
            }
        } else {
            *why = "unsupported xz filter chain (kumo takes x86 BCJ + LZMA2 or LZMA2)";
            return -XEN_EOPNOTSUPP;
        }
        *pos += psize;
    }
    return 0;
}

static int block_header_parse(const uint8_t *h, size_t avail, size_t *hdr_len,
                              struct xz_block *blk, const char **why)
{
    size_t len = ((size_t)h[0] + 1) * 4, pos = 2;
    unsigned int flags;
    int err;

    *why = "bad xz block header";
    if (len > avail) {
        *why = "truncated xz block header";
        return -XEN_EINVAL;
    }
    if (crc32(0, h, len - 4) != le32(h + len - 4)) {
        *why = "xz block header CRC32 mismatch";
        return -XEN_EINVAL;
    }
    flags = h[1];
    if (flags & 0x3C)
        return -XEN_EOPNOTSUPP;
    memset(blk, 0, sizeof(*blk));
    blk->has_csize = flags & 0x40;
    blk->has_usize = flags & 0x80;
    if ((blk->has_csize && (vli_read(h, len - 4, &pos, &blk->csize) || !blk->csize)) ||
        (blk->has_usize && vli_read(h, len - 4, &pos, &blk->usize)))
        return -XEN_EINVAL;
    err = filters_parse(h, len - 4, &pos, (flags & 3) + 1, blk, why);
    if (err)
        return err;
    while (pos < len - 4)
        if (h[pos++]) {
            *why = "bad xz block header padding";
            return -XEN_EINVAL;
        }
    *hdr_len = len;
    return 0;
}

static size_t check_size(unsigned int check)
{
    return check == CHECK_CRC32 ? 4 : check == CHECK_CRC64 ? 8 : 0;
}

static bool check_ok(unsigned int check, const uint8_t *data, size_t len, const uint8_t *want)
{
    if (check == CHECK_CRC32)
        return crc32(0, data, len) == le32(want);
    if (check == CHECK_CRC64)
        return crc64(0, data, len) == le64(want);
    return true;
}

/* What the blocks added up to, for comparison with the index. */
struct xz_totals {
    uint64_t blocks, unpadded, uncompressed;
};

static int block_decode(struct unpack_buf *b, unsigned int check, struct xz_totals *t,
                        const char **why)
{
    size_t hdr_len, in_start, out_start = b->out_pos, csize, pad;
    struct xz_block blk;
    int err;

    err = block_header_parse(b->in + b->in_pos, b->in_size - b->in_pos, &hdr_len, &blk, why);
    if (err)
        return err;
    b->in_pos += hdr_len;
    in_start = b->in_pos;
    err = lzma2_decode(b, why);
    if (err)
        return err;
    csize = b->in_pos - in_start;
    if ((blk.has_csize && blk.csize != csize) ||
        (blk.has_usize && blk.usize != b->out_pos - out_start)) {
        *why = "xz block sizes differ from its header";
        return -XEN_EINVAL;
    }
    if (blk.has_bcj)
        bcj_x86_decode(b->out + out_start, b->out_pos - out_start, blk.bcj_start);
    pad = (4 - (csize & 3)) & 3;
    if (pad + check_size(check) > b->in_size - b->in_pos) {
        *why = "truncated xz block";
        return -XEN_EINVAL;
    }
    for (; pad; pad--)
        if (b->in[b->in_pos++]) {
            *why = "bad xz block padding";
            return -XEN_EINVAL;
        }
    if (!check_ok(check, b->out + out_start, b->out_pos - out_start, b->in + b->in_pos)) {
        *why = check == CHECK_CRC32 ? "CRC32 mismatch" : "CRC64 mismatch";
        return -XEN_EINVAL;
    }
    b->in_pos += check_size(check);
    t->blocks++;
    t->unpadded += hdr_len + csize + check_size(check);
    t->uncompressed += b->out_pos - out_start;
    return 0;
}

/* The index after the blocks must list exactly the blocks decoded. */
static int index_check(struct unpack_buf *b, const struct xz_totals *t, size_t *index_len)
{
    size_t start = b->in_pos, pos = start + 1;
    struct xz_totals seen = { 0, 0, 0 };
    uint64_t count;

    if (vli_read(b->in, b->in_size, &pos, &count) || count != t->blocks)
        return -XEN_EINVAL;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t unpadded, uncompressed;

        if (vli_read(b->in, b->in_size, &pos, &unpadded) ||
            vli_read(b->in, b->in_size, &pos, &uncompressed))
            return -XEN_EINVAL;
        seen.unpadded += unpadded;
        seen.uncompressed += uncompressed;
    }
    while ((pos - start) & 3)
        if (pos >= b->in_size || b->in[pos++])
            return -XEN_EINVAL;
    if (b->in_size - pos < 4 || crc32(0, b->in + start, pos - start) != le32(b->in + pos) ||
        seen.unpadded != t->unpadded || seen.uncompressed != t->uncompressed)
        return -XEN_EINVAL;
    b->in_pos = pos + 4;
    *index_len = b->in_pos - start;
    return 0;
}

int unxz(struct unpack_buf *b, const char **why)
{
    const uint8_t *h = b->in + b->in_pos, *f;
    struct xz_totals t = { 0, 0, 0 };
    unsigned int check;
    size_t index_len;
    int err;

    if (b->in_size - b->in_pos < STREAM_HDR_LEN || memcmp(h, xz_magic, sizeof(xz_magic))) {
        *why = "not an xz stream";
        return -XEN_EINVAL;
    }
    if (crc32(0, h + 6, 2) != le32(h + 8) || h[6] || (h[7] & 0xF0)) {
        *why = "bad xz stream header";
        return -XEN_EINVAL;
    }
    check = h[7];
    if (check != CHECK_NONE && check != CHECK_CRC32 && check != CHECK_CRC64) {
        *why = "unsupported xz check (kumo takes none, CRC32, CRC64)";
        return -XEN_EOPNOTSUPP;
    }
    b->in_pos += STREAM_HDR_LEN;
    for (;;) {
        if (b->in_pos >= b->in_size) {
            *why = "truncated xz stream";
            return -XEN_EINVAL;
        }
        if (b->in[b->in_pos] == 0)
            break;
        err = block_decode(b, check, &t, why);
        if (err)
            return err;
    }
    if (index_check(b, &t, &index_len)) {
        *why = "xz index does not match the blocks";
        return -XEN_EINVAL;
    }
    f = b->in + b->in_pos;
    if (b->in_size - b->in_pos < STREAM_HDR_LEN || crc32(0, f + 4, 6) != le32(f) ||
        ((uint64_t)le32(f + 4) + 1) * 4 != index_len || memcmp(f + 8, h + 6, 2) ||
        f[10] != 'Y' || f[11] != 'Z') {
        *why = "bad xz stream footer";
        return -XEN_EINVAL;
    }
    b->in_pos += STREAM_HDR_LEN;
    return 0;
}
