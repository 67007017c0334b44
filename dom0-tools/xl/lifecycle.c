/*
 * xl shutdown and reboot (tools/xl/xl_vmcontrol.c): the request written to the guest's
 * control/shutdown, with Xen's messages when the guest has no PV control; -w waits until
 * each domain has shut down or gone, as Xen's wait_for_domain_deaths() reports it.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "toolstack/toolstack.h"
#include "xl.h"

#define MAX_TARGETS 256
#define LIBXL_ERROR_FAIL (-3)
#define LIBXL_ERROR_NOPARAVIRT (-10)

struct verb {
    const char *cmd, *request, *doing, *event, *graceful, *fallback;
};

static const struct verb shutdown_verb = { "shutdown", "poweroff", "Shutting down",
                                           "power button", "shutdown", "power" };
static const struct verb reboot_verb = { "reboot", "reboot", "Rebooting", "reset button",
                                         "reboot", "reset" };

/* One domain asked; libxl's rc (0, ERROR_NOPARAVIRT, ERROR_FAIL) after Xen's messages. */
static int ask(const struct verb *vb, uint32_t domid, bool fallback)
{
    int rc;

    fprintf(xl_errout, "%s domain %u\n", vb->doing, domid);
    rc = ts_domain_shutdown(domid, vb->request);
    if (rc != -EOPNOTSUPP)
        return rc ? LIBXL_ERROR_FAIL : 0;
    if (fallback) {
        /* kumo has no XEN_DOMCTL_sendtrigger: the ACPI event cannot be sent either. */
        fprintf(xl_errout, "PV control interface not available: sending ACPI %s event.\n",
                vb->event);
        return LIBXL_ERROR_FAIL;
    }
    fprintf(xl_errout, "PV control interface not available: external graceful %s not "
            "possible.\n", vb->graceful);
    fprintf(xl_errout, "Use \"-F\" to fallback to ACPI %s event.\n", vb->fallback);
    return LIBXL_ERROR_NOPARAVIRT;
}

static void wait_nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

    nanosleep(&ts, NULL);
}

/*
 * Until every domain has shut down (or, with for_death, been destroyed), each reported
 * once, as Xen's wait_for_domain_deaths() reports them.
 */
static void wait_deaths(const uint32_t *domids, int n, bool for_death)
{
    bool done[MAX_TARGETS] = { false }, told[MAX_TARGETS] = { false };
    int left = n;

    fprintf(xl_errout, "Waiting for %d domains\n", n);
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            xen_domctl_getdomaininfo_t info;

            if (done[i])
                continue;
            if (ctl_domain_info(domids[i], &info) || (info.flags & XEN_DOMINF_dying)) {
                fprintf(xl_errout, "Domain %u has been destroyed\n", domids[i]);
            } else if ((info.flags & XEN_DOMINF_shutdown) && !told[i]) {
                fprintf(xl_errout, "Domain %u has been shut down, reason code %u\n",
                        domids[i], info.flags >> XEN_DOMINF_shutdownshift &
                                   XEN_DOMINF_shutdownmask);
                told[i] = true;
                if (for_death) {
                    fprintf(xl_errout, "Domain %u continue waiting for death\n", domids[i]);
                    continue;
                }
            } else {
                continue;
            }
            done[i] = true;
            left--;
        }
        fflush(xl_errout);
        if (left)
            wait_nap_ms(100);
    }
}

/* Every domain but Dom0, for -a. */
static int all_guests(uint32_t *domids, int *n)
{
    static xen_domctl_getdomaininfo_t info[MAX_TARGETS];
    int got = ctl_domain_list(1, info, MAX_TARGETS);

    if (got < 0)
        return xl_error("cannot list domains: %s", strerror(-got));
    for (int i = 0; i < got; i++)
        if (!(info[i].flags & XEN_DOMINF_dying))
            domids[(*n)++] = info[i].domain;
    return 0;
}

static int shutdown_or_reboot(const struct verb *vb, int argc, char **argv)
{
    static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                          { "wait", no_argument, NULL, 'w' }, XL_LONG_HELP };
    static uint32_t domids[MAX_TARGETS];
    bool all = false, fallback = false;
    int opt, n = 0, wait = 0, rc;

    while ((opt = xl_getopt(argc, argv, "awF", opts, vb->cmd, 0, &rc)) != -1) {
        switch (opt) {
        case XL_OPT_EXIT: return rc;
        case 'a': all = true; break;
        case 'w': wait++; break;        /* twice: until the domains are gone */
        case 'F': fallback = true; break;
        }
    }
    if (!all && optind == argc)
        return xl_error("You must specify -a or a domain id.");
    if (all ? (rc = all_guests(domids, &n)) : (rc = xl_find_domain(argv[optind], &domids[n++])))
        return rc;
    for (int i = 0; i < n; i++)
        if ((rc = ask(vb, domids[i], fallback)))
            return xl_error("%s failed (rc=%d)", vb->cmd, rc);
    if (wait && n)
        wait_deaths(domids, n, wait > 1);
    return 0;
}

int main_shutdown(int argc, char **argv)
{
    return shutdown_or_reboot(&shutdown_verb, argc, argv);
}

int main_reboot(int argc, char **argv)
{
    return shutdown_or_reboot(&reboot_verb, argc, argv);
}
