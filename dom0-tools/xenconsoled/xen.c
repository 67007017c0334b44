/*
 * The guest's console page into xenconsoled: foreign-mapped by frame number through
 * privcmd (MMAPBATCH_V2), as kumo has no grant tables for GNTTAB_RESERVED_CONSOLE yet.
 * A private shim until libs/plat's plat_map_foreign() lands.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>

#include "xenconsoled.h"
#include <xen/sys/privcmd.h>

#define RING_PAGE 4096

static int privcmd_fd = -1;

void *xcd_map_ring(uint32_t domid, uint64_t gfn)
{
    xen_pfn_t pfn = gfn;
    int err = 0;
    struct privcmd_mmapbatch_v2 m = { .num = 1, .dom = (domid_t)domid, .arr = &pfn, .err = &err };
    void *page;

    if (privcmd_fd < 0 && (privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC)) < 0)
        return NULL;
    page = mmap(NULL, RING_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd_fd, 0);
    if (page == MAP_FAILED)
        return NULL;
    m.addr = (uintptr_t)page;
    if (ioctl(privcmd_fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m) < 0 || err) {
        munmap(page, RING_PAGE);
        return NULL;
    }
    return page;
}

void xcd_unmap_ring(void *page)
{
    munmap(page, RING_PAGE);
}
