/*
 * The pvclock's TSC scale (Xen's vcpu_time_info): ns = ((delta << shift) * mul) >> 32, a
 * negative shift meaning a right shift. Kept apart so host tests can hold it to the rate.
 */
#ifndef KUMO_PVCLOCK_H
#define KUMO_PVCLOCK_H

#include <kumo/types.h>

/* mul and shift for a TSC of hz: mul / 2^32 in [0.5, 1) once the delta is shifted. */
static inline void pvclock_scale(uint64_t hz, uint32_t *mul, int8_t *shift)
{
    uint64_t scaled = hz;
    int s = 0;

    /* Bring the rate into (1e9, 2e9]: then 1e9 / rate is a fraction mul can hold. */
    while (scaled <= 1000000000ULL) {
        scaled <<= 1;
        s++;
    }
    while (scaled > 2000000000ULL) {
        scaled >>= 1;
        s--;
    }
    /* rate = hz * 2^s, so ns = delta * 1e9 / hz = (delta << s) * (1e9 / rate). */
    *shift = (int8_t)s;
    *mul = (uint32_t)((1000000000ULL << 32) / scaled);
}

#endif
