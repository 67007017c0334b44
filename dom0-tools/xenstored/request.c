/*
 * One handler per XS_* request, dispatched through a table indexed by the message type.
 * A handler parses its NUL-separated arguments, works through the tree, transaction,
 * watch or domain layer, and either queues its answer or returns a positive errno, which
 * goes back as XS_ERROR carrying the errno's name, as Xen's xenstored answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

#define PATH_BUF (XENSTORE_PAYLOAD_MAX + 64)

const char *errno_name(int err)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == err)
            return xsd_errors[i].errstring;
    return "EINVAL";            /* Xen's send_error() for an errno it cannot name */
}

/* A request that met its transaction's accessed-nodes quota fails with ENOSPC whatever it
 * would have said (Xen's read_node() propagates that errno). */
static bool quota_hit(struct req *r)
{
    if (!r->ctx.t || !r->ctx.t->quota_hit)
        return false;
    r->ctx.t->quota_hit = false;
    return true;
}

void reply(struct req *r, const void *body, size_t len)
{
    if (quota_hit(r)) {
        reply_error(r, ENOSPC);
        return;
    }
    conn_send(r->conn, r->hdr->type, r->hdr->req_id, r->hdr->tx_id, body, len, true);
}

void reply_str(struct req *r, const char *s)
{
    reply(r, s, strlen(s) + 1);
}

void reply_error(struct req *r, int err)
{
    const char *name = errno_name(quota_hit(r) ? ENOSPC : err);

    conn_send(r->conn, XS_ERROR, r->hdr->req_id, r->hdr->tx_id, name, strlen(name) + 1, true);
}

/* Fills argv with the first max NUL-terminated strings of the body and returns how many
 * there are in all, as Xen's get_strings does: WATCH wants exactly two, WRITE at least one
 * (its value may hold NULs). A trailing fragment without its NUL does not count. */
static int get_strings(struct req *r, const char **argv, int max)
{
    uint32_t off = 0;
    int n = 0;

    while (off < r->hdr->len) {
        const char *s = r->body + off;
        size_t len = strnlen(s, r->hdr->len - off);

        if (off + len >= r->hdr->len)
            break;
        if (n < max)
            argv[n] = s;
        n++;
        off += (uint32_t)len + 1;
    }
    return n;
}

/* The only argument: the whole body must be one NUL-terminated string. */
static const char *onearg(struct req *r)
{
    uint32_t len = r->hdr->len;

    if (!len || r->body[len - 1] != '\0' || strlen(r->body) + 1 != len)
        return NULL;
    return r->body;
}

static int parse_domid(const char *s, uint32_t *domid)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s < '0' || *s > '9')
        return EINVAL;
    v = strtoul(s, &end, 10);
    if (*end || v >= DOMID_FIRST_RESERVED)
        return EINVAL;
    *domid = (uint32_t)v;
    return 0;
}

static int canon_arg(struct req *r, const char *name, char *buf, bool special_ok)
{
    if (!name)
        return EINVAL;
    return path_canon(&r->ctx, name, buf, PATH_BUF, special_ok);
}

static int do_read(struct req *r)
{
    char path[PATH_BUF];
    struct node *n;
    int rc = canon_arg(r, onearg(r), path, false);

    if (!rc)
        rc = tree_get(&r->ctx, path, PERM_READ, &n);
    if (!rc)
        reply(r, n->value, n->vlen);
    return rc;
}

