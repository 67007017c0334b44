/*
 * LZMA2, the xz format's compression filter, decoded from whole buffers: the output buffer
 * is the dictionary, so a match is a copy from earlier output and nothing is allocated.
 * Written from the .xz file format specification and the LZMA specification in the LZMA
 * SDK (lzma-specification.txt). The range decoder lives in locals of one hot loop: under
 * emulation this loop is most of the time kumo spends unpacking Debian's kernel.
 */
#include <kumo/decompress.h>
#include <kumo/lib.h>
#include <kumo/xen_abi.h>

#define STATES          12
#define POS_STATES_MAX  16
#define LIT_STATES      7               /* states below this one follow a literal */
#define PROB_BITS       11
#define PROB_INIT       (1U << (PROB_BITS - 1))
#define MOVE_BITS       5
#define RC_TOP          (1U << 24)
#define END_POS_MODEL   14              /* distance slots below this one use pos_special */
#define FULL_DISTANCES  128
#define MATCH_MIN       2
#define LIT_CODER_SIZE  0x300

struct len_probs {
    uint16_t choice, choice2;
    uint16_t low[POS_STATES_MAX][8], mid[POS_STATES_MAX][8], high[256];
};

struct lzma_probs {
    uint16_t is_match[STATES][POS_STATES_MAX];
    uint16_t is_rep[STATES], is_rep_g0[STATES], is_rep_g1[STATES], is_rep_g2[STATES];
    uint16_t is_rep0_long[STATES][POS_STATES_MAX];
    uint16_t pos_slot[4][64];
    uint16_t pos_special[1 + FULL_DISTANCES - END_POS_MODEL];
    uint16_t align[16];
    struct len_probs len, rep_len;
    uint16_t literal[LIT_CODER_SIZE << 4];      /* lc + lp <= 4 in LZMA2 */
};

/* What carries over from one chunk to the next unless the chunk resets it. */
struct lzma_state {
    struct lzma_probs p;
    unsigned int lc, lp, pb;
    unsigned int state;
    uint32_t rep[4];
};

/* ~30 KB: too big for a hypervisor stack, and decoding happens on one CPU at boot. */
static struct lzma_state lz;

struct rc {
    uint32_t range, code;
    const uint8_t *in, *end;            /* in may run past end: see rc_normalize() */
};

#define INLINE static inline __attribute__((always_inline))

/*
 * Past the chunk's end the decoder reads zeros instead of branching out of the hot path;
 * the chunk is rejected afterwards because in no longer equals end. The work stays bounded
 * by the chunk's output size.
 */
INLINE void rc_normalize(struct rc *rc)
{
    if (rc->range < RC_TOP) {
        rc->range <<= 8;
        rc->code = (rc->code << 8) | (rc->in < rc->end ? *rc->in : 0);
        rc->in++;
    }
}

INLINE unsigned int rc_bit(struct rc *rc, uint16_t *p)
{
    uint32_t bound = (rc->range >> PROB_BITS) * *p;
    unsigned int bit;

    if (rc->code < bound) {
        rc->range = bound;
        *p += ((1U << PROB_BITS) - *p) >> MOVE_BITS;
        bit = 0;
    } else {
        rc->range -= bound;
        rc->code -= bound;
        *p -= *p >> MOVE_BITS;
        bit = 1;
    }
    rc_normalize(rc);
    return bit;
}

/* A bit tree of `bits` levels, most significant bit first. */
INLINE unsigned int rc_tree(struct rc *rc, uint16_t *p, unsigned int bits)
{
    unsigned int m = 1;

    for (unsigned int i = 0; i < bits; i++)
        m = (m << 1) | rc_bit(rc, p + m);
    return m - (1U << bits);
}

/* The same tree read least significant bit first (distance low bits). */
INLINE unsigned int rc_tree_reverse(struct rc *rc, uint16_t *p, unsigned int bits)
{
    unsigned int m = 1, sym = 0;

    for (unsigned int i = 0; i < bits; i++) {
        unsigned int bit = rc_bit(rc, p + m);

        m = (m << 1) | bit;
        sym |= bit << i;
    }
    return sym;
}

