/*
 * The one command table (as Xen's tools/xl/xl_cmdtable.c): name, handler, the summary
 * `xl help` prints and the usage line a bad invocation prints.
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "xl.h"

struct cmd_spec {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage;
};

static const struct cmd_spec cmd_table[] = {
    { "list", main_list, "List information about all/some domains", "[-v] [-l] [Domain ...]" },
    { "create", main_create, "Create a domain from config file",
      "[-c] [-p] [-q] [-e] [-F] [-n|--dryrun] [-f] <ConfigFile> [options] [vars]" },
    { "destroy", main_destroy, "Terminate a domain immediately", "[-f] <Domain>" },
    { "shutdown", main_shutdown, "Issue a shutdown signal to a domain",
      "[-a] [-w] [-F] <Domain>" },
    { "reboot", main_reboot, "Issue a reboot signal to a domain", "[-a] [-w] [-F] <Domain>" },
    { "console", main_console, "Attach to domain's console", "[-t <type>] [-n <number>] <Domain>" },
    { "rename", main_rename, "Rename a domain", "<Domain> <NewDomainName>" },
    { "mem-set", main_memset, "Set the current memory usage for a domain",
      "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>" },
    { "mem-max", main_memmax, "Set the maximum amount reservation for a domain",
      "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>" },
    { "vcpu-set", main_vcpuset, "Set the number of active VCPUs allowed for the domain",
      "[option] <Domain> <vCPUs>" },
    { "top", main_top, "Monitor a host and the domains in real time",
      "[-b] [-i <iterations>] [-d <seconds>] [-f] [-z]" },
    { "pause", main_pause, "Pause execution of a domain", "<Domain>" },
    { "unpause", main_unpause, "Unpause a paused domain", "<Domain>" },
    { "info", main_info, "Get information about Xen host", "[name]" },
    { "dmesg", main_dmesg, "Read and/or clear dmesg buffer", "[-c]" },
    { "uptime", main_uptime, "Print uptime for all/some domains", "[Domain ...]" },
    { "vcpu-list", main_vcpulist, "List the VCPUs for all/some domains", "[Domain ...]" },
    { "vcpu-pin", main_vcpupin, "Set which CPUs a VCPU can use",
      "<Domain> <VCPU|all> <Hard affinity|-|all> [Soft affinity|-|all]" },
    { "sched-credit", main_sched_credit, "Get/set credit scheduler parameters",
      "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]]" },
    { "sched-sedf", main_sched_sedf, "Get/set SEDF scheduler parameters (kumo)",
      "[-d <Domain> [-p PERIOD] [-s SLICE] [-l LATENCY] [-e EXTRA]]" },
    { "domid", main_domid, "Convert a domain name to domain id", "<DomainName>" },
    { "domname", main_domname, "Convert a domain id to domain name", "<DomainId>" },
    { "debug-keys", main_debug_keys, "Send debug keys to Xen", "<Keys>" },
    { "help", main_help, "Print this help", "[command]" },
};

static const struct cmd_spec *cmd_find(const char *name)
{
    for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
        if (!strcmp(cmd_table[i].name, name))
            return &cmd_table[i];
    return NULL;
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

int xl_usage(const char *cmd)
{
    const struct cmd_spec *c = cmd_find(cmd);

    return xl_error("usage: xl %s %s", cmd, c ? c->usage : "");
}

int main_help(int argc, char **argv)
{
    const struct cmd_spec *c = argc > 1 ? cmd_find(argv[1]) : NULL;

    if (argc > 1 && !c)
        return xl_error("unknown command '%s'", argv[1]);
    if (c) {
        fprintf(xl_out, "Usage: xl %s %s\n\n%s.\n", c->name, c->usage, c->summary);
        return 0;
    }
    fprintf(xl_out, "Usage xl [-v] <subcommand> [args]\n\nxl full list of subcommands:\n\n");
    for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
        fprintf(xl_out, " %-19s %s\n", cmd_table[i].name, cmd_table[i].summary);
    fprintf(xl_out, "\n");
    return 0;
}

int xl_run(int argc, char **argv)
{
    const struct cmd_spec *c;

    if (argc < 1)
        return main_help(0, argv);
    c = cmd_find(argv[0]);
    if (!c)
        return xl_error("unknown command '%s' (try 'xl help')", argv[0]);
    optind = 0;                         /* getopt starts afresh for every command */
    return c->fn(argc, argv);
}
