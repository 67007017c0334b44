/*
 * xl.cfg's keys for PVH guests, read as xl's parse_config_data() reads them into a
 * libxl_domain_config (tools/xl/xl_parse.c), except that a bad value is an error naming
 * file, line and key where Xen often only warns and goes on. Syntax: config_parse.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "toolstack/config.h"
#include "toolstack/toolstack.h"

/* Keys kumo reads. */
static const char *const known_keys[] = {
    "name", "type", "builder", "kernel", "ramdisk", "cmdline", "extra", "root", "memory",
    "maxmem", "vcpus", "maxvcpus", "cpus", "cpus_soft", "cpu_weight", "cap", "on_poweroff", "on_reboot",
    "on_crash", "on_watchdog", "on_soft_reset", "uuid", "disk", "vif", "bootloader",
};

/* Keys Xen's xl reads that kumo does not apply (a different warning: not a typo). */
static const char *const xen_only_keys[] = {
    "pool", "max_event_channels", "nomigrate", "vnuma", "hap", "oos",
    "shadow_memory", "nestedhvm", "timer_mode", "tsc_mode", "cpuid", "vpmu", "pvshim",
    "pvshim_path", "pvshim_cmdline", "pvshim_extra", "pci", "channel", "vtpm", "p9", "vfb",
    "vkb", "seclabel", "driver_domain", "bootloader_args", "max_grant_frames",
    "max_maptrack_frames", "max_grant_version", "device_model_version", "e820_host",
    "acpi", "msr_relaxed", "localtime", "rtc_timeoffset", "iomem", "ioports", "irqs",
};

struct reader {
    const struct cfg *c;
    FILE *err;
    const char *source;
};

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

/* One line naming where the bad value was written, then -EINVAL. */
static int bad(const struct reader *r, const struct cfg_setting *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(const struct reader *r, const struct cfg_setting *s, const char *fmt, ...)
{
    va_list ap;

    fprintf(r->err, "%s:%d: %s: ", s->source, s->line, s->name);
    va_start(ap, fmt);
    vfprintf(r->err, fmt, ap);
    va_end(ap);
    fputc('\n', r->err);
    return -EINVAL;
}

/* The key's string: 0 and *out (NULL when absent), or -EINVAL for a list. */
static int get_string(const struct reader *r, const char *key, const char **out)
{
    const struct cfg_setting *s = cfg_find(r->c, key);

    *out = NULL;
    if (!s)
        return 0;
    if (s->value->is_list)
        return bad(r, s, "is a list but should be a single value");
    *out = s->value->str;
    return 0;
}

/* A number (decimal, 0x hex, 0 octal, as strtol base 0) in [min, max]; 1 when absent. */
static int get_long(const struct reader *r, const char *key, long min, long max, long *out)
{
    const struct cfg_setting *s = cfg_find(r->c, key);
    const char *v;
    char *end;

    if (!s)
        return 1;
    if (s->value->is_list)
        return bad(r, s, "is a list but should be a single value");
    if (s->append)
        return bad(r, s, "can't use += with numbers");
    v = s->value->str;
    errno = 0;
    *out = strtol(v, &end, 0);
    if (end == v || *end || errno)
        return bad(r, s, "\"%s\" is not a valid number", v);
    if (*out < min || *out > max)
        return bad(r, s, "%ld is out of range (%ld to %ld)", *out, min, max);
    return 0;
}

static int parse_uuid(const char *s, uint8_t uuid[16])
{
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            if (*s++ != '-')
                return -EINVAL;
        if (strspn(s, "0123456789abcdefABCDEF") < 2)
            return -EINVAL;
        uuid[i] = (uint8_t)((s[0] <= '9' ? s[0] - '0' : (s[0] | 0x20) - 'a' + 10) << 4 |
                            (s[1] <= '9' ? s[1] - '0' : (s[1] | 0x20) - 'a' + 10));
        s += 2;
    }
    return *s ? -EINVAL : 0;
}

