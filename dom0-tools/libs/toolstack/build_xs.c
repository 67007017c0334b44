/*
 * The new domain in xenstore, as libxl writes it (libxl__domain_make, libxl__build_post,
 * libxl__device_console_add): /local/domain/<N> readable by the guest with the nodes it
 * may write (control/shutdown, data, ...) its own, /vm/<uuid>, the console frontend and
 * store nodes; the name last, so a reader who finds it finds the rest; then XS_INTRODUCE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "toolstack/build.h"
#include "toolstack/toolstack.h"

#define LIBXL_XENCONSOLE_LIMIT "1048576"

/* path gets perms: "n<owner>" then readers ("r<id>"), as Xen's permission strings. */
static int xs_perms(struct store *s, const char *path, uint32_t owner, int reader)
{
    char o[16], r[16];
    const char *p[] = { o, r };

    snprintf(o, sizeof(o), "n%u", owner);
    snprintf(r, sizeof(r), "r%d", reader);
    return store_set_perms(s, path, p, reader < 0 ? 1 : 2);
}

/* The nodes libxl makes writable by the guest: owned by it, Dom0 reads. */
static int guest_nodes(struct store *s, const char *dom, uint32_t id)
{
    static const char *const rw[] = { "control/shutdown", "control/feature-poweroff",
                                      "control/feature-reboot", "control/feature-suspend",
                                      "control/sysrq", "data", "drivers", "feature", "attr",
                                      "error", "device/suspend/event-channel" };
    char path[128];
    int rc = 0;

    for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]) && !rc; i++) {
        snprintf(path, sizeof(path), "%s/%s", dom, rw[i]);
        rc = store_write(s, path, "");
        if (!rc)
            rc = xs_perms(s, path, id, 0);
    }
    return rc;
}

static int console_nodes(struct store *s, const char *dom, struct build *b)
{
    char path[128], v[32];
    int rc;

    snprintf(path, sizeof(path), "%s/console", dom);
    rc = store_mkdir(s, path);
    if (!rc)
        rc = xs_perms(s, path, b->domid, 0);   /* the frontend's, the backend (Dom0) reads */
    snprintf(v, sizeof(v), "%llu", (unsigned long long)BUILD_CONSOLE_PFN);
    rc = rc ? rc : store_write_at(s, v, "%s/ring-ref", path);
    snprintf(v, sizeof(v), "%u", b->console_port);
    rc = rc ? rc : store_write_at(s, v, "%s/port", path);
    rc = rc ? rc : store_write_at(s, "xenconsoled", "%s/type", path);
    rc = rc ? rc : store_write_at(s, "pty", "%s/output", path);
    rc = rc ? rc : store_write_at(s, "", "%s/tty", path);
    rc = rc ? rc : store_write_at(s, "0", "%s/backend-id", path);
    rc = rc ? rc : store_write_at(s, LIBXL_XENCONSOLE_LIMIT, "%s/limit", path);
    snprintf(path, sizeof(path), "%s/console/limit", dom);
    return rc ? rc : xs_perms(s, path, 0, (int)b->domid);     /* read-only for the guest */
}

static int domain_nodes(struct store *s, const char *dom, struct build *b)
{
    const struct ts_domain_config *c = b->cfg;
    char v[64];
    int rc;

    snprintf(v, sizeof(v), "/vm/%s", b->uuid);
    rc = store_write_at(s, v, "%s/vm", dom);
    snprintf(v, sizeof(v), "%u", b->domid);
    rc = rc ? rc : store_write_at(s, v, "%s/domid", dom);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)c->max_memkb);
    rc = rc ? rc : store_write_at(s, v, "%s/memory/static-max", dom);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)c->target_memkb);
    rc = rc ? rc : store_write_at(s, v, "%s/memory/target", dom);
    for (unsigned int i = 0; i < c->max_vcpus && !rc; i++)
        rc = store_write_at(s, i < c->vcpus ? "online" : "offline", "%s/cpu/%u/availability", dom, i);
    rc = rc ? rc : store_write_at(s, "1", "%s/control/platform-feature-multiprocessor-suspend", dom);
    rc = rc ? rc : store_write_at(s, "1", "%s/control/platform-feature-xs_reset_watches", dom);
    rc = rc ? rc : guest_nodes(s, dom, b->domid);
    rc = rc ? rc : console_nodes(s, dom, b);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)BUILD_STORE_PFN);
    rc = rc ? rc : store_write_at(s, v, "%s/store/ring-ref", dom);
    snprintf(v, sizeof(v), "%u", b->store_port);
    return rc ? rc : store_write_at(s, v, "%s/store/port", dom);
}

static int vm_nodes(struct store *s, struct build *b)
{
    char vm[64], v[32];
    int rc;

    snprintf(vm, sizeof(vm), "/vm/%s", b->uuid);
    rc = store_mkdir(s, vm);
    rc = rc ? rc : xs_perms(s, vm, 0, (int)b->domid);
    rc = rc ? rc : store_write_at(s, b->cfg->name, "%s/name", vm);
    rc = rc ? rc : store_write_at(s, b->uuid, "%s/uuid", vm);
    snprintf(v, sizeof(v), "%lld.00", (long long)time(NULL));
    return rc ? rc : store_write_at(s, v, "%s/start_time", vm);
}

int build_store_nodes(struct build *b)
{
    struct store *s = ts_store();
    char dom[48];
    int rc;

    if (!s) {
        snprintf(b->why, sizeof(b->why), "no xenstored answers (%s)", strerror(errno));
        return -ENOENT;
    }
    snprintf(dom, sizeof(dom), "/local/domain/%u", b->domid);
    rc = store_mkdir(s, dom);
    rc = rc ? rc : xs_perms(s, dom, 0, (int)b->domid);
    rc = rc ? rc : vm_nodes(s, b);
    rc = rc ? rc : domain_nodes(s, dom, b);
    rc = rc ? rc : store_write_at(s, b->cfg->name, "%s/name", dom);
    if (rc) {
        snprintf(b->why, sizeof(b->why), "writing %s: %s", dom, strerror(-rc));
        return rc;
    }
    rc = store_introduce(s, b->domid, BUILD_STORE_PFN, b->store_port);
    if (rc)
        snprintf(b->why, sizeof(b->why), "XS_INTRODUCE: %s", strerror(-rc));
    return rc;
}

void build_store_remove(struct build *b)
{
    struct store *s = ts_store();
    char path[64];

    if (!s)
        return;
    store_release(s, b->domid);
    snprintf(path, sizeof(path), "/vm/%s", b->uuid);
    store_rm(s, path);
    snprintf(path, sizeof(path), "/local/domain/%u", b->domid);
    store_rm(s, path);
}
