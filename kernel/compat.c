/*
 * Hypercalls from 32-bit guests, translated in one layer as Xen's xen/common/compat does:
 * each entry point reads the 32-bit layout (compat.h), writes the native one into the vCPU's
 * translation area and calls the native handler on it, then converts any output back. Only
 * the sub-ops listed are let through: one whose layout nobody checked answers -ENOSYS rather
 * than reading or writing a 32-bit guest's memory in the 64-bit layout. Hypercalls whose
 * arguments are the same in both ABIs (event channels, HVM params, console) need no entry.
 */
#include <kumo/compat.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/xen_abi.h>
#include <xen/hvm/hvm_vcpu.h>


_Static_assert(sizeof(((struct vcpu *)0)->compat_xlat) == COMPAT_XLAT_SIZE, "xlat area size");
_Static_assert(sizeof(struct compat_vcpu_info) == sizeof(struct vcpu_info), "vcpu_info size");
COMPAT_SAME_LAYOUT(COMPAT_CHECK_SIZE)
_Static_assert(offsetof(struct compat_vcpu_info, time) == offsetof(struct vcpu_info, time),
               "pvclock offset");

bool compat_xlat_owns(const struct vcpu *v, uint64_t gva)
{
    return v->hcall_compat && gva >= COMPAT_XLAT_BASE &&
           gva < COMPAT_XLAT_BASE + COMPAT_XLAT_SIZE;
}

int compat_xlat_copy(struct vcpu *v, uint64_t gva, void *buf, size_t len, bool to)
{
    uint64_t off = gva - COMPAT_XLAT_BASE;

    if (len > COMPAT_XLAT_SIZE - off)
        return -XEN_EFAULT;
    if (to)
        memcpy((char *)v->compat_xlat + off, buf, len);
    else
        memcpy(buf, (char *)v->compat_xlat + off, len);
    return 0;
}

/* XENMEM_memory_map: the count goes back; the e820 entries (packed) are the same in both. */
static long compat_memory_map(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    struct xen_memory_map *n = (void *)v->compat_xlat;
    struct compat_memory_map c;
    long rc;

    if (copy_from_guest_virt(v, &c, arg, sizeof(c)))
        return -XEN_EFAULT;
    *n = (struct xen_memory_map){ .nr_entries = c.nr_entries };
    n->buffer.p = (void *)(uintptr_t)c.buffer;
    rc = do_memory_op(v, cmd, COMPAT_XLAT_BASE, 0, 0, 0);
    if (rc)
        return rc;
    c.nr_entries = n->nr_entries;
    return copy_to_guest_virt(v, arg, &c, sizeof(c));
}

/*
 * The reservation ops: the 32-bit extent list is widened into the translation area a chunk
 * at a time and the native handler runs on each chunk, as Xen's compat/memory.c. The result
 * counts from the guest's own start extent (in cmd): the native rules apply per chunk, and a
 * chunk done short ends the call there. Native kumo never writes the list back (an
 * auto-translated guest gets no MFNs) and never preempts, so no continuation can name the
 * translation area.
 */
#define XLAT_EXTENTS_OFF 64
#define XLAT_EXTENTS ((COMPAT_XLAT_SIZE - XLAT_EXTENTS_OFF) / sizeof(xen_pfn_t))

static long compat_reservation(struct vcpu *v, unsigned int op, unsigned long start,
                               uint64_t arg)
{
    struct xen_memory_reservation *n = (void *)v->compat_xlat;
    xen_pfn_t *list = (void *)((char *)v->compat_xlat + XLAT_EXTENTS_OFF);
    struct compat_memory_reservation c;

    _Static_assert(sizeof(*n) <= XLAT_EXTENTS_OFF, "reservation fits before the list");
    if (copy_from_guest_virt(v, &c, arg, sizeof(c)) ||
        c.nr_extents > (0xFFFFFFFFu >> MEMOP_EXTENT_SHIFT))
        return (long)start;
    while (start < c.nr_extents) {
        unsigned long chunk = c.nr_extents - start, done;

        if (chunk > XLAT_EXTENTS)
            chunk = XLAT_EXTENTS;
        /* Entry by entry: an unreadable one ends the call there, as natively. */
        for (unsigned long i = 0; i < chunk; i++) {
            compat_pfn_t gfn;

            if (copy_from_guest_virt(v, &gfn, c.extent_start + (start + i) * sizeof(gfn),
                                     sizeof(gfn))) {
                chunk = i;
                break;
            }
            list[i] = gfn;
        }
        if (!chunk)
            break;
        *n = (struct xen_memory_reservation){ .nr_extents = chunk,
                                              .extent_order = c.extent_order,
                                              .mem_flags = c.mem_flags, .domid = c.domid };
        n->extent_start.p = (xen_pfn_t *)(uintptr_t)(COMPAT_XLAT_BASE + XLAT_EXTENTS_OFF);
        done = (unsigned long)memory_reservation_op(v, op, 0, COMPAT_XLAT_BASE);
        start += done;
        if (done < chunk)
            break;
    }
    return (long)start;
}

