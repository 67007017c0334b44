/*
 * xenstored's tree, permissions, watches, transactions and quotas, driven through the real
 * request dispatch over a memory transport, from Dom0 and from unprivileged domains.
 */
#define HARNESS_NO_PRINTK
#include "harness.h"
#include "xs_requests.h"

static void drain_events(struct fake *f)
{
    struct answer a;

    while (pop_msg(f, &a))
        ;
    nevents = 0;
}

/* Dom0 prepares /local/domain/5 owned by domain 5, as a toolstack does. */
static void home_for(struct fake *dom0, const char *domid)
{
    char buf[96];
    int pl = snprintf(buf, sizeof(buf), "/local/domain/%s", domid) + 1;
    int n;

    req(dom0, XS_MKDIR, 0, buf, (size_t)pl);
    n = snprintf(buf + pl, sizeof(buf) - (size_t)pl, "n%s", domid);
    req(dom0, XS_SET_PERMS, 0, buf, (size_t)(pl + n + 1));
}

TEST(perms_owner_acl_and_default)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5), *d7 = fake_new(7);
    struct answer a;

    home_for(d0, "5");
    CHECK_EQ(wr(d5, 0, "data", "v").type, XS_WRITE);
    a = REQ(d5, XS_GET_PERMS, 0, "data");
    CHECK(a.type == XS_GET_PERMS && !memcmp(a.body, "n5", 3));   /* a domain owns its nodes */
    a = rd(d7, 0, "/local/domain/5/data");
    CHECK(ERR_IS(a, "EACCES"));
    /* What does not exist under an unreadable parent is EACCES too: no probing. */
    CHECK(ERR_IS(rd(d7, 0, "/local/domain/5/nope"), "EACCES"));
    CHECK(ERR_IS(rd(d5, 0, "nope"), "ENOENT"));
    CHECK(ERR_IS(wr(d7, 0, "/local/domain/5/intruder", "x"), "EACCES"));
    CHECK(ERR_IS(wr(d5, 0, "/local/domain/0/x", "x"), "EACCES"));
    CHECK(ERR_IS(wr(d5, 0, "/tool/x", "x"), "EACCES"));

    CHECK_EQ(REQ(d5, XS_SET_PERMS, 0, "data\0n5\0r7").type, XS_SET_PERMS);
    a = rd(d7, 0, "/local/domain/5/data");
    CHECK(a.type == XS_READ && !strcmp(a.body, "v"));
    CHECK(ERR_IS(wr(d7, 0, "/local/domain/5/data", "w"), "EACCES"));
    CHECK_EQ(REQ(d5, XS_SET_PERMS, 0, "data\0n5\0b7").type, XS_SET_PERMS);
    CHECK_EQ(wr(d7, 0, "/local/domain/5/data", "w").type, XS_WRITE);
    /* The ACL grants access, not ownership; only the owner (or Dom0) changes perms. */
    CHECK(ERR_IS(REQ(d7, XS_SET_PERMS, 0, "/local/domain/5/data\0n7"), "EACCES"));
    CHECK(ERR_IS(REQ(d5, XS_SET_PERMS, 0, "data\0n7"), "EPERM"));
    CHECK_EQ(REQ(d0, XS_SET_PERMS, 0, "/local/domain/5/data\0n7").type, XS_SET_PERMS);
    /* The first entry's letter is everyone else's default. */
    wr(d0, 0, "/pub", "p");
    REQ(d0, XS_SET_PERMS, 0, "/pub\0r0");
    CHECK(rd(d7, 0, "/pub").type == XS_READ);
    CHECK(ERR_IS(wr(d7, 0, "/pub", "x"), "EACCES"));
    /* Dom0-only requests. */
    CHECK(ERR_IS(REQ(d5, XS_INTRODUCE, 0, "9\0" "1\0" "2"), "EACCES"));
    CHECK(ERR_IS(REQ(d5, XS_CONTROL, 0, "log"), "EACCES"));
}

