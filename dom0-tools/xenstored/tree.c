/*
 * The node store: a flat hash of absolute paths to nodes (as Xen keeps its tdb), each node
 * naming its children, with per-domain entry and node-size quotas (perms.c checks). Every
 * operation goes through a ctx, so inside a transaction it reads and writes the
 * transaction's overlay (transaction.c) instead of the live store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

/* Xen's record header: generation (8), perm count, value and children lengths (4 each),
 * padded to 8; a node's size for the quota is this plus 8 per perm, value and children. */
#define NODE_HDR_SIZE 24

struct quota xs_quota = {
    .nb_entry_per_domain = 1000, .nb_watch_per_domain = 128, .max_entry_size = 2048,
    .max_transaction = 10, .nb_perms_per_node = 5, .trans_nodes = 1024,
    .max_path_len = XENSTORE_REL_PATH_MAX, .req_outstanding = 20,
    .memory_hard = 2 * 1024 * 1024 + 512 * 1024, .memory_soft = 2 * 1024 * 1024,
};

static struct db store;
static uint64_t store_gen;

static size_t hash_path(const char *s)
{
    size_t h = 1469598103934665603ull;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

struct node *db_find(struct db *db, const char *path)
{
    struct node *n;

    if (!db->nbuckets)
        return NULL;
    for (n = db->buckets[hash_path(path) % db->nbuckets]; n; n = n->hnext)
        if (!strcmp(n->path, path))
            return n;
    return NULL;
}

static void db_grow(struct db *db)
{
    size_t nb = db->nbuckets ? db->nbuckets * 4 : 64;
    struct node **b = calloc(nb, sizeof(*b));

    if (!b)
        abort();
    for (size_t i = 0; i < db->nbuckets; i++) {
        struct node *n = db->buckets[i], *next;

        for (; n; n = next) {
            next = n->hnext;
            n->hnext = b[hash_path(n->path) % nb];
            b[hash_path(n->path) % nb] = n;
        }
    }
    free(db->buckets);
    db->buckets = b;
    db->nbuckets = nb;
}

void db_insert(struct db *db, struct node *n)
{
    db_remove(db, n->path);
    if (db->count >= db->nbuckets * 2)
        db_grow(db);
    struct node **head = &db->buckets[hash_path(n->path) % db->nbuckets];

    n->hnext = *head;
    *head = n;
    db->count++;
}

void db_remove(struct db *db, const char *path)
{
    if (!db->nbuckets)
        return;
    for (struct node **p = &db->buckets[hash_path(path) % db->nbuckets]; *p; p = &(*p)->hnext) {
        if (!strcmp((*p)->path, path)) {
            struct node *n = *p;

            *p = n->hnext;
            node_free(n);
            db->count--;
            return;
        }
    }
}

void db_free(struct db *db)
{
    for (size_t i = 0; i < db->nbuckets; i++) {
        struct node *n = db->buckets[i], *next;

        for (; n; n = next) {
            next = n->hnext;
            node_free(n);
        }
    }
    free(db->buckets);
    while (db->acct) {
        struct acct *a = db->acct;

        db->acct = a->next;
        free(a);
    }
    memset(db, 0, sizeof(*db));
}

void acct_add(struct acct **list, uint32_t domid, int delta)
{
    struct acct *a;

    for (a = *list; a; a = a->next)
        if (a->domid == domid)
            break;
    if (!a) {
        a = calloc(1, sizeof(*a));
        if (!a)
            abort();
        a->domid = domid;
        a->next = *list;
        *list = a;
    }
    a->entries += delta;
}

int acct_get(struct acct *list, uint32_t domid)
{
    for (; list; list = list->next)
        if (list->domid == domid)
            return list->entries;
    return 0;
}

void node_free(struct node *n)
{
    if (!n)
        return;
    free(n->path);
    free(n->value);
    free(n->children);
    free(n->perms);
    free(n);
}

static void *dup_mem(const void *p, size_t len)
{
    void *q = malloc(len ? len : 1);

    if (!q)
        abort();
    if (len)
        memcpy(q, p, len);
    return q;
}

struct node *node_dup(const struct node *n)
{
    struct node *c = calloc(1, sizeof(*c));

    if (!c)
        abort();
    *c = *n;
    c->hnext = NULL;
    c->path = dup_mem(n->path, strlen(n->path) + 1);
    c->value = dup_mem(n->value, n->vlen);
    c->children = dup_mem(n->children, n->clen);
    c->perms = dup_mem(n->perms, n->nperms * sizeof(*n->perms));
    return c;
}

static struct node *node_make(const char *path, const struct perm *p, uint32_t np)
{
    struct node *n = calloc(1, sizeof(*n));

    if (!n)
        abort();
    n->path = dup_mem(path, strlen(path) + 1);
    n->value = dup_mem("", 0);
    n->children = dup_mem("", 0);
    n->perms = dup_mem(p, np * sizeof(*p));
    n->nperms = np;
    return n;
}

void tree_init(void)
{
    store_gen = 0;
}

void tree_fini(void)
{
    db_free(&store);
}

uint64_t tree_next_gen(void)
{
    return ++store_gen;
}

size_t tree_count(void)
{
    return store.count;
}

int tree_entries(uint32_t domid)
{
    return acct_get(store.acct, domid);
}

struct db *tree_db(void)
{
    return &store;
}

void tree_apply(struct node *n)
{
    struct node *g = db_find(&store, n->path);

    if (g)
        acct_add(&store.acct, g->perms[0].id, -1);
    if (n->deleted) {
        db_remove(&store, n->path);
        node_free(n);
        return;
    }
    acct_add(&store.acct, n->perms[0].id, 1);
    n->gen = tree_next_gen();
    db_insert(&store, n);
}

/* --- views: the live store or a transaction's --------------------------------------- */

static struct node *view_get(struct ctx *c, const char *path)
{
    return c->t ? txn_lookup(c->t, path) : db_find(&store, path);
}

/* Stores n (taken over, also on failure) as the new version of its path. */
static int view_put(struct ctx *c, struct node *n)
{
    struct node *old = view_get(c, n->path);
    bool had = old != NULL;
    uint32_t old_owner = had ? old->perms[0].id : 0;
    struct acct **acct = c->t ? &c->t->changes.acct : &store.acct;
    int rc;

    if (c->t) {
        rc = txn_store(c->t, n);
        if (rc) {
            node_free(n);
            return rc;
        }
    }
    if (had)
        acct_add(acct, old_owner, -1);
    if (!n->deleted)
        acct_add(acct, n->perms[0].id, 1);
    if (c->t)
        return 0;
    if (n->deleted) {
        db_remove(&store, n->path);
        node_free(n);
    } else {
        n->gen = tree_next_gen();
        db_insert(&store, n);
    }
    return 0;
}

static bool node_too_big(struct ctx *c, const struct node *n)
{
    size_t size = NODE_HDR_SIZE + n->nperms * 8 + n->vlen + n->clen;

    /* Xen refuses a record of exactly the quota too (write_node_raw: dsize >= quota), and
     * a transaction that met it cannot commit (fail_transaction). */
    bool big = !c->priv && size >= (size_t)xs_quota.max_entry_size;

    if (big && c->t)
        c->t->failed = true;
    return big;
}

/* ENOENT for a missing node, or EACCES when its nearest existing ancestor denies `need`:
 * a domain must not learn what exists where it cannot look. */
static int missing_errno(struct ctx *c, const char *path, unsigned int need)
{
    char parent[XENSTORE_PAYLOAD_MAX + 64];
    struct node *n = NULL;

    if (path[0] != '/')
        return ENOENT;
    strcpy(parent, path);
    while (!n && strcmp(parent, "/")) {
        path_parent(parent, parent);
        n = view_get(c, parent);
    }
    if (!n)
        return ENOENT;
    /* Any of the rights asked for will do, as Xen's errno_from_parents() tests. */
    return perm_for(c, n->perms, n->nperms) & need ? ENOENT : EACCES;
}

static void changed(struct ctx *c, const char *path, bool exact, const struct node *n,
                    const struct node *old)
{
    struct fire f = { .path = path, .exact = exact, .p = n->perms, .n = n->nperms };

    if (old) {
        f.old = old->perms;
        f.nold = old->nperms;
    }
    fire_change(c, &f);
}

int tree_get(struct ctx *c, const char *path, unsigned int need, struct node **out)
{
    struct node *n = view_get(c, path);

    if (!n)
        return missing_errno(c, path, need);
    if ((perm_for(c, n->perms, n->nperms) & need) != need)
        return EACCES;
    *out = n;
    return 0;
}

static int add_child(struct ctx *c, const char *parent_path, const char *name)
{
    struct node *p = node_dup(view_get(c, parent_path));
    size_t len = strlen(name) + 1;

    p->children = realloc(p->children, p->clen + len);
    if (!p->children)
        abort();
    memcpy(p->children + p->clen, name, len);
    p->clen += (uint32_t)len;
    if (node_too_big(c, p)) {
        node_free(p);
        return ENOSPC;
    }
    return view_put(c, p);
}

/* Creates path under its existing parent; the node inherits the parent's permissions,
 * but a domain owns what it creates. */
static int create_one(struct ctx *c, const char *path, const char *val, uint32_t len)
{
    const char *slash = strrchr(path, '/');
    char *parent = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    struct node *p, *n;
    int rc = ENOSPC;

    if (!parent)
        abort();
    p = view_get(c, parent);
    /* As Xen's create_node(): the live count, even in a transaction, whose commit checks
     * its own additions (txn_end). */
    if (!c->priv && tree_entries(c->domid) >= xs_quota.nb_entry_per_domain)
        goto out;
    if (c->t)
        c->t->created = true;
    n = node_make(path, p->perms, p->nperms);
    if (!c->priv)
        n->perms[0].id = c->domid;
    free(n->value);
    n->value = dup_mem(val, len);
    n->vlen = len;
    rc = node_too_big(c, n) ? ENOSPC : add_child(c, parent, slash + 1);
    if (rc)
        node_free(n);
    else
        rc = view_put(c, n);
out:
    free(parent);
    return rc;
}

/* Creates path and its missing ancestors, top down from the nearest existing one (found
 * walking up, so a transaction reads no more than Xen's does). Iterative: a path may be
 * two thousand levels deep. Permission was checked on that ancestor. */
static int create_node(struct ctx *c, const char *path, const char *val, uint32_t len)
{
    char *buf = strdup(path);
    size_t have;
    int rc = 0;

    if (!buf)
        abort();
    do {
        char *slash = strrchr(buf, '/');

        *(slash == buf ? slash + 1 : slash) = '\0';
    } while (strcmp(buf, "/") && !view_get(c, buf));
    for (have = strlen(buf); !rc;) {
        const char *next = strchr(path + have + 1, '/');

        if (!next)
            break;
        have = (size_t)(next - path);
        memcpy(buf, path, have);
        buf[have] = '\0';
        rc = create_one(c, buf, "", 0);
    }
    free(buf);
    return rc ? rc : create_one(c, path, val, len);
}

int tree_write(struct ctx *c, const char *path, const char *val, uint32_t len)
{
    struct node *n = view_get(c, path);
    int rc;

    if (n) {
        if (!(perm_for(c, n->perms, n->nperms) & PERM_WRITE))
            return EACCES;
        n = node_dup(n);
        free(n->value);
        n->value = dup_mem(val, len);
        n->vlen = len;
        if (node_too_big(c, n)) {
            node_free(n);
            return ENOSPC;
        }
        rc = view_put(c, n);
    } else {
        rc = missing_errno(c, path, PERM_WRITE);
        if (rc == ENOENT)
            rc = create_node(c, path, val, len);
    }
    if (!rc)
        changed(c, path, false, view_get(c, path), NULL);
    return rc;
}

int tree_mkdir(struct ctx *c, const char *path)
{
    struct node *n;
    int rc = tree_get(c, path, PERM_WRITE, &n);

    if (rc != ENOENT)
        return rc;
    rc = create_node(c, path, "", 0);
    if (!rc)
        changed(c, path, false, view_get(c, path), NULL);
    return rc;
}

/* Deletes n's subtree depth first; watches on each removed child fire exactly. */
static int delete_subtree(struct ctx *c, const char *path, bool top)
{
    struct node *n = node_dup(view_get(c, path));
    int rc = 0;

    /* The child's name lives on the heap: the recursion is as deep as the tree. */
    for (uint32_t off = 0; off < n->clen && !rc; off += (uint32_t)strlen(n->children + off) + 1) {
        char *child;

        if (asprintf(&child, "%s/%s", path, n->children + off) < 0)
            abort();
        if (view_get(c, child))
            rc = delete_subtree(c, child, false);
        free(child);
    }
    if (!rc) {
        changed(c, path, !top, n, NULL);
        struct node *tomb = node_dup(n);

        tomb->deleted = true;
        rc = view_put(c, tomb);
    }
    node_free(n);
    return rc;
}

static int remove_child(struct ctx *c, const char *parent_path, const char *name)
{
    struct node *p = node_dup(view_get(c, parent_path));
    uint32_t off = 0;

    while (off < p->clen) {
        uint32_t len = (uint32_t)strlen(p->children + off) + 1;

        if (!strcmp(p->children + off, name)) {
            memmove(p->children + off, p->children + off + len, p->clen - off - len);
            p->clen -= len;
            break;
        }
        off += len;
    }
    return view_put(c, p);
}

int tree_rm(struct ctx *c, const char *path)
{
    char parent[XENSTORE_PAYLOAD_MAX + 64];
    struct node *n;
    int rc;

    if (path[0] != '/')
        return EINVAL;
    rc = tree_get(c, path, PERM_WRITE, &n);
    if (rc == ENOENT) {
        /* Removing what is already gone is fine if its parent exists. */
        path_parent(path, parent);
        return strcmp(path, "/") && view_get(c, parent) ? 0 : ENOENT;
    }
    if (rc)
        return rc;
    if (!strcmp(path, "/"))
        return EINVAL;
    path_parent(path, parent);
    rc = remove_child(c, parent, strrchr(path, '/') + 1);
    return rc ? rc : delete_subtree(c, path, true);
}

int tree_set_perms(struct ctx *c, const char *path, struct perm *p, uint32_t np)
{
    struct ctx live = *c;
    struct perm *old;
    uint32_t nold;
    struct node *n;
    int rc;

    if (!c->priv && np > (uint32_t)xs_quota.nb_perms_per_node)
        return ENOSPC;
    /* Of the special names Xen knows only its two; they live outside transactions. */
    if (path[0] == '@') {
        if (!db_find(&store, path))
            return EINVAL;
        live.t = NULL;
        c = &live;
    }
    rc = tree_get(c, path, PERM_WRITE | PERM_OWNER, &n);
    if (rc)
        return rc;
    if (!c->priv && p[0].id != n->perms[0].id)
        return EPERM;
    n = node_dup(n);
    old = n->perms;
    nold = n->nperms;
    n->perms = dup_mem(p, np * sizeof(*p));
    n->nperms = np;
    if (node_too_big(c, n)) {
        free(old);
        node_free(n);
        return ENOSPC;
    }
    rc = view_put(c, n);
    /* Xen keeps the special nodes' permissions apart and fires nothing for them. */
    if (!rc && path[0] == '/')
        changed(c, path, false, view_get(c, path), &(struct node){ .perms = old,
                                                                    .nperms = nold });
    free(old);
    return rc;
}

/* The nodes Xen's xenstored starts with, all owned by Dom0 and closed to others. */
void tree_seed(void)
{
    static const char *const paths[] = {
        "/", "/tool", "/tool/xenstored", "@releaseDomain", "@introduceDomain",
    };
    struct perm p = { 0, 0 };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct node *n = node_make(paths[i], &p, 1);

        if (i < 2) {
            const char *child = i == 0 ? "tool" : "xenstored";

            free(n->children);
            n->children = dup_mem(child, strlen(child) + 1);
            n->clen = (uint32_t)strlen(child) + 1;
        }
        n->gen = tree_next_gen();
        db_insert(&store, n);
        acct_add(&store.acct, 0, 1);
    }
}

