/*
 * xenstored against Xen 4.17's C xenstored, behaviour by behaviour a client can see:
 * argument counts, quota edges and their errnos, special names, domid parsing, watch
 * events held in a transaction or queued unread, CONTROL's answers. Each test names the
 * property; docs/xenstored.md lists what was checked.
 */
#define HARNESS_NO_PRINTK
#include "harness.h"
#include "xs_requests.h"

/* Counts the events f has been sent since the last call. */
static int events_of(struct fake *f)
{
    struct answer a;

    nevents = 0;
    while (pop_answer(f, &a))
        ;
    return nevents;
}

static uint32_t txn(struct fake *f)
{
    return (uint32_t)atoi(REQ(f, XS_TRANSACTION_START, 0, "").body);
}

/* Dom0 gives domain 5 its home, as a toolstack does. */
static void home5(struct fake *d0)
{
    REQ(d0, XS_MKDIR, 0, "/local/domain/5");
    REQ(d0, XS_SET_PERMS, 0, "/local/domain/5\0n5");
}

TEST(node_size_quota_refuses_a_record_of_exactly_the_quota)
{
    char val[2100];

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home5(d0);
    /* 24 bytes of record header + one 8-byte permission + the value: 2048 is too many. */
    memset(val, 'v', sizeof(val));
    val[2048 - 24 - 8] = '\0';
    CHECK(ERR_IS(wr(d5, 0, "leaf", val), "ENOSPC"));
    val[2048 - 24 - 8 - 1] = '\0';
    CHECK_EQ(wr(d5, 0, "leaf", val).type, XS_WRITE);
}

TEST(path_length_limit_holds_for_dom0_too)
{
    char path[XENSTORE_REL_PATH_MAX + 8];

    xs_reset();
    struct fake *d0 = fake_new(0);

    memset(path, 'p', sizeof(path));
    path[0] = '/';
    path[XENSTORE_REL_PATH_MAX + 1] = '\0';
    CHECK(ERR_IS(wr(d0, 0, path, "x"), "EINVAL"));
    path[XENSTORE_REL_PATH_MAX] = '\0';
    CHECK_EQ(wr(d0, 0, path, "x").type, XS_WRITE);
}

TEST(argument_counts_and_offsets_parse_as_xen)
{
    struct answer a;

    xs_reset();
    struct fake *d0 = fake_new(0);

    wr(d0, 0, "/d/a", "");
    wr(d0, 0, "/d/b", "");
    /* WATCH, UNWATCH and DIRECTORY_PART take exactly two strings. */
    CHECK(ERR_IS(REQ(d0, XS_WATCH, 0, "/d\0tok\0extra"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_UNWATCH, 0, "/d\0tok\0extra"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_DIRECTORY_PART, 0, "/d\0" "0\0" "x"), "EINVAL"));
    /* No watch has a bad name: unwatching one is ENOENT. */
    CHECK(ERR_IS(REQ(d0, XS_UNWATCH, 0, "/bad//name\0tok"), "ENOENT"));
    /* DIRECTORY_PART's offset is atoi'd: no number starts at 0. */
    a = REQ(d0, XS_DIRECTORY_PART, 0, "/d\0zero");
    CHECK_EQ(a.type, XS_DIRECTORY_PART);
    CHECK_EQ(a.len, strlen(a.body) + 1 + sizeof("a\0b\0"));
    /* SET_PERMS with its path only has no permission to set. */
    CHECK(ERR_IS(REQ(d0, XS_SET_PERMS, 0, "/d"), "EINVAL"));
    /* CONTROL with more words than any command takes is no crash. */
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "print\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0"
                                        "8\0" "9"), "EINVAL"));
}

TEST(special_names_have_no_readable_perms_and_only_two_exist)
{
    xs_reset();
    struct fake *d0 = fake_new(0);

    CHECK(ERR_IS(REQ(d0, XS_GET_PERMS, 0, "@releaseDomain"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_SET_PERMS, 0, "@otherDomain\0n0"), "EINVAL"));
    CHECK_EQ(REQ(d0, XS_SET_PERMS, 0, "@releaseDomain\0n0\0r5").type, XS_SET_PERMS);
    /* Any '@' name may be watched; only its length is checked. */
    CHECK_EQ(REQ(d0, XS_WATCH, 0, "@any name.at all\0t").type, XS_WATCH);
    /* A special node's permissions change at once, not at a transaction's commit. */
    uint32_t t = txn(d0);

    CHECK_EQ(REQ(d0, XS_SET_PERMS, t, "@introduceDomain\0n0\0r6").type, XS_SET_PERMS);
    CHECK_EQ(REQ(d0, XS_TRANSACTION_END, t, "F").type, XS_TRANSACTION_END);
    struct node *n = db_find(tree_db(), "@introduceDomain");

    CHECK(n && n->nperms == 2 && n->perms[1].id == 6);
}

