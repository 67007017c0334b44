/*
 * xl's operations on running domains over the fake platform (libs/plat/fake.c) with the
 * real xenstored (the built program, run without Xen on a private socket): shutdown
 * and reboot requests and Xen's messages without PV control, rename, mem-set/mem-max,
 * vcpu-set, list -l, top -b, and the monitor's on_* actions. Errors are one "xl: ..."
 * line with a non-zero status.
 */
#include "harness.h"
#include "../../dom0-tools/libs/plat/fake.c"
#include "../../dom0-tools/libs/ctl/ctl.c"
#include "../../dom0-tools/libs/ctl/ctl_build.c"
#include "../../dom0-tools/libs/store/store.c"
#include "../../dom0-tools/libs/toolstack/cpulist.c"
#include "../../dom0-tools/libs/toolstack/domain.c"
#include "../../dom0-tools/libs/toolstack/introduce.c"
#include "../../dom0-tools/libs/toolstack/lifecycle.c"
#include "../../dom0-tools/libs/toolstack/control.c"
#include "../../dom0-tools/libs/toolstack/retrieve.c"
#include "../../dom0-tools/libs/toolstack/monitor.c"
#include "../../dom0-tools/libs/toolstack/config_parse.c"
#include "../../dom0-tools/libs/toolstack/config.c"
#include "../../dom0-tools/libs/toolstack/config_dev.c"
#include "../../dom0-tools/libs/toolstack/config_json.c"
#include "../../dom0-tools/libs/toolstack/userdata.c"
#include "../../dom0-tools/xl/cmdtable.c"
#include "../../dom0-tools/xl/create.c"
#include "../../dom0-tools/xl/format.c"
#include "../../dom0-tools/xl/domain.c"
#include "../../dom0-tools/xl/vcpu.c"
#include "../../dom0-tools/xl/sched.c"
#include "../../dom0-tools/xl/info.c"
#include "../../dom0-tools/xl/lifecycle.c"
#include "../../dom0-tools/xl/mem.c"
#include "../../dom0-tools/xl/list_json.c"
#include "../../dom0-tools/xl/top.c"
#include "../../dom0-tools/xl/console.c"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "xl_run.h"
static char sock_path[108];
static pid_t daemon_pid;

/* Builds for the monitor's restarts: the builder's seam, counted. */
static unsigned int creates;
static char created_name[64];
int ts_domain_create(const struct ts_domain_config *cfg, bool paused, uint32_t *domid,
                     struct ts_create_error *e)
{
    (void)paused, (void)e;
    creates++;
    snprintf(created_name, sizeof(created_name), "%s", cfg->name);
    fake_add_domain(5, cfg->name, 32, 1);
    *domid = 5;
    return 0;
}

/* build/dom0-tools/bin/xenstored, found beside this test's build/unit/. */
static void xenstored_path(char *path, size_t len)
{
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    self[n > 0 ? n : 0] = '\0';
    if ((slash = strrchr(self, '/')))
        *slash = '\0';
    snprintf(path, len, "%s/../dom0-tools/bin/xenstored", self);
}

static bool start_xenstored(void)
{
    static char dir[64];
    char prog[600];
    struct stat st;

    xenstored_path(prog, sizeof(prog));
    snprintf(dir, sizeof(dir), "/tmp/kumo-xlops-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(sock_path, sizeof(sock_path), "%s/socket", dir);
    unlink(sock_path);
    setenv("XENSTORED_RUNDIR", dir, 1);
    setenv("XENSTORED_PATH", sock_path, 1);
    daemon_pid = fork();
    if (daemon_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlives a test that crashed */
        execl(prog, "xenstored", "-D", "-N", (char *)NULL);
        _exit(127);
    }
    /* Ready once it answers: the socket file exists a moment before it listens. */
    for (int ms = 0; ms < 10000; ms += 10) {
        struct store *s = stat(sock_path, &st) ? NULL : store_open();

        if (s) {
            store_close(s);
            return true;
        }
        usleep(10000);
    }
    printf("no xenstored at %s (run `make dom0-tools` first)\n", prog);
    return false;
}

static void stop_xenstored(void)
{
    ts_store_close();
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
    }
    daemon_pid = 0;
    unlink(sock_path);
}

