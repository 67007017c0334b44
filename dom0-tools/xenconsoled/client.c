/*
 * `xl console` clients on a Unix socket (root only). A client sends "attach <domid>\n";
 * xenconsoled answers "ok\n", the domain's recent output, then whatever follows, and
 * passes the client's bytes to the guest's input; or "error <reason>\n" and closes. A
 * client that reads too slowly loses output beyond its queue rather than holding the
 * guest or the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenconsoled.h"
#include "util/unix_listen.h"

struct xcd_client {
    int fd;                             /* -1: slot free */
    bool attached;
    uint32_t domid;
    char line[40];
    size_t line_len;
    struct xcd_buf out;
};

static int listen_fd = -1;
static struct xcd_client clients[XCD_MAX_CLIENTS];

int xcd_clients_listen(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    for (int i = 0; i < XCD_MAX_CLIENTS; i++)
        clients[i].fd = -1;
    snprintf(dir, sizeof(dir), "%s", path);
    if ((slash = strrchr(dir, '/')) && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0700);
    }
    listen_fd = unix_listen(path, 8);
    if (listen_fd < 0) {
        int rc = listen_fd;

        listen_fd = -1;
        return rc;
    }
    return 0;
}

int xcd_clients_pollfds(struct pollfd *fds, int max)
{
    int n = 0;

    if (max < 1 || listen_fd < 0)
        return 0;
    fds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
    for (int i = 0; i < XCD_MAX_CLIENTS && n < max; i++)
        if (clients[i].fd >= 0)
            fds[n++] = (struct pollfd){ .fd = clients[i].fd,
                                        .events = POLLIN | (clients[i].out.len ? POLLOUT : 0) };
    return n;
}

static void client_close(struct xcd_client *c)
{
    close(c->fd);
    xcd_buf_free(&c->out);
    *c = (struct xcd_client){ .fd = -1 };
}

/* Sends what the socket takes now; false when the client is gone. */
static bool client_flush(struct xcd_client *c)
{
    const char *p;
    size_t n;

    while ((n = xcd_buf_peek(&c->out, &p))) {
        ssize_t sent = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (sent < 0)
            return errno == EAGAIN || errno == EINTR;
        xcd_buf_consume(&c->out, (size_t)sent);
    }
    return true;
}

static void client_say(struct xcd_client *c, const char *text)
{
    xcd_buf_put(&c->out, text, strlen(text));
}

/* The history, oldest first (it may wrap once). */
static void client_replay(struct xcd_client *c, const struct xcd_buf *h)
{
    struct xcd_buf view = *h;
    const char *p;
    size_t n;

    while ((n = xcd_buf_peek(&view, &p))) {
        xcd_buf_put(&c->out, p, n);
        xcd_buf_consume(&view, n);
    }
}

static void client_attach(struct xcd_client *c, const char *line, bool *keep)
{
    char reason[80];
    unsigned long domid;
    char *end;
    struct xcd_domain *d;

    if (strncmp(line, "attach ", 7) || (domid = strtoul(line + 7, &end, 10), *end)) {
        snprintf(reason, sizeof(reason), "error bad request\n");
    } else if (!(d = xcd_domain_find((uint32_t)domid))) {
        snprintf(reason, sizeof(reason), "error no console for domain %lu\n", domid);
    } else {
        client_say(c, "ok\n");
        client_replay(c, &d->history);
        c->attached = true;
        c->domid = (uint32_t)domid;
        return;
    }
    client_say(c, reason);
    client_flush(c);
    *keep = false;
}

/* Bytes from the client: the request line first, then the guest's input. */
static bool client_read(struct xcd_client *c)
{
    char buf[512];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    bool keep = true;
    size_t i = 0;

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    for (; n > 0 && !c->attached && i < (size_t)n && keep; i++) {
        if (buf[i] != '\n') {
            if (c->line_len + 1 >= sizeof(c->line))
                return false;
            c->line[c->line_len++] = buf[i];
            continue;
        }
        c->line[c->line_len] = '\0';
        client_attach(c, c->line, &keep);
    }
    if (keep && c->attached && n > 0 && i < (size_t)n) {
        struct xcd_domain *d = xcd_domain_find(c->domid);

        if (d)
            xcd_domain_input(d, buf + i, (size_t)n - i);
    }
    return keep;
}

static void client_accept(void)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return;
    for (int i = 0; i < XCD_MAX_CLIENTS; i++)
        if (clients[i].fd < 0) {
            if (xcd_buf_init(&clients[i].out, XCD_CLIENT_BUF))
                break;
            clients[i].fd = fd;
            return;
        }
    close(fd);                          /* full: the client sees the connection end */
}

void xcd_clients_handle(const struct pollfd *fds, int n)
{
    for (int k = 0; k < n; k++) {
        if (!fds[k].revents)
            continue;
        if (fds[k].fd == listen_fd) {
            client_accept();
            continue;
        }
        for (int i = 0; i < XCD_MAX_CLIENTS; i++) {
            struct xcd_client *c = &clients[i];

            if (c->fd != fds[k].fd)
                continue;
            if (((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && !client_read(c)) ||
                !client_flush(c))
                client_close(c);
            break;
        }
    }
}

void xcd_clients_output(uint32_t domid, const char *p, size_t n)
{
    for (int i = 0; i < XCD_MAX_CLIENTS; i++) {
        struct xcd_client *c = &clients[i];

        if (c->fd >= 0 && c->attached && c->domid == domid) {
            xcd_buf_put(&c->out, p, n);
            if (!client_flush(c))
                client_close(c);
        }
    }
}

void xcd_clients_domain_gone(uint32_t domid)
{
    for (int i = 0; i < XCD_MAX_CLIENTS; i++)
        if (clients[i].fd >= 0 && clients[i].attached && clients[i].domid == domid) {
            client_flush(&clients[i]);
            client_close(&clients[i]);
        }
}
