/*
 * bzImage setup-header parsing and payload unpacking (Linux's Documentation/x86/boot.rst
 * for the header, Xen's bzimage_parse() for what a hypervisor accepts). Every header field
 * is checked against the module's size before the payload is touched.
 */
#include <kumo/bzimage.h>
#include <kumo/decompress.h>
#include <kumo/lib.h>
#include <kumo/xen_abi.h>

#define HDR_SETUP_SECTS     0x1F1
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_PAYLOAD_OFFSET  0x248
#define HDR_PAYLOAD_LENGTH  0x24C
#define HDR_END             0x250
#define PROTOCOL_MIN        0x0208      /* the first with payload_offset/payload_length */

static uint32_t hdr_u32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Formats Linux can compress itself with that kumo does not unpack, named for the log. */
static const struct {
    uint8_t len, magic[4];
    const char *why;
} unsupported[] = {
    { 3, { 0x42, 0x5A, 0x68 }, "bzImage payload is bzip2 (kumo unpacks xz and gzip)" },
    { 2, { 0x5D, 0x00 }, "bzImage payload is lzma (kumo unpacks xz and gzip)" },
    { 4, { 0x89, 0x4C, 0x5A, 0x4F }, "bzImage payload is lzo (kumo unpacks xz and gzip)" },
    { 2, { 0x02, 0x21 }, "bzImage payload is lz4 (kumo unpacks xz and gzip)" },
    { 4, { 0x28, 0xB5, 0x2F, 0xFD }, "bzImage payload is zstd (kumo unpacks xz and gzip)" },
};

/* Names the payload's format from its first bytes; -EOPNOTSUPP for what kumo lacks. */
static int payload_format(struct bzimage_info *info, const char **why)
{
    const uint8_t *p = info->payload;
    size_t n = info->payload_len;

    if (n >= 4 && !memcmp(p, "\177ELF", 4)) {
        info->format = BZIMAGE_ELF;
        return 0;
    }
    if (n >= 6 && !memcmp(p, "\xFD" "7zXZ", 6)) {
        info->format = BZIMAGE_XZ;
        return 0;
    }
    if (n >= 2 && p[0] == 0x1F && p[1] == 0x8B) {
        info->format = BZIMAGE_GZIP;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
        if (n >= unsupported[i].len && !memcmp(p, unsupported[i].magic, unsupported[i].len)) {
            *why = unsupported[i].why;
            return -XEN_EOPNOTSUPP;
        }
    *why = "bzImage payload in an unknown format";
    return -XEN_EINVAL;
}

int bzimage_parse(const void *img, size_t len, struct bzimage_info *info, const char **why)
{
    const uint8_t *h = img;
    uint64_t setup_sects, off, plen;
    int err;

    if (len < HDR_MAGIC + 4 || memcmp(h + HDR_MAGIC, "HdrS", 4))
        return 0;
    if (len < HDR_END || (h[HDR_VERSION] | h[HDR_VERSION + 1] << 8) < PROTOCOL_MIN) {
        *why = "bzImage boot protocol older than 2.08";
        return -XEN_EINVAL;
    }
    /* The boot protocol's rule: a zero setup_sects field means 4. */
    setup_sects = h[HDR_SETUP_SECTS] ? h[HDR_SETUP_SECTS] : 4;
    off = (setup_sects + 1) * 512 + hdr_u32(h + HDR_PAYLOAD_OFFSET);
    plen = hdr_u32(h + HDR_PAYLOAD_LENGTH);
    if (off > len || plen > len - off || plen < 4) {
        *why = "bzImage payload outside the module";
        return -XEN_EINVAL;
    }
    info->payload = h + off;
    info->payload_len = plen;
    info->unpacked_len = 0;
    err = payload_format(info, why);
    if (err)
        return err;
    if (info->format == BZIMAGE_ELF)
        return 1;
    info->unpacked_len = hdr_u32(info->payload + plen - 4);
    if (info->unpacked_len < 64 || info->unpacked_len > BZIMAGE_MAX_UNPACKED) {
        *why = "bzImage payload claims an implausible unpacked size";
        return -XEN_EINVAL;
    }
    return 1;
}

int bzimage_unpack(const struct bzimage_info *info, void *out, const char **why)
{
    struct unpack_buf b = {
        .in = info->payload, .in_size = info->payload_len,
        .out = out, .out_size = info->unpacked_len,
    };
    int err;

    if (info->format == BZIMAGE_ELF) {
        *why = "bzImage payload is not compressed";
        return -XEN_EINVAL;
    }
    err = info->format == BZIMAGE_XZ ? unxz(&b, why) : gunzip(&b, why);
    if (err)
        return err;
    if (b.out_pos != b.out_size) {
        *why = "bzImage payload unpacked to less than its stated size";
        return -XEN_EINVAL;
    }
    return 0;
}
