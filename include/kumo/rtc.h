/* Wall-clock time from the CMOS RTC (drivers/rtc.c). */
#ifndef KUMO_RTC_H
#define KUMO_RTC_H

#include <kumo/types.h>

/* Unix time at system time 0 (boot), from the RTC; 0 when it could not be read. */
extern uint64_t boot_wallclock_sec;
extern uint32_t boot_wallclock_nsec;

/* Reads the RTC. Boot CPU, after time_init(). */
void rtc_init(void);

#endif
