/*
 * What every decompressor fuzz target checks: any input decodes or fails with a reason,
 * stays within the buffers (ASan) and in bounded time (libFuzzer's -timeout).
 */
#include <stdlib.h>

#define OUT_MAX (1 << 20)

typedef int (*unpack_fn)(struct unpack_buf *b, const char **why);

/*
 * out_pages (at most 256) sizes the output buffer, so small and large buffers both get run.
 * The buffer has exactly that size, so ASan sees any write past it.
 */
static void fuzz_unpack(unpack_fn unpack, const uint8_t *data, size_t size, unsigned int out_pages)
{
    struct unpack_buf b = { .in = data, .in_size = size };
    const char *why = NULL;

    b.out_size = size ? (size_t)out_pages * 4096 : 0;
    if (b.out_size > OUT_MAX)
        abort();
    b.out = malloc(b.out_size ? b.out_size : 1);
    if (unpack(&b, &why) && !why)
        abort();
    if (b.out_pos > b.out_size || b.in_pos > b.in_size)
        abort();
    free(b.out);
}
