/*
 * xl's domain family (Xen's xl_info.c, xl_vmcontrol.c, xl_misc.c): list, pause, unpause,
 * destroy, domid, domname, uptime, rename.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toolstack/toolstack.h"
#include "xl.h"

#define MAX_LISTED 256
/* libxl's error codes, which Xen's xl prints as "rc=". */
#define LIBXL_ERROR_FAIL (-3)
#define LIBXL_ERROR_INVAL (-6)
#define LIBXL_ERROR_DOMAIN_NOTFOUND (-21)

/*
 * Xen's find_domain(): digits are a domid taken as they are (the command then finds out
 * whether it exists, with its own words), anything else must be a domain's name.
 */
int xl_find_domain(const char *arg, uint32_t *domid)
{
    const char *p = arg;
    int rc;

    while (*p >= '0' && *p <= '9')
        p++;
    if (!*p) {
        *domid = (uint32_t)strtoul(arg, NULL, 10);
        return 0;
    }
    rc = ts_domain_by_name(arg, domid);
    if (rc == -ESRCH)
        return xl_error("%s is an invalid domain identifier (rc=%d)", arg, LIBXL_ERROR_INVAL);
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

/* xl list [-l] [-v] [-Z] [-c] [-n] [Domain] (xl_info.c main_list): one domain at most. */
int main_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "long", no_argument, NULL, 'l' }, { "verbose", no_argument, NULL, 'v' },
        { "context", no_argument, NULL, 'Z' }, { "cpupool", no_argument, NULL, 'c' },
        { "numa", no_argument, NULL, 'n' }, XL_LONG_HELP,
    };
    static xen_domctl_getdomaininfo_t info[MAX_LISTED];
    struct list_columns cols = { false };
    char name[TS_NAME_MAX];
    bool details = false;
    uint32_t domid;
    int opt, n = 0, rc;

    while ((opt = xl_getopt(argc, argv, "lvZcn", opts, "list", 0, &rc)) != -1) {
        switch (opt) {
        case XL_OPT_EXIT: return rc;
        case 'l': details = true; break;
        case 'v': cols.verbose = true; break;
        case 'Z': cols.context = true; break;
        case 'c': cols.cpupool = true; break;
        case 'n': cols.numa = true; break;
        }
    }
    if (optind < argc - 1)
        return xl_usage("list");
    if (optind == argc && (rc = list_all(info, MAX_LISTED, &n)))
        return rc;
    if (optind == argc - 1) {
        if ((rc = xl_find_domain(argv[optind], &domid)))
            return rc;
        if (ctl_domain_info(domid, &info[n++]))
            return xl_error("Error: Domain '%s' does not exist.", argv[optind]);
    }
    if (details) {
        xl_list_long(info, n);
        return 0;
    }
    fmt_list_header(&cols);
    for (int i = 0; i < n; i++) {
        name_of(info[i].domain, name, sizeof(name));
        fmt_list_row(name, &info[i], &cols);
    }
    return 0;
}

/*
 * The commands that take one domain and do one thing to it: 0, the exit status, or -1
 * when the help was asked for.
 */
static int one_domain(int argc, char **argv, const char *cmd, const char *opts, bool *flag,
                      uint32_t *domid)
{
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, opts, NULL, cmd, 1, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc ? rc : -1;
        *flag = true;
    }
    return xl_find_domain(argv[optind], domid);
}

/* A status for the caller: -1 (help printed) becomes success. */
static int done(int rc)
{
    return rc < 0 ? 0 : rc;
}

int main_pause(int argc, char **argv)
{
    uint32_t domid;
    int rc = one_domain(argc, argv, "pause", "", NULL, &domid);

    if (!rc && (rc = ctl_pause(domid)))
        return xl_error("cannot pause domain %u: %s", domid, strerror(-rc));
    return done(rc);
}

int main_unpause(int argc, char **argv)
{
    uint32_t domid;
    int rc = one_domain(argc, argv, "unpause", "", NULL, &domid);

    if (!rc && (rc = ctl_unpause(domid)))
        return xl_error("cannot unpause domain %u: %s", domid, strerror(-rc));
    return done(rc);
}

