/*
 * The consoles of the domains xenstore lists: a domain whose console/ring-ref and
 * console/port are written gets its ring mapped, its port bound, a history and
 * optionally a log file; it is let go when the hypervisor no longer has it (or it is
 * dying). Output is drained within each domain's allowance, so one flooding guest costs
 * Dom0 a bounded share of its time and other guests nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "plat/plat.h"
#include "store/store.h"
#include "xenconsoled.h"

extern struct store *xcd_store;
bool xcd_log_guests;
static struct xcd_domain domains[XCD_MAX_DOMAINS];

struct xcd_domain *xcd_domain_find(uint32_t domid)
{
    for (int i = 0; i < XCD_MAX_DOMAINS; i++)
        if (domains[i].used && domains[i].domid == domid)
            return &domains[i];
    return NULL;
}

/* A number from /local/domain/<domid>/<key>; -ENOENT when the node is absent or not one. */
static int read_number(uint32_t domid, const char *key, uint64_t *v)
{
    char path[80], *s, *end;
    int rc = 0;

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    s = store_read(xcd_store, path, NULL);
    if (!s)
        return -ENOENT;
    *v = strtoull(s, &end, 10);
    if (end == s || *end)
        rc = -ENOENT;
    free(s);
    return rc;
}

static void read_name(struct xcd_domain *d)
{
    char path[80], *s;

    snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
    s = store_read(xcd_store, path, NULL);
    snprintf(d->name, sizeof(d->name), "%s", s ? s : "");
    free(s);
    if (!d->name[0])
        snprintf(d->name, sizeof(d->name), "domain-%u", d->domid);
    for (char *c = d->name; *c; c++)
        if (*c == '/')
            *c = '_';                   /* the name becomes a file name */
}

static void log_open(struct xcd_domain *d, bool rotate)
{
    char path[160], old[168];

    snprintf(path, sizeof(path), "%s/guest-%s.log", XCD_LOG_DIR, d->name);
    if (rotate) {
        close(d->log_fd);
        snprintf(old, sizeof(old), "%s.1", path);
        rename(path, old);
    }
    d->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (rotate ? O_TRUNC : 0),
                     0640);
    d->log_size = 0;
    if (d->log_fd >= 0 && !rotate)
        d->log_size = (size_t)lseek(d->log_fd, 0, SEEK_END);
}

static void log_write(struct xcd_domain *d, const char *p, size_t n)
{
    if (d->log_fd < 0)
        return;
    if (d->log_size + n > XCD_LOG_FILE_MAX)
        log_open(d, true);
    if (d->log_fd >= 0 && write(d->log_fd, p, n) > 0)
        d->log_size += n;
}

static void domain_release(struct xcd_domain *d)
{
    xcd_clients_domain_gone(d->domid);
    if (d->local_port > 0)
        plat_evtchn_unbind((uint32_t)d->local_port);
    if (d->intf)
        xcd_unmap_ring((void *)d->intf);
    if (d->log_fd >= 0)
        close(d->log_fd);
    xcd_buf_free(&d->history);
    xcd_buf_free(&d->input);
    *d = (struct xcd_domain){ .used = false };
}

/* 0, or -ENOENT while the builder has not written the console's nodes yet. */
static int domain_attach(uint32_t domid)
{
    struct xcd_domain *d = NULL;
    uint64_t gfn, port;
    int rc;

    if (read_number(domid, "console/ring-ref", &gfn) || read_number(domid, "console/port", &port))
        return -ENOENT;
    for (int i = 0; i < XCD_MAX_DOMAINS && !d; i++)
        if (!domains[i].used)
            d = &domains[i];
    if (!d)
        return -ENOSPC;
    *d = (struct xcd_domain){ .used = true, .domid = domid, .local_port = -1, .log_fd = -1 };
    read_name(d);
    d->intf = xcd_map_ring(domid, gfn);
    rc = d->intf ? plat_evtchn_bind_interdomain(domid, (uint32_t)port) : -EFAULT;
    if (rc > 0)
        d->local_port = rc;
    if (rc <= 0 || xcd_buf_init(&d->history, XCD_HISTORY) ||
        xcd_buf_init(&d->input, XCD_INPUT_BUF)) {
        xcd_log("d%u: console not attached (ring %#llx, port %llu): %s", domid,
                (unsigned long long)gfn, (unsigned long long)port,
                rc <= 0 ? strerror(rc ? -rc : EINVAL) : "out of memory");
        domain_release(d);
        return rc < 0 ? rc : -ENOMEM;
    }
    if (xcd_log_guests)
        log_open(d, false);
    return 0;
}

