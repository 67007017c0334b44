/*
 * The platform over a Linux Dom0's Xen devices (ref/linux-dom0-abi.md §3, §4):
 * /dev/xen/privcmd for hypercalls, /dev/xen/hypercall for their buffers (the kernel's
 * zeroed pages, as libxencall uses; locked anonymous memory where that device is absent),
 * /dev/xen/evtchn and /proc/xen.
 */
#include "plat/plat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>
#include <xen/xen.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/privcmd.h>


static int privcmd_fd = -1;
static int hcall_buf_fd = -1;
static int evtchn_fd = -1;

int plat_open(void)
{
    if (privcmd_fd >= 0)
        return 0;
    privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (privcmd_fd < 0)
        return -errno;
    hcall_buf_fd = open("/dev/xen/hypercall", O_RDWR | O_CLOEXEC);
    return 0;
}

void plat_close(void)
{
    if (evtchn_fd >= 0)
        close(evtchn_fd);
    if (hcall_buf_fd >= 0)
        close(hcall_buf_fd);
    if (privcmd_fd >= 0)
        close(privcmd_fd);
    privcmd_fd = hcall_buf_fd = evtchn_fd = -1;
}

static size_t page_round(size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    return len ? (len + page - 1) & ~(page - 1) : page;
}

void *plat_buf_alloc(size_t len)
{
    void *p = MAP_FAILED;

    len = page_round(len);
    if (hcall_buf_fd >= 0)
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, hcall_buf_fd, 0);
    if (p == MAP_FAILED) {
        /* Present and never paged out: the hypervisor cannot fault a page in. */
        p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
    }
    memset(p, 0, len);
    return p;
}

void plat_buf_free(void *buf, size_t len)
{
    if (buf)
        munmap(buf, page_round(len));
}

long plat_hypercall(unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    privcmd_hypercall_t call = { op, { a1, a2, a3, a4, a5 } };
    long rc;

    if (privcmd_fd < 0)
        return -EBADF;
    rc = ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    return rc < 0 ? -errno : rc;
}

int plat_evtchn_fd(void)
{
    if (evtchn_fd < 0) {
        /* Non-blocking: callers poll first, and a daemon must never stall on a read. */
        evtchn_fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (evtchn_fd < 0)
            return -errno;
    }
    return evtchn_fd;
}

static int evtchn_ioctl(unsigned long cmd, void *arg)
{
    int fd = plat_evtchn_fd(), rc;

    if (fd < 0)
        return fd;
    rc = ioctl(fd, cmd, arg);
    return rc < 0 ? -errno : rc;
}

int plat_evtchn_bind_virq(unsigned int virq)
{
    struct ioctl_evtchn_bind_virq bind = { .virq = virq };

    return evtchn_ioctl(IOCTL_EVTCHN_BIND_VIRQ, &bind);
}

int plat_evtchn_bind_interdomain(uint32_t domid, uint32_t remote_port)
{
    struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = domid,
                                                  .remote_port = remote_port };

    return evtchn_ioctl(IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
}

int plat_evtchn_notify(uint32_t port)
{
    struct ioctl_evtchn_notify notify = { .port = port };

    return evtchn_ioctl(IOCTL_EVTCHN_NOTIFY, &notify);
}

int plat_evtchn_unbind(uint32_t port)
{
    struct ioctl_evtchn_unbind unbind = { .port = port };

    return evtchn_ioctl(IOCTL_EVTCHN_UNBIND, &unbind);
}

int plat_evtchn_pending(void)
{
    uint32_t port;
    ssize_t n;

    if (evtchn_fd < 0)
        return -EBADF;
    n = read(evtchn_fd, &port, sizeof(port));
    if (n < 0 && errno == EFBIG) {
        /* The device's queue overflowed: reset it; the caller looks at every port. */
        ioctl(evtchn_fd, IOCTL_EVTCHN_RESET, NULL);
        return -EFBIG;
    }
    if (n != sizeof(port))
        return n < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
    /* A fired port stays masked until written back (drivers/xen/evtchn.c). */
    if (write(evtchn_fd, &port, sizeof(port)) != sizeof(port))
        return -EIO;
    return (int)port;
}

int plat_evtchn_wait(int timeout_ms)
{
    struct pollfd pfd = { .fd = evtchn_fd, .events = POLLIN };
    uint32_t port;
    int rc;

    if (evtchn_fd < 0)
        return -EBADF;
    rc = poll(&pfd, 1, timeout_ms);
    if (rc <= 0)
        return rc < 0 ? -errno : 0;
    if (read(evtchn_fd, &port, sizeof(port)) != sizeof(port))
        return -EIO;
    /* A fired port stays masked until written back (drivers/xen/evtchn.c). */
    if (write(evtchn_fd, &port, sizeof(port)) != sizeof(port))
        return -EIO;
    return (int)port;
}

void *plat_map_foreign(uint32_t domid, const uint64_t *gfns, unsigned int n, int *errs)
{
    size_t len = (size_t)n * 4096;
    int *err = errs ? errs : calloc(n ? n : 1, sizeof(*err));
    struct privcmd_mmapbatch_v2 m = { .num = n, .dom = (domid_t)domid, .err = err };
    int rc = 0;
    void *addr;

    if (privcmd_fd < 0 || !n || !err || sizeof(xen_pfn_t) != sizeof(*gfns)) {
        if (err != errs)
            free(err);
        errno = privcmd_fd < 0 ? EBADF : !n ? EINVAL : ENOMEM;
        return NULL;
    }
    /* The VMA must come from privcmd itself (privcmd_mmap) and be filled whole at once. */
    addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd_fd, 0);
    if (addr == MAP_FAILED) {
        rc = -errno;
    } else {
        m.addr = (uintptr_t)addr;
        m.arr = (const xen_pfn_t *)gfns;
        /* -ENOENT only says some page answered -ENOENT: the per-page errors tell. */
        if (ioctl(privcmd_fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m) < 0 && errno != ENOENT)
            rc = -errno;
        for (unsigned int i = 0; !rc && !errs && i < n; i++)
            rc = err[i];
        if (rc)
            munmap(addr, len);
    }
    if (err != errs)
        free(err);
    if (rc) {
        errno = -rc;
        return NULL;
    }
    return addr;
}

void plat_unmap_foreign(void *addr, unsigned int n)
{
    /* privcmd's close of the VMA removes each page from Dom0's physmap. */
    if (addr)
        munmap(addr, (size_t)n * 4096);
}

int plat_read_proc_xen(const char *name, char *buf, size_t len)
{
    char path[128];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/xen/%s", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, len ? len - 1 : 0);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}
