/*
 * printf-style formatting: %d %i %u %x %X %p %s %c %%, with flags '-' '0' ' ' '#',
 * width, precision for strings, and the l, ll, z, h length modifiers. Always terminates.
 */
#include <kumo/lib.h>

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_number(struct out *o, unsigned long long v, bool negative, unsigned int base,
                       bool upper, int width, bool left, char pad, bool alt)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, len;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    len = n + (negative ? 1 : 0) + (alt ? 2 : 0);
    if (pad == '0' && !left) {
        if (negative)
            put(o, '-');
        if (alt) {
            put(o, '0');
            put(o, 'x');
        }
        for (; width > len; width--)
            put(o, '0');
    } else {
        for (; !left && width > len; width--)
            put(o, ' ');
        if (negative)
            put(o, '-');
        if (alt) {
            put(o, '0');
            put(o, 'x');
        }
    }
    while (n)
        put(o, tmp[--n]);
    for (; left && width > len; width--)
        put(o, ' ');
}

static void put_string(struct out *o, const char *s, int width, int prec, bool left)
{
    int len;

    if (!s)
        s = "(null)";
    len = (int)strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec);
    for (; !left && width > len; width--)
        put(o, ' ');
    for (int i = 0; i < len; i++)
        put(o, s[i]);
    for (; left && width > len; width--)
        put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        bool left = false, alt = false, is_signed = false;
        char pad = ' ';
        int width = 0, prec = -1, lng = 0;
        unsigned long long v;
        unsigned int base = 10;

        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        for (fmt++;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else if (*fmt == '#')
                alt = true;
            else if (*fmt != ' ' && *fmt != '+')
                break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        if (*fmt == '.') {
            prec = 0;
            if (*++fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            for (; *fmt >= '0' && *fmt <= '9'; fmt++)
                prec = prec * 10 + (*fmt - '0');
        }
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z')
                lng++;
            else if (*fmt != 'h')
                break;
        }
        switch (*fmt) {
        case 'c':
            put(&o, (char)va_arg(ap, int));
            continue;
        case 's':
            put_string(&o, va_arg(ap, const char *), width, prec, left);
            continue;
        case '%':
            put(&o, '%');
            continue;
        case 'p':
            v = (unsigned long)va_arg(ap, void *);
            put_number(&o, v, false, 16, false, 16, false, '0', false);
            continue;
        case 'd':
        case 'i':
            is_signed = true;
            break;
        case 'u':
            break;
        case 'x':
        case 'X':
            base = 16;
            break;
        case '\0':
            fmt--;
            continue;
        default:
            put(&o, '%');
            put(&o, *fmt);
            continue;
        }
        if (is_signed) {
            long long s = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long)
                                                                 : va_arg(ap, int);
            v = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
            put_number(&o, v, s < 0, 10, false, width, left, pad, false);
        } else {
            v = lng >= 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long)
                                                                : va_arg(ap, unsigned int);
            put_number(&o, v, false, base, *fmt == 'X', width, left, pad, alt && v);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