TEST(set_perms_of_a_missing_node_under_a_writable_parent_is_enoent)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    wr(d0, 0, "/open", "");
    REQ(d0, XS_SET_PERMS, 0, "/open\0n0\0w5");
    /* Writable, not owned: Xen's errno_from_parents() wants any of the rights asked. */
    CHECK(ERR_IS(REQ(d5, XS_SET_PERMS, 0, "/open/none\0n5"), "ENOENT"));
    CHECK(ERR_IS(REQ(d5, XS_SET_PERMS, 0, "/tool/none\0n5"), "EACCES"));
}

TEST(domid_arguments_parse_as_xen)
{
    struct answer a;

    xs_reset();
    struct fake *d0 = fake_new(0);

    a = REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, "32752");          /* DOMID_SELF */
    CHECK(a.type == XS_IS_DOMAIN_INTRODUCED && !strcmp(a.body, "T"));
    a = REQ(d0, XS_IS_DOMAIN_INTRODUCED, 0, "8");
    CHECK(a.type == XS_IS_DOMAIN_INTRODUCED && !strcmp(a.body, "F"));
    a = REQ(d0, XS_GET_DOMAIN_PATH, 0, "40000");
    CHECK(a.type == XS_GET_DOMAIN_PATH && !strcmp(a.body, "/local/domain/40000"));
    CHECK(ERR_IS(REQ(d0, XS_RESUME, 0, "0"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_RELEASE, 0, "0"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_RESUME, 0, "8"), "ENOENT"));
}

TEST(an_unread_identical_watch_event_is_not_queued_twice)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *w = fake_new(0);

    REQ(w, XS_WATCH, 0, "/x\0tok");
    CHECK_EQ(events_of(w), 1);
    w->blocked = true;
    wr(d0, 0, "/x", "1");
    wr(d0, 0, "/x", "2");
    wr(d0, 0, "/x/y", "3");
    w->blocked = false;
    conn_flush(w->conn);
    CHECK_EQ(events_of(w), 2);          /* "/x" once, "/x/y" once */
    /* Once read, the same event is news again. */
    wr(d0, 0, "/x", "4");
    CHECK_EQ(events_of(w), 1);
}

static uint64_t fake_ms;
static uint64_t fake_now(void) { return fake_ms; }

TEST(a_domains_watch_event_untaken_for_20_seconds_is_dropped)
{
    xs_reset();
    xs_now = fake_now;
    fake_ms = 1000;
    struct fake *d0 = fake_new(0), *d5 = fake_new(5), *w0 = fake_new(0);

    home5(d0);
    REQ(d5, XS_WATCH, 0, "/local/domain/5\0tok");
    REQ(w0, XS_WATCH, 0, "/local/domain/5\0tok");
    events_of(d5);
    events_of(w0);
    d5->blocked = w0->blocked = true;
    wr(d0, 0, "/local/domain/5/old", "1");
    fake_ms += 20000;
    wr(d0, 0, "/local/domain/5/new", "2");
    d5->blocked = w0->blocked = false;
    conn_flush(d5->conn);
    conn_flush(w0->conn);
    CHECK_EQ(events_of(d5), 1);                 /* "old" waited 20 s: gone */
    CHECK(!strcmp(last_event, "/local/domain/5/new"));
    CHECK_EQ(events_of(w0), 2);                 /* Dom0's wait as long as it takes */
    xs_now = monotonic_ms;
}

