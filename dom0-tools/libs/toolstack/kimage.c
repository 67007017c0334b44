/*
 * Kernel images for the domain builder: the ELF's loadable segments and its PVH entry note
 * (as Xen's libelf finds it: PT_NOTE segments, else SHT_NOTE sections), and the bzImage
 * setup header (Linux's Documentation/arch/x86/boot.rst, protocol 2.08+ for payload_offset
 * and payload_length) with its payload unpacked by the distribution's libraries.
 */
#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "toolstack/kimage.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18     /* xen/elfnote.h */
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7

#define HDR_SETUP_SECTS 0x1F1
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24C
#define HDR_END 0x250

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool within(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static bool get_phdr(const uint8_t *e, size_t len, unsigned int i, struct phdr *ph)
{
    bool is64 = e[4] == 2;
    uint64_t off = is64 ? rd64(e + 32) : rd32(e + 28);
    uint16_t size = rd16(e + (is64 ? 54 : 42));
    const uint8_t *p;

    if (size < (is64 ? 56 : 32) || !within(len, off + (uint64_t)i * size, size))
        return false;
    p = e + off + (uint64_t)i * size;
    ph->type = rd32(p);
    if (is64) {
        ph->offset = rd64(p + 8), ph->paddr = rd64(p + 24);
        ph->filesz = rd64(p + 32), ph->memsz = rd64(p + 40);
    } else {
        ph->offset = rd32(p + 4), ph->paddr = rd32(p + 12);
        ph->filesz = rd32(p + 16), ph->memsz = rd32(p + 20);
    }
    return true;
}

static bool note_entry(const uint8_t *n, uint64_t size, uint32_t *entry)
{
    for (uint64_t off = 0; off + 12 <= size;) {
        uint64_t namesz = rd32(n + off), descsz = rd32(n + off + 4);
        uint64_t name = off + 12, desc = name + ((namesz + 3) & ~3ULL);

        if (desc > size || ((descsz + 3) & ~3ULL) > size - desc)
            return false;
        if (rd32(n + off + 8) == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            !memcmp(n + name, "Xen", 4) && descsz >= 4) {
            *entry = rd32(n + desc);
            return true;
        }
        off = desc + ((descsz + 3) & ~3ULL);
    }
    return false;
}

static bool section_entry(const uint8_t *e, size_t len, uint32_t *entry)
{
    bool is64 = e[4] == 2;
    uint64_t shoff = is64 ? rd64(e + 40) : rd32(e + 32);
    uint16_t size = rd16(e + (is64 ? 58 : 46)), num = rd16(e + (is64 ? 60 : 48));

    if (!shoff || size < (is64 ? 64 : 40))
        return false;
    for (unsigned int i = 0; i < num; i++) {
        const uint8_t *sh = e + shoff + (uint64_t)i * size;
        uint64_t off, sz;

        if (!within(len, shoff + (uint64_t)i * size, size))
            return false;
        if (rd32(sh + 4) != SHT_NOTE)
            continue;
        off = is64 ? rd64(sh + 24) : rd32(sh + 16);
        sz = is64 ? rd64(sh + 32) : rd32(sh + 20);
        if (within(len, off, sz) && note_entry(e + off, sz, entry))
            return true;
    }
    return false;
}

static int parse_elf(struct kimage *k, const char **why)
{
    const uint8_t *e = k->elf;
    size_t len = k->elf_len;
    unsigned int phnum;

    if (len < 64 || memcmp(e, "\177ELF", 4) || (e[4] != 1 && e[4] != 2) || e[5] != 1) {
        *why = "not a little-endian ELF image or bzImage";
        return -EINVAL;
    }
    phnum = rd16(e + (e[4] == 2 ? 56 : 44));
    k->paddr_lo = UINT64_MAX;
    k->paddr_hi = 0;
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;

        if (!get_phdr(e, len, i, &ph)) {
            *why = "ELF program header outside the file";
            return -EINVAL;
        }
        if (ph.type == PT_NOTE && !k->has_entry && within(len, ph.offset, ph.filesz))
            k->has_entry = note_entry(e + ph.offset, ph.filesz, &k->entry);
        if (ph.type != PT_LOAD || !ph.memsz)
            continue;
        if (!within(len, ph.offset, ph.filesz) || ph.filesz > ph.memsz ||
            ph.paddr + ph.memsz < ph.paddr || ph.paddr + ph.memsz > (1ULL << 40)) {
            *why = "ELF segment outside the file, larger on file than in memory, or too high";
            return -EINVAL;
        }
        k->paddr_lo = ph.paddr < k->paddr_lo ? ph.paddr : k->paddr_lo;
        k->paddr_hi = ph.paddr + ph.memsz > k->paddr_hi ? ph.paddr + ph.memsz : k->paddr_hi;
    }
    if (!k->has_entry)
        k->has_entry = section_entry(e, len, &k->entry);
    if (!k->paddr_hi) {
        *why = "ELF image without a loadable segment";
        return -EINVAL;
    }
    return 0;
}

static int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    uint64_t memlimit = 256u << 20;
    size_t in_pos = 0, out_pos = 0;
    lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, in_len, out,
                                           &out_pos, *out_len);

    *out_len = out_pos;
    return r == LZMA_OK ? 0 : r == LZMA_MEM_ERROR ? -ENOMEM : -EINVAL;
}

