/*
 * Hypercall dispatch: one table of {handler, privileged} indexed by hypercall number.
 * Handlers take the vCPU and up to five arguments and return 0 or a negative Xen errno
 * (some, like XENVER_version, a non-negative value). Guest pointers are guest virtual
 * addresses, reached only through copy_{from,to}_guest_virt.
 */
#ifndef KUMO_HYPERCALL_H
#define KUMO_HYPERCALL_H

#include <kumo/domain.h>

typedef long (*hypercall_fn)(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3,
                             uint64_t a4, uint64_t a5);

long do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t,
                   uint64_t);
long do_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
/* memory_op's sub-op is in cmd's low 6 bits, a continuation's start extent above them. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK     ((1u << MEMOP_EXTENT_SHIFT) - 1)

/*
 * The domain a memory op names: DOMID_SELF or the caller's own id, or any domain for a
 * privileged caller (-ESRCH, -EPERM). On 0, *d is a counted reference the caller puts.
 */
long memop_domain(struct vcpu *v, uint16_t domid, struct domain **d);

/*
 * kernel/memory_physmap.c: XENMEM_add_to_physmap_batch (start: a continuation's first
 * entry), remove_from_physmap, set_memory_map, acquire_resource. 0 or -errno.
 */
long memop_add_to_physmap_batch(struct vcpu *v, unsigned long start, uint64_t arg);
long memop_remove_from_physmap(struct vcpu *v, uint64_t arg);
long memop_set_memory_map(struct vcpu *v, uint64_t arg);
long memop_acquire_resource(struct vcpu *v, uint64_t arg);
/* memory_op's increase/decrease_reservation and populate_physmap: extents done. */
long memory_reservation_op(struct vcpu *v, unsigned int op, unsigned long start, uint64_t arg);
long do_multicall(struct vcpu *v, uint64_t call_list, uint64_t nr_calls, uint64_t, uint64_t,
                  uint64_t);
/*
 * Runs hypercall nr for v as the dispatch table says (privilege checked); -ENOSYS for a
 * number it lacks. Used by the exit handler and by multicall for each entry.
 */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5]);
/*
 * Makes v re-execute its hypercall instruction as hypercall nr with the first two
 * arguments replaced (Xen's hypercall_create_continuation): the handler's return value
 * is then not written to RAX. Only from a handler the exit handler called directly.
 */
void hypercall_create_continuation(struct vcpu *v, uint64_t nr, uint64_t a1, uint64_t a2);
long do_set_timer_op(struct vcpu *v, uint64_t timeout, uint64_t, uint64_t, uint64_t, uint64_t);
long do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t,
                uint64_t);

/* Privileged control (kernel/domctl.c, kernel/sysctl.c): the subset in docs/hypercalls.md. */
long do_domctl(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);
struct xen_domctl;
/*
 * do_domctl's helpers, d a counted reference (NULL for createdomain): createdomain and
 * max_mem (kernel/domctl_build.c); get/sethvmcontext (kernel/hvm_context.c). -ENOSYS for
 * a command they do not serve.
 */
long domctl_build_op(struct vcpu *v, struct domain *d, struct xen_domctl *op);
long domctl_hvm_context(struct vcpu *v, struct domain *d, struct xen_domctl *op);
long do_sysctl(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);
struct xen_domctl_getdomaininfo;
/* XEN_DOMCTL_getdomaininfo's answer for d (also XEN_SYSCTL_getdomaininfolist's). */
void domain_getinfo(const struct domain *d, struct xen_domctl_getdomaininfo *info);

/* Dom0's platform and machine-check queries (kernel/platform_op.c), privileged. */
long do_platform_op(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);
long do_mca(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);

/* Dom0's serial input (from the console input switch) for CONSOLEIO_read. */
void console_io_init(void);

#endif
