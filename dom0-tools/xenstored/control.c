/*
 * XS_CONTROL (Dom0 only), the commands of Xen 4.17's `xenstore-control` with its answers:
 * "check", "log on|off" (accepted: there is no trace file), "print", "quota" (list, "set
 * NAME VAL", or one domain's usage), "quota-soft" and "help". Anything else, including
 * live-update, logfile and memreport, is EINVAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

struct quota_row {
    const char *name;
    int *val;
    const char *what;
};

static const struct quota_row hard_quotas[] = {
    { "nodes", &xs_quota.nb_entry_per_domain, "Nodes per domain" },
    { "watches", &xs_quota.nb_watch_per_domain, "Watches per domain" },
    { "transactions", &xs_quota.max_transaction, "Transactions per domain" },
    { "outstanding", &xs_quota.req_outstanding, "Outstanding requests per domain" },
    { "transaction-nodes", &xs_quota.trans_nodes, "Max. number of accessed nodes per transaction" },
    { "memory", &xs_quota.memory_hard, "Total Xenstore memory per domain (error level)" },
    { "node-size", &xs_quota.max_entry_size, "Max. size of a node" },
    { "path-max", &xs_quota.max_path_len, "Max. length of a node path" },
    { "permissions", &xs_quota.nb_perms_per_node, "Max. number of permissions per node" },
    { NULL, NULL, NULL },
};

static const struct quota_row soft_quotas[] = {
    { "memory", &xs_quota.memory_soft, "Total Xenstore memory per domain (warning level)" },
    { NULL, NULL, NULL },
};

/* Xen's quota_set(): atoi, at least 1. */
static int quota_by_name(const struct quota_row *rows, const char *name, const char *value)
{
    int v = atoi(value);

    if (v < 1)
        return EINVAL;
    for (; rows->name; rows++) {
        if (!strcmp(name, rows->name)) {
            *rows->val = v;
            return 0;
        }
    }
    return EINVAL;
}

static void quota_list(struct req *r, const struct quota_row *rows)
{
    char buf[2048];
    size_t used = (size_t)snprintf(buf, sizeof(buf), "Quota settings:\n");

    for (; rows->name; rows++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%-17s: %8d %s\n",
                                 rows->name, *rows->val, rows->what);
    reply_str(r, buf);
}

/* One domain's usage, as Xen's domain_get_quota() prints it (memory is not counted). */
static int quota_domain(struct req *r, uint32_t domid)
{
    struct conn *conn = NULL;
    char buf[256];

    for (struct conn *c = xs_conns; c && !conn; c = c->next)
        if (c->domid == domid && !c->dead && (c->dom || domid != 0))
            conn = c;
    if (domid != 0 && !conn && !domain_find(domid) && !tree_entries(domid))
        return ENOENT;
    snprintf(buf, sizeof(buf), "Domain %u:\n%-16s: %8d\n%-16s: %8d\n%-16s: %8d\n%-16s: %8d\n"
             "%-16s: %8d\n", domid, "nodes", tree_entries(domid),
             "watches", conn ? conn->nwatches : 0, "transactions", conn ? conn->ntxns : 0,
             "outstanding", conn ? conn->out_replies : 0, "memory", 0);
    reply_str(r, buf);
    return 0;
}

static int control_quota(struct req *r, char **argv, int argc, const struct quota_row *rows)
{
    if (argc == 0) {
        quota_list(r, rows);
        return 0;
    }
    if (!strcmp(argv[0], "set")) {
        if (argc != 3 || quota_by_name(rows, argv[1], argv[2]))
            return EINVAL;
        reply_str(r, "OK");
        return 0;
    }
    if (rows != hard_quotas || argc != 1)
        return EINVAL;
    return quota_domain(r, (uint32_t)atoi(argv[0]));
}

int quota_set_option(const char *arg)
{
    char name[32];
    const char *eq = strchr(arg, '=');

    if (!eq || (size_t)(eq - arg) >= sizeof(name))
        return -EINVAL;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    return quota_by_name(hard_quotas, name, eq + 1) ? -EINVAL : 0;
}

int quota_soft_option(const char *arg)
{
    return strncmp(arg, "memory=", 7) || quota_by_name(soft_quotas, "memory", arg + 7) ?
           -EINVAL : 0;
}

static const char help_text[] =
    "check\t\nlog\ton|off\nprint\t<string>\nquota\t[set <name> <val>|<domid>]\n"
    "quota-soft\t[set <name> <val>]\nhelp\t\n";

/* argv[0] is the command; Xen's handlers see the rest. */
void control_dispatch(struct req *r, char **argv, int argc)
{
    const char *cmd = argv[0];
    int rc = 0;

    argv++;
    argc--;
    if (!strcmp(cmd, "check") && argc == 0) {
        reply_str(r, "OK");
    } else if (!strcmp(cmd, "log") && argc == 1 &&
               (!strcmp(argv[0], "on") || !strcmp(argv[0], "off"))) {
        reply_str(r, "OK");
    } else if (!strcmp(cmd, "print") && argc == 1) {
        XS_LOG("control: %s", argv[0]);
        reply_str(r, "OK");
    } else if (!strcmp(cmd, "quota")) {
        rc = control_quota(r, argv, argc, hard_quotas);
    } else if (!strcmp(cmd, "quota-soft")) {
        rc = control_quota(r, argv, argc, soft_quotas);
    } else if (!strcmp(cmd, "help") && argc == 0) {
        reply_str(r, help_text);
    } else {
        rc = EINVAL;
    }
    if (rc)
        reply_error(r, rc);
}
