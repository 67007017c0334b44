/*
 * Domains and vCPUs. A domain owns its memory (a list of page blocks, mapped by its p2m),
 * its vCPUs and its console line buffer. Lifecycle: domain_create -> vcpus created ->
 * domain_unpause; domain_shutdown (guest's request) or domain_crash; domain_destroy frees
 * everything. domlist_lock protects the domain table.
 */
#ifndef KUMO_DOMAIN_H
#define KUMO_DOMAIN_H

#include <asm/hvm.h>
#include <asm/vlapic.h>
#include <asm/vmce.h>
#include <kumo/grant_table.h>
#include <kumo/list.h>
#include <kumo/pit_channel2.h>
#include <kumo/spinlock.h>
#include <kumo/sched_policy.h>
#include <kumo/timer.h>

#define MAX_DOMAINS     128
#define MAX_VCPUS       64              /* poll_mask has a bit per vCPU */
#define DOMID_INVALID   0x7FF4
#define DOMID_ROVER     0x7FF0          /* domain_list: the next free id after the last such */
#define DOMAIN_NAME_LEN 32

struct evtchn {
    uint8_t state;                  /* EVTCHNSTAT_* */
    uint16_t notify_vcpu;
    uint16_t remote_domid;          /* unbound: who may bind; interdomain: the peer */
    uint32_t remote_port;           /* interdomain */
    uint32_t virq;                  /* virq */
};

enum vcpu_state { VCPU_OFFLINE, VCPU_RUNNABLE, VCPU_RUNNING, VCPU_BLOCKED };

struct vcpu_arch {
    struct guest_regs regs;
    void *vmcs_or_vmcb;             /* vendor's page */
    paddr_t vmcs_or_vmcb_pa;
    uint32_t asid_or_vpid;
    uint64_t asid_generation;
    int last_pcpu;
    /*
     * The p2m flush handshake (p2m_flush_sync): guest_epoch is odd while this vCPU may be
     * in guest mode; need_flush asks its next entry to drop every cached translation.
     */
    uint32_t guest_epoch;
    bool need_flush;
    void *vendor;                   /* the vendor's own state (VT-x: vmx/vmx.h's vmx_vcpu) */
    uint64_t efer;                  /* guest view */
    uint64_t tsc_offset;
    uint64_t exit_rip;              /* RIP at the last exit: a skip ends an STI shadow */
    struct vlapic vlapic;
    struct vmce vmce;
    uint64_t debugctl;              /* stored; LBR/BTF are not emulated */
    void *ext_state;                /* XSAVE/FXSAVE image (ext_state.c) */
    uint64_t xcr0;                  /* guest's XCR0, validated on XSETBV */
    uint64_t dr[4], dr6, cr2;       /* in the hardware only while it runs */
    struct exit_trace *exit_trace;  /* its last exits (kumo/exit_trace.h), or NULL */
};

struct vcpu {
    unsigned int id;
    struct vcpu_info *vcpu_info;    /* registered copy (direct map), or NULL: shared_info's */
    bool vcpu_info_claimed;         /* VCPUOP_register_vcpu_info ran (it holds a page ref) */
    unsigned int virq_to_port[24];  /* NR_VIRQS */
    struct timer singleshot_timer;
    struct timer poll_timer;        /* SCHEDOP_poll's timeout */
    int poll_port;                  /* in SCHEDOP_poll (domain's poll_mask): this port, -1 any */
    uint64_t runstate_gva;          /* guest's vcpu_runstate_info, 0 = none */
    bool hcall_compat;              /* the hypercall being served came from 32-bit mode */
    uint64_t compat_xlat[64];       /* its arguments in native form (kumo/compat.h) */
    uint64_t runstate_entry;        /* system time the current state began */
    uint64_t runstate_time[4];      /* ns spent running, runnable, blocked, offline */
    struct domain *domain;
    enum vcpu_state state;
    unsigned int pcpu;              /* where it runs (no scheduler yet: fixed) */
    bool is_up;                     /* not down (VCPUOP_down, INIT): may be scheduled */
    bool initialised;               /* has a register state (built, SIPI, VCPUOP_initialise) */
    bool start_pending;             /* started while still leaving its pCPU: see below */
    bool start_fresh;               /* ... from start_state, not where it stopped */
    bool wake_on_unpause;           /* runnable (or woken) while its domain was paused */
    struct hvm_vcpu_state start_state;
    struct sched_item sched;        /* what the scheduling policy sees of it */
    uint64_t cpu_time_ns;
    bool in_multicall;              /* a nested multicall answers -EINVAL, as in Xen */
    bool hcall_preempted;           /* the handler set up a continuation: RAX is not the result */
    struct vcpu_arch arch;
};

