/*
 * xenconsoled: each DomU's console ring (xen/io/console.h) drained into a bounded history
 * (and, with -l guest, a size-capped file), served to `xl console` clients over a Unix
 * socket. ring.c holds the logic a guest's indices reach (pure, host-tested and fuzzed);
 * domain.c the domains; client.c the clients; main.c the daemon and its poll loop.
 */
#ifndef XENCONSOLED_H
#define XENCONSOLED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <time.h>
#include <xen/xen.h>
#include <xen/io/console.h>

#define XCD_SOCKET          "/run/xenconsoled/socket"
#define XCD_PIDFILE         "/run/xenconsoled.pid"
#define XCD_LOG_DIR         "/var/log/xen/console"
#define XCD_HISTORY         16384       /* bytes of recent output replayed on attach */
#define XCD_LOG_FILE_MAX    (1 << 20)   /* a guest's log file is rotated past this */
#define XCD_CLIENT_BUF      65536       /* output queued for a slow client, then dropped */
#define XCD_INPUT_BUF       4096        /* input queued while the guest's ring is full */
/* A guest gets this much output drained per period; beyond it, it waits for the next. */
#define XCD_RATE_BYTES      16384
#define XCD_RATE_PERIOD_MS  100
#define XCD_MAX_DOMAINS     256
#define XCD_MAX_CLIENTS     64

/*
 * A byte ring of fixed capacity that keeps the newest bytes: appending past the capacity
 * overwrites the oldest. Used for a domain's history and a client's queue.
 */
struct xcd_buf {
    char *data;
    size_t cap, head, len;              /* head: the oldest byte's offset */
    uint64_t dropped;                   /* bytes overwritten or refused */
};

int xcd_buf_init(struct xcd_buf *b, size_t cap);
void xcd_buf_free(struct xcd_buf *b);
/* Appends n bytes, the oldest giving way (history). */
void xcd_buf_push(struct xcd_buf *b, const char *p, size_t n);
/* Appends what fits and refuses the rest (queues whose order must hold); bytes taken. */
size_t xcd_buf_put(struct xcd_buf *b, const char *p, size_t n);
/* The oldest contiguous run: *p and its length (0 when empty). */
size_t xcd_buf_peek(const struct xcd_buf *b, const char **p);
void xcd_buf_consume(struct xcd_buf *b, size_t n);

/*
 * The guest's side of the page is the adversary: indices are read once, and a ring whose
 * producer is further ahead than the ring is large is left alone (Xen's xenconsoled does
 * the same). xcd_ring_read moves up to len output bytes into buf and advances out_cons;
 * xcd_ring_write moves up to len input bytes in and advances in_prod. Bytes moved.
 */
size_t xcd_ring_read(volatile struct xencons_interface *intf, char *buf, size_t len);
size_t xcd_ring_write(volatile struct xencons_interface *intf, const char *buf, size_t len);

/* Per-domain output allowance (XCD_RATE_*): bytes allowed now, and their use. */
struct xcd_rate {
    uint64_t period_start_ms;
    size_t used;
};
size_t xcd_rate_allowance(struct xcd_rate *r, uint64_t now_ms);
void xcd_rate_charge(struct xcd_rate *r, size_t n);

struct xcd_client;

struct xcd_domain {
    bool used;
    uint32_t domid;
    char name[64];
    volatile struct xencons_interface *intf;
    int local_port;                     /* bound interdomain port, or -1 */
    struct xcd_rate rate;
    bool throttled;                     /* output left in the ring until the next period */
    struct xcd_buf history;
    struct xcd_buf input;               /* from clients, waiting for ring space */
    int log_fd;
    size_t log_size;
};

/* domain.c */
void xcd_domains_scan(void);
struct xcd_domain *xcd_domain_find(uint32_t domid);
/* Drains each domain whose port fired (or every one, port -1), within its allowance. */
void xcd_domains_port_fired(int port);
/* Milliseconds until a throttled domain may go on (-1: none is throttled). */
int xcd_domains_timeout(uint64_t now_ms);
void xcd_domain_input(struct xcd_domain *d, const char *p, size_t n);
void xcd_domains_release_all(void);
extern bool xcd_log_guests;

/* client.c */
int xcd_clients_listen(const char *path);
/* Adds the listening socket and clients to fds (at most max); how many it added. */
int xcd_clients_pollfds(struct pollfd *fds, int max);
void xcd_clients_handle(const struct pollfd *fds, int n);
void xcd_clients_output(uint32_t domid, const char *p, size_t n);
void xcd_clients_domain_gone(uint32_t domid);

/* xen.c: the guest's console page, mapped by frame number (no grant tables yet). */
void *xcd_map_ring(uint32_t domid, uint64_t gfn);
void xcd_unmap_ring(void *page);

uint64_t xcd_now_ms(void);
void xcd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