TEST(quota_entries_and_node_size)
{
    char path[64], big[2100];

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);
    int saved = xs_quota.nb_entry_per_domain, i;

    home_for(d0, "5");
    xs_quota.nb_entry_per_domain = 10;
    for (i = 0; i < 20; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        if (wr(d5, 0, path, "x").type != XS_WRITE)
            break;
    }
    CHECK_EQ(i, 9);                          /* its home, owned by it, is the tenth */
    CHECK(ERR_IS(wr(d5, 0, "more", "x"), "ENOSPC"));
    CHECK_EQ(tree_entries(5), 10);
    /* Removing gives the entries back; Dom0 has no xs_quota. */
    CHECK_EQ(REQ(d5, XS_RM, 0, "n0").type, XS_RM);
    CHECK_EQ(wr(d5, 0, "again", "x").type, XS_WRITE);
    for (i = 0; i < 20; i++) {
        snprintf(path, sizeof(path), "/dom0/n%d", i);
        CHECK_EQ(wr(d0, 0, path, "x").type, XS_WRITE);
    }
    xs_quota.nb_entry_per_domain = saved;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(ERR_IS(wr(d5, 0, "n1", big), "ENOSPC"));
    big[1900] = '\0';
    CHECK_EQ(wr(d5, 0, "n1", big).type, XS_WRITE);
    big[1900] = 'a';
    CHECK_EQ(wr(d0, 0, "/dom0/big", big).type, XS_WRITE);
    CHECK(ERR_IS(REQ(d5, XS_SET_PERMS, 0, "n1\0n5\0r1\0r2\0r3\0r4\0r6"), "ENOSPC"));
    CHECK_EQ(REQ(d5, XS_SET_PERMS, 0, "n1\0n5\0r1\0r2\0r3\0r4").type, XS_SET_PERMS);
}

TEST(quota_path_watches_transactions)
{
    char path[XENSTORE_REL_PATH_MAX + 8], tok[16];
    struct answer a;
    int i;

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home_for(d0, "5");
    /* Short components: a single 2 KiB name would overflow its parent's node size. */
    for (i = 0; i < XENSTORE_REL_PATH_MAX; i++)
        path[i] = i % 16 == 15 ? '/' : 'p';
    path[XENSTORE_REL_PATH_MAX - 1] = 'p';
    path[XENSTORE_REL_PATH_MAX] = '\0';
    CHECK_EQ(wr(d5, 0, path, "x").type, XS_WRITE);
    path[XENSTORE_REL_PATH_MAX] = 'p';
    path[XENSTORE_REL_PATH_MAX + 1] = '\0';
    CHECK(ERR_IS(wr(d5, 0, path, "x"), "EINVAL"));

    for (i = 0; i < 200; i++) {
        char buf[64];
        int n = snprintf(tok, sizeof(tok), "t%d", i);

        memcpy(buf, "w\0", 2);
        memcpy(buf + 2, tok, (size_t)n + 1);
        a = req(d5, XS_WATCH, 0, buf, (size_t)n + 3);
        if (a.type != XS_WATCH)
            break;
    }
    CHECK_EQ(i, 129);                        /* Xen 4.17 counts before adding: quota + 1 */
    CHECK(ERR_IS(a, "E2BIG"));

    for (i = 0; i < 20; i++)
        if (req(d5, XS_TRANSACTION_START, 0, "", 1).type != XS_TRANSACTION_START)
            break;
    CHECK_EQ(i, 11);                         /* likewise */
    CHECK_EQ(conn_is_priv(d0->conn), true);
    for (i = 0; i < 20; i++)
        CHECK_EQ(req(d0, XS_TRANSACTION_START, 0, "", 1).type, XS_TRANSACTION_START);
}

/* n GET_DOMAIN_PATH requests for domain 5 in a row, as a ring holds them; their length. */
static size_t domain_path_requests(char *stream, int n)
{
    size_t len = 0;

    for (int i = 0; i < n; i++) {
        struct xsd_sockmsg h = { .type = XS_GET_DOMAIN_PATH, .req_id = (uint32_t)i, .len = 2 };

        memcpy(stream + len, &h, sizeof(h));
        memcpy(stream + len + sizeof(h), "5", 2);
        len += sizeof(h) + 2;
    }
    return len;
}

TEST(quota_outstanding_requests_hold_a_domain_back)
{
    char stream[40 * (sizeof(struct xsd_sockmsg) + 2)];
    size_t len = domain_path_requests(stream, 40);

    xs_reset();
    struct fake *d5 = fake_new(5);

    d5->blocked = true;
    fake_feed(d5, stream, len);
    CHECK_EQ(d5->conn->out_replies, 20);     /* the daemon stops reading at the quota */
    d5->blocked = false;
    conn_flush(d5->conn);
    while (conn_input(d5->conn))
        ;
    CHECK_EQ(d5->conn->out_replies, 0);
    CHECK_EQ(d5->in_off, len);
    CHECK_EQ(d5->out_len, 40 * (sizeof(struct xsd_sockmsg) + sizeof("/local/domain/5")));
}

