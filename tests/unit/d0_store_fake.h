/*
 * A small xenstored for host tests of the toolstack: a thread answering Xen's wire protocol
 * on a Unix socket ($XENSTORED_PATH) from a flat table of nodes, enough for what the
 * domain builder and destroy do (read, write, mkdir, rm, set_perms, directory, introduce,
 * release). fs.fail_at makes the n-th changing request answer ENOSPC.
 */
#ifndef D0_STORE_FAKE_H
#define D0_STORE_FAKE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define FS_MAX_NODES 512

struct fs_node {
    char path[160], value[160], perms[64];
};

static struct {
    struct fs_node node[FS_MAX_NODES];
    unsigned int n;
    unsigned int fail_at, changes;      /* the fail_at'th change fails (0: none) */
    uint32_t introduced_domid, introduced_port;
    uint64_t introduced_gfn;
    int listen_fd;
    char sock[108];
} fs;

static struct fs_node *fs_find(const char *path)
{
    for (unsigned int i = 0; i < fs.n; i++)
        if (!strcmp(fs.node[i].path, path))
            return &fs.node[i];
    return NULL;
}

/* Creates path and its missing parents, as xenstored's write and mkdir do. */
static struct fs_node *fs_make(const char *path)
{
    char parent[160];
    char *slash;
    struct fs_node *n = fs_find(path);

    if (n || fs.n == FS_MAX_NODES)
        return n;
    snprintf(parent, sizeof(parent), "%s", path);
    slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        fs_make(parent);
    }
    n = &fs.node[fs.n++];
    memset(n, 0, sizeof(*n));
    snprintf(n->path, sizeof(n->path), "%s", path);
    return n;
}

static bool fs_under(const char *path, const char *top)
{
    size_t l = strlen(top);

    return !strncmp(path, top, l) && (path[l] == '\0' || path[l] == '/');
}

static void fs_rm(const char *top)
{
    for (unsigned int i = 0; i < fs.n;)
        if (fs_under(fs.node[i].path, top))
            fs.node[i] = fs.node[--fs.n];
        else
            i++;
}

/* Nodes at or below top. */
static unsigned int fs_count(const char *top)
{
    unsigned int c = 0;

    for (unsigned int i = 0; i < fs.n; i++)
        c += fs_under(fs.node[i].path, top);
    return c;
}

/* Nodes strictly below top. */
static unsigned int fs_below(const char *top)
{
    return fs_count(top) - (fs_find(top) ? 1 : 0);
}

static const char *fs_read(const char *path)
{
    struct fs_node *n = fs_find(path);

    return n ? n->value : NULL;
}

static void fs_reply(int fd, struct xsd_sockmsg *h, uint32_t type, const char *body, uint32_t len)
{
    struct xsd_sockmsg a = { type, h->req_id, h->tx_id, len };

    if (write(fd, &a, sizeof(a)) != sizeof(a) || (len && write(fd, body, len) != (ssize_t)len))
        return;
}

static void fs_answer(int fd, struct xsd_sockmsg *h, char *body)
{
    const char *arg2 = body + strlen(body) + 1;
    bool change = h->type == XS_WRITE || h->type == XS_MKDIR || h->type == XS_SET_PERMS ||
                  h->type == XS_INTRODUCE;
    struct fs_node *n;

    if (change && fs.fail_at && ++fs.changes == fs.fail_at) {
        fs_reply(fd, h, XS_ERROR, "ENOSPC", 7);
        return;
    }
    switch (h->type) {
    case XS_READ:
        if (!(n = fs_find(body)))
            fs_reply(fd, h, XS_ERROR, "ENOENT", 7);
        else
            fs_reply(fd, h, XS_READ, n->value, (uint32_t)strlen(n->value));
        return;
    case XS_WRITE: {
        size_t vlen = h->len - (strlen(body) + 1);

        n = fs_make(body);
        snprintf(n->value, sizeof(n->value), "%.*s", (int)vlen, arg2);
        break;
    }
    case XS_MKDIR:
        fs_make(body);
        break;
    case XS_RM:
        fs_rm(body);
        break;
    case XS_SET_PERMS:
        if (!(n = fs_find(body))) {
            fs_reply(fd, h, XS_ERROR, "ENOENT", 7);
            return;
        }
        n->perms[0] = '\0';
        for (const char *p = arg2; p < body + h->len; p += strlen(p) + 1)
            snprintf(n->perms + strlen(n->perms), sizeof(n->perms) - strlen(n->perms), "%s%s",
                     n->perms[0] ? "," : "", p);
        break;
    case XS_INTRODUCE:
        fs.introduced_domid = (uint32_t)strtoul(body, NULL, 10);
        fs.introduced_gfn = strtoull(arg2, NULL, 10);
        fs.introduced_port = (uint32_t)strtoul(arg2 + strlen(arg2) + 1, NULL, 10);
        break;
    case XS_RELEASE:
        break;
    default:
        fs_reply(fd, h, XS_ERROR, "ENOSYS", 7);
        return;
    }
    fs_reply(fd, h, h->type, "OK", 3);
}

static void *fs_serve(void *arg)
{
    static char body[XENSTORE_PAYLOAD_MAX + 1];
    int fd;

    (void)arg;
    while ((fd = accept(fs.listen_fd, NULL, NULL)) >= 0) {
        struct xsd_sockmsg h;

        while (read(fd, &h, sizeof(h)) == sizeof(h) && h.len <= XENSTORE_PAYLOAD_MAX) {
            if (h.len && read(fd, body, h.len) != (ssize_t)h.len)
                break;
            body[h.len] = '\0';
            fs_answer(fd, &h, body);
        }
        close(fd);
    }
    return NULL;
}

/* Starts the server once and points the store client at it. */
static void fs_start(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    pthread_t t;

    snprintf(fs.sock, sizeof(fs.sock), "/tmp/kumo-fs-%d.sock", (int)getpid());
    unlink(fs.sock);
    strcpy(a.sun_path, fs.sock);
    fs.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(fs.listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(fs.listen_fd, 4) ||
        pthread_create(&t, NULL, fs_serve, NULL)) {
        perror("fake xenstored");
        exit(2);
    }
    pthread_detach(t);
    setenv("XENSTORED_PATH", fs.sock, 1);
}

static void fs_reset(void)
{
    fs.n = 0;
    fs.fail_at = fs.changes = 0;
    fs.introduced_domid = fs.introduced_port = 0;
    fs.introduced_gfn = 0;
}

#endif
