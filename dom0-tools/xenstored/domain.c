/*
 * Domains: Dom0's kernel ring (found through /proc/xen) and the rings of domains the
 * toolstack introduces (XS_INTRODUCE domid gfn port), each a connection whose transport is
 * the shared xenstore_domain_interface page and an event channel. VIRQ_DOM_EXC makes us
 * look for domains that shut down or died, as Xen's domain_cleanup() does. Without Xen
 * (--no-domain-init) an introduced domain is only recorded, with no ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

static struct domain *domains;
const struct xen_ops *xs_xen;
bool xs_keep_orphans;

struct domain *domain_find(uint32_t domid)
{
    struct domain *d;

    for (d = domains; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

bool domain_exists(uint32_t domid)
{
    uint8_t state;

    if (domid == 0 || domain_find(domid) || !xs_xen)
        return true;
    return xs_xen->domain_states(&domid, 1, &state) < 0 || state != DOM_GONE;
}

/* Ring indexes are free-running; more than a ring's worth in flight means the peer broke
 * them, and the connection is dropped with the error Xen's protocol names. */
static bool ring_bad(struct domain *d, uint32_t cons, uint32_t prod)
{
    if (prod - cons <= XENSTORE_RING_SIZE)
        return false;
    d->intf->error = XENSTORE_ERROR_RINGIDX;
    XS_LOG("domain %u: ring indexes corrupted: connection dropped", d->domid);
    return true;
}

static long ring_read(struct conn *conn, void *buf, size_t len)
{
    struct domain *d = conn->dom;
    volatile struct xenstore_domain_interface *intf = d->intf;
    uint32_t cons = intf->req_cons, prod = intf->req_prod, avail, off;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (ring_bad(d, cons, prod))
        return -1;
    off = MASK_XENSTORE_IDX(cons);
    avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE - off)
        avail = XENSTORE_RING_SIZE - off;
    if (avail > len)
        avail = (uint32_t)len;
    memcpy(buf, (const char *)intf->req + off, avail);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    intf->req_cons = cons + avail;
    return avail;
}

static long ring_write(struct conn *conn, const void *buf, size_t len)
{
    struct domain *d = conn->dom;
    volatile struct xenstore_domain_interface *intf = d->intf;
    uint32_t cons = intf->rsp_cons, prod = intf->rsp_prod, room, off;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (ring_bad(d, cons, prod))
        return -1;
    off = MASK_XENSTORE_IDX(prod);
    room = XENSTORE_RING_SIZE - (prod - cons);
    if (room > XENSTORE_RING_SIZE - off)
        room = XENSTORE_RING_SIZE - off;
    if (room > len)
        room = (uint32_t)len;
    memcpy((char *)intf->rsp + off, buf, room);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    intf->rsp_prod = prod + room;
    return room;
}

static void ring_kick(struct conn *conn)
{
    if (xs_xen && conn->dom->port)
        xs_xen->evtchn_notify(conn->dom->port);
}

static const struct conn_ops ring_ops = {
    .read = ring_read, .write = ring_write, .kick = ring_kick,
};

static struct domain *domain_new(uint32_t domid)
{
    struct domain *d = calloc(1, sizeof(*d));

    if (!d)
        abort();
    d->domid = domid;
    d->target = DOMID_INVALID;
    d->next = domains;
    domains = d;
    return d;
}

static void domain_connect(struct domain *d)
{
    d->intf->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    d->intf->connection = XENSTORE_CONNECTED;
    d->conn = conn_new(&ring_ops, -1, d->domid);
    d->conn->dom = d;
    xs_xen->evtchn_notify(d->port);
}

/* Xen's domain_conn_reset(): an introduction starts the ring afresh. */
static void domain_conn_reset(struct domain *d)
{
    struct conn *old = d->conn;

    if (!d->intf || d->domid == 0)
        return;
    d->intf->req_cons = d->intf->req_prod = 0;
    d->intf->rsp_cons = d->intf->rsp_prod = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (old)
        conn_orphan(old);
    d->conn = conn_new(&ring_ops, -1, d->domid);
    d->conn->dom = d;
    if (d->intf->connection == XENSTORE_RECONNECT) {
        d->intf->connection = XENSTORE_CONNECTED;
        xs_xen->evtchn_notify(d->port);
    }
}

