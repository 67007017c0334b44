/*
 * The hypervisor command line: whitespace-separated `name`, `name=value` and `no-name`
 * options applied, in order, to a table of struct kernel_param, with Xen's syntax.
 * Problems are reported and skipped so one bad option never stops the others applying.
 */
#include <kumo/lib.h>
#include <kumo/param.h>

/* Longest option we apply; longer ones are reported and skipped, never truncated. */
#define TOKEN_MAX 256

/*
 * simple_strtoull() wraps silently; re-walk the digits it took with overflow checks so
 * that "maxcpus=18446744073709551617" is a bad value rather than 1.
 */
static bool parse_u64(const char *s, const char **end, uint64_t *out)
{
    unsigned int base = 10;
    const char *p;
    uint64_t v = 0;

    simple_strtoull(s, end, 0);
    if (*end == s)
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && *end > s + 2) {
        base = 16;
        s += 2;
    }
    for (p = s; p < *end; p++) {
        unsigned int d = *p <= '9' ? (unsigned int)(*p - '0')
                                   : (unsigned int)((*p | 0x20) - 'a' + 10);

        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
            return false;
    }
    *out = v;
    return true;
}

int parse_size(const char *s, const char **end, uint64_t *bytes)
{
    unsigned int shift = 10;            /* Xen: a size without a suffix is in KiB */
    const char *p;
    uint64_t v;

    if (!s || !parse_u64(s, &p, &v))
        return -1;
    switch (*p) {
    case 'B': case 'b': shift = 0; p++; break;
    case 'K': case 'k': shift = 10; p++; break;
    case 'M': case 'm': shift = 20; p++; break;
    case 'G': case 'g': shift = 30; p++; break;
    case 'T': case 't': shift = 40; p++; break;
    }
    if (v > (UINT64_MAX >> shift))
        return -1;
    *bytes = v << shift;
    if (end)
        *end = p;
    return 0;
}

/* Xen's parse_bool(): 1, 0, or -1 when s is not a boolean word. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = { "1", "yes", "on", "true", "enable" };
    static const char *const no[] = { "0", "no", "off", "false", "disable" };

    for (unsigned int i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(s, yes[i]))
            return 1;
        if (!strcmp(s, no[i]))
            return 0;
    }
    return -1;
}

/* Stores v into a var of len bytes; false if it does not fit. */
static bool store_uint(void *var, size_t len, uint64_t v)
{
    switch (len) {
    case 1:
        if (v > UINT8_MAX)
            return false;
        *(uint8_t *)var = (uint8_t)v;
        return true;
    case 2:
        if (v > UINT16_MAX)
            return false;
        *(uint16_t *)var = (uint16_t)v;
        return true;
    case 4:
        if (v > UINT32_MAX)
            return false;
        *(uint32_t *)var = (uint32_t)v;
        return true;
    case 8:
        *(uint64_t *)var = v;
        return true;
    }
    return false;
}

/*
 * Applies one option. value is "" when the option had no '=' (as in Xen), has_value says
 * which. Returns false for a bad value, leaving the variable untouched.
 */
static bool apply(const struct kernel_param *p, const char *value, bool has_value,
                  bool negated)
{
    const char *end;
    uint64_t v;
    int b;

    switch (p->type) {
    case PARAM_BOOL:
        b = has_value ? parse_bool(value) : 1;
        if (b < 0)
            return false;
        *(bool *)p->var = negated ? !b : b;
        return true;
    case PARAM_UINT:
        return parse_u64(value, &end, &v) && !*end && store_uint(p->var, p->len, v);
    case PARAM_SIZE:
        return !parse_size(value, &end, &v) && !*end && store_uint(p->var, p->len, v);
    case PARAM_STRING:
        if (strlen(value) >= p->len)
            return false;
        strlcpy(p->var, value, p->len);
        return true;
    case PARAM_CUSTOM:
        return p->handler && p->handler(value) >= 0;
    }
    return false;
}

static const struct kernel_param *lookup(const char *name, const struct kernel_param *start,
                                         const struct kernel_param *end)
{
    for (const struct kernel_param *p = start; p < end; p++)
        if (p->name && !strcmp(p->name, name))
            return p;
    return NULL;
}

/* tok is a private, NUL-terminated copy of one option. Returns the problems reported. */
static int parse_token(char *tok, const struct kernel_param *start,
                       const struct kernel_param *end, cmdline_warn_fn warn)
{
    char *value = strchr(tok, '=');     /* only the first '=' splits */
    const struct kernel_param *p;
    bool negated = false;

    if (value)
        *value++ = '\0';
    p = lookup(tok, start, end);
    /* "no-<bool>" is Xen's way to turn a boolean off; an exact name match wins. */
    if (!p && !strncmp(tok, "no-", 3)) {
        p = lookup(tok + 3, start, end);
        if (p && p->type != PARAM_BOOL)
            p = NULL;
        negated = p != NULL;
    }
    if (!p) {
        warn("unknown boot option '%s' ignored", tok);
        return 1;
    }
    if (!apply(p, value ? value : "", value != NULL, negated)) {
        warn("bad value '%s' for boot option '%s' ignored", value ? value : "", tok);
        return 1;
    }
    return 0;
}

static bool is_space(char c)
{
    /* Spaces and tabs per Xen; CR/LF too, in case a loader passes a config line through. */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void warn_nowhere(const char *fmt, ...)
{
    (void)fmt;
}

int cmdline_parse(const char *cmdline, const struct kernel_param *start,
                  const struct kernel_param *end, cmdline_warn_fn warn)
{
    char tok[TOKEN_MAX];
    int problems = 0;

    if (!warn)
        warn = warn_nowhere;
    while (cmdline && *cmdline) {
        size_t n = 0;

        while (is_space(*cmdline))
            cmdline++;
        while (cmdline[n] && !is_space(cmdline[n]))
            n++;
        if (!n)
            break;
        if (n == 2 && cmdline[0] == '-' && cmdline[1] == '-')
            break;                      /* the rest belongs to Dom0 */
        if (n >= sizeof(tok)) {
            warn("boot option '%.32s...' is %u characters long; ignored", cmdline,
                 (unsigned int)n);
            problems++;
        } else {
            memcpy(tok, cmdline, n);
            tok[n] = '\0';
            problems += parse_token(tok, start, end, warn);
        }
        cmdline += n;
    }
    return problems;
}

const char *cmdline_skip_placeholder(const char *s)
{
    while (is_space(*s))
        s++;
    if (!strncmp(s, "placeholder", 11) && (is_space(s[11]) || !s[11]))
        for (s += 11; is_space(*s); s++)
            ;
    return s;
}
