/*
 * Xen's device specs inside xl.cfg lists: a disk (xl-disk-configuration(5), libxlu_disk_l.l:
 * key=value and flag words, positional target,format,vdev,access, the deprecated "phy:"-style
 * prefixes) and a vif (xl-network-configuration(5): key=value words). Kept in
 * libxl_device_disk / libxl_device_nic shape for the PV-devices work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/config.h"

static int set_string(char **dst, const char *s, size_t len)
{
    char *n = strndup(s, len);

    if (!n)
        return -ENOMEM;
    free(*dst);
    *dst = n;
    return 0;
}

static int disk_format(struct ts_disk *d, const char *s)
{
    static const char *const names[] = { [TS_DISK_QCOW] = "qcow", [TS_DISK_QCOW2] = "qcow2",
        [TS_DISK_VHD] = "vhd", [TS_DISK_RAW] = "raw", [TS_DISK_EMPTY] = "empty",
        [TS_DISK_QED] = "qed" };

    if (!*s) {
        d->format = TS_DISK_RAW;
        return 0;
    }
    for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i])) {
            d->format = (enum ts_disk_format)i;
            return 0;
        }
    return -EINVAL;
}

static int disk_access(struct ts_disk *d, const char *s)
{
    if (!strcmp(s, "r") || !strcmp(s, "ro"))
        d->readwrite = false;
    else if (!strcmp(s, "rw") || !strcmp(s, "w") || !*s)
        d->readwrite = true;
    else
        return -EINVAL;
    return 0;
}

/* "vdev:cdrom" / "vdev:disk", the old way of giving the device type; 1 if it was one. */
static int vdev_and_devtype(struct ts_disk *d, const char *s, const char **why)
{
    const char *colon = strrchr(s, ':');

    if (!colon)
        return 0;
    if (strcmp(colon + 1, "cdrom") && strcmp(colon + 1, "disk")) {
        *why = "unknown deprecated type";
        return -EINVAL;
    }
    d->is_cdrom = !strcmp(colon + 1, "cdrom");
    return set_string(&d->vdev, s, (size_t)(colon - s)) ?: 1;
}

struct disk_ctx {
    struct ts_disk *d;
    bool had_prefix, access_set;
};

/* A word without '=': target, then format, then vdev, then access. */
static int disk_positional(struct disk_ctx *c, const char *s, const char **why)
{
    struct ts_disk *d = c->d;
    int rc;

    if (!d->target)
        return set_string(&d->target, s, strlen(s));
    if (!c->had_prefix && d->format == TS_DISK_UNKNOWN) {
        if (!*d->target && (rc = vdev_and_devtype(d, s, why)) != 0) {
            if (rc > 0)
                d->format = TS_DISK_EMPTY;
            return rc < 0 ? rc : 0;
        }
        *why = "unknown value for format";
        return disk_format(d, s);
    }
    if (!d->vdev) {
        rc = vdev_and_devtype(d, s, why);
        return rc ? (rc < 0 ? rc : 0) : set_string(&d->vdev, s, strlen(s));
    }
    if (c->access_set) {
        *why = "too many positional parameters";
        return -EINVAL;
    }
    c->access_set = true;
    *why = "unknown value for access";
    return disk_access(d, s);
}

static int disk_keyword(struct disk_ctx *c, const char *key, const char *val, const char **why)
{
    struct ts_disk *d = c->d;
    static const char *const backends[] = { "", "phy", "tap", "qdisk", "standalone" };

    *why = "unknown value for ";
    if (!strcmp(key, "format"))
        return disk_format(d, val) ? (*why = "unknown value for format", -EINVAL) : 0;
    if (!strcmp(key, "access"))
        return disk_access(d, val) ? (*why = "unknown value for access", -EINVAL) : 0;
    if (!strcmp(key, "devtype")) {
        if (strcmp(val, "cdrom") && strcmp(val, "disk"))
            return *why = "unknown value for type", -EINVAL;
        d->is_cdrom = !strcmp(val, "cdrom");
        return 0;
    }
    if (!strcmp(key, "backendtype")) {
        for (size_t i = 1; i < sizeof(backends) / sizeof(backends[0]); i++)
            if (!strcmp(val, backends[i]))
                return d->backend = (enum ts_disk_backend)i, 0;
        return *why = "unknown value for backendtype", -EINVAL;
    }
    if (!strcmp(key, "specification")) {
        if (strcmp(val, "xen") && strcmp(val, "virtio"))
            return *why = "unknown value for specification", -EINVAL;
        d->specification = !strcmp(val, "xen") ? TS_SPEC_XEN : TS_SPEC_VIRTIO;
        return 0;
    }
    if (!strcmp(key, "backend"))
        return set_string(&d->backend_domname, val, strlen(val));
    if (!strcmp(key, "vdev"))
        return set_string(&d->vdev, val, strlen(val));
    if (!strcmp(key, "script"))
        return set_string(&d->script, val, strlen(val));
    *why = "unknown parameter";
    return -EINVAL;
}