TEST(a_domains_request_stays_outstanding_until_its_watch_events_are_out)
{
    char path[32];

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5), *w = fake_new(0);

    home5(d0);
    REQ(w, XS_WATCH, 0, "/local/domain/5\0tok");
    events_of(w);
    w->blocked = true;
    for (int i = 0; i < 20; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        CHECK_EQ(wr(d5, 0, path, "x").type, XS_WRITE);   /* answered and read */
    }
    /* Its 20 answers are out, but Dom0 has not taken the events they caused. */
    CHECK_EQ(conn_can_read(d5->conn), false);
    w->blocked = false;
    conn_flush(w->conn);
    CHECK_EQ(events_of(w), 20);
    CHECK_EQ(conn_can_read(d5->conn), true);
    CHECK_EQ(d5->conn->out_replies, 0);
    /* WATCH's first event comes after the answer: it holds nothing. */
    d5->blocked = true;
    REQ(d5, XS_WATCH, 0, "n0\0mine");
    d5->blocked = false;
    conn_flush(d5->conn);
    CHECK_EQ(d5->conn->out_replies, 0);
}

TEST(a_transaction_fires_each_changed_node_once_at_commit)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *w = fake_new(0);

    wr(d0, 0, "/t/a", "0");
    REQ(w, XS_WATCH, 0, "/t\0tok");
    events_of(w);
    uint32_t t = txn(d0);

    wr(d0, t, "/t/a", "1");
    wr(d0, t, "/t/a", "2");
    wr(d0, t, "/t/a", "3");
    CHECK_EQ(events_of(w), 0);
    CHECK_EQ(REQ(d0, XS_TRANSACTION_END, t, "T").type, XS_TRANSACTION_END);
    CHECK_EQ(events_of(w), 1);
    CHECK(!strcmp(last_event, "/t/a"));
}

TEST(transaction_nodes_quota_counts_reads_and_fails_the_commit)
{
    char path[32];
    int i;

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);
    int saved = xs_quota.trans_nodes;

    home5(d0);
    for (i = 0; i < 9; i++) {
        snprintf(path, sizeof(path), "r%d", i);
        wr(d5, 0, path, "v");
    }
    xs_quota.trans_nodes = 8;
    uint32_t t = txn(d5);

    for (i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "r%d", i);
        CHECK_EQ(rd(d5, t, path).type, XS_READ);
    }
    CHECK(ERR_IS(rd(d5, t, "r8"), "ENOSPC"));
    CHECK(ERR_IS(REQ(d5, XS_TRANSACTION_END, t, "T"), "ENOMEM"));
    xs_quota.trans_nodes = saved;
    /* A node too big inside a transaction dooms it too (Xen's fail_transaction). */
    char big[2100];

    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    t = txn(d5);
    CHECK_EQ(wr(d5, t, "small", "s").type, XS_WRITE);
    CHECK(ERR_IS(wr(d5, t, "big", big), "ENOSPC"));
    CHECK(ERR_IS(REQ(d5, XS_TRANSACTION_END, t, "T"), "ENOMEM"));
    CHECK(ERR_IS(rd(d5, 0, "small"), "ENOENT"));
}

TEST(entry_quota_in_a_transaction_is_checked_at_commit)
{
    char path[16];
    int saved = xs_quota.nb_entry_per_domain, i;

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home5(d0);                                   /* its first entry */
    xs_quota.nb_entry_per_domain = 10;
    uint32_t t = txn(d5);

    for (i = 0; i < 9; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        CHECK_EQ(wr(d5, t, path, "x").type, XS_WRITE);
    }
    /* 1 + 9 reaches the quota: Xen's commit refuses what a plain write would allow. */
    CHECK(ERR_IS(REQ(d5, XS_TRANSACTION_END, t, "T"), "ENOSPC"));
    CHECK_EQ(tree_entries(5), 1);
    t = txn(d5);
    for (i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        wr(d5, t, path, "x");
    }
    CHECK_EQ(REQ(d5, XS_TRANSACTION_END, t, "T").type, XS_TRANSACTION_END);
    CHECK_EQ(tree_entries(5), 9);
    xs_quota.nb_entry_per_domain = saved;
}

TEST(reset_watches_sent_inside_a_transaction_ends_it)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home5(d0);
    uint32_t t = txn(d5);

    CHECK_EQ(REQ(d5, XS_RESET_WATCHES, t, "").type, XS_RESET_WATCHES);
    CHECK(ERR_IS(REQ(d5, XS_TRANSACTION_END, t, "T"), "ENOENT"));
}

