/*
 * The monitor xl create leaves behind (Xen's xl daemonizes for the same job): it waits
 * for its domain to shut down — woken by xenstored's @releaseDomain, with a slow poll
 * as a fallback — reads the reason from getdomaininfo and applies the config's on_*
 * action: destroy, preserve (leave it listed), restart (destroy, then build again from
 * the config the builder kept, else the one the monitor holds), rename-restart (keep the old one under a new name, then
 * build again). coredump-* act as their plain forms: kumo has no core dumps yet.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/config.h"
#include "toolstack/toolstack.h"
#include <xen/sched.h>

#define MONITOR_POLL_MS 2000

static const char *const reason_names[] = { "poweroff", "reboot", "suspend", "crash",
                                            "watchdog", "soft_reset" };

enum ts_action ts_monitor_action(const struct ts_domain_config *cfg, unsigned int reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return cfg->on_poweroff;
    case SHUTDOWN_reboot: return cfg->on_reboot;
    case SHUTDOWN_crash: return cfg->on_crash;
    case SHUTDOWN_watchdog: return cfg->on_watchdog;
    case SHUTDOWN_soft_reset: return TS_ACTION_RESTART;     /* kumo has no soft reset */
    default: return 0;                  /* suspend: the saver, not the monitor, acts */
    }
}

static void say(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *log, const char *fmt, ...)
{
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fputc('\n', log);
    fflush(log);
}

/* The old domain keeps running under "<name>-<date>", as xl's preserve_domain() names it. */
static int rename_old(uint32_t domid, const char *name, FILE *log)
{
    char stamp[24], renamed[TS_NAME_MAX + 24];
    time_t now = time(NULL);

    strftime(stamp, sizeof(stamp), "-%Y%m%dT%H%MZ", gmtime(&now));
    snprintf(renamed, sizeof(renamed), "%.40s%s", name, stamp);
    say(log, "Preserving domain %u %s with suffix%s", domid, name, stamp);
    return ts_domain_rename(domid, renamed);
}

/*
 * The configuration the builder kept for the domain (ts_userdata_load), parsed again as
 * Xen's xl parses its saved config on a restart; 0, or -errno when none is kept.
 */
static int reload(const struct ts_monitor *m, struct ts_domain_config *fresh)
{
    struct xen_sysctl_physinfo pi;
    struct ts_config_opts o = { .source = "saved config", .err = m->log, .nr_cpus = 64 };
    char *data = ts_userdata_load(m->domid, &o.len);
    int rc;

    if (!data)
        return -errno;
    if (!ctl_physinfo(&pi) && pi.nr_cpus && pi.nr_cpus <= 64)
        o.nr_cpus = pi.nr_cpus;
    o.data = data;
    rc = ts_config_load(&o, fresh);
    free(data);
    return rc;
}

static int restart(struct ts_monitor *m, struct ts_domain_config *fresh, bool have_fresh)
{
    struct ts_create_error err = { .step = "" };
    int rc;

    say(m->log, "Done. Rebooting now");
    rc = ts_domain_create(have_fresh ? fresh : m->cfg, false, &m->domid, &err);
    if (have_fresh)
        ts_config_free(fresh);
    if (rc) {
        say(m->log, "Domain could not be restarted: %s: %s", err.step, err.why);
        return TS_MONITOR_DONE;
    }
    m->restarts++;
    say(m->log, "Waiting for domain %s (domid %u) to die", m->cfg->name, m->domid);
    return TS_MONITOR_WAIT;
}

int ts_monitor_step(struct ts_monitor *m)
{
    xen_domctl_getdomaininfo_t info;
    struct ts_domain_config fresh;
    bool have_fresh;
    unsigned int reason;
    enum ts_action a;
    int rc;

    if (ctl_domain_info(m->domid, &info) || (info.flags & XEN_DOMINF_dying)) {
        say(m->log, "Domain %u has been destroyed.", m->domid);
        return TS_MONITOR_DONE;
    }
    if (!(info.flags & XEN_DOMINF_shutdown))
        return TS_MONITOR_WAIT;
    reason = info.flags >> XEN_DOMINF_shutdownshift & XEN_DOMINF_shutdownmask;
    say(m->log, "Domain %u has shut down, reason code %u 0x%x", m->domid, reason, info.flags);
    a = ts_monitor_action(m->cfg, reason);
    if (!a)
        return TS_MONITOR_WAIT;
    say(m->log, "Action for shutdown reason code %u (%s) is %s", reason,
        reason < 6 ? reason_names[reason] : "?", ts_action_json(a));
    if (a == TS_ACTION_PRESERVE) {
        say(m->log, "Done. Exiting now");
        return TS_MONITOR_DONE;
    }
    /* Read before the destroy, which removes what the builder kept. */
    have_fresh = a != TS_ACTION_DESTROY && a != TS_ACTION_COREDUMP_DESTROY && !reload(m, &fresh);
    if (a == TS_ACTION_RENAME_RESTART) {
        if ((rc = rename_old(m->domid, m->cfg->name, m->log)))
            say(m->log, "rename failed: %s", strerror(-rc));
    } else {
        say(m->log, "Domain %u needs to be cleaned up: destroying the domain", m->domid);
        if ((rc = ts_domain_destroy(m->domid)))
            say(m->log, "destroy failed: %s", strerror(-rc));
    }
    if (a == TS_ACTION_DESTROY || a == TS_ACTION_COREDUMP_DESTROY) {
        say(m->log, "Done. Exiting now");
        return TS_MONITOR_DONE;
    }
    return restart(m, &fresh, have_fresh);
}

int ts_monitor_run(struct ts_monitor *m)
{
    struct store *s = store_open();
    int rc;

    if (s && store_watch(s, "@releaseDomain", "monitor")) {
        store_close(s);
        s = NULL;                       /* without the watch, the slow poll alone */
    }
    say(m->log, "Waiting for domain %s (domid %u) to die", m->cfg->name, m->domid);
    while ((rc = ts_monitor_step(m)) == TS_MONITOR_WAIT) {
        struct pollfd pfd = { .fd = s ? store_fd(s) : -1, .events = POLLIN };

        poll(&pfd, 1, MONITOR_POLL_MS);
        if (s && store_watch_events(s) < 0) {
            store_close(s);
            s = NULL;
        }
    }
    store_close(s);
    return 0;
}
