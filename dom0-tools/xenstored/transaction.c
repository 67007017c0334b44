/*
 * Transactions, as Xen 4.17 does them: a transaction sees the live store through an
 * overlay of its own changes, and remembers the generation of every node it looked at.
 * The commit fails with EAGAIN if any of those nodes changed since (or appeared, or went);
 * otherwise its changes land in the store and the watches it held back fire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

/* Reads a transaction may remember before its commit is refused (a domain could otherwise
 * grow the daemon without bound by reading paths that do not exist). */
#define TXN_MAX_READS 65536

struct event_rec {
    struct event_rec *next;
    struct fire f;            /* path and perms are this record's copies */
};

struct node *txn_lookup(struct txn *t, const char *path)
{
    struct node *n = db_find(&t->changes, path);
    struct node *live;

    if (n)
        return n->deleted ? NULL : n;
    live = db_find(tree_db(), path);
    if (!db_find(&t->reads, path)) {
        /* Xen counts every node a transaction touches (a write reads first) against
         * transaction-nodes: the request that goes beyond gets ENOSPC, and the
         * transaction fails. */
        if (t->reads.count >= (t->priv ? TXN_MAX_READS : (size_t)xs_quota.trans_nodes)) {
            t->failed = true;
            t->quota_hit = true;
            return live;
        }
        struct node *r = calloc(1, sizeof(*r));

        if (!r || !(r->path = strdup(path)))
            abort();
        r->gen = live ? live->gen : 0;
        db_insert(&t->reads, r);
    }
    return live;
}

int txn_store(struct txn *t, struct node *n)
{
    if (!t->priv && !db_find(&t->changes, n->path) &&
        t->changes.count >= (size_t)xs_quota.trans_nodes)
        return ENOSPC;
    db_insert(&t->changes, n);
    return 0;
}

static struct perm *perms_copy(const struct perm *p, uint32_t n)
{
    struct perm *c;

    if (!p || !n)
        return NULL;
    c = malloc(n * sizeof(*p));
    if (!c)
        abort();
    return memcpy(c, p, n * sizeof(*p));
}

/* A node fires once per commit, as Xen queues one event per accessed node: a change of
 * the node and its ancestors' watchers wins over a change of the node alone. */
static bool txn_merge_fire(struct txn *t, const struct fire *f)
{
    for (struct event_rec *e = t->events; e; e = e->next) {
        if (strcmp(e->f.path, f->path))
            continue;
        e->f.exact = e->f.exact && f->exact;
        free((struct perm *)e->f.p);
        e->f.p = perms_copy(f->p, f->n);
        e->f.n = f->n;
        if (!e->f.old) {
            e->f.old = perms_copy(f->old, f->nold);
            e->f.nold = f->nold;
        }
        return true;
    }
    return false;
}

void txn_queue_fire(struct txn *t, const struct fire *f)
{
    struct event_rec *e;

    if (txn_merge_fire(t, f))
        return;
    e = calloc(1, sizeof(*e));
    if (!e)
        abort();
    e->f = *f;
    e->f.path = strdup(f->path);
    if (!e->f.path)
        abort();
    e->f.p = perms_copy(f->p, f->n);
    e->f.old = perms_copy(f->old, f->nold);
    *t->events_tail = e;
    t->events_tail = &e->next;
}
static void txn_free(struct txn *t)
{
    while (t->events) {
        struct event_rec *e = t->events;

        t->events = e->next;
        free((char *)e->f.path);
        free((struct perm *)e->f.p);
        free((struct perm *)e->f.old);
        free(e);
    }
    db_free(&t->changes);
    db_free(&t->reads);
    free(t);
}

struct txn *txn_find(struct conn *conn, uint32_t id)
{
    struct txn *t;

    for (t = conn->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

int txn_start(struct conn *conn, uint32_t *id)
{
    bool priv = conn_is_priv(conn);
    struct txn *t;

    /* Xen compares before counting the new one: quota + 1 may be open at once. */
    if (!priv && conn->ntxns > xs_quota.max_transaction)
        return ENOSPC;
    t = calloc(1, sizeof(*t));
    if (!t)
        abort();
    do {
        t->id = conn->next_txid++;
    } while (!t->id || txn_find(conn, t->id));
    t->priv = priv;
    t->events_tail = &t->events;
    t->next = conn->txns;
    conn->txns = t;
    conn->ntxns++;
    *id = t->id;
    return 0;
}

static bool txn_conflicts(struct txn *t)
{
    for (size_t i = 0; i < t->reads.nbuckets; i++) {
        for (struct node *r = t->reads.buckets[i]; r; r = r->hnext) {
            struct node *live = db_find(tree_db(), r->path);

            if ((live ? live->gen : 0) != r->gen)
                return true;
        }
    }
    return false;
}

/* Xen's transaction_fix_domains(): with its nodes a domain must stay below its quota (a
 * transaction cannot fill the last entry, as Xen counts it). */
static bool txn_over_quota(struct txn *t)
{
    if (t->priv || !t->created)
        return false;
    for (struct acct *a = t->changes.acct; a; a = a->next)
        if (a->domid != 0 && tree_entries(a->domid) + a->entries >= xs_quota.nb_entry_per_domain)
            return true;
    return false;
}

static void txn_apply(struct txn *t)
{
    for (size_t i = 0; i < t->changes.nbuckets; i++)
        for (struct node *n = t->changes.buckets[i]; n; n = n->hnext)
            tree_apply(node_dup(n));
    for (struct event_rec *e = t->events; e; e = e->next)
        watch_fire(&e->f);
}

int txn_end(struct conn *conn, uint32_t id, bool commit)
{
    struct txn **p, *t;
    int rc = 0;

    for (p = &conn->txns; *p && (*p)->id != id; p = &(*p)->next)
        ;
    if (!*p)
        return ENOENT;
    t = *p;
    *p = t->next;
    conn->ntxns--;
    if (commit) {
        if (t->failed)
            rc = ENOMEM;
        else if (txn_over_quota(t))
            rc = ENOSPC;
        else if (txn_conflicts(t))
            rc = EAGAIN;
        else
            txn_apply(t);
    }
    txn_free(t);
    return rc;
}

void txn_abort_all(struct conn *conn)
{
    while (conn->txns) {
        struct txn *t = conn->txns;

        conn->txns = t->next;
        txn_free(t);
    }
    conn->ntxns = 0;
}
