/*
 * xl's scheduler family (Xen's xl_sched.c): sched-credit, and sched-sedf for kumo's SEDF
 * with the options and columns SEDF had in Xen's xl until 4.5 (times in ms). kumo has one
 * CPU pool, Pool-0, holding every domain; a listing shows a pool only when the command's
 * scheduler runs it, as Xen's does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"
#include "xl.h"

/* Whether the running scheduler is `want` (Pool-0's is the only one); -errno if unknown. */
static int sched_is(uint32_t want)
{
    uint32_t id;
    int rc = ctl_sched_id(&id);

    return rc ? rc : id == want;
}

/* Xen's sched_domain_get(): a domain's parameters under `want`, or the error printed. */
static int domain_params(uint32_t want, uint32_t domid, void *p)
{
    xen_domctl_getdomaininfo_t d;
    uint32_t id;

    if (ctl_domain_info(domid, &d) || ctl_sched_id(&id))
        return xl_error("libxl_domain_sched_params_get failed.");
    if (id != want)
        return xl_error("libxl_domain_sched_params_get returned %s not %s.",
                        fmt_sched_name(id), fmt_sched_name(want));
    if (want == XEN_SCHEDULER_CREDIT ? ctl_sched_credit(domid, p, false) :
                                       ctl_sched_sedf(domid, p, false))
        return xl_error("libxl_domain_sched_params_get failed.");
    return 0;
}

/* A cpupool argument: kumo has Pool-0 only (by name or id). */
static int pool_ok(const char *pool)
{
    if (pool && strcmp(pool, "Pool-0") && strcmp(pool, "0"))
        return xl_error("unknown cpupool '%s'", pool);
    return 0;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    *out = strtoul(s, &end, 10);
    return end == s || *end || *out > max ? -EINVAL : 0;
}

