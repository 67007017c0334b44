/*
 * A new domain's memory: the kernel and ramdisk files read from Dom0, the guest-physical
 * layout (its e820) checked before anything is created, memory populated as libxenguest's
 * meminit_hvm does (2 MiB extents where aligned), and bytes written into it through
 * foreign mappings of its pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "plat/plat.h"
#include "toolstack/build.h"

#define PAGE 4096ULL
#define MAP_CHUNK 256u                  /* pages per foreign mapping while writing */
#define POPULATE_BATCH 512u             /* extents per populate_physmap call */
#define MAX_FILE (1ULL << 30)

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

static uint64_t round_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

static int read_file(struct build *b, const char *path, uint8_t **data, size_t *len)
{
    struct stat st;
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0 || fstat(fd, &st) < 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_FILE || !st.st_size) {
        rc = -EINVAL;
        snprintf(b->why, sizeof(b->why), "%s: %s", path,
                 st.st_size ? "not a regular file of at most 1 GiB" : "empty");
    } else if (!(*data = malloc((size_t)st.st_size))) {
        rc = -ENOMEM;
    } else {
        for (*len = 0; *len < (size_t)st.st_size; *len += (size_t)n)
            if ((n = read(fd, *data + *len, (size_t)st.st_size - *len)) <= 0)
                break;
        if (n < 0 || *len != (size_t)st.st_size)
            rc = n < 0 ? -errno : -EIO;
    }
    if (fd >= 0)
        close(fd);
    if (rc && !b->why[0])
        snprintf(b->why, sizeof(b->why), "%s: %s", path, strerror(-rc));
    return rc;
}

int build_read_files(struct build *b)
{
    const char *why = NULL;
    int rc;

    if (!b->cfg->kernel) {
        snprintf(b->why, sizeof(b->why), "no kernel given");
        return -EINVAL;
    }
    rc = read_file(b, b->cfg->kernel, &b->kernel, &b->kernel_len);
    if (!rc && b->cfg->ramdisk)
        rc = read_file(b, b->cfg->ramdisk, &b->ramdisk, &b->ramdisk_len);
    if (rc)
        return rc;
    rc = kimage_parse(b->kernel, b->kernel_len, &b->k, &why);
    if (!rc && !b->k.has_entry) {
        why = b->cfg->pv_as_pvh
                  ? "no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): kumo runs PV configs as PVH only"
                  : "no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY)";
        rc = -EINVAL;
    }
    if (rc)
        snprintf(b->why, sizeof(b->why), "%s: %s", b->cfg->kernel, why);
    return rc;
}

static void add_e820(struct build *b, uint64_t addr, uint64_t size, uint32_t type)
{
    b->e820[b->nr_e820].addr = addr;
    b->e820[b->nr_e820].size = size;
    b->e820[b->nr_e820++].type = type;
}

/*
 * Start info (with the memory map, one module and the command line) right after the
 * kernel's image, the ramdisk page-aligned after it: all below the MMIO hole.
 */
int build_layout(struct build *b)
{
    uint64_t low, cmdline = b->cfg->cmdline ? strlen(b->cfg->cmdline) + 1 : 1;
    uint64_t end;

    b->mem = b->cfg->target_memkb * 1024;
    low = b->mem < BUILD_MMIO_HOLE ? b->mem : BUILD_MMIO_HOLE;
    if (b->mem < (4ULL << 20) || b->mem > (1ULL << 40)) {
        snprintf(b->why, sizeof(b->why), "memory must be 4 MiB to 1 TiB");
        return -EINVAL;
    }
    b->nr_e820 = 0;
    add_e820(b, 0, BUILD_ACPI_BASE, E820_RAM);
    add_e820(b, BUILD_ACPI_BASE, BUILD_LOW_RAM_END - BUILD_ACPI_BASE, E820_ACPI);
    add_e820(b, BUILD_LOW_RAM_END, 0x100000 - BUILD_LOW_RAM_END, E820_RESERVED);
    add_e820(b, 0x100000, low - 0x100000, E820_RAM);
    add_e820(b, BUILD_SPECIAL_PFN * PAGE, BUILD_NR_SPECIAL * PAGE, E820_RESERVED);
    if (b->mem > low)
        add_e820(b, BUILD_HIGH_RAM, b->mem - low, E820_RAM);
    b->si_gpa = round_up(b->k.paddr_hi, PAGE);
    /* hvm_start_info (56 bytes), the map (24 a line), one module (32), the command line. */
    end = b->si_gpa + 64 + 24 * BUILD_MAX_E820 + 32 + cmdline;
    b->ramdisk_gpa = round_up(end, PAGE);
    end = b->ramdisk_gpa + b->ramdisk_len;
    if (b->k.paddr_lo < 0x100000 || end > low) {
        snprintf(b->why, sizeof(b->why),
                 "the kernel (0x%llx-0x%llx), start info and ramdisk need 0x%llx bytes of RAM "
                 "from 1 MiB; memory gives 0x%llx", (unsigned long long)b->k.paddr_lo,
                 (unsigned long long)b->k.paddr_hi, (unsigned long long)end,
                 (unsigned long long)low);
        return -EINVAL;
    }
    return 0;
}

