/*
 * The CMOS real-time clock, read once at boot to give guests a wall clock (shared_info's
 * wc_* fields): seconds since the Unix epoch at system time 0.
 */
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/spinlock.h>
#include <kumo/rtc.h>
#include <kumo/time.h>

uint64_t boot_wallclock_sec;
uint32_t boot_wallclock_nsec;

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned int bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; civil-from-days inverted). */
static uint64_t days_since_epoch(unsigned int y, unsigned int m, unsigned int d)
{
    unsigned int era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)era * 146097 + doe - 719468;
}

void rtc_init(void)
{
    unsigned int sec, min, hour, day, mon, year, century;
    uint8_t status_b;
    bool binary;
    s_time_t at;

    /* Wait (bounded) until no update is in progress (status A bit 7). */
    for (unsigned int i = 0; i < 1000000 && (cmos(0x0A) & 0x80); i++)
        cpu_relax();
    at = NOW();
    status_b = cmos(0x0B);
    binary = status_b & 4;
    sec = bcd(cmos(0x00), binary);
    min = bcd(cmos(0x02), binary);
    hour = bcd(cmos(0x04) & 0x7F, binary);
    if (!(status_b & 2) && (cmos(0x04) & 0x80))
        hour = (hour % 12) + 12;                /* 12-hour mode, PM */
    day = bcd(cmos(0x07), binary);
    mon = bcd(cmos(0x08), binary);
    year = bcd(cmos(0x09), binary);
    century = bcd(cmos(0x32), binary);
    year += (century >= 19 && century <= 29) ? century * 100 : (year < 70 ? 2000 : 1900);
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        printk("RTC: unreadable date; wall clock starts at the epoch\n");
        return;
    }
    boot_wallclock_sec = days_since_epoch(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    /* Refer it to system time 0. */
    boot_wallclock_sec -= (uint64_t)(at / 1000000000);
    boot_wallclock_nsec = (uint32_t)(at % 1000000000 ? 1000000000 - at % 1000000000 : 0);
    if (boot_wallclock_nsec)
        boot_wallclock_sec--;
    printk("RTC: %04u-%02u-%02u %02u:%02u:%02u UTC\n", year, mon, day, hour, min, sec);
}
