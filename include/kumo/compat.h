/*
 * Xen's 32-bit ("compat") ABI: the argument layouts of a guest calling in 32-bit mode and
 * the 32-bit shared_info/vcpu_info a domain gets once it latches 32-bit mode. Xen generates
 * these from its public headers (xen/include/compat); Debian's headers ship only the native
 * ones, so the few structures whose layout differs are spelled out here and checked field by
 * field against Xen's own headers compiled for i386 (tests/guests/lib/compat_check.c).
 * In the i386 ABI unsigned long, xen_pfn_t, xen_ulong_t and guest handles are 32 bits wide
 * and uint64_t is 4-byte aligned.
 */
#ifndef KUMO_COMPAT_H
#define KUMO_COMPAT_H

#include <kumo/types.h>

typedef uint32_t compat_ulong_t;
typedef uint32_t compat_handle_t;
typedef uint64_t compat_u64 __attribute__((aligned(4)));

struct compat_add_to_physmap {
    uint16_t domid;
    uint16_t size;
    uint32_t space;
    compat_ulong_t idx;
    compat_ulong_t gpfn;
};

struct compat_vcpu_set_singleshot_timer {
    compat_u64 timeout_abs_ns;
    uint32_t flags;
};

struct compat_vcpu_register_runstate_memory_area {
    union {
        compat_handle_t h;
        compat_handle_t v;
        compat_u64 p;
    } addr;
};

struct compat_vcpu_runstate_info {
    int state;
    compat_u64 state_entry_time;
    compat_u64 time[4];
};

struct compat_sched_poll {
    compat_handle_t ports;
    unsigned int nr_ports;
    compat_u64 timeout;
};

typedef uint32_t compat_pfn_t;

struct compat_memory_reservation {
    compat_handle_t extent_start;       /* compat_pfn_t entries */
    compat_ulong_t nr_extents;
    unsigned int extent_order;
    unsigned int mem_flags;
    uint16_t domid;
};

/* A multicall entry: op, result and the arguments are each 32 bits. */
struct compat_multicall_entry {
    compat_ulong_t op;
    int32_t result;
    compat_ulong_t args[6];
};

struct compat_memory_map {
    unsigned int nr_entries;
    compat_handle_t buffer;
};

struct compat_platform_parameters {
    compat_ulong_t virt_start;
};

/* vcpu_info and shared_info: only the fields the hypervisor writes, at Xen's offsets. */
struct compat_vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    compat_ulong_t evtchn_pending_sel;
    compat_ulong_t cr2, pad[5];
    uint8_t time[32];                   /* struct vcpu_time_info: the same in both ABIs */
};

#define COMPAT_EVTCHN_WORDS 32          /* bits of a compat_ulong_t: 1024 2-level ports */

struct compat_shared_info {
    struct compat_vcpu_info vcpu_info[32];
    compat_ulong_t evtchn_pending[COMPAT_EVTCHN_WORDS];
    compat_ulong_t evtchn_mask[COMPAT_EVTCHN_WORDS];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    compat_ulong_t max_pfn, pfn_to_mfn_frame_list_list, nmi_reason;
    compat_ulong_t p2m_cr3, p2m_vaddr, p2m_generation;
    uint32_t wc_sec_hi;
};

/*
 * The same layout whichever ABI compiles this (every member is at most 4-byte aligned):
 * compat_check.c matches it with Xen's i386 headers, these numbers hold it in the hypervisor.
 */
