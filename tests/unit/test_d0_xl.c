/*
 * xl's commands over the fake platform (libs/plat/fake.c): Xen's exact output formats,
 * the state they change in the (fake) hypervisor, and errors as one "xl: ..." line with
 * a non-zero status. No xenstored runs here: names come from kumo's boot-name sysctl.
 */
#include "harness.h"
#include "xl_sources.h"

#include "xl_run.h"

static bool one_error_line(void)
{
    return !out[0] && !strncmp(err, "xl: ", 4) && strchr(err, '\n') == err + strlen(err) - 1;
}

TEST(xl_list_prints_xens_columns)
{
    setup_usual_host();
    fake_hv.dom[3].pause_count = 1;
    CHECK_EQ(xl("list"), 0);
    CHECK(!strcmp(out,
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
        "Domain-0                                     0   512     1     r-----       1.5\n"
        "web                                          1   256     2     r-----       4.5\n"
        "db                                           3    64     1     --p---       1.5\n"));
    CHECK_EQ(xl("list db"), 0);
    CHECK(strstr(out, "\ndb ") && !strstr(out, "web"));
}

TEST(xl_list_verbose_adds_uuid_and_reason)
{
    setup_usual_host();
    fake_hv.dom[3].shutdown = true;
    fake_hv.dom[3].reason = 3;              /* crash: letter c, reason code 3 */
    CHECK_EQ(xl("list -v 3"), 0);
    CHECK(!strcmp(out,
        "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        "   UUID                            Reason-Code\tSecurity Label\n"
        "db                                           3    64     1     ---sc-       1.5"
        " 00000000-0000-0000-0000-000000000000        3                -\n"));
}

TEST(xl_list_unknown_domain_is_one_error_line)
{
    setup_usual_host();
    CHECK(xl("list nosuch") != 0);
    CHECK(one_error_line());
    CHECK(xl("list 7") != 0);
    CHECK(one_error_line());
    CHECK(xl("frobnicate") != 0);
    CHECK(one_error_line());
}

TEST(xl_vcpu_list_prints_xens_columns)
{
    setup_usual_host();
    fake_hv.dom[1].vcpu[1].affinity = 0x2;
    fake_hv.dom[1].vcpu[1].cpu = 1;
    CHECK_EQ(xl("vcpu-list web"), 0);
    CHECK(!strcmp(out,
        "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n"
        "web                                  1     0    0   r--       1.5  all / all\n"
        "web                                  1     1    1   -b-       3.0  1 / all\n"));
    fake_hv.dom[1].vcpu[1].online = false;
    CHECK_EQ(xl("vcpu-list 1"), 0);
    CHECK(strstr(out, "web                                  1     1    -   --p       3.0  1 / all\n"));
}

TEST(xl_vcpu_pin_takes_xens_cpu_lists)
{
    setup_usual_host();
    CHECK_EQ(xl("vcpu-pin web 0 1"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x2);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].cpu, 1);
    CHECK_EQ(xl("vcpu-pin web all all,^1"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x1);
    CHECK_EQ(fake_hv.dom[1].vcpu[1].affinity, 0x1);
    CHECK_EQ(xl("vcpu-pin 1 1 0-1 -"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[1].affinity, 0x3);
    CHECK(xl("vcpu-pin web 0 2") != 0);     /* no pCPU 2 */
    CHECK(one_error_line());
    CHECK(xl("vcpu-pin web 5 0") != 0);     /* no vCPU 5 */
    CHECK(one_error_line());
    CHECK(xl("vcpu-pin web 0 ^0,^1") != 0); /* nowhere to run */
    CHECK(one_error_line());
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x1);
}

TEST(xl_sched_credit_lists_and_sets)
{
    setup_usual_host();
    fake_hv.dom[3].weight = 512;
    fake_hv.dom[3].cap = 50;
    CHECK_EQ(xl("sched-credit"), 0);
    CHECK(!strcmp(out,
        "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\n"
        "Name                                ID Weight  Cap\n"
        "Domain-0                             0    256    0\n"
        "web                                  1    256    0\n"
        "db                                   3    512   50\n"));
    CHECK_EQ(xl("sched-credit -d web -w 1024"), 0);
    CHECK(!out[0]);
    CHECK_EQ(fake_hv.dom[1].weight, 1024);
    CHECK_EQ(xl("sched-credit -d web -c 25"), 0);
    CHECK_EQ(fake_hv.dom[1].weight, 1024);  /* a cap alone keeps the weight */
    CHECK_EQ(fake_hv.dom[1].cap, 25);
    CHECK_EQ(xl("sched-credit -d 1"), 0);
    CHECK(!strcmp(out, "Name                                ID Weight  Cap\n"
                       "web                                  1   1024   25\n"));
    CHECK(xl("sched-credit -w 5") != 0);    /* which domain? */
    CHECK(one_error_line());
    CHECK(xl("sched-credit -d web -w 0") != 0);
    CHECK(one_error_line());
    CHECK_EQ(xl("sched-sedf"), 0);          /* credit runs Pool-0: no SEDF pool to list */
    CHECK(!out[0] && !err[0]);
}