/* n pages from gfn, as 2 MiB extents where aligned and 4 KiB ones elsewhere. */
static int populate_range(struct build *b, uint64_t gfn, uint64_t n)
{
    uint64_t gfns[POPULATE_BATCH];

    while (n) {
        unsigned int order = !(gfn & 511) && n >= 512 ? 9 : 0, k = 0;
        long done;

        while (k < POPULATE_BATCH && n >= (1ULL << order) && (order == 0 || !(gfn & 511))) {
            gfns[k++] = gfn;
            gfn += 1ULL << order;
            n -= 1ULL << order;
            if (order == 0 && !(gfn & 511) && n >= 512)
                break;                  /* aligned again: the next batch uses 2 MiB */
        }
        done = ctl_populate_physmap(b->domid, gfns, k, order);
        if (done != (long)k) {
            snprintf(b->why, sizeof(b->why), "populate_physmap at GFN 0x%llx: %s",
                     (unsigned long long)gfns[done > 0 ? done : 0],
                     strerror(done < 0 ? (int)-done : ENOMEM));
            return done < 0 ? (int)done : -ENOMEM;
        }
    }
    return 0;
}

int build_populate(struct build *b)
{
    uint64_t low = b->mem < BUILD_MMIO_HOLE ? b->mem : BUILD_MMIO_HOLE;
    int rc = populate_range(b, 0, low / PAGE);

    if (!rc && b->mem > low)
        rc = populate_range(b, BUILD_HIGH_RAM / PAGE, (b->mem - low) / PAGE);
    if (!rc)
        rc = populate_range(b, BUILD_STORE_PFN, 1);
    if (!rc)
        rc = populate_range(b, BUILD_CONSOLE_PFN, 1);
    return rc;
}

int build_write_guest(uint32_t domid, uint64_t gpa, const void *src, uint64_t len)
{
    uint64_t gfns[MAP_CHUNK];
    const uint8_t *s = src;

    while (len) {
        uint64_t first = gpa / PAGE, off = gpa % PAGE;
        unsigned int n = (unsigned int)((off + len + PAGE - 1) / PAGE);
        uint64_t chunk;
        uint8_t *map;

        n = n > MAP_CHUNK ? MAP_CHUNK : n;
        chunk = (uint64_t)n * PAGE - off;
        chunk = chunk > len ? len : chunk;
        for (unsigned int i = 0; i < n; i++)
            gfns[i] = first + i;
        map = plat_map_foreign(domid, gfns, n, NULL);
        if (!map)
            return -errno;
        if (s)
            memcpy(map + off, s, chunk);
        else
            memset(map + off, 0, chunk);
        plat_unmap_foreign(map, n);
        gpa += chunk;
        len -= chunk;
        if (s)
            s += chunk;
    }
    return 0;
}

static int load_segment(void *ctx, uint64_t paddr, const uint8_t *bytes, uint64_t filesz,
                        uint64_t memsz)
{
    struct build *b = ctx;
    int rc = build_write_guest(b->domid, paddr, bytes, filesz);

    /* Populated memory is zero already, but a segment may overlap an earlier one. */
    if (!rc && memsz > filesz)
        rc = build_write_guest(b->domid, paddr + filesz, NULL, memsz - filesz);
    return rc;
}

int build_load_images(struct build *b)
{
    int rc = kimage_segments(&b->k, load_segment, b);

    if (rc) {
        snprintf(b->why, sizeof(b->why), "copying the kernel: %s", strerror(-rc));
        return rc;
    }
    if (b->ramdisk_len)
        rc = build_write_guest(b->domid, b->ramdisk_gpa, b->ramdisk, b->ramdisk_len);
    if (rc)
        snprintf(b->why, sizeof(b->why), "copying the ramdisk: %s", strerror(-rc));
    return rc;
}