struct domain {
    uint16_t domid;
    uint32_t refcnt;                /* the table's reference + domain_lookup()s not yet put */
    bool vcpus_off;                 /* shut down and on no pCPU: the scheduler said so */
    struct {                        /* kernel/domain_lifecycle.c's, once it is released */
        struct domain *next;
        bool log;
        unsigned long pages;
        uint64_t cpu_ms;
    } reap;
    char name[DOMAIN_NAME_LEN];
    uint8_t handle[16];             /* the toolstack's UUID (XEN_DOMCTL_createdomain) */
    bool privileged;
    bool is_dying;                  /* domain_destroy() began: unlisted, ports closed */
    bool is_killed;                 /* XEN_DOMCTL_destroydomain asked for its end */
    bool is_shutdown;
    /* Built by the toolstack: a shutdown leaves it listed for XEN_DOMCTL_destroydomain (and
     * the toolstack's on_* actions), as in Xen; boot-time domains are reaped at shutdown. */
    bool kept_on_shutdown;
    unsigned int shutdown_code;
    unsigned int controller_pause_count;    /* XEN_DOMCTL_pausedomain's, under sched_lock */
    unsigned int nr_vcpus;
    unsigned int max_vcpus;         /* fixed at creation; XEN_DOMCTL_max_vcpus must agree */
    struct vcpu *vcpus[MAX_VCPUS];
    uint64_t cpumask;               /* pCPUs its vCPUs may use (boot-time cpus=) */
    struct sched_dom sched;         /* scheduling parameters (weight, cap, SEDF's) */

    /* Memory: blocks from the page allocator, mapped contiguously from GFN 0. */
    spinlock_t page_lock;           /* page_list, p2m entries, tot_pages once the domain runs */
    struct list_head page_list;     /* block heads; page_info.order = block order */
    unsigned long max_mapped_gfn;   /* the p2m's high-water mark (XENMEM_maximum_gpfn) */
    unsigned long tot_pages, max_pages;
    unsigned long p2m_pages;        /* page-table pages of the p2m, charged to d */
    /* For crash reports: how many p2m entries were written or cleared, and the last one. */
    unsigned long p2m_changes, p2m_last_gfn;
    int64_t p2m_last_change;
    unsigned long p2m_limit;        /* their bound once the domain runs; 0 while built */
    struct list_head p2m_page_list;
    paddr_t p2m_root;               /* PML4 of the NPT/EPT tables */
    struct domain_e820 {            /* the memory map start_info gave (XENMEM_memory_map) */
        uint64_t addr, size;
        uint32_t type;
    } e820[16];
    unsigned int nr_e820;
    struct foreign_map *foreign;    /* other domains' pages mapped here, by gfn (physmap.h) */
    unsigned int nr_foreign, max_foreign;
    unsigned long shared_info_gfn;  /* ~0 until placed */
    void *shared_info;              /* allocated with the domain, mapped when asked */
    bool compat_shinfo;             /* shared_info, vcpu_info, runstate in the 32-bit layout */
    struct domain_gnttab gnttab;    /* its grant table's frames (kernel/grant_table.c) */

    /* Event channels and HVM parameters. */
    spinlock_t event_lock;
    struct evtchn *evtchn;          /* NR_EVENT_CHANNELS entries */
    unsigned int max_evtchn_port;   /* the highest port it may use (createdomain's bound) */
    uint64_t hvm_params[39];        /* HVM_NR_PARAMS */
    uint8_t callback_vector;        /* from HVM_PARAM_CALLBACK_IRQ type 2; 0 = none */
    uint64_t poll_mask;             /* vCPUs in SCHEDOP_poll, by id: raises skip it when 0 */

    spinlock_t pit_lock;
    struct pit_channel2 pit;        /* ports 0x42, 0x43, 0x61 (arch/x86/hvm/pit_channel2.c) */

    /* Console: 0xE9 and console_io output is line-buffered here, under console_lock. */
    spinlock_t console_lock;
    char conbuf[160];
    unsigned int conlen;
    unsigned long console_tokens;   /* rate limit for DomU console_io */
    int64_t console_refill;
};

/*
 * The domain table (kernel/domain_ref.c). A listed domain holds one reference for the table;
 * every other pointer to a domain that outlives a lock is a counted reference. Lock order:
 * docs/locking.md.
 */
extern struct domain *domain_table[MAX_DOMAINS];
extern spinlock_t domlist_lock;
/* A counted reference to the listed domain domid, or NULL. Undone by domain_put(). */
struct domain *domain_lookup(uint16_t domid);
/* The same, where DOMID_SELF or self's own id name self (which is counted as well). */
struct domain *domain_lookup_or_self(struct domain *self, uint16_t domid);
/* Another reference to d, for a caller already holding one. */
void domain_get(struct domain *d);
/* Drops a reference; the last one hands d to domain_release(). Any context, no lock held. */
void domain_put(struct domain *d);
/*
 * Iteration: a counted reference to the first listed domain with id >= *domid (which is set
 * to its id), or NULL. The caller puts it and asks again from *domid + 1.
 */
struct domain *domain_next(unsigned int *domid);
/*
 * Lists d under domid (DOMID_INVALID: the lowest free one, 0 only when privileged;
 * DOMID_ROVER: the first free one after the last id picked that way, as Xen's createdomain
 * picks, never 0) with the table's reference. 0, -ENOSPC or -EEXIST.
 */
