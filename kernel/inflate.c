/*
 * gzip (RFC 1952) and deflate (RFC 1951) for kernels built with CONFIG_KERNEL_GZIP. Whole
 * buffers: the output is the window. Huffman codes decode through a 9-bit table, with a
 * canonical walk for the rare longer codes. Past the input's end the bit reader yields
 * zeros; every block start checks that real input remains, so the work stays bounded.
 */
#include <kumo/crc.h>
#include <kumo/decompress.h>
#include <kumo/lib.h>
#include <kumo/xen_abi.h>

#define MAX_BITS    15
#define FAST_BITS   9
#define NR_LITLEN   288
#define NR_DIST     32
#define NR_CLEN     19

struct huff {
    uint16_t count[MAX_BITS + 1];       /* codes of each length */
    uint16_t symbol[NR_LITLEN];         /* symbols in canonical order */
    uint16_t fast[1 << FAST_BITS];      /* length << 9 | symbol; 0 = longer code or none */
};

struct inflate {
    const uint8_t *in;
    size_t in_size, in_next;            /* in_next may pass in_size: zeros are read there */
    uint64_t bits;
    unsigned int nbits;
    uint8_t *out;
    size_t out_pos, out_size;
    struct huff lit, dist;
};

static const uint16_t len_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
    13, 13 };
static const uint8_t clen_order[NR_CLEN] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };

/* Two Huffman tables and the code-length table: too big for a hypervisor stack. */
static struct inflate inf;

static void refill(struct inflate *s)
{
    while (s->nbits <= 56) {
        uint64_t byte = s->in_next < s->in_size ? s->in[s->in_next] : 0;

        s->bits |= byte << s->nbits;
        s->in_next++;
        s->nbits += 8;
    }
}

static uint32_t getbits(struct inflate *s, unsigned int n)
{
    uint32_t v;

    if (s->nbits < n)
        refill(s);
    v = (uint32_t)(s->bits & ((1ULL << n) - 1));
    s->bits >>= n;
    s->nbits -= n;
    return v;
}

/* Bytes of real input consumed; above in_size means the stream was truncated. */
static size_t consumed(const struct inflate *s)
{
    return s->in_next - s->nbits / 8;
}

/* Builds h from code lengths; 0, or -EINVAL for an over-subscribed set. */
static int huff_build(struct huff *h, const uint8_t *lens, unsigned int n)
{
    uint16_t offs[MAX_BITS + 2];
    int left = 1;
    unsigned int code = 0;

    memset(h->count, 0, sizeof(h->count));
    memset(h->fast, 0, sizeof(h->fast));
    for (unsigned int i = 0; i < n; i++)
        h->count[lens[i]]++;
    h->count[0] = 0;
    for (unsigned int len = 1; len <= MAX_BITS; len++) {
        left = (left << 1) - h->count[len];
        if (left < 0)
            return -XEN_EINVAL;
    }
    offs[1] = 0;
    for (unsigned int len = 1; len <= MAX_BITS; len++)
        offs[len + 1] = offs[len] + h->count[len];
    for (unsigned int i = 0; i < n; i++)
        if (lens[i])
            h->symbol[offs[lens[i]]++] = (uint16_t)i;
    /* Canonical codes in order; the stream sends them most significant bit first. */
    for (unsigned int len = 1, k = 0; len <= FAST_BITS; len++, code <<= 1) {
        for (unsigned int c = 0; c < h->count[len]; c++, code++, k++) {
            unsigned int rev = 0;

            for (unsigned int b = 0; b < len; b++)
                rev |= ((code >> b) & 1) << (len - 1 - b);
            for (unsigned int idx = rev; idx < (1U << FAST_BITS); idx += 1U << len)
                h->fast[idx] = (uint16_t)(len << 9 | h->symbol[k]);
        }
    }
    return 0;
}

