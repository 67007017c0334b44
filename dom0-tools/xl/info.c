/*
 * xl's host family (Xen's xl_info.c, xl_misc.c): info (Xen's keys, in Xen's order),
 * dmesg [-c] and debug-keys.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "xl.h"

static const char *sched_string(void)
{
    uint32_t id;

    return ctl_sched_id(&id) ? "(null)" : fmt_sched_name(id);
}

static void info_host(const char *f)
{
    struct utsname u;

    if (uname(&u))
        return;
    fmt_info(f, "host", "%s", u.nodename);
    fmt_info(f, "release", "%s", u.release);
    fmt_info(f, "version", "%s", u.version);
    fmt_info(f, "machine", "%s", u.machine);
}

static int info_phys(const char *f, unsigned long pagesize)
{
    struct xen_sysctl_physinfo pi;
    unsigned long per_mib = (1UL << 20) / pagesize;
    const uint32_t *c = pi.hw_cap;
    int rc = ctl_physinfo(&pi);

    if (rc)
        return xl_error("cannot read the host's physinfo: %s", strerror(-rc));
    fmt_info(f, "nr_cpus", "%d", pi.nr_cpus);
    fmt_info(f, "max_cpu_id", "%d", pi.max_cpu_id);
    fmt_info(f, "nr_nodes", "%d", pi.nr_nodes);
    fmt_info(f, "cores_per_socket", "%d", pi.cores_per_socket);
    fmt_info(f, "threads_per_core", "%d", pi.threads_per_core);
    fmt_info(f, "cpu_mhz", "%d.%03d", pi.cpu_khz / 1000, pi.cpu_khz % 1000);
    fmt_info(f, "hw_caps", "%08x:%08x:%08x:%08x:%08x:%08x:%08x:%08x", c[0], c[1], c[2], c[3],
             c[4], c[5], c[6], c[7]);
    /* Xen's words each start with a space, printed right after the colon. */
    fmt_info(f, "virt_caps", "%s%s%s%s%s%s%s%s%s%s%s",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_pv ? " pv" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_hvm ? " hvm" : "",
             (pi.capabilities & XEN_SYSCTL_PHYSCAP_hvm) &&
             (pi.capabilities & XEN_SYSCTL_PHYSCAP_directio) ? " hvm_directio" : "",
             (pi.capabilities & XEN_SYSCTL_PHYSCAP_pv) &&
             (pi.capabilities & XEN_SYSCTL_PHYSCAP_directio) ? " pv_directio" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_hap ? " hap" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_shadow ? " shadow" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share ?
             " iommu_hap_pt_share" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_vmtrace ? " vmtrace" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_vpmu ? " vpmu" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v1 ? " gnttab-v1" : "",
             pi.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v2 ? " gnttab-v2" : "");
    fmt_info(f, "total_memory", "%lu", (unsigned long)pi.total_pages / per_mib);
    fmt_info(f, "free_memory", "%lu",
             (unsigned long)(pi.free_pages - pi.outstanding_pages) / per_mib);
    /* kumo shares no pages (Xen's XENMEM_get_sharing_*_pages would answer 0). */
    fmt_info(f, "sharing_freed_memory", "%lu", 0UL);
    fmt_info(f, "sharing_used_memory", "%lu", 0UL);
    fmt_info(f, "outstanding_claims", "%lu", (unsigned long)pi.outstanding_pages / per_mib);
    fmt_info(f, "free_cpus", "%d", 0);          /* every CPU is in Pool-0 */
    return 0;
}