static int do_write(struct req *r)
{
    char path[PATH_BUF];
    const char *arg;
    int rc;

    if (get_strings(r, &arg, 1) < 1)
        return EINVAL;
    rc = canon_arg(r, arg, path, false);
    if (rc)
        return rc;
    size_t off = strlen(arg) + 1;

    rc = tree_write(&r->ctx, path, r->body + off, (uint32_t)(r->hdr->len - off));
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_mkdir(struct req *r)
{
    char path[PATH_BUF];
    int rc = canon_arg(r, onearg(r), path, false);

    if (!rc)
        rc = tree_mkdir(&r->ctx, path);
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_rm(struct req *r)
{
    char path[PATH_BUF];
    int rc = canon_arg(r, onearg(r), path, false);

    if (!rc)
        rc = tree_rm(&r->ctx, path);
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_directory(struct req *r)
{
    char path[PATH_BUF];
    struct node *n;
    int rc = canon_arg(r, onearg(r), path, false);

    if (!rc)
        rc = tree_get(&r->ctx, path, PERM_READ, &n);
    if (rc)
        return rc;
    if (n->clen > XENSTORE_PAYLOAD_MAX)
        return E2BIG;
    reply(r, n->children, n->clen);
    return 0;
}

/* Children from a byte offset: "<generation>\0" then as many whole names as fit, and an
 * extra "\0" once the list is complete, so a client can page through a big directory. */
static int do_directory_part(struct req *r)
{
    char path[PATH_BUF], buf[XENSTORE_PAYLOAD_MAX];
    const char *argv[2];
    struct node *n;
    unsigned long off;
    int rc;

    if (get_strings(r, argv, 2) != 2)
        return EINVAL;
    /* Xen reads the offset with atoi: no number is 0, a negative one is past the end. */
    off = (unsigned int)atoi(argv[1]);
    rc = canon_arg(r, argv[0], path, false);
    if (!rc)
        rc = tree_get(&r->ctx, path, PERM_READ, &n);
    if (rc)
        return rc;
    size_t used = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n->gen) + 1;

    while (off < n->clen) {
        size_t len = strlen(n->children + off) + 1;

        if (used + len + 1 > sizeof(buf))
            break;
        memcpy(buf + used, n->children + off, len);
        used += len;
        off += len;
    }
    if (off >= n->clen)
        buf[used++] = '\0';
    reply(r, buf, used);
    return 0;
}

static int do_get_perms(struct req *r)
{
    char path[PATH_BUF], buf[XENSTORE_PAYLOAD_MAX];
    struct node *n;
    size_t len;
    /* Xen keeps the special nodes' permissions out of the tree: GET_PERMS cannot see them. */
    int rc = canon_arg(r, onearg(r), path, false);

    if (!rc)
        rc = tree_get(&r->ctx, path, PERM_READ, &n);
    if (rc)
        return rc;
    len = perms_format(n->perms, n->nperms, buf, sizeof(buf));
    if (!len)
        return E2BIG;
    reply(r, buf, len);
    return 0;
}

static int do_set_perms(struct req *r)
{
    char path[PATH_BUF];
    const char *arg;
    struct perm *p;
    uint32_t np;
    int rc;

    if (get_strings(r, &arg, 1) < 2)
        return EINVAL;
    size_t off = strlen(arg) + 1;

    if (!r->ctx.priv && get_strings(r, &arg, 1) - 1 > xs_quota.nb_perms_per_node)
        return ENOSPC;
    rc = perms_parse(r->body + off, r->hdr->len - off, &p, &np);
    if (rc)
        return rc;
    /* Xen's domain_alloc_permrefs(): entries for domains Xen does not have are ignored,
     * and a node cannot be given to one. */
    for (uint32_t i = 0; i < np; i++)
        if (!domain_exists(p[i].id))
            p[i].perms |= PERM_IGNORE;
    rc = p[0].perms & PERM_IGNORE ? ENOENT : canon_arg(r, arg, path, true);
    if (!rc)
        rc = tree_set_perms(&r->ctx, path, p, np);
    free(p);
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_watch(struct req *r)
{
    char path[PATH_BUF];
    const char *argv[2];
    struct watch *w;
    int rc;

    if (get_strings(r, argv, 2) != 2)
        return EINVAL;
    rc = canon_arg(r, argv[0], path, true);
    if (!rc)
        rc = watch_add(r->conn, path, argv[1], argv[0][0] != '/' && argv[0][0] != '@', &w);
    if (rc)
        return rc;
    reply_str(r, "OK");
    /* The first event comes at once: a client need not read what it starts watching. */
    watch_event(r->conn, w, w->node);
    return 0;
}

static int do_unwatch(struct req *r)
{
    char path[PATH_BUF];
    const char *argv[2];
    int rc;

    if (get_strings(r, argv, 2) != 2)
        return EINVAL;
    /* No watch has a name that does not canonicalize: Xen answers ENOENT, not EINVAL. */
    rc = canon_arg(r, argv[0], path, true) ? ENOENT : watch_del(r->conn, path, argv[1]);
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_transaction_start(struct req *r)
{
    char buf[16];
    uint32_t id;
    int rc;

    if (r->hdr->tx_id)
        return EBUSY;
    rc = txn_start(r->conn, &id);
    if (rc)
        return rc;
    snprintf(buf, sizeof(buf), "%u", id);
    reply_str(r, buf);
    return 0;
}

static int do_transaction_end(struct req *r)
{
    const char *arg = onearg(r);
    int rc;

    if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
        return EINVAL;
    if (!r->ctx.t)
        return ENOENT;
    rc = txn_end(r->conn, r->hdr->tx_id, arg[0] == 'T');
    r->ctx.t = NULL;
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_introduce(struct req *r)
{
    const char *argv[3];
    unsigned long long mfn;
    unsigned long port;
    uint32_t domid;
    char *end;

    if (get_strings(r, argv, 3) < 3 || parse_domid(argv[0], &domid))
        return EINVAL;
    mfn = strtoull(argv[1], &end, 10);
    if (!*argv[1] || *end)
        return EINVAL;
    port = strtoul(argv[2], &end, 10);
    if (!*argv[2] || *end || port > UINT32_MAX)
        return EINVAL;
    int rc = domain_introduce(domid, mfn, (uint32_t)port);

    if (!rc)
        reply_str(r, "OK");
    return rc;
}

/* Xen reads these domids with atoi: what is no number is domain 0. */
static int do_domid_op(struct req *r)
{
    const char *arg = onearg(r);
    uint32_t domid;
    char buf[32];
    int rc;

    if (!arg)
        return EINVAL;
    domid = (uint32_t)atoi(arg);
    switch (r->hdr->type) {
    case XS_RELEASE:
        rc = domid ? domain_release(domid) : EINVAL;
        break;
    case XS_RESUME:
        rc = domid ? domain_resume(domid) : EINVAL;
        break;
    case XS_IS_DOMAIN_INTRODUCED: {
        struct domain *d = domain_find(domid);

        reply_str(r, domid == 0 || domid == DOMID_SELF || (d && d->introduced) ? "T" : "F");
        return 0;
    }
    default:
        snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
        reply_str(r, buf);
        return 0;
    }
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_set_target(struct req *r)
{
    const char *argv[2];
    uint32_t domid, target;
    int rc;

    if (get_strings(r, argv, 2) < 2 || parse_domid(argv[0], &domid) ||
        parse_domid(argv[1], &target))
        return EINVAL;
    rc = domain_set_target(domid, target);
    if (!rc)
        reply_str(r, "OK");
    return rc;
}

static int do_reset_watches(struct req *r)
{
    watch_del_all(r->conn);
    txn_abort_all(r->conn);
    r->ctx.t = NULL;            /* the request's own transaction, if any, is gone too */
    reply_str(r, "OK");
    return 0;
}

static int do_control(struct req *r)
{
    const char *argv[8];
    int argc = get_strings(r, argv, 8);

    if (argc > 8)
        argc = 8;
    if (!argc)
        return EINVAL;
    control_dispatch(r, (char **)argv, argc);
    return 0;
}

/* F_NOTID: the transaction id is ignored (Xen's XS_FLAG_NOTID); any other request with an
 * unknown one gets ENOENT. */
enum { F_NOTID = 1, F_PRIV = 2 };

static const struct {
    int (*fn)(struct req *r);
    unsigned int flags;
} handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL]              = { do_control, F_PRIV },
    [XS_DIRECTORY]            = { do_directory, 0 },
    [XS_READ]                 = { do_read, 0 },
    [XS_GET_PERMS]            = { do_get_perms, 0 },
    [XS_WATCH]                = { do_watch, F_NOTID },
    [XS_UNWATCH]              = { do_unwatch, F_NOTID },
    [XS_TRANSACTION_START]    = { do_transaction_start, 0 },
    [XS_TRANSACTION_END]      = { do_transaction_end, 0 },
    [XS_INTRODUCE]            = { do_introduce, F_PRIV },
    [XS_RELEASE]              = { do_domid_op, F_PRIV },
    [XS_GET_DOMAIN_PATH]      = { do_domid_op, 0 },
    [XS_WRITE]                = { do_write, 0 },
    [XS_MKDIR]                = { do_mkdir, 0 },
    [XS_RM]                   = { do_rm, 0 },
    [XS_SET_PERMS]            = { do_set_perms, 0 },
    [XS_IS_DOMAIN_INTRODUCED] = { do_domid_op, F_PRIV },
    [XS_RESUME]               = { do_domid_op, F_PRIV },
    [XS_SET_TARGET]           = { do_set_target, F_PRIV },
    [XS_RESET_WATCHES]        = { do_reset_watches, 0 },
    [XS_DIRECTORY_PART]       = { do_directory_part, 0 },
};

void request_dispatch(struct conn *conn, const struct xsd_sockmsg *hdr, const char *body)
{
    struct req r = { .conn = conn, .hdr = hdr, .body = body };
    int rc;

    conn_fill_ctx(conn, &r.ctx);
    if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn) {
        reply_error(&r, ENOSYS);
        return;
    }
    if ((handlers[hdr->type].flags & F_PRIV) && !r.ctx.priv) {
        reply_error(&r, EACCES);
        return;
    }
    if (!(handlers[hdr->type].flags & F_NOTID) && hdr->tx_id) {
        r.ctx.t = txn_find(conn, hdr->tx_id);
        if (!r.ctx.t) {
            reply_error(&r, ENOENT);
            return;
        }
    }
    rc = handlers[hdr->type].fn(&r);
    if (rc)
        reply_error(&r, rc);
}
