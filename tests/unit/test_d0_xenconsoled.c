/*
 * xenconsoled's logic with a guest's console page in memory, the fake platform's event
 * channels and the real xenstored (the built program, without Xen): ring indices a guest
 * may lie about, bounded histories and queues, the per-guest allowance that keeps a flood
 * from taking Dom0's time, and `xl console`'s attach/replay/input/detach over the socket.
 */
#include "harness.h"
#include "../../dom0-tools/libs/plat/fake.c"
#include "../../dom0-tools/libs/ctl/ctl.c"
#include "../../dom0-tools/libs/store/store.c"
#include "../../dom0-tools/xenconsoled/ring.c"
#include "../../dom0-tools/xenconsoled/domain.c"
#include "../../dom0-tools/libs/util/unix_listen.c"
#include "../../dom0-tools/xenconsoled/client.c"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct store *xcd_store;
static uint64_t now_ms = 1000;
static struct xencons_interface *guest_page;
static unsigned int maps, unmaps;
static char sock_path[108], cons_path[108];
static pid_t daemon_pid;

uint64_t xcd_now_ms(void)
{
    return now_ms;
}

void xcd_log(const char *fmt, ...)
{
    (void)fmt;
}

void *xcd_map_ring(uint32_t domid, uint64_t gfn)
{
    (void)domid;
    if (gfn != 0xfeffc)
        return NULL;
    maps++;
    return guest_page;
}

void xcd_unmap_ring(void *page)
{
    (void)page;
    unmaps++;
}

/* build/dom0-tools/bin/xenstored beside build/unit/, run without Xen on a private socket. */
static bool start_xenstored(void)
{
    static char dir[64];
    char self[512], prog[600], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    struct stat st;

    self[n > 0 ? n : 0] = '\0';
    if ((slash = strrchr(self, '/')))
        *slash = '\0';
    snprintf(prog, sizeof(prog), "%s/../dom0-tools/bin/xenstored", self);
    snprintf(dir, sizeof(dir), "/tmp/kumo-xcd-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(sock_path, sizeof(sock_path), "%s/socket", dir);
    snprintf(cons_path, sizeof(cons_path), "%s/console", dir);
    unlink(sock_path);
    setenv("XENSTORED_RUNDIR", dir, 1);
    setenv("XENSTORED_PATH", sock_path, 1);
    daemon_pid = fork();
    if (daemon_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlives a test that crashed */
        execl(prog, "xenstored", "-D", "-N", (char *)NULL);
        _exit(127);
    }
    /* Ready once it answers: the socket file exists a moment before it listens. */
    for (int ms = 0; ms < 10000; ms += 10) {
        if (!stat(sock_path, &st) && (xcd_store = store_open()))
            return true;
        usleep(10000);
    }
    printf("no xenstored at %s (run `make dom0-tools` first)\n", prog);
    return false;
}

static void guest_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        guest_page->out[MASK_XENCONS_IDX(guest_page->out_prod + i, guest_page->out)] = s[i];
    guest_page->out_prod += (XENCONS_RING_IDX)n;
}

static size_t history(struct xcd_domain *d, char *buf, size_t len)
{
    struct xcd_buf view = d->history;
    const char *p;
    size_t n, got = 0;

    while ((n = xcd_buf_peek(&view, &p)) && got + n <= len) {
        memcpy(buf + got, p, n);
        got += n;
        xcd_buf_consume(&view, n);
    }
    return got;
}

/* Domain 1 with its console nodes written, as the builder leaves it, and scanned. */
static struct xcd_domain *setup_domain(void)
{
    fake_reset();
    fake_add_domain(1, "web", 64, 1);
    memset(guest_page, 0, sizeof(*guest_page));
    store_write(xcd_store, "/local/domain/1/name", "web");
    store_write(xcd_store, "/local/domain/1/console/ring-ref", "1044476");   /* 0xfeffc */
    store_write(xcd_store, "/local/domain/1/console/port", "2");
    xcd_domains_scan();
    return xcd_domain_find(1);
}

