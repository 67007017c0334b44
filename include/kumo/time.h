/*
 * System time: nanoseconds since boot from the TSC, whose rate arch/x86/time.c determines
 * at boot (CPUID leaf 0x15/0x16 when it agrees with a PIT measurement, else the measurement).
 */
#ifndef KUMO_TIME_H
#define KUMO_TIME_H

#include <kumo/types.h>

typedef int64_t s_time_t;

#define MICROSECS(us) ((s_time_t)(us) * 1000)
#define MILLISECS(ms) ((s_time_t)(ms) * 1000000)
#define SECONDS(s)    ((s_time_t)(s) * 1000000000)

/* TSC rate in kHz; 0 until time_init(). */
extern uint64_t tsc_khz;

/* Determines the TSC rate and starts system time. Boot CPU, before SMP. */
void time_init(void);
/* Nanoseconds since time_init(); consistent across CPUs (boot TSCs are synchronised). */
s_time_t NOW(void);
uint64_t stime_to_tsc(s_time_t t);
s_time_t tsc_to_ns(uint64_t tsc_delta);
/* Busy-waits; usable before time_init() with an assumed 1 GHz TSC. */
void udelay(unsigned long us);

#endif