static int credit_row(uint32_t domid)
{
    struct xen_domctl_sched_credit p = { 0 };
    char name[TS_NAME_MAX];
    int rc = domain_params(XEN_SCHEDULER_CREDIT, domid, &p);

    if (rc)
        return rc;
    if (ts_domain_name(domid, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    fmt_credit_row(name, domid, p.weight, p.cap);
    return 0;
}

static int sedf_row(uint32_t domid)
{
    struct kumo_domctl_sched_sedf p = { 0 };
    char name[TS_NAME_MAX];
    int rc = domain_params(KUMO_SCHEDULER_SEDF, domid, &p);

    if (rc)
        return rc;
    if (ts_domain_name(domid, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    fmt_sedf_row(name, domid, &p);
    return 0;
}

/*
 * Xen's sched_domain_output(): for each pool run by `sched` (kumo's one pool, when it is),
 * the pool line, the header, a row per domain; nothing at all for a pool run by another.
 */
static int list_pool(uint32_t sched, void (*pool)(const char *), void (*header)(void),
                     int (*row)(uint32_t))
{
    static xen_domctl_getdomaininfo_t info[256];
    int n, is = sched_is(sched);

    if (is <= 0)
        return is ? xl_error("error getting cpupool info") : 0;
    if ((n = ctl_domain_list(0, info, 256)) < 0)
        return xl_error("libxl_list_domain failed.");
    pool("Pool-0");
    header();
    for (int i = 0; i < n && !row(info[i].domain); i++)
        ;
    return 0;
}

struct credit_args {
    const char *dom, *pool;
    long weight, cap, tslice, ratelimit, migr_delay;
    bool w, c, s, t, r, m;
};

/* The options, as Xen's main_sched_credit() takes them; -1, or the exit status. */
static int credit_options(int argc, char **argv, struct credit_args *a)
{
    static const struct option opts[] = {
        { "domain", required_argument, NULL, 'd' }, { "weight", required_argument, NULL, 'w' },
        { "cap", required_argument, NULL, 'c' }, { "schedparam", no_argument, NULL, 's' },
        { "tslice_ms", required_argument, NULL, 't' },
        { "ratelimit_us", required_argument, NULL, 'r' },
        { "migration_delay_us", required_argument, NULL, 'm' },
        { "cpupool", required_argument, NULL, 'p' }, XL_LONG_HELP,
    };
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "d:w:c:p:t:r:m:s", opts, "sched-credit", 0, &rc)) !=
           -1) {
        switch (opt) {
        case XL_OPT_EXIT: return rc;
        case 'd': a->dom = optarg; break;
        case 'w': a->weight = strtol(optarg, NULL, 10), a->w = true; break;
        case 'c': a->cap = strtol(optarg, NULL, 10), a->c = true; break;
        case 'p': a->pool = optarg; break;
        case 's': a->s = true; break;
        case 't': a->tslice = strtol(optarg, NULL, 10), a->t = true; break;
        case 'r': a->ratelimit = strtol(optarg, NULL, 10), a->r = true; break;
        case 'm': a->migr_delay = strtol(optarg, NULL, 10), a->m = true; break;
        }
    }
    if ((a->pool || a->s) && (a->dom || a->w || a->c))
        return xl_error("Specifying a cpupool or schedparam is not allowed with domain "
                        "options.");
    if (!a->dom && (a->w || a->c))
        return xl_error("Must specify a domain.");
    if (!a->s && (a->t || a->r || a->m))
        return xl_error("Must specify schedparam to set schedule parameter values.");
    return -1;
}

/* Weight and cap set as libxl sets them, with its ranges. */
static int credit_set(uint32_t domid, const struct credit_args *a)
{
    struct xen_domctl_sched_credit p;
    xen_domctl_getdomaininfo_t d;
    int rc;

    if (ctl_domain_info(domid, &d) || (rc = sched_is(XEN_SCHEDULER_CREDIT)) <= 0 ||
        ctl_sched_credit(domid, &p, false))
        return xl_error("libxl_domain_sched_params_set failed.");
    if (a->w && (a->weight < 1 || a->weight > 65535))
        return xl_error("Cpu weight out of range, valid values are within range from 1 to "
                        "65535");
    if (a->c && (a->cap < 0 || a->cap > (long)(d.max_vcpu_id + 1) * 100))
        return xl_error("Cpu cap out of range, valid range is from 0 to %u for specified "
                        "number of vcpus", (d.max_vcpu_id + 1) * 100);
    if (a->w)
        p.weight = (uint16_t)a->weight;
    if (a->c)
        p.cap = (uint16_t)a->cap;
    if ((rc = ctl_sched_credit(domid, &p, true)))
        return xl_error("libxl_domain_sched_params_set failed.");
    return 0;
}

/* The pool's parameters changed as libxl_sched_credit_params_set() checks them. */
static int credit_pool_set(const struct credit_args *a)
{
    struct xen_sysctl_credit_schedule p;

    if (ctl_sched_credit_pool(&p, false))
        return xl_error("libxl_sched_credit_params_get failed.");
    if (a->t)
        p.tslice_ms = (uint32_t)a->tslice;
    if (a->r)
        p.ratelimit_us = (uint32_t)a->ratelimit;
    if (a->m)
        p.vcpu_migr_delay_us = (uint32_t)a->migr_delay;
    if ((a->t && (a->tslice < XEN_SYSCTL_CSCHED_TSLICE_MIN ||
                  a->tslice > XEN_SYSCTL_CSCHED_TSLICE_MAX)))
        return xl_error("Time slice out of range, valid range is from %d to %d",
                        XEN_SYSCTL_CSCHED_TSLICE_MIN, XEN_SYSCTL_CSCHED_TSLICE_MAX);
    if (a->r && a->ratelimit && (a->ratelimit < XEN_SYSCTL_SCHED_RATELIMIT_MIN ||
                                 a->ratelimit > XEN_SYSCTL_SCHED_RATELIMIT_MAX))
        return xl_error("Ratelimit out of range, valid range is from %d to %d",
                        XEN_SYSCTL_SCHED_RATELIMIT_MIN, XEN_SYSCTL_SCHED_RATELIMIT_MAX);
    if ((uint64_t)p.ratelimit_us > (uint64_t)p.tslice_ms * 1000)
        return xl_error("Ratelimit cannot be greater than timeslice");
    if (a->m && (a->migr_delay < 0 || a->migr_delay > XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US))
        return xl_error("vcpu migration delay should be >= 0 and <= %dus",
                        XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US);
    if (ctl_sched_credit_pool(&p, true))
        return xl_error("libxl_sched_credit_params_set failed.");
    return 0;
}

/* xl sched-credit [-d <Domain> [-w W] [-c C]] [-s [-t ms] [-r us] [-m us]] [-p pool]. */
int main_sched_credit(int argc, char **argv)
{
    struct credit_args a = { 0 };
    uint32_t domid;
    int rc = credit_options(argc, argv, &a);

    if (rc != -1)
        return rc;
    if ((rc = pool_ok(a.pool)))
        return rc;
    if (a.s && (a.t || a.r || a.m))
        return credit_pool_set(&a);
    if (a.s) {
        fmt_credit_pool("Pool-0");
        return 0;
    }
    if (!a.dom)
        return list_pool(XEN_SCHEDULER_CREDIT, fmt_credit_pool, fmt_credit_header, credit_row);
    if ((rc = xl_find_domain(a.dom, &domid)))
        return rc;
    if (a.w || a.c)
        return credit_set(domid, &a);
    fmt_credit_header();
    return credit_row(domid);
}

/* xl sched-sedf, as Xen 4.5's xl had it (times in ms), for kumo's SEDF. */
int main_sched_sedf(int argc, char **argv)
{
    static const struct option opts[] = {
        { "domain", required_argument, NULL, 'd' }, { "period", required_argument, NULL, 'p' },
        { "slice", required_argument, NULL, 's' }, { "latency", required_argument, NULL, 'l' },
        { "extra", required_argument, NULL, 'e' }, { "cpupool", required_argument, NULL, 'c' },
        XL_LONG_HELP,
    };
    const char *dom = NULL, *pool = NULL;
    const char *val[4] = { NULL };      /* period, slice, latency, extra */
    struct kumo_domctl_sched_sedf p;
    unsigned long ms[4];
    uint32_t domid;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "d:p:s:l:e:c:", opts, "sched-sedf", 0, &rc)) != -1) {
        const char *which = strchr("psle", opt);

        if (opt == XL_OPT_EXIT)
            return rc;
        if (opt == 'd')
            dom = optarg;
        else if (opt == 'c')
            pool = optarg;
        else if (which)
            val[which - "psle"] = optarg;
    }
    if (pool && (dom || val[0] || val[1] || val[2] || val[3]))
        return xl_error("Specifying a cpupool is not allowed with other options.");
    if (!dom && (val[0] || val[1] || val[2] || val[3]))
        return xl_error("Must specify a domain.");
    for (int i = 0; i < 4; i++)
        if (val[i] && number(val[i], i == 3 ? 1 : 1000000, &ms[i]))
            return xl_error("invalid SEDF parameter '%s'", val[i]);
    if ((rc = pool_ok(pool)))
        return rc;
    if (!dom)
        return list_pool(KUMO_SCHEDULER_SEDF, fmt_sedf_pool, fmt_sedf_header, sedf_row);
    if ((rc = xl_find_domain(dom, &domid)))
        return rc;
    if (!val[0] && !val[1] && !val[2] && !val[3]) {
        fmt_sedf_header();
        return sedf_row(domid);
    }
    if (sched_is(KUMO_SCHEDULER_SEDF) <= 0 || ctl_sched_sedf(domid, &p, false))
        return xl_error("libxl_domain_sched_params_set failed.");
    if (val[0])
        p.period = ms[0] * 1000000ULL;
    if (val[1])
        p.slice = ms[1] * 1000000ULL;
    if (val[2])
        p.latency = ms[2] * 1000000ULL;
    if (val[3])
        p.extratime = (uint16_t)ms[3];
    if ((rc = ctl_sched_sedf(domid, &p, true)))
        return xl_error("cannot set domain %u's parameters: %s", domid, strerror(-rc));
    return 0;
}