TEST(ring_read_takes_output_across_the_wrap)
{
    char buf[64];

    memset(guest_page, 0, sizeof(*guest_page));
    guest_page->out_cons = guest_page->out_prod = 0xfffffff0u;
    guest_write("0123456789abcdefghijklmnopqrstuv", 32);
    CHECK_EQ(xcd_ring_read(guest_page, buf, 10), 10);
    CHECK(!memcmp(buf, "0123456789", 10));
    CHECK_EQ(xcd_ring_read(guest_page, buf, sizeof(buf)), 22);
    CHECK(!memcmp(buf, "abcdefghijklmnopqrstuv", 22));
    CHECK_EQ(guest_page->out_cons, 0x10);
    CHECK_EQ(xcd_ring_read(guest_page, buf, sizeof(buf)), 0);
}

TEST(ring_ignores_a_guest_lying_about_its_indices)
{
    char buf[4096];

    memset(guest_page, 0, sizeof(*guest_page));
    guest_page->out_prod = 5000;                    /* more than the ring holds */
    CHECK_EQ(xcd_ring_read(guest_page, buf, sizeof(buf)), 0);
    CHECK_EQ(guest_page->out_cons, 0);
    guest_page->out_cons = 10, guest_page->out_prod = 3;   /* consumer ahead of producer */
    CHECK_EQ(xcd_ring_read(guest_page, buf, sizeof(buf)), 0);
    guest_page->in_cons = 2000;                     /* input ring "more than full" */
    CHECK_EQ(xcd_ring_write(guest_page, "x", 1), 0);
    guest_page->in_cons = guest_page->in_prod = 7;
    memset(buf, 'i', sizeof(buf));
    CHECK_EQ(xcd_ring_write(guest_page, buf, sizeof(buf)), sizeof(guest_page->in));
    CHECK_EQ(xcd_ring_write(guest_page, buf, 1), 0);   /* full */
}

TEST(buffers_keep_the_newest_or_refuse_the_excess)
{
    struct xcd_buf b;
    const char *p;

    CHECK_EQ(xcd_buf_init(&b, 8), 0);
    xcd_buf_push(&b, "abcdef", 6);
    xcd_buf_push(&b, "ghijkl", 6);
    CHECK_EQ(b.len, 8);
    CHECK_EQ(b.dropped, 4);
    CHECK_EQ(xcd_buf_peek(&b, &p), 4);              /* "efgh" then "ijkl" after the wrap */
    CHECK(!memcmp(p, "efgh", 4));
    xcd_buf_consume(&b, 4);
    CHECK_EQ(xcd_buf_peek(&b, &p), 4);
    CHECK(!memcmp(p, "ijkl", 4));
    CHECK_EQ(xcd_buf_put(&b, "123456", 6), 4);      /* a queue keeps its order */
    CHECK_EQ(b.dropped, 6);
    xcd_buf_push(&b, "0123456789abcdefXYZ", 19);
    CHECK_EQ(xcd_buf_peek(&b, &p), 8);
    xcd_buf_free(&b);
}

TEST(console_output_reaches_the_history_and_the_guest_is_notified)
{
    struct xcd_domain *d = setup_domain();
    char buf[64];

    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(!strcmp(d->name, "web") && d->local_port > 0);
    CHECK(fake_hv.port[d->local_port].bound && fake_hv.port[d->local_port].domid == 1 &&
          fake_hv.port[d->local_port].remote == 2);
    guest_write("hello\r\n", 7);
    xcd_domains_port_fired(d->local_port);
    CHECK_EQ(history(d, buf, sizeof(buf)), 7);
    CHECK(!memcmp(buf, "hello\r\n", 7));
    CHECK_EQ(fake_hv.port[d->local_port].notified, 1);
    CHECK_EQ(guest_page->out_cons, 7);
    fake_hv.dom[1].exists = false;                   /* destroyed: port and page let go */
    xcd_domains_scan();
    CHECK(!xcd_domain_find(1) && !fake_hv.port[1].bound && unmaps == maps);
}

