/*
 * xenstored's internal interfaces: the node store (tree.c), transactions (transaction.c),
 * watches (watch.c), connections and framing (conn.c), request handlers (request.c),
 * domains and rings (domain.c) and the Xen device shim (xen.c). Semantics follow Xen
 * 4.17's tools/xenstore; errors inside the daemon are positive errno values, as the wire
 * carries their names ("ENOENT").
 */
#ifndef KUMO_XENSTORED_H
#define KUMO_XENSTORED_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

/* Xen 4.17's default quotas (xenstored_core.c); CONTROL "quota" lists and changes them. */
struct quota {
    int nb_entry_per_domain;  /* 1000 */
    int nb_watch_per_domain;  /* 128 */
    int max_entry_size;       /* 2048: header + perms + value + children */
    int max_transaction;      /* 10 */
    int nb_perms_per_node;    /* 5 */
    int trans_nodes;          /* 1024 */
    int max_path_len;         /* XENSTORE_REL_PATH_MAX */
    int req_outstanding;      /* 20 */
    int memory_hard, memory_soft;  /* 2.5 MiB, 2 MiB: settable, not enforced (no memory
                                    * accounting yet) */
};
extern struct quota xs_quota;

#define PERM_READ  1u
#define PERM_WRITE 2u
#define PERM_OWNER 4u
#define PERM_ALL   (PERM_READ | PERM_WRITE | PERM_OWNER)
/* An ACL entry for a domain that is gone (Xen's XS_PERM_IGNORE): still listed, never
 * matched, so a new domain given the same id inherits nothing. */
#define PERM_IGNORE 8u

struct perm {
    uint32_t id;
    uint32_t perms;           /* PERM_READ | PERM_WRITE, maybe PERM_IGNORE */
};

/* One node, keyed by its absolute path; children are NUL-terminated names back to back. */
struct node {
    char *path;
    uint64_t gen;             /* store generation of the last change; 0 = absent */
    char *value;
    uint32_t vlen;
    char *children;
    uint32_t clen;
    struct perm *perms;       /* perms[0]: owner and everyone else's default */
    uint32_t nperms;
    bool deleted;             /* a transaction's tombstone */
    struct node *hnext;
};

/* Entries owned per domain, as signed deltas so a transaction can hold its own. */
struct acct {
    uint32_t domid;
    int entries;
    struct acct *next;
};

/* A hash table of nodes: the store itself, or a transaction's changes or reads. */
struct db {
    struct node **buckets;
    size_t nbuckets;
    size_t count;
    struct acct *acct;
};

struct txn;
struct conn;
struct pend;

/* Who is asking and through which transaction (NULL: the live store). */
struct ctx {
    struct conn *conn;        /* may be NULL for the daemon's own changes */
    uint32_t domid;
    bool priv;                /* Dom0 and the socket: every permission */
    uint32_t target;          /* SET_TARGET's domain, or DOMID_INVALID */
    struct txn *t;
};

/* tree.c: the store (one global instance) ------------------------------------------- */
void tree_init(void);
void tree_fini(void);
uint64_t tree_next_gen(void);
size_t tree_count(void);
int tree_entries(uint32_t domid);

struct node *db_find(struct db *db, const char *path);
void db_insert(struct db *db, struct node *n);       /* replaces a node of the same path */
void db_remove(struct db *db, const char *path);
void db_free(struct db *db);
void acct_add(struct acct **list, uint32_t domid, int delta);
int acct_get(struct acct *list, uint32_t domid);
void node_free(struct node *n);
struct node *node_dup(const struct node *n);

/* Absolute path for `name` as seen by ctx (relative names live under /local/domain/<id>);
 * writes into buf (XENSTORE_ABS_PATH_MAX + 32). Returns 0 or EINVAL. */
int path_canon(const struct ctx *c, const char *name, char *buf, size_t size, bool special_ok);
const char *path_relative(const struct ctx *c, const char *abs, bool relative);
bool path_is_child(const char *child, const char *parent);   /* child == parent counts */
void path_parent(const char *path, char *buf);     /* of an absolute path other than "/" */
unsigned int perm_for(const struct ctx *c, const struct perm *p, uint32_t n);
int perms_parse(const char *buf, size_t len, struct perm **out, uint32_t *n);
size_t perms_format(const struct perm *p, uint32_t n, char *buf, size_t size);

/* Node operations through ctx (its transaction if any). A returned node belongs to the
 * store: copy what must outlive the next change. All return 0 or a positive errno. */
