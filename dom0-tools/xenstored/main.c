/*
 * xenstored's main: Xen's command line, the Unix socket at $XENSTORED_RUNDIR/socket
 * (default /run/xenstored), daemonizing, and the poll loop over the socket clients and
 * the event channel device that carries the rings' kicks and VIRQ_DOM_EXC.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "xenstored.h"
#include "util/unix_listen.h"

static volatile sig_atomic_t stopping;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void usage(FILE *f)
{
    fputs("usage: xenstored [options]\n"
          "  -D, --no-domain-init   serve the socket only: no /dev/xen, no Dom0 ring\n"
          "  -N, --no-fork          stay in the foreground\n"
          "  -F, --pid-file FILE    write the daemon's pid (default /run/xenstored.pid\n"
          "                         when serving domains)\n"
          "  -P, --output-pid       print the pid on stdout\n"
          "  -V, --verbose          log every request on stderr\n"
          "  -E, --entry-nb N       nodes per domain (1000)\n"
          "  -W, --watch-nb N       watches per domain (128)\n"
          "  -t, --transaction N    transactions per connection (10)\n"
          "  -S, --entry-size N     node size (2048)\n"
          "  -A, --perm-nb N        permissions per node (5)\n"
          "  -M, --path-max N       path length below a domain's home (2048)\n"
          "  -Q, --quota NAME=N     a quota by its CONTROL name (nodes, watches,\n"
          "                         transactions, outstanding, transaction-nodes, ...)\n"
          "  -w, --timeout watch-event=N  seconds a watch event waits for a domain (20)\n"
          "  -q, --quota-soft memory=N,\n"
          "  -T, --trace-file FILE, -I, --internal-db [on|off], -R, --no-recovery,\n"
          "  -e, --event N, -m, --master-domid N, -p, --priv-domid N\n"
          "                         accepted for Xen's scripts and ignored\n"
          "  -K, --keep-orphans     a domain's nodes pass to Dom0 when it goes, not away\n"
          "The socket is $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket (default\n"
          "/run/xenstored/socket).\n", f);
}

struct opts {
    bool no_domain_init, no_fork, output_pid;
    const char *pid_file;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        { "no-domain-init", no_argument, NULL, 'D' }, { "no-fork", no_argument, NULL, 'N' },
        { "pid-file", required_argument, NULL, 'F' }, { "output-pid", no_argument, NULL, 'P' },
        { "verbose", no_argument, NULL, 'V' }, { "entry-nb", required_argument, NULL, 'E' },
        { "watch-nb", required_argument, NULL, 'W' },
        { "transaction", required_argument, NULL, 't' },
        { "entry-size", required_argument, NULL, 'S' },
        { "perm-nb", required_argument, NULL, 'A' },
        { "path-max", required_argument, NULL, 'M' },
        { "quota", required_argument, NULL, 'Q' },
        { "trace-file", required_argument, NULL, 'T' }, { "help", no_argument, NULL, 'H' },
        { "quota-soft", required_argument, NULL, 'q' },
        { "timeout", required_argument, NULL, 'w' },
        { "internal-db", optional_argument, NULL, 'I' },
        { "no-recovery", no_argument, NULL, 'R' },
        { "keep-orphans", no_argument, NULL, 'K' },
        { "event", required_argument, NULL, 'e' },
        { "master-domid", required_argument, NULL, 'm' },
        { "priv-domid", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    /* Every option Xen 4.17's xenstored takes parses, so its init scripts' XENSTORED_ARGS
     * start us; those for what kumo does not have are ignored. */
    while ((c = getopt_long(argc, argv, "DNF:PVE:W:t:S:A:M:Q:T:hHq:w:I::RKe:m:p:", longs,
                            NULL)) != -1) {
        switch (c) {
        case 'D': o->no_domain_init = true; break;
        case 'N': o->no_fork = true; break;
        case 'F': o->pid_file = optarg; break;
        case 'P': o->output_pid = true; break;
        case 'V': xs_verbose = true; break;
        case 'E': xs_quota.nb_entry_per_domain = atoi(optarg); break;
        case 'W': xs_quota.nb_watch_per_domain = atoi(optarg); break;
        case 't': xs_quota.max_transaction = atoi(optarg); break;
        case 'S': xs_quota.max_entry_size = atoi(optarg); break;
        case 'A': xs_quota.nb_perms_per_node = atoi(optarg); break;
        case 'M':
            xs_quota.max_path_len = atoi(optarg);
            if (xs_quota.max_path_len > XENSTORE_REL_PATH_MAX)
                xs_quota.max_path_len = XENSTORE_REL_PATH_MAX;
            break;
        case 'Q':
            if (quota_set_option(optarg) < 0) {
                XS_LOG("bad quota %s", optarg);
                return -1;
            }
            break;
        case 'q':
            if (quota_soft_option(optarg) < 0) {
                XS_LOG("bad soft quota %s", optarg);
                return -1;
            }
            break;
        case 'w': {
            char *end = optarg;
            long secs = strncmp(optarg, "watch-event=", 12) ? -1 : strtol(optarg + 12, &end, 10);

            if (end == optarg + 12 || *end || secs < 0 || secs > 1000000) {
                XS_LOG("bad timeout %s", optarg);
                return -1;
            }
            xs_watch_event_timeout_ms = (unsigned int)secs * 1000;
            break;
        }
        case 'K': xs_keep_orphans = true; break;
        case 'T': case 'I': case 'R': case 'e': case 'm': case 'p': break;
        case 'h': case 'H': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Xen's xs_daemon_socket(): $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket. */
static int open_socket(void)
{
    const char *dir = getenv("XENSTORED_RUNDIR"), *path = getenv("XENSTORED_PATH");

    if (!dir || !*dir)
        dir = "/run/xenstored";
    mkdir(dir, 0755);
    if ((size_t)(path ? snprintf(sock_path, sizeof(sock_path), "%s", path) :
                        snprintf(sock_path, sizeof(sock_path), "%s/socket", dir)) >=
        sizeof(sock_path))
        return -ENAMETOOLONG;
    return unix_listen(sock_path, 64);
}

static long sock_read(struct conn *conn, void *buf, size_t len)
{
    ssize_t n = recv(conn->fd, buf, len, MSG_DONTWAIT);

    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

static long sock_write(struct conn *conn, const void *buf, size_t len)
{
    ssize_t n = send(conn->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (n >= 0)
        return n;
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

static const struct conn_ops sock_ops = { .read = sock_read, .write = sock_write };

static void accept_clients(int lfd)
{
    int fd;

    while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
        conn_new(&sock_ops, fd, 0);
}

/* One round: serve the rings (Dom0's kernel may have queued requests before we mapped its
 * ring, and a domain held back by its outstanding-requests quota needs no kick to go on),
 * then wait for anything and serve it. */
/* Event channel notifications taken per round; the rest wait in the device (in order). */
#define XS_EVENTS_PER_ROUND 64

static void serve_once(int lfd)
{
    /* A ring left with requests, or a notification taken but not acted on: no sleeping. */
    static bool serve_again;
    struct pollfd fds[1024];
    struct conn *who[1024];
    int n = 0, efd = xen_evtchn_fd();
    bool more = false;

    for (struct conn *c = xs_conns; c; c = c->next) {
        if (c->dom && !c->dead) {
            conn_flush(c);
            more |= conn_input(c);
        }
    }
    more |= serve_again;
    serve_again = false;
    conn_reap();
    fds[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
    if (efd >= 0)
        fds[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
    for (struct conn *c = xs_conns; c && n < 1024; c = c->next) {
        if (c->fd < 0 || c->dead)
            continue;
        who[n] = c;
        fds[n++] = (struct pollfd){ .fd = c->fd,
                                    .events = (short)((conn_can_read(c) ? POLLIN : 0) |
                                                      (conn_wants_write(c) ? POLLOUT : 0)) };
    }
    /* A ring left with requests has had its event: look at everyone, then serve it on. */
    if (poll(fds, (nfds_t)n, more ? 0 : -1) < 0)
        return;
    if (fds[0].revents)
        accept_clients(lfd);
    for (int i = efd >= 0 ? 2 : 1; i < n; i++) {
        if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL) && !(fds[i].revents & POLLIN)) {
            who[i]->dead = true;
        } else if (fds[i].revents) {
            conn_flush(who[i]);
            conn_input(who[i]);
        }
    }
    if (efd >= 0 && fds[1].revents) {
        uint32_t port;
        int rc = 0;

        /*
         * A port once a round: a guest on a pCPU of its own answers each kick at once, so
         * reading until the device is empty might never end while xl waits on its socket.
         * What is left stays in the device, whose fd polls ready at once next round.
         */
        uint32_t seen[XS_EVENTS_PER_ROUND];
        unsigned int nr_seen = 0;

        while (nr_seen < XS_EVENTS_PER_ROUND && (rc = xen_evtchn_pending(&port)) > 0) {
            bool again = false;

            /* One turn per port and round, however often it was notified meanwhile. */
            for (unsigned int i = 0; i < nr_seen && !again; i++)
                again = seen[i] == port;
            if (again) {
                serve_again = true;         /* the next round's first pass serves it */
                break;
            }
            seen[nr_seen++] = port;
            serve_again |= domain_event(port);
        }
        /* Events were lost: the rings are served at the top of every round anyway. */
        if (rc == -EFBIG)
            domain_check_dead();
        else if (rc < 0)
            XS_LOG("event channel device: %s", strerror(-rc));
    }
    conn_reap();
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Forks once: the parent stays until the daemon says it is ready (socket listening, pid
 * file written), so whoever started us may read the pid file as soon as we return; with
 * no second fork, the only process init inherits from us is the daemon itself. */
static int daemonize(int *ready_fd)
{
    int p[2];
    char ok;
    pid_t pid;

    if (pipe(p) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0) {
        close(p[1]);
        _exit(read(p[0], &ok, 1) == 1 ? 0 : 1);
    }
    close(p[0]);
    *ready_fd = p[1];
    setsid();
    if (chdir("/") < 0)
        XS_LOG("chdir /: %s", strerror(errno));
    return 0;
}

/* A Dom0 daemon's complaints go to the kernel log (so to Dom0's console) rather than
 * nowhere, as Xen's would; a socket-only daemon on a host keeps quiet. */
static void detach_stdio(bool to_kmsg)
{
    int null = open("/dev/null", O_RDWR), err = to_kmsg ? open("/dev/kmsg", O_WRONLY) : -1;

    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(err >= 0 ? err : null, 2);
    }
    if (err > 2)
        close(err);
    if (null > 2)
        close(null);
}

/* Written whole under a temporary name, so whoever waits for the file never reads half. */
static void write_pid_file(const char *path)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, path)) {
        XS_LOG("cannot write %s: %s", path, strerror(errno));
        return;
    }
}

static int start_domains(void)
{
    int rc = xen_open();

    if (rc < 0) {
        XS_LOG("cannot open /dev/xen/evtchn or privcmd: %s (use --no-domain-init without Xen)",
               strerror(-rc));
        return rc;
    }
    rc = dom0_ring_init();
    if (rc < 0)
        XS_LOG("cannot serve Dom0's ring (/proc/xen/xsd_kva, xsd_port): %s", strerror(-rc));
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = { 0 };
    struct sigaction sa = { .sa_handler = on_signal };
    int lfd, ready_fd = -1;

    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    if (!o.pid_file && !o.no_domain_init)
        o.pid_file = "/run/xenstored.pid";
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    tree_init();
    tree_seed();
    lfd = open_socket();
    if (lfd < 0) {
        XS_LOG("cannot serve %s: %s", sock_path, strerror(-lfd));
        return 1;
    }
    if (!o.no_domain_init && start_domains() < 0) {
        unlink(sock_path);      /* whoever waits for the socket must not see a dead one */
        return 1;
    }
    if (!o.no_fork && daemonize(&ready_fd) < 0) {
        XS_LOG("cannot fork: %s", strerror(errno));
        return 1;
    }
    if (o.pid_file)
        write_pid_file(o.pid_file);
    if (o.output_pid) {
        printf("%d\n", (int)getpid());
        fflush(stdout);
    }
    if (ready_fd >= 0) {
        detach_stdio(!o.no_domain_init);
        if (write(ready_fd, "", 1) != 1)
            XS_LOG("starter gone: %s", strerror(errno));
        close(ready_fd);
    }
    while (!stopping)
        serve_once(lfd);
    unlink(sock_path);
    if (o.pid_file)
        unlink(o.pid_file);
    domain_fini();
    while (xs_conns)
        conn_free(xs_conns);
    tree_fini();
    return 0;
}
