/*
 * A memory transport for xenstored's real sources (shared by test_d0_xenstored.c and
 * fuzz_xenstored.c): requests go in through conn_input() from a byte buffer, answers and
 * watch events collect in another, and xs_req() sends one request and returns its answer.
 */
#ifndef XS_FAKE_H
#define XS_FAKE_H

#include "../../dom0-tools/xenstored/tree.c"
#include "../../dom0-tools/xenstored/perms.c"
#include "../../dom0-tools/xenstored/transaction.c"
#include "../../dom0-tools/xenstored/watch.c"
#include "../../dom0-tools/xenstored/conn.c"
#include "../../dom0-tools/xenstored/request.c"
#include "../../dom0-tools/xenstored/control.c"
#include "../../dom0-tools/xenstored/domain.c"
#include "../../dom0-tools/libs/plat/fake.c"
#include "../../dom0-tools/xenstored/xen.c"

struct fake {
    struct conn *conn;
    const char *in;
    size_t in_len, in_off;
    char out[1 << 17];
    size_t out_len;
    bool blocked;             /* the peer reads nothing: writes make no progress */
};

#define NFAKES 8
static struct fake fakes[NFAKES];

static struct fake *fake_of(struct conn *conn)
{
    for (int i = 0; i < NFAKES; i++)
        if (fakes[i].conn == conn)
            return &fakes[i];
    abort();
}

static long fake_read(struct conn *conn, void *buf, size_t len)
{
    struct fake *f = fake_of(conn);
    size_t n = f->in_len - f->in_off;

    if (n > len)
        n = len;
    memcpy(buf, f->in + f->in_off, n);
    f->in_off += n;
    return (long)n;
}

static long fake_write(struct conn *conn, const void *buf, size_t len)
{
    struct fake *f = fake_of(conn);

    if (f->blocked)
        return 0;
    if (len > sizeof(f->out) - f->out_len)
        f->out_len = 0;       /* nobody reads that much back: keep the newest */
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
    return (long)len;
}

static const struct conn_ops fake_ops = { .read = fake_read, .write = fake_write };

static struct fake *fake_new(uint32_t domid)
{
    for (int i = 0; i < NFAKES; i++) {
        if (!fakes[i].conn) {
            memset(&fakes[i], 0, sizeof(fakes[i]));
            fakes[i].conn = conn_new(&fake_ops, -1, domid);
            return &fakes[i];
        }
    }
    abort();
}

static void xs_reset(void)
{
    domain_fini();
    while (xs_conns)
        conn_free(xs_conns);
    memset(fakes, 0, sizeof(fakes));
    tree_fini();
    tree_init();
    tree_seed();
}

/* Feeds raw bytes as if they arrived from the peer. */
static void fake_feed(struct fake *f, const void *data, size_t len)
{
    f->in = data;
    f->in_len = len;
    f->in_off = 0;
    while (conn_input(f->conn))     /* the daemon's rounds, one turn each */
        ;
}

#endif
