/*
 * ELF loader for PVH kernels. Both ELF classes are accepted (XTF-style test kernels are
 * often ELF32); every offset and size is checked against the image before use. As Xen's
 * libelf: only loadable segments (PT_LOAD with any of R/W/X) are checked and loaded, other
 * program headers (a PT_NOTE with p_memsz 0, PT_GNU_STACK...) are only read; the entry note
 * comes from PT_NOTE segments, else from SHT_NOTE sections.
 */
#include <kumo/elf_load.h>
#include <kumo/xen_abi.h>

#define PT_LOAD     1
#define PT_NOTE     4
#define PF_RWX      7
#define SHT_NOTE    7

struct phdr {
    uint32_t type, flags;
    uint64_t offset, paddr, filesz, memsz;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool within(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

/* Reads program header i; false when the header itself is not within the image. */
static bool get_phdr(const uint8_t *img, size_t len, unsigned int i, struct phdr *ph)
{
    bool is64 = img[4] == 2;
    uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
    uint16_t phentsize = rd16(img + (is64 ? 54 : 42));
    const uint8_t *p;

    if (phentsize < (is64 ? 56 : 32) || !within(len, phoff + (uint64_t)i * phentsize, phentsize))
        return false;
    p = img + phoff + (uint64_t)i * phentsize;
    ph->type = rd32(p);
    if (is64) {
        ph->flags = rd32(p + 4);
        ph->offset = rd64(p + 8), ph->paddr = rd64(p + 24);
        ph->filesz = rd64(p + 32), ph->memsz = rd64(p + 40);
    } else {
        ph->offset = rd32(p + 4), ph->paddr = rd32(p + 12);
        ph->filesz = rd32(p + 16), ph->memsz = rd32(p + 20);
        ph->flags = rd32(p + 24);
    }
    return true;
}

static bool loadable(const struct phdr *ph)
{
    return ph->type == PT_LOAD && (ph->flags & PF_RWX);
}

/* A loadable segment's bytes lie within the image and its end does not wrap around. */
static bool segment_ok(size_t len, const struct phdr *ph)
{
    return within(len, ph->offset, ph->filesz) && ph->filesz <= ph->memsz &&
           ph->paddr + ph->memsz >= ph->paddr;
}

/* Looks through a PT_NOTE segment for Xen's PHYS32_ENTRY note. */
static bool find_entry_note(const uint8_t *n, uint64_t size, uint32_t *entry)
{
    uint64_t off = 0;

    while (off + 12 <= size) {
        uint32_t namesz = rd32(n + off), descsz = rd32(n + off + 4), type = rd32(n + off + 8);
        uint64_t name = off + 12, desc = name + ROUNDUP((uint64_t)namesz, 4);

        if (desc > size || ROUNDUP((uint64_t)descsz, 4) > size - desc)
            return false;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(n + name, "Xen", 4) &&
            descsz >= 4) {
            *entry = rd32(n + desc);
            return true;
        }
        off = desc + ROUNDUP((uint64_t)descsz, 4);
    }
    return false;
}

/* The entry note from the SHT_NOTE sections; Xen's libelf looks there when no segment has it. */
static bool find_entry_in_sections(const uint8_t *img, size_t len, uint32_t *entry)
{
    bool is64 = img[4] == 2;
    uint64_t shoff = is64 ? rd64(img + 40) : rd32(img + 32);
    uint16_t shentsize = rd16(img + (is64 ? 58 : 46)), shnum = rd16(img + (is64 ? 60 : 48));

    if (!shoff || shentsize < (is64 ? 64 : 40))
        return false;
    for (unsigned int i = 0; i < shnum; i++) {
        const uint8_t *sh = img + shoff + (uint64_t)i * shentsize;
        uint64_t off, size;

        if (!within(len, shoff + (uint64_t)i * shentsize, shentsize))
            return false;
        if (rd32(sh + 4) != SHT_NOTE)
            continue;
        off = is64 ? rd64(sh + 24) : rd32(sh + 16);
        size = is64 ? rd64(sh + 32) : rd32(sh + 20);
        if (within(len, off, size) && find_entry_note(img + off, size, entry))
            return true;
    }
    return false;
}

int elf_inspect(const void *image, size_t len, struct elf_image_info *info, const char **why)
{
    const uint8_t *img = image;
    unsigned int phnum;
    bool found = false;

    *why = NULL;
    if (len < 52 || memcmp(img, "\177ELF", 4) || (img[4] != 1 && img[4] != 2) || img[5] != 1) {
        *why = "not a little-endian ELF image";
        return -XEN_EINVAL;
    }
    if (img[4] == 2 && len < 64) {
        *why = "truncated ELF header";
        return -XEN_EINVAL;
    }
    phnum = rd16(img + (img[4] == 2 ? 56 : 44));
    info->paddr_lo = UINT64_MAX;
    info->paddr_hi = 0;
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;

        if (!get_phdr(img, len, i, &ph)) {
            *why = "program header outside the image";
            return -XEN_EINVAL;
        }
        if (ph.type == PT_NOTE && !found && within(len, ph.offset, ph.filesz))
            found = find_entry_note(img + ph.offset, ph.filesz, &info->phys32_entry);
        if (!loadable(&ph))
            continue;
        if (!segment_ok(len, &ph)) {
            *why = "loadable segment outside the image, larger on file than in memory, or wrapping";
            return -XEN_EINVAL;
        }
        if (ph.memsz) {
            info->paddr_lo = MIN(info->paddr_lo, ph.paddr);
            info->paddr_hi = MAX(info->paddr_hi, ph.paddr + ph.memsz);
        }
    }
    if (!found)
        found = find_entry_in_sections(img, len, &info->phys32_entry);
    if (!found) {
        *why = "no XEN_ELFNOTE_PHYS32_ENTRY note (not a PVH kernel)";
        return -XEN_EINVAL;
    }
    if (info->paddr_hi == 0) {
        *why = "no loadable segment";
        return -XEN_EINVAL;
    }
    return 0;
}

int elf_load(struct domain *d, const void *image, size_t len)
{
    const uint8_t *img = image;
    unsigned int phnum = rd16(img + (img[4] == 2 ? 56 : 44));

    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;

        if (!get_phdr(img, len, i, &ph))
            return -XEN_EINVAL;
        if (!loadable(&ph))
            continue;
        if (!segment_ok(len, &ph))
            return -XEN_EINVAL;
        /* The rest of memsz is bss, already zero in freshly populated memory. */
        if (!copy_to_guest_phys(d, ph.paddr, img + ph.offset, ph.filesz))
            return -XEN_EFAULT;
    }
    return 0;
}
