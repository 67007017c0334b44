/*
 * A guest kernel as Dom0's files hold it (kimage.c): a PVH ELF, or a Linux bzImage whose
 * payload (xz, gzip, zstd, or none) is unpacked with Debian's liblzma, zlib and libzstd.
 * The file is untrusted input: every offset is checked before use, and unpacking is
 * bounded by the size the payload states and KIMAGE_MAX_UNPACKED.
 */
#ifndef TOOLSTACK_KIMAGE_H
#define TOOLSTACK_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define KIMAGE_MAX_UNPACKED (512u << 20)

struct kimage {
    const uint8_t *elf;                 /* the ELF to load: in the file, or in owned */
    size_t elf_len;
    uint8_t *owned;                     /* the unpacked payload, or NULL */
    const char *format;                 /* "ELF", "bzImage (xz)" ... for messages */
    uint32_t entry;                     /* XEN_ELFNOTE_PHYS32_ENTRY; valid if has_entry */
    int has_entry;
    uint64_t paddr_lo, paddr_hi;        /* [lo, hi) the loadable segments cover */
};

/*
 * Reads the image [data, data + len) into k. A kernel without a PVH entry parses (0,
 * has_entry 0): the caller says why it cannot run. 0, or -EINVAL / -EOPNOTSUPP / -ENOMEM
 * with *why one line naming what is wrong; nothing is left allocated then. data must
 * outlive k. Undone by kimage_free().
 */
int kimage_parse(const void *data, size_t len, struct kimage *k, const char **why);
void kimage_free(struct kimage *k);

/*
 * Calls load(ctx, paddr, bytes, filesz, memsz) for every loadable segment (memsz - filesz
 * bytes of zeros follow the file's bytes); stops at, and returns, the first non-zero.
 */
typedef int kimage_load_fn(void *ctx, uint64_t paddr, const uint8_t *bytes, uint64_t filesz,
                           uint64_t memsz);
int kimage_segments(const struct kimage *k, kimage_load_fn *load, void *ctx);

#endif
