/*
 * Creating a domain from a parsed xl.cfg, in the order of Xen 4.17's xl create
 * (linux-dom0-abi.md section 7): files read and the layout checked before anything exists,
 * then createdomain, limits, memory, images, start state, xenstore, unpause. Any step that
 * fails undoes every one before it and names itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "toolstack/build.h"
#include "toolstack/toolstack.h"

static void uuid_text(const uint8_t *u, char *buf, size_t len)
{
    snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}

/* A PVH domain as libxl asks for one; the hypervisor picks its id. */
static int create_domain(struct build *b)
{
    struct xen_domctl_createdomain c = { 0 };

    c.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    c.arch.emulation_flags = XEN_X86_EMU_LAPIC;
    c.max_vcpus = b->cfg->max_vcpus;
    c.max_evtchn_port = 1023;           /* libxl's default event_channels */
    c.max_grant_frames = c.max_maptrack_frames = -1;   /* the hypervisor's defaults */
    c.grant_opts = XEN_DOMCTL_GRANT_version(1);
    memcpy(c.handle, b->cfg->uuid, sizeof(c.handle));
    b->domid = DOMID_INVALID;
    return ctl_domain_create(&c, &b->domid);
}

static int limits(struct build *b)
{
    const struct ts_domain_config *c = b->cfg;
    /* libxl__build_pre's order: the vCPUs made, their affinity, then the memory limit. */
    int rc = ctl_max_vcpus(b->domid, c->max_vcpus);

    if (rc)
        snprintf(b->why, sizeof(b->why), "max_vcpus: %s", strerror(-rc));

    for (unsigned int i = 0; !rc && i < c->n_hard_affinity && i < c->max_vcpus; i++) {
        uint64_t mask = c->hard_affinity[i];

        rc = ctl_vcpu_affinity(b->domid, i, &mask, true);
        if (rc)
            snprintf(b->why, sizeof(b->why), "vCPU %u affinity: %s", i, strerror(-rc));
    }
    for (unsigned int i = 0; !rc && i < c->n_soft_affinity && i < c->max_vcpus; i++) {
        uint64_t mask = c->soft_affinity[i];

        rc = ctl_vcpu_soft_affinity(b->domid, i, &mask, true);
        if (rc)
            snprintf(b->why, sizeof(b->why), "vCPU %u soft affinity: %s", i, strerror(-rc));
    }
    if (!rc && (rc = ctl_max_mem(b->domid, c->max_memkb + BUILD_MAXMEM_SLACK_KB)))
        snprintf(b->why, sizeof(b->why), "max_mem: %s", strerror(-rc));
    if (!rc && (c->weight >= 0 || c->cap >= 0)) {
        struct xen_domctl_sched_credit p = { 0, 0 };

        rc = ctl_sched_credit(b->domid, &p, false);
        if (c->weight >= 0)
            p.weight = (uint16_t)c->weight;
        if (c->cap >= 0)
            p.cap = (uint16_t)c->cap;
        rc = rc ? rc : ctl_sched_credit(b->domid, &p, true);
        if (rc)
            snprintf(b->why, sizeof(b->why), "scheduler weight/cap: %s", strerror(-rc));
    }
    return rc;
}

enum progress { NOTHING, CREATED, NODES, SAVED };

/* One step: its name kept for the message, its reason from b->why or the errno. */
static int step(struct build *b, const char **name, const char *this, int rc)
{
    *name = this;
    if (rc && !b->why[0])
        snprintf(b->why, sizeof(b->why), "%s", strerror(rc < 0 ? -rc : EINVAL));
    return rc;
}

static int run_steps(struct build *b, bool paused, enum progress *done, const char **name)
{
    int rc;

    if ((rc = step(b, name, "kernel", build_read_files(b))) ||
        (rc = step(b, name, "memory layout", build_layout(b))) ||
        (rc = step(b, name, "createdomain", create_domain(b))))
        return rc;
    *done = CREATED;
    if ((rc = step(b, name, "limits", limits(b))) ||
        (rc = step(b, name, "memory", build_populate(b))) ||
        (rc = step(b, name, "kernel load", build_load_images(b))) ||
        (rc = step(b, name, "start info", build_start_info(b))) ||
        (rc = step(b, name, "vcpu context", build_vcpu0(b))))
        return rc;
    rc = step(b, name, "xenstore", build_store_nodes(b));
    *done = NODES;                      /* some nodes may be there even if it failed */
    if (rc || (rc = step(b, name, "config save", ts_userdata_save(b->domid, b->uuid, b->cfg))))
        return rc;
    *done = SAVED;
    return paused ? 0 : step(b, name, "unpause", ctl_unpause(b->domid));
}

int ts_domain_create(const struct ts_domain_config *cfg_in, bool paused, uint32_t *domid,
                     struct ts_create_error *err)
{
    struct ts_domain_config cfg = *cfg_in;  /* the defaults touch only numbers */
    struct build *b = calloc(1, sizeof(*b));
    enum progress done = NOTHING;
    const char *name = "setup";
    int rc;

    if (!b)
        return -ENOMEM;
    ts_config_setdefault(&cfg);
    b->cfg = &cfg;
    uuid_text(cfg.uuid, b->uuid, sizeof(b->uuid));
    rc = run_steps(b, paused, &done, &name);
    if (rc) {
        if (done >= SAVED)
            ts_userdata_remove(b->domid);
        if (done >= NODES)
            build_store_remove(b);
        if (done >= CREATED)
            ts_domain_destroy(b->domid);
        if (err) {
            err->step = name;
            snprintf(err->why, sizeof(err->why), "%s", b->why);
        }
    } else {
        *domid = b->domid;
    }
    kimage_free(&b->k);
    free(b->kernel);
    free(b->ramdisk);
    free(b);
    return rc;
}
