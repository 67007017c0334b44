/*
 * The daemon's only door to Xen: Linux's /dev/xen/evtchn, /dev/xen/privcmd and the
 * /proc/xen store files, with foreign mapping from libs/plat: a guest's store page is
 * foreign-mapped by PFN (privcmd MMAPBATCH_V2) because kumo has no grant tables yet, and
 * dying domains come from XEN_SYSCTL_getdomaininfolist.
 */
#include "xenstored.h"
#include "plat/plat.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/privcmd.h>

#define PAGE_SIZE_ 4096

static int evtchn_fd = -1;
static int privcmd_fd = -1;
static uint32_t virq_port;

int xen_open(void)
{
    evtchn_fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (evtchn_fd < 0)
        return -errno;
    privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (privcmd_fd < 0) {
        int err = -errno;

        close(evtchn_fd);
        evtchn_fd = -1;
        return err;
    }
    xs_xen = &xen_linux_ops;
    int port = xs_xen->evtchn_bind_virq(VIRQ_DOM_EXC);

    /* Without VIRQ_DOM_EXC dead domains stay until released; serve anyway. */
    if (port < 0)
        XS_LOG("cannot bind VIRQ_DOM_EXC: %s", strerror(-port));
    else
        virq_port = (uint32_t)port;
    return 0;
}

int xen_evtchn_fd(void)
{
    return evtchn_fd;
}

uint32_t xen_virq_port(void)
{
    return virq_port;
}

/* A fired port stays masked in Linux until its number is written back. When the device's
 * queue overflowed (EFBIG) it is reset, and the caller must look at every port. */
int xen_evtchn_pending(uint32_t *port)
{
    unsigned int p;
    ssize_t n = read(evtchn_fd, &p, sizeof(p));

    if (n != sizeof(p)) {
        if (n < 0 && errno == EFBIG) {
            ioctl(evtchn_fd, IOCTL_EVTCHN_RESET, NULL);
            return -EFBIG;
        }
        return n < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
    }
    if (write(evtchn_fd, &p, sizeof(p)) != sizeof(p))
        return -errno;
    *port = p;
    return 1;
}

static int lx_bind_interdomain(uint32_t domid, uint32_t remote_port)
{
    struct ioctl_evtchn_bind_interdomain b = { .remote_domain = domid,
                                               .remote_port = remote_port };
    int rc = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);

    return rc < 0 ? -errno : rc;
}

static int lx_bind_virq(uint32_t virq)
{
    struct ioctl_evtchn_bind_virq b = { .virq = virq };
    int rc = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_VIRQ, &b);

    return rc < 0 ? -errno : rc;
}

static void lx_unbind(uint32_t port)
{
    struct ioctl_evtchn_unbind u = { .port = port };

    ioctl(evtchn_fd, IOCTL_EVTCHN_UNBIND, &u);
}

static void lx_notify(uint32_t port)
{
    struct ioctl_evtchn_notify n = { .port = port };

    ioctl(evtchn_fd, IOCTL_EVTCHN_NOTIFY, &n);
}

static void *lx_map_foreign(uint32_t domid, uint64_t gfn)
{
    return plat_open() ? NULL : plat_map_foreign(domid, &gfn, 1, NULL);
}

static void lx_unmap(void *page)
{
    plat_unmap_foreign(page, 1);
}

static long sysctl(struct xen_sysctl *s)
{
    privcmd_hypercall_t h = { .op = __HYPERVISOR_sysctl, .arg = { (uintptr_t)s } };

    s->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &h);
}

static int lx_domain_states(const uint32_t *domids, int n, uint8_t *state)
{
    static xen_domctl_getdomaininfo_t info[128];
    struct xen_sysctl s;
    uint32_t first = 0;

    for (int i = 0; i < n; i++)
        state[i] = DOM_GONE;
    /* Xen writes through our page tables: the pages must be present, and stay so. */
    memset(info, 0, sizeof(info));
    mlock(info, sizeof(info));
    for (;;) {
        memset(&s, 0, sizeof(s));
        s.cmd = XEN_SYSCTL_getdomaininfolist;
        s.u.getdomaininfolist.first_domain = (domid_t)first;
        s.u.getdomaininfolist.max_domains = 128;
        set_xen_guest_handle(s.u.getdomaininfolist.buffer, info);
        if (sysctl(&s) < 0)
            return -errno;
        uint32_t got = s.u.getdomaininfolist.num_domains;

        for (uint32_t k = 0; k < got; k++) {
            for (int i = 0; i < n; i++) {
                if (info[k].domain != domids[i])
                    continue;
                if (info[k].flags & XEN_DOMINF_dying)
                    state[i] = DOM_GONE;
                else if (info[k].flags & XEN_DOMINF_shutdown)
                    state[i] = DOM_SHUTDOWN;
                else
                    state[i] = DOM_RUNNING;
            }
        }
        if (got < 128)
            return 0;
        first = info[got - 1].domain + 1u;
    }
}

void *xen_map_dom0_ring(uint32_t *port)
{
    char buf[32] = "";
    int fd = open("/proc/xen/xsd_port", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    void *page;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    *port = (uint32_t)strtoul(buf, NULL, 10);
    fd = open("/proc/xen/xsd_kva", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    page = mmap(NULL, PAGE_SIZE_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return page == MAP_FAILED ? NULL : page;
}

const struct xen_ops xen_linux_ops = {
    .evtchn_bind_interdomain = lx_bind_interdomain,
    .evtchn_bind_virq = lx_bind_virq,
    .evtchn_unbind = lx_unbind,
    .evtchn_notify = lx_notify,
    .map_foreign = lx_map_foreign,
    .unmap = lx_unmap,
    .domain_states = lx_domain_states,
};