/*
 * A domain that refills its ring as fast as it is emptied (on a pCPU of its own) must not
 * keep the daemon: a turn serves XS_REQUESTS_PER_TURN and says more is waiting, so the
 * round goes on to the others (xl timed out on its socket beside such a flooder).
 */
TEST(a_full_ring_yields_after_a_turn)
{
    char stream[40 * (sizeof(struct xsd_sockmsg) + 2)];
    size_t len = domain_path_requests(stream, 40);

    xs_reset();
    struct fake *d5 = fake_new(5);

    d5->in = stream;
    d5->in_len = len;
    d5->in_off = 0;
    CHECK_EQ(conn_input(d5->conn), true);
    CHECK_EQ(d5->in_off, XS_REQUESTS_PER_TURN * (sizeof(struct xsd_sockmsg) + 2));
    CHECK_EQ(conn_input(d5->conn), true);
    CHECK_EQ(conn_input(d5->conn), false);
    CHECK_EQ(d5->in_off, len);
}

static void collect(struct fake *f);

/* Whether an event arrived for any fake connection (it is consumed). */
static bool got_event(const char *path, const char *token)
{
    for (int i = 0; i < NFAKES; i++)
        if (fakes[i].conn)
            collect(&fakes[i]);
    for (int i = 0; i < nevents; i++) {
        const char *p = events[i].body, *t = p + strlen(p) + 1;

        if (!strcmp(p, path) && !strcmp(t, token)) {
            memmove(&events[i], &events[i + 1], (size_t)(nevents - i - 1) * sizeof(events[0]));
            nevents--;
            return true;
        }
    }
    return false;
}

/* Events for f that are already out: moved into events[]. */
static void collect(struct fake *f)
{
    struct answer a;

    while (pop_msg(f, &a))
        if (a.type == XS_WATCH_EVENT && nevents < 64)
            events[nevents++] = a;
}

TEST(watches_relative_perms_and_special)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5), *d7 = fake_new(7);

    home_for(d0, "5");
    wr(d5, 0, "data", "v");
    nevents = 0;
    REQ(d5, XS_WATCH, 0, "data\0rel");
    CHECK(got_event("data", "rel"));                 /* relative in, relative out */
    REQ(d7, XS_WATCH, 0, "/local/domain/5/data\0abs");
    CHECK(got_event("/local/domain/5/data", "abs")); /* the first event is unconditional */
    wr(d0, 0, "/local/domain/5/data/sub", "1");
    collect(d5);
    collect(d7);
    CHECK(got_event("data/sub", "rel"));
    CHECK(!got_event("/local/domain/5/data/sub", "abs"));   /* d7 may not read it */
    REQ(d5, XS_SET_PERMS, 0, "data/sub\0n5\0r7");
    collect(d5);
    collect(d7);
    CHECK(got_event("data/sub", "rel"));
    CHECK(got_event("/local/domain/5/data/sub", "abs"));
    /* Losing access is news too; after that, silence. */
    REQ(d5, XS_SET_PERMS, 0, "data/sub\0n5");
    CHECK(got_event("data/sub", "rel"));
    CHECK(got_event("/local/domain/5/data/sub", "abs"));
    wr(d5, 0, "data/sub", "2");
    CHECK(got_event("data/sub", "rel"));
    CHECK(!got_event("/local/domain/5/data/sub", "abs"));
    /* A node a watcher cannot read still fires if it can read the parent. */
    REQ(d5, XS_SET_PERMS, 0, "data\0n5\0r7");
    CHECK(got_event("/local/domain/5/data", "abs"));
    wr(d5, 0, "data/sub", "3");
    CHECK(got_event("/local/domain/5/data/sub", "abs"));
    CHECK(got_event("data/sub", "rel"));
    CHECK(got_event("data", "rel"));         /* the SET_PERMS on data */
    /* Only Dom0 hears of domains coming and going unless the special node says more. */
    REQ(d0, XS_WATCH, 0, "@releaseDomain\0r0");
    REQ(d5, XS_WATCH, 0, "@releaseDomain\0r5");
    CHECK(got_event("@releaseDomain", "r0"));
    collect(d5);
    CHECK(got_event("@releaseDomain", "r5"));
    REQ(d0, XS_INTRODUCE, 0, "9\0" "77\0" "4");
    REQ(d0, XS_RELEASE, 0, "9");
    collect(d5);
    CHECK(got_event("@releaseDomain", "r0"));
    CHECK(!got_event("@releaseDomain", "r5"));
    REQ(d0, XS_SET_PERMS, 0, "@releaseDomain\0n0\0r5");
    REQ(d0, XS_INTRODUCE, 0, "9\0" "77\0" "4");
    REQ(d0, XS_RELEASE, 0, "9");
    collect(d5);
    CHECK(got_event("@releaseDomain", "r5"));
    drain_events(d0);
}

