/*
 * xl against Xen 4.17's xl (tools/xl/xl.c, xl_cmdtable.c, xl_utils.c def_getopt, xl_info.c,
 * xl_vcpu.c, xl_sched.c, xl_vmcontrol.c), over the fake platform: what each command prints
 * on stdout byte for byte, its exit status, and the words of its error line.
 */
#include "harness.h"
#include "xl_sources.h"

#include "xl_run.h"

static bool error_is(const char *line)
{
    return !strcmp(err, line);
}

TEST(xl_help_lists_the_commands_in_xens_words)
{
    setup_usual_host();
    CHECK_EQ(xl("help"), 0);
    CHECK(!strncmp(out, "Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:"
                        "\n\n create              Create a domain from config file <filename>\n"
                        " list                List information about all/some domains\n", 158));
    CHECK(strstr(out, "\n uptime              Print uptime for all/some domains\n"));
    CHECK(out[strlen(out) - 2] != '\n');        /* no blank line after the list */
    CHECK(!strstr(out, " help "));              /* xl's help is no command of the table */
    CHECK_EQ(xl("help help"), 0);
    CHECK(!strncmp(out, "Usage xl [-vfNtT]", 17));
    CHECK_EQ(xl("help nosuch"), 0);
    CHECK(!strcmp(out, "command \"nosuch\" not implemented\n"));
}

TEST(xl_command_help_prints_xens_usage_and_options_and_succeeds)
{
    static const char list_help[] =
        "Usage: xl [-vtT] list [options] [Domain]\n\n\n"
        "List information about all/some domains.\n\n"
        "Options:\n\n"
        "-l, --long              Output all VM details\n"
        "-v, --verbose           Prints out UUIDs and security context\n"
        "-Z, --context           Prints out security context\n"
        "-c, --cpupool           Prints the cpupool the domain is in\n"
        "-n, --numa              Prints out NUMA node affinity\n";

    setup_usual_host();
    CHECK_EQ(xl("list -h"), 0);
    CHECK(!strcmp(out, list_help) && !err[0]);
    CHECK_EQ(xl("list --help"), 0);
    CHECK(!strcmp(out, list_help));
    CHECK_EQ(xl("help list"), 0);
    CHECK(!strcmp(out, list_help));
    CHECK_EQ(xl("pause -h"), 0);
    CHECK(!strcmp(out, "Usage: xl [-vtTf] pause <Domain>\n\nPause execution of a domain.\n\n"));
    CHECK_EQ(xl("help vcpu-pin"), 0);
    CHECK(!strncmp(out, "Usage: xl [-vtTfN] vcpu-pin [option] <Domain> <VCPU|all> "
                        "<Hard affinity|-|all> <Soft affinity|-|all>\n\n", 99));
    CHECK_EQ(fake_hv.dom[0].pause_count, 0);
}

TEST(xl_without_a_command_prints_help_and_fails)
{
    setup_usual_host();
    CHECK_EQ(xl("xl"), 1);
    CHECK(!strncmp(out, "Usage xl [-vfNtT] <subcommand> [args]\n", 38));
}

TEST(xl_unknown_command_is_not_implemented)
{
    setup_usual_host();
    CHECK_EQ(xl("frobnicate"), 1);
    CHECK(error_is("xl: command not implemented\n") && !out[0]);
}

TEST(xl_runs_a_command_named_by_an_unambiguous_prefix)
{
    setup_usual_host();
    CHECK_EQ(xl("li"), 0);
    CHECK(!strncmp(out, "Name                                        ID", 46));
    CHECK_EQ(xl("sched-cr -d web"), 1);          /* Xen's sched-credit2 too */
    CHECK(error_is("xl: command not implemented\n"));
    CHECK_EQ(xl("sched-credit -d web"), 0);      /* an exact name wins */
    CHECK(strstr(out, "web                                  1    256    0\n"));
    CHECK_EQ(xl("vcpu-l"), 0);
    CHECK(!strncmp(out, "Name                                ID  VCPU", 44));
    CHECK_EQ(xl("vcpu-"), 1);                    /* list, pin, set: which? */
    CHECK(error_is("xl: command not implemented\n"));
    CHECK_EQ(xl("con web"), 1);                  /* console or Xen's config-update */
    CHECK_EQ(xl("save web"), 1);                 /* Xen's, not kumo's */
    CHECK(error_is("xl: command not implemented\n"));
}