/* A random (version 4) UUID, as libxl_uuid_generate(). */
static int generate_uuid(uint8_t uuid[16])
{
    if (getrandom(uuid, 16, 0) != 16)
        return -EIO;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    return 0;
}

/* type / builder: PVH, or a PV config run as PVH; HVM and unknown types refused. */
static int read_type(const struct reader *r, struct ts_domain_config *cfg)
{
    const struct cfg_setting *ts = cfg_find(r->c, "type"), *bs = cfg_find(r->c, "builder");
    const char *type, *builder;
    int rc;

    if ((rc = get_string(r, "type", &type)) || (rc = get_string(r, "builder", &builder)))
        return rc;
    if (type && strcmp(type, "pvh") && strcmp(type, "pv") && strcmp(type, "hvm"))
        return bad(r, ts, "\"%s\" is not pv, pvh or hvm", type);
    if (builder && strcmp(builder, "generic") && strcmp(builder, "hvm"))
        return bad(r, bs, "\"%s\" is not generic or hvm", builder);
    if (type && builder && !strcmp(type, "hvm") != !strcmp(builder, "hvm"))
        return bad(r, bs, "contradicts type \"%s\"", type);
    if ((type && !strcmp(type, "hvm")) || (builder && !strcmp(builder, "hvm"))) {
        fprintf(r->err, "xl: %s: an HVM guest (%s \"hvm\"): kumo runs PVH guests only\n",
                r->source, type ? "type" : "builder");
        return -EINVAL;
    }
    cfg->pv_as_pvh = !type || !strcmp(type, "pv");
    return 0;
}

/* kernel, ramdisk, bootloader and the command line as xl's parse_cmdline() joins it. */
static int read_boot(const struct reader *r, struct ts_domain_config *cfg)
{
    const char *kernel, *ramdisk, *loader, *cmdline, *root, *extra;
    int rc;

    if ((rc = get_string(r, "kernel", &kernel)) || (rc = get_string(r, "ramdisk", &ramdisk)) ||
        (rc = get_string(r, "bootloader", &loader)) || (rc = get_string(r, "cmdline", &cmdline)) ||
        (rc = get_string(r, "root", &root)) || (rc = get_string(r, "extra", &extra)))
        return rc;
    if (loader && !kernel) {
        fprintf(r->err, "xl: %s: bootloader \"%s\" without a kernel: kumo boots the kernel "
                "directly, set kernel=\n", r->source, loader);
        return -EINVAL;
    }
    if (loader)
        fprintf(r->err, "%s: warning: bootloader ignored: kumo loads kernel= itself\n",
                r->source);
    if (cmdline && (root || extra))
        fprintf(r->err, "Warning: ignoring root= and extra= in favour of cmdline=\n");
    if ((kernel && !(cfg->kernel = strdup(kernel))) ||
        (ramdisk && !(cfg->ramdisk = strdup(ramdisk))))
        return -ENOMEM;
    if (cmdline)
        cfg->cmdline = strdup(cmdline);
    else if (root && extra)
        rc = asprintf(&cfg->cmdline, "root=%s %s", root, extra) < 0 ? -ENOMEM : 0;
    else if (root)
        rc = asprintf(&cfg->cmdline, "root=%s", root) < 0 ? -ENOMEM : 0;
    else if (extra)
        cfg->cmdline = strdup(extra);
    return rc || ((cmdline || root || extra) && !cfg->cmdline) ? -ENOMEM : 0;
}

