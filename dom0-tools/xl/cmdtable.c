/*
 * The one command table (as Xen's tools/xl/xl_cmdtable.c), in Xen's order with Xen 4.17's
 * descriptions, usage and option texts for the commands kumo has, plus xl's front door
 * around it: the global options, `xl help`, lookup by unambiguous prefix and Xen's
 * def_getopt() for every command's options (-h/--help, unknown options, missing arguments).
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "xl.h"

struct cmd_spec {
    const char *name;
    int (*fn)(int argc, char **argv);
    bool can_dryrun, modifies;
    const char *desc, *usage, *options;
};

bool xl_dryrun;

/* The options each command takes; an option kumo does not take is left out of its help. */
static const struct cmd_spec cmd_table[] = {
    { "create", main_create, true, true, "Create a domain from config file <filename>",
      "<ConfigFile> [options] [vars]",
      "-c                      Connect to the console after the domain is created.\n"
      "-d                      Enable debug messages.\n"
      "-e                      Do not wait in the background for the death of the domain.\n"
      "-F                      Run in foreground until death of the domain.\n"
      "-f FILE, --defconfig=FILE\n                     Use the given configuration file.\n"
      "-h                      Print this help.\n"
      "-n, --dryrun            Dry run - prints the resulting configuration\n"
      "                         (deprecated in favour of global -N option).\n"
      "-p                      Leave the domain paused after it is created.\n"
      "-q, --quiet             Quiet.\n"
      "--ignore-global-affinity-masks Ignore global masks in xl.conf." },
    { "list", main_list, false, false, "List information about all/some domains",
      "[options] [Domain]\n",
      "-l, --long              Output all VM details\n"
      "-v, --verbose           Prints out UUIDs and security context\n"
      "-Z, --context           Prints out security context\n"
      "-c, --cpupool           Prints the cpupool the domain is in\n"
      "-n, --numa              Prints out NUMA node affinity" },
    { "destroy", main_destroy, false, true, "Terminate a domain immediately",
      "[options] <Domain>\n",
      "-f                      Permit destroying domain 0, which will only succeed\n"
      "                        when run from disaggregated toolstack domain with a\n"
      "                        hardware domain distinct from domain 0." },
    { "shutdown", main_shutdown, false, true, "Issue a shutdown signal to a domain",
      "[options] <-a|Domain>",
      "-a, --all               Shutdown all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI power event for HVM guests with\n"
      "                        no PV drivers.\n"
      "-w, --wait              Wait for guest(s) to shutdown.\n" },
    { "reboot", main_reboot, false, true, "Issue a reboot signal to a domain",
      "[options] <-a|Domain>",
      "-a, --all               Shutdown all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI reset event for HVM guests with\n"
      "                        no PV drivers.\n"
      "-w, --wait              Wait for guest(s) to reboot.\n" },
    { "pause", main_pause, false, true, "Pause execution of a domain", "<Domain>", NULL },
    { "unpause", main_unpause, false, true, "Unpause a paused domain", "<Domain>", NULL },
    { "console", main_console, false, false, "Attach to domain's console",
      "[options] <Domain>\n"
      "-t <type>       console type, pv , serial or vuart\n"
      "-n <number>     console number", NULL },
    { "mem-max", main_memmax, false, true, "Set the maximum amount reservation for a domain",
      "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>", NULL },
    { "mem-set", main_memset, false, true, "Set the current memory usage for a domain",
      "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>", NULL },
    { "vcpu-list", main_vcpulist, false, false, "List the VCPUs for all/some domains",
      "[Domain, ...]", NULL },
    { "vcpu-pin", main_vcpupin, true, true, "Set which CPUs a VCPU can use",
      "[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>",
      "-f, --force        undo an override pinning done by the kernel\n"
      "--ignore-global-affinity-masks Ignore global masks in xl.conf" },
    { "vcpu-set", main_vcpuset, false, true,
      "Set the number of active VCPUs allowed for the domain", "[option] <Domain> <vCPUs>",
      "-i, --ignore-host  Don't limit the vCPU based on the host CPU count" },
    { "info", main_info, false, false, "Get information about Xen host",
      "-n, --numa         List host NUMA topology information", NULL },
    { "sched-credit", main_sched_credit, false, true, "Get/set credit scheduler parameters",
      "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]] [-s [-t TSLICE] [-r RATELIMIT]] [-p CPUPOOL]",
      "-d DOMAIN, --domain=DOMAIN        Domain to modify\n"
      "-w WEIGHT, --weight=WEIGHT        Weight (int)\n"
      "-c CAP, --cap=CAP                 Cap (int)\n"
      "-s         --schedparam           Query / modify scheduler parameters\n"
      "-t TSLICE, --tslice_ms=TSLICE     Set the timeslice, in milliseconds\n"
      "-r RLIMIT, --ratelimit_us=RLIMIT  Set the scheduling rate limit, in microseconds\n"
      "-m DLY, --migration_delay_us=DLY  Set the migration delay, in microseconds\n"
      "-p CPUPOOL, --cpupool=CPUPOOL     Restrict output to CPUPOOL" },
    /* SEDF left Xen after 4.5: its entry as Xen 4.5 had it, for kumo's SEDF. */
    { "sched-sedf", main_sched_sedf, false, true, "Get/set sedf scheduler parameters",
      "[options]",
      "-d DOMAIN, --domain=DOMAIN     Domain to modify\n"
      "-p MS, --period=MS             Relative deadline(ms)\n"
      "-s MS, --slice=MS              Worst-case execution time(ms).\n"
      "                               (slice < period)\n"
      "-l MS, --latency=MS            Scaled period (ms) when domain\n"
      "                               performs heavy I/O\n"
      "-e FLAG, --extra=FLAG          Flag (0 or 1) controls if domain\n"
      "                               can run in extra time\n"
      "-c CPUPOOL, --cpupool=CPUPOOL  Restrict output to CPUPOOL" },
    { "domid", main_domid, false, false, "Convert a domain name to domain id",
      "<DomainName>", NULL },
    { "domname", main_domname, false, false, "Convert a domain id to domain name",
      "<DomainId>", NULL },
    { "rename", main_rename, false, true, "Rename a domain", "<Domain> <NewDomainName>",
      NULL },
    { "debug-keys", main_debug_keys, false, true, "Send debug keys to Xen", "<Keys>", NULL },
    { "dmesg", main_dmesg, false, false, "Read and/or clear dmesg buffer", "[-c]",
      "  -c                        Clear dmesg buffer as well as printing it" },
    /* Xen's xl runs xentop, which kumo builds in: xentop's batch options. */
    { "top", main_top, false, false, "Monitor a host and the domains in real time",
      "[-b] [-i <iterations>] [-d <seconds>] [-f] [-z]", NULL },
    { "uptime", main_uptime, false, false, "Print uptime for all/some domains",
      "[-s] [Domain]", NULL },
};

