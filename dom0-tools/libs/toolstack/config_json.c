/*
 * The domain configuration as `xl create -n` prints it: libxl_domain_config_to_json(), whose
 * generated code (gentypes.py) emits fields in IDL order and leaves out those still at
 * their default, through yajl's beautified generator (4-space indent, "key": value, an
 * empty map as "{", a blank line, "}"). Only the fields kumo has.
 */
#include <inttypes.h>
#include <string.h>

#include "toolstack/config.h"

#define JSON_MAX_DEPTH 8

struct json {
    FILE *out;
    int depth;
    bool first[JSON_MAX_DEPTH + 1];
    bool after_key;
};

/* Separator and indent before a map key or an array element, as yajl's beautify mode. */
static void j_element(struct json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->depth)
        return;
    fputs(j->first[j->depth] ? "" : ",\n", j->out);
    j->first[j->depth] = false;
    fprintf(j->out, "%*s", j->depth * 4, "");
}

static void j_string_raw(struct json *j, const char *s)
{
    fputc('"', j->out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *esc = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" :
                          *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : *p == '\b' ? "\\b" :
                          *p == '\f' ? "\\f" : NULL;

        if (esc)
            fputs(esc, j->out);
        else if (*p < 0x20)
            fprintf(j->out, "\\u00%02X", *p);
        else
            fputc(*p, j->out);
    }
    fputc('"', j->out);
}

static void j_key(struct json *j, const char *key)
{
    j_element(j);
    j_string_raw(j, key);
    fputs(": ", j->out);
    j->after_key = true;
}

