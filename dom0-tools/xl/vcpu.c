/*
 * xl's vCPU family: vcpu-list and vcpu-pin (Xen's cpu-list syntax, libs/toolstack).
 * kumo keeps soft affinity out of scheduling: it is shown as "all" and accepted unused.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"
#include "xl.h"

static int nr_pcpus(unsigned int *nr)
{
    struct xen_sysctl_physinfo pi;
    int rc = ctl_physinfo(&pi);

    if (rc)
        return xl_error("cannot read the host's CPUs: %s", strerror(-rc));
    *nr = pi.max_cpu_id + 1 > 64 ? 64 : pi.max_cpu_id + 1;
    return 0;
}

static int list_domain_vcpus(const xen_domctl_getdomaininfo_t *d, unsigned int nr_cpus)
{
    char name[TS_NAME_MAX], hard[160], soft[160];

    if (ts_domain_name(d->domain, name, sizeof(name)))
        snprintf(name, sizeof(name), "(null)");
    ts_format_cpumap(~0ULL, nr_cpus, soft, sizeof(soft));
    for (uint32_t v = 0; v <= d->max_vcpu_id && d->max_vcpu_id != XEN_INVALID_MAX_VCPU_ID;
         v++) {
        struct xen_domctl_getvcpuinfo info;
        uint64_t mask = 0;

        if (ctl_vcpu_info(d->domain, v, &info))
            continue;                   /* a vCPU id the domain never made */
        ctl_vcpu_affinity(d->domain, v, &mask, false);
        ts_format_cpumap(mask, nr_cpus, hard, sizeof(hard));
        fmt_vcpu_row(name, d->domain, v, &info, hard, soft);
    }
    return 0;
}

int main_vcpulist(int argc, char **argv)
{
    static xen_domctl_getdomaininfo_t info[256];
    unsigned int nr_cpus = 0;
    uint32_t domid;
    int n = 0, rc;

    if ((rc = nr_pcpus(&nr_cpus)))
        return rc;
    for (int i = 1; i < argc && n < 256; i++, n++) {
        if ((rc = xl_find_domain(argv[i], &domid)))
            return rc;
        if (ctl_domain_info(domid, &info[n]))
            return xl_error("domain '%s' does not exist", argv[i]);
    }
    if (argc == 1 && (n = ctl_domain_list(0, info, 256)) < 0)
        return xl_error("cannot list domains: %s", strerror(-n));
    fmt_vcpu_header();
    for (int i = 0; i < n; i++)
        list_domain_vcpus(&info[i], nr_cpus);
    return 0;
}

int main_vcpupin(int argc, char **argv)
{
    xen_domctl_getdomaininfo_t d;
    unsigned int nr_cpus = 0, first = 0, last;
    uint64_t mask;
    uint32_t domid;
    char *end;
    int rc;

    if (argc > 1 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "--force")))
        argc--, argv++;                 /* nothing is forced: kumo has no cpupools */
    if (argc != 4 && argc != 5)
        return xl_usage("vcpu-pin");
    if ((rc = xl_find_domain(argv[1], &domid)) || (rc = nr_pcpus(&nr_cpus)))
        return rc;
    if ((rc = ctl_domain_info(domid, &d)))
        return xl_error("domain %u does not exist", domid);
    last = d.max_vcpu_id;
    if (strcmp(argv[2], "all")) {
        first = last = (unsigned int)strtoul(argv[2], &end, 10);
        if (end == argv[2] || *end || first > d.max_vcpu_id)
            return xl_error("invalid vCPU '%s' for domain %u", argv[2], domid);
    }
    if (!strcmp(argv[3], "-"))
        return 0;                       /* hard affinity left alone; soft is not used */
    if (ts_parse_cpulist(argv[3], nr_cpus, &mask) || !mask)
        return xl_error("invalid CPU list '%s'", argv[3]);
    if (argc == 5 && strcmp(argv[4], "-") && ts_parse_cpulist(argv[4], nr_cpus, &(uint64_t){ 0 }))
        return xl_error("invalid CPU list '%s'", argv[4]);
    for (unsigned int v = first; v <= last; v++) {
        uint64_t m = mask;

        if ((rc = ctl_vcpu_affinity(domid, v, &m, true)))
            return xl_error("cannot pin vCPU %u of domain %u: %s", v, domid, strerror(-rc));
    }
    return 0;
}

/* xl vcpu-set [--ignore-host] <Domain> <vCPUs> (xl_vcpu.c vcpuset()). */
int main_vcpuset(int argc, char **argv)
{
    xen_domctl_getdomaininfo_t d;
    bool check_host = true;
    unsigned int nr_cpus = 0;
    unsigned long want;
    uint32_t domid;
    char *end;
    int rc;

    if (argc > 1 && (!strcmp(argv[1], "-i") || !strcmp(argv[1], "--ignore-host")))
        check_host = false, argc--, argv++;
    if (argc != 3)
        return xl_usage("vcpu-set");
    if ((rc = xl_find_domain(argv[1], &domid)))
        return rc;
    want = strtoul(argv[2], &end, 10);
    if (end == argv[2] || *end || want > INT_MAX)
        return xl_error("Error: Invalid argument %s as number of vcpus.", argv[2]);
    if ((rc = nr_pcpus(&nr_cpus)) || (rc = ctl_domain_info(domid, &d)))
        return rc > 0 ? rc : xl_error("Domain %u does not exist.", domid);
    if (check_host && want > d.nr_online_vcpus && want > nr_cpus)
        return xl_error("You are overcommmitting! You have %u physical CPUs and want %lu "
                        "vCPUs! Aborting, use --ignore-host  to continue", nr_cpus, want);
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
