/*
 * libFuzzer target for kernel/bzimage.c: the setup-header parser never reads outside the
 * module, and whatever payload it accepts unpacks or fails with a reason.
 */
#include "../../kernel/lib/crc.c"
#include "../../kernel/lzma2.c"
#include "../../kernel/unxz.c"
#include "../../kernel/inflate.c"
#include "../../kernel/bzimage.c"

#include <stdlib.h>

#define OUT_MAX (4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the module's end. */
    uint8_t *img = malloc(size ? size : 1), *out;
    struct bzimage_info info;
    const char *why = NULL;
    int rc;

    memcpy(img, data, size);
    rc = bzimage_parse(img, size, &info, &why);
    if (rc < 0 && !why)
        abort();
    if (rc == 1) {
        if (info.payload < img || info.payload + info.payload_len > img + size)
            abort();
        if (info.format != BZIMAGE_ELF && info.unpacked_len <= OUT_MAX) {
            out = malloc(info.unpacked_len);
            if (bzimage_unpack(&info, out, &why) && !why)
                abort();
            free(out);
        }
    }
    free(img);
    return 0;
}
