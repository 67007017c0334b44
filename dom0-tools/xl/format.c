/*
 * Xen 4.17's output formats for the commands kumo offers (tools/xl/xl_info.c, xl_vcpu.c,
 * xl_sched.c; ref/xl-surface.md A.2), in one place, so scripts written for Xen's xl parse
 * kumo's.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xl.h"

const char *fmt_sched_name(uint32_t id)
{
    static const char *const names[] = {
        [0] = "unknown", [KUMO_SCHEDULER_SEDF] = "sedf", [XEN_SCHEDULER_CREDIT] = "credit",
        [XEN_SCHEDULER_CREDIT2] = "credit2", [XEN_SCHEDULER_ARINC653] = "arinc653",
        [XEN_SCHEDULER_RTDS] = "rtds", [XEN_SCHEDULER_NULL] = "null",
    };

    return id < sizeof(names) / sizeof(names[0]) && names[id] ? names[id] : "(null)";
}

void fmt_list_header(const struct list_columns *c)
{
    fprintf(xl_out, "Name                                        ID   Mem VCPUs\tState\tTime(s)");
    if (c->verbose)
        fprintf(xl_out, "   UUID                            Reason-Code\tSecurity Label");
    if (c->context && !c->verbose)
        fprintf(xl_out, "   Security Label");
    if (c->cpupool)
        fprintf(xl_out, "         Cpupool");
    if (c->numa)
        fprintf(xl_out, " NODE Affinity");
    fprintf(xl_out, "\n");
}

void fmt_list_row(const char *name, const xen_domctl_getdomaininfo_t *info,
                  const struct list_columns *c)
{
    static const char reason_letters[] = "-rscwS";
    bool shutdown = info->flags & XEN_DOMINF_shutdown;
    unsigned int reason = shutdown ? (info->flags >> XEN_DOMINF_shutdownshift) &
                                     XEN_DOMINF_shutdownmask : 0;
    const uint8_t *u = info->handle;

    /* Mem: libxl's current_memkb (4 KiB pages) in MiB; nothing is outstanding. */
    fprintf(xl_out, "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f", name, info->domain,
            (unsigned long)(info->tot_pages * 4 / 1024), info->nr_online_vcpus,
            info->flags & XEN_DOMINF_running ? 'r' : '-',
            info->flags & XEN_DOMINF_blocked ? 'b' : '-',
            info->flags & XEN_DOMINF_paused ? 'p' : '-', shutdown ? 's' : '-',
            reason < sizeof(reason_letters) - 1 ? reason_letters[reason] : '?',
            info->flags & XEN_DOMINF_dying ? 'd' : '-', (float)info->cpu_time / 1e9);
    if (c->verbose) {
        fprintf(xl_out, " %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                u[12], u[13], u[14], u[15]);
        if (shutdown)
            fprintf(xl_out, " %8x", reason);
        else
            fprintf(xl_out, " %8s", "-");
    }
    /* No XSM: libxl has no label to show. */
    if (c->verbose || c->context)
        fprintf(xl_out, " %16s", "-");
    if (c->cpupool)
        fprintf(xl_out, "%16s", "Pool-0");
    /* kumo has one NUMA node: a domain's node affinity is all of them. */
    if (c->numa)
        fprintf(xl_out, " all");
    fprintf(xl_out, "\n");
}

void fmt_vcpu_header(void)
{
    fprintf(xl_out, "%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State",
            "Time(s)", "Affinity (Hard / Soft)");
}

void fmt_vcpu_row(const char *name, uint32_t domid, uint32_t vcpu,
                  const struct xen_domctl_getvcpuinfo *info, const char *hard, const char *soft)
{
    fprintf(xl_out, "%-32s %5u %5u", name, domid, vcpu);
    if (!info->online)
        fprintf(xl_out, "%5c %3c%cp ", '-', '-', '-');
    else
        fprintf(xl_out, "%5u %3c%c- ", info->cpu, info->running ? 'r' : '-',
                info->blocked ? 'b' : '-');
    fprintf(xl_out, "%9.1f  %s / %s\n", (float)info->cpu_time / 1e9, hard, soft);
}

