/*
 * The xenstore wire protocol: a request is a struct xsd_sockmsg and its payload, the
 * answer the same with the request's id; an XS_ERROR answer carries an errno's name.
 */
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>


struct store {
    int fd;
    uint32_t req_id;
    int timeout_ms;
    bool broken;                    /* a request went unanswered: the stream is out of step */
    unsigned int events;            /* watch events not yet reported */
};

static int connect_socket(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = getenv("XENSTORED_PATH"), *dir = getenv("XENSTORED_RUNDIR");
    int fd;

    if (path)
        strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
    else if (dir && strlen(dir) + sizeof("/socket") <= sizeof(addr.sun_path))
        strcat(strcpy(addr.sun_path, dir), "/socket");
    else
        strcpy(addr.sun_path, "/run/xenstored/socket");
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct store *store_open(void)
{
    struct store *s;
    int fd = connect_socket(), timeout_ms = STORE_SOCKET_TIMEOUT_MS;

    if (fd < 0) {
        fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
        timeout_ms = STORE_TIMEOUT_MS;
    }
    if (fd < 0)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return NULL;
    }
    s->fd = fd;
    s->timeout_ms = timeout_ms;
    return s;
}

void store_set_timeout(struct store *s, int ms)
{
    s->timeout_ms = ms;
}

void store_close(struct store *s)
{
    if (s) {
        close(s->fd);
        free(s);
    }
}

int store_encode(void *buf, size_t len, uint32_t type, uint32_t req_id,
                 const char *const *strs, unsigned int nr, int with_nul)
{
    struct xsd_sockmsg *m = buf;
    char *p = (char *)(m + 1);
    size_t used = 0;

    if (len < sizeof(*m))
        return -E2BIG;
    for (unsigned int i = 0; i < nr; i++) {
        size_t n = strlen(strs[i]) + (i + 1 < nr || with_nul);

        if (used + n > XENSTORE_PAYLOAD_MAX || sizeof(*m) + used + n > len)
            return -E2BIG;
        memcpy(p + used, strs[i], n);       /* n covers the NUL where one is sent */
        used += n;
    }
    *m = (struct xsd_sockmsg){ .type = type, .req_id = req_id, .tx_id = 0,
                               .len = (uint32_t)used };
    return (int)(sizeof(*m) + used);
}

int store_error(const char *payload, size_t len)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (strlen(xsd_errors[i].errstring) == strnlen(payload, len) &&
            !strncmp(payload, xsd_errors[i].errstring, len))
            return -xsd_errors[i].errnum;
    return -EIO;
}

