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
    if (!conn_is_priv(conn) && conn->nwatches >= quota.nb_watch_per_domain)
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
    conn_send(conn, XS_WATCH_EVENT, 0, 0, buf, plen + tlen, false);
}

static bool may_hear(struct conn *conn, const char *path, const struct perm *p, uint32_t n)
{
    struct ctx c;

    conn_fill_ctx(conn, &c);
    if (path[0] == '@') {
        struct node *special = db_find(store_db(), path);

        return special && (perm_for(&c, special->perms, special->nperms) & PERM_READ);
    }
    return !p || (perm_for(&c, p, n) & PERM_READ);
}

void watch_fire(const char *path, bool exact, const struct perm *p, uint32_t n)
{
    for (struct conn *conn = conns; conn; conn = conn->next) {
        if (conn->dead || !conn->watches || !may_hear(conn, path, p, n))
            continue;
        for (struct watch *w = conn->watches; w; w = w->next) {
            bool hit = exact ? !strcmp(w->node, path) : path_is_child(path, w->node);

            if (hit)
                watch_event(conn, w, path);
        }
    }
}

void fire_change(struct ctx *c, const char *path, bool exact, const struct node *n)
{
    const struct perm *p = n ? n->perms : NULL;
    uint32_t np = n ? n->nperms : 0;

    if (c->t)
        txn_queue_fire(c->t, path, exact, p, np);
    else
        watch_fire(path, exact, p, np);
}