/* Bits with probability one half: no model, just halve the range. */
INLINE uint32_t rc_direct(struct rc *rc, unsigned int bits)
{
    uint32_t v = 0;

    while (bits--) {
        uint32_t mask;

        rc->range >>= 1;
        rc->code -= rc->range;
        mask = 0U - (rc->code >> 31);   /* all ones when the bit is 0 (code went negative) */
        rc->code += rc->range & mask;
        v = (v << 1) + (mask + 1);
        rc_normalize(rc);
    }
    return v;
}

INLINE unsigned int len_decode(struct rc *rc, struct len_probs *l, unsigned int pos_state)
{
    if (!rc_bit(rc, &l->choice))
        return rc_tree(rc, l->low[pos_state], 3);
    if (!rc_bit(rc, &l->choice2))
        return 8 + rc_tree(rc, l->mid[pos_state], 3);
    return 16 + rc_tree(rc, l->high, 8);
}

/* len is the coded length (match length - 2); the result is distance - 1. */
INLINE uint32_t dist_decode(struct rc *rc, struct lzma_probs *p, unsigned int len)
{
    unsigned int slot = rc_tree(rc, p->pos_slot[len < 3 ? len : 3], 6);
    unsigned int direct;
    uint32_t dist;

    if (slot < 4)
        return slot;
    direct = (slot >> 1) - 1;
    dist = (2U | (slot & 1)) << direct;
    if (slot < END_POS_MODEL)
        return dist + rc_tree_reverse(rc, p->pos_special + dist - slot, direct);
    dist += rc_direct(rc, direct - 4) << 4;
    return dist + rc_tree_reverse(rc, p->align, 4);
}

static void lzma_reset_state(void)
{
    uint16_t *probs = (uint16_t *)&lz.p;

    for (size_t i = 0; i < sizeof(lz.p) / sizeof(uint16_t); i++)
        probs[i] = PROB_INIT;
    lz.state = 0;
    lz.rep[0] = lz.rep[1] = lz.rep[2] = lz.rep[3] = 0;
}

INLINE unsigned int literal_decode(struct rc *rc, uint16_t *probs, unsigned int state,
                                   unsigned int match_byte)
{
    unsigned int sym = 1;

    /* After a match the byte at rep0 guides the first bits until one differs from it. */
    if (state >= LIT_STATES) {
        do {
            unsigned int match_bit = (match_byte >> 7) & 1, bit;

            match_byte <<= 1;
            bit = rc_bit(rc, probs + ((1 + match_bit) << 8) + sym);
            sym = (sym << 1) | bit;
            if (bit != match_bit)
                break;
        } while (sym < 0x100);
    }
    while (sym < 0x100)
        sym = (sym << 1) | rc_bit(rc, probs + sym);
    return sym & 0xFF;
}

/* The rep-match branch after is_rep: moves the chosen distance to rep[0]. */
INLINE bool rep_choose(struct rc *rc, struct lzma_probs *p, unsigned int state,
                       unsigned int pos_state, uint32_t *rep)
{
    uint32_t dist;

    if (!rc_bit(rc, &p->is_rep_g0[state]))
        return rc_bit(rc, &p->is_rep0_long[state][pos_state]);   /* 0: one byte at rep0 */
    if (!rc_bit(rc, &p->is_rep_g1[state])) {
        dist = rep[1];
    } else {
        if (!rc_bit(rc, &p->is_rep_g2[state])) {
            dist = rep[2];
        } else {
            dist = rep[3];
            rep[3] = rep[2];
        }
        rep[2] = rep[1];
    }
    rep[1] = rep[0];
    rep[0] = dist;
    return true;
}

/*
 * Copies a match of len bytes from dist bytes back; room is what may be written from dst.
 * Eight bytes at a time when the source stays behind what is being written and the last
 * word fits: under emulation each memory access costs a software TLB lookup.
 */