TEST(xl_sched_sedf_lists_and_sets_in_ms)
{
    setup_usual_host();
    fake_hv.sched_id = KUMO_SCHEDULER_SEDF;
    CHECK_EQ(xl("sched-sedf -d db -p 100 -s 30 -l 10 -e 1"), 0);
    CHECK_EQ(fake_hv.dom[3].sedf.period, 100000000);
    CHECK_EQ(fake_hv.dom[3].sedf.slice, 30000000);
    CHECK_EQ(fake_hv.dom[3].sedf.latency, 10000000);
    CHECK_EQ(fake_hv.dom[3].sedf.extratime, 1);
    CHECK_EQ(xl("sched-sedf -d db"), 0);
    CHECK(!strcmp(out, "Name                                ID Period Slice  Latency Extra Weight\n"
                       "db                                   3    100     30      10     1      0\n"));
    CHECK(xl("sched-sedf -d db -s 200") != 0);  /* slice > period: the hypervisor says no */
    CHECK(one_error_line());
    CHECK_EQ(xl("sched-sedf"), 0);
    CHECK(!strncmp(out, "Cpupool Pool-0:\nName ", 21));
}

TEST(xl_pause_unpause_destroy_change_the_domain)
{
    uint64_t before;

    setup_usual_host();
    CHECK_EQ(xl("pause web"), 0);
    CHECK_EQ(fake_hv.dom[1].pause_count, 1);
    xl("list web");
    CHECK(strstr(out, "--p---"));
    CHECK_EQ(xl("unpause web"), 0);
    CHECK_EQ(fake_hv.dom[1].pause_count, 0);
    CHECK(xl("unpause web") != 0);          /* not paused: Xen's -EINVAL */
    CHECK(one_error_line());
    CHECK(xl("pause 0") != 0);
    CHECK(one_error_line());
    before = fake_hv.free_pages;
    CHECK_EQ(xl("destroy db"), 0);
    CHECK(!fake_hv.dom[3].exists);
    CHECK_EQ(fake_hv.free_pages, before + 64 * 256);
    CHECK(xl("destroy db") != 0);
    CHECK(one_error_line());
    CHECK(xl("destroy 0") != 0);            /* Xen's xl wants -f for that */
    CHECK(one_error_line());
}

TEST(xl_domid_and_domname_convert)
{
    setup_usual_host();
    CHECK_EQ(xl("domid db"), 0);
    CHECK(!strcmp(out, "3\n"));
    CHECK_EQ(xl("domname 1"), 0);
    CHECK(!strcmp(out, "web\n"));
    CHECK_EQ(xl("domname 0"), 0);
    CHECK(!strcmp(out, "Domain-0\n"));
    CHECK(xl("domid nosuch") != 0);
    CHECK(one_error_line());
    CHECK(xl("domname 9") != 0);
    CHECK(one_error_line());
    CHECK(xl("domname web") != 0);
    CHECK(one_error_line());
}