int domain_list(struct domain *d, uint16_t domid, bool privileged);
/* Takes d out of the table (new lookups miss it); true if it was listed. */
bool domain_unlist(struct domain *d);
/* The last reference is gone: frees d later, on CPU 0 (kernel/domain_lifecycle.c). */
void domain_release(struct domain *d);
/* Frees everything d holds and d itself; only domain_release() calls it (kernel/domain.c). */
void domain_free(struct domain *d);

/*
 * Creates an empty, paused domain with no memory and no vCPUs. domid DOMID_INVALID picks
 * the lowest free id. Returns the domain or NULL (with *err) on failure. Undone by
 * domain_destroy().
 */
struct domain *domain_create(uint16_t domid, const char *name, bool privileged, int *err);
/* Adds nr vCPUs (vendor state included). 0 or -errno, with nothing left half-made. */
int domain_create_vcpus(struct domain *d, unsigned int nr);
/*
 * The vCPUs from first on were just made: their LAPICs reset, each placed on a pCPU.
 * With boot (and first 0), vCPU 0 gets that register state and is up; the others wait for
 * INIT/SIPI or VCPUOP_up. kernel/vcpu.c.
 */
void vcpus_ready(struct domain *d, unsigned int first, const struct hvm_vcpu_state *boot);
/* Frees v and its vendor and scheduler state; v runs nowhere and its timers are killed. */
void vcpu_destroy(struct vcpu *v);
/*
 * The rest of a vCPU's life (kernel/vcpu.c). vcpu_down: takes v down (VCPUOP_down,
 * INIT); it stops being scheduled, leaving its pCPU at the next softirq check if it runs
 * there. Any pCPU.
 */
void vcpu_down(struct vcpu *v);
/*
 * vcpu_down(), and when no vCPU of the domain is left up it powers off: Xen's rule for
 * VCPUOP_down and for HLT with interrupts disabled.
 */
void vcpu_down_or_poweroff(struct vcpu *v);
/*
 * Brings a down v up: from state s with its LAPIC reset (a SIPI), or with s NULL where it
 * stopped (VCPUOP_up). Done once v is off every pCPU; then it is runnable. 0, -EEXIST when
 * v is up, -EINVAL when s is NULL and v never had a register state.
 */
int vcpu_start(struct vcpu *v, const struct hvm_vcpu_state *s);
/* VCPUOP_initialise: gives a v that never ran its register state. 0 or -EEXIST. */
int vcpu_initialise(struct vcpu *v, const struct hvm_vcpu_state *s);
/*
 * Called by the scheduler, its lock held, when a down v of a live domain has left its
 * pCPU: a start asked for meanwhile happens now.
 */
void vcpu_off_pcpu_locked(struct vcpu *v);
/*
 * Guest-physical layout: RAM from 0 up to the MMIO hole (LAPIC page and the rest of the
 * last 256 MiB below 4 GiB, as in Xen's HVM default), the remainder from 4 GiB.
 */
#define GUEST_MMIO_HOLE_START   0xF0000000ULL
#define GUEST_HIGH_RAM_START    0x100000000ULL
/* Populating and releasing guest frames: include/kumo/physmap.h. */
/* Marks every online vCPU runnable. */
void domain_unpause(struct domain *d);
/* Boot CPU, once timers work: the reaper that destroys stopped domains and frees released ones. */
void domain_lifecycle_init(void);
/* Guest asked to stop (SCHEDOP_shutdown): records the reason and stops its vCPUs. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* Something the guest did cannot go on: logs "d<N> crashed: why", stops the domain. */
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Takes a stopped (or never started) domain down: out of the table, its event channels
 * closed, its timers killed, then drops the table's reference. The memory goes back when
 * the last reference does. kernel/domain_lifecycle.c.
 */
void domain_destroy(struct domain *d);
/*
 * The scheduler's word that every vCPU of the shut-down d is off every pCPU (called once,
 * under the scheduler's lock): d may now be reaped.
 */
void domain_vcpus_off(struct domain *d);
/*
 * XEN_DOMCTL_destroydomain: stops d's vCPUs as a shutdown does; the reaper destroys it once
 * none runs (within milliseconds). Never for Dom0, whose end is the machine's.
 */
void domain_kill(struct domain *d);
/* Writes the wall clock (wc_*) into d's shared_info in its current layout. */
void domain_set_wallclock(struct domain *d);

/* Guest-physical to host-physical, for domain memory. Takes d->page_lock. */
bool gfn_to_mfn(struct domain *d, unsigned long gfn, unsigned long *mfn);
/* The same, for callers holding d->page_lock. */
bool gfn_to_mfn_locked(struct domain *d, unsigned long gfn, unsigned long *mfn);
/* Copy to/from guest-physical memory; false if any byte lies outside the domain's RAM. */
bool copy_to_guest_phys(struct domain *d, uint64_t gpa, const void *src, size_t len);
bool copy_from_guest_phys(struct domain *d, void *dst, uint64_t gpa, size_t len);

/* Current vCPU of this pCPU (NULL in the idle loop). */
struct vcpu *current_vcpu(void);
void set_current_vcpu(struct vcpu *v);

#endif
