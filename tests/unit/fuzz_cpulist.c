/*
 * libFuzzer target for Xen's cpu-list parser (libs/toolstack/cpulist.c): any input either
 * fails with -EINVAL or gives a mask within the host's CPUs, and the printed form of that
 * mask parses back to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dom0-tools/libs/toolstack/cpulist.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), buf[512];
    unsigned int nr_cpus = size ? data[0] % 66 : 4;
    uint64_t mask, again;
    int rc;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    rc = ts_parse_cpulist(size ? s + 1 : s, nr_cpus, &mask);
    if (rc == 0) {
        if (nr_cpus < 64 && (mask >> nr_cpus))
            abort();                    /* a CPU the host does not have */
        ts_format_cpumap(mask, nr_cpus, buf, sizeof(buf));
        if (mask && (ts_parse_cpulist(buf, nr_cpus, &again) || again != mask))
            abort();
    } else if (rc != -EINVAL) {
        abort();
    }
    free(s);
    return 0;
}