/* A fake Xen in which domain 8 does not exist and gone[] lists more that went. */
static uint32_t gone[4];
static int fx_bind(uint32_t domid, uint32_t port) { return (int)(domid * 100 + port); }
static int fx_virq(uint32_t virq) { return (int)virq; }
static void fx_unbind(uint32_t port) { (void)port; }
static void fx_notify(uint32_t port) { (void)port; }
static void *fx_map(uint32_t domid, uint64_t gfn)
{
    (void)domid;
    (void)gfn;
    return calloc(1, 4096);
}
static void fx_unmap(void *p) { free(p); }
static int fx_states(const uint32_t *d, int n, uint8_t *st)
{
    for (int i = 0; i < n; i++) {
        st[i] = d[i] == 8 ? DOM_GONE : DOM_RUNNING;
        for (int j = 0; j < 4; j++)
            if (gone[j] && gone[j] == d[i])
                st[i] = DOM_GONE;
    }
    return 0;
}
static const struct xen_ops fake_xen = {
    fx_bind, fx_virq, fx_unbind, fx_notify, fx_map, fx_unmap, fx_states,
};

TEST(a_released_domains_nodes_go_and_its_acl_entries_stop_counting)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5), *w = fake_new(0);

    REQ(d0, XS_MKDIR, 0, "/local/domain/5");
    REQ(d0, XS_SET_PERMS, 0, "/local/domain/5\0n0\0b5");
    wr(d5, 0, "data/deep", "v");                     /* data and deep: owned by 5 */
    wr(d0, 0, "/shared", "s");
    REQ(d0, XS_SET_PERMS, 0, "/shared\0n0\0r5");
    REQ(d0, XS_SET_PERMS, 0, "@releaseDomain\0n5\0r5\0r6");
    REQ(w, XS_WATCH, 0, "/local/domain/5/data/deep\0tok");
    events_of(w);
    REQ(d0, XS_INTRODUCE, 0, "5\0" "1\0" "2");
    CHECK_EQ(REQ(d0, XS_RELEASE, 0, "5").type, XS_RELEASE);
    CHECK_EQ(tree_entries(5), 0);
    CHECK(ERR_IS(rd(d0, 0, "/local/domain/5/data"), "ENOENT"));
    CHECK_EQ(rd(d0, 0, "/local/domain/5").type, XS_READ);
    CHECK_EQ(events_of(w), 1);
    CHECK(!strcmp(last_event, "/local/domain/5/data/deep"));
    /* A new domain 5 inherits nothing, though the entry is still listed. */
    CHECK(ERR_IS(rd(d5, 0, "/shared"), "EACCES"));
    CHECK(ERR_IS(wr(d5, 0, "/local/domain/5/data", "x"), "EACCES"));
    struct answer a = REQ(d0, XS_GET_PERMS, 0, "/shared");

    CHECK(a.type == XS_GET_PERMS && a.len == 6 && !memcmp(a.body, "n0\0r5", 6));
    struct node *n = db_find(tree_db(), "@releaseDomain");

    CHECK(n && n->nperms == 2 && n->perms[0].id == 0 && n->perms[1].id == 6);
}

TEST(keep_orphans_gives_a_gone_domains_nodes_to_dom0)
{
    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home5(d0);
    wr(d5, 0, "data", "v");
    xs_keep_orphans = true;
    REQ(d0, XS_INTRODUCE, 0, "5\0" "1\0" "2");
    REQ(d0, XS_RELEASE, 0, "5");
    xs_keep_orphans = false;
    struct answer a = REQ(d0, XS_GET_PERMS, 0, "/local/domain/5/data");

    CHECK(a.type == XS_GET_PERMS && !strcmp(a.body, "n0"));
    CHECK_EQ(tree_entries(5), 0);
}

TEST(perms_name_only_domains_xen_has_and_owners_that_go_lose_their_nodes)
{
    xs_reset();
    xs_xen = &fake_xen;
    struct fake *d0 = fake_new(0), *d8 = fake_new(8);

    wr(d0, 0, "/x", "v");
    CHECK(ERR_IS(REQ(d0, XS_SET_PERMS, 0, "/x\0n8"), "ENOENT"));
    CHECK_EQ(REQ(d0, XS_SET_PERMS, 0, "/x\0n0\0r8").type, XS_SET_PERMS);
    CHECK(ERR_IS(rd(d8, 0, "/x"), "EACCES"));
    /* Domain 7 owned a node without ever being introduced; when it goes, so does that. */
    wr(d0, 0, "/vm/7/name", "seven");
    REQ(d0, XS_SET_PERMS, 0, "/vm/7\0n7");
    gone[0] = 7;
    domain_check_dead();
    CHECK(ERR_IS(rd(d0, 0, "/vm/7"), "ENOENT"));
    CHECK_EQ(rd(d0, 0, "/vm").type, XS_READ);
    gone[0] = 0;
    xs_xen = NULL;
}

