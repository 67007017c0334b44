/*
 * The 64-bit division helpers gcc calls in 32-bit code. The toolchain here has no 32-bit
 * libgcc, and test kernels divide nanoseconds, so a plain shift-and-subtract does.
 */
#include <kumo/types.h>

static uint64_t udivmod(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;

    if (!d) {
        *rem = n;
        return ~0ULL;                   /* gcc's helpers trap; the test kernels never do this */
    }
    for (int bit = 63; bit >= 0; bit--) {
        r = r << 1 | ((n >> bit) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ULL << bit;
        }
    }
    *rem = r;
    return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    uint64_t r;

    return udivmod(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;

    udivmod(n, d, &r);
    return r;
}

int64_t __divdi3(int64_t n, int64_t d)
{
    uint64_t r, q = udivmod(n < 0 ? 0 - (uint64_t)n : (uint64_t)n,
                            d < 0 ? 0 - (uint64_t)d : (uint64_t)d, &r);

    return (n < 0) != (d < 0) ? (int64_t)(0 - q) : (int64_t)q;
}

int64_t __moddi3(int64_t n, int64_t d)
{
    uint64_t r;

    udivmod(n < 0 ? 0 - (uint64_t)n : (uint64_t)n, d < 0 ? 0 - (uint64_t)d : (uint64_t)d, &r);
    return n < 0 ? (int64_t)(0 - r) : (int64_t)r;
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t r, q = udivmod(n, d, &r);

    if (rem)
        *rem = r;
    return q;
}
