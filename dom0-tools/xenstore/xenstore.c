/*
 * The xenstore client, one binary for Xen's xenstore-read, -write, -ls, -rm, -list, -watch,
 * -exists and -chmod: called through a symlink of that name, or as `xenstore <cmd> ...`.
 * It talks xs_wire over xenstored's socket ($XENSTORED_PATH, else $XENSTORED_RUNDIR/socket,
 * else /run/xenstored/socket) and falls back to /dev/xen/xenbus, as libxenstore does.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <xen/io/xs_wire.h>

static int xs_fd = -1;
static const char *prog;
static uint32_t next_req = 1;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static int xs_connect(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = getenv("XENSTORED_PATH"), *dir = getenv("XENSTORED_RUNDIR");
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (path)
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    else
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/socket", dir ? dir : "/run/xenstored");
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
}

static void xs_io(void *buf, size_t len, bool out)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = out ? write(xs_fd, (char *)buf + done, len - done)
                        : read(xs_fd, (char *)buf + done, len - done);

        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            die("lost the connection to xenstored", "");
        }
        done += (size_t)n;
    }
}

/* Reads one message into a malloc'd, NUL-terminated body. */
static char *xs_recv(struct xsd_sockmsg *hdr)
{
    char *body;

    xs_io(hdr, sizeof(*hdr), false);
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
        die("oversized message from xenstored", "");
    body = malloc(hdr->len + 1);
    if (!body)
        abort();
    xs_io(body, hdr->len, false);
    body[hdr->len] = '\0';
    return body;
}

/* Sends one request; returns the answer's body (length in *len) or NULL with the error
 * name in *err. Watch events that arrive meanwhile are dropped. */
static char *xs_call(uint32_t type, const void *payload, size_t plen, uint32_t *len,
                     char *err, size_t errsize)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = next_req++, .len = (uint32_t)plen };
    char *body;

    if (plen > XENSTORE_PAYLOAD_MAX)
        die("request too long", "");
    xs_io(&hdr, sizeof(hdr), true);
    xs_io((void *)payload, plen, true);
    for (;;) {
        struct xsd_sockmsg ans;

        body = xs_recv(&ans);
        if (ans.type == XS_WATCH_EVENT) {
            free(body);
            continue;
        }
        if (ans.type == XS_ERROR) {
            snprintf(err, errsize, "%s", body);
            free(body);
            return NULL;
        }
        if (len)
            *len = ans.len;
        return body;
    }
}

static char *xs_call1(uint32_t type, const char *path, uint32_t *len, char *err)
{
    return xs_call(type, path, strlen(path) + 1, len, err, 32);
}

static int cmd_read(int argc, char **argv)
{
    char err[32];

    for (int i = 0; i < argc; i++) {
        uint32_t len;
        char *v = xs_call1(XS_READ, argv[i], &len, err);

        if (!v) {
            fprintf(stderr, "%s: couldn't read path %s: %s\n", prog, argv[i], err);
            return 1;
        }
        fwrite(v, 1, len, stdout);
        putchar('\n');
        free(v);
    }
    return 0;
}

static int cmd_write(int argc, char **argv)
{
    char buf[XENSTORE_PAYLOAD_MAX], err[32];

    if (argc % 2) {
        fprintf(stderr, "%s: usage: xenstore-write PATH VALUE [PATH VALUE]...\n", prog);
        return 2;
    }
    for (int i = 0; i < argc; i += 2) {
        size_t pl = strlen(argv[i]) + 1, vl = strlen(argv[i + 1]);

        if (pl + vl > sizeof(buf))
            die("value too long for %s", argv[i]);
        memcpy(buf, argv[i], pl);
        memcpy(buf + pl, argv[i + 1], vl);
        char *r = xs_call(XS_WRITE, buf, pl + vl, NULL, err, sizeof(err));

        if (!r) {
            fprintf(stderr, "%s: could not write path %s: %s\n", prog, argv[i], err);
            return 1;
        }
        free(r);
    }
    return 0;
}

static int cmd_simple(uint32_t type, const char *what, int argc, char **argv)
{
    char err[32];

    for (int i = 0; i < argc; i++) {
        char *r = xs_call1(type, argv[i], NULL, err);

        if (!r) {
            if (type != XS_READ)
                fprintf(stderr, "%s: could not %s path %s: %s\n", prog, what, argv[i], err);
            return 1;
        }
        free(r);
    }
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    char err[32];

    for (int i = 0; i < argc; i++) {
        uint32_t len;
        char *d = xs_call1(XS_DIRECTORY, argv[i], &len, err);

        if (!d) {
            fprintf(stderr, "%s: could not list path %s: %s\n", prog, argv[i], err);
            return 1;
        }
        for (uint32_t off = 0; off < len; off += (uint32_t)strlen(d + off) + 1)
            puts(d + off);
        free(d);
    }
    return 0;
}

