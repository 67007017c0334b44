/*
 * Paths and permissions, as Xen's xenstored checks them: relative names live under the
 * connection's /local/domain/<id>; a path is '/'-separated [A-Za-z0-9_@-] names, at most
 * xs_quota.max_path_len long below /local/domain/<id>/ (Dom0's paths too). A node's first
 * permission names its owner and everyone's default; the rest are per-domain exceptions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstored.h"

static bool valid_chars(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-/_@", *s))
            return false;
    return true;
}

int path_canon(const struct ctx *c, const char *name, char *buf, size_t size, bool special_ok)
{
    unsigned int domid;
    int off = 0;
    size_t len;

    if (name[0] == '@') {
        /* Xen checks a special name's length only: "@foo bar" may be watched. */
        if (!special_ok || strlen(name) > XENSTORE_REL_PATH_MAX || strlen(name) >= size)
            return EINVAL;
        strcpy(buf, name);
        return 0;
    }
    if (name[0] == '/')
        len = (size_t)snprintf(buf, size, "%s", name);
    else
        len = (size_t)snprintf(buf, size, "/local/domain/%u/%s", c->domid, name);
    if (len >= size)
        return EINVAL;
    if ((len > 1 && buf[len - 1] == '/') || strstr(buf, "//") || !valid_chars(buf))
        return EINVAL;
    if (sscanf(buf, "/local/domain/%5u/%n", &domid, &off) != 1)
        off = 0;
    /* Xen's is_valid_nodename() holds Dom0 to the limit too. */
    if ((int)(len - (size_t)off) > xs_quota.max_path_len)
        return EINVAL;
    return 0;
}

const char *path_relative(const struct ctx *c, const char *abs, bool relative)
{
    char prefix[40];
    size_t n;

    if (!relative)
        return abs;
    n = (size_t)snprintf(prefix, sizeof(prefix), "/local/domain/%u/", c->domid);
    return strncmp(abs, prefix, n) ? abs : abs + n;
}

bool path_is_child(const char *child, const char *parent)
{
    size_t n = strlen(parent);

    if (!strcmp(parent, "/"))
        return child[0] == '/';
    return !strncmp(child, parent, n) && (child[n] == '/' || child[n] == '\0');
}

void path_parent(const char *path, char *buf)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == path ? 1 : (size_t)(slash - path);

    memcpy(buf, path, n);
    buf[n] = '\0';
}

unsigned int perm_for(const struct ctx *c, const struct perm *p, uint32_t n)
{
    bool target = c->target != DOMID_INVALID;

    if (c->priv || p[0].id == c->domid || (target && p[0].id == c->target))
        return PERM_ALL;
    for (uint32_t i = 1; i < n; i++) {
        if (p[i].perms & PERM_IGNORE)
            continue;
        if (p[i].id == c->domid || (target && p[i].id == c->target))
            return p[i].perms & (PERM_READ | PERM_WRITE);
    }
    return p[0].perms & (PERM_READ | PERM_WRITE);
}

int perms_parse(const char *buf, size_t len, struct perm **out, uint32_t *n)
{
    uint32_t count = 0;

    if (!len || buf[len - 1] != '\0')
        return EINVAL;
    for (size_t i = 0; i < len; i++)
        count += buf[i] == '\0';
    struct perm *p = calloc(count, sizeof(*p));

    if (!p)
        abort();
    for (uint32_t i = 0; i < count; i++, buf += strlen(buf) + 1) {
        char *end;
        unsigned long id;

        switch (buf[0]) {
        case 'n': p[i].perms = 0; break;
        case 'r': p[i].perms = PERM_READ; break;
        case 'w': p[i].perms = PERM_WRITE; break;
        case 'b': p[i].perms = PERM_READ | PERM_WRITE; break;
        default: free(p); return EINVAL;
        }
        if (!isdigit((unsigned char)buf[1]))
            goto bad;
        id = strtoul(buf + 1, &end, 10);
        if (*end || id > 0xFFFF)
            goto bad;
        p[i].id = (uint32_t)id;
    }
    *out = p;
    *n = count;
    return 0;
bad:
    free(p);
    return EINVAL;
}

size_t perms_format(const struct perm *p, uint32_t n, char *buf, size_t size)
{
    static const char letters[] = "nrwb";
    size_t used = 0;

    for (uint32_t i = 0; i < n; i++) {
        int k = snprintf(buf + used, size - used, "%c%u", letters[p[i].perms & 3], p[i].id);

        if (k < 0 || (size_t)k >= size - used)
            return 0;
        used += (size_t)k + 1;
    }
    return used;
}