/*
 * One "key : value" line of xl info, the key padded to 23 columns (virt_caps' words each
 * start with a space and follow the colon directly, as in Xen: no words, no space). With
 * a filter (xl info <name>), Xen's maybe_printf(): the line must begin with the filter,
 * padding included, and only what follows ": " is printed, so an empty virt_caps prints
 * nothing.
 */
void fmt_info(const char *filter, const char *key, const char *fmt, ...)
{
    char *value = NULL, *line = NULL, *colon;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    n = asprintf(&line, "%-23s:%s%s\n", key,
                 !strcmp(key, "virt_caps") ? "" : " ", value);
    free(value);
    if (n < 0)
        return;
    if (!filter)
        fputs(line, xl_out);
    else if (!strncmp(line, filter, strlen(filter)) && (colon = strchr(line, ':')) &&
             colon[1] == ' ')
        fputs(colon + 2, xl_out);
    free(line);
}

void fmt_uptime_header(void)
{
    fprintf(xl_out, "%-33s %4s %s\n", "Name", "ID", "Uptime");
}

/* Xen's uptime_to_string(): days when there are some, then H:MM[:SS]. */
static void uptime_string(unsigned long seconds, bool with_seconds)
{
    int day = (int)(seconds / 86400), hour = (int)(seconds % 86400 / 3600);
    int min = (int)(seconds % 3600 / 60), sec = (int)(seconds % 60);

    if (day > 1)
        fprintf(xl_out, "%d days, ", day);
    else if (day == 1)
        fprintf(xl_out, "1 day, ");
    fprintf(xl_out, "%2d:%02d", hour, min);
    if (with_seconds)
        fprintf(xl_out, ":%02d", sec);
}

void fmt_uptime_row(const char *name, uint32_t domid, unsigned long seconds)
{
    fprintf(xl_out, "%-33s %4d ", name, (int)domid);
    uptime_string(seconds, true);
    fprintf(xl_out, "\n");
}

void fmt_uptime_short(const char *name, uint32_t domid, unsigned long seconds, time_t now)
{
    char clock[16];
    struct tm tm;

    strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
    fprintf(xl_out, " %s up ", clock);
    uptime_string(seconds, false);
    fprintf(xl_out, ", %s (%d)\n", name, (int)domid);
}

/* With the pool's parameters unreadable, Xen's words for that case. */
void fmt_credit_pool(const char *pool)
{
    struct xen_sysctl_credit_schedule p = { 0 };

    if (ctl_sched_credit_pool(&p, false))
        fprintf(xl_out, "Cpupool %s: [sched params unavailable]\n", pool);
    else
        fprintf(xl_out, "Cpupool %s: tslice=%dms ratelimit=%dus migration-delay=%dus\n", pool,
                (int)p.tslice_ms, (int)p.ratelimit_us, (int)p.vcpu_migr_delay_us);
}

void fmt_credit_header(void)
{
    fprintf(xl_out, "%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
}

void fmt_credit_row(const char *name, uint32_t domid, unsigned int weight, unsigned int cap)
{
    fprintf(xl_out, "%-33s %4d %6d %4d\n", name, (int)domid, (int)weight, (int)cap);
}

/* SEDF left Xen in 4.6; its xl printed these columns, times in ms. */
void fmt_sedf_pool(const char *pool)
{
    fprintf(xl_out, "Cpupool %s:\n", pool);
}

void fmt_sedf_header(void)
{
    fprintf(xl_out, "%-33s %4s %6s %-6s %7s %5s %6s\n", "Name", "ID", "Period", "Slice",
            "Latency", "Extra", "Weight");
}

void fmt_sedf_row(const char *name, uint32_t domid, const struct kumo_domctl_sched_sedf *p)
{
    fprintf(xl_out, "%-33s %4d %6d %6d %7d %5d %6d\n", name, (int)domid,
            (int)(p->period / 1000000), (int)(p->slice / 1000000),
            (int)(p->latency / 1000000), (int)p->extratime, (int)p->weight);
}
