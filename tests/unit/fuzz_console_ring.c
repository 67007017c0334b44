/*
 * libFuzzer target for what a guest controls in its console page (xenconsoled ring.c):
 * the four ring indices and the ring's bytes, drained into a history and a client queue,
 * input pushed the other way. Any indices leave every copy inside the page and the
 * buffers, move a consumer by exactly what was taken, and never by more than the ring.
 */
#include <stdlib.h>
#include <string.h>

#include "../../dom0-tools/xenconsoled/ring.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xencons_interface *intf = calloc(1, sizeof(*intf));
    struct xcd_buf history, queue;
    char out[4096];
    XENCONS_RING_IDX idx[4] = { 0 }, before;
    size_t n, want;

    if (!intf || xcd_buf_init(&history, 100) || xcd_buf_init(&queue, 333))
        abort();
    memcpy(idx, data, size < sizeof(idx) ? size : sizeof(idx));
    if (size > sizeof(idx))
        memcpy(intf->out, data + sizeof(idx),
               size - sizeof(idx) < sizeof(intf->out) ? size - sizeof(idx) : sizeof(intf->out));
    intf->in_cons = idx[0], intf->in_prod = idx[1];
    intf->out_cons = idx[2], intf->out_prod = idx[3];
    want = size ? data[size - 1] * 17u : 0;
    before = intf->out_cons;
    n = xcd_ring_read(intf, out, want < sizeof(out) ? want : sizeof(out));
    if (n > sizeof(intf->out) || n > want || intf->out_cons - before != n ||
        (n && idx[3] - idx[2] > sizeof(intf->out)))
        abort();
    xcd_buf_push(&history, out, n);
    if (history.len > history.cap || xcd_buf_put(&queue, out, n) > n || queue.len > queue.cap)
        abort();
    before = intf->in_prod;
    n = xcd_ring_write(intf, (const char *)data, size < sizeof(out) ? size : sizeof(out));
    if (n > sizeof(intf->in) || intf->in_prod - before != n ||
        (idx[1] - idx[0] <= sizeof(intf->in) && intf->in_prod - intf->in_cons > sizeof(intf->in)) ||
        (n && idx[1] - idx[0] > sizeof(intf->in)))
        abort();                        /* a sane ring stays sane; a broken one is left */
    xcd_buf_consume(&queue, want);
    xcd_buf_free(&history);
    xcd_buf_free(&queue);
    free(intf);
    return 0;
}
