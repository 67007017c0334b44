/*
 * xl's domain family: list, pause, unpause, destroy, domid, domname, uptime.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toolstack/toolstack.h"
#include "xl.h"

#define MAX_LISTED 256

int xl_find_domain(const char *arg, uint32_t *domid)
{
    int rc = ts_find_domain(arg, domid);

    if (rc == -ESRCH)
        return xl_error("'%s' is an invalid domain identifier", arg);
    if (rc)
        return xl_error("looking up domain '%s': %s", arg, strerror(-rc));
    return 0;
}

static void name_of(uint32_t domid, char *name, size_t len)
{
    if (ts_domain_name(domid, name, len))
        snprintf(name, len, "(null)");      /* what Xen's xl prints for a nameless one */
}

/* Every domain, in id order: the count, or the exit status after printing the error. */
static int list_all(xen_domctl_getdomaininfo_t *info, unsigned int max, int *count)
{
    int n = ctl_domain_list(0, info, max);

    if (n < 0)
        return xl_error("cannot list domains: %s", strerror(-n));
    *count = n;
    return 0;
}

int main_list(int argc, char **argv)
{
    static xen_domctl_getdomaininfo_t info[MAX_LISTED];
    char name[TS_NAME_MAX];
    bool verbose = false, details = false;
    int opt, n = 0, rc;

    while ((opt = getopt(argc, argv, "vl")) != -1) {
        if (opt != 'v' && opt != 'l')
            return xl_usage("list");
        verbose |= opt == 'v';
        details |= opt == 'l';
    }
    if (optind == argc) {
        if ((rc = list_all(info, MAX_LISTED, &n)))
            return rc;
    } else {
        for (; optind < argc && n < MAX_LISTED; optind++, n++) {
            uint32_t domid;

            if ((rc = xl_find_domain(argv[optind], &domid)))
                return rc;
            if ((rc = ctl_domain_info(domid, &info[n])))
                return xl_error("domain '%s' does not exist", argv[optind]);
        }
    }
    if (details) {
        xl_list_long(info, n);
        return 0;
    }
    fmt_list_header(verbose);
    for (int i = 0; i < n; i++) {
        name_of(info[i].domain, name, sizeof(name));
        fmt_list_row(name, &info[i], verbose);
    }
    return 0;
}

/* The commands that take one domain and do one thing to it. */
static int one_domain(int argc, char **argv, uint32_t *domid)
{
    if (argc != 2)
        return xl_usage(argv[0]);
    return xl_find_domain(argv[1], domid);
}

int main_pause(int argc, char **argv)
{
    uint32_t domid;
    int rc = one_domain(argc, argv, &domid);

    if (!rc && (rc = ctl_pause(domid)))
        return xl_error("cannot pause domain %u: %s", domid, strerror(-rc));
    return rc;
}

int main_unpause(int argc, char **argv)
{
    uint32_t domid;
    int rc = one_domain(argc, argv, &domid);

    if (!rc && (rc = ctl_unpause(domid)))
        return xl_error("cannot unpause domain %u: %s", domid, strerror(-rc));
    return rc;
}

int main_destroy(int argc, char **argv)
{
    bool force = argc > 1 && !strcmp(argv[1], "-f");
    uint32_t domid;
    int rc;

    if (force)
        argc--, argv++;
    if ((rc = one_domain(argc, argv, &domid)))
        return rc;
    if (domid == 0 && !force)
        return xl_error("not destroying domain 0; use -f to force");
    if ((rc = ts_domain_destroy(domid)))
        return xl_error("cannot destroy domain %u: %s", domid, strerror(-rc));
    return 0;
}

int main_domid(int argc, char **argv)
{
    uint32_t domid;
    int rc;

    if (argc != 2)
        return xl_usage("domid");
    rc = ts_find_domain(argv[1], &domid);
    if (rc)
        return xl_error("can't get domid of domain name '%s', maybe this domain does not exist",
                        argv[1]);
    fprintf(xl_out, "%u\n", domid);
    return 0;
}

int main_domname(int argc, char **argv)
{
    char name[TS_NAME_MAX], *end;
    unsigned long domid;

    if (argc != 2)
        return xl_usage("domname");
    domid = strtoul(argv[1], &end, 10);
    if (end == argv[1] || *end || domid >= DOMID_FIRST_RESERVED)
        return xl_error("invalid domain id '%s'", argv[1]);
    if (ts_domain_name((uint32_t)domid, name, sizeof(name)))
        return xl_error("can't get domain name of domain id '%lu', maybe this domain does not "
                        "exist", domid);
    fprintf(xl_out, "%s\n", name);
    return 0;
}

/* Dom0's age is Linux's own uptime, as Xen's xl reads it. */
static long dom0_uptime(void)
{
    FILE *f = fopen("/proc/uptime", "r");
    double up = -1;

    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = -1;
        fclose(f);
    }
    return (long)up;
}

static void uptime_row(uint32_t domid)
{
    char name[TS_NAME_MAX];
    long up = domid ? ts_domain_uptime(domid) : dom0_uptime();

    if (up < 0)
        return;                         /* no start time known: Xen's xl skips it too */
    name_of(domid, name, sizeof(name));
    fmt_uptime_row(name, domid, (unsigned long)up);
}

int main_uptime(int argc, char **argv)
{
    static xen_domctl_getdomaininfo_t info[MAX_LISTED];
    uint32_t domid;
    int n, rc;

    for (int i = 1; i < argc; i++)
        if ((rc = xl_find_domain(argv[i], &domid)))
            return rc;
    fmt_uptime_header();
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (!ts_find_domain(argv[i], &domid))
                uptime_row(domid);
        return 0;
    }
    if ((rc = list_all(info, MAX_LISTED, &n)))
        return rc;
    for (int i = 0; i < n; i++)
        uptime_row(info[i].domain);
    return 0;
}

/* xl rename <Domain> <NewDomainName> (libxl_domain_rename). */
int main_rename(int argc, char **argv)
{
    uint32_t domid;
    int rc;

    if (argc != 3)
        return xl_usage("rename");
    if ((rc = xl_find_domain(argv[1], &domid)))
        return rc;
    rc = ts_domain_rename(domid, argv[2]);
    if (rc == -EEXIST)
        return xl_error("Can't rename domain '%s': domain with name \"%s\" already exists.",
                        argv[1], argv[2]);
    if (rc)
        return xl_error("Can't rename domain '%s': %s", argv[1], strerror(-rc));
    return 0;
}