#define CMD_COUNT (sizeof(cmd_table) / sizeof(cmd_table[0]))

/* Xen 4.17's other commands: a prefix that would name one of them too is ambiguous. */
static const char *const xen_only[] = {
    "config-update", "pci-attach", "pci-detach", "pci-list", "pci-assignable-add",
    "pci-assignable-remove", "pci-assignable-list", "vncviewer", "save", "migrate", "restore",
    "migrate-receive", "dump-core", "cd-insert", "cd-eject", "button-press", "vm-list",
    "sharing", "sched-credit2", "sched-rtds", "trigger", "sysrq", "set-parameters",
    "network-attach", "network-list", "network-detach", "channel-list", "block-attach",
    "block-list", "block-detach", "vtpm-attach", "vtpm-list", "vtpm-detach", "vkb-attach",
    "vkb-list", "vkb-detach", "vdispl-attach", "vdispl-list", "vdispl-detach", "vsnd-attach",
    "vsnd-list", "vsnd-detach", "claims", "cpupool-create", "cpupool-list", "cpupool-destroy",
    "cpupool-rename", "cpupool-cpu-add", "cpupool-cpu-remove", "cpupool-migrate",
    "cpupool-numa-split", "getenforce", "setenforce", "loadpolicy", "remus", "devd",
    "psr-hwinfo", "psr-cmt-attach", "psr-cmt-detach", "psr-cmt-show", "psr-cat-set",
    "psr-cat-show", "psr-mba-set", "psr-mba-show", "usbctrl-attach", "usbctrl-detach",
    "usbdev-attach", "usbdev-detach", "usb-list", "qemu-monitor-command",
};

/*
 * Xen's cmdtable_lookup(): an exact name, or a prefix of exactly one command of Xen's
 * table (so `xl sched-c` is as ambiguous here as there, credit or credit2).
 */
