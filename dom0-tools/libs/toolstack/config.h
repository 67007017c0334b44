/*
 * xl.cfg(5): the file syntax (config_parse.c, Xen's libxlu grammar), the keys that apply to
 * PVH guests (config.c), Xen's disk and vif specs (config_dev.c) and the domain
 * configuration as `xl create -n` prints it (config_json.c, libxl_domain_config's JSON).
 */
#ifndef TOOLSTACK_CONFIG_H
#define TOOLSTACK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- The syntax: settings of atoms and lists, as libxlu keeps them. ---- */

/* An atom (a number keeps its text, as in libxlu) or a list of values. */
struct cfg_value {
    bool is_list;
    char *str;                          /* the atom, dequoted */
    struct cfg_value **items;
    size_t n_items;
};

struct cfg_setting {
    char *name;
    bool append;                        /* written with "+=" */
    struct cfg_value *value;
    const char *source;                 /* file name, or "command line" */
    int line;
    struct cfg_setting *next;
};

struct cfg {
    struct cfg_setting *head, **tail;
};

void cfg_init(struct cfg *c);
void cfg_free(struct cfg *c);
/*
 * Parses data (len bytes) as one xl.cfg source named source (kept by pointer: it must
 * outlive c) and appends its settings to c, "+=" concatenating with an earlier setting of
 * the same key as libxlu does. A syntax error prints Xen's
 * "<source>:<line>: config parsing error near `<text>': <message>" on err and answers
 * -EINVAL with c unchanged; 0 on success, -ENOMEM.
 */
int cfg_parse(struct cfg *c, const char *source, const char *data, size_t len, FILE *err);
/* The setting that counts for name (the last one), or NULL. */
const struct cfg_setting *cfg_find(const struct cfg *c, const char *name);

/* ---- The domain configuration (libxl_domain_config's fields that kumo has). ---- */

/* libxl_action_on_shutdown's values. */
enum ts_action {
    TS_ACTION_DESTROY = 1,
    TS_ACTION_RESTART,
    TS_ACTION_RENAME_RESTART,
    TS_ACTION_PRESERVE,
    TS_ACTION_COREDUMP_DESTROY,
    TS_ACTION_COREDUMP_RESTART,
    TS_ACTION_SOFT_RESET,
};

/* libxl_disk_format / libxl_disk_backend / libxl_disk_specification values. */
enum ts_disk_format { TS_DISK_UNKNOWN, TS_DISK_QCOW, TS_DISK_QCOW2, TS_DISK_VHD, TS_DISK_RAW,
                      TS_DISK_EMPTY, TS_DISK_QED };
enum ts_disk_backend { TS_BACKEND_UNKNOWN, TS_BACKEND_PHY, TS_BACKEND_TAP, TS_BACKEND_QDISK,
                       TS_BACKEND_STANDALONE };
enum ts_disk_spec { TS_SPEC_UNKNOWN, TS_SPEC_XEN, TS_SPEC_VIRTIO };

/* A tri-state as libxl_defbool: unset, false, true. */
enum ts_defbool { TS_DEFAULT, TS_FALSE, TS_TRUE };

/* One disk = [...] entry (xl-disk-configuration(5)); kept for the PV-devices work. */
struct ts_disk {
    char *target;                       /* pdev_path; NULL for an empty cdrom */
    char *vdev;
    char *backend_domname;
    char *script;
    enum ts_disk_format format;
    enum ts_disk_backend backend;
    enum ts_disk_spec specification;
    bool readwrite, is_cdrom, removable, direct_io_safe;
    enum ts_defbool discard, trusted;
};

/* One vif = [...] entry (xl-network-configuration(5)). */
struct ts_nic {
    int devid;
    bool has_mac;
    uint8_t mac[6];
    char *bridge, *ip, *script, *model, *ifname, *gatewaydev, *backend_domname;
    int nictype;                        /* 0 unset, 1 ioemu, 2 vif (libxl_nic_type) */
    int mtu;
    uint64_t rate_bytes_per_interval;
    uint32_t rate_interval_usecs;
};

#define TS_MAX_VCPUS 64

/*
 * What the builder gets. Values the file left out stay unset (0, NULL, or -1 for weight
 * and cap) as in the libxl_domain_config xl hands to libxl; ts_config_setdefault() fills
 * in libxl's defaults before a build.
 */