/* memory, maxmem (MiB), vcpus, maxvcpus, cpu_weight, cap. */
static int read_sizes(const struct reader *r, struct ts_domain_config *cfg)
{
    long v;
    int rc;

    cfg->weight = cfg->cap = -1;
    if ((rc = get_long(r, "memory", 1, 1L << 24, &v)) < 0)
        return rc;
    cfg->target_memkb = rc ? 0 : (uint64_t)v * 1024;
    if ((rc = get_long(r, "maxmem", 1, 1L << 24, &v)) < 0)
        return rc;
    cfg->max_memkb = rc ? cfg->target_memkb : (uint64_t)v * 1024;
    if ((rc = get_long(r, "vcpus", 1, TS_MAX_VCPUS, &v)) < 0)
        return rc;
    cfg->vcpus = rc ? 0 : (unsigned int)v;
    if ((rc = get_long(r, "maxvcpus", 1, TS_MAX_VCPUS, &v)) < 0)
        return rc;
    cfg->max_vcpus = rc ? cfg->vcpus : (unsigned int)v;
    if (cfg->max_vcpus < cfg->vcpus)
        return bad(r, cfg_find(r->c, "maxvcpus"), "%u is less than vcpus (%u)", cfg->max_vcpus,
                   cfg->vcpus);
    if (cfg->max_memkb < cfg->target_memkb)
        return bad(r, cfg_find(r->c, "maxmem"), "is less than memory");
    if ((rc = get_long(r, "cpu_weight", 1, 65535, &v)) < 0)
        return rc;
    cfg->weight = rc ? -1 : (int)v;
    if ((rc = get_long(r, "cap", 0, 65535, &v)) < 0)
        return rc;
    cfg->cap = rc ? -1 : (int)v;
    return 0;
}

/*
 * cpus (hard) or cpus_soft: one cpu list for every vCPU, or a list holding one per vCPU
 * (xl's parse_vcpu_affinity()), into masks and *n.
 */
static int read_affinity(const struct reader *r, const char *key, unsigned int nr_cpus,
                         struct ts_domain_config *cfg, uint64_t *masks, unsigned int *n_masks)
{
    const struct cfg_setting *s = cfg_find(r->c, key);
    /* Without vcpus the domain gets libxl's one: cpus still pins it. */
    unsigned int nv = cfg->max_vcpus ? cfg->max_vcpus : 1;
    const struct cfg_value *v;
    unsigned int n;

    if (!s)
        return 0;
    v = s->value;
    /* Entries past the vCPUs are dropped, as in Xen, but checked all the same. */
    n = v->is_list ? (unsigned int)v->n_items : 1;
    for (unsigned int i = 0; i < n; i++) {
        const struct cfg_value *item = v->is_list ? v->items[i] : v;
        uint64_t mask;

        if (item->is_list)
            return bad(r, s, "entry %u is a list but should be a cpu list string", i);
        if (ts_parse_cpulist(item->str, nr_cpus, &mask))
            return bad(r, s, "\"%s\" is not a cpu list of this host's %u CPUs", item->str,
                       nr_cpus);
        for (unsigned int j = i; j < nv && (j == i || !v->is_list); j++)
            masks[j] = mask;
    }
    *n_masks = v->is_list && n < nv ? n : nv;
    cfg->numa_placement_off |= v->is_list;
    return 0;
}

static int read_cpus(const struct reader *r, unsigned int nr_cpus, struct ts_domain_config *cfg)
{
    return read_affinity(r, "cpus", nr_cpus, cfg, cfg->hard_affinity, &cfg->n_hard_affinity) ?:
           read_affinity(r, "cpus_soft", nr_cpus, cfg, cfg->soft_affinity,
                         &cfg->n_soft_affinity);
}

static int read_actions(const struct reader *r, struct ts_domain_config *cfg)
{
    static const char *const keys[] = { "on_poweroff", "on_reboot", "on_watchdog", "on_crash",
                                        "on_soft_reset" };
    static const char *const defaults[] = { "destroy", "restart", "destroy", "destroy",
                                            "soft-reset" };
    enum ts_action *dst[] = { &cfg->on_poweroff, &cfg->on_reboot, &cfg->on_watchdog,
                              &cfg->on_crash, &cfg->on_soft_reset };
    const char *v;
    int rc;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if ((rc = get_string(r, keys[i], &v)))
            return rc;
        if (ts_action_parse(v ? v : defaults[i], dst[i]))
            return bad(r, cfg_find(r->c, keys[i]), "unknown action \"%s\" (destroy, restart, "
                       "rename-restart, preserve, coredump-destroy, coredump-restart, "
                       "soft-reset)", v);
    }
    return 0;
}