static int write_all(int fd, const void *buf, size_t len)
{
    for (const char *p = buf; len;) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len, int timeout_ms)
{
    for (char *p = buf; len;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int ready = poll(&pfd, 1, timeout_ms);
        ssize_t n;

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return -ETIMEDOUT;
        n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One message's header into *m: 1 for a watch event (counted, its payload skipped), 0. */
static int read_one(struct store *s, struct xsd_sockmsg *m)
{
    char skip[XENSTORE_PAYLOAD_MAX];
    int err = read_all(s->fd, m, sizeof(*m), s->timeout_ms);

    if (!err && m->len > XENSTORE_PAYLOAD_MAX)
        err = -EIO;
    if (err || m->type != XS_WATCH_EVENT)
        return err;
    if ((err = read_all(s->fd, skip, m->len, s->timeout_ms)))
        return err;
    s->events++;
    return 1;
}

/* The next message that is not a watch event: its header into *ans. */
static int read_answer(struct store *s, struct xsd_sockmsg *ans)
{
    int rc;

    while ((rc = read_one(s, ans)) == 1)
        ;
    return rc;
}

/* One request, one answer: its payload malloc'd and NUL-terminated, or NULL and -errno. */
static char *transact(struct store *s, uint32_t type, const char *const *strs, unsigned int nr,
                      int with_nul, unsigned int *len, int *err)
{
    char req[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg ans;
    char *payload;
    int n = store_encode(req, sizeof(req), type, ++s->req_id, strs, nr, with_nul);

    *err = s->broken ? -EIO : n < 0 ? n : write_all(s->fd, req, (size_t)n);
    if (!*err)
        *err = read_answer(s, &ans);
    if (!*err && ans.req_id != s->req_id)
        *err = -EIO;
    if (*err) {
        s->broken |= *err == -ETIMEDOUT || *err == -EIO;
        return NULL;
    }
    payload = malloc(ans.len + 1);
    if (!payload) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = read_all(s->fd, payload, ans.len, s->timeout_ms);
    s->broken |= *err != 0;
    payload[ans.len] = '\0';
    if (!*err && ans.type == XS_ERROR)
        *err = store_error(payload, ans.len);
    else if (!*err && ans.type != type)
        *err = -EIO;
    if (*err) {
        free(payload);
        return NULL;
    }
    if (len)
        *len = ans.len;
    return payload;
}

char *store_read(struct store *s, const char *path, unsigned int *len)
{
    int err;
    char *v = transact(s, XS_READ, &path, 1, 1, len, &err);

    if (!v)
        errno = -err;
    return v;
}

uint64_t store_read_u64(struct store *s, const char *path, uint64_t fallback)
{
    char *v = store_read(s, path, NULL), *end;
    uint64_t n = fallback;

    if (v) {
        errno = 0;
        n = strtoull(v, &end, 10);
        if (end == v || *end || errno || *v == '-')
            n = fallback;
    }
    free(v);
    return n;
}

static int simple(struct store *s, uint32_t type, const char *const *strs, unsigned int nr,
                  int with_nul)
{
    int err;

    free(transact(s, type, strs, nr, with_nul, NULL, &err));
    return err;
}

int store_write(struct store *s, const char *path, const char *value)
{
    const char *strs[] = { path, value };

    return simple(s, XS_WRITE, strs, 2, 0);     /* the value goes without a NUL */
}

int store_write_at(struct store *s, const char *value, const char *path_fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, path_fmt);
    vsnprintf(path, sizeof(path), path_fmt, ap);
    va_end(ap);
    return store_write(s, path, value);
}

int store_mkdir(struct store *s, const char *path)
{
    return simple(s, XS_MKDIR, &path, 1, 1);
}

int store_rm(struct store *s, const char *path)
{
    return simple(s, XS_RM, &path, 1, 1);
}

int store_set_perms(struct store *s, const char *path, const char *const *perms,
                    unsigned int nr)
{
    const char *strs[16];

    if (nr + 1 > sizeof(strs) / sizeof(strs[0]))
        return -E2BIG;
    strs[0] = path;
    memcpy(strs + 1, perms, nr * sizeof(*perms));
    return simple(s, XS_SET_PERMS, strs, nr + 1, 1);
}

char **store_directory(struct store *s, const char *path, unsigned int *num)
{
    unsigned int len, n = 0;
    int err;
    char *v = transact(s, XS_DIRECTORY, &path, 1, 1, &len, &err), **out, *p;

    if (!v) {
        errno = -err;
        return NULL;
    }
    for (unsigned int i = 0; i < len; i++)
        n += v[i] == '\0';
    out = malloc((n + 1) * sizeof(*out) + len + 1);
    if (!out) {
        free(v);
        errno = ENOMEM;
        return NULL;
    }
    p = memcpy(out + n + 1, v, len + 1);
    for (unsigned int i = 0; i < n; i++) {
        out[i] = p;
        p += strlen(p) + 1;
    }
    out[n] = NULL;
    *num = n;
    free(v);
    return out;
}

int store_watch(struct store *s, const char *path, const char *token)
{
    const char *strs[] = { path, token };

    return simple(s, XS_WATCH, strs, 2, 1);
}

int store_fd(const struct store *s)
{
    return s->fd;
}

int store_watch_events(struct store *s)
{
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    struct xsd_sockmsg m;
    int n, err = 0;

    while (!s->broken && poll(&pfd, 1, 0) == 1) {
        /* Only events come unasked: anything else means the stream is out of step. */
        if ((err = read_one(s, &m)) == 1)
            continue;
        err = err ? err : -EIO;
        s->broken = true;
    }
    if (s->broken && !s->events)
        return err ? err : -EIO;
    n = (int)s->events;
    s->events = 0;
    return n;
}

int store_introduce(struct store *s, uint32_t domid, uint64_t gfn, uint32_t port)
{
    char id[16], mfn[24], evtchn[16];
    const char *strs[] = { id, mfn, evtchn };

    snprintf(id, sizeof(id), "%u", domid);
    snprintf(mfn, sizeof(mfn), "%llu", (unsigned long long)gfn);
    snprintf(evtchn, sizeof(evtchn), "%u", port);
    return simple(s, XS_INTRODUCE, strs, 3, 1);
}

int store_release(struct store *s, uint32_t domid)
{
    char id[16];
    const char *strs[] = { id };

    snprintf(id, sizeof(id), "%u", domid);
    return simple(s, XS_RELEASE, strs, 1, 1);
}
