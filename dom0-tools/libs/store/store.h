/*
 * A xenstore client (STYLE.md libs/store): Xen's wire protocol (xen/io/xs_wire.h) over
 * xenstored's Unix socket ($XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else
 * /run/xenstored/socket, as Xen's libxenstore looks for it), falling back to the kernel's
 * /dev/xen/xenbus. One request at a time; watch events are counted, not queued. Errors are a negative errno, the
 * daemon's XS_ERROR string mapped back as Xen's table has it.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * NULL with errno set when neither the socket nor the device opens. Answers are awaited at
 * most STORE_TIMEOUT_MS through the kernel's xenbus device (it queues requests even when
 * no xenstored runs, and would never answer), and STORE_SOCKET_TIMEOUT_MS on xenstored's
 * socket, which is there only while the daemon listens (a busy one, serving a guest that
 * floods it, may take seconds); after a timeout every call fails with -EIO.
 */
#define STORE_TIMEOUT_MS 3000
#define STORE_SOCKET_TIMEOUT_MS 30000
struct store *store_open(void);
/* Another bound on waiting for answers (host tests). */
void store_set_timeout(struct store *s, int ms);
void store_close(struct store *s);

/* The node's value, NUL-terminated, malloc'd (*len without the NUL); NULL with errno. */
char *store_read(struct store *s, const char *path, unsigned int *len);
/* A node holding a decimal number (memory/target ...): its value, or fallback when the node
 * is absent or holds anything else. */
uint64_t store_read_u64(struct store *s, const char *path, uint64_t fallback);
int store_write(struct store *s, const char *path, const char *value);
/* store_write with the path made by printf (at most 255 characters). */
int store_write_at(struct store *s, const char *value, const char *path_fmt, ...)
    __attribute__((format(printf, 3, 4)));
int store_mkdir(struct store *s, const char *path);
int store_rm(struct store *s, const char *path);
/* Children's names: one malloc'd block (array + strings), *num entries; NULL with errno. */
char **store_directory(struct store *s, const char *path, unsigned int *num);
/* Xen's permission strings, e.g. { "n5", "r0" }: owner 5, no access, Dom0 reads. */
int store_set_perms(struct store *s, const char *path, const char *const *perms,
                    unsigned int nr);

/*
 * Watches (XS_WATCH) for daemons that only need to know that something changed: the
 * events that arrive between answers are counted. store_fd is for poll();
 * store_watch_events returns the events seen since the last call, reading what the
 * connection holds without waiting for more, or -errno when the connection broke.
 */
int store_watch(struct store *s, const char *path, const char *token);
int store_fd(const struct store *s);
int store_watch_events(struct store *s);

/*
 * XS_INTRODUCE: tells xenstored that domid's store ring is at GFN gfn with event channel
 * port (the domain's end); XS_RELEASE forgets the domain. 0 or -errno.
 */
int store_introduce(struct store *s, uint32_t domid, uint64_t gfn, uint32_t port);
int store_release(struct store *s, uint32_t domid);

/*
 * The wire format, exposed for host tests: store_encode writes a request of type with
 * nr NUL-separated strings (the last one's NUL only when with_nul) into buf and returns
 * its length, or -E2BIG; store_error maps an XS_ERROR payload to -errno.
 */
int store_encode(void *buf, size_t len, uint32_t type, uint32_t req_id,
                 const char *const *strs, unsigned int nr, int with_nul);
int store_error(const char *payload, size_t len);

#endif
