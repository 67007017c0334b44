/*
 * The test-kernel runtime, in the spirit of XTF: a test defines test_title and
 * test_main(), reports with xtf_success/failure/error/skip, and the runtime prints one
 * "Test result: PASS|FAIL|ERROR|SKIP" line, then shuts the domain down.
 */
#ifndef GUEST_H
#define GUEST_H

#include <kumo/lib.h>
#include <kumo/xen_abi.h>

extern const char test_title[];
void test_main(void);
/* Optional: how the test leaves after its result line (else SCHEDOP_shutdown, see lib.c). */
void test_exit(void) __attribute__((weak));

/* The domain's start info (physical = virtual in test kernels). */
extern uint64_t start_info_pa;

long hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
               unsigned long a4, unsigned long a5);
#define HYPERCALL2(nr, a, b) hypercall(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define HYPERCALL3(nr, a, b, c) \
    hypercall(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug_putc(char c);                    /* port 0xE9 */
void guest_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d);
bool guest_is_dom0(void);
/* Maps the domain's shared_info at gfn (physical = virtual here); NULL on failure. */
struct shared_info *map_shared_info(unsigned long gfn);
/* System time in ns from vCPU 0's pvclock in s, or from that of another vCPU. */
int64_t pv_now(const struct shared_info *s);
int64_t pv_now_vcpu(const struct shared_info *s, unsigned int vcpu);
/* The domain's command line from its start info ("" when there is none). */
const char *guest_cmdline(void);
void shutdown(unsigned int reason) __attribute__((noreturn));
uint64_t rdtsc(void);

/*
 * 64-bit kernels: maps the page whose gfn HVM param pfn_param holds (a ring the toolstack
 * gave) and reads its event channel from port_param into *port. NULL when the param is
 * unset or the page lies in another gigabyte than one mapped before.
 */
void *map_special_page(uint32_t pfn_param, uint32_t port_param, uint32_t *port);

/* Unmaps the identity-mapped page pfn (< 512) of low memory, in whatever paging mode. */
void guest_unmap_low_page(unsigned int pfn);

/* Bits in a word of the 2-level event bitmaps: 64, or 32 for a 32-bit guest. */
#define EVTCHN_WORD_BITS (sizeof(xen_ulong_t) * 8)

/*
 * Walks the guest's ACPI tables (lib/acpi.c), failing the test where they differ from what
 * Linux expects for nr_vcpus vCPUs; returns the FADT's sleep control port (0 if unusable).
 */
uint16_t acpi_check_tables(unsigned int nr_vcpus);

/* One IDT for every vCPU of the test kernel: an interrupt gate at vec, then lidt. */
void idt_set_gate(unsigned int vec, void (*stub)(void));
void idt_load(void);

/* Fails the test (the hypervisor misbehaved) but goes on. */
void xtf_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The test itself could not run (a test bug or missing environment). */
void xtf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xtf_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xtf_success(void);

/* A test kernel holding several properties runs those named on its command line. */
struct named_test {
    const char *name;
    void (*fn)(void);
};
/* Runs each test whose name the command line holds; false if it named none. */
bool run_named_tests(const struct named_test *tests, unsigned int nr);

#define CHECK_EQ(what, got, want)                                                     \
    do {                                                                              \
        long _g = (long)(got), _w = (long)(want);                                     \
        if (_g != _w)                                                                 \
            xtf_failure("%s: got %ld, expected %ld", what, _g, _w);                   \
    } while (0)

#endif
