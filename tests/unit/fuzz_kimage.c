/*
 * libFuzzer target for the builder's kernel-image reader (libs/toolstack/kimage.c), which
 * reads files a Dom0 user names: any input parses or is refused with a reason (never a
 * crash, a leak or a read outside it), and a parsed image's segments lie within its ELF.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../dom0-tools/libs/toolstack/kimage.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_segment(void *ctx, uint64_t paddr, const uint8_t *bytes, uint64_t filesz,
                         uint64_t memsz)
{
    const struct kimage *k = ctx;

    if (bytes < k->elf || filesz > k->elf_len || (size_t)(bytes - k->elf) > k->elf_len - filesz ||
        filesz > memsz || paddr < k->paddr_lo || paddr + memsz > k->paddr_hi)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    struct kimage k;

    if (kimage_parse(data, size, &k, &why)) {
        if (!why)
            abort();
        return 0;
    }
    if (kimage_segments(&k, check_segment, &k))
        abort();
    kimage_free(&k);
    return 0;
}