int main_destroy(int argc, char **argv)
{
    bool force = false;
    uint32_t domid;
    int rc = one_domain(argc, argv, "destroy", "f", &force, &domid);

    if (rc)
        return done(rc);
    if (domid == 0 && !force)
        return xl_error("Not destroying domain 0; use -f to force.");
    if ((rc = ts_domain_destroy(domid)))
        return xl_error("destroy failed (rc=%d)",
                        rc == -ESRCH ? LIBXL_ERROR_DOMAIN_NOTFOUND : LIBXL_ERROR_FAIL);
    return 0;
}

/* xl domid <DomainName>: names only, as libxl_name_to_domid(). */
int main_domid(int argc, char **argv)
{
    uint32_t domid;
    int rc;

    if (xl_getopt(argc, argv, "", NULL, "domid", 1, &rc) != -1)
        return rc;                      /* help, or an argument missing */
    if (ts_domain_by_name(argv[optind], &domid))
        return xl_error("Can't get domid of domain name '%s', maybe this domain does not "
                        "exist.", argv[optind]);
    fprintf(xl_out, "%u\n", domid);
    return 0;
}

/* xl domname <DomainId>: the id read as Xen's strtol() reads it, junk after digits and all. */
int main_domname(int argc, char **argv)
{
    char name[TS_NAME_MAX], *end;
    uint32_t domid;
    int rc;

    if (xl_getopt(argc, argv, "", NULL, "domname", 1, &rc) != -1)
        return rc;                      /* help, or an argument missing */
    domid = (uint32_t)strtol(argv[optind], &end, 10);
    if (domid == 0 && end == argv[optind])
        return xl_error("Invalid domain id.");
    if (ts_domain_name(domid, name, sizeof(name)))
        return xl_error("Can't get domain name of domain id '%u', maybe this domain does not "
                        "exist.", domid);
    fprintf(xl_out, "%s\n", name);
    return 0;
}

/* Dom0's age is Linux's own uptime in whole seconds, as Xen's xl reads it. */
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

static void uptime_row(uint32_t domid, bool short_mode, time_t now)
{
    char name[TS_NAME_MAX];
    long up = domid ? ts_domain_uptime(domid) : dom0_uptime();

    if (up < 0)
        return;                         /* no start time known: Xen's xl skips it too */
    name_of(domid, name, sizeof(name));
    if (short_mode)
        fmt_uptime_short(name, domid, (unsigned long)up, now);
    else
        fmt_uptime_row(name, domid, (unsigned long)up);
}

/* xl uptime [-s] [Domain ...]: Dom0 first, then the others in id order. */
int main_uptime(int argc, char **argv)
{
    static xen_domctl_getdomaininfo_t info[MAX_LISTED];
    static uint32_t doms[MAX_LISTED];
    time_t now = time(NULL);
    bool short_mode = false;
    int opt, n = 0, rc;

    while ((opt = xl_getopt(argc, argv, "s", NULL, "uptime", 0, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        short_mode = true;
    }
    for (; optind < argc && n < MAX_LISTED; optind++, n++)
        if ((rc = xl_find_domain(argv[optind], &doms[n])))
            return rc;
    if (!n) {
        if ((rc = list_all(info, MAX_LISTED, &n)))
            return rc;
        for (int i = 0; i < n; i++)
            doms[i] = info[i].domain;
    }
    if (!short_mode)
        fmt_uptime_header();
    for (int i = 0; i < n; i++)
        uptime_row(doms[i], short_mode, now);
    return 0;
}

/* xl rename <Domain> <NewDomainName> (libxl_domain_rename). */
int main_rename(int argc, char **argv)
{
    uint32_t domid;
    int rc;

    if (xl_getopt(argc, argv, "", NULL, "rename", 2, &rc) != -1)
        return rc;                      /* help, or an argument missing */
    argv += optind - 1;
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