TEST(xl_unknown_option_fails_with_status_2)
{
    setup_usual_host();
    CHECK_EQ(xl("list -q"), 2);
    CHECK(error_is("xl: option `q' not supported.\n") && !out[0]);
    CHECK_EQ(xl("sched-credit -d"), 2);          /* its argument missing */
    CHECK(error_is("xl: option `d' not supported.\n"));
    CHECK_EQ(xl("list --bogus"), 2);
    CHECK(error_is("xl: option `--bogus' not supported.\n"));
}

TEST(xl_missing_arguments_fail_with_status_2_and_the_help)
{
    setup_usual_host();
    CHECK_EQ(xl("pause"), 2);
    CHECK(error_is("xl: 'xl pause' requires at least 1 argument.\n"));
    CHECK(!strcmp(out, "Usage: xl [-vtTf] pause <Domain>\n\nPause execution of a domain.\n\n"));
    CHECK_EQ(xl("vcpu-pin web 0"), 2);
    CHECK(error_is("xl: 'xl vcpu-pin' requires at least 3 arguments.\n"));
    CHECK_EQ(xl("mem-s web"), 2);
    CHECK(error_is("xl: 'xl mem-set' requires at least 2 arguments.\n"));
    CHECK_EQ(xl("domid"), 2);
}

TEST(xl_takes_xens_global_options)
{
    setup_usual_host();
    CHECK_EQ(xl("xl -v -t list db"), 0);
    CHECK(strstr(out, "\ndb "));
    CHECK_EQ(xl("xl -x list"), 1);
    CHECK(error_is("xl: unknown global option\n"));
    CHECK_EQ(xl("xl -N pause web"), 1);
    CHECK(error_is("xl: command does not implement -N (dryrun) option\n"));
    CHECK_EQ(fake_hv.dom[1].pause_count, 0);
    CHECK_EQ(xl("xl -N vcpu-pin web 0 1 0-1"), 0);
    CHECK(!strcmp(out, "cpumap: 1 all\n"));
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x3);   /* a dry run pins nothing */
    CHECK_EQ(xl("xl -N vcpu-pin web 0 - ^0,1"), 0);
    CHECK(!strcmp(out, "cpumap: - 1\n"));
}

TEST(xl_list_takes_at_most_one_domain)
{
    setup_usual_host();
    CHECK_EQ(xl("list web db"), 1);
    CHECK(!strncmp(out, "Usage: xl [-vtT] list [options] [Domain]\n", 41));
}

TEST(xl_list_of_an_unknown_domain_fails_in_xens_words)
{
    setup_usual_host();
    CHECK_EQ(xl("list nosuch"), 1);
    CHECK(error_is("xl: nosuch is an invalid domain identifier (rc=-6)\n") && !out[0]);
    CHECK_EQ(xl("list 7"), 1);
    CHECK(error_is("xl: Error: Domain '7' does not exist.\n") && !out[0]);
}

TEST(xl_list_prints_the_context_cpupool_and_numa_columns)
{
    setup_usual_host();
    CHECK_EQ(xl("list -Z -c -n db"), 0);
    CHECK(!strcmp(out,
        "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        "   Security Label         Cpupool NODE Affinity\n"
        "db                                           3    64     1     r-----       1.5"
        "                -          Pool-0 all\n"));
    CHECK_EQ(xl("list --verbose --context 3"), 0);
    CHECK(strstr(out, "Reason-Code\tSecurity Label\n"));
    CHECK(strstr(out, "        -                -\n"));
}

