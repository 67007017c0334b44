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
#include <kumo/list.h>
#include <kumo/spinlock.h>
#include <kumo/sched_policy.h>
#include <kumo/timer.h>

#define MAX_DOMAINS     128
#define MAX_VCPUS       64              /* poll_mask has a bit per vCPU */
#define DOMID_INVALID   0x7FF4
#define DOMAIN_NAME_LEN 32

struct p2m_extent {
    unsigned long gfn, mfn, nr;
};

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
    bool launched;                  /* VMX: VMLAUNCH done */
    uint64_t msr_kgs, msr_star, msr_lstar, msr_cstar, msr_sfmask;   /* VMX-only MSR state */
    uint64_t efer;                  /* guest view */
    uint64_t cr0_shadow;            /* VMX guest view of CR0 */
    uint64_t tsc_offset;
    uint64_t exit_rip;              /* RIP at the last exit: a skip ends an STI shadow */
    struct hvm_vcpu_state vmx_start; /* VMX: written into the VMCS when next loaded */
    struct vlapic vlapic;
    struct vmce vmce;
    uint64_t debugctl;              /* stored; LBR/BTF are not emulated */
    void *ext_state;                /* XSAVE/FXSAVE image (ext_state.c) */
    uint64_t xcr0;                  /* guest's XCR0, validated on XSETBV */
    uint64_t dr[4], dr6, cr2;       /* in the hardware only while it runs */
    uint64_t tlb_clean_cpus;        /* VMX: pCPUs that dropped stale VPID/EPT entries for it */
};

struct vcpu {
    unsigned int id;
    struct vcpu_info *vcpu_info;    /* registered copy (direct map), or NULL: shared_info's */
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
    struct hvm_vcpu_state start_state;
    struct sched_item sched;        /* what the scheduling policy sees of it */
    uint64_t cpu_time_ns;
    bool in_multicall;              /* a nested multicall answers -EINVAL, as in Xen */
    bool hcall_preempted;           /* the handler set up a continuation: RAX is not the result */
    struct vcpu_arch arch;
};

struct domain {
    uint16_t domid;
    char name[DOMAIN_NAME_LEN];
    bool privileged;
    bool is_dying;
    bool is_shutdown;
    unsigned int shutdown_code;
    unsigned int nr_vcpus;
    unsigned int max_vcpus;         /* fixed at creation; XEN_DOMCTL_max_vcpus must agree */
    struct vcpu *vcpus[MAX_VCPUS];
    uint64_t cpumask;               /* pCPUs its vCPUs may use (boot-time cpus=) */
    struct sched_dom sched;         /* scheduling parameters (weight, cap, SEDF's) */

    /* Memory: blocks from the page allocator, mapped contiguously from GFN 0. */
    spinlock_t page_lock;           /* page_list, extents, tot_pages once the domain runs */
    struct list_head page_list;     /* block heads; page_info.order = block order */
    struct p2m_extent *extents;     /* gfn -> mfn runs, sorted by gfn */
    unsigned int nr_extents, max_extents;
    unsigned long tot_pages, max_pages;
    unsigned long p2m_pages;        /* page-table pages of the p2m */
    struct list_head p2m_page_list;
    paddr_t p2m_root;               /* PML4 of the NPT/EPT tables */
    struct list_head returned_pages; /* ballooned out, freed once no vCPU can reach them */
    struct domain_e820 {            /* the memory map start_info gave (XENMEM_memory_map) */
        uint64_t addr, size;
        uint32_t type;
    } e820[8];
    unsigned int nr_e820;
    unsigned long shared_info_gfn;  /* ~0 until placed */
    void *shared_info;              /* allocated with the domain, mapped when asked */
    bool compat_shinfo;             /* shared_info, vcpu_info, runstate in the 32-bit layout */

    /* Event channels and HVM parameters. */
    spinlock_t event_lock;
    struct evtchn *evtchn;          /* NR_EVENT_CHANNELS entries */
    uint64_t hvm_params[39];        /* HVM_NR_PARAMS */
    uint8_t callback_vector;        /* from HVM_PARAM_CALLBACK_IRQ type 2; 0 = none */
    uint64_t poll_mask;             /* vCPUs in SCHEDOP_poll, by id: raises skip it when 0 */

    /* Console: 0xE9 and console_io output is line-buffered here, under console_lock. */
    spinlock_t console_lock;
    char conbuf[160];
    unsigned int conlen;
    unsigned long console_tokens;   /* rate limit for DomU console_io */
    int64_t console_refill;
};

extern struct domain *domain_table[MAX_DOMAINS];
extern spinlock_t domlist_lock;

/*
 * Creates an empty, paused domain with no memory and no vCPUs. domid DOMID_INVALID picks
 * the lowest free id. Returns the domain or NULL (with *err) on failure. Undone by
 * domain_destroy().
 */
struct domain *domain_create(uint16_t domid, const char *name, bool privileged, int *err);
/* Adds nr vCPUs (vendor state included). 0 or -errno, with nothing left half-made. */
int domain_create_vcpus(struct domain *d, unsigned int nr);
/*
 * Guest-physical layout: RAM from 0 up to the MMIO hole (LAPIC page and the rest of the
 * last 256 MiB below 4 GiB, as in Xen's HVM default), the remainder from 4 GiB.
 */
#define GUEST_MMIO_HOLE_START   0xF0000000ULL
#define GUEST_HIGH_RAM_START    0x100000000ULL
/* Gives d `bytes` of RAM in that layout (2 MiB pages where possible). 0 or -ENOMEM. */
int domain_populate(struct domain *d, uint64_t bytes);
/*
 * With d->page_lock held (as for domain_free_returned and domain_populate_gfn): takes
 * the RAM page at gfn away from d (tot_pages included) without freeing it; the caller
 * clears the p2m entry, flushes, then hands it to domain_free_returned(). NULL when gfn
 * is not d's RAM.
 */
struct page_info *domain_take_gfn(struct domain *d, unsigned long gfn);
/* The frame backs something the hypervisor writes through the direct map (vcpu_info). */
bool domain_frame_pinned(struct domain *d, unsigned long mfn);
/*
 * Queues pages taken from d (their p2m entries cleared and flushed) for freeing, and
 * frees everything queued when no other vCPU of d is in guest mode, where a stale
 * translation could still reach them; the rest waits for the next call or domain_destroy.
 */
void domain_free_returned(struct domain *d, struct list_head *pages);
/*
 * Gives d a zeroed block of 2^order frames at gfn (the balloon's populate_physmap).
 * 0; -ENOMEM when max_pages would be passed, the p2m's tables have reached their pool
 * (p2m_pool_pages), the heap is empty or the block it got
 * ends above max_addr (bytes, 0 = no limit); -EBUSY when a frame of the range is already
 * mapped; -EINVAL for a range beyond P2M_MAX_GFN.
 */
int domain_populate_gfn(struct domain *d, unsigned long gfn, unsigned int order,
                        uint64_t max_addr);
/* Marks every online vCPU runnable. */
void domain_unpause(struct domain *d);
/* Guest asked to stop (SCHEDOP_shutdown): records the reason and stops its vCPUs. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* Something the guest did cannot go on: logs "d<N> crashed: why", stops the domain. */
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees everything the domain holds and releases its id. The domain must be stopped. */
void domain_destroy(struct domain *d);
struct domain *domain_by_id(uint16_t domid);
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
