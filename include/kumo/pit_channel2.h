/*
 * A domain's own PIT channel 2 and port 0x61 (gate, speaker enable, OUT2), counted from
 * kumo's clock. Xen gives its PV guests this through pv_pit_handler(); a guest calibrating
 * against the PIT (Linux's quick_pit_calibrate) then sees a counter that moves, instead of
 * all-ones it would poll 50,000 times before giving up (docs/decisions.md).
 */
#ifndef KUMO_PIT_CHANNEL2_H
#define KUMO_PIT_CHANNEL2_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182ULL

struct pit_channel2 {
    uint32_t reload;            /* 1..65536 (a written 0 counts 65536) */
    uint8_t mode;               /* 0..5 (6 and 7 alias 2 and 3) */
    uint8_t access;             /* 1 low byte, 2 high byte, 3 low then high */
    bool write_high, read_high; /* the next byte of a low-then-high access is the high one */
    uint8_t write_low;          /* the low byte written, waiting for the high one */
    bool latched, latch_high;
    uint16_t latch;
    bool gate, speaker;         /* port 0x61 bits 0 and 1 */
    bool counting;              /* a count was written and the gate let it start */
    int64_t start_ns;           /* when the current count began */
    uint64_t frozen_ticks;      /* ticks counted before the gate last went low */
};

/* The three ports it answers; anything else is not its own. */
static inline bool pit_channel2_port(uint16_t port)
{
    return port == 0x42 || port == 0x43 || port == 0x61;
}

uint8_t pit_channel2_read(struct pit_channel2 *p, uint16_t port, int64_t now_ns);
void pit_channel2_write(struct pit_channel2 *p, uint16_t port, uint8_t val, int64_t now_ns);

#endif
