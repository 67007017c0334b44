/*
 * Host unit-test harness. A test file #includes the real hypervisor source it tests and
 * this header, defines test functions with TEST(), and lists them in main() via RUN().
 * Built with the host gcc under ASan/UBSan by tests/unit/Makefile; each binary prints
 * one "PASS <name>" / "FAIL <name>" line per test and exits non-zero on any failure.
 */
#ifndef KUMO_UNIT_HARNESS_H
#define KUMO_UNIT_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_failures;
static int harness_current_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            harness_current_failed = 1;                                        \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long _a = (long long)(a), _b = (long long)(b);                    \
        if (_a != _b) {                                                        \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n",      \
                    __FILE__, __LINE__, #a, _a, #b, _b);                       \
            harness_current_failed = 1;                                        \
        }                                                                      \
    } while (0)

#define RUN(fn)                                                                \
    do {                                                                       \
        harness_current_failed = 0;                                            \
        fn();                                                                  \
        printf("%s %s\n", harness_current_failed ? "FAIL" : "PASS", #fn);      \
        harness_failures += harness_current_failed;                            \
    } while (0)

#define HARNESS_EXIT() return harness_failures ? 1 : 0

/* printk() for the real sources: captured so tests can assert on what they reported. */
static char harness_log[8192];
static size_t harness_log_len;

static inline void harness_log_clear(void)
{
    harness_log_len = 0;
    harness_log[0] = '\0';
}

static inline void harness_vlog(const char *fmt, va_list ap)
{
    if (harness_log_len < sizeof(harness_log) - 1) {
        int n = vsnprintf(harness_log + harness_log_len,
                          sizeof(harness_log) - harness_log_len, fmt, ap);
        if (n > 0)
            harness_log_len += (size_t)n;
        if (harness_log_len > sizeof(harness_log) - 1)
            harness_log_len = sizeof(harness_log) - 1;
    }
}

static inline void harness_log_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    harness_vlog(fmt, ap);
    va_end(ap);
}

#ifndef HARNESS_NO_PRINTK
void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    harness_vlog(fmt, ap);
    va_end(ap);
}
#endif

/* Deterministic PRNG so a failing sequence can be replayed (xorshift64*). */
static unsigned long long harness_rng_state = 0x9e3779b97f4a7c15ULL;

static inline unsigned long long harness_rand(void)
{
    harness_rng_state ^= harness_rng_state >> 12;
    harness_rng_state ^= harness_rng_state << 25;
    harness_rng_state ^= harness_rng_state >> 27;
    return harness_rng_state * 2685821657736338717ULL;
}

#endif
