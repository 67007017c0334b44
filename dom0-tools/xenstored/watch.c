/*
 * Watches: per connection (path, token) pairs. A change of a node fires the watches on it
 * and on its ancestors; a removal fires, for each removed child, only the watches on that
 * child exactly. Relative watches get relative paths; "@introduceDomain" and
 * "@releaseDomain" are special names whose node permissions decide who hears of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

/* Watch events queued to an unprivileged connection beyond this are dropped: a domain that
 * never reads its ring must not grow the daemon. */
#define EVENTS_QUEUED_MAX 1024

int watch_add(struct conn *conn, const char *path, const char *token, bool relative,
              struct watch **out)
{
    struct watch *w;

    for (w = conn->watches; w; w = w->next)
        if (!strcmp(w->node, path) && !strcmp(w->token, token))
            return EEXIST;
    /* Xen compares before counting the new one: a domain may hold quota + 1 watches. */
    if (!conn_is_priv(conn) && conn->nwatches > xs_quota.nb_watch_per_domain)
        return E2BIG;
    w = calloc(1, sizeof(*w));
    if (!w || !(w->node = strdup(path)) || !(w->token = strdup(token)))
        abort();
    w->relative = relative;
    w->next = conn->watches;
    conn->watches = w;
    conn->nwatches++;
    *out = w;
    return 0;
}

static void watch_free(struct watch *w)
{
    free(w->node);
    free(w->token);
    free(w);
}

int watch_del(struct conn *conn, const char *path, const char *token)
{
    for (struct watch **p = &conn->watches; *p; p = &(*p)->next) {
        if (!strcmp((*p)->node, path) && !strcmp((*p)->token, token)) {
            struct watch *w = *p;

            *p = w->next;
            watch_free(w);
            conn->nwatches--;
            return 0;
        }
    }
    return ENOENT;
}

void watch_del_all(struct conn *conn)
{
    while (conn->watches) {
        struct watch *w = conn->watches;

        conn->watches = w->next;
        watch_free(w);
    }
    conn->nwatches = 0;
}

void watch_event(struct conn *conn, const struct watch *w, const char *path)
{
    char buf[XENSTORE_PAYLOAD_MAX + 64];
    struct ctx c;
    size_t plen, tlen;
    int queued = 0;

    conn_fill_ctx(conn, &c);
    path = path_relative(&c, path, w->relative);
    plen = strlen(path) + 1;
    tlen = strlen(w->token) + 1;
    if (plen + tlen > XENSTORE_PAYLOAD_MAX)
        return;
    for (struct outmsg *m = conn->out; m; m = m->next)
        queued++;
    if (!c.priv && queued >= EVENTS_QUEUED_MAX) {
        XS_LOG("dropping a watch event for domain %u: %d messages unread", conn->domid, queued);
        return;
    }
    memcpy(buf, path, plen);
    memcpy(buf + plen, w->token, tlen);
    /* An event the peer has not read yet says it all again (Xen's send_event). */
    for (struct outmsg *m = conn->out; m && path[0] != '@'; m = m->next)
        if (!m->reply && m->len == sizeof(struct xsd_sockmsg) + plen + tlen &&
            !memcmp(m->data + sizeof(struct xsd_sockmsg), buf, plen + tlen))
            return;
    conn_send(conn, XS_WATCH_EVENT, 0, 0, buf, plen + tlen, false);
}

static bool readable(struct ctx *c, const struct perm *p, uint32_t n)
{
    return p && n && (perm_for(c, p, n) & PERM_READ);
}

static bool may_hear(struct conn *conn, const struct fire *f)
{
    char parent[XENSTORE_PAYLOAD_MAX + 64];
    struct node *n;
    struct ctx c;

    conn_fill_ctx(conn, &c);
    if (f->path[0] == '@') {
        n = db_find(tree_db(), f->path);
        return n && readable(&c, n->perms, n->nperms);
    }
    if (!f->p || readable(&c, f->p, f->n) || readable(&c, f->old, f->nold))
        return true;
    if (!strcmp(f->path, "/"))
        return false;
    path_parent(f->path, parent);
    n = db_find(tree_db(), parent);
    return n && readable(&c, n->perms, n->nperms);
}

void watch_fire(const struct fire *f)
{
    for (struct conn *conn = xs_conns; conn; conn = conn->next) {
        if (conn->dead || !conn->watches || !may_hear(conn, f))
            continue;
        for (struct watch *w = conn->watches; w; w = w->next) {
            bool hit = f->exact ? !strcmp(w->node, f->path) : path_is_child(f->path, w->node);

            if (hit)
                watch_event(conn, w, f->path);
        }
    }
}

void fire_change(struct ctx *c, const struct fire *f)
{
    if (c->t)
        txn_queue_fire(c->t, f);
    else
        watch_fire(f);
}