struct ts_domain_config {
    const char *source;
    char *name;
    uint8_t uuid[16];                   /* given, or generated */
    bool pv_as_pvh;                     /* written for PV: runs only if the kernel has PVH */
    char *kernel, *ramdisk, *cmdline;
    uint64_t target_memkb, max_memkb;
    unsigned int vcpus, max_vcpus;      /* vcpus: the avail_vcpus bitmap's first bits */
    uint64_t hard_affinity[TS_MAX_VCPUS], soft_affinity[TS_MAX_VCPUS];
    unsigned int n_hard_affinity, n_soft_affinity;
    bool numa_placement_off;
    int weight, cap;
    enum ts_action on_poweroff, on_reboot, on_watchdog, on_crash, on_soft_reset;
    struct ts_disk *disks;
    unsigned int n_disks;
    struct ts_nic *nics;
    unsigned int n_nics;
    char *config_text;                  /* the file with its overrides appended */
};

struct ts_config_opts {
    const char *source;                 /* the file's name in messages */
    const char *data;                   /* its contents */
    size_t len;
    char *const *overrides;             /* "key=value" settings from the command line */
    int n_overrides;
    unsigned int nr_cpus;               /* the host's, for cpu lists ("all") */
    FILE *err;                          /* warnings and the one error line */
};

/*
 * Parses an xl.cfg and its command-line overrides (each parsed as one more line, later
 * settings winning as in Xen) into cfg. Unknown keys warn and are ignored. A syntax error,
 * a bad value or a configuration kumo cannot run (HVM, bootloader without a kernel) prints
 * one line on opts->err and answers -EINVAL with nothing to free. 0, -EINVAL or -ENOMEM.
 */
int ts_config_load(const struct ts_config_opts *opts, struct ts_domain_config *cfg);
void ts_config_free(struct ts_domain_config *cfg);
/* libxl's defaults for what the file left unset: 1 vCPU, 32 MiB, max = target. */
void ts_config_setdefault(struct ts_domain_config *cfg);
/*
 * retrieve.c: a running domain's configuration as the hypervisor and xenstore describe
 * it (for `xl list -l`); the rest at libxl's defaults. 0 or -errno; ts_config_free after.
 */
int ts_domain_retrieve(uint32_t domid, struct ts_domain_config *cfg);
/* The configuration as libxl_domain_config_to_json() renders it (yajl, beautified). */
void ts_config_print_json(const struct ts_domain_config *cfg, FILE *out);

/* Xen's action names ("rename-restart"), and libxl's enum strings ("restart_rename"). */
int ts_action_parse(const char *s, enum ts_action *a);
const char *ts_action_json(enum ts_action a);

/* config_dev.c: one disk or vif spec into d / n; 0 or -EINVAL with *why set. */
int ts_disk_parse(const char *spec, struct ts_disk *d, const char **why);
void ts_disk_free(struct ts_disk *d);
int ts_nic_parse(const char *spec, struct ts_nic *n, const char **why);
void ts_nic_free(struct ts_nic *n);

/* Why a create failed: the step ("createdomain", "memory", ...) and one line of reason. */
struct ts_create_error {
    const char *step;
    char why[200];
};

/*
 * The domain builder (create.c): builds the domain cfg describes (libxl's defaults for what
 * it leaves unset) and unpauses it unless paused. On failure everything done is undone
 * (domain destroyed, xenstore nodes removed) and *err (may be NULL) says where and why.
 * The configuration is kept under ts_userdata_dir() for rebuilding the domain later.
 * 0 and *domid, or -errno.
 */
int ts_domain_create(const struct ts_domain_config *cfg, bool paused, uint32_t *domid,
                     struct ts_create_error *err);
/* $KUMO_USERDATA_DIR, else /var/lib/kumo. */
const char *ts_userdata_dir(void);
/*
 * The kept xl.cfg text of domid (as ts_config_load() reads it), malloc'd, NUL-terminated,
 * *len its length; NULL with errno when none is kept. Removed by ts_userdata_remove().
 */
char *ts_userdata_load(uint32_t domid, size_t *len);
void ts_userdata_remove(uint32_t domid);

/*
 * monitor.c: the process xl create leaves to apply the on_* actions. ts_monitor_step
 * looks at the domain once and acts (TS_MONITOR_WAIT: look again later; TS_MONITOR_DONE:
 * destroyed, preserved, or not restartable); a restart leaves the new id in m->domid.
 * ts_monitor_run steps until done, woken by @releaseDomain. log may be NULL.
 */
enum { TS_MONITOR_WAIT, TS_MONITOR_DONE };
struct ts_monitor {
    uint32_t domid;
    const struct ts_domain_config *cfg;
    FILE *log;
    unsigned int restarts;
};
enum ts_action ts_monitor_action(const struct ts_domain_config *cfg, unsigned int reason);
int ts_monitor_step(struct ts_monitor *m);
int ts_monitor_run(struct ts_monitor *m);

#endif
