/*
 * Reads multiboot1 (QEMU -kernel) and multiboot2 (GRUB) information into boot_info. Runs
 * first thing on the boot page tables, whose identity map covers where loaders put it.
 */
#include <kumo/boot.h>
#include <kumo/lib.h>
#include <kumo/param.h>

#define MB1_BOOTLOADER_MAGIC 0x2BADB002
#define MB2_BOOTLOADER_MAGIC 0x36D76289

#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS    (1u << 3)
#define MB1_INFO_MMAP    (1u << 6)
#define MB1_INFO_LOADER  (1u << 9)

#define MB2_TAG_END      0
#define MB2_TAG_CMDLINE  1
#define MB2_TAG_LOADER   2
#define MB2_TAG_MODULE   3
#define MB2_TAG_MMAP     6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct boot_info boot_info;

static const void *phys(uint64_t pa)
{
    return (const void *)(uintptr_t)pa;
}

static uint32_t rd32(const void *p, size_t off)
{
    uint32_t v;

    memcpy(&v, (const uint8_t *)p + off, sizeof(v));
    return v;
}

static uint64_t rd64(const void *p, size_t off)
{
    uint64_t v;

    memcpy(&v, (const uint8_t *)p + off, sizeof(v));
    return v;
}

static void add_memmap(uint64_t addr, uint64_t len, uint32_t type)
{
    struct boot_memmap_entry *e;

    if (boot_info.nr_memmap == BOOT_MAX_MEMMAP || !len)
        return;
    e = &boot_info.memmap[boot_info.nr_memmap++];
    e->addr = addr;
    e->len = len;
    e->type = type;
}

static void add_module(uint32_t start, uint32_t end, const char *string)
{
    struct boot_module *m;

    if (end < start)
        return;
    if (boot_info.nr_modules == BOOT_MAX_MODULES) {
        boot_info.nr_modules_dropped++;
        return;
    }
    m = &boot_info.modules[boot_info.nr_modules++];
    m->start = start;
    m->end = end;
    strlcpy(m->string, string ? string : "", sizeof(m->string));
}

static void parse_mb1(const void *mbi)
{
    uint32_t flags = rd32(mbi, 0);

    boot_info.multiboot = 1;
    if (flags & MB1_INFO_CMDLINE)
        strlcpy(boot_info.cmdline, phys(rd32(mbi, 16)), sizeof(boot_info.cmdline));
    if (flags & MB1_INFO_LOADER)
        strlcpy(boot_info.loader, phys(rd32(mbi, 64)), sizeof(boot_info.loader));
    if (flags & MB1_INFO_MODS) {
        const uint8_t *mod = phys(rd32(mbi, 24));

        for (uint32_t i = 0; i < rd32(mbi, 20); i++, mod += 16)
            add_module(rd32(mod, 0), rd32(mod, 4), phys(rd32(mod, 8)));
    }
    if (flags & MB1_INFO_MMAP) {
        const uint8_t *p = phys(rd32(mbi, 48));
        const uint8_t *end = p + rd32(mbi, 44);

        /* Each entry's size field excludes itself. */
        while (p + 24 <= end) {
            add_memmap(rd64(p, 4), rd64(p, 12), rd32(p, 20));
            p += rd32(p, 0) + 4;
        }
    }
}

static void parse_mb2_mmap(const uint8_t *tag, uint32_t size)
{
    uint32_t entry_size = rd32(tag, 8);

    if (entry_size < 20)
        return;
    for (uint32_t off = 16; off + entry_size <= size; off += entry_size)
        add_memmap(rd64(tag, off), rd64(tag, off + 8), rd32(tag, off + 16));
}

static void parse_mb2(const uint8_t *mbi)
{
    uint32_t total = rd32(mbi, 0);

    boot_info.multiboot = 2;
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint8_t *tag = mbi + off;
        uint32_t type = rd32(tag, 0), size = rd32(tag, 4);
        size_t rsdp_len;

        if (type == MB2_TAG_END || size < 8)
            break;
        switch (type) {
        case MB2_TAG_CMDLINE:
            strlcpy(boot_info.cmdline, (const char *)tag + 8, sizeof(boot_info.cmdline));
            break;
        case MB2_TAG_LOADER:
            strlcpy(boot_info.loader, (const char *)tag + 8, sizeof(boot_info.loader));
            break;
        case MB2_TAG_MODULE:
            add_module(rd32(tag, 8), rd32(tag, 12), (const char *)tag + 16);
            break;
        case MB2_TAG_MMAP:
            parse_mb2_mmap(tag, size);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            /* Prefer the ACPI 2.0 copy when both are present. */
            if (boot_info.has_rsdp_copy && type == MB2_TAG_ACPI_OLD)
                break;
            rsdp_len = MIN((size_t)size - 8, sizeof(boot_info.rsdp_copy));
            memcpy(boot_info.rsdp_copy, tag + 8, rsdp_len);
            boot_info.has_rsdp_copy = true;
            break;
        }
        off += ROUNDUP(size, 8u);
    }
}

/*
 * Multiboot1 loaders other than GRUB 2 put the image's name first (as Xen notes too); Xen's
 * generated GRUB entries put the word "placeholder" there.
 */
static void drop_image_name(void)
{
    const char *rest = cmdline_skip_placeholder(boot_info.cmdline);
    char *space = strchr(boot_info.cmdline, ' ');

    if (rest != boot_info.cmdline) {
        memmove(boot_info.cmdline, rest, strlen(rest) + 1);
        return;
    }
    if (!strncmp(boot_info.loader, "GRUB 2", 6))
        return;
    if (!space)
        boot_info.cmdline[0] = '\0';
    else
        memmove(boot_info.cmdline, space + 1, strlen(space + 1) + 1);
}

int multiboot_parse(uint32_t magic, uint32_t info_pa)
{
    if (magic == MB1_BOOTLOADER_MAGIC) {
        parse_mb1(phys(info_pa));
        drop_image_name();
    } else if (magic == MB2_BOOTLOADER_MAGIC) {
        parse_mb2(phys(info_pa));
    } else {
        return -1;
    }
    return 0;
}
