/*
 * xl console: attaches the terminal to a domain's console through xenconsoled's socket
 * (the guest's recent output first, then what follows; typed bytes go to the guest).
 * Ctrl-] detaches, as in Xen. kumo's xenconsoled serves a socket rather than a pty per
 * guest, so several `xl console` may follow one guest at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "toolstack/toolstack.h"
#include "xl.h"

#define XCD_SOCKET "/run/xenconsoled/socket"
#define ESCAPE_CHAR 0x1d                /* Ctrl-] */
#define CONNECT_TRIES 30

/* 0 when attached; -EAGAIN while xenconsoled has no console for domid yet; else 1. */
static int console_connect(uint32_t domid, int *fd, bool quiet)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = getenv("XENCONSOLED_PATH");
    char req[32], reply[96];
    size_t got = 0;

    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path ? path : XCD_SOCKET);
    *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0 || connect(*fd, (struct sockaddr *)&addr, sizeof(addr)))
        return xl_error("cannot reach xenconsoled (%s): %s", addr.sun_path, strerror(errno));
    snprintf(req, sizeof(req), "attach %u\n", domid);
    if (write(*fd, req, strlen(req)) != (ssize_t)strlen(req))
        return xl_error("xenconsoled: %s", strerror(errno));
    /* The reply line, read byte by byte so that no console output is taken with it. */
    while (got + 1 < sizeof(reply) && read(*fd, reply + got, 1) == 1 && reply[got] != '\n')
        got++;
    reply[got] = '\0';
    if (!strcmp(reply, "ok"))
        return 0;
    if (quiet && !strncmp(reply, "error no console", 16))
        return -EAGAIN;
    if (!strncmp(reply, "error ", 6))
        return xl_error("%s", reply + 6);
    return xl_error("xenconsoled closed the connection");
}

static bool relay_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Keyboard to guest until Ctrl-] or the guest's end; 0 either way. */
static int console_relay(int fd)
{
    struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
    char buf[4096];

    fflush(xl_out);
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        if (fds[1].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));

            if (n <= 0 || !relay_all(1, buf, (size_t)n))
                return 0;               /* the domain went away */
        }
        if (fds[0].revents) {
            ssize_t n = read(0, buf, sizeof(buf));
            char *esc = n > 0 ? memchr(buf, ESCAPE_CHAR, (size_t)n) : NULL;

            if (n <= 0) {
                fds[0].fd = -1;         /* input ended: keep following the output */
                continue;
            }
            if (esc)
                n = esc - buf;
            if (n > 0 && !relay_all(fd, buf, (size_t)n))
                return 0;
            if (esc)
                return 0;
        }
    }
}

int xl_console_attach(uint32_t domid)
{
    struct termios saved, raw;
    bool tty = isatty(0) && !tcgetattr(0, &saved);
    int fd = -1, rc, tries = 0;

    /* A domain created a moment ago may not have reached xenconsoled yet. */
    while ((rc = console_connect(domid, &fd, ++tries < CONNECT_TRIES)) == -EAGAIN) {
        close(fd);
        usleep(100000);
    }

    if (!rc) {
        if (tty) {
            raw = saved;
            cfmakeraw(&raw);
            raw.c_oflag |= OPOST | ONLCR;   /* the guest's "\n" still starts a line here */
            tcsetattr(0, TCSANOW, &raw);
        }
        rc = console_relay(fd);
        if (tty)
            tcsetattr(0, TCSANOW, &saved);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int main_console(int argc, char **argv)
{
    uint32_t domid;
    int opt, rc;

    while ((opt = xl_getopt(argc, argv, "n:t:", NULL, "console", 1, &rc)) != -1) {
        if (opt == XL_OPT_EXIT)
            return rc;
        if (opt == 't' && strcmp(optarg, "pv") && strcmp(optarg, "serial"))
            return xl_error("console type supported are: pv, serial, vuart");
        if (opt == 'n' && atoi(optarg) != 0)
            return xl_error("console number %s: kumo has one console per domain", optarg);
    }
    if ((rc = xl_find_domain(argv[optind], &domid)))
        return rc;
    return xl_console_attach(domid);
}