int tree_get(struct ctx *c, const char *path, unsigned int need, struct node **out);
int tree_write(struct ctx *c, const char *path, const char *val, uint32_t len);
int tree_mkdir(struct ctx *c, const char *path);
int tree_rm(struct ctx *c, const char *path);
int tree_set_perms(struct ctx *c, const char *path, struct perm *p, uint32_t n);
void tree_seed(void);
/* Domain domid is gone (Xen's domain_tree_remove): the nodes it owns are removed with their
 * subtrees, firing watches (or pass to Dom0 when keep_orphans), ACL entries naming it are
 * ignored from now on, and the special names forget it. */
void tree_domain_gone(uint32_t domid, bool keep_orphans);
/* Up to max domains other than Dom0 owning nodes; returns how many. */
int tree_owners(uint32_t *ids, int max);
struct db *tree_db(void);
void tree_apply(struct node *n);    /* a committed change, taken over */

/* transaction.c ---------------------------------------------------------------------- */
struct txn {
    uint32_t id;
    bool priv;                /* quotas do not apply */
    bool failed;              /* a quota cut it short: the commit fails (ENOMEM, as Xen) */
    bool quota_hit;           /* the current request met the accessed-nodes quota */
    bool created;             /* it created a node: the commit checks the entry quota */
    struct db changes;        /* new versions and tombstones */
    struct db reads;          /* path -> generation seen (0: absent) */
    struct event_rec *events, **events_tail;  /* watch firings held until commit */
    struct txn *next;
};
struct node *txn_lookup(struct txn *t, const char *path);    /* records the read */
int txn_store(struct txn *t, struct node *n);                /* ENOSPC past trans_nodes */
struct fire;
void txn_queue_fire(struct txn *t, const struct fire *f);
int txn_start(struct conn *conn, uint32_t *id);
int txn_end(struct conn *conn, uint32_t id, bool commit);
struct txn *txn_find(struct conn *conn, uint32_t id);
void txn_abort_all(struct conn *conn);

/* watch.c ---------------------------------------------------------------------------- */
struct watch {
    char *node;               /* absolute path, or "@..." */
    char *token;
    bool relative;
    struct watch *next;
};
int watch_add(struct conn *conn, const char *path, const char *token, bool relative,
              struct watch **out);
int watch_del(struct conn *conn, const char *path, const char *token);
void watch_del_all(struct conn *conn);
void watch_event(struct conn *conn, const struct watch *w, const char *path);
/* A change of `path`: exact fires only watches on it, else watches on it and its ancestors.
 * Who may hear of it (Xen's watch_permitted): readers under the node's permissions p, under
 * its old ones (a SET_PERMS taking access away is news too), or of its parent. */
struct fire {
    const char *path;
    bool exact;
    const struct perm *p, *old;
    uint32_t n, nold;
};
void watch_fire(const struct fire *f);
/* During a transaction the firing waits for the commit. */
void fire_change(struct ctx *c, const struct fire *f);

/* conn.c ----------------------------------------------------------------------------- */
struct outmsg {
    struct outmsg *next;
    size_t len, done;
    bool reply;               /* counts against the outstanding-requests quota */
    uint64_t expires;         /* a domain's watch event: dropped unsent after (ms) */
    struct pend *pend;        /* the unprivileged request that caused this event */
    char data[];
};
/* Xen's -w watch-event=<seconds> (20 s; 0: never): how long a watch event waits for an
 * unprivileged peer to take it. xs_now() is the clock it is measured by (ms). */
extern unsigned int xs_watch_event_timeout_ms;
extern uint64_t (*xs_now)(void);

/* How bytes reach a peer: a socket fd or a shared ring. */
struct conn_ops {
    /* Read up to len bytes: >0 got, 0 nothing now, <0 dead. */
    long (*read)(struct conn *conn, void *buf, size_t len);
    long (*write)(struct conn *conn, const void *buf, size_t len);
    void (*kick)(struct conn *conn);
};

struct conn {
    struct conn *next;
    const struct conn_ops *ops;
    int fd;
    struct domain *dom;       /* ring connections; NULL for sockets */
    uint32_t domid;
    bool dead;
    struct xsd_sockmsg hdr;
    size_t hdr_got;
    char *in;
    size_t in_got;
    struct outmsg *out, *out_tail;
    uint64_t out_expires;     /* the earliest outmsg.expires queued, or 0 */
    int out_replies;
    struct watch *watches;
    int nwatches;
    struct txn *txns;
    int ntxns;
    uint32_t next_txid;
};
extern struct conn *xs_conns;