/* One symbol, or -1 for a bit pattern no code has. */
static int huff_decode(struct inflate *s, const struct huff *h)
{
    unsigned int entry, code = 0, first = 0, index = 0;

    if (s->nbits < MAX_BITS)
        refill(s);
    entry = h->fast[s->bits & ((1U << FAST_BITS) - 1)];
    if (entry) {
        s->bits >>= entry >> 9;
        s->nbits -= entry >> 9;
        return entry & 0x1FF;
    }
    for (unsigned int len = 1; len <= MAX_BITS; len++) {
        unsigned int count = h->count[len];

        code |= (unsigned int)(s->bits >> (len - 1)) & 1;
        if (code - first < count) {
            s->bits >>= len;
            s->nbits -= len;
            return h->symbol[index + code - first];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

static int dynamic_tables(struct inflate *s, const char **why)
{
    uint8_t lens[NR_LITLEN + NR_DIST];
    unsigned int nlit = getbits(s, 5) + 257, ndist = getbits(s, 5) + 1;
    unsigned int nclen = getbits(s, 4) + 4;

    *why = "bad deflate code lengths";
    if (nlit > 286 || ndist > 30)
        return -XEN_EINVAL;
    memset(lens, 0, sizeof(lens));
    for (unsigned int i = 0; i < nclen; i++)
        lens[clen_order[i]] = (uint8_t)getbits(s, 3);
    if (huff_build(&s->lit, lens, NR_CLEN))
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < nlit + ndist;) {
        int sym = huff_decode(s, &s->lit);
        unsigned int rep, val = 0;

        if (sym < 0)
            return -XEN_EINVAL;
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        if (sym == 16) {
            if (!i)
                return -XEN_EINVAL;
            val = lens[i - 1];
            rep = 3 + getbits(s, 2);
        } else {
            rep = sym == 17 ? 3 + getbits(s, 3) : 11 + getbits(s, 7);
        }
        if (rep > nlit + ndist - i)
            return -XEN_EINVAL;
        while (rep--)
            lens[i++] = (uint8_t)val;
    }
    /* Without an end-of-block code the block could never end. */
    if (!lens[256] || huff_build(&s->lit, lens, nlit) || huff_build(&s->dist, lens + nlit, ndist))
        return -XEN_EINVAL;
    return 0;
}

static void fixed_tables(struct inflate *s)
{
    uint8_t lens[NR_LITLEN];

    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
    huff_build(&s->lit, lens, NR_LITLEN);
    memset(lens, 5, NR_DIST);
    huff_build(&s->dist, lens, NR_DIST);
}

static int codes(struct inflate *s, const char **why)
{
    for (;;) {
        int sym = huff_decode(s, &s->lit), dsym;
        unsigned int len;
        size_t dist;

        if (sym < 256) {
            if (sym < 0)
                goto bad_code;
            if (s->out_pos >= s->out_size)
                goto too_long;
            s->out[s->out_pos++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        if (sym > 285)
            goto bad_code;
        len = len_base[sym - 257] + getbits(s, len_extra[sym - 257]);
        dsym = huff_decode(s, &s->dist);
        if (dsym < 0 || dsym > 29)
            goto bad_code;
        dist = dist_base[dsym] + getbits(s, dist_extra[dsym]);
        if (dist > s->out_pos) {
            *why = "deflate distance reaches before the output";
            return -XEN_EINVAL;
        }
        if (len > s->out_size - s->out_pos)
            goto too_long;
        for (uint8_t *d = s->out + s->out_pos, *e = d + len; d < e; d++)
            *d = *(d - dist);
        s->out_pos += len;
    }
bad_code:
    *why = "bad deflate code";
    return -XEN_EINVAL;
too_long:
    *why = "output larger than its stated size";
    return -XEN_ENOSPC;
}

static int stored(struct inflate *s, const char **why)
{
    size_t pos, len;

    s->bits >>= s->nbits & 7;
    s->nbits -= s->nbits & 7;
    pos = consumed(s);
    s->in_next = pos;                   /* the rest of the bit buffer is re-read from here */
    s->bits = 0;
    s->nbits = 0;
    if (pos > s->in_size || s->in_size - pos < 4 ||
        (s->in[pos] | s->in[pos + 1] << 8) != (~(s->in[pos + 2] | s->in[pos + 3] << 8) & 0xFFFF)) {
        *why = "bad deflate stored block";
        return -XEN_EINVAL;
    }
    len = s->in[pos] | s->in[pos + 1] << 8;
    pos += 4;
    if (len > s->in_size - pos) {
        *why = "truncated deflate data";
        return -XEN_EINVAL;
    }
    if (len > s->out_size - s->out_pos) {
        *why = "output larger than its stated size";
        return -XEN_ENOSPC;
    }
    memcpy(s->out + s->out_pos, s->in + pos, len);
    s->out_pos += len;
    s->in_next = pos + len;
    return 0;
}

/* Inflates from b->in_pos to the final block; b->in_pos ends at the next whole byte. */
static int inflate_run(struct unpack_buf *b, const char **why)
{
    struct inflate *s = &inf;
    unsigned int last = 0;
    int err = 0;

    s->in = b->in;
    s->in_size = b->in_size;
    s->in_next = b->in_pos;
    s->bits = 0;
    s->nbits = 0;
    s->out = b->out;
    s->out_pos = b->out_pos;
    s->out_size = b->out_size;
    while (!last && !err) {
        unsigned int type;

        if (consumed(s) >= s->in_size) {
            *why = "truncated deflate data";
            return -XEN_EINVAL;
        }
        last = getbits(s, 1);
        type = getbits(s, 2);
        if (type == 0) {
            err = stored(s, why);
        } else if (type == 1) {
            fixed_tables(s);
            err = codes(s, why);
        } else if (type == 2) {
            err = dynamic_tables(s, why);
            if (!err)
                err = codes(s, why);
        } else {
            *why = "bad deflate block type";
            err = -XEN_EINVAL;
        }
    }
    if (err)
        return err;
    if (consumed(s) > s->in_size) {
        *why = "truncated deflate data";
        return -XEN_EINVAL;
    }
    b->in_pos = consumed(s);
    b->out_pos = s->out_pos;
    return 0;
}

/* Skips the optional gzip header fields; 0 or -EINVAL. */
static int gzip_header(struct unpack_buf *b)
{
    const uint8_t *h = b->in + b->in_pos;
    size_t pos = 10, n = b->in_size - b->in_pos;
    unsigned int flags;

    if (n < 10 || h[0] != 0x1F || h[1] != 0x8B || h[2] != 8 || (h[3] & 0xE0))
        return -XEN_EINVAL;
    flags = h[3];
    if (flags & 0x04) {                 /* FEXTRA: 16-bit length, then that many bytes */
        if (n - pos < 2 || (size_t)(h[pos] | h[pos + 1] << 8) > n - pos - 2)
            return -XEN_EINVAL;
        pos += 2 + (h[pos] | h[pos + 1] << 8);
    }
    for (unsigned int bit = 0x08; bit <= 0x10; bit <<= 1) {  /* FNAME, FCOMMENT */
        if (!(flags & bit))
            continue;
        while (pos < n && h[pos])
            pos++;
        if (pos++ >= n)
            return -XEN_EINVAL;
    }
    if (flags & 0x02) {                 /* FHCRC: CRC32's low half over the header so far */
        if (n - pos < 2 || (crc32(0, h, pos) & 0xFFFF) != (uint32_t)(h[pos] | h[pos + 1] << 8))
            return -XEN_EINVAL;
        pos += 2;
    }
    b->in_pos += pos;
    return 0;
}

int gunzip(struct unpack_buf *b, const char **why)
{
    size_t out_start = b->out_pos;
    const uint8_t *t;
    int err;

    if (gzip_header(b)) {
        *why = "bad gzip header";
        return -XEN_EINVAL;
    }
    err = inflate_run(b, why);
    if (err)
        return err;
    if (b->in_size - b->in_pos < 8) {
        *why = "truncated gzip trailer";
        return -XEN_EINVAL;
    }
    t = b->in + b->in_pos;
    if (crc32(0, b->out + out_start, b->out_pos - out_start) !=
        (t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24)) {
        *why = "CRC32 mismatch";
        return -XEN_EINVAL;
    }
    if ((uint32_t)(b->out_pos - out_start) !=
        (t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24)) {
        *why = "gzip ISIZE mismatch";
        return -XEN_EINVAL;
    }
    b->in_pos += 8;
    return 0;
}
