/*
 * xl, kumo's Xen-compatible command line (STYLE.md dom0-tools/xl): cmdtable.c holds the one
 * command table, one file per command family holds the commands, format.c Xen 4.17's
 * output formats. A command returns its exit status; an error is one line "xl: ..." on
 * xl_err and a non-zero status.
 */
#ifndef XL_XL_H
#define XL_XL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ctl/ctl.h"

/* Where commands write (stdout, or a memory stream in host tests). */
extern FILE *xl_out;
extern FILE *xl_errout;

/* Prints "xl: <message>" and returns the failing exit status, 1. */
int xl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * xl's main (argv as main() has it): Xen's global options (-v -f -N -t -T), the platform
 * opened (xl_platform_open, but not for `xl help`), then the command; the exit status.
 */
int xl_main(int argc, char **argv);
/* Opens the way to the hypervisor (xl.c; host tests provide their own); 0 or the status. */
int xl_platform_open(void);
/* Global -N: a command that can_dryrun prints what it would do and does nothing. */
extern bool xl_dryrun;
/* Looks argv[0] up in the table (an unambiguous prefix will do) and runs it. */
int xl_run(int argc, char **argv);
/* Xen's help(): every command (cmd NULL or "help"), or cmd's usage and options, on xl_out. */
void xl_help(const char *cmd);
/* A bad invocation as Xen's xl answers most: cmd's help on xl_out, exit status 1. */
int xl_usage(const char *cmd);
/*
 * Xen's def_getopt() for cmd: the next option in opts ("h" is added; longopts, if given,
 * ends with XL_LONG_HELP), or -1 once the options are done and at least reqargs
 * arguments follow. XL_OPT_EXIT when the command must return *status now: help was asked
 * (0), an option is unknown or lacks its argument (2), or arguments are missing (2).
 */
int xl_getopt(int argc, char **argv, const char *opts, const struct option *longopts,
              const char *cmd, int reqargs, int *status);
#define XL_OPT_EXIT (-2)
#define XL_LONG_HELP { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
/* Resolves a domain argument as xl's find_domain() does, or prints the error. */
int xl_find_domain(const char *arg, uint32_t *domid);

/* format.c: Xen's columns, one function per table. */
/* libxl_scheduler_to_string(): libxl still names SEDF's id; an unknown id is "(null)". */
const char *fmt_sched_name(uint32_t id);
/* xl list's optional columns: -v, -Z, -c, -n. */
struct list_columns {
    bool verbose, context, cpupool, numa;
};
void fmt_list_header(const struct list_columns *c);
void fmt_list_row(const char *name, const xen_domctl_getdomaininfo_t *info,
                  const struct list_columns *c);
void fmt_vcpu_header(void);
void fmt_vcpu_row(const char *name, uint32_t domid, uint32_t vcpu,
                  const struct xen_domctl_getvcpuinfo *info, const char *hard, const char *soft);
void fmt_info(const char *filter, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fmt_uptime_header(void);
void fmt_uptime_row(const char *name, uint32_t domid, unsigned long seconds);
/* uptime -s: " HH:MM:SS up <uptime>, <name> (<id>)", no header. */
void fmt_uptime_short(const char *name, uint32_t domid, unsigned long seconds, time_t now);
void fmt_credit_pool(const char *pool);
void fmt_credit_header(void);
void fmt_credit_row(const char *name, uint32_t domid, unsigned int weight, unsigned int cap);
void fmt_sedf_pool(const char *pool);
void fmt_sedf_header(void);
void fmt_sedf_row(const char *name, uint32_t domid, const struct kumo_domctl_sched_sedf *p);

void fmt_top_header(int name_width);
void fmt_top_row(const char *name, int name_width, const xen_domctl_getdomaininfo_t *d,
                 double cpu_pct, uint64_t total_kb);
void xl_list_long(const xen_domctl_getdomaininfo_t *info, int n);
/* Xen's parse_mem_size_kb(): "512", "512m", "1g", "4096k"; -1 when it is not a size. */
int64_t xl_parse_mem_kb(const char *s);
/* The terminal on domid's console until Ctrl-] or the domain's end (console.c). */
int xl_console_attach(uint32_t domid);

/* The commands, by family. */
int main_create(int argc, char **argv);
int main_list(int argc, char **argv);
int main_pause(int argc, char **argv);
int main_unpause(int argc, char **argv);
int main_destroy(int argc, char **argv);
int main_domid(int argc, char **argv);
int main_domname(int argc, char **argv);
int main_uptime(int argc, char **argv);
int main_vcpulist(int argc, char **argv);
int main_vcpupin(int argc, char **argv);
int main_sched_credit(int argc, char **argv);
int main_sched_sedf(int argc, char **argv);
int main_info(int argc, char **argv);
int main_dmesg(int argc, char **argv);
int main_debug_keys(int argc, char **argv);
int main_help(int argc, char **argv);
int main_shutdown(int argc, char **argv);
int main_reboot(int argc, char **argv);
int main_console(int argc, char **argv);
int main_rename(int argc, char **argv);
int main_memset(int argc, char **argv);
int main_memmax(int argc, char **argv);
int main_vcpuset(int argc, char **argv);
int main_top(int argc, char **argv);

#endif
