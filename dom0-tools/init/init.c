/*
 * Dom0's init: mounts the pseudo file systems and xenfs, loads the modules, starts xenstored
 * and introduces the boot-time domains to it, creates the guests' bridge, runs /etc/kumo/rc,
 * then keeps a shell on Dom0's console. As PID 1 it inherits every orphan, so any daemon that
 * dies is reaped here and reported on the console by name (an orphan only when it fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

#define XENSTORED           "/usr/sbin/xenstored"
#define XENSTORED_SOCKET    "/run/xenstored/socket"
#define XENSTORED_PID       "/run/xenstored.pid"
#define INTRODUCE           "/usr/libexec/kumo/introduce-boot-domains"
#define XENCONSOLED         "/usr/sbin/xenconsoled"
#define XENCONSOLED_PID     "/run/xenconsoled.pid"
#define PID_FILE_WAIT_MS    5000
#define RC                  "/etc/kumo/rc"
#define MODULE_LIST         "/etc/kumo/modules"
#define SOCKET_WAIT_MS      30000
#define MAX_WATCHED         16

struct watched {
    pid_t pid;
    bool quiet_success;             /* a boot step: only its failure is news */
    char name[32];
};

static struct watched watched[MAX_WATCHED];
static volatile sig_atomic_t power_request;

void say(const char *fmt, ...)
{
    char buf[256] = "init: ";
    size_t room = sizeof(buf) - 7;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + 6, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= room)
        n = (int)room - 1;
    buf[6 + n] = '\n';
    /* One write, so lines from init and its children do not interleave mid-line. */
    if (write(STDOUT_FILENO, buf, (size_t)n + 7) < 0)
        return;
}

void watch_child(pid_t pid, const char *name, bool daemon)
{
    for (int i = 0; i < MAX_WATCHED; i++)
        if (!watched[i].pid) {
            watched[i].pid = pid;
            watched[i].quiet_success = !daemon;
            snprintf(watched[i].name, sizeof(watched[i].name), "%s", name);
            return;
        }
}

static void report_exit(pid_t pid, int status)
{
    char name[48];
    int i;

    for (i = 0; i < MAX_WATCHED && watched[i].pid != pid; i++)
        ;
    if (i < MAX_WATCHED) {
        snprintf(name, sizeof(name), "%s", watched[i].name);
        watched[i].pid = 0;
        if (watched[i].quiet_success && WIFEXITED(status) && !WEXITSTATUS(status))
            return;
    } else {
        /* An orphan that finished its work (xl's domain monitor once its domain is gone)
         * is no news; one that failed or was killed is. */
        if (WIFEXITED(status) && !WEXITSTATUS(status))
            return;
        snprintf(name, sizeof(name), "process %d", (int)pid);
    }
    if (WIFEXITED(status))
        say("%s exited with status %d", name, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        say("%s killed by signal %d (%s)", name, WTERMSIG(status), strsignal(WTERMSIG(status)));
}

pid_t reap_one(int *status)
{
    pid_t pid = waitpid(-1, status, 0);

    if (pid > 0)
        report_exit(pid, *status);
    return pid;
}

static pid_t spawn(char *const argv[], bool new_session)
{
    pid_t pid = fork();

    if (pid == 0) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (new_session)
            setsid();
        execv(argv[0], argv);
        say("cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        say("cannot fork for %s: %s", argv[0], strerror(errno));
    return pid;
}

int run_and_wait(const char *name, char *const argv[])
{
    pid_t pid = spawn(argv, false), got;
    int status = 0;

    if (pid < 0)
        return -1;
    watch_child(pid, name, false);
    do
        got = reap_one(&status);
    while (got != pid && !(got < 0 && errno == ECHILD));
    return status;
}

static void mount_one(const char *src, const char *dir, const char *type, unsigned long flags)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, flags, NULL) < 0 && errno != EBUSY)
        say("mount %s on %s failed: %s", type, dir, strerror(errno));
}

static bool wait_for_file(const char *path, int ms)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };
    struct stat st;

    for (int waited = 0; waited < ms; waited += 50) {
        if (!stat(path, &st))
            return true;
        nanosleep(&tick, NULL);
    }
    return false;
}

