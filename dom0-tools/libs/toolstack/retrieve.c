/*
 * A running domain's configuration (libxl_retrieve_domain_configuration's role) for
 * `xl list -l`: the configuration xl create kept for it (kernel, command line, disks,
 * actions), brought up to date with what the hypervisor and xenstore say of it now — name,
 * uuid, vCPUs and their pinning, memory target and bound, scheduler weight and cap. A
 * domain nothing was kept for (Dom0, boot-time domains) gets libxl's defaults for the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/config.h"
#include "toolstack/toolstack.h"

static uint64_t store_kb(uint32_t domid, const char *key, uint64_t fallback)
{
    struct store *s = ts_store();
    char path[80];

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    return s ? store_read_u64(s, path, fallback) : fallback;
}

/* The kept configuration parsed again, as the monitor does for a restart; cfg (zeroed by
 * the caller) stays empty without one. */
static void kept_config(uint32_t domid, struct ts_domain_config *cfg)
{
    struct ts_config_opts o = { .source = "kept config", .nr_cpus = TS_MAX_VCPUS };
    char *data = ts_userdata_load(domid, &o.len);
    FILE *quiet = data ? fopen("/dev/null", "w") : NULL;

    if (quiet) {
        o.data = data;
        o.err = quiet;
        if (ts_config_load(&o, cfg))
            memset(cfg, 0, sizeof(*cfg));
        fclose(quiet);
    }
    free(data);
}

static void default_actions(struct ts_domain_config *cfg)
{
    if (!cfg->on_poweroff)
        cfg->on_poweroff = TS_ACTION_DESTROY;
    if (!cfg->on_watchdog)
        cfg->on_watchdog = TS_ACTION_DESTROY;
    if (!cfg->on_crash)
        cfg->on_crash = TS_ACTION_DESTROY;
    if (!cfg->on_reboot)
        cfg->on_reboot = TS_ACTION_RESTART;
    if (!cfg->on_soft_reset)
        cfg->on_soft_reset = TS_ACTION_SOFT_RESET;
}

int ts_domain_retrieve(uint32_t domid, struct ts_domain_config *cfg)
{
    xen_domctl_getdomaininfo_t info;
    struct xen_domctl_sched_credit credit;
    uint32_t sched_id = 0;
    char name[TS_NAME_MAX];
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if ((rc = ctl_domain_info(domid, &info)) || (rc = ts_domain_name(domid, name, sizeof(name))))
        return rc;
    kept_config(domid, cfg);
    free(cfg->name);                    /* renamed since, perhaps */
    if (!(cfg->name = strdup(name))) {
        ts_config_free(cfg);
        return -ENOMEM;
    }
    memcpy(cfg->uuid, info.handle, sizeof(cfg->uuid));
    cfg->max_vcpus = info.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : info.max_vcpu_id + 1;
    cfg->vcpus = info.nr_online_vcpus;
    cfg->n_hard_affinity = 0;
    for (unsigned int v = 0; v < cfg->max_vcpus && v < TS_MAX_VCPUS; v++) {
        uint64_t mask = 0;

        if (!ctl_vcpu_affinity(domid, v, &mask, false))
            cfg->hard_affinity[cfg->n_hard_affinity++] = mask;
    }
    cfg->max_memkb = store_kb(domid, "memory/static-max", info.max_pages * 4);
    cfg->target_memkb = store_kb(domid, "memory/target", info.tot_pages * 4);
    cfg->weight = cfg->cap = -1;
    if (!ctl_sched_id(&sched_id) && sched_id == XEN_SCHEDULER_CREDIT &&
        !ctl_sched_credit(domid, &credit, false)) {
        cfg->weight = credit.weight;
        cfg->cap = credit.cap;
    }
    default_actions(cfg);
    return 0;
}