INLINE void match_copy(uint8_t *dst, size_t dist, size_t len, size_t room)
{
    const uint8_t *src = dst - dist;

    if (dist >= 8 && len + 8 <= room) {
        for (size_t k = 0; k < len; k += 8) {
            uint64_t w;

            __builtin_memcpy(&w, src + k, 8);
            __builtin_memcpy(dst + k, &w, 8);
        }
        return;
    }
    /* Byte by byte: the match overlaps its own output (distance < length) or ends the chunk. */
    while (len--)
        *dst++ = *src++;
}

/*
 * Decodes one LZMA chunk into out[pos, limit); the dictionary is out[dict_start, pos).
 * Returns 0 or -EINVAL with *why set.
 */
static int lzma_chunk(struct rc *rc_io, uint8_t *out, size_t dict_start, size_t pos,
                      size_t limit, const char **why)
{
    /*
     * Working copies in locals: stores through out (a byte pointer) may alias anything, so
     * state reached through pointers would be reloaded after every output byte.
     */
    struct rc rc_local = *rc_io, *rc = &rc_local;
    struct lzma_probs *p = &lz.p;
    unsigned int state = lz.state, lc = lz.lc;
    uint32_t pb_mask = (1U << lz.pb) - 1, lp_mask = (1U << lz.lp) - 1;
    uint32_t rep[4] = { lz.rep[0], lz.rep[1], lz.rep[2], lz.rep[3] };

    while (pos < limit) {
        size_t have = pos - dict_start;         /* bytes a distance may reach back over */
        unsigned int pos_state = (unsigned int)have & pb_mask, len;

        if (!rc_bit(rc, &p->is_match[state][pos_state])) {
            /* The literal's coder is picked by its position and the byte before it. */
            uint16_t *probs = p->literal + LIT_CODER_SIZE *
                              ((((unsigned int)have & lp_mask) << lc) +
                               ((have ? out[pos - 1] : 0U) >> (8 - lc)));

            if (state >= LIT_STATES && rep[0] >= have)
                goto bad_distance;
            out[pos] = (uint8_t)literal_decode(rc, probs, state,
                                               state >= LIT_STATES ? out[pos - rep[0] - 1] : 0);
            pos++;
            state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
            continue;
        }
        if (rc_bit(rc, &p->is_rep[state])) {
            if (!rep_choose(rc, p, state, pos_state, rep)) {
                if (rep[0] >= have)
                    goto bad_distance;
                state = state < LIT_STATES ? 9 : 11;
                out[pos] = out[pos - rep[0] - 1];
                pos++;
                continue;
            }
            len = len_decode(rc, &p->rep_len, pos_state);
            state = state < LIT_STATES ? 8 : 11;
        } else {
            rep[3] = rep[2];
            rep[2] = rep[1];
            rep[1] = rep[0];
            len = len_decode(rc, &p->len, pos_state);
            state = state < LIT_STATES ? 7 : 10;
            rep[0] = dist_decode(rc, p, len);
        }
        /* The end marker (distance 2^32 - 1), which LZMA2 forbids, fails here too. */
        if (rep[0] >= have)
            goto bad_distance;
        len += MATCH_MIN;
        if (len > limit - pos) {
            *why = "match crosses the end of an LZMA2 chunk";
            return -XEN_EINVAL;
        }
        match_copy(out + pos, rep[0] + 1, len, limit - pos);
        pos += len;
    }
    lz.state = state;
    memcpy(lz.rep, rep, sizeof(rep));
    *rc_io = rc_local;
    return 0;

bad_distance:
    *why = "LZMA distance reaches before the dictionary";
    return -XEN_EINVAL;
}

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

/* lc, lp and pb from their one-byte encoding (pb * 5 + lp) * 9 + lc; LZMA2 wants lc + lp <= 4. */
static bool lzma_set_props(unsigned int props)
{
    if (props >= 9 * 5 * 5 || props % 9 + (props / 9) % 5 > 4)
        return false;
    lz.lc = props % 9;
    lz.lp = (props / 9) % 5;
    lz.pb = props / 45;
    return true;
}