int tree_owners(uint32_t *ids, int max)
{
    int n = 0;

    for (struct acct *a = store.acct; a && n < max; a = a->next)
        if (a->domid != 0 && a->entries > 0)
            ids[n++] = a->domid;
    return n;
}

/* ACL entries naming domid stop counting; the special names drop them (Xen's
 * remove_domid_from_perm) and pass their ownership to Dom0. */
static void forget_in_perms(struct node *n, uint32_t domid)
{
    uint32_t keep = 1;

    for (uint32_t i = 1; i < n->nperms; i++) {
        if (n->perms[i].id != domid)
            n->perms[keep++] = n->perms[i];
        else if (n->path[0] == '/')
            n->perms[keep++] = (struct perm){ domid, n->perms[i].perms | PERM_IGNORE };
    }
    n->nperms = keep;
    if (n->path[0] == '@' && n->perms[0].id == domid) {
        n->perms[0].id = 0;
        acct_add(&store.acct, domid, -1);
        acct_add(&store.acct, 0, 1);
    }
}

static void forget_in_db(struct db *db, uint32_t domid, char **owned, size_t *nowned)
{
    for (size_t i = 0; i < db->nbuckets; i++) {
        for (struct node *n = db->buckets[i]; n; n = n->hnext) {
            if (n->deleted || !n->nperms)
                continue;
            forget_in_perms(n, domid);
            if (owned && n->perms[0].id == domid && strcmp(n->path, "/"))
                owned[(*nowned)++] = n->path;
        }
    }
}