static void print_value(const char *v, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];

        if (ch == '\\' || ch == '"')
            printf("\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch == '\t')
            fputs("\\t", stdout);
        else if (ch < ' ' || ch > '~')
            printf("\\%03o", ch);
        else
            putchar(ch);
    }
}

static void print_perms(const char *path)
{
    char err[32];
    uint32_t len;
    char *p = xs_call1(XS_GET_PERMS, path, &len, err);

    if (!p)
        return;
    fputs("  (", stdout);
    for (uint32_t off = 0; off < len; off += (uint32_t)strlen(p + off) + 1)
        printf("%s%s", off ? "," : "", p + off);
    putchar(')');
    free(p);
}

/* Xen's xenstore-ls layout: one line per node, indented one space per level. */
static void ls_dir(const char *path, int depth, bool full, bool perms)
{
    char err[32], child[XENSTORE_PAYLOAD_MAX];
    uint32_t len, vlen;
    char *d = xs_call1(XS_DIRECTORY, path, &len, err);

    if (!d)
        return;
    for (uint32_t off = 0; off < len; off += (uint32_t)strlen(d + off) + 1) {
        snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "", d + off);
        char *v = xs_call1(XS_READ, child, &vlen, err);

        printf("%*s%s = \"", depth, "", full ? child : d + off);
        if (v)
            print_value(v, vlen);
        putchar('"');
        if (perms)
            print_perms(child);
        putchar('\n');
        free(v);
        ls_dir(child, depth + 1, full, perms);
    }
    free(d);
}

static int cmd_ls(int argc, char **argv)
{
    bool full = false, perms = false;
    int i = 0;

    for (; i < argc && argv[i][0] == '-'; i++) {
        full |= strchr(argv[i], 'f') != NULL;
        perms |= strchr(argv[i], 'p') != NULL;
    }
    ls_dir(i < argc ? argv[i] : "/", 0, full, perms);
    return 0;
}

static int cmd_chmod(int argc, char **argv)
{
    char buf[XENSTORE_PAYLOAD_MAX], err[32];
    size_t used = 0;

    if (argc < 2)
        die("usage: xenstore-chmod path perm...", "");
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;

        if (used + l > sizeof(buf))
            die("too many permissions", "");
        memcpy(buf + used, argv[i], l);
        used += l;
    }
    char *r = xs_call(XS_SET_PERMS, buf, used, NULL, err, sizeof(err));

    if (!r) {
        fprintf(stderr, "%s: could not set permissions of %s: %s\n", prog, argv[0], err);
        return 1;
    }
    free(r);
    return 0;
}

static int cmd_watch(int argc, char **argv)
{
    char buf[XENSTORE_PAYLOAD_MAX], err[32];
    long count = -1;
    int i = 0;

    if (argc >= 2 && !strcmp(argv[0], "-n")) {
        count = strtol(argv[1], NULL, 10);
        i = 2;
    }
    if (i >= argc)
        die("usage: xenstore-watch [-n count] path", "");
    int n = snprintf(buf, sizeof(buf), "%s%c0", argv[i], '\0');
    char *r = xs_call(XS_WATCH, buf, (size_t)n + 1, NULL, err, sizeof(err));

    if (!r)
        die("could not watch: %s", err);
    free(r);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (count) {
        struct xsd_sockmsg hdr;
        char *body = xs_recv(&hdr);

        if (hdr.type == XS_WATCH_EVENT) {
            puts(body);
            if (count > 0)
                count--;
        }
        free(body);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    const char *cmd;

    prog = base;
    if (!strncmp(base, "xenstore-", 9)) {
        cmd = base + 9;
        argc -= 1, argv += 1;
    } else if (argc >= 2) {
        cmd = argv[1];
        argc -= 2, argv += 2;
    } else {
        fputs("usage: xenstore read|write|ls|rm|list|watch|exists|chmod args...\n", stderr);
        return 2;
    }
    if (argc < 1 && strcmp(cmd, "ls")) {
        fprintf(stderr, "%s: usage: %s%s PATH...\n", prog, strncmp(base, "xenstore-", 9) ?
                "xenstore " : "", strncmp(base, "xenstore-", 9) ? cmd : base);
        return 2;
    }
    xs_fd = xs_connect();
    if (xs_fd < 0)
        die("could not connect to xenstored", "");
    if (!strcmp(cmd, "read"))
        return cmd_read(argc, argv);
    if (!strcmp(cmd, "write"))
        return cmd_write(argc, argv);
    if (!strcmp(cmd, "ls"))
        return cmd_ls(argc, argv);
    if (!strcmp(cmd, "rm"))
        return cmd_simple(XS_RM, "remove", argc, argv);
    if (!strcmp(cmd, "exists"))
        return cmd_simple(XS_READ, "read", argc, argv);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc, argv);
    if (!strcmp(cmd, "watch"))
        return cmd_watch(argc, argv);
    if (!strcmp(cmd, "chmod"))
        return cmd_chmod(argc, argv);
    die("unknown command %s", cmd);
}
