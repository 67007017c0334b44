/*
 * XS_CONTROL (Dom0 only), the commands of Xen's `xenstore-control`: "log" and "print"
 * (harmless here: print logs its text), "quota" to list the quotas or set one by name,
 * and "help". Anything else is EINVAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

static const struct {
    const char *name;
    int *val;
    const char *what;
} quotas[] = {
    { "nodes", &xs_quota.nb_entry_per_domain, "Nodes per domain" },
    { "watches", &xs_quota.nb_watch_per_domain, "Watches per domain" },
    { "transactions", &xs_quota.max_transaction, "Transactions per domain" },
    { "outstanding", &xs_quota.req_outstanding, "Outstanding requests per domain" },
    { "transaction-nodes", &xs_quota.trans_nodes, "Max. number of accessed nodes per transaction" },
    { "node-size", &xs_quota.max_entry_size, "Max. size of a node" },
    { "path-max", &xs_quota.max_path_len, "Max. length of a node path" },
    { "permissions", &xs_quota.nb_perms_per_node, "Max. number of permissions per node" },
};
#define NQUOTAS (sizeof(quotas) / sizeof(quotas[0]))

static int quota_by_name(const char *name, const char *value)
{
    for (size_t i = 0; i < NQUOTAS; i++) {
        if (!strcmp(name, quotas[i].name)) {
            char *end;
            long v = strtol(value, &end, 10);

            if (!*value || *end || v < 1 || v > 1 << 24)
                return EINVAL;
            *quotas[i].val = (int)v;
            return 0;
        }
    }
    return EINVAL;
}

static int control_quota(struct req *r, char **argv, int argc)
{
    char buf[1024];
    size_t used = 0;

    if (argc == 1) {
        for (size_t i = 0; i < NQUOTAS; i++)
            used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%-18s: %8d %s\n",
                                     quotas[i].name, *quotas[i].val, quotas[i].what);
        reply_str(r, buf);
        return 0;
    }
    if (argc != 3 || quota_by_name(argv[1], argv[2]))
        return EINVAL;
    reply_str(r, "OK");
    return 0;
}

int quota_set_option(const char *arg)
{
    char name[32];
    const char *eq = strchr(arg, '=');

    if (!eq || (size_t)(eq - arg) >= sizeof(name))
        return -EINVAL;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    return quota_by_name(name, eq + 1) ? -EINVAL : 0;
}

void control_dispatch(struct req *r, char **argv, int argc)
{
    int rc = 0;

    if (!strcmp(argv[0], "log")) {
        reply_str(r, "OK");
    } else if (!strcmp(argv[0], "print")) {
        if (argc > 1)
            XS_LOG("control: %s", argv[1]);
        reply_str(r, "OK");
    } else if (!strcmp(argv[0], "quota")) {
        rc = control_quota(r, argv, argc);
    } else if (!strcmp(argv[0], "help")) {
        reply_str(r, "Supported commands:\nhelp\nlog [on|off|+switch|-switch]\nprint <string>\n"
                     "quota [<quota> <value>]\n");
    } else {
        rc = EINVAL;
    }
    if (rc)
        reply_error(r, rc);
}
