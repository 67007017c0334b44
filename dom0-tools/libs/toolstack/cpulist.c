/*
 * Xen's cpu-list syntax and its printed form (tools/xl: parse_cpurange, print_bitmap),
 * over kumo's 64-bit CPU masks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"

static uint64_t all_cpus(unsigned int nr_cpus)
{
    return nr_cpus >= 64 ? ~0ULL : (1ULL << nr_cpus) - 1;
}

/* "N" or "N-M" (N <= M), whole item; CPUs must be below limit. */
static int parse_range(const char *s, size_t len, unsigned int limit, unsigned int *lo,
                       unsigned int *hi)
{
    char item[32], *end;
    unsigned long a, b;

    if (!len || len >= sizeof(item) || s[0] < '0' || s[0] > '9')
        return -EINVAL;
    memcpy(item, s, len);
    item[len] = '\0';
    a = strtoul(item, &end, 10);
    b = a;
    if (*end == '-') {
        if (end[1] < '0' || end[1] > '9')
            return -EINVAL;
        b = strtoul(end + 1, &end, 10);
    }
    if (*end || a > b || b >= limit)
        return -EINVAL;
    *lo = (unsigned int)a;
    *hi = (unsigned int)b;
    return 0;
}

/* One item of the list (without its "^") into a mask. */
static int parse_item(const char *s, size_t len, unsigned int nr_cpus, uint64_t *bits)
{
    unsigned int lo, hi;

    if (len == 3 && !strncmp(s, "all", 3)) {
        *bits = all_cpus(nr_cpus);
        return 0;
    }
    if ((len > 5 && !strncmp(s, "node:", 5)) || (len > 6 && !strncmp(s, "nodes:", 6))) {
        size_t skip = s[4] == ':' ? 5 : 6;

        /* One NUMA node, 0, holds every CPU. */
        if (parse_range(s + skip, len - skip, 1, &lo, &hi))
            return -EINVAL;
        *bits = all_cpus(nr_cpus);
        return 0;
    }
    if (parse_range(s, len, nr_cpus, &lo, &hi))
        return -EINVAL;
    *bits = (hi == 63 ? ~0ULL : (1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);
    return 0;
}

int ts_parse_cpulist(const char *s, unsigned int nr_cpus, uint64_t *mask)
{
    uint64_t m = 0;

    if (!s || !*s || nr_cpus == 0 || nr_cpus > 64)
        return -EINVAL;
    while (*s) {
        const char *comma = strchr(s, ','), *item = s;
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        bool negate = *item == '^';
        uint64_t bits;

        if (negate) {
            item++;
            len--;
        }
        if (parse_item(item, len, nr_cpus, &bits))
            return -EINVAL;
        m = negate ? m & ~bits : m | bits;
        s = comma ? comma + 1 : s + strlen(s);
        if (comma && !*s)
            return -EINVAL;                 /* a trailing comma */
    }
    *mask = m;
    return 0;
}

void ts_format_cpumap(uint64_t mask, unsigned int nr_cpus, char *buf, size_t len)
{
    size_t used = 0;

    if (nr_cpus > 64)
        nr_cpus = 64;
    mask &= all_cpus(nr_cpus);
    if (!len)
        return;
    buf[0] = '\0';
    if (!mask) {
        snprintf(buf, len, "none");
        return;
    }
    if (mask == all_cpus(nr_cpus)) {
        snprintf(buf, len, "all");
        return;
    }
    for (unsigned int i = 0; i < nr_cpus && used < len; i++) {
        unsigned int j = i;
        int n;

        if (!(mask >> i & 1))
            continue;
        while (j + 1 < nr_cpus && (mask >> (j + 1) & 1))
            j++;
        n = j > i ? snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", i, j)
                  : snprintf(buf + used, len - used, "%s%u", used ? "," : "", i);
        used += n > 0 ? (size_t)n : 0;
        i = j;
    }
}
