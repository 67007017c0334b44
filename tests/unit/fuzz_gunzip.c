/* libFuzzer target for kernel/inflate.c (the checks are in fuzz_unpack.h). */
#include "../../kernel/lib/crc.c"
#include "../../kernel/inflate.c"
#include "fuzz_unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The output size comes from the stream's last byte: ISIZE's top byte is rarely set. */
    fuzz_unpack(gunzip, data, size, size ? data[size - 1] + 1u : 0);
    return 0;
}