TEST(control_quota_answers_as_xenstore_control_expects)
{
    struct answer a;

    xs_reset();
    struct fake *d0 = fake_new(0), *d5 = fake_new(5);

    home5(d0);
    REQ(d5, XS_WATCH, 0, "x\0t");
    a = REQ(d0, XS_CONTROL, 0, "quota");
    CHECK(a.type == XS_CONTROL && !strncmp(a.body, "Quota settings:\n", 16));
    CHECK(strstr(a.body, "\nnodes            :     1000 Nodes per domain\n") != NULL);
    CHECK(strstr(a.body, "\nmemory           :  2621440 ") != NULL);
    CHECK_EQ(REQ(d0, XS_CONTROL, 0, "quota\0set\0nodes\0" "1200").type, XS_CONTROL);
    CHECK_EQ(xs_quota.nb_entry_per_domain, 1200);
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "quota\0nodes\0" "1300"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "quota\0set\0bogus\0" "1"), "EINVAL"));
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "quota\0set\0nodes\0" "0"), "EINVAL"));
    xs_quota.nb_entry_per_domain = 1000;
    a = REQ(d0, XS_CONTROL, 0, "quota\0" "5");
    CHECK(a.type == XS_CONTROL && !strcmp(a.body, "Domain 5:\n"
                                                  "nodes           :        1\n"
                                                  "watches         :        1\n"
                                                  "transactions    :        0\n"
                                                  "outstanding     :        0\n"
                                                  "memory          :        0\n"));
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "quota\0" "77"), "ENOENT"));
    a = REQ(d0, XS_CONTROL, 0, "quota-soft");
    CHECK(a.type == XS_CONTROL && strstr(a.body, "memory           :  2097152 ") != NULL);
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "log\0maybe"), "EINVAL"));
    CHECK_EQ(REQ(d0, XS_CONTROL, 0, "log\0off").type, XS_CONTROL);
    CHECK_EQ(REQ(d0, XS_CONTROL, 0, "check").type, XS_CONTROL);
    CHECK(ERR_IS(REQ(d0, XS_CONTROL, 0, "print"), "EINVAL"));
    a = REQ(d0, XS_CONTROL, 0, "help");
    CHECK(a.type == XS_CONTROL && strstr(a.body, "\nquota\t[set <name> <val>|<domid>]\n"));
}

int main(void)
{
    RUN(node_size_quota_refuses_a_record_of_exactly_the_quota);
    RUN(path_length_limit_holds_for_dom0_too);
    RUN(argument_counts_and_offsets_parse_as_xen);
    RUN(special_names_have_no_readable_perms_and_only_two_exist);
    RUN(set_perms_of_a_missing_node_under_a_writable_parent_is_enoent);
    RUN(domid_arguments_parse_as_xen);
    RUN(an_unread_identical_watch_event_is_not_queued_twice);
    RUN(a_domains_watch_event_untaken_for_20_seconds_is_dropped);
    RUN(a_domains_request_stays_outstanding_until_its_watch_events_are_out);
    RUN(a_transaction_fires_each_changed_node_once_at_commit);
    RUN(transaction_nodes_quota_counts_reads_and_fails_the_commit);
    RUN(entry_quota_in_a_transaction_is_checked_at_commit);
    RUN(reset_watches_sent_inside_a_transaction_ends_it);
    RUN(a_released_domains_nodes_go_and_its_acl_entries_stop_counting);
    RUN(keep_orphans_gives_a_gone_domains_nodes_to_dom0);
    RUN(perms_name_only_domains_xen_has_and_owners_that_go_lose_their_nodes);
    RUN(control_quota_answers_as_xenstore_control_expects);
    xs_reset();
    domain_fini();
    while (xs_conns)
        conn_free(xs_conns);
    tree_fini();
    HARNESS_EXIT();
}
