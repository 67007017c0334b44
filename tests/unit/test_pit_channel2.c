/*
 * A domain's PIT channel 2 (arch/x86/hvm/pit_channel2.c) against the 8254's behaviour, in
 * particular the sequence Linux's quick_pit_calibrate() and pit_calibrate_tsc() use.
 */
#include "../../arch/x86/hvm/pit_channel2.c"
#include "harness.h"

#define US(n) ((int64_t)(n) * 1000)

static uint16_t read16(struct pit_channel2 *p, int64_t now)
{
    uint8_t lo = pit_channel2_read(p, 0x42, now);

    return (uint16_t)(lo | pit_channel2_read(p, 0x42, now) << 8);
}

/* Gate high, speaker off, channel 2 in mode 0 (lobyte/hibyte, binary), count 0xffff. */
static void linux_start(struct pit_channel2 *p, int64_t now)
{
    pit_channel2_write(p, 0x61, (pit_channel2_read(p, 0x61, now) & ~0x02) | 0x01, now);
    pit_channel2_write(p, 0x43, 0xb0, now);
    pit_channel2_write(p, 0x42, 0xff, now);
    pit_channel2_write(p, 0x42, 0xff, now);
}

TEST(counter_falls_at_the_pit_rate_as_linux_calibrates)
{
    struct pit_channel2 p = { 0 };

    linux_start(&p, US(100));
    CHECK_EQ(read16(&p, US(100)), 0xffff);
    /* 1 ms is 1193 ticks: the MSB Linux polls has moved from 0xff to 0xfb. */
    CHECK_EQ(read16(&p, US(1100)), 0xffff - 1193);
    CHECK_EQ(pit_channel2_read(&p, 0x42, US(1100)), (0xffff - 1193) & 0xff);
    CHECK_EQ(pit_channel2_read(&p, 0x42, US(1100)), (0xffff - 1193) >> 8);
    /* 50 ms, Linux's whole calibration window. */
    CHECK_EQ(read16(&p, US(50100)), 0xffff - 59659);
}

TEST(out2_rises_at_terminal_count_in_mode_0)
{
    struct pit_channel2 p = { 0 };

    pit_channel2_write(&p, 0x61, 0x01, 0);
    pit_channel2_write(&p, 0x43, 0xb0, 0);
    CHECK_EQ(pit_channel2_read(&p, 0x61, 0) & 0x20, 0);         /* low after the mode word */
    pit_channel2_write(&p, 0x42, 1000 & 0xff, 0);
    pit_channel2_write(&p, 0x42, 1000 >> 8, 0);
    CHECK_EQ(pit_channel2_read(&p, 0x61, US(500)) & 0x20, 0);
    CHECK_EQ(pit_channel2_read(&p, 0x61, US(900)) & 0x20, 0x20);
    CHECK_EQ(pit_channel2_read(&p, 0x61, US(900)) & 0x03, 0x01);   /* gate on, speaker off */
}

TEST(latched_count_holds_until_both_bytes_are_read)
{
    struct pit_channel2 p = { 0 };

    linux_start(&p, 0);
    pit_channel2_write(&p, 0x43, 0x80, US(1000));                /* channel 2 counter latch */
    pit_channel2_write(&p, 0x43, 0x80, US(2000));                /* ignored: still latched */
    CHECK_EQ(pit_channel2_read(&p, 0x42, US(3000)), (0xffff - 1193) & 0xff);
    CHECK_EQ(pit_channel2_read(&p, 0x42, US(4000)), (0xffff - 1193) >> 8);
    CHECK_EQ(read16(&p, US(5000)), 0xffff - 5965);              /* counting again */
    pit_channel2_write(&p, 0x43, 0xd8, US(6000));               /* read-back: count, ch 2 */
    CHECK_EQ(read16(&p, US(9000)), 0xffff - 7159);
}

TEST(gate_low_holds_the_count_in_mode_0)
{
    struct pit_channel2 p = { 0 };

    linux_start(&p, 0);
    pit_channel2_write(&p, 0x61, 0x00, US(1000));
    CHECK_EQ(read16(&p, US(9000)), 0xffff - 1193);
    pit_channel2_write(&p, 0x61, 0x01, US(10000));
    CHECK_EQ(read16(&p, US(11000)), 0xffff - 2386);
}

TEST(mode_2_reloads_every_period)
{
    struct pit_channel2 p = { 0 };

    pit_channel2_write(&p, 0x61, 0x01, 0);
    pit_channel2_write(&p, 0x43, 0xb4, 0);                      /* mode 2 */
    pit_channel2_write(&p, 0x42, 100, 0);
    pit_channel2_write(&p, 0x42, 0, 0);
    CHECK_EQ(read16(&p, US(126)), 100 - 50);                    /* 150 ticks: 1.5 periods */
    CHECK_EQ(pit_channel2_read(&p, 0x61, US(126)) & 0x20, 0x20);
}

TEST(other_channels_and_unwritten_counts_leave_channel_2_alone)
{
    struct pit_channel2 p = { 0 };

    linux_start(&p, 0);
    pit_channel2_write(&p, 0x43, 0x34, US(1000));               /* channel 0, mode 2 */
    pit_channel2_write(&p, 0x43, 0x74, US(1000));               /* channel 1 */
    CHECK_EQ(read16(&p, US(1000)), 0xffff - 1193);
    CHECK_EQ(pit_channel2_read(&p, 0x43, 0), 0xff);             /* not readable */
    /* A data byte before any control word is dropped, not taken as a count. */
    struct pit_channel2 fresh = { 0 };
    pit_channel2_write(&fresh, 0x42, 0x12, 0);
    CHECK(!fresh.counting);
}

TEST(counts_stay_exact_after_hours)
{
    struct pit_channel2 p = { 0 };
    int64_t ten_hours = (int64_t)36000 * 1000000000;

    pit_channel2_write(&p, 0x61, 0x01, 0);
    pit_channel2_write(&p, 0x43, 0xb0, 0);
    pit_channel2_write(&p, 0x42, 0, 0);
    pit_channel2_write(&p, 0x42, 0, 0);                         /* 0 counts 65536 */
    CHECK_EQ(read16(&p, ten_hours), (uint16_t)(65536 - 36000ULL * PIT_HZ));
}

int main(void)
{
    RUN(counter_falls_at_the_pit_rate_as_linux_calibrates);
    RUN(out2_rises_at_terminal_count_in_mode_0);
    RUN(latched_count_holds_until_both_bytes_are_read);
    RUN(gate_low_holds_the_count_in_mode_0);
    RUN(mode_2_reloads_every_period);
    RUN(other_channels_and_unwritten_counts_leave_channel_2_alone);
    RUN(counts_stay_exact_after_hours);
    return harness_failures ? 1 : 0;
}