struct conn *conn_new(const struct conn_ops *ops, int fd, uint32_t domid);
void conn_free(struct conn *conn);
void conn_reap(void);                                  /* frees connections marked dead */
/* Cuts a ring connection from its domain; conn_reap() frees it later, so a request handler
 * may drop any connection while the caller is still walking the list. */
void conn_orphan(struct conn *conn);
/*
 * Reads and answers conn's requests, at most XS_REQUESTS_PER_TURN of them, then kicks a
 * ring peer if anything was read; true when it stopped with more waiting (serve again
 * without sleeping).
 */
#define XS_REQUESTS_PER_TURN 16
bool conn_input(struct conn *conn);
void conn_flush(struct conn *conn);
bool conn_wants_write(const struct conn *conn);
bool conn_can_read(const struct conn *conn);
/* Handle one request already framed (also the fuzzer's entry). */
void conn_process(struct conn *conn, const struct xsd_sockmsg *hdr, const char *body);
void conn_send(struct conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
               const void *body, size_t len, bool reply);
void conn_fill_ctx(struct conn *conn, struct ctx *c);
bool conn_is_priv(const struct conn *conn);

/* request.c -------------------------------------------------------------------------- */
struct req {
    struct conn *conn;
    const struct xsd_sockmsg *hdr;
    const char *body;
    struct ctx ctx;
};
/* Handles one request and queues its answer (an ack, data, or an error name). */
void request_dispatch(struct conn *conn, const struct xsd_sockmsg *hdr, const char *body);
const char *errno_name(int err);
void reply(struct req *r, const void *body, size_t len);
void reply_str(struct req *r, const char *s);     /* with its NUL */
void reply_error(struct req *r, int err);
void control_dispatch(struct req *r, char **argv, int argc);
int quota_set_option(const char *arg);     /* "name=value" (-Q); 0 or -EINVAL */
int quota_soft_option(const char *arg);    /* "memory=value" (-q); 0 or -EINVAL */

/* domain.c --------------------------------------------------------------------------- */
struct domain {
    uint32_t domid;
    uint64_t mfn;
    uint32_t remote_port, port;
    bool introduced, shutdown;
    uint32_t target;
    struct xenstore_domain_interface *intf;
    struct conn *conn;
    struct domain *next;
};
struct domain *domain_find(uint32_t domid);
/* Whether Xen has the domain (introduced ones and Dom0 do; without Xen, all do). */
bool domain_exists(uint32_t domid);
extern bool xs_keep_orphans;      /* --keep-orphans */
int domain_introduce(uint32_t domid, uint64_t mfn, uint32_t port);
int domain_release(uint32_t domid);
int domain_resume(uint32_t domid);
int domain_set_target(uint32_t domid, uint32_t target);
int dom0_ring_init(void);
/* A kick on a ring's port (one turn of it; true when more waits), or VIRQ_DOM_EXC. */
bool domain_event(uint32_t port);
void domain_check_dead(void);
void domain_fini(void);

/* xen.c: the only door to Xen's devices (a private shim until libs/plat exists) ------ */
enum { DOM_RUNNING, DOM_SHUTDOWN, DOM_GONE };
struct xen_ops {
    int (*evtchn_bind_interdomain)(uint32_t domid, uint32_t remote_port);
    int (*evtchn_bind_virq)(uint32_t virq);
    void (*evtchn_unbind)(uint32_t port);
    void (*evtchn_notify)(uint32_t port);
    /* Map one page of a domain's memory at gfn: NULL on failure. */
    void *(*map_foreign)(uint32_t domid, uint64_t gfn);
    void (*unmap)(void *page);
    /* state[i] for domids[i]: DOM_RUNNING, DOM_SHUTDOWN (shut down or crashed) or DOM_GONE
     * (dying or no longer there). Returns 0 or -errno. */
    int (*domain_states)(const uint32_t *domids, int n, uint8_t *state);
};
extern const struct xen_ops *xs_xen;
extern const struct xen_ops xen_linux_ops;
int xen_open(void);           /* 0, or -errno when /dev/xen is missing */
int xen_evtchn_fd(void);      /* to poll; -1 when closed */
int xen_evtchn_pending(uint32_t *port);  /* 1 and a port, 0 none, <0 error */
void *xen_map_dom0_ring(uint32_t *port); /* /proc/xen/xsd_kva + xsd_port */
uint32_t xen_virq_port(void);

#define XS_LOG(...) xs_log(__VA_ARGS__)
void xs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool xs_verbose, xs_silent;   /* every request / not even errors */

#endif