TEST(transactions_conflicts_and_isolation)
{
    xs_reset();
    struct fake *a = fake_new(0), *b = fake_new(0);
    struct answer r;
    uint32_t t1, t2;

    wr(a, 0, "/x/v", "0");
    t1 = (uint32_t)atoi(REQ(a, XS_TRANSACTION_START, 0, "").body);
    t2 = (uint32_t)atoi(REQ(b, XS_TRANSACTION_START, 0, "").body);
    /* Two transactions that only read commit; one that read what the other wrote fails. */
    rd(a, t1, "/x/v");
    rd(b, t2, "/x/v");
    wr(b, t2, "/x/w", "new");
    CHECK(ERR_IS(rd(a, 0, "/x/w"), "ENOENT"));
    CHECK_EQ(REQ(b, XS_TRANSACTION_END, t2, "T").type, XS_TRANSACTION_END);
    CHECK(rd(a, 0, "/x/w").type == XS_READ);
    CHECK_EQ(REQ(a, XS_TRANSACTION_END, t1, "T").type, XS_TRANSACTION_END);

    /* Creating siblings touches the parent: the second commit must retry. */
    t1 = (uint32_t)atoi(REQ(a, XS_TRANSACTION_START, 0, "").body);
    t2 = (uint32_t)atoi(REQ(b, XS_TRANSACTION_START, 0, "").body);
    wr(a, t1, "/x/a1", "1");
    wr(b, t2, "/x/b1", "1");
    CHECK_EQ(REQ(a, XS_TRANSACTION_END, t1, "T").type, XS_TRANSACTION_END);
    CHECK(ERR_IS(REQ(b, XS_TRANSACTION_END, t2, "T"), "EAGAIN"));
    CHECK(ERR_IS(rd(a, 0, "/x/b1"), "ENOENT"));

    /* A node that appears after the transaction looked for it is a conflict too. */
    t1 = (uint32_t)atoi(REQ(a, XS_TRANSACTION_START, 0, "").body);
    CHECK(ERR_IS(rd(a, t1, "/x/late"), "ENOENT"));
    wr(b, 0, "/x/late", "1");
    CHECK(ERR_IS(REQ(a, XS_TRANSACTION_END, t1, "T"), "EAGAIN"));

    /* Removal inside a transaction: gone for it, there for others until commit. */
    t1 = (uint32_t)atoi(REQ(a, XS_TRANSACTION_START, 0, "").body);
    CHECK_EQ(REQ(a, XS_RM, t1, "/x").type, XS_RM);
    CHECK(ERR_IS(rd(a, t1, "/x/v"), "ENOENT"));
    CHECK(rd(b, 0, "/x/v").type == XS_READ);
    r = REQ(a, XS_TRANSACTION_END, t1, "T");
    CHECK_EQ(r.type, XS_TRANSACTION_END);
    CHECK(ERR_IS(rd(b, 0, "/x/v"), "ENOENT"));
    CHECK(ERR_IS(REQ(a, XS_TRANSACTION_END, t1, "T"), "ENOENT"));
    CHECK(ERR_IS(REQ(a, XS_TRANSACTION_END, 0, "X"), "EINVAL"));
    CHECK_EQ(tree_entries(0), 5);           /* back to the seeded nodes */
}

TEST(transaction_node_quota_for_domains)
{
    char path[32];
    int i;

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);
    int saved = xs_quota.trans_nodes;

    home_for(d0, "5");
    xs_quota.trans_nodes = 8;
    uint32_t t = (uint32_t)atoi(REQ(d5, XS_TRANSACTION_START, 0, "").body);

    for (i = 0; i < 20; i++) {
        snprintf(path, sizeof(path), "t%d", i);
        if (wr(d5, t, path, "x").type != XS_WRITE)
            break;
    }
    CHECK(i < 20);
    xs_quota.trans_nodes = saved;
}