/* disk = [...] and vif = [...]: each entry a spec string. */
static int read_devices(const struct reader *r, struct ts_domain_config *cfg)
{
    const struct cfg_setting *ds = cfg_find(r->c, "disk"), *vs = cfg_find(r->c, "vif");
    const char *why = "";
    int rc;

    if ((ds && !ds->value->is_list) || (vs && !vs->value->is_list))
        return bad(r, ds && !ds->value->is_list ? ds : vs,
                   "is a single value but should be a list");
    if (ds && !(cfg->disks = calloc(ds->value->n_items + 1, sizeof(*cfg->disks))))
        return -ENOMEM;
    for (size_t i = 0; ds && i < ds->value->n_items; i++, cfg->n_disks++) {
        const struct cfg_value *e = ds->value->items[i];

        if (e->is_list)
            return bad(r, ds, "entry %zu is a list but should be a disk spec string", i);
        if ((rc = ts_disk_parse(e->str, &cfg->disks[i], &why)))
            return rc == -EINVAL ? bad(r, ds, "\"%s\": %s", e->str, why) : rc;
    }
    if (vs && !(cfg->nics = calloc(vs->value->n_items + 1, sizeof(*cfg->nics))))
        return -ENOMEM;
    for (size_t i = 0; vs && i < vs->value->n_items; i++, cfg->n_nics++) {
        const struct cfg_value *e = vs->value->items[i];

        cfg->nics[i].devid = (int)i;
        if (e->is_list)
            return bad(r, vs, "entry %zu is a list but should be a vif spec string", i);
        if ((rc = ts_nic_parse(e->str, &cfg->nics[i], &why)))
            return rc == -EINVAL ? bad(r, vs, "\"%s\": %s", e->str, why) : rc;
    }
    return 0;
}

/* One warning per key kumo does not read, at its first setting. */
static void warn_unknown(const struct reader *r)
{
    for (const struct cfg_setting *s = r->c->head; s; s = s->next) {
        const struct cfg_setting *first = s;

        if (in_list(known_keys, sizeof(known_keys) / sizeof(known_keys[0]), s->name))
            continue;
        for (const struct cfg_setting *t = r->c->head; t != s; t = t->next)
            if (!strcmp(t->name, s->name))
                first = NULL;
        if (!first)
            continue;
        if (in_list(xen_only_keys, sizeof(xen_only_keys) / sizeof(xen_only_keys[0]), s->name))
            fprintf(r->err, "%s:%d: warning: `%s' is not supported by kumo, ignored\n",
                    s->source, s->line, s->name);
        else
            fprintf(r->err, "%s:%d: warning: unknown key `%s' ignored\n", s->source, s->line,
                    s->name);
    }
}

static int read_keys(const struct reader *r, const struct ts_config_opts *o,
                     struct ts_domain_config *cfg)
{
    const char *name, *uuid;
    int rc;

    if ((rc = read_type(r, cfg)) || (rc = get_string(r, "name", &name)) ||
        (rc = get_string(r, "uuid", &uuid)))
        return rc;
    if (!name || !*name) {
        fprintf(r->err, "xl: %s: name: missing (a domain name must be specified)\n", r->source);
        return -EINVAL;
    }
    if (!(cfg->name = strdup(name)))
        return -ENOMEM;
    if (uuid && parse_uuid(uuid, cfg->uuid))
        return bad(r, cfg_find(r->c, "uuid"), "\"%s\" is not a UUID", uuid);
    if (!uuid && (rc = generate_uuid(cfg->uuid)))
        return rc;
    if ((rc = read_sizes(r, cfg)) || (rc = read_cpus(r, o->nr_cpus, cfg)) ||
        (rc = read_actions(r, cfg)) || (rc = read_boot(r, cfg)) || (rc = read_devices(r, cfg)))
        return rc;
    warn_unknown(r);
    if (cfg->pv_as_pvh)
        fprintf(r->err, "xl: %s: a PV config (type \"pv\" or none): kumo runs it as PVH, so "
                "its kernel needs a PVH entry\n", r->source);
    return 0;
}