/* One LZMA chunk whose header (control byte included) starts at hdr. */
static int lzma2_lzma_chunk(struct unpack_buf *b, const uint8_t *hdr, size_t dict_start,
                            bool *need_props, const char **why)
{
    unsigned int ctrl = hdr[0];
    size_t hdr_len = ctrl >= 0xC0 ? 6 : 5, out_len, in_len;
    struct rc rc;
    int rc_err;

    if (hdr_len > b->in_size - b->in_pos)
        goto truncated;
    out_len = ((size_t)(ctrl & 0x1F) << 16) + be16(hdr + 1) + 1;
    in_len = be16(hdr + 3) + 1;
    if (ctrl >= 0xC0) {
        if (!lzma_set_props(hdr[5])) {
            *why = "bad LZMA properties";
            return -XEN_EINVAL;
        }
        *need_props = false;
    } else if (*need_props) {
        *why = "LZMA2 chunk without properties after a dictionary reset";
        return -XEN_EINVAL;
    }
    if (ctrl >= 0xA0)
        lzma_reset_state();
    b->in_pos += hdr_len;
    if (in_len > b->in_size - b->in_pos)
        goto truncated;
    if (out_len > b->out_size - b->out_pos) {
        *why = "output larger than its stated size";
        return -XEN_ENOSPC;
    }
    /* Each chunk starts a new range coder: a zero byte, then the 32-bit code. */
    if (in_len < 5 || b->in[b->in_pos] != 0) {
        *why = "bad range coder start";
        return -XEN_EINVAL;
    }
    rc.in = b->in + b->in_pos + 5;
    rc.end = b->in + b->in_pos + in_len;
    rc.range = UINT32_MAX;
    rc.code = (uint32_t)b->in[b->in_pos + 1] << 24 | (uint32_t)b->in[b->in_pos + 2] << 16 |
              (uint32_t)b->in[b->in_pos + 3] << 8 | b->in[b->in_pos + 4];
    rc_err = lzma_chunk(&rc, b->out, dict_start, b->out_pos, b->out_pos + out_len, why);
    if (rc_err)
        return rc_err;
    if (rc.in != rc.end || rc.code != 0) {
        *why = "LZMA2 chunk does not end where its header says";
        return -XEN_EINVAL;
    }
    b->in_pos += in_len;
    b->out_pos += out_len;
    return 0;

truncated:
    *why = "truncated LZMA2 data";
    return -XEN_EINVAL;
}

int lzma2_decode(struct unpack_buf *b, const char **why)
{
    bool need_dict_reset = true, need_props = true;
    size_t dict_start = b->out_pos;

    for (;;) {
        const uint8_t *hdr = b->in + b->in_pos;
        unsigned int ctrl;
        size_t len;
        int err;

        if (b->in_pos >= b->in_size)
            break;
        ctrl = hdr[0];
        if (ctrl == 0x00) {
            b->in_pos++;
            return 0;
        }
        if (ctrl >= 0xE0 || ctrl == 0x01) {
            need_props = true;
            need_dict_reset = false;
            dict_start = b->out_pos;
        } else if (need_dict_reset) {
            *why = "LZMA2 data does not start with a dictionary reset";
            return -XEN_EINVAL;
        }
        if (ctrl >= 0x80) {
            err = lzma2_lzma_chunk(b, hdr, dict_start, &need_props, why);
            if (err)
                return err;
            continue;
        }
        if (ctrl > 0x02) {
            *why = "bad LZMA2 control byte";
            return -XEN_EINVAL;
        }
        /* An uncompressed chunk: 16-bit size - 1, then the bytes. */
        if (b->in_size - b->in_pos < 3)
            break;
        len = be16(hdr + 1) + 1;
        b->in_pos += 3;
        if (len > b->in_size - b->in_pos)
            break;
        if (len > b->out_size - b->out_pos) {
            *why = "output larger than its stated size";
            return -XEN_ENOSPC;
        }
        memcpy(b->out + b->out_pos, b->in + b->in_pos, len);
        b->in_pos += len;
        b->out_pos += len;
    }
    *why = "truncated LZMA2 data";
    return -XEN_EINVAL;
}