TEST(a_flooding_guest_gets_its_allowance_per_period)
{
    struct xcd_domain *d = setup_domain();
    char chunk[sizeof(guest_page->out)];
    size_t drained = 0;

    CHECK(d != NULL);
    if (!d)
        return;
    memset(chunk, 'x', sizeof(chunk));
    /* The guest refills its ring whenever there is room, within one period. */
    for (int i = 0; i < 200; i++) {
        XENCONS_RING_IDX before = guest_page->out_cons;

        guest_write(chunk, sizeof(guest_page->out) - (guest_page->out_prod - guest_page->out_cons));
        xcd_domains_port_fired(d->local_port);
        drained += guest_page->out_cons - before;
    }
    CHECK_EQ(drained, XCD_RATE_BYTES);
    CHECK(d->throttled);
    CHECK_EQ(xcd_domains_timeout(now_ms), XCD_RATE_PERIOD_MS);
    now_ms += XCD_RATE_PERIOD_MS;                   /* the next period: drained again */
    CHECK_EQ(xcd_domains_timeout(now_ms), 0);
    xcd_domains_port_fired(0);
    CHECK_EQ(guest_page->out_cons, guest_page->out_prod);
    CHECK_EQ(d->history.len, XCD_HISTORY);          /* memory stays bounded */
    fake_hv.dom[1].exists = false;
    xcd_domains_scan();
}

/* Drives the daemon's client side until the client socket has n bytes (bounded). */
static size_t pump(int cfd, char *buf, size_t want)
{
    struct pollfd fds[4 + XCD_MAX_CLIENTS];
    size_t got = 0;

    for (int round = 0; round < 100 && got < want; round++) {
        int n = xcd_clients_pollfds(fds, (int)(sizeof(fds) / sizeof(fds[0])));
        ssize_t r;

        poll(fds, (nfds_t)n, 10);
        xcd_clients_handle(fds, n);
        while (got < want && (r = recv(cfd, buf + got, want - got, MSG_DONTWAIT)) > 0)
            got += (size_t)r;
    }
    return got;
}

static int client_connect(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(a.sun_path, cons_path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

TEST(xl_console_attaches_replays_follows_and_types)
{
    struct xcd_domain *d = setup_domain();
    char buf[256] = "";
    int cfd, bad;

    CHECK(d != NULL);
    if (!d)
        return;
    guest_write("boot line\n", 10);
    xcd_domains_port_fired(d->local_port);
    CHECK_EQ(xcd_clients_listen(cons_path), 0);
    cfd = client_connect();
    CHECK(cfd >= 0);
    CHECK(write(cfd, "attach 1\nls\n", 12) == 12);
    CHECK_EQ(pump(cfd, buf, 13), 13);
    CHECK(!memcmp(buf, "ok\nboot line\n", 13));
    CHECK(!memcmp(guest_page->in, "ls\n", 3) && guest_page->in_prod == 3);
    guest_write("$ ", 2);                            /* followed as it comes */
    xcd_domains_port_fired(d->local_port);
    CHECK_EQ(pump(cfd, buf, 2), 2);
    CHECK(!memcmp(buf, "$ ", 2));
    bad = client_connect();
    CHECK(write(bad, "attach 9\n", 9) == 9);
    memset(buf, 0, sizeof(buf));
    pump(bad, buf, 30);
    CHECK(!strcmp(buf, "error no console for domain 9\n"));
    close(bad);
    fake_hv.dom[1].exists = false;                   /* the guest's end ends the session */
    xcd_domains_scan();
    pump(cfd, buf, 1);
    CHECK_EQ(recv(cfd, buf, 1, MSG_DONTWAIT), 0);
    close(cfd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    guest_page = calloc(1, 4096);
    RUN(ring_read_takes_output_across_the_wrap);
    RUN(ring_ignores_a_guest_lying_about_its_indices);
    RUN(buffers_keep_the_newest_or_refuse_the_excess);
    if (!start_xenstored()) {
        printf("FAIL xenconsoled_domains (no xenstored)\n");
        harness_failures++;
    } else {
        RUN(console_output_reaches_the_history_and_the_guest_is_notified);
        RUN(a_flooding_guest_gets_its_allowance_per_period);
        RUN(xl_console_attaches_replays_follows_and_types);
    }
    xcd_domains_release_all();
    store_close(xcd_store);
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
    }
    unlink(sock_path);
    unlink(cons_path);
    free(guest_page);
    HARNESS_EXIT();
}
