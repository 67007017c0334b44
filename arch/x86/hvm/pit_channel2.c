/*
 * A domain's PIT channel 2 (ports 0x42/0x43) and port 0x61, as an 8254 counts them: the
 * control word, low/high byte access, the counter latch and read-back latch commands, the
 * gate, and OUT2 for modes 0, 2 and 3 (the ones guests calibrate with; 1, 4 and 5 count
 * like 0). Pure logic on a caller-given time, so the host tests drive it.
 */
#include <kumo/pit_channel2.h>

#define CW_CHANNEL(v)   ((v) >> 6)
#define CW_ACCESS(v)    (((v) >> 4) & 3)
#define CW_MODE(v)      (((v) >> 1) & 7)
#define SC_CHANNEL2     2
#define SC_READ_BACK    3
#define READ_BACK_COUNT_OFF (1u << 5)   /* clear: latch the selected counters' counts */
#define READ_BACK_CHANNEL2  (1u << 3)
#define PORT61_GATE     (1u << 0)
#define PORT61_SPEAKER  (1u << 1)
#define PORT61_REFRESH  (1u << 4)
#define PORT61_OUT2     (1u << 5)
#define REFRESH_NS      15085           /* the DRAM refresh bit's toggle period */

/* Split at whole seconds: ns * PIT_HZ alone would overflow after four hours. */
static uint64_t ns_to_ticks(int64_t ns)
{
    const uint64_t sec = 1000000000ULL;

    if (ns <= 0)
        return 0;
    return (uint64_t)ns / sec * PIT_HZ + (uint64_t)ns % sec * PIT_HZ / sec;
}

static uint64_t ticks(const struct pit_channel2 *p, int64_t now_ns)
{
    if (!p->counting)
        return 0;
    return p->frozen_ticks + (p->gate ? ns_to_ticks(now_ns - p->start_ns) : 0);
}

static uint16_t count_now(const struct pit_channel2 *p, int64_t now_ns)
{
    uint64_t t = ticks(p, now_ns);

    if (!p->counting)
        return (uint16_t)p->reload;
    switch (p->mode) {
    case 2:
        return (uint16_t)(p->reload - t % p->reload);
    case 3:     /* counts down by two, twice a period */
        return (uint16_t)((p->reload - (2 * t) % p->reload) & ~1u);
    default:    /* one-shot: past zero it wraps and goes on */
        return (uint16_t)(p->reload - t);
    }
}

static bool out2(const struct pit_channel2 *p, int64_t now_ns)
{
    uint64_t t = ticks(p, now_ns);

    if (!p->counting)
        return p->mode != 0;
    switch (p->mode) {
    case 2:
        return t % p->reload != p->reload - 1;
    case 3:
        return t % p->reload < (p->reload + 1) / 2;
    case 4:
    case 5:
        return t != p->reload;
    default:
        return t >= p->reload;
    }
}

static void latch(struct pit_channel2 *p, int64_t now_ns)
{
    if (p->latched)
        return;                         /* the first latch holds until it is read */
    p->latch = count_now(p, now_ns);
    p->latched = true;
    p->latch_high = false;
}

static void control_word(struct pit_channel2 *p, uint8_t v, int64_t now_ns)
{
    if (CW_CHANNEL(v) == SC_READ_BACK) {
        if (!(v & READ_BACK_COUNT_OFF) && (v & READ_BACK_CHANNEL2))
            latch(p, now_ns);
        return;
    }
    if (CW_CHANNEL(v) != SC_CHANNEL2)
        return;                         /* channels 0 and 1 are not the domain's */
    if (CW_ACCESS(v) == 0) {
        latch(p, now_ns);
        return;
    }
    p->mode = CW_MODE(v) > 5 ? CW_MODE(v) - 4 : CW_MODE(v);
    p->access = CW_ACCESS(v);
    p->write_high = p->read_high = p->latched = false;
    p->counting = false;                /* until a count is written */
}

static void count_written(struct pit_channel2 *p, uint8_t v, int64_t now_ns)
{
    uint32_t count;

    if (p->access == 3 && !p->write_high) {
        p->write_low = v;
        p->write_high = true;
        return;
    }
    count = p->access == 1 ? v : p->access == 2 ? (uint32_t)v << 8
                                                : (p->write_low | (uint32_t)v << 8);
    p->write_high = false;
    p->reload = count ? count : 65536;
    p->counting = true;
    p->start_ns = now_ns;
    p->frozen_ticks = 0;
}

static uint8_t count_read(struct pit_channel2 *p, int64_t now_ns)
{
    uint16_t c = p->latched ? p->latch : count_now(p, now_ns);
    bool high = p->access == 2 || (p->access == 3 && (p->latched ? p->latch_high : p->read_high));

    if (p->access == 3) {
        if (p->latched)
            p->latch_high = !p->latch_high;
        else
            p->read_high = !p->read_high;
    }
    if (p->latched && (p->access != 3 || !p->latch_high))
        p->latched = false;             /* every byte of it was read */
    return high ? (uint8_t)(c >> 8) : (uint8_t)c;
}

static void set_gate(struct pit_channel2 *p, bool gate, int64_t now_ns)
{
    if (gate == p->gate)
        return;
    if (!gate) {
        p->frozen_ticks = ticks(p, now_ns);
    } else {
        p->start_ns = now_ns;
        if (p->mode != 0 && p->mode != 4)
            p->frozen_ticks = 0;        /* a rising gate restarts the count */
    }
    p->gate = gate;
}

uint8_t pit_channel2_read(struct pit_channel2 *p, uint16_t port, int64_t now_ns)
{
    if (port == 0x42)
        return count_read(p, now_ns);
    if (port == 0x61)
        return (uint8_t)((p->gate ? PORT61_GATE : 0) | (p->speaker ? PORT61_SPEAKER : 0) |
                         ((now_ns / REFRESH_NS) & 1 ? PORT61_REFRESH : 0) |
                         (out2(p, now_ns) ? PORT61_OUT2 : 0));
    return 0xFF;                        /* the control register cannot be read */
}

void pit_channel2_write(struct pit_channel2 *p, uint16_t port, uint8_t val, int64_t now_ns)
{
    if (port == 0x42) {
        if (p->access)
            count_written(p, val, now_ns);
    } else if (port == 0x43) {
        control_word(p, val, now_ns);
    } else if (port == 0x61) {
        p->speaker = val & PORT61_SPEAKER;
        set_gate(p, val & PORT61_GATE, now_ns);
    }
}