/* The file and its overrides as one xl.cfg text, for rebuilding the domain later. */
static int keep_text(const struct ts_config_opts *o, struct ts_domain_config *cfg)
{
    size_t len = o->len + 2;
    char *t;

    for (int i = 0; i < o->n_overrides; i++)
        len += strlen(o->overrides[i]) + 1;
    if (!(cfg->config_text = t = malloc(len)))
        return -ENOMEM;
    memcpy(t, o->data, o->len);
    t += o->len;
    *t++ = '\n';
    for (int i = 0; i < o->n_overrides; i++)
        t += sprintf(t, "%s\n", o->overrides[i]);
    *t = '\0';
    return 0;
}

int ts_config_load(const struct ts_config_opts *o, struct ts_domain_config *cfg)
{
    struct reader r = { .err = o->err, .source = o->source };
    struct cfg c;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    cfg->source = o->source;
    cfg_init(&c);
    r.c = &c;
    rc = cfg_parse(&c, o->source, o->data, o->len, o->err);
    for (int i = 0; !rc && i < o->n_overrides; i++)
        rc = cfg_parse(&c, "command line", o->overrides[i], strlen(o->overrides[i]), o->err);
    if (!rc)
        rc = read_keys(&r, o, cfg);
    if (!rc)
        rc = keep_text(o, cfg);
    cfg_free(&c);
    if (rc)
        ts_config_free(cfg);
    return rc;
}

void ts_config_free(struct ts_domain_config *cfg)
{
    for (unsigned int i = 0; i < cfg->n_disks; i++)
        ts_disk_free(&cfg->disks[i]);
    for (unsigned int i = 0; i < cfg->n_nics; i++)
        ts_nic_free(&cfg->nics[i]);
    free(cfg->disks);
    free(cfg->nics);
    free(cfg->name);
    free(cfg->kernel);
    free(cfg->ramdisk);
    free(cfg->cmdline);
    free(cfg->config_text);
    memset(cfg, 0, sizeof(*cfg));
}

void ts_config_setdefault(struct ts_domain_config *cfg)
{
    if (!cfg->vcpus)
        cfg->vcpus = 1;
    if (cfg->max_vcpus < cfg->vcpus)
        cfg->max_vcpus = cfg->vcpus;
    if (!cfg->max_memkb)
        cfg->max_memkb = 32 * 1024;
    if (!cfg->target_memkb)
        cfg->target_memkb = cfg->max_memkb;
}

static const char *const action_names[] = {
    [TS_ACTION_DESTROY] = "destroy", [TS_ACTION_RESTART] = "restart",
    [TS_ACTION_RENAME_RESTART] = "rename-restart", [TS_ACTION_PRESERVE] = "preserve",
    [TS_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [TS_ACTION_COREDUMP_RESTART] = "coredump-restart", [TS_ACTION_SOFT_RESET] = "soft-reset",
};

int ts_action_parse(const char *s, enum ts_action *a)
{
    for (size_t i = TS_ACTION_DESTROY; s && i < sizeof(action_names) / sizeof(action_names[0]); i++)
        if (!strcmp(s, action_names[i])) {
            *a = (enum ts_action)i;
            return 0;
        }
    return -EINVAL;
}

const char *ts_action_json(enum ts_action a)
{
    static const char *const json[] = {
        [TS_ACTION_DESTROY] = "destroy", [TS_ACTION_RESTART] = "restart",
        [TS_ACTION_RENAME_RESTART] = "restart_rename", [TS_ACTION_PRESERVE] = "preserve",
        [TS_ACTION_COREDUMP_DESTROY] = "coredump_destroy",
        [TS_ACTION_COREDUMP_RESTART] = "coredump_restart", [TS_ACTION_SOFT_RESET] = "soft_reset",
    };

    return a >= TS_ACTION_DESTROY && a <= TS_ACTION_SOFT_RESET ? json[a] : "destroy";
}