TEST(xl_info_name_prints_each_key_it_begins_as_xen)
{
    setup_usual_host();
    CHECK_EQ(xl("info xen_ver"), 0);
    CHECK(!strcmp(out, "4.17.0-kumo\n"));
    CHECK_EQ(xl("info xen_m"), 0);
    CHECK(!strcmp(out, "4\n17\n"));
    CHECK_EQ(xl("info cpu_mhz extra"), 0);       /* the rest is ignored */
    CHECK(!strcmp(out, "2097.172\n"));
    fake_hv.capabilities = 0;
    CHECK_EQ(xl("info virt_caps"), 0);
    CHECK(!out[0]);                              /* "virt_caps :" has no ": " */
    CHECK_EQ(xl("info"), 0);
    CHECK(strstr(out, "\nvirt_caps              :\n"));
}

TEST(xl_info_shows_the_hypervisors_caps_and_platform_as_xen)
{
    setup_usual_host();
    CHECK_EQ(xl("info"), 0);
    CHECK(strstr(out, "\nxen_caps               : hvm-3.0-x86_32 hvm-3.0-x86_32p "
                      "hvm-3.0-x86_64 \n"));
    CHECK(strstr(out, "\nplatform_params        : virt_start=0xffff800000000000\n"));
    CHECK(strstr(out, "\nxen_scheduler          : credit\n"));
    fake_hv.sched_id = 1;                        /* an id libxl has no name for */
    CHECK_EQ(xl("info xen_sch"), 0);
    CHECK(!strcmp(out, "(null)\n"));
}

TEST(xl_info_virt_caps_has_xens_words)
{
    setup_usual_host();
    fake_hv.capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_pv |
                           XEN_SYSCTL_PHYSCAP_directio | XEN_SYSCTL_PHYSCAP_hap |
                           XEN_SYSCTL_PHYSCAP_shadow | XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share |
                           XEN_SYSCTL_PHYSCAP_vmtrace | XEN_SYSCTL_PHYSCAP_vpmu |
                           XEN_SYSCTL_PHYSCAP_gnttab_v1 | XEN_SYSCTL_PHYSCAP_gnttab_v2;
    CHECK_EQ(xl("info"), 0);
    CHECK(strstr(out, "\nvirt_caps              : pv hvm hvm_directio pv_directio hap shadow "
                      "iommu_hap_pt_share vmtrace vpmu gnttab-v1 gnttab-v2\n"));
}

TEST(xl_info_numa_prints_xens_topology_tables)
{
    setup_usual_host();
    CHECK_EQ(xl("info -n"), 0);
    CHECK(strstr(out, "\nfree_cpus              : 0\n"
                      "cpu_topology           :\n"
                      "cpu:    core    socket     node\n"
                      "  0:       0        0        0\n"
                      "  1:       1        0        0\n"
                      "device topology        :\n"
                      "device           node\n"
                      "No device topology data available\n"
                      "numa_info              :\n"
                      "node:    memsize    memfree    distances\n"
                      "   0:      1024        192      10\n"
                      "xen_major              : 4\n"));
    CHECK_EQ(xl("info --numa xen_major"), 0);    /* with -n the name filters nothing */
    CHECK(strstr(out, "\nxen_major              : 4\n"));
}

TEST(xl_uptime_short_mode_prints_xens_line)
{
    char *buf = NULL;
    size_t len;

    setenv("TZ", "UTC", 1);
    xl_out = open_memstream(&buf, &len);
    fmt_uptime_short("web", 1, 2 * 86400 + 3 * 3600 + 4 * 60 + 5, 3600 + 120 + 3);
    fmt_uptime_short("x", 12, 59 * 60 + 59, 0);
    fclose(xl_out);
    CHECK(!strcmp(buf, " 01:02:03 up 2 days,  3:04, web (1)\n"
                       " 00:00:00 up  0:59, x (12)\n"));
    free(buf);
    setup_usual_host();
    CHECK_EQ(xl("uptime -s 0"), 0);
    CHECK(strlen(out) > 9 && !strncmp(out + 9, " up ", 4) && strstr(out, ", Domain-0 (0)\n"));
    CHECK(!strstr(out, "Name"));
}

