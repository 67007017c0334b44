/*
 * The xenstore client (libs/store/store.c) against a small scripted daemon on a Unix
 * socket (XENSTORED_PATH, as Xen's libxenstore takes it): request framing as xs_wire.h
 * has it (a write's value without a NUL), answers and XS_ERROR mapped to errnos.
 */
#include "harness.h"
#include "../../dom0-tools/libs/store/store.c"

#include <signal.h>
#include <sys/wait.h>

static char sock_path[108];

static void reply(int fd, const struct xsd_sockmsg *req, uint32_t type, const char *p,
                  uint32_t len)
{
    struct xsd_sockmsg m = { .type = type, .req_id = req->req_id, .len = len };

    if (write(fd, &m, sizeof(m)) != sizeof(m) || write(fd, p, len) != (ssize_t)len)
        _exit(2);
}

/* The scripted daemon: one connection, answers until the client hangs up. */
static void serve(int fd)
{
    struct xsd_sockmsg m;
    char p[XENSTORE_PAYLOAD_MAX + 1];

    while (read(fd, &m, sizeof(m)) == sizeof(m)) {
        if (m.len > XENSTORE_PAYLOAD_MAX || read(fd, p, m.len) != (ssize_t)m.len)
            _exit(3);
        p[m.len] = '\0';
        if (m.type == XS_READ && !strcmp(p, "/local/domain/1/name") && m.len == 21)
            reply(fd, &m, XS_READ, "web", 3);
        else if (m.type == XS_READ && !strcmp(p, "/local/domain/1/memory/target"))
            reply(fd, &m, XS_READ, "131072", 6);
        else if (m.type == XS_READ && !strcmp(p, "/n/negative"))
            reply(fd, &m, XS_READ, "-1", 2);
        else if (m.type == XS_READ && !strcmp(p, "/n/huge"))
            reply(fd, &m, XS_READ, "99999999999999999999", 20);
        else if (m.type == XS_WRITE && m.len == 8 && !memcmp(p, "/a/b\0xyz", 8))
            reply(fd, &m, XS_WRITE, "OK", 3);
        else if (m.type == XS_DIRECTORY && !strcmp(p, "/local/domain"))
            reply(fd, &m, XS_DIRECTORY, "0\0001\00012", 7);
        else if (m.type == XS_SET_PERMS && m.len == 9 && !memcmp(p, "/a\0n5\0r0\0", 9))
            reply(fd, &m, XS_SET_PERMS, "OK", 3);
        else if (m.type == XS_MKDIR && !strcmp(p, "/bad-id") && ++m.req_id)
            reply(fd, &m, XS_MKDIR, "OK", 3);       /* answers some other request */
        else if (m.type == XS_READ)
            reply(fd, &m, XS_ERROR, "ENOENT", 7);
        else
            reply(fd, &m, XS_ERROR, "EINVAL", 7);
    }
    _exit(0);
}

static pid_t start_daemon(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
    pid_t pid;

    snprintf(sock_path, sizeof(sock_path), "/tmp/kumo-store-test-%d.sock", (int)getpid());
    unlink(sock_path);
    strcpy(a.sun_path, sock_path);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1))
        return -1;
    pid = fork();
    if (pid == 0) {
        fd = accept(lfd, NULL, NULL);
        serve(fd);
    }
    close(lfd);
    setenv("XENSTORED_PATH", sock_path, 1);
    return pid;
}

TEST(store_speaks_xens_wire_protocol)
{
    pid_t pid = start_daemon();
    struct store *s;
    unsigned int len = 0, num = 0;
    char *v, **dir;
    const char *perms[] = { "n5", "r0" };
    int status;

    CHECK(pid > 0);
    s = store_open();
    CHECK(s != NULL);
    if (!s)
        return;
    v = store_read(s, "/local/domain/1/name", &len);
    CHECK(v && !strcmp(v, "web") && len == 3);
    free(v);
    CHECK(store_read(s, "/nope", NULL) == NULL && errno == ENOENT);
    CHECK_EQ(store_read_u64(s, "/local/domain/1/memory/target", 7), 131072);
    CHECK_EQ(store_read_u64(s, "/local/domain/1/name", 7), 7);     /* not a number */
    CHECK_EQ(store_read_u64(s, "/n/negative", 7), 7);
    CHECK_EQ(store_read_u64(s, "/n/huge", 7), 7);                  /* out of range */
    CHECK_EQ(store_read_u64(s, "/nope", 7), 7);
    CHECK_EQ(store_write(s, "/a/b", "xyz"), 0);
    CHECK_EQ(store_write(s, "/a/b", "other"), -EINVAL);
    CHECK_EQ(store_set_perms(s, "/a", perms, 2), 0);
    dir = store_directory(s, "/local/domain", &num);
    CHECK(dir && num == 3 && !strcmp(dir[0], "0") && !strcmp(dir[1], "1") &&
          !strcmp(dir[2], "12") && !dir[3]);
    free(dir);
    CHECK_EQ(store_mkdir(s, "/bad-id"), -EIO);      /* an answer to another request */
    store_close(s);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    unlink(sock_path);
}

/* The kernel's xenbus device with no xenstored: requests are taken, never answered. */
TEST(store_gives_up_on_a_silent_daemon)
{
    int sv[2];
    struct store *s = calloc(1, sizeof(*s));

    CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    s->fd = sv[0];
    store_set_timeout(s, 100);
    CHECK(store_read(s, "/local/domain/0/name", NULL) == NULL && errno == ETIMEDOUT);
    CHECK_EQ(store_write(s, "/a", "b"), -EIO);  /* out of step now: no second wait */
    store_close(s);
    close(sv[1]);
}

TEST(store_encode_frames_and_bounds)
{
    char buf[64];
    const char *two[] = { "/p", "v" };
    struct xsd_sockmsg *m = (void *)buf;
    char big[XENSTORE_PAYLOAD_MAX + 2];
    const char *huge[] = { big };
    static char room[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 8];

    CHECK_EQ(store_encode(buf, sizeof(buf), XS_WRITE, 7, two, 2, 0), 16 + 4);
    CHECK(m->type == XS_WRITE && m->req_id == 7 && m->tx_id == 0 && m->len == 4);
    CHECK(!memcmp(buf + 16, "/p\0v", 4));
    CHECK_EQ(store_encode(buf, sizeof(buf), XS_READ, 1, two, 1, 1), 16 + 3);
    CHECK_EQ(store_encode(buf, 10, XS_READ, 1, two, 1, 1), -E2BIG);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_EQ(store_encode(room, sizeof(room), XS_READ, 1, huge, 1, 1), -E2BIG);
}

TEST(store_errors_map_to_errnos)
{
    CHECK_EQ(store_error("ENOENT", 7), -ENOENT);
    CHECK_EQ(store_error("EACCES", 7), -EACCES);
    CHECK_EQ(store_error("EAGAIN", 6), -EAGAIN);
    CHECK_EQ(store_error("ENOEN", 6), -EIO);
    CHECK_EQ(store_error("", 0), -EIO);
}

TEST(store_open_fails_without_a_daemon)
{
    setenv("XENSTORED_PATH", "/nonexistent/kumo-store-test/socket", 1);
    if (access("/dev/xen/xenbus", F_OK) == 0)
        return;                         /* on a real Dom0 the device answers */
    CHECK(store_open() == NULL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(store_speaks_xens_wire_protocol);
    RUN(store_gives_up_on_a_silent_daemon);
    RUN(store_encode_frames_and_bounds);
    RUN(store_errors_map_to_errnos);
    RUN(store_open_fails_without_a_daemon);
    HARNESS_EXIT();
}
