/*
 * The fake platform's hypervisor, for host unit tests (fake.c): a few domains, a console
 * ring and the control operations xl uses, in memory. Tests set it up through fake_hv and
 * look at it afterwards.
 */
#ifndef PLAT_FAKE_H
#define PLAT_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <kumo.h>
#include <xen/xen.h>
#include <xen/hvm/params.h>

#define FAKE_MAX_DOMAINS 16
#define FAKE_MAX_VCPUS 8
#define FAKE_MAX_GFN (1u << 20)         /* guests' memory lies below 4 GiB here */
#define FAKE_HVM_CTX_MAX 4096

struct fake_vcpu {
    bool online, running, blocked;
    unsigned int cpu;
    uint64_t time_ns, affinity, soft_affinity;
};

struct fake_domain {
    bool exists, shutdown, dying;
    unsigned int reason, pause_count, nr_vcpus, max_vcpus;
    char name[KUMO_DOMAIN_NAME_MAX];
    uint64_t tot_pages, max_pages;
    struct fake_vcpu vcpu[FAKE_MAX_VCPUS];
    unsigned int weight, cap;
    struct kumo_domctl_sched_sedf sedf;
    /* What a domain builder sets up (createdomain and after). */
    uint8_t handle[16];
    uint8_t **mem;                      /* page contents by GFN, NULL where unpopulated */
    uint64_t params[HVM_NR_PARAMS];
    struct { uint64_t addr, size; uint32_t type; } memmap[16];
    unsigned int nr_memmap;
    uint8_t hvm_ctx[FAKE_HVM_CTX_MAX];  /* save records: HEADER, CPU per vCPU, END */
    uint32_t hvm_ctx_len;
    uint32_t next_port, emulation_flags, create_flags;
};

#define FAKE_MAX_PORTS 32

/* A port of Dom0's event channel device; port 0 is never handed out, as in Xen. */
struct fake_port {
    bool bound;
    uint32_t domid, remote;
    unsigned int notified;              /* plat_evtchn_notify calls on it */
};

struct fake_hv {
    unsigned int nr_cpus;
    uint32_t sched_id;
    struct xen_sysctl_credit_schedule credit;   /* Pool-0's, as XEN_SYSCTL_scheduler_op has them */
    uint32_t capabilities;              /* physinfo's XEN_SYSCTL_PHYSCAP_* */
    uint64_t total_pages, free_pages;
    struct fake_domain dom[FAKE_MAX_DOMAINS];
    char console[4096];
    uint32_t con_len, con_cleared;      /* bytes written, bytes cleared */
    char keys[64];                      /* debug keys received */
    bool no_privcmd;                    /* plat_open fails as off Xen */
    struct fake_port port[FAKE_MAX_PORTS];
    uint32_t fired[FAKE_MAX_PORTS];     /* ports a test raised, for plat_evtchn_pending */
    unsigned int nr_fired;
    unsigned int fail_at;               /* the fail_at'th call from now fails (0: none) */
    unsigned int calls;                 /* hypercalls and foreign mappings counted */
    unsigned int nr_maps;               /* foreign mappings alive */
};

extern struct fake_hv fake_hv;

/* Two pCPUs, credit, 1 GiB, Dom0 ("Domain-0", 512 MiB, 1 vCPU), an empty console. */
void fake_reset(void);
/* Adds a running domain with mib MiB and vcpus vCPUs, every one allowed on every pCPU. */
void fake_add_domain(uint32_t domid, const char *name, unsigned int mib, unsigned int vcpus);
void fake_console_write(const char *s);
/* Raises a bound port as if its peer had notified it. */
void fake_evtchn_fire(uint32_t port);
/* A page of domid's memory, or NULL where it has none. */
uint8_t *fake_guest_page(uint32_t domid, uint64_t gfn);

#endif