TEST(directory_part_and_rm_fires_exact)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *w = fake_new(0);
    struct answer a;

    wr(d0, 0, "/d/a", "");
    wr(d0, 0, "/d/b/c", "");
    a = REQ(d0, XS_DIRECTORY_PART, 0, "/d\0" "0");
    /* "<gen>\0a\0b\0\0": the extra NUL says the list is complete. */
    size_t gl = strlen(a.body) + 1;

    CHECK_EQ(a.len, gl + 5);
    CHECK(!memcmp(a.body + gl, "a\0b\0", 5));
    a = REQ(d0, XS_DIRECTORY_PART, 0, "/d\0" "2");
    CHECK_EQ(a.len, gl + 3);
    a = REQ(d0, XS_DIRECTORY_PART, 0, "/d\0" "9");
    CHECK_EQ(a.len, gl + 1);
    nevents = 0;
    REQ(w, XS_WATCH, 0, "/d/b/c\0leaf");
    REQ(w, XS_WATCH, 0, "/d/b/c/none\0below");
    REQ(w, XS_WATCH, 0, "/\0root");
    drain_events(w);
    REQ(d0, XS_RM, 0, "/d/b");
    collect(w);
    CHECK(got_event("/d/b/c", "leaf"));
    CHECK(got_event("/d/b", "root"));
    CHECK(!got_event("/d/b/c/none", "below"));
    CHECK(!got_event("/d/b/c", "root"));     /* children fire exact watches only */
    CHECK_EQ(nevents, 0);
}

TEST(set_target_gives_a_device_model_its_target)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *dm = fake_new(9);

    home_for(d0, "10");
    wr(d0, 0, "/local/domain/10/secret", "s");
    REQ(d0, XS_SET_PERMS, 0, "/local/domain/10/secret\0n10");
    CHECK(ERR_IS(rd(dm, 0, "/local/domain/10/secret"), "EACCES"));
    CHECK(ERR_IS(REQ(d0, XS_SET_TARGET, 0, "9\0" "10"), "ENOENT"));   /* 9 unknown yet */
    REQ(d0, XS_INTRODUCE, 0, "9\0" "1\0" "5");
    CHECK(ERR_IS(REQ(d0, XS_SET_TARGET, 0, "9\0" "10"), "ENOENT"));   /* and 10 */
    REQ(d0, XS_INTRODUCE, 0, "10\0" "1\0" "6");
    CHECK_EQ(REQ(d0, XS_SET_TARGET, 0, "9\0" "10").type, XS_SET_TARGET);
    dm->conn->dom = domain_find(9);
    CHECK(rd(dm, 0, "/local/domain/10/secret").type == XS_READ);
    CHECK_EQ(wr(dm, 0, "/local/domain/10/secret", "t").type, XS_WRITE);
    dm->conn->dom = NULL;
    CHECK(ERR_IS(REQ(dm, XS_SET_TARGET, 0, "9\0" "10"), "EACCES"));
}

/* A fake Xen for the ring transport: pages are host memory, ports count their kicks. */
static struct xenstore_domain_interface *fake_page;
static int kicks;

static int fx_bind(uint32_t domid, uint32_t port) { return (int)(domid * 100 + port); }
static int fx_virq(uint32_t virq) { return (int)virq; }
static void fx_unbind(uint32_t port) { (void)port; }
static void fx_notify(uint32_t port) { (void)port; kicks++; }
static void *fx_map(uint32_t domid, uint64_t gfn)
{
    (void)domid;
    if (gfn == 666)
        return NULL;
    fake_page = calloc(1, 4096);
    return fake_page;
}
static void fx_unmap(void *p) { free(p); }
static uint8_t fx_state = DOM_RUNNING;
static int fx_states(const uint32_t *d, int n, uint8_t *st)
{
    (void)d;
    for (int i = 0; i < n; i++)
        st[i] = fx_state;
    return 0;
}
static const struct xen_ops fake_xen = {
    fx_bind, fx_virq, fx_unbind, fx_notify, fx_map, fx_unmap, fx_states,
};

/* Writes bytes into the request ring the way a guest's xenbus does. */
static void guest_put(struct xenstore_domain_interface *intf, const void *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] = ((const char *)p)[i];
    intf->req_prod += (uint32_t)len;
}

static size_t guest_get(struct xenstore_domain_interface *intf, char *out, size_t max)
{
    size_t n = 0;

    while (intf->rsp_cons != intf->rsp_prod && n < max)
        out[n++] = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons++)];
    return n;
}