static bool domain_alive(uint32_t domid)
{
    xen_domctl_getdomaininfo_t info;

    return !ctl_domain_info(domid, &info) && !(info.flags & XEN_DOMINF_dying);
}

void xcd_domains_scan(void)
{
    unsigned int n = 0;
    char **ids = store_directory(xcd_store, "/local/domain", &n);

    for (int i = 0; i < XCD_MAX_DOMAINS; i++)
        if (domains[i].used && !domain_alive(domains[i].domid)) {
            xcd_domains_port_fired(domains[i].local_port);   /* its last words */
            domain_release(&domains[i]);
        }
    for (unsigned int i = 0; ids && i < n; i++) {
        char *end;
        unsigned long domid = strtoul(ids[i], &end, 10);

        if (*end || !domid || domid >= DOMID_FIRST_RESERVED || xcd_domain_find((uint32_t)domid))
            continue;
        if (domain_alive((uint32_t)domid))
            domain_attach((uint32_t)domid);
    }
    free(ids);
}

static void domain_input_flush(struct xcd_domain *d)
{
    const char *p;
    size_t n, done = 0, moved;

    while ((n = xcd_buf_peek(&d->input, &p)) && (moved = xcd_ring_write(d->intf, p, n))) {
        xcd_buf_consume(&d->input, moved);
        done += moved;
    }
    if (done)
        plat_evtchn_notify((uint32_t)d->local_port);
}

static void domain_drain(struct xcd_domain *d, uint64_t now)
{
    char buf[sizeof(d->intf->out)];
    size_t allow = xcd_rate_allowance(&d->rate, now), n, total = 0;

    while (allow && (n = xcd_ring_read(d->intf, buf, allow < sizeof(buf) ? allow : sizeof(buf)))) {
        xcd_rate_charge(&d->rate, n);
        allow -= n;
        total += n;
        xcd_buf_push(&d->history, buf, n);
        log_write(d, buf, n);
        xcd_clients_output(d->domid, buf, n);
    }
    d->throttled = !allow;
    if (total)
        plat_evtchn_notify((uint32_t)d->local_port);     /* the guest may write again */
    domain_input_flush(d);
}

void xcd_domains_port_fired(int port)
{
    uint64_t now = xcd_now_ms();

    for (int i = 0; i < XCD_MAX_DOMAINS; i++) {
        struct xcd_domain *d = &domains[i];

        if (!d->used)
            continue;
        if (port < 0 || d->local_port == port || (d->throttled &&
                                                  xcd_rate_allowance(&d->rate, now)))
            domain_drain(d, now);
    }
}

int xcd_domains_timeout(uint64_t now_ms)
{
    int best = -1;

    for (int i = 0; i < XCD_MAX_DOMAINS; i++) {
        const struct xcd_domain *d = &domains[i];
        int left;

        if (!d->used || !d->throttled)
            continue;
        left = (int)(d->rate.period_start_ms + XCD_RATE_PERIOD_MS - now_ms);
        left = left < 0 ? 0 : left;
        if (best < 0 || left < best)
            best = left;
    }
    return best;
}

void xcd_domain_input(struct xcd_domain *d, const char *p, size_t n)
{
    xcd_buf_put(&d->input, p, n);
    domain_input_flush(d);
}

void xcd_domains_release_all(void)
{
    for (int i = 0; i < XCD_MAX_DOMAINS; i++)
        if (domains[i].used)
            domain_release(&domains[i]);
}
