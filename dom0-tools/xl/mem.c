/*
 * xl's memory family (tools/xl/xl_mem.c): mem-set moves the balloon target
 * (memory/target, which the guest's balloon driver follows) and mem-max the bound.
 * Sizes are Xen's: a number with an optional b, k, m (the default), g or t.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/toolstack.h"
#include "xl.h"

int64_t xl_parse_mem_kb(const char *s)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || strlen(end) > 1 || v < 0 || errno)
        return -1;
    switch (tolower((unsigned char)*end)) {
    case 't':
        v = v > (LLONG_MAX >> 30) ? -1 : v << 30;
        break;
    case 'g':
        v = v > (LLONG_MAX >> 20) ? -1 : v << 20;
        break;
    case '\0':
    case 'm':
        v = v > (LLONG_MAX >> 10) ? -1 : v << 10;
        break;
    case 'k':
        break;
    case 'b':
        v >>= 10;
        break;
    default:
        return -1;
    }
    return v;
}

static int mem_command(int argc, char **argv, bool max)
{
    uint32_t domid;
    int64_t kb;
    int rc;

    if (xl_getopt(argc, argv, "", NULL, max ? "mem-max" : "mem-set", 2, &rc) != -1)
        return rc;                      /* help, or an argument missing */
    argv += optind - 1;
    if ((rc = xl_find_domain(argv[1], &domid)))
        return rc;
    if ((kb = xl_parse_mem_kb(argv[2])) < 0)
        return xl_error("invalid memory size: %s", argv[2]);
    rc = max ? ts_set_memory_max(domid, (uint64_t)kb) : ts_set_memory_target(domid, (uint64_t)kb);
    if (rc == -E2BIG)
        return xl_error("cannot set domid %u dynamic max memory to : %s (memory_dynamic_max "
                        "must be less than or equal to memory_static_max)", domid, argv[2]);
    if (rc == -ERANGE)
        return xl_error("cannot set domid %u static max memory to : %s (memory_static_max "
                        "must be greater than or equal to memory_dynamic_max)", domid, argv[2]);
    if (rc)
        return xl_error("cannot set domid %u %s memory to : %s (%s)", domid,
                        max ? "static max" : "dynamic max", argv[2], strerror(-rc));
    return 0;
}

int main_memset(int argc, char **argv)
{
    return mem_command(argc, argv, false);
}

int main_memmax(int argc, char **argv)
{
    return mem_command(argc, argv, true);
}