static char *store_get(const char *path)
{
    static char value[256];
    char *v = ts_store() ? store_read(ts_store(), path, NULL) : NULL;

    snprintf(value, sizeof(value), "%s", v ? v : "(none)");
    free(v);
    return value;
}

static bool one_error_line(void)
{
    const char *line = strstr(err, "xl: ");

    return line && !strstr(line + 1, "xl: ") && strchr(line, '\n') == line + strlen(line) - 1;
}

/* Dom0, "web" (domid 1, 256 MiB, 2 vCPUs, PV drivers up), "db" (domid 3, no PV drivers). */
static void setup(void)
{
    stop_xenstored();
    fake_reset();
    fake_add_domain(1, "web", 256, 2);
    fake_add_domain(3, "db", 64, 1);
    fake_hv.dom[1].params[HVM_PARAM_CALLBACK_IRQ] = 2ULL << 56 | 0xf3;
    CHECK(start_xenstored());
    creates = 0;
    CHECK_EQ(ts_introduce_boot_domain(1, 1000), 0);
    CHECK_EQ(ts_introduce_boot_domain(3, 1000), 0);
}

TEST(xl_shutdown_writes_control_shutdown)
{
    setup();
    CHECK_EQ(xl("shutdown web"), 0);
    CHECK(!strcmp(err, "Shutting down domain 1\n"));
    CHECK(!strcmp(store_get("/local/domain/1/control/shutdown"), "poweroff"));
    CHECK_EQ(xl("reboot 1"), 0);
    CHECK(!strcmp(err, "Rebooting domain 1\n"));
    CHECK(!strcmp(store_get("/local/domain/1/control/shutdown"), "reboot"));
}

TEST(xl_shutdown_without_pv_control_says_so_as_xen)
{
    setup();
    CHECK(xl("shutdown db") != 0);
    CHECK(!strcmp(err, "Shutting down domain 3\n"
                       "PV control interface not available: external graceful shutdown not "
                       "possible.\n"
                       "Use \"-F\" to fallback to ACPI power event.\n"
                       "xl: shutdown failed (rc=-10)\n"));
    CHECK(!strcmp(store_get("/local/domain/3/control/shutdown"), "(none)"));
    CHECK(xl("reboot db") != 0);
    CHECK(strstr(err, "external graceful reboot not possible.\nUse \"-F\" to fallback to ACPI "
                      "reset event.\nxl: reboot failed (rc=-10)\n"));
    CHECK(xl("shutdown nosuch") != 0);
    CHECK(one_error_line());
    CHECK(xl("shutdown") != 0);
    CHECK(one_error_line());
}

TEST(xl_shutdown_all_waits_for_each_domain)
{
    setup();
    fake_hv.dom[3].params[HVM_PARAM_CALLBACK_IRQ] = 1;
    fake_hv.dom[1].shutdown = true;             /* already off: -w returns at once */
    fake_hv.dom[1].reason = SHUTDOWN_poweroff;
    fake_hv.dom[3].shutdown = true;             /* and db crashed meanwhile */
    fake_hv.dom[3].reason = SHUTDOWN_crash;
    CHECK_EQ(xl("shutdown -a -w"), 0);
    CHECK(strstr(err, "Shutting down domain 1\nShutting down domain 3\nWaiting for 2 domains\n"));
    CHECK(strstr(err, "Domain 1 has been shut down, reason code 0\n"));
    CHECK(strstr(err, "Domain 3 has been shut down, reason code 3\n"));
    CHECK(!strstr(err, "domain 0"));
}

