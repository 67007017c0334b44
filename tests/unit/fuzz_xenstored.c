/*
 * libFuzzer target for xenstored's message decoder and request dispatch: the input is a
 * series of chunks, each [who][len][len bytes], fed as raw bytes to Dom0's socket (who 0),
 * to unprivileged domains 5 and 7 (who 1, 2), or into the request ring of the last domain
 * Dom0 introduced (who 3), so framing, every handler, transactions, watches and the ring
 * transport all see arbitrary bytes from several peers at once.
 */
#define HARNESS_NO_PRINTK
#include "harness.h"
#include "xs_fake.h"

static struct xenstore_domain_interface *last_page;

static int fz_bind(uint32_t domid, uint32_t port) { return (int)((domid * 64 + port) & 0xFFFF); }
static int fz_virq(uint32_t virq) { return (int)virq; }
static void fz_unbind(uint32_t port) { (void)port; }
static void fz_notify(uint32_t port) { (void)port; }
static void *fz_map(uint32_t domid, uint64_t gfn)
{
    (void)domid;
    (void)gfn;
    last_page = calloc(1, 4096);
    return last_page;
}
static void fz_unmap(void *p)
{
    if (p == last_page)
        last_page = NULL;
    free(p);
}
static int fz_states(const uint32_t *d, int n, uint8_t *st)
{
    for (int i = 0; i < n; i++)
        st[i] = (uint8_t)(d[i] % 3);
    return 0;
}
static const struct xen_ops fuzz_xen = {
    fz_bind, fz_virq, fz_unbind, fz_notify, fz_map, fz_unmap, fz_states,
};

static void ring_feed(const uint8_t *p, size_t len)
{
    if (!last_page)
        return;
    for (size_t i = 0; i < len; i++)
        last_page->req[MASK_XENSTORE_IDX(last_page->req_prod + i)] = (char)p[i];
    last_page->req_prod += (uint32_t)len;
    /* The guest also consumes whatever answers are there. */
    last_page->rsp_cons = last_page->rsp_prod;
    for (struct conn *c = xs_conns; c; c = c->next)
        if (c->dom && c->dom->intf == last_page)
            domain_event(c->dom->port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake *peers[3];

    xs_silent = true;
    xs_xen = &fuzz_xen;
    last_page = NULL;
    xs_reset();
    peers[0] = fake_new(0);
    peers[1] = fake_new(5);
    peers[2] = fake_new(7);
    while (size >= 2) {
        unsigned int who = data[0] & 3;
        size_t len = data[1] < size - 2 ? data[1] : size - 2;

        if (who == 3)
            ring_feed(data + 2, len);
        else if (!peers[who]->conn->dead)
            fake_feed(peers[who], (const char *)data + 2, len);
        if ((data[0] & 0xC0) == 0xC0)
            domain_check_dead();
        peers[who < 3 ? who : 0]->out_len = 0;
        data += 2 + len;
        size -= 2 + len;
    }
    domain_fini();
    while (xs_conns)
        conn_free(xs_conns);
    tree_fini();
    return 0;
}
