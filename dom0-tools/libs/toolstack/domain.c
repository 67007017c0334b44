/*
 * Domain names: xenstore's /local/domain/<id>/name first, as Xen's toolstack keeps them;
 * kumo's boot name (through libs/ctl) when the store has none or no xenstored runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/toolstack.h"

static struct store *store;
static bool store_tried;

struct store *ts_store(void)
{
    if (!store_tried) {
        store_tried = true;
        store = store_open();
    }
    return store;
}

/* The store stopped answering: names come from kumo from now on, without more waits. */
static void store_give_up(void)
{
    store_close(store);
    store = NULL;
}

void ts_store_close(void)
{
    store_close(store);
    store = NULL;
    store_tried = false;
}

int ts_domain_name(uint32_t domid, char *name, size_t len)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s = ts_store();
    char path[64], *v;
    int rc;

    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    v = s ? store_read(s, path, NULL) : NULL;
    if (!v && s && errno != ENOENT)
        store_give_up();
    if (v) {
        rc = strlen(v) < len ? 0 : -ENAMETOOLONG;
        if (!rc)
            strcpy(name, v);
        free(v);
        return rc;
    }
    rc = ctl_domain_name(domid, name, len);
    if (rc == -ENOSYS && !(rc = ctl_domain_info(domid, &info)))
        snprintf(name, len, "%s", domid ? "" : "Domain-0");
    return rc;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int ts_domain_by_name(const char *name, uint32_t *domid)
{
    xen_domctl_getdomaininfo_t info[64];
    char found[TS_NAME_MAX];
    uint32_t next = 0;
    int n;

    while ((n = ctl_domain_list(next, info, 64)) > 0) {
        for (int i = 0; i < n; i++)
            if (!ts_domain_name(info[i].domain, found, sizeof(found)) &&
                !strcmp(found, name)) {
                *domid = info[i].domain;
                return 0;
            }
        next = info[n - 1].domain + 1u;
    }
    return n < 0 ? n : -ESRCH;
}

int ts_find_domain(const char *name_or_id, uint32_t *domid)
{
    xen_domctl_getdomaininfo_t info;

    if (all_digits(name_or_id)) {
        unsigned long id = strtoul(name_or_id, NULL, 10);

        if (id >= DOMID_FIRST_RESERVED || ctl_domain_info((uint32_t)id, &info))
            return -ESRCH;
        *domid = (uint32_t)id;
        return 0;
    }
    return ts_domain_by_name(name_or_id, domid);
}