static int shorter_first(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

    return la < lb ? -1 : la > lb;
}

void tree_domain_gone(uint32_t domid, bool keep_orphans)
{
    struct ctx daemon = { .priv = true, .target = DOMID_INVALID };
    char **owned = calloc(store.count + 1, sizeof(*owned));
    size_t nowned = 0;

    if (!owned)
        abort();
    forget_in_db(&store, domid, owned, &nowned);
    for (struct conn *conn = xs_conns; conn; conn = conn->next)
        for (struct txn *t = conn->txns; t; t = t->next)
            forget_in_db(&t->changes, domid, NULL, NULL);
    /* Parents first: a subtree goes with its top, as Xen's walk from "/" removes it. */
    qsort(owned, nowned, sizeof(*owned), shorter_first);
    for (size_t i = 0; i < nowned; i++)
        owned[i] = strdup(owned[i]);
    for (size_t i = 0; i < nowned; i++) {
        struct node *n = owned[i] ? db_find(&store, owned[i]) : NULL;

        if (n && keep_orphans) {
            n->perms[0].id = 0;
            acct_add(&store.acct, domid, -1);
            acct_add(&store.acct, 0, 1);
        } else if (n && tree_rm(&daemon, owned[i])) {
            XS_LOG("cannot remove %s of domain %u", owned[i], domid);
        }
        free(owned[i]);
    }
    free(owned);
}