TEST(xl_info_prints_xens_keys_in_order)
{
    static const char *const keys[] = {
        "host", "release", "version", "machine", "nr_cpus", "max_cpu_id", "nr_nodes",
        "cores_per_socket", "threads_per_core", "cpu_mhz", "hw_caps", "virt_caps",
        "total_memory", "free_memory", "sharing_freed_memory", "sharing_used_memory",
        "outstanding_claims", "free_cpus", "xen_major", "xen_minor", "xen_extra",
        "xen_version", "xen_caps", "xen_scheduler", "xen_pagesize", "platform_params",
        "xen_changeset", "xen_commandline", "cc_compiler", "cc_compile_by",
        "cc_compile_domain", "cc_compile_date", "build_id", "xend_config_format" };
    const char *p;

    setup_usual_host();
    CHECK_EQ(xl("info"), 0);
    p = out;
    for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char want[40];

        snprintf(want, sizeof(want), "%-23s:", keys[i]);
        CHECK(!strncmp(p, want, strlen(want)));
        p = strchr(p, '\n') + 1;
    }
    CHECK(!*p);
    CHECK(strstr(out, "\nnr_cpus                : 2\n"));
    CHECK(strstr(out, "\ncpu_mhz                : 2097.172\n"));
    CHECK(strstr(out, "\nvirt_caps              : hvm hap\n"));
    CHECK(strstr(out, "\ntotal_memory           : 1024\n"));
    CHECK(strstr(out, "\nfree_memory            : 192\n"));
    CHECK(strstr(out, "\nxen_version            : 4.17.0-kumo\n"));
    CHECK(strstr(out, "\nxen_scheduler          : credit\n"));
    CHECK(strstr(out, "\nxen_commandline        : console=com1 dom0_mem=512M\n"));
    CHECK(strstr(out, "\nxend_config_format     : 4\n"));
    CHECK_EQ(xl("info free_memory"), 0);
    CHECK(!strcmp(out, "192\n"));
}

TEST(xl_dmesg_reads_and_clears_the_ring)
{
    setup_usual_host();
    fake_console_write("(kumo) first line\n(kumo) second line\n");
    CHECK_EQ(xl("dmesg"), 0);
    CHECK(!strcmp(out, "(kumo) first line\n(kumo) second line\n"));
    CHECK_EQ(xl("dmesg -c"), 0);
    CHECK(!strcmp(out, "(kumo) first line\n(kumo) second line\n"));
    fake_console_write("(kumo) third line\n");
    CHECK_EQ(xl("dmesg"), 0);
    CHECK(!strcmp(out, "(kumo) third line\n"));
    for (int i = 0; i < 400; i++)           /* wraps the fake's 4 KiB ring */
        fake_console_write("(kumo) filler line\n");
    CHECK_EQ(xl("dmesg"), 0);
    CHECK_EQ(strlen(out), sizeof(fake_hv.console));
}

TEST(xl_debug_keys_and_help)
{
    setup_usual_host();
    CHECK_EQ(xl("debug-keys qh"), 0);
    CHECK(!strcmp(fake_hv.keys, "qh"));
    CHECK(!out[0]);
    CHECK(xl("debug-keys") != 0);
    CHECK(!strcmp(err, "xl: 'xl debug-keys' requires at least 1 argument.\n"));
    CHECK_EQ(xl("help"), 0);
    CHECK(strstr(out, " vcpu-pin ") && strstr(out, " sched-credit "));
    CHECK_EQ(xl("help list"), 0);
    CHECK(strstr(out, "Usage: xl [-vtT] list [options] [Domain]"));
}

TEST(xl_uptime_has_xens_header)
{
    setup_usual_host();
    CHECK_EQ(xl("uptime"), 0);
    CHECK(!strncmp(out, "Name                                ID Uptime\nDomain-0                             0 ", 85));
    CHECK(!strstr(out, "web"));             /* no start time without xenstored: skipped */
}

TEST(xl_uptime_formats_as_xen)
{
    char *buf = NULL;
    size_t len;

    xl_out = open_memstream(&buf, &len);
    fmt_uptime_row("web", 1, 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    fmt_uptime_row("db", 3, 86400 + 61);
    fmt_uptime_row("x", 12, 59);
    fclose(xl_out);
    CHECK(!strcmp(buf, "web                                  1 2 days,  3:04:05\n"
                       "db                                   3 1 day,  0:01:01\n"
                       "x                                   12  0:00:59\n"));
    free(buf);
}

int main(void)
{
    RUN(xl_list_prints_xens_columns);
    RUN(xl_list_verbose_adds_uuid_and_reason);
    RUN(xl_list_unknown_domain_is_one_error_line);
    RUN(xl_vcpu_list_prints_xens_columns);
    RUN(xl_vcpu_pin_takes_xens_cpu_lists);
    RUN(xl_sched_credit_lists_and_sets);
    RUN(xl_sched_sedf_lists_and_sets_in_ms);
    RUN(xl_pause_unpause_destroy_change_the_domain);
    RUN(xl_domid_and_domname_convert);
    RUN(xl_info_prints_xens_keys_in_order);
    RUN(xl_dmesg_reads_and_clears_the_ring);
    RUN(xl_debug_keys_and_help);
    RUN(xl_uptime_has_xens_header);
    RUN(xl_uptime_formats_as_xen);
    free(out);
    free(err);
    ts_store_close();
    HARNESS_EXIT();
}
