/*
 * Host tests for Dom0's init (dom0-tools/init/init.c, setup.c): what it says on the console
 * when a daemon, a boot step or an orphan ends, that /etc/kumo/rc-style scripts run when
 * present, and module-list failures. The test process stands in for PID 1 as a child
 * subreaper, so orphans come back to it as they would to init.
 */
#define main dom0_init_main
#include "../../dom0-tools/init/init.c"
#undef main
#include "../../dom0-tools/init/setup.c"
#include "harness.h"

#include <sys/prctl.h>

static char console[4096];
static int saved_stdout = -1;
static FILE *capture;

/* init's console is its stdout: from here to console_text(), it goes to a file. */
static void console_capture(void)
{
    fflush(stdout);
    capture = tmpfile();
    saved_stdout = dup(STDOUT_FILENO);
    dup2(fileno(capture), STDOUT_FILENO);
}

static const char *console_text(void)
{
    size_t n;

    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    rewind(capture);
    n = fread(console, 1, sizeof(console) - 1, capture);
    console[n] = '\0';
    fclose(capture);
    return console;
}

static pid_t child(int exit_code, int sleep_ms)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (sleep_ms < 0)
            for (;;)
                pause();
        usleep((useconds_t)sleep_ms * 1000);
        _exit(exit_code);
    }
    return pid;
}

TEST(daemon_end_is_reported_by_name_clean_exit_included)
{
    pid_t pid = child(0, 10);
    int status;

    console_capture();
    watch_child(pid, "xenstored", true);
    CHECK_EQ(reap_one(&status), pid);
    pid = child(0, -1);
    watch_child(pid, "xenconsoled", true);
    kill(pid, SIGKILL);
    CHECK_EQ(reap_one(&status), pid);
    CHECK(!strcmp(console_text(), "init: xenstored exited with status 0\n"
                                  "init: xenconsoled killed by signal 9 (Killed)\n"));
}

TEST(boot_step_failure_is_reported_and_success_is_quiet)
{
    char *ok[] = { "/bin/sh", "-c", "exit 0", NULL }, *bad[] = { "/bin/sh", "-c", "exit 5", NULL };

    console_capture();
    CHECK_EQ(run_and_wait("quiet-step", ok), 0);
    CHECK(WIFEXITED(run_and_wait("loud-step", bad)));
    CHECK(!strcmp(console_text(), "init: loud-step exited with status 5\n"));
}

/* An orphan (a daemon that forked away unwatched) that fails is news; one that ends well not. */
TEST(orphan_failure_is_reported_by_pid_and_success_is_quiet)
{
    char *fail[] = { "/bin/sh", "-c", "(sleep 0.2; exit 3) & exit 0", NULL };
    char *fine[] = { "/bin/sh", "-c", "(sleep 0.2; exit 0) & exit 0", NULL };
    const char *text;
    int status, pid, end = 0;

    console_capture();
    CHECK_EQ(run_and_wait("starter", fail), 0);
    while (reap_one(&status) > 0)
        ;
    CHECK_EQ(run_and_wait("starter", fine), 0);
    while (reap_one(&status) > 0)
        ;
    text = console_text();
    CHECK(sscanf(text, "init: process %d exited with status 3\n%n", &pid, &end) == 1 &&
          pid > 1 && (size_t)end == strlen(text));
}

/* xenconsoled forks away and writes its pid file a little later, a partial line first. */
TEST(daemon_is_watched_through_its_pid_file)
{
    char path[] = "/tmp/kumo-init-pid-XXXXXX", want[256];
    int fd = mkstemp(path), status;
    pid_t pid;

    close(fd);
    pid = fork();
    if (pid == 0) {
        FILE *f = fopen(path, "w");
        char line[16];
        int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());

        usleep(200 * 1000);
        fwrite(line, 1, 1, f), fflush(f);
        usleep(200 * 1000);
        fwrite(line + 1, 1, (size_t)n - 1, f), fclose(f);
        for (;;)
            pause();
    }
    console_capture();
    watch_daemon("xenconsoled", path, 5000);
    kill(pid, SIGTERM);
    CHECK_EQ(reap_one(&status), pid);
    /* No pid file within the bound: said, not waited for forever. */
    unlink(path);
    watch_daemon("ghost", path, 100);
    snprintf(want, sizeof(want), "init: xenconsoled killed by signal 15 (Terminated)\n"
             "init: ghost: no pid in %s; its exit will be reported by pid\n", path);
    CHECK(!strcmp(console_text(), want));
}

TEST(rc_runs_when_present_and_its_absence_or_failure_is_said)
{
    char dir[] = "/tmp/kumo-init-rc-XXXXXX", rc[64], marker[64], want[256];
    FILE *f;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(rc, sizeof(rc), "%s/rc", dir);
    snprintf(marker, sizeof(marker), "%s/ran", dir);
    console_capture();
    CHECK_EQ(run_optional("rc", rc, true), -1);
    f = fopen(rc, "w");
    fprintf(f, "echo rc-output\ntouch %s\n", marker);
    fclose(f);
    CHECK_EQ(run_optional("rc", rc, true), 0);
    CHECK(access(marker, F_OK) == 0);
    f = fopen(rc, "w");
    fprintf(f, "exit 7\n");
    fclose(f);
    CHECK_EQ(run_optional("rc", rc, true), -1);
    snprintf(want, sizeof(want), "init: %s not present, skipped\nrc-output\n"
             "init: rc exited with status 7\ninit: %s failed; the boot goes on\n", rc, rc);
    CHECK(!strcmp(console_text(), want));
    unlink(rc);
    unlink(marker);
    rmdir(dir);
}

/* Only paths that do not exist: nothing is ever loaded into the host's kernel. */
TEST(module_load_failures_are_counted_and_named)
{
    char path[] = "/tmp/kumo-init-mods-XXXXXX", want[512];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    fprintf(f, "# comment\n\n/nonexistent/kumo-a.ko\n/nonexistent/kumo-b.ko\n");
    fclose(f);
    console_capture();
    CHECK_EQ(load_modules(path), 2);
    unlink(path);
    CHECK_EQ(load_modules(path), 1);
    snprintf(want, sizeof(want),
             "init: module /nonexistent/kumo-a.ko failed to load: No such file or directory\n"
             "init: module /nonexistent/kumo-b.ko failed to load: No such file or directory\n"
             "init: 0 modules loaded, 2 failed\n"
             "init: no module list %s: No such file or directory\n", path);
    CHECK(!strcmp(console_text(), want));
}

int main(void)
{
    /* As init does for every orphan in Dom0, this process reaps its children's orphans. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    RUN(daemon_end_is_reported_by_name_clean_exit_included);
    RUN(boot_step_failure_is_reported_and_success_is_quiet);
    RUN(orphan_failure_is_reported_by_pid_and_success_is_quiet);
    RUN(daemon_is_watched_through_its_pid_file);
    RUN(rc_runs_when_present_and_its_absence_or_failure_is_said);
    RUN(module_load_failures_are_counted_and_named);
    HARNESS_EXIT();
}
