/*
 * The hypervisor console. printk() formats a message, prefixes each line with "(kumo) ",
 * keeps it in a ring (replayed to sinks registered later, and for readconsole), and writes
 * it to every sink. Messages may start with a KLOG_* level, filtered by loglvl=.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <kumo/console.h>
#include <kumo/param.h>

#define CONSOLE_RING_SIZE 16384
#define MAX_SINKS 4
#define LINE_PREFIX "(kumo) "

static char console_ring[CONSOLE_RING_SIZE];
static size_t ring_head;                    /* total bytes ever written */
static size_t ring_cleared;                 /* readconsole's clear: bytes before it forgotten */
static DEFINE_SPINLOCK(console_lock);
static int console_owner = -1;              /* CPU holding console_lock, for nesting */
static bool at_line_start = true;
static bool raw_partial;                    /* Dom0's raw output left a line open */
static void (*sinks[MAX_SINKS])(const char *s, size_t n);
static unsigned int nr_sinks;

/* 0 = errors only ... 3 = debug; messages without a level always print. */
static unsigned int loglvl_threshold = 2;

static int parse_loglvl(const char *s)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };

    if (!strcmp(s, "none")) {
        loglvl_threshold = 0;
        return 0;
    }
    if (!strcmp(s, "all")) {
        loglvl_threshold = 3;
        return 0;
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
        size_t n = strlen(names[i]);

        /* Xen's form is <level>[/<rate-limited level>]; the second half is accepted. */
        if (!strncmp(s, names[i], n) && (s[n] == '\0' || s[n] == '/')) {
            loglvl_threshold = i;
            return 0;
        }
    }
    return -22;
}
custom_param("loglvl", parse_loglvl);

/*
 * Dom0's own console output goes to the serial line only, as Xen's does: the ring (what
 * `xl dmesg` reads) is the hypervisor's log unless console_to_ring is given.
 */
static bool opt_console_to_ring;
boolean_param("console_to_ring", opt_console_to_ring);

static void emit_to(const char *s, size_t n, bool to_ring)
{
    if (to_ring) {
        for (size_t i = 0; i < n; i++)
            console_ring[(ring_head + i) % CONSOLE_RING_SIZE] = s[i];
        ring_head += n;
    }
    for (unsigned int i = 0; i < nr_sinks; i++)
        sinks[i](s, n);
}

static void emit(const char *s, size_t n)
{
    emit_to(s, n, true);
}

static void emit_lines(const char *s, size_t n)
{
    if (raw_partial) {
        emit_to("\n", 1, opt_console_to_ring);
        raw_partial = false;
        at_line_start = true;
    }
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t chunk = nl ? (size_t)(nl - s) + 1 : n;

        if (at_line_start)
            emit(LINE_PREFIX, sizeof(LINE_PREFIX) - 1);
        emit(s, chunk);
        at_line_start = nl != NULL;
        s += chunk;
        n -= chunk;
    }
}

static unsigned long console_lock_acquire(bool *nested)
{
    unsigned long flags = local_irq_save();
    int me = (int)this_cpu()->id;

    *nested = console_owner == me;
    if (!*nested) {
        spin_lock(&console_lock);
        console_owner = me;
    }
    return flags;
}

static void console_lock_release(unsigned long flags, bool nested)
{
    if (!nested) {
        console_owner = -1;
        spin_unlock(&console_lock);
    }
    local_irq_restore(flags);
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    const char *msg = buf;
    unsigned long flags;
    bool nested;
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    if (buf[0] == '<' && buf[1] >= '0' && buf[1] <= '3' && buf[2] == '>') {
        if ((unsigned int)(buf[1] - '0') > loglvl_threshold)
            return;
        msg += 3;
        n -= 3;
    }
    flags = console_lock_acquire(&nested);
    emit_lines(msg, (size_t)n);
    console_lock_release(flags, nested);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void console_write_line_raw(const char *s, size_t n)
{
    unsigned long flags;
    bool nested;

    flags = console_lock_acquire(&nested);
    if (!at_line_start)
        emit("\n", 1);
    emit(s, n);
    emit("\n", 1);
    at_line_start = true;
    raw_partial = false;
    console_lock_release(flags, nested);
}

void console_write_raw(const char *s, size_t n)
{
    unsigned long flags;
    bool nested;

    if (!n)
        return;
    flags = console_lock_acquire(&nested);
    if (!at_line_start && !raw_partial)
        emit("\n", 1);                      /* after a partial hypervisor line */
    emit_to(s, n, opt_console_to_ring);
    raw_partial = s[n - 1] != '\n';
    at_line_start = !raw_partial;
    console_lock_release(flags, nested);
}

void console_register_sink(void (*write)(const char *s, size_t n))
{
    unsigned long flags;
    bool nested;
    size_t start = ring_head > CONSOLE_RING_SIZE ? ring_head - CONSOLE_RING_SIZE : 0;

    flags = console_lock_acquire(&nested);
    if (nr_sinks < MAX_SINKS) {
        sinks[nr_sinks++] = write;
        /* Replay what was printed before this sink existed (early boot messages). */
        for (size_t i = start; i < ring_head; i++)
            write(&console_ring[i % CONSOLE_RING_SIZE], 1);
    }
    console_lock_release(flags, nested);
}

void console_force_unlock(void)
{
    console_owner = -1;
    spin_lock_init(&console_lock);
}

size_t console_read_ring(char *buf, size_t len, size_t *pos)
{
    size_t oldest = ring_head > CONSOLE_RING_SIZE ? ring_head - CONSOLE_RING_SIZE : 0;
    size_t n = 0;

    if (*pos < oldest)
        *pos = oldest;
    while (n < len && *pos < ring_head)
        buf[n++] = console_ring[(*pos)++ % CONSOLE_RING_SIZE];
    return n;
}

void console_ring_window(uint32_t *cons, uint32_t *prod)
{
    unsigned long flags;
    bool nested;
    size_t oldest;

    flags = console_lock_acquire(&nested);
    oldest = ring_head > CONSOLE_RING_SIZE ? ring_head - CONSOLE_RING_SIZE : 0;
    *cons = (uint32_t)MAX(oldest, ring_cleared);
    *prod = (uint32_t)ring_head;
    console_lock_release(flags, nested);
}

size_t console_ring_copy(char *buf, uint32_t from, size_t len)
{
    unsigned long flags;
    bool nested;
    size_t n = 0;
    /* The low 32 bits name a position in the last 4 GiB written: widen it back. */
    size_t pos;

    flags = console_lock_acquire(&nested);
    pos = ring_head - (uint32_t)((uint32_t)ring_head - from);
    if (ring_head - pos > CONSOLE_RING_SIZE)
        pos = ring_head - CONSOLE_RING_SIZE;      /* overwritten meanwhile */
    while (n < len && pos < ring_head)
        buf[n++] = console_ring[pos++ % CONSOLE_RING_SIZE];
    console_lock_release(flags, nested);
    return n;
}

void console_ring_clear(uint32_t upto)
{
    unsigned long flags;
    bool nested;
    size_t pos;

    flags = console_lock_acquire(&nested);
    pos = ring_head - (uint32_t)((uint32_t)ring_head - upto);
    if (pos > ring_cleared)
        ring_cleared = pos;
    console_lock_release(flags, nested);
}