#define COMPAT_LAYOUT(type, field, off) \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field)
_Static_assert(sizeof(struct compat_add_to_physmap) == 16, "compat_add_to_physmap");
_Static_assert(sizeof(struct compat_vcpu_set_singleshot_timer) == 12, "compat singleshot");
_Static_assert(sizeof(struct compat_vcpu_register_runstate_memory_area) == 8, "compat area");
_Static_assert(sizeof(struct compat_vcpu_runstate_info) == 44, "compat_vcpu_runstate_info");
_Static_assert(sizeof(struct compat_sched_poll) == 16, "compat_sched_poll");
_Static_assert(sizeof(struct compat_memory_map) == 8, "compat_memory_map");
_Static_assert(sizeof(struct compat_memory_reservation) == 20, "compat_memory_reservation");
_Static_assert(sizeof(struct compat_multicall_entry) == 32, "compat_multicall_entry");
COMPAT_LAYOUT(compat_memory_reservation, domid, 16);
COMPAT_LAYOUT(compat_multicall_entry, args, 8);
_Static_assert(sizeof(struct compat_vcpu_info) == 64, "compat_vcpu_info");
_Static_assert(sizeof(struct compat_shared_info) == 2344, "compat_shared_info");
COMPAT_LAYOUT(compat_add_to_physmap, gpfn, 12);
COMPAT_LAYOUT(compat_vcpu_set_singleshot_timer, flags, 8);
COMPAT_LAYOUT(compat_vcpu_runstate_info, state_entry_time, 4);
COMPAT_LAYOUT(compat_vcpu_runstate_info, time, 12);
COMPAT_LAYOUT(compat_sched_poll, timeout, 8);
COMPAT_LAYOUT(compat_vcpu_info, evtchn_pending_sel, 4);
COMPAT_LAYOUT(compat_vcpu_info, time, 32);
COMPAT_LAYOUT(compat_shared_info, evtchn_pending, 2048);
COMPAT_LAYOUT(compat_shared_info, evtchn_mask, 2176);
COMPAT_LAYOUT(compat_shared_info, wc_version, 2304);
COMPAT_LAYOUT(compat_shared_info, max_pfn, 2316);
COMPAT_LAYOUT(compat_shared_info, wc_sec_hi, 2340);

/*
 * Structures passed to the native handlers untranslated, with their size in both ABIs:
 * compat_check.c (i386) and kernel/compat.c (x86-64) each check every size.
 */
#define COMPAT_SAME_LAYOUT(X)                                                            \
    X(xen_hvm_param, 16) X(evtchn_alloc_unbound, 8) X(evtchn_bind_interdomain, 12)          \
    X(evtchn_bind_virq, 12) X(evtchn_bind_ipi, 8) X(evtchn_bind_vcpu, 8)                    \
    X(evtchn_status, 24) X(evtchn_close, 4) X(evtchn_send, 4) X(evtchn_unmask, 4)           \
    X(sched_shutdown, 4) X(sched_remote_shutdown, 8) X(vcpu_register_vcpu_info, 16)         \
    X(vcpu_hvm_context, 128) X(xen_feature_info, 8) X(xen_compile_info, 144)                \
    X(vcpu_get_physid, 8) X(xen_memory_domain, 2) X(xen_hvm_get_time, 8)                   \
    X(xen_hvm_pagetable_dying, 16) X(xen_hvm_get_mem_type, 16) X(evtchn_init_control, 24)  \
    X(evtchn_expand_array, 8) X(evtchn_set_priority, 8) X(evtchn_reset, 2)
#define COMPAT_CHECK_SIZE(type, size) _Static_assert(sizeof(struct type) == (size), #type);

#ifndef __i386__
struct vcpu;
struct domain;

/*
 * Xen's argument translation area: while a 32-bit caller's hypercall is served, guest
 * addresses from COMPAT_XLAT_BASE on (out of any 32-bit guest's reach) name a per-vCPU
 * hypervisor buffer. A compat entry point writes the native form of the arguments there and
 * calls the native handler unchanged, as Xen's COMPAT_ARG_XLAT area does.
 */
#define COMPAT_XLAT_BASE 0x0000100000000000ULL
#define COMPAT_XLAT_SIZE 512
bool compat_xlat_owns(const struct vcpu *v, uint64_t gva);
/* A guest copy of [gva, gva + len) in the area: 0, or -EFAULT past its end. */
int compat_xlat_copy(struct vcpu *v, uint64_t gva, void *buf, size_t len, bool to);

/* The 32-bit entry points of the hypercalls whose arguments differ (kernel/compat.c). */
long compat_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long compat_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t,
                    uint64_t);
long compat_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long compat_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t,
                        uint64_t);
long compat_set_timer_op(struct vcpu *v, uint64_t lo, uint64_t hi, uint64_t, uint64_t,
                         uint64_t);

/*
 * Xen's hvm_latch_shinfo_size(): a domain's shared state takes the layout of the mode its
 * vCPU v is in when it sets its event callback. The wall clock is rewritten in the new layout.
 */
void compat_latch_shinfo(struct vcpu *v);
/* v's runstate area in the domain's layout (Xen keys it to the shared_info layout too). */
struct vcpu_runstate_info;
void compat_publish_runstate(struct vcpu *v, const struct vcpu_runstate_info *r);
#endif

#endif
