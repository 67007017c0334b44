/*
 * xl's scheduler family: sched-credit (Xen's) and sched-sedf (kumo's SEDF, with the
 * options and columns SEDF had in Xen's xl until 4.5; times in ms on the command line).
 * kumo has one CPU pool, Pool-0, holding every domain.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"
#include "xl.h"

static const char *sched_name(uint32_t id)
{
    return id == XEN_SCHEDULER_CREDIT ? "credit" : id == KUMO_SCHEDULER_SEDF ? "sedf" :
           id == XEN_SCHEDULER_CREDIT2 ? "credit2" : "unknown";
}

/* The running scheduler must be `want`; else the error is printed. */
static int need_sched(uint32_t want)
{
    uint32_t id;
    int rc = ctl_sched_id(&id);

    if (rc)
        return xl_error("cannot read the scheduler: %s", strerror(-rc));
    if (id != want)
        return xl_error("the scheduler is %s, not %s", sched_name(id), sched_name(want));
    return 0;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    *out = strtoul(s, &end, 10);
    return end == s || *end || *out > max ? -EINVAL : 0;
}

static void credit_row(uint32_t domid)
{
    struct xen_domctl_sched_credit p = { 0 };
    char name[TS_NAME_MAX];

    if (ctl_sched_credit(domid, &p, false))
        return;
    if (ts_domain_name(domid, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    fmt_credit_row(name, domid, p.weight, p.cap);
}

static void sedf_row(uint32_t domid)
{
    struct kumo_domctl_sched_sedf p = { 0 };
    char name[TS_NAME_MAX];

    if (ctl_sched_sedf(domid, &p, false))
        return;
    if (ts_domain_name(domid, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    fmt_sedf_row(name, domid, &p);
}

/* Xen's sched_domain_output(): the pool line, the header, a row per domain. */
static int list_pool(void (*pool)(const char *), void (*header)(void), void (*row)(uint32_t))
{
    static xen_domctl_getdomaininfo_t info[256];
    int n = ctl_domain_list(0, info, 256);

    if (n < 0)
        return xl_error("cannot list domains: %s", strerror(-n));
    pool("Pool-0");
    header();
    for (int i = 0; i < n; i++)
        row(info[i].domain);
    return 0;
}

int main_sched_credit(int argc, char **argv)
{
    static const struct option opts[] = { { "domain", 1, NULL, 'd' },
                                          { "weight", 1, NULL, 'w' },
                                          { "cap", 1, NULL, 'c' }, { NULL, 0, NULL, 0 } };
    const char *dom = NULL, *w = NULL, *c = NULL;
    struct xen_domctl_sched_credit p;
    unsigned long weight = 0, cap = 0;
    uint32_t domid;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "d:w:c:", opts, NULL)) != -1) {
        if (opt == 'd')
            dom = optarg;
        else if (opt == 'w')
            w = optarg;
        else if (opt == 'c')
            c = optarg;
        else
            return xl_usage("sched-credit");
    }
    if (optind != argc)
        return xl_usage("sched-credit");
    if ((w && (number(w, 65535, &weight) || !weight)) || (c && number(c, 65535, &cap)))
        return xl_error("invalid weight or cap");
    if ((rc = need_sched(XEN_SCHEDULER_CREDIT)))
        return rc;
    if (!dom) {
        if (w || c)
            return xl_error("must specify a domain");
        return list_pool(fmt_credit_pool, fmt_credit_header, credit_row);
    }
    if ((rc = xl_find_domain(dom, &domid)))
        return rc;
    if (!w && !c) {
        fmt_credit_header();
        credit_row(domid);
        return 0;
    }
    if ((rc = ctl_sched_credit(domid, &p, false)))
        return xl_error("cannot read domain %u's parameters: %s", domid, strerror(-rc));
    if (w)
        p.weight = (uint16_t)weight;
    if (c)
        p.cap = (uint16_t)cap;
    if ((rc = ctl_sched_credit(domid, &p, true)))
        return xl_error("cannot set domain %u's parameters: %s", domid, strerror(-rc));
    return 0;
}

int main_sched_sedf(int argc, char **argv)
{
    const char *dom = NULL, *val[4] = { NULL };     /* period, slice, latency, extra */
    struct kumo_domctl_sched_sedf p;
    unsigned long ms[4];
    uint32_t domid;
    int opt, rc;

    while ((opt = getopt(argc, argv, "d:p:s:l:e:")) != -1) {
        const char *which = strchr("psle", opt);

        if (opt == 'd')
            dom = optarg;
        else if (which && opt)
            val[which - "psle"] = optarg;
        else
            return xl_usage("sched-sedf");
    }
    if (optind != argc)
        return xl_usage("sched-sedf");
    for (int i = 0; i < 4; i++)
        if (val[i] && number(val[i], i == 3 ? 1 : 1000000, &ms[i]))
            return xl_error("invalid SEDF parameter '%s'", val[i]);
    if ((rc = need_sched(KUMO_SCHEDULER_SEDF)))
        return rc;
    if (!dom) {
        if (val[0] || val[1] || val[2] || val[3])
            return xl_error("must specify a domain");
        return list_pool(fmt_sedf_pool, fmt_sedf_header, sedf_row);
    }
    if ((rc = xl_find_domain(dom, &domid)))
        return rc;
    if (!val[0] && !val[1] && !val[2] && !val[3]) {
        fmt_sedf_header();
        sedf_row(domid);
        return 0;
    }
    if ((rc = ctl_sched_sedf(domid, &p, false)))
        return xl_error("cannot read domain %u's parameters: %s", domid, strerror(-rc));
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
