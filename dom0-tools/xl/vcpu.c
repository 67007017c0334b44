/*
 * xl's vCPU family (Xen's xl_vcpu.c): vcpu-list, vcpu-pin (Xen's cpu-list syntax, hard and
 * soft affinity) and vcpu-set.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"
#include "xl.h"

/* libxl_get_max_cpus(): the highest pCPU id + 1 (kumo's masks stop at 64). */
static int nr_pcpus(unsigned int *nr)
{
    struct xen_sysctl_physinfo pi;
    int rc = ctl_physinfo(&pi);

    if (rc)
        return xl_error("libxl_physinfo failed.");
    *nr = pi.max_cpu_id + 1 > 64 ? 64 : pi.max_cpu_id + 1;
    return 0;
}

/* One domain's rows; 1 when it has none to show (gone, as libxl_list_vcpu fails). */
static int list_domain_vcpus(uint32_t domid, unsigned int nr_cpus)
{
    char name[TS_NAME_MAX], hard[160], soft[160];
    xen_domctl_getdomaininfo_t d;

    if (ctl_domain_info(domid, &d))
        return xl_error("Domain %u does not exist.", domid);
    if (ts_domain_name(domid, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    for (uint32_t v = 0; v <= d.max_vcpu_id && d.max_vcpu_id != XEN_INVALID_MAX_VCPU_ID;
         v++) {
        struct xen_domctl_getvcpuinfo info;
        uint64_t mask = 0, soft_mask = ~0ULL;

        if (ctl_vcpu_info(domid, v, &info))
            continue;                   /* a vCPU id the domain never made */
        ctl_vcpu_affinity(domid, v, &mask, false);
        ctl_vcpu_soft_affinity(domid, v, &soft_mask, false);
        ts_format_cpumap(mask, nr_cpus, hard, sizeof(hard));
        ts_format_cpumap(soft_mask, nr_cpus, soft, sizeof(soft));
        fmt_vcpu_row(name, domid, v, &info, hard, soft);
    }
    return 0;
}

/* xl vcpu-list [Domain ...]: the header, then each domain as it is found. */
int main_vcpulist(int argc, char **argv)
{
    static xen_domctl_getdomaininfo_t info[256];
    unsigned int nr_cpus = 0;
    uint32_t domid;
    int n, rc, status = 0;

    if (xl_getopt(argc, argv, "", NULL, "vcpu-list", 0, &rc) != -1)
        return rc;
    if ((rc = nr_pcpus(&nr_cpus)))
        return rc;
    fmt_vcpu_header();
    if (optind == argc) {
        if ((n = ctl_domain_list(0, info, 256)) < 0)
            return xl_error("libxl_list_domain failed.");
        for (int i = 0; i < n; i++)
            list_domain_vcpus(info[i].domain, nr_cpus);
        return 0;
    }
    for (; optind < argc; optind++) {
        if ((rc = xl_find_domain(argv[optind], &domid)))
            return rc;
        status |= list_domain_vcpus(domid, nr_cpus);
    }
    return status;
}

/*
 * Xen's parse_cpurange() on one affinity argument: items split at commas (empty ones
 * skipped), each N, N-M, all, node:/nodes: followed by those, any but "all" after "^"
 * to take CPUs away. CPUs past the host's are dropped, as libxl's bitmap drops them.
 */
static int parse_affinity(const char *arg, unsigned int nr_cpus, uint64_t *mask)
{
    char buf[256], *save = NULL;

    if (strlen(arg) >= sizeof(buf))
        return xl_error("Invalid pcpu range: %s.", arg);
    snprintf(buf, sizeof(buf), "%s", arg);
    *mask = 0;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        bool negate = *item == '^';
        const char *range = item + negate;
        uint64_t bits;

        if (!strncmp(range, "node:", 5) || !strncmp(range, "nodes:", 6))
            range = strchr(range, ':') + 1;
        if (!strcmp(range, "all") && negate)
            return xl_error("Can't combine \"^\" and \"all\".");
        if (ts_parse_cpulist(strcmp(range, "all") ? item + negate : "all", 64, &bits))
            return xl_error("Invalid pcpu range: %s.", range);
        *mask = negate ? *mask & ~bits : *mask | bits;
    }
    *mask &= nr_cpus >= 64 ? ~0ULL : (1ULL << nr_cpus) - 1;
    return 0;
}

/* xl -N vcpu-pin: the maps Xen's xl would set, set nowhere. */
static int vcpupin_dryrun(const uint64_t *hard, const uint64_t *soft, unsigned int nr_cpus)
{
    char map[160];

    ts_format_cpumap(hard ? *hard : 0, nr_cpus, map, sizeof(map));
    fprintf(xl_out, "cpumap: %s", hard ? map : "-");
    if (soft) {
        ts_format_cpumap(*soft, nr_cpus, map, sizeof(map));
        fprintf(xl_out, " %s", map);
    }
    fprintf(xl_out, "\n");
    return 0;
}

/* The affinities given (NULL: left alone) of vCPU first..last, as libxl sets them. */
static int vcpupin_set(uint32_t domid, long vcpu, const uint64_t *hard, const uint64_t *soft)
{
    xen_domctl_getdomaininfo_t d;
    uint32_t first = (uint32_t)vcpu, last = (uint32_t)vcpu;

    if (vcpu < 0) {
        if (ctl_domain_info(domid, &d))
            return xl_error("libxl_list_vcpu failed.");
        first = 0;
        last = d.max_vcpu_id;
    }
    for (uint32_t v = first; v <= last; v++) {
        uint64_t h = hard ? *hard : 0, s = soft ? *soft : 0;

        if ((hard && ctl_vcpu_affinity(domid, v, &h, true)) ||
            (soft && ctl_vcpu_soft_affinity(domid, v, &s, true)))
            return vcpu < 0 ? xl_error("Could not set affinity.") :
                              xl_error("Could not set affinity for vcpu `%ld'.", vcpu);
    }
    return 0;
}

/* xl vcpu-pin [-f] <Domain> <VCPU|all> <Hard affinity|-|all> [Soft affinity|-|all]. */
int main_vcpupin(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "ignore-global-affinity-masks", no_argument, NULL, 'i' }, XL_LONG_HELP,
    };
    uint64_t hard = 0, soft = 0;
    bool force = false, have_hard, have_soft;
    unsigned int nr_cpus = 0;
    uint32_t domid;
    long vcpu;
    char *end;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "fi", opts, "vcpu-pin", 3, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        force |= opt == 'f';            /* nothing to force: kumo has no cpupools */
    }
    argv += optind;
    argc -= optind;
    if ((rc = xl_find_domain(argv[0], &domid)))
        return rc;
    vcpu = strtol(argv[1], &end, 10);
    if (end == argv[1] || vcpu < 0) {
        if (strcmp(argv[1], "all"))
            return xl_error("Error: Invalid argument %s as VCPU.", argv[1]);
        if (force)
            return xl_error("Error: --force and 'all' as VCPU not allowed.");
        vcpu = -1;
    }
    if ((rc = nr_pcpus(&nr_cpus)))
        return rc;
    have_hard = strcmp(argv[2], "-");
    have_soft = argc > 3 && strcmp(argv[3], "-");
    if ((have_hard && (rc = parse_affinity(argv[2], nr_cpus, &hard))) ||
        (have_soft && (rc = parse_affinity(argv[3], nr_cpus, &soft))))
        return rc;
    if (xl_dryrun)
        return vcpupin_dryrun(have_hard ? &hard : NULL, have_soft ? &soft : NULL, nr_cpus);
    return vcpupin_set(domid, vcpu, have_hard ? &hard : NULL, have_soft ? &soft : NULL);
}