static void j_open(struct json *j, char c)
{
    j_element(j);
    fprintf(j->out, "%c\n", c);
    if (j->depth < JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void j_close(struct json *j, char c)
{
    j->depth--;
    fprintf(j->out, "\n%*s%c", j->depth * 4, "", c);
    if (!j->depth)
        fputc('\n', j->out);
}

static void j_str(struct json *j, const char *key, const char *v)
{
    if (!v)
        return;
    j_key(j, key);
    j_element(j);
    j_string_raw(j, v);
}

static void j_int(struct json *j, const char *key, uint64_t v)
{
    if (!v)
        return;
    if (key)
        j_key(j, key);
    j_element(j);
    fprintf(j->out, "%" PRIu64, v);
}

static void j_defbool(struct json *j, const char *key, enum ts_defbool b)
{
    if (b != TS_DEFAULT)
        j_str(j, key, b == TS_TRUE ? "True" : "False");
}

/* A libxl_bitmap: the numbers of its set bits. */
static void j_bitmap(struct json *j, const char *key, uint64_t bits)
{
    if (key)
        j_key(j, key);
    j_open(j, '[');
    for (unsigned int i = 0; i < 64; i++)
        if (bits >> i & 1) {
            j_element(j);
            fprintf(j->out, "%u", i);
        }
    j_close(j, ']');
}

static void j_empty_map(struct json *j, const char *key)
{
    j_key(j, key);
    j_open(j, '{');
    j_close(j, '}');
}

/* libxl's vcpu_{hard,soft}_affinity: one bitmap a vCPU, absent when none was given. */
static void affinity_json(struct json *j, const char *key, const uint64_t *masks,
                          unsigned int n)
{
    if (!n)
        return;
    j_key(j, key);
    j_open(j, '[');
    for (unsigned int i = 0; i < n; i++)
        j_bitmap(j, NULL, masks[i]);
    j_close(j, ']');
}

static void print_b_info(struct json *j, const struct ts_domain_config *cfg)
{
    j_key(j, "b_info");
    j_open(j, '{');
    j_int(j, "max_vcpus", cfg->max_vcpus);
    if (cfg->vcpus)
        j_bitmap(j, "avail_vcpus", cfg->vcpus >= 64 ? ~0ULL : (1ULL << cfg->vcpus) - 1);
    affinity_json(j, "vcpu_hard_affinity", cfg->hard_affinity, cfg->n_hard_affinity);
    affinity_json(j, "vcpu_soft_affinity", cfg->soft_affinity, cfg->n_soft_affinity);
    if (cfg->numa_placement_off)
        j_str(j, "numa_placement", "False");
    j_int(j, "max_memkb", cfg->max_memkb);
    j_int(j, "target_memkb", cfg->target_memkb);
    j_key(j, "sched_params");
    j_open(j, '{');
    if (cfg->weight >= 0) {
        j_key(j, "weight");
        j_element(j);
        fprintf(j->out, "%d", cfg->weight);
    }
    if (cfg->cap >= 0) {
        j_key(j, "cap");
        j_element(j);
        fprintf(j->out, "%d", cfg->cap);
    }
    j_close(j, '}');
    j_str(j, "claim_mode", "True");
    j_str(j, "kernel", cfg->kernel);
    j_str(j, "cmdline", cfg->cmdline);
    j_str(j, "ramdisk", cfg->ramdisk);
    j_empty_map(j, "type.pvh");
    j_empty_map(j, "arch_arm");
    j_empty_map(j, "arch_x86");
    j_close(j, '}');
}

static void print_disk(struct json *j, const struct ts_disk *d)
{
    static const char *const formats[] = { "unknown", "qcow", "qcow2", "vhd", "raw", "empty",
                                           "qed" };
    static const char *const backends[] = { "unknown", "phy", "tap", "qdisk", "standalone" };

    j_open(j, '{');
    j_str(j, "backend_domname", d->backend_domname);
    j_str(j, "pdev_path", d->target);
    j_str(j, "vdev", d->vdev);
    if (d->backend)
        j_str(j, "backend", backends[d->backend]);
    if (d->format)
        j_str(j, "format", formats[d->format]);
    j_str(j, "script", d->script);
    j_int(j, "removable", d->removable);
    j_int(j, "readwrite", d->readwrite);
    j_int(j, "is_cdrom", d->is_cdrom);
    if (d->direct_io_safe) {
        j_key(j, "direct_io_safe");
        j_element(j);
        fputs("true", j->out);
    }
    j_defbool(j, "discard_enable", d->discard);
    if (d->specification)
        j_str(j, "specification", d->specification == TS_SPEC_XEN ? "xen" : "virtio");
    j_defbool(j, "trusted", d->trusted);
    j_close(j, '}');
}

static void print_nic(struct json *j, const struct ts_nic *n)
{
    char mac[18];

    j_open(j, '{');
    j_str(j, "backend_domname", n->backend_domname);
    /* libxl_devid's default is -1, and xl numbers nics from 0: devid 0 is printed too. */
    j_key(j, "devid");
    j_element(j);
    fprintf(j->out, "%d", n->devid);
    j_int(j, "mtu", (uint64_t)n->mtu);
    j_str(j, "model", n->model);
    if (n->has_mac) {
        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
                 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
        j_str(j, "mac", mac);
    }
    j_str(j, "ip", n->ip);
    j_str(j, "bridge", n->bridge);
    j_str(j, "ifname", n->ifname);
    j_str(j, "script", n->script);
    if (n->nictype)
        j_str(j, "nictype", n->nictype == 1 ? "vif_ioemu" : "vif");
    j_int(j, "rate_bytes_per_interval", n->rate_bytes_per_interval);
    j_int(j, "rate_interval_usecs", n->rate_interval_usecs);
    j_str(j, "gatewaydev", n->gatewaydev);
    j_close(j, '}');
}

void ts_config_print_json(const struct ts_domain_config *cfg, FILE *out)
{
    struct json j = { .out = out };
    const enum ts_action actions[] = { cfg->on_poweroff, cfg->on_reboot, cfg->on_watchdog,
                                       cfg->on_crash, cfg->on_soft_reset };
    static const char *const action_keys[] = { "on_poweroff", "on_reboot", "on_watchdog",
                                               "on_crash", "on_soft_reset" };
    char uuid[37];
    const uint8_t *u = cfg->uuid;

    snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
             u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    j_open(&j, '{');
    j_key(&j, "c_info");
    j_open(&j, '{');
    j_str(&j, "type", "pvh");
    j_str(&j, "name", cfg->name);
    j_str(&j, "uuid", uuid);
    j_str(&j, "run_hotplug_scripts", "True");
    j_close(&j, '}');
    print_b_info(&j, cfg);
    if (cfg->n_disks) {
        j_key(&j, "disks");
        j_open(&j, '[');
        for (unsigned int i = 0; i < cfg->n_disks; i++)
            print_disk(&j, &cfg->disks[i]);
        j_close(&j, ']');
    }
    if (cfg->n_nics) {
        j_key(&j, "nics");
        j_open(&j, '[');
        for (unsigned int i = 0; i < cfg->n_nics; i++)
            print_nic(&j, &cfg->nics[i]);
        j_close(&j, ']');
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (actions[i] != TS_ACTION_DESTROY)
            j_str(&j, action_keys[i], ts_action_json(actions[i]));
    j_close(&j, '}');
}
