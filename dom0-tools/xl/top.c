/*
 * xl top: xentop's table (tools/xentop/xentop.c) from the hypervisor's domain list.
 * Batch mode (-b, with -i iterations and -d seconds between them) prints the header and
 * one row per domain each round, sorted by name, with no summary, as xentop does; without
 * -b kumo redraws the summary and table on the terminal (no curses, no keys). kumo has no
 * PV network or block statistics yet: those columns read 0.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/toolstack.h"
#include "xl.h"
#include <xen/sched.h>

#define TOP_MAX 256

struct top_row {
    xen_domctl_getdomaininfo_t info;
    char name[TS_NAME_MAX];
};

struct top_state {
    struct top_row rows[TOP_MAX];
    int n;
    uint64_t prev_cpu[DOMID_FIRST_RESERVED > 1024 ? 1024 : DOMID_FIRST_RESERVED];
    bool have_prev;
    struct timespec now, prev;
    bool full_name, dom0_first;
};

static const struct { const char *header; int width; } top_fields[] = {
    { "NAME", 10 }, { "STATE", 6 }, { "CPU(sec)", 10 }, { "CPU(%)", 6 }, { "MEM(k)", 10 },
    { "MEM(%)", 6 }, { "MAXMEM(k)", 10 }, { "MAXMEM(%)", 9 }, { "VCPUS", 5 }, { "NETS", 4 },
    { "NETTX(k)", 8 }, { "NETRX(k)", 8 }, { "VBDS", 4 }, { "VBD_OO", 8 }, { "VBD_RD", 8 },
    { "VBD_WR", 8 }, { "VBD_RSECT", 10 }, { "VBD_WSECT", 10 }, { "SSID", 4 },
};

static int by_name(const void *a, const void *b)
{
    return strcasecmp(((const struct top_row *)a)->name, ((const struct top_row *)b)->name);
}

static int name_width(const struct top_state *t)
{
    int w = 10;

    for (int i = 0; t->full_name && i < t->n; i++)
        if ((int)strlen(t->rows[i].name) > w)
            w = (int)strlen(t->rows[i].name);
    return w;
}

void fmt_top_header(int name_w)
{
    for (size_t i = 0; i < sizeof(top_fields) / sizeof(top_fields[0]); i++)
        fprintf(xl_out, "%s%*s", i ? " " : "", i ? top_fields[i].width : name_w,
                top_fields[i].header);
    fprintf(xl_out, "\n");
}

void fmt_top_row(const char *name, int name_w, const xen_domctl_getdomaininfo_t *d,
                 double cpu_pct, uint64_t total_kb)
{
    uint32_t f = d->flags;
    bool shut = f & XEN_DOMINF_shutdown;
    unsigned int reason = f >> XEN_DOMINF_shutdownshift & XEN_DOMINF_shutdownmask;
    uint64_t mem_kb = d->tot_pages * 4, max_kb = d->max_pages * 4;
    bool no_limit = d->max_pages >= (UINT64_MAX >> 12);

    if (name_w > 10)
        fprintf(xl_out, "%*s ", name_w, name);
    else
        fprintf(xl_out, "%10.10s ", name);
    fprintf(xl_out, "%c%c%c%c%c%c ", f & XEN_DOMINF_dying ? 'd' : '-', shut ? 's' : '-',
            f & XEN_DOMINF_blocked ? 'b' : '-', shut && reason == SHUTDOWN_crash ? 'c' : '-',
            f & XEN_DOMINF_paused ? 'p' : '-', f & XEN_DOMINF_running ? 'r' : '-');
    fprintf(xl_out, "%10llu %6.1f %10llu %6.1f ", (unsigned long long)(d->cpu_time / 1000000000),
            cpu_pct, (unsigned long long)mem_kb, total_kb ? mem_kb * 100.0 / total_kb : 0.0);
    if (no_limit)
        fprintf(xl_out, "%10s %9s ", "no limit", "n/a");
    else
        fprintf(xl_out, "%10llu %9.1f ", (unsigned long long)max_kb,
                total_kb ? max_kb * 100.0 / total_kb : 0.0);
    fprintf(xl_out, "%5u %4u %8u %8u %4u %8u %8u %8u %10u %10u %4u\n",
            d->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : d->max_vcpu_id + 1, 0, 0, 0, 0, 0,
            0, 0, 0, 0, d->ssidref);
}

static double cpu_pct(const struct top_state *t, const xen_domctl_getdomaininfo_t *d)
{
    double us = (t->now.tv_sec - t->prev.tv_sec) * 1e6 + (t->now.tv_nsec - t->prev.tv_nsec) / 1e3;
    uint64_t prev;

    if (!t->have_prev || d->domain >= sizeof(t->prev_cpu) / sizeof(t->prev_cpu[0]) || us <= 0)
        return 0.0;
    prev = t->prev_cpu[d->domain];
    return prev && d->cpu_time >= prev ? (double)(d->cpu_time - prev) / 10.0 / us : 0.0;
}

static void summary(const struct top_state *t, const struct xen_sysctl_physinfo *pi)
{
    /* xentop counts a crashed domain as shut down, so its "crashed" stays 0. */
    unsigned int run = 0, block = 0, pause = 0, dying = 0, shut = 0;
    char clock[16];
    time_t now = time(NULL);

    strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
    for (int i = 0; i < t->n; i++) {
        uint32_t f = t->rows[i].info.flags;

        run += !!(f & XEN_DOMINF_running);
        block += !(f & XEN_DOMINF_running) && (f & XEN_DOMINF_blocked);
        pause += !(f & (XEN_DOMINF_running | XEN_DOMINF_blocked)) && (f & XEN_DOMINF_paused);
        shut += !(f & (XEN_DOMINF_running | XEN_DOMINF_blocked | XEN_DOMINF_paused)) &&
                (f & XEN_DOMINF_shutdown);
        dying += !(f & (XEN_DOMINF_running | XEN_DOMINF_blocked | XEN_DOMINF_paused |
                        XEN_DOMINF_shutdown)) && (f & XEN_DOMINF_dying);
    }
    fprintf(xl_out, "\033[H\033[Jxentop - %s   Xen kumo\n", clock);
    fprintf(xl_out, "%d domains: %u running, %u blocked, %u paused, %u crashed, %u dying, "
            "%u shutdown \n", t->n, run, block, pause, 0u, dying, shut);
    fprintf(xl_out, "Mem: %lluk total, %lluk used, %lluk free    CPUs: %u @ %uMHz\n",
            (unsigned long long)pi->total_pages * 4,
            (unsigned long long)(pi->total_pages - pi->free_pages) * 4,
            (unsigned long long)pi->free_pages * 4, pi->nr_cpus, pi->cpu_khz / 1000);
}