long compat_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                      uint64_t a5)
{
    struct compat_add_to_physmap c;
    struct xen_add_to_physmap *n = (void *)v->compat_xlat;

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return compat_reservation(v, cmd & MEMOP_CMD_MASK, (unsigned long)(cmd >> MEMOP_EXTENT_SHIFT),
                                  arg);
    case XENMEM_add_to_physmap:
        if (copy_from_guest_virt(v, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        *n = (struct xen_add_to_physmap){ .domid = c.domid, .size = c.size, .space = c.space,
                                          .idx = c.idx, .gpfn = c.gpfn };
        return do_memory_op(v, cmd, COMPAT_XLAT_BASE, a3, a4, a5);
    case XENMEM_memory_map:
        return compat_memory_map(v, cmd, arg);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:           /* a domid_t: the same in both */
    case XENMEM_get_sharing_freed_pages:
    case XENMEM_get_sharing_shared_pages:
        return do_memory_op(v, cmd, arg, a3, a4, a5);
    }
    return -XEN_ENOSYS;
}

long compat_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a4,
                    uint64_t a5)
{
    union {
        struct compat_vcpu_set_singleshot_timer timer;
        struct compat_vcpu_register_runstate_memory_area area;
    } c;
    struct vcpu_set_singleshot_timer *timer = (void *)v->compat_xlat;
    struct vcpu_register_runstate_memory_area *area = (void *)v->compat_xlat;

    switch (cmd) {
    case VCPUOP_set_singleshot_timer:
        if (copy_from_guest_virt(v, &c.timer, arg, sizeof(c.timer)))
            return -XEN_EFAULT;
        *timer = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = c.timer.timeout_abs_ns,
                                                     .flags = c.timer.flags };
        return do_vcpu_op(v, cmd, vcpuid, COMPAT_XLAT_BASE, a4, a5);
    case VCPUOP_register_runstate_memory_area:
        if (copy_from_guest_virt(v, &c.area, arg, sizeof(c.area)))
            return -XEN_EFAULT;
        area->addr.p = c.area.addr.h;   /* a 32-bit handle: the upper half is not looked at */
        return do_vcpu_op(v, cmd, vcpuid, COMPAT_XLAT_BASE, a4, a5);
    case VCPUOP_initialise:             /* vcpu_hvm_context_t has one layout, padded */
    case VCPUOP_register_vcpu_info:     /* uint64, uint32, uint32: the same in both */
    case VCPUOP_up:
    case VCPUOP_down:
    case VCPUOP_is_up:
    case VCPUOP_stop_singleshot_timer:
    case VCPUOP_stop_periodic_timer:
    case VCPUOP_send_nmi:
    case VCPUOP_get_physid:             /* a uint64_t */
        return do_vcpu_op(v, cmd, vcpuid, arg, a4, a5);
    }
    return -XEN_ENOSYS;
}

long compat_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                     uint64_t a5)
{
    struct compat_sched_poll c;
    struct sched_poll *n = (void *)v->compat_xlat;

    switch (cmd) {
    case SCHEDOP_poll:
        if (copy_from_guest_virt(v, &c, arg, sizeof(c)))
            return -XEN_EFAULT;
        *n = (struct sched_poll){ .nr_ports = c.nr_ports, .timeout = c.timeout };
        n->ports.p = (evtchn_port_t *)(uintptr_t)c.ports;
        return do_sched_op(v, cmd, COMPAT_XLAT_BASE, a3, a4, a5);
    case SCHEDOP_yield:
    case SCHEDOP_block:
    case SCHEDOP_shutdown:              /* sched_shutdown, sched_remote_shutdown: no longs */
    case SCHEDOP_shutdown_code:
    case SCHEDOP_remote_shutdown:
        return do_sched_op(v, cmd, arg, a3, a4, a5);
    }
    return -XEN_ENOSYS;
}

long compat_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                        uint64_t a5)
{
    const struct xen_platform_parameters *n = (const void *)v->compat_xlat;
    struct compat_platform_parameters c;
    long rc;

    switch (cmd) {
    case XENVER_platform_parameters:
        rc = do_xen_version(v, cmd, COMPAT_XLAT_BASE, a3, a4, a5);
        if (rc)
            return rc;
        c.virt_start = (compat_ulong_t)n->virt_start;
        return copy_to_guest_virt(v, arg, &c, sizeof(c));
    case XENVER_version:                /* the rest are strings, ints and fixed arrays */
    case XENVER_extraversion:
    case XENVER_compile_info:
    case XENVER_capabilities:
    case XENVER_changeset:
    case XENVER_get_features:
    case XENVER_pagesize:
    case XENVER_guest_handle:
    case XENVER_commandline:
        return do_xen_version(v, cmd, arg, a3, a4, a5);
    }
    return -XEN_ENOSYS;
}

/* A 64-bit deadline comes in two registers: low half first, as Xen's compat_set_timer_op. */
long compat_set_timer_op(struct vcpu *v, uint64_t lo, uint64_t hi, uint64_t a3, uint64_t a4,
                         uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    return do_set_timer_op(v, (uint64_t)(uint32_t)hi << 32 | (uint32_t)lo, 0, 0, 0, 0);
}

void compat_latch_shinfo(struct vcpu *v)
{
    struct domain *d = v->domain;

    if (d->compat_shinfo == v->hcall_compat)
        return;
    d->compat_shinfo = v->hcall_compat;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* As Xen: only the wall clock is rewritten; pending bits are not carried across. */
    domain_set_wallclock(d);
}

void compat_publish_runstate(struct vcpu *v, const struct vcpu_runstate_info *r)
{
    struct compat_vcpu_runstate_info c = { .state = r->state,
                                           .state_entry_time = r->state_entry_time };

    for (unsigned int i = 0; i < 4; i++)
        c.time[i] = r->time[i];
    copy_to_guest_virt(v, v->runstate_gva, &c, sizeof(c));
}