static const struct cmd_spec *cmd_find(const char *name)
{
    const struct cmd_spec *found = NULL;
    size_t len = strlen(name);
    int count = 0;

    for (size_t i = 0; i < sizeof(xen_only) / sizeof(xen_only[0]); i++)
        count += !strncmp(name, xen_only[i], len) && len < strlen(xen_only[i]);
    for (size_t i = 0; i < CMD_COUNT; i++) {
        if (strncmp(name, cmd_table[i].name, len))
            continue;
        if (len == strlen(cmd_table[i].name))
            return &cmd_table[i];
        found = &cmd_table[i];
        count++;
    }
    return count == 1 ? found : NULL;
}

int xl_error(const char *fmt, ...)
{
    va_list ap;
    char line[512];

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(xl_errout, "xl: %s\n", line);     /* one piece, whatever the stream's buffering */
    return 1;
}

void xl_help(const char *cmd)
{
    const struct cmd_spec *c = cmd && strcmp(cmd, "help") ? cmd_find(cmd) : NULL;

    if (!cmd || !strcmp(cmd, "help")) {
        fprintf(xl_out, "Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of "
                "subcommands:\n\n");
        for (size_t i = 0; i < CMD_COUNT; i++)
            fprintf(xl_out, " %-19s %s%s\n", cmd_table[i].name,
                    strlen(cmd_table[i].name) > 19 ? "\n                     " : "",
                    cmd_table[i].desc);
    } else if (c) {
        fprintf(xl_out, "Usage: xl [-vtT%s%s] %s %s\n\n%s.\n\n", c->modifies ? "f" : "",
                c->can_dryrun ? "N" : "", c->name, c->usage, c->desc);
        if (c->options)
            fprintf(xl_out, "Options:\n\n%s\n", c->options);
    } else {
        fprintf(xl_out, "command \"%s\" not implemented\n", cmd);
    }
}

int xl_usage(const char *cmd)
{
    xl_help(cmd);
    return 1;
}

int xl_getopt(int argc, char **argv, const char *opts, const struct option *longopts,
              const char *cmd, int reqargs, int *status)
{
    static const struct option help_only[] = { XL_LONG_HELP };
    char optstring[64];
    int opt;

    snprintf(optstring, sizeof(optstring), "h%s", opts);
    opterr = 0;
    opt = getopt_long(argc, argv, optstring, longopts ? longopts : help_only, NULL);
    if (opt == 'h' || (opt == '?' && optopt == 'h')) {
        xl_help(cmd);
        *status = 0;
        return XL_OPT_EXIT;
    }
    if (opt == '?') {
        *status = 2;
        /* A long option has no letter: Xen's line would hold a NUL there; kumo names it. */
        if (optopt)
            xl_error("option `%c' not supported.", optopt);
        else
            xl_error("option `%s' not supported.", argv[optind - 1]);
        return XL_OPT_EXIT;
    }
    if (opt != -1)
        return opt;
    if (argc - optind < reqargs) {
        xl_error("'xl %s' requires at least %d argument%s.", cmd, reqargs,
                 reqargs > 1 ? "s" : "");
        xl_help(cmd);
        *status = 2;
        return XL_OPT_EXIT;
    }
    return -1;
}

int xl_run(int argc, char **argv)
{
    const struct cmd_spec *c;

    if (argc < 1) {
        xl_help(NULL);
        return 1;
    }
    c = cmd_find(argv[0]);
    optind = 0;                         /* getopt starts afresh for every command */
    if (c && xl_dryrun && !c->can_dryrun)
        return xl_error("command does not implement -N (dryrun) option");
    if (c)
        return c->fn(argc, argv);
    if (!strcmp(argv[0], "help")) {
        xl_help(argc > 1 ? argv[1] : NULL);
        return 0;
    }
    return xl_error("command not implemented");
}

int xl_main(int argc, char **argv)
{
    int opt;

    optind = 0;
    opterr = 0;
    xl_dryrun = false;
    /* -v (more logging), -f (force), -t, -T (progress and timestamps) change nothing here. */
    while ((opt = getopt(argc, argv, "+vftTN")) != -1) {
        if (opt == '?')
            return xl_error("unknown global option");
        if (opt == 'N')
            xl_dryrun = true;
    }
    if (optind < argc && strcmp(argv[optind], "help")) {
        int rc = xl_platform_open();

        if (rc)
            return rc;
    }
    return xl_run(argc - optind, argv + optind);
}
