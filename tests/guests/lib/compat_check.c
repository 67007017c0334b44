/*
 * Checks, at build time, the hypervisor's 32-bit layouts (kumo/compat.h) against Xen's
 * public headers compiled for i386, which is what a 32-bit guest uses. Part of every
 * 32-bit test kernel; it generates no code.
 */
#include "guest.h"
#include <kumo/compat.h>
#include <xen/hvm/hvm_vcpu.h>

#ifndef __i386__
#error "compat_check.c is built for i386 only"
#endif

#define SAME(compat, native, field)                                                   \
    _Static_assert(offsetof(struct compat, field) == offsetof(struct native, field) &&  \
                   sizeof(((struct compat *)0)->field) == sizeof(((struct native *)0)->field), \
                   #native "." #field)
#define SAME_SIZE(compat, native) \
    _Static_assert(sizeof(struct compat) == sizeof(struct native), #native " size")

SAME_SIZE(compat_add_to_physmap, xen_add_to_physmap);
SAME(compat_add_to_physmap, xen_add_to_physmap, domid);
SAME(compat_add_to_physmap, xen_add_to_physmap, size);
SAME(compat_add_to_physmap, xen_add_to_physmap, space);
SAME(compat_add_to_physmap, xen_add_to_physmap, idx);
SAME(compat_add_to_physmap, xen_add_to_physmap, gpfn);

SAME_SIZE(compat_vcpu_set_singleshot_timer, vcpu_set_singleshot_timer);
SAME(compat_vcpu_set_singleshot_timer, vcpu_set_singleshot_timer, timeout_abs_ns);
SAME(compat_vcpu_set_singleshot_timer, vcpu_set_singleshot_timer, flags);

SAME_SIZE(compat_vcpu_register_runstate_memory_area, vcpu_register_runstate_memory_area);
SAME(compat_vcpu_register_runstate_memory_area, vcpu_register_runstate_memory_area, addr.h);
SAME(compat_vcpu_register_runstate_memory_area, vcpu_register_runstate_memory_area, addr.p);

SAME_SIZE(compat_vcpu_runstate_info, vcpu_runstate_info);
SAME(compat_vcpu_runstate_info, vcpu_runstate_info, state);
SAME(compat_vcpu_runstate_info, vcpu_runstate_info, state_entry_time);
SAME(compat_vcpu_runstate_info, vcpu_runstate_info, time);

SAME_SIZE(compat_sched_poll, sched_poll);
SAME(compat_sched_poll, sched_poll, ports);
SAME(compat_sched_poll, sched_poll, nr_ports);
SAME(compat_sched_poll, sched_poll, timeout);

SAME_SIZE(compat_memory_map, xen_memory_map);
SAME(compat_memory_map, xen_memory_map, nr_entries);
SAME(compat_memory_map, xen_memory_map, buffer);

SAME_SIZE(compat_memory_reservation, xen_memory_reservation);
SAME(compat_memory_reservation, xen_memory_reservation, extent_start);
SAME(compat_memory_reservation, xen_memory_reservation, nr_extents);
SAME(compat_memory_reservation, xen_memory_reservation, extent_order);
SAME(compat_memory_reservation, xen_memory_reservation, mem_flags);
SAME(compat_memory_reservation, xen_memory_reservation, domid);
_Static_assert(sizeof(compat_pfn_t) == sizeof(xen_pfn_t), "xen_pfn_t");

SAME_SIZE(compat_multicall_entry, multicall_entry);
SAME(compat_multicall_entry, multicall_entry, op);
SAME(compat_multicall_entry, multicall_entry, result);
SAME(compat_multicall_entry, multicall_entry, args);

SAME_SIZE(compat_platform_parameters, xen_platform_parameters);
SAME(compat_platform_parameters, xen_platform_parameters, virt_start);

SAME_SIZE(compat_vcpu_info, vcpu_info);
SAME(compat_vcpu_info, vcpu_info, evtchn_upcall_pending);
SAME(compat_vcpu_info, vcpu_info, evtchn_upcall_mask);
SAME(compat_vcpu_info, vcpu_info, evtchn_pending_sel);
SAME(compat_vcpu_info, vcpu_info, time);
_Static_assert(offsetof(struct compat_vcpu_info, cr2) == offsetof(struct vcpu_info, arch.cr2),
               "vcpu_info.arch.cr2");

SAME_SIZE(compat_shared_info, shared_info);
SAME(compat_shared_info, shared_info, vcpu_info);
SAME(compat_shared_info, shared_info, evtchn_pending);
SAME(compat_shared_info, shared_info, evtchn_mask);
SAME(compat_shared_info, shared_info, wc_version);
SAME(compat_shared_info, shared_info, wc_sec);
SAME(compat_shared_info, shared_info, wc_nsec);
_Static_assert(offsetof(struct compat_shared_info, max_pfn) ==
               offsetof(struct shared_info, arch.max_pfn), "shared_info.arch.max_pfn");
_Static_assert(offsetof(struct compat_shared_info, p2m_generation) ==
               offsetof(struct shared_info, arch.p2m_generation), "arch.p2m_generation");
_Static_assert(offsetof(struct compat_shared_info, wc_sec_hi) ==
               offsetof(struct shared_info, arch.wc_sec_hi), "shared_info.arch.wc_sec_hi");

/* Passed through untranslated: the same sizes as in the hypervisor's (x86-64) build. */
COMPAT_SAME_LAYOUT(COMPAT_CHECK_SIZE)
_Static_assert(offsetof(struct xen_hvm_param, value) == 8, "xen_hvm_param.value");
