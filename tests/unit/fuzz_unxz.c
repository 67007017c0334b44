/*
 * libFuzzer target for kernel/unxz.c and kernel/lzma2.c: any input decodes or fails with a
 * reason, within the output buffer (ASan), and in bounded time (libFuzzer's -timeout).
 */
#include "../../kernel/lib/crc.c"
#include "../../kernel/lzma2.c"
#include "../../kernel/unxz.c"

#include <stdlib.h>

#define OUT_MAX (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *out;
    struct unpack_buf b = { .in = data, .in_size = size };
    const char *why = NULL;

    if (!out)
        out = malloc(OUT_MAX);
    /* The output size is the stream's first byte times 4 KiB: small and large buffers. */
    b.out = out;
    b.out_size = size ? (size_t)(data[0] + 1) * 4096 : 0;
    if (unxz(&b, &why) && !why)
        abort();
    if (b.out_pos > b.out_size || b.in_pos > b.in_size)
        abort();
    return 0;
}
