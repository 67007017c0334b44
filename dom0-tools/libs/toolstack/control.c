/*
 * What an operator changes in a running domain, as libxl does it: shutdown and reboot
 * requests through control/shutdown, the name, the memory target and bound, and which
 * vCPUs are online (cpu/<n>/availability), each kept in xenstore at Xen's paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/store.h"
#include "toolstack/toolstack.h"
#include <xen/hvm/params.h>

/* libxl's LIBXL_MAXMEM_CONSTANT: the hypervisor's bound sits this far above the target. */
#define MAXMEM_SLACK_KB 1024

static int store_or_fail(struct store **s)
{
    *s = ts_store();
    return *s ? 0 : -ENOENT;
}

int ts_domain_pvcontrol(uint32_t domid)
{
    xen_domctl_getdomaininfo_t info;
    uint64_t callback = 0;
    int rc = ctl_domain_info(domid, &info);

    if (rc)
        return rc;
    /*
     * A guest with Xen's PV drivers registers its event callback first; one that never
     * did would never read control/shutdown (libxl's test for HVM guests).
     */
    rc = ctl_hvm_param_get(domid, HVM_PARAM_CALLBACK_IRQ, &callback);
    if (rc == -ENOSYS || rc == -EOPNOTSUPP)
        return 1;
    return rc ? rc : callback != 0;
}

int ts_domain_shutdown(uint32_t domid, const char *how)
{
    struct store *s;
    char path[64];
    int rc = ts_domain_pvcontrol(domid);

    if (rc < 0)
        return rc;
    if (!rc)
        return -EOPNOTSUPP;
    if ((rc = store_or_fail(&s)))
        return rc;
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    return store_write(s, path, how);
}

int ts_domain_rename(uint32_t domid, const char *name)
{
    char path[160], *vm;
    struct store *s;
    uint32_t other;
    int rc;

    if (!name[0] || strlen(name) >= TS_NAME_MAX)
        return -EINVAL;
    if (!ts_find_domain(name, &other))
        return other == domid ? 0 : -EEXIST;
    if ((rc = store_or_fail(&s)))
        return rc;
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm = store_read(s, path, NULL);
    if (vm && vm[0] == '/') {
        snprintf(path, sizeof(path), "%s/name", vm);
        store_write(s, path, name);
    }
    free(vm);
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    return store_write(s, path, name);
}

/* memory/<key> in KiB, or the fallback when the node is absent. */
static uint64_t memory_node(struct store *s, uint32_t domid, const char *key, uint64_t fallback)
{
    char path[80];

    snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", domid, key);
    return store_read_u64(s, path, fallback);
}

static int memory_write(struct store *s, uint32_t domid, const char *key, uint64_t kb)
{
    char path[80], v[24];

    snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", domid, key);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)kb);
    return store_write(s, path, v);
}

int ts_set_memory_target(uint32_t domid, uint64_t target_kb)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s;
    int rc;

    if ((rc = ctl_domain_info(domid, &info)) || (rc = store_or_fail(&s)))
        return rc;
    if (target_kb > memory_node(s, domid, "static-max", info.max_pages * 4))
        return -E2BIG;
    /* libxl's "enforce": the hypervisor refuses the guest anything above the target. */
    rc = ctl_max_mem(domid, target_kb + MAXMEM_SLACK_KB);
    /* A hypervisor without max_mem keeps the bound the domain was built with. */
    if (rc && rc != -ENOSYS)
        return rc;
    return memory_write(s, domid, "target", target_kb);
}

int ts_set_memory_max(uint32_t domid, uint64_t max_kb)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s;
    int rc;

    if ((rc = ctl_domain_info(domid, &info)) || (rc = store_or_fail(&s)))
        return rc;
    if (max_kb < memory_node(s, domid, "target", info.tot_pages * 4))
        return -ERANGE;
    if ((rc = ctl_max_mem(domid, max_kb + MAXMEM_SLACK_KB)))
        return rc;
    return memory_write(s, domid, "static-max", max_kb);
}

int ts_set_vcpus_online(uint32_t domid, unsigned int n)
{
    xen_domctl_getdomaininfo_t info;
    struct store *s;
    char path[80];
    int rc;

    if ((rc = ctl_domain_info(domid, &info)) || (rc = store_or_fail(&s)))
        return rc;
    if (!n || info.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID || n > info.max_vcpu_id + 1u)
        return -ERANGE;
    for (uint32_t v = 0; v <= info.max_vcpu_id; v++) {
        snprintf(path, sizeof(path), "/local/domain/%u/cpu/%u/availability", domid, v);
        if ((rc = store_write(s, path, v < n ? "online" : "offline")))
            return rc;
    }
    return 0;
}