TEST(xl_domid_takes_names_and_domname_reads_ids_as_xen)
{
    setup_usual_host();
    CHECK_EQ(xl("domid 0"), 1);                  /* Dom0 is "Domain-0" by name */
    CHECK(error_is("xl: Can't get domid of domain name '0', maybe this domain does not "
                   "exist.\n"));
    CHECK_EQ(xl("domname web"), 1);
    CHECK(error_is("xl: Invalid domain id.\n"));
    CHECK_EQ(xl("domname 9"), 1);
    CHECK(error_is("xl: Can't get domain name of domain id '9', maybe this domain does not "
                   "exist.\n"));
    CHECK_EQ(xl("domname 1x"), 0);               /* strtol stops at the x, as in Xen */
    CHECK(!strcmp(out, "web\n"));
}

TEST(xl_sched_credit_takes_xens_options_and_ranges)
{
    setup_usual_host();
    CHECK_EQ(xl("sched-credit -s"), 0);
    CHECK(!strcmp(out, "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\n"));
    CHECK_EQ(xl("sched-credit -s -d web"), 1);
    CHECK(error_is("xl: Specifying a cpupool or schedparam is not allowed with domain "
                   "options.\n"));
    CHECK_EQ(xl("sched-credit -t 10"), 1);
    CHECK(error_is("xl: Must specify schedparam to set schedule parameter values.\n"));
    CHECK_EQ(xl("sched-credit -w 5"), 1);
    CHECK(error_is("xl: Must specify a domain.\n"));
    CHECK_EQ(xl("sched-credit -p Pool-0"), 0);
    CHECK(!strncmp(out, "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\nName ",
                   70));
    CHECK_EQ(xl("sched-credit -p nosuch"), 1);
    CHECK(error_is("xl: unknown cpupool 'nosuch'\n"));
    CHECK_EQ(xl("sched-credit -d web -c 201"), 1);   /* two vCPUs: 200 at most */
    CHECK(error_is("xl: Cpu cap out of range, valid range is from 0 to 200 for specified "
                   "number of vcpus\n"));
    CHECK_EQ(xl("sched-credit -d web -c 200"), 0);
    CHECK_EQ(fake_hv.dom[1].cap, 200);
    CHECK_EQ(xl("sched-credit --domain=web --weight=65536"), 1);
    CHECK(error_is("xl: Cpu weight out of range, valid values are within range from 1 to "
                   "65535\n"));
    CHECK_EQ(fake_hv.dom[1].weight, 256);
}

/* -s with -t/-r/-m changes the pool's parameters as libxl checks them; -s alone shows them,
 * and an unreadable pool gets Xen's words for that. */
/* vcpu-pin's soft affinity is set, and vcpu-list shows both as Xen's "hard / soft". */
TEST(xl_vcpu_pin_sets_soft_affinity_and_vcpu_list_shows_it)
{
    setup_usual_host();
    CHECK_EQ(xl("vcpu-pin web 0 all 1"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x3);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].soft_affinity, 0x2);
    CHECK_EQ(xl("vcpu-pin web 1 0 -"), 0);          /* "-": the soft one stays */
    CHECK_EQ(xl("vcpu-list web"), 0);
    CHECK(strstr(out, "web                                  1     0    0   r--       1.5  all / 1\n"));
    CHECK(strstr(out, "web                                  1     1    0   -b-       3.0  0 / all\n"));
    CHECK_EQ(xl("vcpu-pin web all - all"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].soft_affinity, 0x3);          /* every pCPU there is */
}