TEST(xl_rename_renames_in_xenstore_and_refuses_taken_names)
{
    setup();
    CHECK_EQ(xl("rename web shop"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/name"), "shop"));
    CHECK(!strcmp(store_get("/vm/00000000-0000-0000-0000-000000000001/name"), "shop"));
    CHECK_EQ(xl("domid shop"), 0);
    CHECK(!strcmp(out, "1\n"));
    CHECK(xl("rename shop db") != 0);
    CHECK(one_error_line() && strstr(err, "already exists"));
    CHECK(!strcmp(store_get("/local/domain/1/name"), "shop"));
}

TEST(xl_mem_set_writes_the_target_within_static_max)
{
    setup();
    CHECK_EQ(xl("mem-set web 128"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/memory/target"), "131072"));
    CHECK_EQ(fake_hv.dom[1].max_pages, (131072 + 1024) / 4);   /* enforced, libxl's slack */
    CHECK_EQ(xl("mem-set web 262144k"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/memory/target"), "262144"));
    CHECK(xl("mem-set web 1g") != 0);                           /* above static-max */
    CHECK(one_error_line() && strstr(err, "memory_static_max"));
    CHECK(xl("mem-set web lots") != 0);
    CHECK(one_error_line() && strstr(err, "invalid memory size: lots"));
    CHECK_EQ(xl_parse_mem_kb("2g"), 2 * 1024 * 1024);
    CHECK_EQ(xl_parse_mem_kb("4096b"), 4);
    CHECK_EQ(xl_parse_mem_kb("9999999999999t"), -1);
    CHECK_EQ(xl_parse_mem_kb("12mb"), -1);
}

TEST(xl_mem_max_sets_the_bound_not_below_the_target)
{
    setup();
    CHECK_EQ(xl("mem-max web 512m"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/memory/static-max"), "524288"));
    CHECK_EQ(fake_hv.dom[1].max_pages, (524288 + 1024) / 4);
    CHECK(xl("mem-max web 100") != 0);                          /* target is 256 MiB */
    CHECK(one_error_line() && strstr(err, "static max memory"));
    CHECK(!strcmp(store_get("/local/domain/1/memory/static-max"), "524288"));
}

TEST(xl_vcpu_set_writes_availability)
{
    setup();
    CHECK_EQ(xl("vcpu-set web 1"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/cpu/0/availability"), "online"));
    CHECK(!strcmp(store_get("/local/domain/1/cpu/1/availability"), "offline"));
    CHECK_EQ(xl("vcpu-set web 2"), 0);
    CHECK(!strcmp(store_get("/local/domain/1/cpu/1/availability"), "online"));
    CHECK(xl("vcpu-set web 3") != 0);               /* overcommits the two pCPUs */
    CHECK(one_error_line() && strstr(err, "overcommmitting"));
    CHECK(xl("vcpu-set --ignore-host web 3") != 0); /* beyond the domain's max */
    CHECK(one_error_line() && strstr(err, "maxcpus is 2"));
    CHECK(xl("vcpu-set web x") != 0);
    CHECK(one_error_line());
}

TEST(xl_list_long_prints_libxl_json_per_domain)
{
    setup();
    fake_hv.dom[3].weight = 512;
    CHECK_EQ(xl("list -l db"), 0);
    CHECK(!strncmp(out, "[\n    {\n        \"domid\": 3,\n        \"config\": {\n"
                        "            \"c_info\": {\n                \"type\": \"pvh\",\n"
                        "                \"name\": \"db\",\n", 133));
    CHECK(strstr(out, "\"arch_x86\": {\n\n                }\n"));   /* yajl's empty map */
    CHECK(strstr(out, "\n            \"b_info\": {\n                \"max_vcpus\": 1,\n"
                      "                \"avail_vcpus\": [\n                    0\n"
                      "                ],\n"));
    CHECK(strstr(out, "\"max_memkb\": 65536,\n                \"target_memkb\": 65536,\n"
                      "                \"sched_params\": {\n                    \"weight\": 512,\n"
                      "                    \"cap\": 0\n                },\n"));
    CHECK(strstr(out, "\"on_reboot\": \"restart\""));
    CHECK(!strcmp(out + strlen(out) - 21, "\"\n        }\n    }\n]\n\n"));
    CHECK_EQ(xl("list -l"), 0);
    CHECK(strstr(out, "\"domid\": 0,") && strstr(out, "\"domid\": 1,") &&
          strstr(out, "    },\n    {\n        \"domid\": 3,"));
}

/* Domain 3's config as xl create would have kept it, in a fresh userdata directory. */
static bool keep_config_for_db(char *dir, size_t dir_len, char *path, size_t path_len,
                               const char *text)
{
    FILE *f;

    snprintf(dir, dir_len, "/tmp/kumo-xlops-kept-%d", (int)getpid());
    mkdir(dir, 0700);
    setenv("KUMO_USERDATA_DIR", dir, 1);
    snprintf(path, path_len, "%s/userdata-d.3.00000000-0000-0000-0000-000000000003.xl", dir);
    f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    fclose(f);
    return true;
}

TEST(xl_list_long_shows_the_kept_config_brought_up_to_date)
{
    char dir[64], path[160];

    setup();
    CHECK(keep_config_for_db(dir, sizeof(dir), path, sizeof(path),
                             "name = \"db-as-created\"\ntype = \"pvh\"\n"
                             "kernel = \"/boot/vmlinuz\"\ncmdline = \"console=hvc0\"\n"
                             "memory = 8\non_crash = \"preserve\"\n"));
    fake_hv.dom[3].weight = 512;
    CHECK_EQ(xl("list -l db"), 0);
    CHECK(strstr(out, "\"kernel\": \"/boot/vmlinuz\"") && strstr(out, "\"cmdline\": \"console=hvc0\""));
    CHECK(strstr(out, "\"on_crash\": \"preserve\""));
    /* What changed since: its name, its memory (64 MiB now, not 8) and its weight. */
    CHECK(strstr(out, "\"name\": \"db\"") && !strstr(out, "db-as-created"));
    CHECK(strstr(out, "\"max_memkb\": 65536,") && strstr(out, "\"weight\": 512,"));
    unlink(path);
    rmdir(dir);
    setenv("KUMO_USERDATA_DIR", "/tmp/kumo-xlops-userdata-none", 1);
}

TEST(xl_top_batch_prints_xentops_columns)
{
    setup();
    fake_hv.dom[3].pause_count = 1;
    CHECK_EQ(xl("top -b -i 1"), 0);
    CHECK(!strcmp(out,
        "      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS"
        " NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID\n"
        "        db ----p-          1    0.0      65536    6.2      65536       6.2     1    0"
        "        0        0    0        0        0        0          0          0    0\n"
        "  Domain-0 -----r          1    0.0     524288   50.0     524288      50.0     1    0"
        "        0        0    0        0        0        0          0          0    0\n"
        "       web -----r          4    0.0     262144   25.0     262144      25.0     2    0"
        "        0        0    0        0        0        0          0          0    0\n"));
    CHECK(xl("top -q") != 0);
    CHECK(one_error_line());
}

/* A shut-down domain with cfg's actions, the monitor's one look at it. */
static int monitor_once(struct ts_domain_config *cfg, unsigned int reason, uint32_t *domid)
{
    struct ts_monitor m = { .domid = 3, .cfg = cfg };
    int rc;

    fake_hv.dom[3].shutdown = true;
    fake_hv.dom[3].reason = reason;
    rc = ts_monitor_step(&m);
    *domid = m.domid;
    return rc;
}

TEST(monitor_applies_the_on_actions)
{
    struct ts_domain_config cfg = { .name = (char *)"db", .on_poweroff = TS_ACTION_DESTROY,
                                    .on_reboot = TS_ACTION_RESTART,
                                    .on_crash = TS_ACTION_PRESERVE,
                                    .on_watchdog = TS_ACTION_RENAME_RESTART };
    struct ts_monitor running = { .domid = 3, .cfg = &cfg };
    uint32_t domid;

    setup();
    CHECK_EQ(ts_monitor_step(&running), TS_MONITOR_WAIT);      /* still running */
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_crash, &domid), TS_MONITOR_DONE);
    CHECK(fake_hv.dom[3].exists && domid == 3 && !creates);    /* preserved, listed */
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_reboot, &domid), TS_MONITOR_WAIT);
    CHECK(!fake_hv.dom[3].exists && domid == 5 && creates == 1);   /* rebuilt */
    CHECK(!strcmp(store_get("/local/domain/3/name"), "(none)"));   /* old nodes gone */
    fake_add_domain(3, "db", 64, 1);
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_poweroff, &domid), TS_MONITOR_DONE);
    CHECK(!fake_hv.dom[3].exists && creates == 1);
    fake_add_domain(3, "db", 64, 1);
    CHECK_EQ(ts_introduce_boot_domain(3, 1000), 0);
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_watchdog, &domid), TS_MONITOR_WAIT);
    CHECK(fake_hv.dom[3].exists && domid == 5 && creates == 2);    /* old one kept... */
    CHECK(!strncmp(store_get("/local/domain/3/name"), "db-", 3));  /* ...renamed */
    CHECK_EQ(ts_monitor_action(&cfg, SHUTDOWN_suspend), 0);
}

TEST(monitor_restarts_from_the_kept_config)
{
    struct ts_domain_config cfg = { .name = (char *)"db", .on_reboot = TS_ACTION_RESTART };
    char dir[64], path[160];
    uint32_t domid;

    setup();
    CHECK(keep_config_for_db(dir, sizeof(dir), path, sizeof(path),
                             "name = \"db-kept\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 8\n"));
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_reboot, &domid), TS_MONITOR_WAIT);
    CHECK(creates == 1 && !strcmp(created_name, "db-kept"));
    CHECK(access(path, F_OK) != 0);             /* the destroy removed what was kept */
    fake_add_domain(3, "db", 64, 1);            /* nothing kept: the monitor's own config */
    CHECK_EQ(monitor_once(&cfg, SHUTDOWN_reboot, &domid), TS_MONITOR_WAIT);
    CHECK(creates == 2 && !strcmp(created_name, "db"));
    rmdir(dir);
    setenv("KUMO_USERDATA_DIR", "/tmp/kumo-xlops-userdata-none", 1);
}