static int top_round(struct top_state *t, bool batch)
{
    static xen_domctl_getdomaininfo_t info[TOP_MAX];
    struct xen_sysctl_physinfo pi;
    int n = ctl_domain_list(0, info, TOP_MAX), rc, first = 0;

    if (n < 0)
        return xl_error("Failed to retrieve statistics from libxenstat");
    if ((rc = ctl_physinfo(&pi)))
        return xl_error("Failed to retrieve statistics from libxenstat");
    clock_gettime(CLOCK_MONOTONIC, &t->now);
    for (int i = 0; i < n; i++) {
        t->rows[i].info = info[i];
        if (ts_domain_name(info[i].domain, t->rows[i].name, sizeof(t->rows[i].name)))
            snprintf(t->rows[i].name, sizeof(t->rows[i].name), "(null)");
    }
    t->n = n;
    if (t->dom0_first && n && info[0].domain == 0)
        first = 1;                      /* Domain-0 stays first, the rest sorted */
    qsort(t->rows + first, (size_t)(n - first), sizeof(t->rows[0]), by_name);
    if (!batch)
        summary(t, &pi);
    fmt_top_header(name_width(t));
    for (int i = 0; i < n; i++)
        fmt_top_row(t->rows[i].name, name_width(t), &t->rows[i].info, cpu_pct(t, &t->rows[i].info),
                    pi.total_pages * 4);
    memset(t->prev_cpu, 0, sizeof(t->prev_cpu));
    for (int i = 0; i < n; i++)
        if (info[i].domain < sizeof(t->prev_cpu) / sizeof(t->prev_cpu[0]))
            t->prev_cpu[info[i].domain] = info[i].cpu_time;
    t->prev = t->now;
    t->have_prev = true;
    fflush(xl_out);
    return 0;
}

int main_top(int argc, char **argv)
{
    static struct top_state t;
    bool batch = false;
    long iterations = -1, delay = 3;
    int opt, rc;

    memset(&t, 0, sizeof(t));
    while ((opt = xl_getopt(argc, argv, "bi:d:fz", NULL, "top", 0, &rc)) != -1) {
        switch (opt) {
        case XL_OPT_EXIT: return rc;
        case 'b': batch = true; break;
        case 'i': iterations = atol(optarg); break;
        case 'd': delay = atol(optarg); break;
        case 'f': t.full_name = true; break;
        case 'z': t.dom0_first = true; break;
        }
    }
    if (optind != argc || delay < 0)
        return xl_usage("top");
    for (;;) {
        if ((rc = top_round(&t, batch)))
            return rc;
        if (iterations > 0 && !--iterations)
            return 0;
        sleep((unsigned int)delay);
    }
}
