/*
 * The hypervisor's own decompressors for kernel images (bzImage payloads). Each works on a
 * whole input buffer and writes one flat output buffer, which is also its window or
 * dictionary, so nothing else is allocated. Boot-time only: the LZMA state is static, so
 * calls must not overlap. Bad input of any kind ends in an error, never a fault or a hang:
 * the work done is bounded by the output size.
 */
#ifndef KUMO_DECOMPRESS_H
#define KUMO_DECOMPRESS_H

#include <kumo/types.h>

/* Input consumed and output produced so far; decoders advance the positions. */
struct unpack_buf {
    const uint8_t *in;
    size_t in_pos, in_size;
    uint8_t *out;
    size_t out_pos, out_size;
};

/*
 * Decodes the first .xz stream of in (anything after it is left alone, as a bzImage
 * appends its size) into out. Filters: x86 BCJ + LZMA2, or LZMA2 alone; checks: none,
 * CRC32, CRC64. 0, or -EINVAL (corrupt or truncated), -ENOSPC (out too small),
 * -EOPNOTSUPP (valid but unsupported option), with *why set to a short reason.
 */
int unxz(struct unpack_buf *b, const char **why);

/*
 * Decodes raw LZMA2 chunks from b->in at b->in_pos up to and including the end marker,
 * into b->out from b->out_pos; dictionary resets restart at the then current out_pos.
 * Same errors as unxz().
 */
int lzma2_decode(struct unpack_buf *b, const char **why);

/*
 * Applies the x86 BCJ decoder to buf[0, len), whose first byte sits at stream position
 * start (the filter's start offset). The last four bytes of a block stay as they are.
 */
void bcj_x86_decode(uint8_t *buf, size_t len, uint32_t start);

/*
 * Decodes a gzip member (RFC 1952 around RFC 1951 deflate) and checks its CRC32 and
 * ISIZE. Same errors as unxz().
 */
int gunzip(struct unpack_buf *b, const char **why);

#endif