static bool disk_flag(struct ts_disk *d, const char *w)
{
    if (!strcmp(w, "cdrom"))
        d->is_cdrom = true;
    else if (!strcmp(w, "direct-io-safe"))
        d->direct_io_safe = true;
    else if (!strcmp(w, "discard") || !strcmp(w, "no-discard"))
        d->discard = w[0] == 'd' ? TS_TRUE : TS_FALSE;
    else if (!strcmp(w, "trusted") || !strcmp(w, "untrusted"))
        d->trusted = w[0] == 't' ? TS_TRUE : TS_FALSE;
    else
        return false;
    return true;
}

/* One deprecated prefix word: 1 if known (format or script applied), 0 if not, -ENOMEM. */
static int disk_prefix_word(struct disk_ctx *c, const char *word)
{
    static const char *const ignored[] = { "tapdisk", "tap2", "tap", "aio", "ioemu", "file",
                                           "phy" };
    static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
    char script[32];

    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (!strcmp(word, ignored[i]))
            return 1;
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
        if (!strcmp(word, scripts[i])) {
            snprintf(script, sizeof(script), "block-%s", word);
            return set_string(&c->d->script, script, strlen(script)) ?: 1;
        }
    /* raw:, qcow:, qcow2:, vhd: name the format. */
    if (*word && strcmp(word, "empty") && strcmp(word, "qed") && !disk_format(c->d, word))
        return 1;
    return 0;
}

/*
 * "phy:", "file:", "tap:aio:", "qcow2:" ... before the target: stripped, as libxlu does. An
 * unknown word counts as a prefix (and is refused) only when no letter or digit follows
 * its colon, so "xvda:cdrom" stays a positional word.
 */
static int disk_prefix(struct disk_ctx *c, const char **s, const char **why)
{
    const char *p = *s, *colon;

    while (*p >= 'a' && *p <= 'z' && (colon = strchr(p, ':')) &&
           strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789") == (size_t)(colon - p)) {
        bool alnum_next = (colon[1] >= 'a' && colon[1] <= 'z') ||
                          (colon[1] >= '0' && colon[1] <= '9');
        char word[16];
        int rc;

        snprintf(word, sizeof(word), "%.*s", (int)(colon - p), p);
        rc = (size_t)(colon - p) < sizeof(word) ? disk_prefix_word(c, word) : 0;
        if (rc < 0)
            return rc;
        if (!rc && alnum_next)
            break;
        if (!rc) {
            *why = "unknown deprecated disk prefix";
            return -EINVAL;
        }
        c->had_prefix = true;
        p = colon + 1;
    }
    *s = p;
    return 0;
}

static int disk_word(struct disk_ctx *c, const char *w, const char **why)
{
    const char *eq = strchr(w, '=');
    char key[32];
    int rc;

    if (disk_flag(c->d, w))
        return 0;
    if (!eq)
        return (rc = disk_prefix(c, &w, why)) ? rc : disk_positional(c, w, why);
    if ((size_t)(eq - w) >= sizeof(key)) {
        *why = "unknown parameter";
        return -EINVAL;
    }
    snprintf(key, sizeof(key), "%.*s", (int)(eq - w), w);
    return disk_keyword(c, key, eq + 1, why);
}

int ts_disk_parse(const char *spec, struct ts_disk *d, const char **why)
{
    struct disk_ctx c = { .d = d };
    const char *p = spec;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    d->readwrite = true;
    while (!rc && *p) {
        size_t len;
        char *w;

        p += strspn(p, " \t\n");
        if (!strncmp(p, "target=", 7)) {
            rc = set_string(&d->target, p + 7, strlen(p + 7));
            break;
        }
        len = strcspn(p, ",");
        if (!(w = strndup(p, len)))
            return -ENOMEM;
        rc = disk_word(&c, w, why);
        free(w);
        p += len + (p[len] == ',');
    }
    if (!rc && d->format == TS_DISK_UNKNOWN)
        d->format = TS_DISK_RAW;
    if (!rc && d->is_cdrom) {
        d->removable = true;
        d->readwrite = false;
        if (!d->target || !*d->target)
            d->format = TS_DISK_EMPTY;
    }
    if (!rc && !d->vdev)
        rc = (*why = "no vdev specified", -EINVAL);
    if (!rc && !d->target && !d->removable)
        rc = (*why = "no target specified (and device not removable)", -EINVAL);
    if (rc)
        ts_disk_free(d);
    return rc;
}