static void info_xen(const char *f, const struct ctl_version *v)
{
    fmt_info(f, "xen_major", "%d", v->major);
    fmt_info(f, "xen_minor", "%d", v->minor);
    fmt_info(f, "xen_extra", "%s", v->extra);
    fmt_info(f, "xen_version", "%d.%d%s", v->major, v->minor, v->extra);
    fmt_info(f, "xen_caps", "%s", v->caps);
    fmt_info(f, "xen_scheduler", "%s", sched_string());
    fmt_info(f, "xen_pagesize", "%lu", v->pagesize);
    fmt_info(f, "platform_params", "virt_start=0x%llx", (unsigned long long)v->virt_start);
    fmt_info(f, "xen_changeset", "%s", v->changeset);
    fmt_info(f, "xen_commandline", "%s", v->cmdline);
    fmt_info(f, "cc_compiler", "%s", v->compile.compiler);
    fmt_info(f, "cc_compile_by", "%s", v->compile.compile_by);
    fmt_info(f, "cc_compile_domain", "%s", v->compile.compile_domain);
    fmt_info(f, "cc_compile_date", "%s", v->compile.compile_date);
    fmt_info(f, "build_id", "%s", "");
}

/*
 * xl info -n's tables (xl_info.c output_topologyinfo, output_numainfo) for kumo's host:
 * one socket of single-threaded cores on one NUMA node; no PCI device has a node, which
 * is how Xen's own tables read on a host without an SRAT.
 */
static void info_numa(const struct xen_sysctl_physinfo *pi, unsigned long pagesize)
{
    unsigned long per_mib = (1UL << 20) / pagesize;

    fprintf(xl_out, "cpu_topology           :\ncpu:    core    socket     node\n");
    for (uint32_t cpu = 0; cpu <= pi->max_cpu_id; cpu++)
        fprintf(xl_out, "%3u:    %4u     %4d     %4d\n", cpu, cpu, 0, 0);
    fprintf(xl_out, "device topology        :\ndevice           node\n"
            "No device topology data available\n");
    fprintf(xl_out, "numa_info              :\nnode:    memsize    memfree    distances\n");
    fprintf(xl_out, "%4d:    %6lu     %6lu      %d\n", 0,
            (unsigned long)pi->total_pages / per_mib, (unsigned long)pi->free_pages / per_mib,
            10);
}

/* xl info [-n] [name]: with a name (and no -n), the values of the keys it begins. */
int main_info(int argc, char **argv)
{
    static const struct option opts[] = { { "numa", no_argument, NULL, 'n' }, XL_LONG_HELP };
    const char *filter = NULL;
    struct xen_sysctl_physinfo pi;
    struct ctl_version v;
    bool numa = false;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "n", opts, "info", 0, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        numa = true;
    }
    if (!numa && optind < argc)
        filter = argv[optind];
    if ((rc = ctl_version(&v)))
        return xl_error("cannot read the hypervisor's version: %s", strerror(-rc));
    info_host(filter);
    if ((rc = info_phys(filter, v.pagesize)))
        return rc;
    if (numa && !ctl_physinfo(&pi))
        info_numa(&pi, v.pagesize);
    info_xen(filter, &v);
    fmt_info(filter, "xend_config_format", "%d", 4);
    return 0;
}

/* xl dmesg [-c]: arguments after the options are ignored, as Xen's xl ignores them. */
int main_dmesg(int argc, char **argv)
{
    static const struct option opts[] = { { "clear", no_argument, NULL, 'c' }, XL_LONG_HELP };
    static char buf[16384];
    bool clear = false;
    uint32_t index = 0, count;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "c", opts, "dmesg", 0, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        clear = true;
    }
    /* As libxl's console reader: incremental reads until one comes back empty. */
    do {
        count = sizeof(buf);
        if ((rc = ctl_readconsole(buf, &count, clear, &index)))
            return xl_error("cannot read the hypervisor's console: %s", strerror(-rc));
        fwrite(buf, 1, count, xl_out);
    } while (count);
    return 0;
}

int main_debug_keys(int argc, char **argv)
{
    int rc;

    if (xl_getopt(argc, argv, "", NULL, "debug-keys", 1, &rc) != -1)
        return rc;                      /* help, or the keys missing */
    if ((rc = ctl_debug_keys(argv[optind])))
        return xl_error("cannot send debug keys: %s", argv[optind]);
    return 0;
}