TEST(xl_sched_credit_pool_parameters_set_and_shown_as_xen)
{
    setup_usual_host();
    CHECK_EQ(xl("sched-credit -s -t 10 -r 500"), 0);
    CHECK(!out[0]);
    CHECK_EQ(xl("sched-credit -s -m 2000"), 0);
    CHECK_EQ(xl("sched-credit -s"), 0);
    CHECK(!strcmp(out, "Cpupool Pool-0: tslice=10ms ratelimit=500us migration-delay=2000us\n"));
    CHECK_EQ(xl("sched-credit -s -r 0"), 0);            /* 0 turns the rate limit off */
    CHECK_EQ(fake_hv.credit.ratelimit_us, 0);
    CHECK_EQ(xl("sched-credit -s -t 0"), 1);
    CHECK(error_is("xl: Time slice out of range, valid range is from 1 to 1000\n"));
    CHECK_EQ(xl("sched-credit -s -r 50"), 1);
    CHECK(error_is("xl: Ratelimit out of range, valid range is from 100 to 500000\n"));
    CHECK_EQ(xl("sched-credit -s -r 20000"), 1);        /* above the 10 ms slice */
    CHECK(error_is("xl: Ratelimit cannot be greater than timeslice\n"));
    CHECK_EQ(xl("sched-credit -s -m 100001"), 1);
    CHECK(error_is("xl: vcpu migration delay should be >= 0 and <= 100000us\n"));
    CHECK_EQ(fake_hv.credit.tslice_ms, 10);             /* nothing refused was applied */
    fake_hv.sched_id = 4;                               /* the pool runs another scheduler */
    CHECK_EQ(xl("sched-credit -s"), 0);
    CHECK(!strcmp(out, "Cpupool Pool-0: [sched params unavailable]\n"));
    CHECK_EQ(xl("sched-credit -s -t 20"), 1);
    CHECK(error_is("xl: libxl_sched_credit_params_get failed.\n"));
}

TEST(xl_sched_lists_only_the_pools_its_scheduler_runs)
{
    setup_usual_host();
    CHECK_EQ(xl("sched-sedf"), 0);
    CHECK(!out[0] && !err[0]);
    CHECK_EQ(xl("sched-sedf -d web"), 1);
    CHECK(!strcmp(out, "Name                                ID Period Slice  Latency Extra "
                       "Weight\n"));
    CHECK(error_is("xl: libxl_domain_sched_params_get returned credit not sedf.\n"));
    fake_hv.sched_id = KUMO_SCHEDULER_SEDF;
    CHECK_EQ(xl("sched-credit"), 0);
    CHECK(!out[0] && !err[0]);
}

TEST(xl_vcpu_pin_parses_cpu_lists_as_xen)
{
    setup_usual_host();
    CHECK_EQ(xl("vcpu-pin web 0 ^all"), 1);
    CHECK(error_is("xl: Can't combine \"^\" and \"all\".\n"));
    CHECK_EQ(xl("vcpu-pin web 0 0-x"), 1);
    CHECK(error_is("xl: Invalid pcpu range: 0-x.\n"));
    CHECK_EQ(xl("vcpu-pin web 0 1,,"), 0);       /* empty items are skipped */
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x2);
    CHECK_EQ(xl("vcpu-pin web all nodes:all"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x3);
    CHECK_EQ(fake_hv.dom[1].vcpu[1].affinity, 0x3);
    CHECK_EQ(xl("vcpu-pin web 0 1"), 0);
    CHECK_EQ(xl("vcpu-pin web 0 - 0"), 0);       /* soft only: hard stays */
    CHECK_EQ(fake_hv.dom[1].vcpu[0].affinity, 0x2);
    CHECK_EQ(fake_hv.dom[1].vcpu[0].soft_affinity, 0x1);
    CHECK_EQ(xl("vcpu-pin web 0 1 x"), 1);       /* a bad soft affinity fails too */
    CHECK(error_is("xl: Invalid pcpu range: x.\n"));
    CHECK_EQ(xl("vcpu-pin -f web all 0"), 1);
    CHECK(error_is("xl: Error: --force and 'all' as VCPU not allowed.\n"));
    CHECK_EQ(xl("vcpu-pin web one 0"), 1);
    CHECK(error_is("xl: Error: Invalid argument one as VCPU.\n"));
    CHECK_EQ(xl("vcpu-pin web 5 0"), 1);
    CHECK(error_is("xl: Could not set affinity for vcpu `5'.\n"));
    CHECK_EQ(xl("vcpu-pin --force web 1 0"), 0);
    CHECK_EQ(fake_hv.dom[1].vcpu[1].affinity, 0x1);
}