static int gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    z_stream z = { .next_in = (Bytef *)in, .avail_in = (uInt)in_len, .next_out = out,
                   .avail_out = (uInt)*out_len };
    int r;

    if (in_len > UINT32_MAX || *out_len > UINT32_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -ENOMEM;
    r = inflate(&z, Z_FINISH);
    *out_len = z.total_out;
    inflateEnd(&z);
    return r == Z_STREAM_END ? 0 : r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
}

static int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    size_t r = ZSTD_decompress(out, *out_len, in, in_len);

    if (ZSTD_isError(r))
        return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM : -EINVAL;
    *out_len = r;
    return 0;
}

typedef int unpack_fn(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

static const struct format {
    size_t magic_len;
    const char *magic, *name;
    unpack_fn *unpack;                  /* NULL: a format kumo does not unpack */
} formats[] = {
    { 6, "\xFD" "7zXZ\0", "bzImage (xz)", unxz },
    { 2, "\x1F\x8B", "bzImage (gzip)", gunzip },
    { 4, "\x28\xB5\x2F\xFD", "bzImage (zstd)", unzstd },
    { 3, "BZh", "bzImage payload is bzip2 (kumo unpacks xz, gzip and zstd)", NULL },
    { 2, "\x5D\x00", "bzImage payload is lzma (kumo unpacks xz, gzip and zstd)", NULL },
    { 4, "\x89LZO", "bzImage payload is lzo (kumo unpacks xz, gzip and zstd)", NULL },
    { 2, "\x02\x21", "bzImage payload is lz4 (kumo unpacks xz, gzip and zstd)", NULL },
};

/* The payload (len >= 4) unpacked into k->owned; its last 4 bytes state the size. */
static int unpack(struct kimage *k, const uint8_t *p, size_t len, const char **why)
{
    const struct format *f = NULL;
    size_t want = rd32(p + len - 4), got = want;
    int rc;

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]) && !f; i++)
        if (len >= formats[i].magic_len && !memcmp(p, formats[i].magic, formats[i].magic_len))
            f = &formats[i];
    if (!f || !f->unpack) {
        *why = f ? f->name : "bzImage payload in an unknown format";
        return f ? -EOPNOTSUPP : -EINVAL;
    }
    if (want < 64 || want > KIMAGE_MAX_UNPACKED) {
        *why = "bzImage payload states an implausible unpacked size";
        return -EINVAL;
    }
    if (!(k->owned = malloc(want))) {
        *why = "no memory to unpack the bzImage payload";
        return -ENOMEM;
    }
    rc = f->unpack(p, len - 4, k->owned, &got);
    if (!rc && got != want)
        rc = -EINVAL;
    if (rc) {
        *why = rc == -ENOMEM ? "no memory to unpack the bzImage payload"
                             : "bzImage payload corrupt or not of its stated size";
        free(k->owned);
        k->owned = NULL;
        return rc;
    }
    k->format = f->name;
    k->elf = k->owned;
    k->elf_len = want;
    return 0;
}

/* 1 and k->elf set when data is a bzImage, 0 when it is not one, or -errno. */
static int parse_bzimage(const uint8_t *h, size_t len, struct kimage *k, const char **why)
{
    uint64_t sects, off, plen;

    if (len < HDR_MAGIC + 4 || memcmp(h + HDR_MAGIC, "HdrS", 4))
        return 0;
    if (len < HDR_END || rd16(h + HDR_VERSION) < 0x208) {
        *why = "bzImage boot protocol older than 2.08 (no payload offset)";
        return -EINVAL;
    }
    sects = h[HDR_SETUP_SECTS] ? h[HDR_SETUP_SECTS] : 4;    /* 0 means 4 (boot.rst) */
    off = (sects + 1) * 512 + rd32(h + HDR_PAYLOAD_OFFSET);
    plen = rd32(h + HDR_PAYLOAD_LENGTH);
    if (!within(len, off, plen) || plen < 4) {
        *why = "bzImage payload outside the file";
        return -EINVAL;
    }
    if (plen >= 4 && !memcmp(h + off, "\177ELF", 4)) {
        k->format = "bzImage (uncompressed)";
        k->elf = h + off;
        k->elf_len = plen;
        return 1;
    }
    return unpack(k, h + off, plen, why) ?: 1;
}

int kimage_parse(const void *data, size_t len, struct kimage *k, const char **why)
{
    int rc;

    memset(k, 0, sizeof(*k));
    rc = parse_bzimage(data, len, k, why);
    if (rc < 0)
        return rc;
    if (!rc) {
        k->format = "ELF";
        k->elf = data;
        k->elf_len = len;
    }
    rc = parse_elf(k, why);
    if (rc)
        kimage_free(k);
    return rc;
}

void kimage_free(struct kimage *k)
{
    free(k->owned);
    memset(k, 0, sizeof(*k));
}

int kimage_segments(const struct kimage *k, kimage_load_fn *load, void *ctx)
{
    unsigned int phnum = rd16(k->elf + (k->elf[4] == 2 ? 56 : 44));

    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;
        int rc;

        if (!get_phdr(k->elf, k->elf_len, i, &ph))
            return -EINVAL;
        if (ph.type != PT_LOAD || !ph.memsz)
            continue;
        rc = load(ctx, ph.paddr, k->elf + ph.offset, ph.filesz, ph.memsz);
        if (rc)
            return rc;
    }
    return 0;
}
