/* libFuzzer target for kernel/unxz.c and kernel/lzma2.c (the checks are in fuzz_unpack.h). */
#include "../../kernel/lib/crc.c"
#include "../../kernel/lzma2.c"
#include "../../kernel/unxz.c"
#include "fuzz_unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The output size is the stream's first byte times 4 KiB. */
    fuzz_unpack(unxz, data, size, size ? data[0] + 1u : 0);
    return 0;
}
