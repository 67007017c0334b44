/*
 * Host tests for the pvclock scale (kumo/pvclock.h): for TSC rates from Bochs' 2 MHz to
 * 5 GHz, one second of ticks converted the way a guest does it (Linux's
 * pvclock_scale_delta) gives one second within a part per million, and so do 10 ms.
 */
#include <kumo/pvclock.h>
#include "harness.h"

static uint64_t guest_ns(uint64_t delta, uint32_t mul, int8_t shift)
{
    delta = shift >= 0 ? delta << shift : delta >> -shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static void check_rate(uint64_t hz)
{
    uint32_t mul;
    int8_t shift;
    uint64_t one_s, ten_ms;

    pvclock_scale(hz, &mul, &shift);
    one_s = guest_ns(hz, mul, shift);
    ten_ms = guest_ns(hz / 100, mul, shift);
    if (one_s < 999999000 || one_s > 1000001000 || ten_ms < 9999000 || ten_ms > 10001000) {
        fprintf(stderr, "  %llu Hz: mul %u shift %d gives %llu ns for 1 s, %llu for 10 ms\n",
                (unsigned long long)hz, mul, shift, (unsigned long long)one_s,
                (unsigned long long)ten_ms);
        harness_current_failed = 1;
    }
    CHECK(mul >= 0x80000000u);              /* [0.5, 1): the most precision mul holds */
}

TEST(rates_from_bochs_to_fast_hosts)
{
    static const uint64_t rates[] = { 2000000, 999999000, 1000000000, 1999999999,
                                      2000000000, 2605040000ULL, 3500000000ULL,
                                      5000000000ULL };

    for (unsigned int i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
        check_rate(rates[i]);
}

int main(void)
{
    RUN(rates_from_bochs_to_fast_hosts);
    HARNESS_EXIT();
}
