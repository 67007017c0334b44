/*
 * Connections: the xs_wire framing (a 16-byte header, then at most XENSTORE_PAYLOAD_MAX
 * bytes) over any byte transport (a Unix socket, or a domain's shared ring), the queue of
 * answers and watch events, and the outstanding-requests quota that makes a domain wait
 * for its answers to be read before it may send more.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "xenstored.h"

struct conn *xs_conns;
bool xs_verbose, xs_silent;
unsigned int xs_watch_event_timeout_ms = 20000;

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
uint64_t (*xs_now)(void) = monotonic_ms;

/*
 * Xen counts an unprivileged domain's request as outstanding until its answer and the
 * watch events it caused before answering have gone out, to whomever: a domain cannot
 * outrun the watchers it wakes. A request whose events are still queued when it is done
 * holds one count of its origin's out_replies until the last of them is out or dropped.
 */
struct pend {
    struct pend *next;
    struct conn *origin;      /* NULL once it is freed */
    int events;               /* linked events not yet out */
    bool holds;               /* holds one of origin's out_replies */
};
static struct pend *pends;
static struct conn *cur_origin;   /* the unprivileged request being handled, until answered */
static struct pend *cur_pend;

static void pend_free(struct pend *pd)
{
    for (struct pend **p = &pends; *p; p = &(*p)->next) {
        if (*p == pd) {
            *p = pd->next;
            break;
        }
    }
    free(pd);
}

static void pend_event_done(struct pend *pd)
{
    if (!pd || --pd->events > 0 || !pd->holds)
        return;
    if (pd->origin)
        pd->origin->out_replies--;
    pend_free(pd);
}

static void pend_link(struct outmsg *m)
{
    if (!cur_pend) {
        cur_pend = calloc(1, sizeof(*cur_pend));
        if (!cur_pend)
            abort();
        cur_pend->origin = cur_origin;
        cur_pend->next = pends;
        pends = cur_pend;
    }
    cur_pend->events++;
    m->pend = cur_pend;
}

/* The request is answered: its pend, if events are left, holds a count from now on. */
static void pend_request_done(void)
{
    struct pend *pd = cur_pend;

    cur_origin = NULL;
    cur_pend = NULL;
    if (!pd)
        return;
    if (pd->events > 0 && pd->origin) {
        pd->holds = true;
        pd->origin->out_replies++;
    } else if (pd->events > 0) {
        pd->holds = true;
    } else {
        pend_free(pd);
    }
}

void xs_log(const char *fmt, ...)
{
    va_list ap;

    if (xs_silent)
        return;
    va_start(ap, fmt);
    fputs("xenstored: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

struct conn *conn_new(const struct conn_ops *ops, int fd, uint32_t domid)
{
    struct conn *conn = calloc(1, sizeof(*conn));

    if (!conn)
        abort();
    conn->ops = ops;
    conn->fd = fd;
    conn->domid = domid;
    conn->next_txid = 1;
    conn->next = xs_conns;
    xs_conns = conn;
    return conn;
}

void conn_free(struct conn *conn)
{
    for (struct conn **p = &xs_conns; *p; p = &(*p)->next) {
        if (*p == conn) {
            *p = conn->next;
            break;
        }
    }
    while (conn->out) {
        struct outmsg *m = conn->out;

        conn->out = m->next;
        pend_event_done(m->pend);
        free(m);
    }
    for (struct pend *pd = pends; pd; pd = pd->next)
        if (pd->origin == conn)
            pd->origin = NULL;
    if (cur_origin == conn)
        cur_origin = NULL;
    watch_del_all(conn);
    txn_abort_all(conn);
    free(conn->in);
    if (conn->fd >= 0)
        close(conn->fd);
    free(conn);
}

void conn_orphan(struct conn *conn)
{
    conn->dead = true;
    conn->dom = NULL;
    watch_del_all(conn);
    txn_abort_all(conn);
}

/* Socket connections that died; a domain's connection stays until the domain goes. */
void conn_reap(void)
{
    struct conn *conn = xs_conns, *next;

    for (; conn; conn = next) {
        next = conn->next;
        if (conn->dead && !conn->dom)
            conn_free(conn);
    }
}

bool conn_is_priv(const struct conn *conn)
{
    return conn->domid == 0;
}

void conn_fill_ctx(struct conn *conn, struct ctx *c)
{
    c->conn = conn;
    c->domid = conn->domid;
    c->priv = conn_is_priv(conn);
    c->target = conn->dom ? conn->dom->target : DOMID_INVALID;
    c->t = NULL;
}

bool conn_wants_write(const struct conn *conn)
{
    return !conn->dead && conn->out;
}

bool conn_can_read(const struct conn *conn)
{
    return !conn->dead && (conn_is_priv(conn) || conn->out_replies < xs_quota.req_outstanding);
}

/* Xen's check_event_timeout(): watch events a domain has not begun to take in time are
 * dropped. Done when the connection is next served; the peer cannot tell the difference. */
static void conn_expire_events(struct conn *conn)
{
    uint64_t now = xs_now(), next = 0;
    struct outmsg **p = &conn->out, *m;

    conn->out_tail = NULL;
    while ((m = *p)) {
        if (m->expires && !m->done && m->expires <= now) {
            *p = m->next;
            pend_event_done(m->pend);
            free(m);
            continue;
        }
        if (m->expires && !m->done && (!next || m->expires < next))
            next = m->expires;
        conn->out_tail = m;
        p = &m->next;
    }
    conn->out_expires = next;
}

void conn_flush(struct conn *conn)
{
    bool wrote = false;

    if (conn->out_expires && conn->out_expires <= xs_now())
        conn_expire_events(conn);

    while (!conn->dead && conn->out) {
        struct outmsg *m = conn->out;
        long n = conn->ops->write(conn, m->data + m->done, m->len - m->done);

        if (n < 0) {
            conn->dead = true;
            break;
        }
        if (n == 0)
            break;
        wrote = true;
        m->done += (size_t)n;
        if (m->done < m->len)
            continue;
        conn->out = m->next;
        if (!conn->out)
            conn->out_tail = NULL;
        if (m->reply)
            conn->out_replies--;
        pend_event_done(m->pend);
        free(m);
    }
    if (wrote && conn->ops->kick)
        conn->ops->kick(conn);
}

void conn_send(struct conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
               const void *body, size_t len, bool reply)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id,
                               .len = (uint32_t)len };
    struct outmsg *m;

    if (conn->dead)
        return;
    m = malloc(sizeof(*m) + sizeof(hdr) + len);
    if (!m)
        abort();
    m->next = NULL;
    m->len = sizeof(hdr) + len;
    m->done = 0;
    m->reply = reply;
    m->expires = 0;
    m->pend = NULL;
    if (type == XS_WATCH_EVENT && cur_origin)
        pend_link(m);
    else if (reply && conn == cur_origin)
        cur_origin = NULL;      /* what it fires after answering is not held (Xen's conn->in) */
    if (type == XS_WATCH_EVENT && xs_watch_event_timeout_ms && !conn_is_priv(conn)) {
        m->expires = xs_now() + xs_watch_event_timeout_ms;
        if (!conn->out_expires)
            conn->out_expires = m->expires;
    }
    memcpy(m->data, &hdr, sizeof(hdr));
    if (len)
        memcpy(m->data + sizeof(hdr), body, len);
    if (conn->out_tail)
        conn->out_tail->next = m;
    else
        conn->out = m;
    conn->out_tail = m;
    if (reply)
        conn->out_replies++;
    conn_flush(conn);
}

