/*
 * Each created domain's configuration, kept as Xen's toolstack keeps it (xl's "xl" and
 * libxl's "libxl-json" userdata, /var/lib/xen/userdata-d.<domid>.<uuid>.<kind>), here under
 * /var/lib/kumo: the xl.cfg text with its overrides and its UUID, which restart actions
 * parse again, and the JSON `xl create -n` prints, for people.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolstack/build.h"

const char *ts_userdata_dir(void)
{
    const char *d = getenv("KUMO_USERDATA_DIR");

    return d && *d ? d : "/var/lib/kumo";
}

static int mkdirs(const char *dir)
{
    char p[256];

    snprintf(p, sizeof(p), "%s", dir);
    for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
        if (s)
            *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return -errno;
        if (!s)
            return 0;
        *s = '/';
    }
}

/* Written whole under a temporary name, then renamed: a reader never sees half of it. */
static int save(const char *path, const struct ts_domain_config *cfg, const char *uuid,
                bool json)
{
    char tmp[300];
    FILE *f;
    int rc = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -errno;
    if (json)
        ts_config_print_json(cfg, f);
    else
        fprintf(f, "%s\n# kept by xl create: the UUID the domain was given\nuuid = \"%s\"\n",
                cfg->config_text ? cfg->config_text : "", uuid);
    if (ferror(f))
        rc = -EIO;
    if (fclose(f) && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int ts_userdata_save(uint32_t domid, const char *uuid, const struct ts_domain_config *cfg)
{
    const char *dir = ts_userdata_dir();
    char path[280];
    int rc = mkdirs(dir);

    if (rc)
        return rc;
    snprintf(path, sizeof(path), "%s/userdata-d.%u.%s.xl", dir, domid, uuid);
    rc = save(path, cfg, uuid, false);
    snprintf(path, sizeof(path), "%s/userdata-d.%u.%s.libxl-json", dir, domid, uuid);
    if (!rc)
        rc = save(path, cfg, uuid, true);
    if (rc)
        ts_userdata_remove(domid);
    return rc;
}

static void each_file(uint32_t domid, const char *kind, void (*fn)(const char *, void *),
                      void *ctx)
{
    char pattern[280];
    glob_t g;

    snprintf(pattern, sizeof(pattern), "%s/userdata-d.%u.*.%s", ts_userdata_dir(), domid, kind);
    if (glob(pattern, 0, NULL, &g))
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        fn(g.gl_pathv[i], ctx);
    globfree(&g);
}

static void unlink_one(const char *path, void *ctx)
{
    (void)ctx;
    unlink(path);
}

void ts_userdata_remove(uint32_t domid)
{
    each_file(domid, "xl", unlink_one, NULL);
    each_file(domid, "libxl-json", unlink_one, NULL);
}

struct loaded {
    char *text;
    size_t len;
};

static void load_one(const char *path, void *ctx)
{
    struct loaded *l = ctx;
    FILE *f = l->text ? NULL : fopen(path, "r");
    long n;

    if (!f)
        return;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (l->text = malloc((size_t)n + 1))) {
        l->len = fread(l->text, 1, (size_t)n, f);
        l->text[l->len] = '\0';
    }
    fclose(f);
}

char *ts_userdata_load(uint32_t domid, size_t *len)
{
    struct loaded l = { NULL, 0 };

    each_file(domid, "xl", load_one, &l);
    if (!l.text)
        errno = ENOENT;
    *len = l.len;
    return l.text;
}