void ts_disk_free(struct ts_disk *d)
{
    free(d->target);
    free(d->vdev);
    free(d->backend_domname);
    free(d->script);
    memset(d, 0, sizeof(*d));
}

/* "00:16:3e:12:34:56": six hex bytes, one or two digits each. */
static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        size_t n = strspn(s, "0123456789abcdefABCDEF");

        if (n < 1 || n > 2 || s[n] != (i < 5 ? ':' : '\0'))
            return -EINVAL;
        mac[i] = (uint8_t)strtoul(s, NULL, 16);
        s += n + 1;
    }
    return 0;
}

/* libxlu_vif.c's rate: "<N>[KMG](B|b)/s[@<M>[mu]s]", into bytes per interval. */
static int parse_rate(const char *s, struct ts_nic *n)
{
    char *end;
    unsigned long long rate = strtoull(s, &end, 10), usecs = 50000, mult = 1;

    if (end == s || *s == '-')
        return -EINVAL;
    if (*end && strchr("KMG", *end))
        mult = *end == 'K' ? 1000 : *end == 'M' ? 1000000 : 1000000000, end++;
    if ((*end != 'B' && *end != 'b') || strncmp(end + 1, "/s", 2))
        return -EINVAL;
    if (rate > UINT64_MAX / mult / 8)
        return -EINVAL;
    rate = rate * mult / (*end == 'b' ? 8 : 1);
    end += 3;
    if (*end == '@') {
        const char *t = end + 1;

        usecs = strtoull(t, &end, 10);
        if (end == t || *t == '-' || usecs > UINT32_MAX)
            return -EINVAL;
        if (*end == 'm' || *end == 'u')
            usecs *= *end++ == 'm' ? 1000 : 1;
        else
            usecs *= 1000000;
        if (strcmp(end, "s") || !usecs || usecs > UINT32_MAX)
            return -EINVAL;
    } else if (*end) {
        return -EINVAL;
    }
    if (!rate || rate > UINT64_MAX / usecs)
        return -EINVAL;
    n->rate_bytes_per_interval = rate * usecs / 1000000;
    n->rate_interval_usecs = (uint32_t)usecs;
    return 0;
}

static int nic_number(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < 0 || v > 65535)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

static int nic_word(struct ts_nic *n, const char *key, const char *val, const char **why)
{
    static const char *const strs[] = { "bridge", "ip", "script", "model", "vifname",
                                        "gatewaydev", "netdev", "backend" };
    char **dst[] = { &n->bridge, &n->ip, &n->script, &n->model, &n->ifname, &n->gatewaydev,
                     &n->gatewaydev, &n->backend_domname };

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!strcmp(key, strs[i]))
            return set_string(dst[i], val, strlen(val));
    if (!strcmp(key, "mac")) {
        n->has_mac = true;
        return parse_mac(val, n->mac) ? (*why = "bad mac (want xx:xx:xx:xx:xx:xx)", -EINVAL)
                                      : 0;
    }
    if (!strcmp(key, "type")) {
        if (strcmp(val, "vif") && strcmp(val, "ioemu"))
            return *why = "bad type (vif or ioemu)", -EINVAL;
        n->nictype = !strcmp(val, "vif") ? 2 : 1;
        return 0;
    }
    if (!strcmp(key, "rate"))
        return parse_rate(val, n) ? (*why = "bad rate (RATE/s[@INTERVAL])", -EINVAL) : 0;
    if (!strcmp(key, "mtu"))
        return nic_number(val, &n->mtu) ? (*why = "bad mtu", -EINVAL) : 0;
    if (!strcmp(key, "devid"))
        return nic_number(val, &n->devid) ? (*why = "bad devid", -EINVAL) : 0;
    *why = "unrecognized argument";
    return -EINVAL;
}

int ts_nic_parse(const char *spec, struct ts_nic *n, const char **why)
{
    const char *p = spec;
    int rc = 0;

    while (!rc && *p) {
        size_t len = strcspn(p, ",");
        char *w = strndup(p, len), *eq;

        if (!w)
            return -ENOMEM;
        eq = strchr(w, '=');
        if (eq) {
            *eq = '\0';
            rc = nic_word(n, w, eq + 1, why);
        } else if (*w) {
            *why = "unrecognized argument";
            rc = -EINVAL;
        }
        free(w);
        p += len + (p[len] == ',');
    }
    if (rc)
        ts_nic_free(n);
    return rc;
}

void ts_nic_free(struct ts_nic *n)
{
    free(n->bridge);
    free(n->ip);
    free(n->script);
    free(n->model);
    free(n->ifname);
    free(n->gatewaydev);
    free(n->backend_domname);
    n->bridge = n->ip = n->script = n->model = n->ifname = n->gatewaydev = NULL;
    n->backend_domname = NULL;
}
