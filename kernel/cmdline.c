/*
 * The hypervisor command line: whitespace-separated `name`, `name=value` and `no-name`
 * options applied, in order, to a table of struct kernel_param. Problems are reported and
 * skipped so one bad option never stops the others from applying.
 */
#include <kumo/lib.h>
#include <kumo/param.h>

#define TOKEN_MAX 256

int parse_size(const char *s, const char **end, uint64_t *bytes)
{
    const char *p;
    uint64_t v = simple_strtoull(s, &p, 0);
    unsigned int shift = 10;            /* Xen: a size without a suffix is in KiB */

    if (p == s)
        return -1;
    switch (*p) {
    case 'B': case 'b': shift = 0; p++; break;
    case 'K': case 'k': shift = 10; p++; break;
    case 'M': case 'm': shift = 20; p++; break;
    case 'G': case 'g': shift = 30; p++; break;
    case 'T': case 't': shift = 40; p++; break;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *bytes = v << shift;
    if (end)
        *end = p;
    return 0;
}

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

static bool store_uint(void *var, size_t len, uint64_t v)
{
    switch (len) {
    case 1: if (v > UINT8_MAX) return false; *(uint8_t *)var = (uint8_t)v; return true;
    case 2: if (v > UINT16_MAX) return false; *(uint16_t *)var = (uint16_t)v; return true;
    case 4: if (v > UINT32_MAX) return false; *(uint32_t *)var = (uint32_t)v; return true;
    case 8: *(uint64_t *)var = v; return true;
    }
    return false;
}

/* Applies one option; value is NULL when there was no '='. Returns false on a bad value. */
static bool apply(const struct kernel_param *p, const char *value, bool negated)
{
    const char *end;
    uint64_t v;
    int b;

    switch (p->type) {
    case PARAM_BOOL:
        b = value ? parse_bool(value) : 1;
        if (b < 0)
            return false;
        *(bool *)p->var = negated ? !b : b;
        return true;
    case PARAM_UINT:
        if (!value || !*value)
            return false;
        v = simple_strtoull(value, &end, 0);
        return !*end && store_uint(p->var, p->len, v);
    case PARAM_SIZE:
        return value && !parse_size(value, &end, &v) && !*end && store_uint(p->var, p->len, v);
    case PARAM_STRING:
        if (!value || strlen(value) >= p->len)
            return false;
        strlcpy(p->var, value, p->len);
        return true;
    case PARAM_CUSTOM:
        return p->handler(value ? value : "") >= 0;
    }
    return false;
}

static const struct kernel_param *lookup(const char *name, const struct kernel_param *start,
                                         const struct kernel_param *end)
{
    for (const struct kernel_param *p = start; p < end; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

static int parse_token(char *tok, const struct kernel_param *start,
                       const struct kernel_param *end, cmdline_warn_fn warn)
{
    char *value = strchr(tok, '=');
    const struct kernel_param *p;
    bool negated = false;

    if (value)
        *value++ = '\0';
    p = lookup(tok, start, end);
    /* "no-<bool>" is Xen's way to turn a boolean off. */
    if (!p && !value && !strncmp(tok, "no-", 3)) {
        p = lookup(tok + 3, start, end);
        if (p && p->type != PARAM_BOOL)
            p = NULL;
        negated = p != NULL;
    }
    if (!p) {
        warn("unknown boot option '%s' ignored", tok);
        return 1;
    }
    if (!apply(p, value, negated)) {
        warn("bad value '%s' for boot option '%s' ignored", value ? value : "", tok);
        return 1;
    }
    return 0;
}

int cmdline_parse(const char *cmdline, const struct kernel_param *start,
                  const struct kernel_param *end, cmdline_warn_fn warn)
{
    char tok[TOKEN_MAX];
    int problems = 0;

    while (cmdline && *cmdline) {
        size_t n = 0;

        while (*cmdline == ' ' || *cmdline == '\t')
            cmdline++;
        while (cmdline[n] && cmdline[n] != ' ' && cmdline[n] != '\t')
            n++;
        if (!n)
            break;
        if (n == 2 && !strncmp(cmdline, "--", 2))
            break;
        if (n >= TOKEN_MAX) {
            warn("boot option of %u characters is too long; ignored", (unsigned int)n);
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