/* xl vcpu-set [--ignore-host] <Domain> <vCPUs> (xl_vcpu.c vcpuset()). */
int main_vcpuset(int argc, char **argv)
{
    static const struct option opts[] = { { "ignore-host", no_argument, NULL, 'i' },
                                          XL_LONG_HELP };
    xen_domctl_getdomaininfo_t d;
    bool check_host = true;
    unsigned int nr_cpus = 0;
    unsigned long want;
    uint32_t domid;
    char *end;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "i", opts, "vcpu-set", 2, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        check_host = false;
    }
    argv += optind - 1;
    if ((rc = xl_find_domain(argv[1], &domid)))
        return rc;
    want = strtoul(argv[2], &end, 10);
    if (end == argv[2] || want > INT_MAX)
        return xl_error("Error: Invalid argument.");
    if ((rc = nr_pcpus(&nr_cpus)) || (rc = ctl_domain_info(domid, &d)))
        return rc > 0 ? rc : xl_error("Domain %u does not exist.", domid);
    if (check_host && want > d.nr_online_vcpus && want > nr_cpus)
        return xl_error("You are overcommmitting! You have %u physical CPUs and want %lu "
                        "vCPUs! Aborting, use --ignore-host to continue", nr_cpus, want);
    rc = ts_set_vcpus_online(domid, (unsigned int)want);
    if (rc == -ERANGE)
        return xl_error("libxl_set_vcpuonline failed domid=%u max_vcpus=%lu, rc: -3 "
                        "(Requested %lu VCPUs, however maxcpus is %u!)", domid, want, want,
                        d.max_vcpu_id + 1);
    if (rc)
        return xl_error("libxl_set_vcpuonline failed domid=%u max_vcpus=%lu, rc: -3 (%s)",
                        domid, want, strerror(-rc));
    return 0;
}