TEST(ring_introduced_domain_is_served_and_released_on_death)
{
    struct xsd_sockmsg h = { .type = XS_GET_DOMAIN_PATH, .req_id = 42, .len = 2 };
    char out[256];
    size_t n;

    xs_reset();
    xs_xen = &fake_xen;
    struct fake *d0 = fake_new(0);

    CHECK(ERR_IS(REQ(d0, XS_INTRODUCE, 0, "9\0" "666\0" "4"), "EINVAL"));
    CHECK_EQ(REQ(d0, XS_INTRODUCE, 0, "9\0" "77\0" "4").type, XS_INTRODUCE);
    struct domain *d = domain_find(9);

    CHECK(d && d->port == 904 && d->intf == fake_page);
    CHECK_EQ(fake_page->server_features & XENSTORE_SERVER_FEATURE_ERROR, 2);
    /* Requests may wrap around the ring's end and arrive in pieces. */
    fake_page->req_cons = fake_page->req_prod = 1020;
    fake_page->rsp_cons = fake_page->rsp_prod = 1020;
    guest_put(fake_page, &h, 10);
    domain_event(904);
    CHECK_EQ(guest_get(fake_page, out, sizeof(out)), 0);
    guest_put(fake_page, (char *)&h + 10, sizeof(h) - 10);
    guest_put(fake_page, "9", 2);
    kicks = 0;
    domain_event(904);
    n = guest_get(fake_page, out, sizeof(out));
    CHECK_EQ(n, sizeof(h) + sizeof("/local/domain/9"));
    CHECK(!strcmp(out + sizeof(h), "/local/domain/9"));
    CHECK(kicks > 0);
    /* The guest's paths are relative to its home. */
    home_for(d0, "9");
    wr(d0, 0, "/local/domain/9/name", "guest");
    guest_put(fake_page, &(struct xsd_sockmsg){ .type = XS_READ, .len = 5 }, sizeof(h));
    guest_put(fake_page, "name", 5);
    domain_event(904);
    n = guest_get(fake_page, out, sizeof(out));
    CHECK(n == sizeof(h) + 5 && !memcmp(out + sizeof(h), "guest", 5));
    /* A second introduction rebinds the port and starts the ring afresh. */
    guest_put(fake_page, "junk", 4);
    CHECK_EQ(REQ(d0, XS_INTRODUCE, 0, "9\0" "77\0" "6").type, XS_INTRODUCE);
    CHECK(d->port == 906 && fake_page->req_prod == 0 && fake_page->rsp_prod == 0);
    guest_put(fake_page, &h, sizeof(h));
    guest_put(fake_page, "9", 2);
    domain_event(906);
    CHECK_EQ(guest_get(fake_page, out, sizeof(out)), sizeof(h) + sizeof("/local/domain/9"));
    /* Broken indexes drop the connection, not the daemon. */
    fake_page->req_prod = fake_page->req_cons + 5000;
    domain_event(906);
    CHECK(d->conn->dead && fake_page->error == XENSTORE_ERROR_RINGIDX);
    /* VIRQ_DOM_EXC: a dying domain goes away and @releaseDomain fires. */
    nevents = 0;
    REQ(d0, XS_WATCH, 0, "@releaseDomain\0gone");
    CHECK(got_event("@releaseDomain", "gone"));
    fx_state = DOM_GONE;
    domain_check_dead();
    collect(d0);
    CHECK(got_event("@releaseDomain", "gone"));
    CHECK(!domain_find(9));
    fx_state = DOM_RUNNING;
    xs_xen = NULL;
}

int main(void)
{
    RUN(perms_owner_acl_and_default);
    RUN(quota_entries_and_node_size);
    RUN(quota_path_watches_transactions);
    RUN(quota_outstanding_requests_hold_a_domain_back);
    RUN(a_full_ring_yields_after_a_turn);
    RUN(watches_relative_perms_and_special);
    RUN(transactions_conflicts_and_isolation);
    RUN(transaction_node_quota_for_domains);
    RUN(directory_part_and_rm_fires_exact);
    RUN(set_target_gives_a_device_model_its_target);
    RUN(ring_introduced_domain_is_served_and_released_on_death);
    xs_reset();
    domain_fini();
    while (xs_conns)
        conn_free(xs_conns);
    tree_fini();
    HARNESS_EXIT();
}
