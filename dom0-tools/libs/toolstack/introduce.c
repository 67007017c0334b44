/*
 * Boot-time domains into xenstore: what libxl writes when it makes a domain (and
 * xen-init-dom0 for Dom0), for the domains kumo built before Dom0 ran, so that xl and
 * anything reading the store see them as Xen's toolstack would have left them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/toolstack.h"

/* libxl's domain handle text; kumo's handles are zero, so the id keeps them apart. */
static void uuid_of(const xen_domctl_getdomaininfo_t *info, char *buf, size_t len)
{
    const uint8_t *u = info->handle;
    bool zero = true;

    for (int i = 0; i < 16; i++)
        zero &= !u[i];
    if (zero)
        snprintf(buf, len, "00000000-0000-0000-0000-%012x", (unsigned int)info->domain);
    else
        snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                 u[12], u[13], u[14], u[15]);
}

static int write_nodes(struct store *s, const xen_domctl_getdomaininfo_t *info,
                       const char *name, const char *uuid, long started)
{
    uint32_t id = info->domain;
    char v[64], dom[48];
    int rc = 0;

    snprintf(dom, sizeof(dom), "/local/domain/%u", id);
    snprintf(v, sizeof(v), "/vm/%s", uuid);
    rc |= store_write_at(s, v, "%s/vm", dom);
    rc |= store_write_at(s, name, "%s/name", v);
    rc |= store_write_at(s, uuid, "%s/uuid", v);
    snprintf(v, sizeof(v), "%ld.00", started);
    rc |= store_write_at(s, v, "/vm/%s/start_time", uuid);
    snprintf(v, sizeof(v), "%u", id);
    rc |= store_write_at(s, v, "%s/domid", dom);
    snprintf(v, sizeof(v), "%lu", (unsigned long)info->max_pages * 4);
    rc |= store_write_at(s, v, "%s/memory/static-max", dom);
    snprintf(v, sizeof(v), "%lu", (unsigned long)info->tot_pages * 4);
    rc |= store_write_at(s, v, "%s/memory/target", dom);
    for (uint32_t n = 0; n <= info->max_vcpu_id && info->max_vcpu_id != XEN_INVALID_MAX_VCPU_ID;
         n++) {
        struct xen_domctl_getvcpuinfo vi = { 0 };

        ctl_vcpu_info(id, n, &vi);
        rc |= store_write_at(s, vi.online ? "online" : "offline", "%s/cpu/%u/availability", dom, n);
    }
    /* The name last: a reader that finds it finds everything else written. */
    rc |= store_write_at(s, name, "%s/name", dom);
    return rc ? -EIO : 0;
}

int ts_introduce_boot_domain(uint32_t domid, long started)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s = ts_store();
    char name[TS_NAME_MAX], uuid[40], path[64], *old;
    char perm_dom[16];
    const char *perms[] = { "n0", perm_dom };
    int rc;

    if (!s)
        return -errno ? -errno : -ENOENT;
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    old = store_read(s, path, NULL);
    free(old);
    if (old)
        return -EEXIST;
    if (errno != ENOENT)
        return -errno;                  /* no xenstored behind the store */
    if ((rc = ctl_domain_info(domid, &info)) || (rc = ctl_domain_name(domid, name, sizeof(name))))
        return rc;
    uuid_of(&info, uuid, sizeof(uuid));
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    snprintf(perm_dom, sizeof(perm_dom), "r%u", domid);
    if ((rc = store_mkdir(s, path)) || (domid && (rc = store_set_perms(s, path, perms, 2))))
        return rc;
    return write_nodes(s, &info, name, uuid, started);
}