TEST(xl_vcpu_list_prints_the_header_before_a_bad_domain)
{
    setup_usual_host();
    CHECK_EQ(xl("vcpu-list db nosuch"), 1);
    CHECK(!strncmp(out, "Name                                ID  VCPU   CPU", 50));
    CHECK(strstr(out, "\ndb                                   3     0"));
    CHECK(error_is("xl: nosuch is an invalid domain identifier (rc=-6)\n"));
}

TEST(xl_destroy_and_shutdown_fail_in_xens_words)
{
    setup_usual_host();
    CHECK_EQ(xl("destroy 0"), 1);
    CHECK(error_is("xl: Not destroying domain 0; use -f to force.\n"));
    CHECK_EQ(xl("destroy 7"), 1);
    CHECK(error_is("xl: destroy failed (rc=-21)\n"));
    CHECK_EQ(xl("shutdown"), 1);
    CHECK(error_is("xl: You must specify -a or a domain id.\n"));
    CHECK_EQ(xl("vcpu-set web 3"), 1);
    CHECK(error_is("xl: You are overcommmitting! You have 2 physical CPUs and want 3 vCPUs! "
                   "Aborting, use --ignore-host to continue\n"));
    CHECK_EQ(xl("vcpu-set web x"), 1);
    CHECK(error_is("xl: Error: Invalid argument.\n"));
    CHECK_EQ(xl("debug-keys q"), 0);
}

TEST(xl_dmesg_takes_the_long_clear_option)
{
    setup_usual_host();
    fake_console_write("(kumo) one\n");
    CHECK_EQ(xl("dmesg --clear"), 0);
    CHECK(!strcmp(out, "(kumo) one\n"));
    CHECK_EQ(xl("dmesg"), 0);
    CHECK(!out[0]);
}

int main(void)
{
    RUN(xl_help_lists_the_commands_in_xens_words);
    RUN(xl_command_help_prints_xens_usage_and_options_and_succeeds);
    RUN(xl_without_a_command_prints_help_and_fails);
    RUN(xl_unknown_command_is_not_implemented);
    RUN(xl_runs_a_command_named_by_an_unambiguous_prefix);
    RUN(xl_unknown_option_fails_with_status_2);
    RUN(xl_missing_arguments_fail_with_status_2_and_the_help);
    RUN(xl_takes_xens_global_options);
    RUN(xl_list_takes_at_most_one_domain);
    RUN(xl_list_of_an_unknown_domain_fails_in_xens_words);
    RUN(xl_list_prints_the_context_cpupool_and_numa_columns);
    RUN(xl_info_name_prints_each_key_it_begins_as_xen);
    RUN(xl_info_shows_the_hypervisors_caps_and_platform_as_xen);
    RUN(xl_info_virt_caps_has_xens_words);
    RUN(xl_info_numa_prints_xens_topology_tables);
    RUN(xl_uptime_short_mode_prints_xens_line);
    RUN(xl_domid_takes_names_and_domname_reads_ids_as_xen);
    RUN(xl_sched_credit_takes_xens_options_and_ranges);
    RUN(xl_vcpu_pin_sets_soft_affinity_and_vcpu_list_shows_it);
    RUN(xl_sched_credit_pool_parameters_set_and_shown_as_xen);
    RUN(xl_sched_lists_only_the_pools_its_scheduler_runs);
    RUN(xl_vcpu_pin_parses_cpu_lists_as_xen);
    RUN(xl_vcpu_list_prints_the_header_before_a_bad_domain);
    RUN(xl_destroy_and_shutdown_fail_in_xens_words);
    RUN(xl_dmesg_takes_the_long_clear_option);
    free(out);
    free(err);
    ts_store_close();
    HARNESS_EXIT();
}