int domain_introduce(uint32_t domid, uint64_t mfn, uint32_t port)
{
    struct domain *d = domain_find(domid);
    int local;

    if (domid == 0 || port == 0)
        return EINVAL;
    if (d) {
        /* A second introduction only rebinds the event channel (after a resume). */
        if (xs_xen && d->intf) {
            if (d->port)
                xs_xen->evtchn_unbind(d->port);
            local = xs_xen->evtchn_bind_interdomain(domid, port);
            d->port = local < 0 ? 0 : (uint32_t)local;
            d->remote_port = port;
            domain_conn_reset(d);
        }
        return 0;
    }
    d = domain_new(domid);
    d->mfn = mfn;
    d->remote_port = port;
    if (xs_xen) {
        d->intf = xs_xen->map_foreign(domid, mfn);
        local = d->intf ? xs_xen->evtchn_bind_interdomain(domid, port) : -1;
        if (local < 0) {
            XS_LOG("domain %u: cannot %s", domid, d->intf ? "bind its port" : "map its page");
            if (d->intf)
                xs_xen->unmap(d->intf);
            domains = d->next;
            free(d);
            return EINVAL;
        }
        d->port = (uint32_t)local;
        d->intf->req_cons = d->intf->req_prod = 0;
        d->intf->rsp_cons = d->intf->rsp_prod = 0;
        domain_connect(d);
    }
    d->introduced = true;
    watch_fire(&(struct fire){ .path = "@introduceDomain" });
    return 0;
}

static void domain_destroy(struct domain *d)
{
    for (struct domain **p = &domains; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            break;
        }
    }
    if (d->conn)
        conn_orphan(d->conn);
    if (xs_xen && d->port)
        xs_xen->evtchn_unbind(d->port);
    if (xs_xen && d->intf && d->domid != 0)
        xs_xen->unmap(d->intf);
    free(d);
}

int domain_release(uint32_t domid)
{
    struct domain *d = domain_find(domid);

    if (domid == 0)
        return EINVAL;
    if (!d)
        return ENOENT;
    domain_destroy(d);
    tree_domain_gone(domid, xs_keep_orphans);
    watch_fire(&(struct fire){ .path = "@releaseDomain" });
    return 0;
}

int domain_resume(uint32_t domid)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return ENOENT;
    d->shutdown = false;
    return 0;
}

int domain_set_target(uint32_t domid, uint32_t target)
{
    struct domain *d = domain_find(domid), *t = domain_find(target);

    /* Both must be introduced, as Xen's find_connected_domain() wants. */
    if (!d || !t)
        return ENOENT;
    d->target = target;
    return 0;
}

int dom0_ring_init(void)
{
    struct domain *d;
    uint32_t remote;
    void *page = xen_map_dom0_ring(&remote);
    int local;

    if (!page)
        return -ENOENT;
    local = xs_xen->evtchn_bind_interdomain(0, remote);
    if (local < 0) {
        xs_xen->unmap(page);
        return local;
    }
    d = domain_new(0);
    d->intf = page;
    d->remote_port = remote;
    d->port = (uint32_t)local;
    d->introduced = true;
    domain_connect(d);
    return 0;
}

bool domain_event(uint32_t port)
{
    struct domain *d;
    bool more = false;

    if (port == xen_virq_port()) {
        domain_check_dead();
        return false;
    }
    for (d = domains; d; d = d->next) {
        if (d->conn && d->port == port) {
            conn_flush(d->conn);
            more |= conn_input(d->conn);
            conn_flush(d->conn);
        }
    }
    return more;
}

/*
 * Introduced domains that shut down or went, and (as Xen keeps a struct domain for every
 * owner of a node) owners never introduced that went: their nodes go with them.
 */
void domain_check_dead(void)
{
    uint32_t ids[512];
    uint8_t state[512];
    bool notify = false;
    int n = 0, nintro;

    if (!xs_xen)
        return;
    for (struct domain *d = domains; d && n < 256; d = d->next)
        if (d->domid != 0)
            ids[n++] = d->domid;
    nintro = n;
    n += tree_owners(ids + n, 256);
    for (int i = nintro; i < n; i++)
        if (domain_find(ids[i]))
            ids[i--] = ids[--n];
    if (!n || xs_xen->domain_states(ids, n, state) < 0)
        return;
    for (int i = 0; i < n; i++) {
        struct domain *d = domain_find(ids[i]);

        if (!d) {
            if (state[i] == DOM_GONE)
                tree_domain_gone(ids[i], xs_keep_orphans);
        } else if (state[i] == DOM_SHUTDOWN && !d->shutdown) {
            d->shutdown = true;
            notify = true;
        } else if (state[i] == DOM_GONE) {
            XS_LOG("domain %u is gone: released", d->domid);
            domain_destroy(d);
            tree_domain_gone(ids[i], xs_keep_orphans);
            notify = true;
        }
    }
    if (notify)
        watch_fire(&(struct fire){ .path = "@releaseDomain" });
}

void domain_fini(void)
{
    while (domains)
        domain_destroy(domains);
}