void conn_process(struct conn *conn, const struct xsd_sockmsg *hdr, const char *body)
{
    if (xs_verbose)
        XS_LOG("dom%u: request %u (%u bytes) tx %u", conn->domid, hdr->type, hdr->len,
               hdr->tx_id);
    cur_origin = conn_is_priv(conn) ? NULL : conn;
    request_dispatch(conn, hdr, body);
    pend_request_done();
}

/* Reads more of the current message; true once it is complete. */
static bool conn_read_msg(struct conn *conn, bool *got_any)
{
    long n;

    if (conn->hdr_got < sizeof(conn->hdr)) {
        n = conn->ops->read(conn, (char *)&conn->hdr + conn->hdr_got,
                            sizeof(conn->hdr) - conn->hdr_got);
        if (n <= 0)
            goto out;
        *got_any = true;
        conn->hdr_got += (size_t)n;
        if (conn->hdr_got < sizeof(conn->hdr))
            return false;
        if (conn->hdr.len > XENSTORE_PAYLOAD_MAX) {
            XS_LOG("dom%u: message of %u bytes: connection dropped", conn->domid,
                   conn->hdr.len);
            if (conn->dom && conn->dom->intf)
                conn->dom->intf->error = XENSTORE_ERROR_PROTO;
            conn->dead = true;
            return false;
        }
        conn->in = malloc(conn->hdr.len + 1);
        if (!conn->in)
            abort();
        conn->in_got = 0;
    }
    if (conn->in_got < conn->hdr.len) {
        n = conn->ops->read(conn, conn->in + conn->in_got, conn->hdr.len - conn->in_got);
        if (n <= 0)
            goto out;
        *got_any = true;
        conn->in_got += (size_t)n;
    }
    return conn->in_got == conn->hdr.len;
out:
    if (n < 0)
        conn->dead = true;
    return false;
}

bool conn_input(struct conn *conn)
{
    bool got_any = false, more = false;
    unsigned int served = 0;

    while (conn_can_read(conn)) {
        /*
         * A peer on a pCPU of its own refills its ring as fast as we empty it: after a
         * turn's worth, the others (xl on its socket, other rings) come first.
         */
        if (served == XS_REQUESTS_PER_TURN) {
            more = true;
            break;
        }
        if (!conn_read_msg(conn, &got_any))
            break;
        conn->in[conn->hdr.len] = '\0';
        conn_process(conn, &conn->hdr, conn->in);
        free(conn->in);
        conn->in = NULL;
        conn->hdr_got = 0;
        served++;
    }
    /* The peer may be waiting for room in its request ring. */
    if (got_any && !conn->dead && conn->ops->kick)
        conn->ops->kick(conn);
    return more;
}