TEST(monitor_ends_when_the_domain_is_destroyed)
{
    struct ts_domain_config cfg = { .name = (char *)"db", .on_reboot = TS_ACTION_RESTART };
    struct ts_monitor m = { .domid = 3, .cfg = &cfg };

    setup();
    fake_hv.dom[3].exists = false;
    CHECK_EQ(ts_monitor_step(&m), TS_MONITOR_DONE);
    CHECK_EQ(creates, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("KUMO_USERDATA_DIR", "/tmp/kumo-xlops-userdata-none", 1);
    RUN(xl_shutdown_writes_control_shutdown);
    RUN(xl_shutdown_without_pv_control_says_so_as_xen);
    RUN(xl_shutdown_all_waits_for_each_domain);
    RUN(xl_rename_renames_in_xenstore_and_refuses_taken_names);
    RUN(xl_mem_set_writes_the_target_within_static_max);
    RUN(xl_mem_max_sets_the_bound_not_below_the_target);
    RUN(xl_vcpu_set_writes_availability);
    RUN(xl_list_long_prints_libxl_json_per_domain);
    RUN(xl_list_long_shows_the_kept_config_brought_up_to_date);
    RUN(xl_top_batch_prints_xentops_columns);
    RUN(monitor_applies_the_on_actions);
    RUN(monitor_restarts_from_the_kept_config);
    RUN(monitor_ends_when_the_domain_is_destroyed);
    stop_xenstored();
    free(out);
    free(err);
    HARNESS_EXIT();
}
