/*
 * A running domain's configuration (libxl_retrieve_domain_configuration's role) for
 * `xl list -l`: what the hypervisor and xenstore say of it now — name, uuid, vCPUs and
 * their pinning, memory target and bound, scheduler weight and cap. What only a config
 * file knows (kernel, disks, actions) is left at libxl's defaults.
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
    char path[80], *v, *end;
    uint64_t kb = fallback;

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    v = s ? store_read(s, path, NULL) : NULL;
    if (v) {
        kb = strtoull(v, &end, 10);
        if (end == v || *end)
            kb = fallback;
    }
    free(v);
    return kb;
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
    if (!(cfg->name = strdup(name)))
        return -ENOMEM;
    memcpy(cfg->uuid, info.handle, sizeof(cfg->uuid));
    cfg->max_vcpus = info.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : info.max_vcpu_id + 1;
    cfg->vcpus = info.nr_online_vcpus;
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
    cfg->on_poweroff = cfg->on_watchdog = cfg->on_crash = TS_ACTION_DESTROY;
    cfg->on_reboot = TS_ACTION_RESTART;
    cfg->on_soft_reset = TS_ACTION_SOFT_RESET;
    return 0;
}
