/* Number parsing for the command line and config parsers. */
#include <kumo/lib.h>

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

unsigned long long simple_strtoull(const char *s, const char **end, unsigned int base)
{
    unsigned long long v = 0;
    int d;

    if (base == 0) {
        base = 10;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16) {
            base = 16;
            s += 2;
        }
    } else if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
               digit_value(s[2]) < 16) {
        s += 2;
    }
    while ((d = digit_value(*s)) < (int)base) {
        v = v * base + (unsigned int)d;
        s++;
    }
    if (end)
        *end = s;
    return v;
}
