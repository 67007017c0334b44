/*
 * What a guest's indices reach: the console ring's two directions, the byte rings that
 * bound a domain's history and a client's queue, and the output allowance that keeps a
 * flooding guest from taking Dom0's time. No system calls here (host-tested and fuzzed).
 */
#include <stdlib.h>
#include <string.h>

#include "xenconsoled.h"

int xcd_buf_init(struct xcd_buf *b, size_t cap)
{
    *b = (struct xcd_buf){ .data = malloc(cap), .cap = cap };
    return b->data ? 0 : -1;
}

void xcd_buf_free(struct xcd_buf *b)
{
    free(b->data);
    *b = (struct xcd_buf){ 0 };
}

static void buf_append(struct xcd_buf *b, const char *p, size_t n)
{
    size_t tail = (b->head + b->len) % b->cap, first = b->cap - tail;

    if (first > n)
        first = n;
    memcpy(b->data + tail, p, first);
    memcpy(b->data, p + first, n - first);
    b->len += n;
}

void xcd_buf_push(struct xcd_buf *b, const char *p, size_t n)
{
    if (!b->cap)
        return;
    if (n > b->cap) {
        b->dropped += n - b->cap;
        p += n - b->cap;
        n = b->cap;
    }
    if (b->len + n > b->cap) {
        b->dropped += b->len + n - b->cap;
        xcd_buf_consume(b, b->len + n - b->cap);
    }
    buf_append(b, p, n);
}

size_t xcd_buf_put(struct xcd_buf *b, const char *p, size_t n)
{
    size_t room = b->cap - b->len;

    if (n > room) {
        b->dropped += n - room;
        n = room;
    }
    if (n)
        buf_append(b, p, n);
    return n;
}

size_t xcd_buf_peek(const struct xcd_buf *b, const char **p)
{
    size_t first = b->cap - b->head;

    *p = b->data + b->head;
    return b->len < first ? b->len : first;
}

void xcd_buf_consume(struct xcd_buf *b, size_t n)
{
    if (n > b->len)
        n = b->len;
    b->head = b->cap ? (b->head + n) % b->cap : 0;
    b->len -= n;
}

/* The guest may change an index at any time: each is loaded once, then checked. */
static XENCONS_RING_IDX load_idx(volatile XENCONS_RING_IDX *idx)
{
    return __atomic_load_n(idx, __ATOMIC_ACQUIRE);
}

size_t xcd_ring_read(volatile struct xencons_interface *intf, char *buf, size_t len)
{
    XENCONS_RING_IDX cons = load_idx(&intf->out_cons), prod = load_idx(&intf->out_prod);
    XENCONS_RING_IDX avail = prod - cons;
    size_t n = 0;

    if (avail > sizeof(intf->out))
        return 0;                       /* a broken producer: nothing it says is trusted */
    for (; n < len && n < avail; n++)
        buf[n] = intf->out[MASK_XENCONS_IDX(cons + n, intf->out)];
    /* The bytes are copied before the guest may reuse their slots. */
    __atomic_store_n(&intf->out_cons, cons + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
    return n;
}

size_t xcd_ring_write(volatile struct xencons_interface *intf, const char *buf, size_t len)
{
    XENCONS_RING_IDX cons = load_idx(&intf->in_cons), prod = load_idx(&intf->in_prod);
    XENCONS_RING_IDX used = prod - cons;
    size_t n = 0;

    if (used > sizeof(intf->in))
        return 0;
    for (; n < len && used + n < sizeof(intf->in); n++)
        intf->in[MASK_XENCONS_IDX(prod + n, intf->in)] = buf[n];
    __atomic_store_n(&intf->in_prod, prod + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
    return n;
}

size_t xcd_rate_allowance(struct xcd_rate *r, uint64_t now_ms)
{
    if (now_ms - r->period_start_ms >= XCD_RATE_PERIOD_MS) {
        r->period_start_ms = now_ms;
        r->used = 0;
    }
    return r->used < XCD_RATE_BYTES ? XCD_RATE_BYTES - r->used : 0;
}

void xcd_rate_charge(struct xcd_rate *r, size_t n)
{
    r->used += n;
}
