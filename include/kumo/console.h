/*
 * The hypervisor console: printk() prefixes every line with "(kumo) " and writes it to
 * every registered sink (the serial port). Log levels follow Xen's loglvl= option.
 */
#ifndef KUMO_CONSOLE_H
#define KUMO_CONSOLE_H

#include <kumo/lib.h>

/* Prefixes a message may start with, as in Xen: XENLOG_ERR etc. */
#define KLOG_ERR     "<0>"
#define KLOG_WARNING "<1>"
#define KLOG_INFO    "<2>"
#define KLOG_DEBUG   "<3>"

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);

/* Writes one line (n bytes, no newline) without the "(kumo) " prefix: Dom0's console. */
void console_write_line_raw(const char *s, size_t n);

/*
 * Writes Dom0's console_io bytes as they come, no prefix and no line buffering, as Xen does
 * for the hardware domain: a shell prompt has no newline. A hypervisor line printed after a
 * partial one starts on a line of its own.
 */
void console_write_raw(const char *s, size_t n);

/* Sink registration: the serial driver registers its putc; called with the console lock held. */
void console_register_sink(void (*write)(const char *s, size_t n));
/* Drop the console lock unconditionally (panic path: another CPU may hold it forever). */
void console_force_unlock(void);
/*
 * XEN_SYSCTL_readconsole's view of the ring, with Xen's 32-bit wrapping indices: *cons is
 * the oldest byte still held and not cleared, *prod the end. console_ring_copy copies up
 * to len bytes from index from (inside that window) and returns how many;
 * console_ring_clear(upto) forgets everything before upto.
 */
void console_ring_window(uint32_t *cons, uint32_t *prod);
size_t console_ring_copy(char *buf, uint32_t from, size_t len);
void console_ring_clear(uint32_t upto);
/* Copies ring bytes from *pos onwards (clamped to what the ring still holds); advances *pos. */
size_t console_read_ring(char *buf, size_t len, size_t *pos);

#endif
