/*
 * xenconsoled's daemon: options (-F foreground, -l guest for log files, as Xen's
 * --log=guest), daemonizing with a pid file, and the one poll loop over xenstore's watch
 * events, the event channel device and the clients' socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "plat/plat.h"
#include "store/store.h"
#include "xenconsoled.h"

struct store *xcd_store;
static bool foreground;
static volatile sig_atomic_t stopping;

uint64_t xcd_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void xcd_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (foreground) {
        fprintf(stderr, "xenconsoled: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
    } else {
        vsyslog(LOG_DAEMON | LOG_WARNING, fmt, ap);
    }
    va_end(ap);
}

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

/* setup() ran before: the parent leaves with the daemon serving and its pid file written,
 * so whoever started it (Dom0's init) can read the pid at once. */
static int daemonize(void)
{
    pid_t pid = fork();
    FILE *f;
    int fd;

    if (pid < 0)
        return -errno;
    if (pid > 0) {
        if ((f = fopen(XCD_PIDFILE, "we"))) {
            fprintf(f, "%d\n", (int)pid);
            fclose(f);
        }
        _exit(0);
    }
    setsid();
    if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
        dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

static int setup(void)
{
    int rc;

    if ((rc = ctl_open()))
        return fprintf(stderr, "xenconsoled: no hypervisor interface: %s\n", strerror(-rc)), 1;
    if (!(xcd_store = store_open()))
        return fprintf(stderr, "xenconsoled: cannot reach xenstored: %s\n", strerror(errno)), 1;
    if ((rc = store_watch(xcd_store, "@introduceDomain", "domlist")) ||
        (rc = store_watch(xcd_store, "@releaseDomain", "domlist")))
        return fprintf(stderr, "xenconsoled: cannot watch domains: %s\n", strerror(-rc)), 1;
    if ((rc = plat_evtchn_fd()) < 0)
        return fprintf(stderr, "xenconsoled: /dev/xen/evtchn: %s\n", strerror(-rc)), 1;
    if ((rc = xcd_clients_listen(XCD_SOCKET)))
        return fprintf(stderr, "xenconsoled: %s: %s\n", XCD_SOCKET, strerror(-rc)), 1;
    if (xcd_log_guests && mkdir("/var/log/xen", 0755) && errno != EEXIST)
        xcd_log_guests = false;
    if (xcd_log_guests)
        mkdir(XCD_LOG_DIR, 0755);
    return 0;
}

static void handle_events(void)
{
    int port;

    while ((port = plat_evtchn_pending()) != 0) {
        if (port < 0) {
            if (port == -EFBIG)
                xcd_domains_port_fired(-1);     /* events were lost: look at every ring */
            return;
        }
        xcd_domains_port_fired(port);
    }
}

static int serve(void)
{
    struct pollfd fds[2 + 1 + XCD_MAX_CLIENTS];

    xcd_domains_scan();
    while (!stopping) {
        int n = 0, timeout, changes;

        fds[n++] = (struct pollfd){ .fd = store_fd(xcd_store), .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = plat_evtchn_fd(), .events = POLLIN };
        n += xcd_clients_pollfds(fds + n, (int)(sizeof(fds) / sizeof(fds[0])) - n);
        timeout = xcd_domains_timeout(xcd_now_ms());
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
            return xcd_log("poll: %s", strerror(errno)), 1;
        if ((changes = store_watch_events(xcd_store)) < 0)
            return xcd_log("xenstored went away"), 1;
        if (changes)
            xcd_domains_scan();
        handle_events();
        xcd_domains_port_fired(0);      /* throttled domains whose period ended */
        xcd_clients_handle(fds + 2, n - 2);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_stop };
    int opt, rc;

    while ((opt = getopt(argc, argv, "Fl:")) != -1) {
        if (opt == 'F')
            foreground = true;
        else if (opt == 'l' && (!strcmp(optarg, "guest") || !strcmp(optarg, "all")))
            xcd_log_guests = true;
        else if (opt != 'l')
            return fprintf(stderr, "usage: xenconsoled [-F] [-l none|guest|all]\n"), 2;
    }
    if ((rc = setup()))
        return rc;
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Consoles wait; Dom0's shell should not (a flooding guest is drained at low priority). */
    setpriority(PRIO_PROCESS, 0, 10);
    if (!foreground && daemonize())
        return 1;
    rc = serve();
    xcd_domains_release_all();
    unlink(XCD_SOCKET);
    return rc;
}
