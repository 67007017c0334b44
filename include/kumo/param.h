/*
 * Hypervisor command line, with Xen's option names. Options are declared next to the code
 * that uses them with the *_param() macros below, which place a descriptor in the
 * "kparams" section; cmdline_parse() walks a table of them.
 */
#ifndef KUMO_PARAM_H
#define KUMO_PARAM_H

#include <kumo/types.h>

enum param_type {
    PARAM_BOOL,     /* "name", "name=yes|no|on|off|true|false|1|0", "no-name" */
    PARAM_UINT,     /* unsigned integer, 0x for hex */
    PARAM_SIZE,     /* size with B/K/M/G/T suffix; no suffix means KiB as in Xen */
    PARAM_STRING,   /* copied into a buffer of len bytes */
    PARAM_CUSTOM,   /* handler(value) returns 0 or a negative errno */
};

struct kernel_param {
    const char *name;
    enum param_type type;
    void *var;
    size_t len;                     /* PARAM_STRING buffer size; PARAM_UINT/SIZE var size */
    int (*handler)(const char *value);
};

#define __kparam __attribute__((used, section("kparams"), aligned(8)))
#define __param_sym(line) __kparam_##line
#define __param_name(line) __param_sym(line)

#define boolean_param(n, v) \
    static const struct kernel_param __param_name(__LINE__) __kparam = \
        { n, PARAM_BOOL, &(v), sizeof(v), NULL }
#define integer_param(n, v) \
    static const struct kernel_param __param_name(__LINE__) __kparam = \
        { n, PARAM_UINT, &(v), sizeof(v), NULL }
#define size_param(n, v) \
    static const struct kernel_param __param_name(__LINE__) __kparam = \
        { n, PARAM_SIZE, &(v), sizeof(v), NULL }
#define string_param(n, v) \
    static const struct kernel_param __param_name(__LINE__) __kparam = \
        { n, PARAM_STRING, (v), sizeof(v), NULL }
#define custom_param(n, fn) \
    static const struct kernel_param __param_name(__LINE__) __kparam = \
        { n, PARAM_CUSTOM, NULL, 0, (fn) }

/* Reports one problem with the command line (unknown option, bad value). */
typedef void (*cmdline_warn_fn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Applies every whitespace-separated option of cmdline to the table [start, end).
 * Unknown options and bad values are reported through warn and skipped; the rest apply.
 * A lone "--" ends hypervisor options. Returns the number of problems reported.
 */
/*
 * Xen's generated GRUB entries (20_linux_xen) put the word "placeholder" where a loader would
 * put the image's name, because Xen drops the first word: returns s past that word, if any.
 */
const char *cmdline_skip_placeholder(const char *s);

int cmdline_parse(const char *cmdline, const struct kernel_param *start,
                  const struct kernel_param *end, cmdline_warn_fn warn);

/* Xen's size syntax: digits then an optional B, K, M, G or T (default K). -1 on error. */
int parse_size(const char *s, const char **end, uint64_t *bytes);

#endif