/* The pid a daemon wrote, once the file holds one; 0 if none within ms. */
static pid_t read_pid_file(const char *path, int ms)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };

    for (int waited = 0;; waited += 50) {
        FILE *f = fopen(path, "re");
        int pid = 0;
        char nl = 0;

        /* The daemon may still be writing it: a line without its newline is read again. */
        if (f) {
            if (fscanf(f, "%d%c", &pid, &nl) != 2 || nl != '\n')
                pid = 0;
            fclose(f);
        }
        if (pid > 1)
            return pid;
        if (waited >= ms)
            return 0;
        nanosleep(&tick, NULL);
    }
}

void watch_daemon(const char *name, const char *pid_file, int ms)
{
    pid_t pid = read_pid_file(pid_file, ms);

    if (pid)
        watch_child(pid, name, true);
    else
        say("%s: no pid in %s; its exit will be reported by pid", name, pid_file);
}

static void start_xenstored(void)
{
    char *argv[] = { XENSTORED, NULL };
    int status;

    if (access(XENSTORED, X_OK)) {
        say("%s not present: no xenstore, Dom0's xenbus stays idle", XENSTORED);
        return;
    }
    status = run_and_wait("xenstored", argv);
    if (status) {
        say("xenstored did not start; continuing without xenstore");
        return;
    }
    if (!wait_for_file(XENSTORED_SOCKET, SOCKET_WAIT_MS)) {
        say("xenstored: no %s after %d s", XENSTORED_SOCKET, SOCKET_WAIT_MS / 1000);
        return;
    }
    watch_daemon("xenstored", XENSTORED_PID, PID_FILE_WAIT_MS);
    say("xenstored running");
}

int run_optional(const char *name, const char *path, bool script)
{
    char *prog_argv[] = { (char *)path, NULL };
    char *sh_argv[] = { "/bin/sh", (char *)path, NULL };
    int status;

    if (access(path, script ? R_OK : X_OK)) {
        say("%s not present, skipped", path);
        return -1;
    }
    status = run_and_wait(name, script ? sh_argv : prog_argv);
    if (status)
        say("%s failed; the boot goes on", path);
    return status ? -1 : 0;
}

static void early_mounts(void)
{
    mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
    mkdir("/dev/pts", 0755);
    mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC);
    mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV);
    mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV);
}

/* The shell owns the console as its controlling terminal, so Ctrl-C reaches its jobs. */
static pid_t start_shell(void)
{
    static const char *const ttys[] = { "/dev/hvc0", "/dev/console" };
    pid_t pid = fork();

    if (pid == 0) {
        sigset_t none;
        int fd = -1;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        for (unsigned int i = 0; i < 2 && fd < 0; i++)
            fd = open(ttys[i], O_RDWR);
        if (fd >= 0) {
            ioctl(fd, TIOCSCTTY, 0);
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
        execl("/bin/sh", "-sh", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void on_power_signal(int sig)
{
    power_request = sig;
}

/* busybox's poweroff/reboot/halt signal PID 1 (USR2, TERM, USR1) and leave the rest to it. */
static void power_off_if_asked(void)
{
    int sig = power_request;

    if (!sig)
        return;
    say("%s requested", sig == SIGTERM ? "reboot" : "power-off");
    kill(-1, SIGTERM);
    sync();
    reboot(sig == SIGTERM ? RB_AUTOBOOT : RB_POWER_OFF);
}

static __attribute__((noreturn)) void supervise(void)
{
    pid_t shell = start_shell();

    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);

        power_off_if_asked();
        if (pid < 0)
            continue;
        if (pid != shell) {
            report_exit(pid, status);
            continue;
        }
        say("shell exited; starting another");
        sleep(1);
        shell = start_shell();
    }
}

int main(void)
{
    struct sigaction sa = { .sa_handler = on_power_signal };

    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", "/root", 1);
    setenv("TERM", "vt100", 1);
    setenv("PS1", "dom0# ", 1);
    early_mounts();
    say("kumo Dom0 init");
    load_modules(MODULE_LIST);
    mount_one("xenfs", "/proc/xen", "xenfs", 0);
    start_xenstored();
    run_optional("introduce-boot-domains", INTRODUCE, false);
    /* It daemonizes once serving: its parent's exit says it started, its pid file who it is. */
    if (!run_optional("xenconsoled", XENCONSOLED, false))
        watch_daemon("xenconsoled", XENCONSOLED_PID, PID_FILE_WAIT_MS);
    create_bridge("xenbr0");
    run_optional("rc", RC, true);
    say("Dom0 ready. Try: xl list, xl info (Ctrl-A three times: kumo's debug keys)");
    supervise();
}
