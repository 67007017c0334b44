/*
 * Linux bzImage kernels as boot modules, taken as Xen's Dom0 builder takes them
 * (xen/arch/x86/bzimage.c): "HdrS" at 0x202 and boot protocol >= 2.08 mark one; the setup
 * header's payload_offset/payload_length locate the vmlinux, ELF as is or compressed with
 * its unpacked size in the payload's last four bytes.
 */
#ifndef KUMO_BZIMAGE_H
#define KUMO_BZIMAGE_H

#include <kumo/types.h>

/* Larger claims are refused before anything is allocated (Debian 12's is ~66 MB). */
#define BZIMAGE_MAX_UNPACKED (512UL << 20)

enum bzimage_format { BZIMAGE_ELF, BZIMAGE_XZ, BZIMAGE_GZIP };

struct bzimage_info {
    enum bzimage_format format;
    const uint8_t *payload;
    size_t payload_len;
    size_t unpacked_len;                /* bytes bzimage_unpack() writes; 0 for ELF */
};

/*
 * 1 when img is a bzImage kumo can take (info filled in), 0 when it is no bzImage at all
 * (a plain ELF kernel, say), or -EINVAL / -EOPNOTSUPP with *why set.
 */
int bzimage_parse(const void *img, size_t len, struct bzimage_info *info, const char **why);

/*
 * Unpacks a compressed payload into out, which holds info->unpacked_len bytes; the result
 * must fill it exactly. 0 or a negative errno with *why set. Boot-time only (see
 * kumo/decompress.h).
 */
int bzimage_unpack(const struct bzimage_info *info, void *out, const char **why);

#endif
