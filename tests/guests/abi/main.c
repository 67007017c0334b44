/*
 * Hypercall argument and shared-page layouts as the guest's own headers have them, run as a
 * 64-bit guest and as 32-bit ones (compat ABI): every argument sits against an unmapped page,
 * so reading or writing a byte past the caller's layout faults; outputs are followed by a
 * canary; 64-bit values must arrive with both halves; and the shared_info, vcpu_info and
 * runstate area must be written in the layout of the mode that set HVM_PARAM_CALLBACK_IRQ.
 * Interrupts stay off: events are read from the bitmaps, not taken as upcalls.
 */
#include "guest.h"

const char test_title[] = "Hypercall argument layouts";

#define SHARED_INFO_GFN 0x900
#define CALLBACK_VECTOR 0xF3
#define CANARY 0x5A5A5A5AU

static struct shared_info *const shared = (void *)(SHARED_INFO_GFN << 12);
/* Pages 1 and 3 are unmapped: arguments end at page 1, the runstate area at page 3. */
static uint8_t edge_pages[4][4096] __attribute__((aligned(4096)));
static unsigned int timer_port;

/* Where an argument of `size` bytes ends exactly at the unmapped page. */
static void *at_edge(size_t size)
{
    return &edge_pages[1][0] - size;
}

#define EDGE(type) ((type *)memset(at_edge(sizeof(type)), 0, sizeof(type)))

static int64_t now_ns(void)
{
    return pv_now(shared);
}

static bool port_pending(unsigned int port)
{
    return __atomic_load_n(&shared->evtchn_pending[port / EVTCHN_WORD_BITS], __ATOMIC_SEQ_CST) &
           (1UL << (port % EVTCHN_WORD_BITS));
}

static void clear_port(unsigned int port)
{
    struct vcpu_info *vi = &shared->vcpu_info[0];

    __atomic_fetch_and(&shared->evtchn_pending[port / EVTCHN_WORD_BITS],
                       ~(1UL << (port % EVTCHN_WORD_BITS)), __ATOMIC_SEQ_CST);
    __atomic_store_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
}

static bool wait_pending(unsigned int port, int64_t timeout_ns)
{
    int64_t end = now_ns() + timeout_ns;

    while (!port_pending(port))
        if (now_ns() > end)
            return false;
    return true;
}

static long set_timer_op(uint64_t deadline)
{
#ifdef __i386__
    return HYPERCALL2(__HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32));
#else
    return HYPERCALL2(__HYPERVISOR_set_timer_op, deadline, 0);
#endif
}

static void test_shared_info_layout(void)
{
    struct xen_add_to_physmap *xatp = EDGE(struct xen_add_to_physmap);
    struct xen_hvm_param *p = EDGE(struct xen_hvm_param);

    *xatp = (struct xen_add_to_physmap){ .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
                                         .gpfn = SHARED_INFO_GFN };
    CHECK_EQ("add_to_physmap(shared_info) at a page end",
             HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, xatp), 0);
    if (!shared->vcpu_info[0].time.tsc_to_system_mul)
        xtf_failure("no pvclock in the page mapped as shared_info");
    p = EDGE(struct xen_hvm_param);
    *p = (struct xen_hvm_param){ .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ,
                                 .value = 2ULL << 56 | CALLBACK_VECTOR };
    CHECK_EQ("set CALLBACK_IRQ", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, p), 0);
    /* Setting the callback latched this mode's layout: the wall clock is where we look. */
    if ((shared->wc_version & 1) || !shared->wc_version || shared->wc_sec < 1000000000u)
        xtf_failure("wall clock not in this layout: version %u, sec %u",
                    shared->wc_version, shared->wc_sec);
}

static void test_singleshot_and_selector(void)
{
    struct evtchn_bind_virq *bv = EDGE(struct evtchn_bind_virq);
    struct vcpu_set_singleshot_timer *st;
    struct vcpu_info *vi = &shared->vcpu_info[0];
    unsigned int word;

    bv->virq = VIRQ_TIMER;
    CHECK_EQ("bind VIRQ_TIMER", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, bv),
             0);
    timer_port = bv->port;
    word = timer_port / EVTCHN_WORD_BITS;
    st = EDGE(struct vcpu_set_singleshot_timer);
    st->timeout_abs_ns = (uint64_t)now_ns() + 1000000;
    CHECK_EQ("set_singleshot_timer at a page end",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, st), 0);
    if (!wait_pending(timer_port, 1000000000LL)) {
        xtf_failure("the singleshot timer never raised port %u", timer_port);
        return;
    }
    if (!(vi->evtchn_pending_sel & (1UL << word)) || !vi->evtchn_upcall_pending)
        xtf_failure("selector %#lx / upcall %u: port %u not announced in this layout",
                    (unsigned long)vi->evtchn_pending_sel, vi->evtchn_upcall_pending, timer_port);
    clear_port(timer_port);
}

static void test_set_timer_op_both_halves(void)
{
    CHECK_EQ("set_timer_op 4.3 s ahead", set_timer_op((uint64_t)now_ns() + (1ULL << 32)), 0);
    if (wait_pending(timer_port, 30000000))
        xtf_failure("a deadline 2^32 ns ahead fired at once: its high half was lost");
    CHECK_EQ("set_timer_op 1 ms ahead", set_timer_op((uint64_t)now_ns() + 1000000), 0);
    if (!wait_pending(timer_port, 1000000000LL))
        xtf_failure("set_timer_op's deadline never fired");
    clear_port(timer_port);
}

static void test_poll(void)
{
    static evtchn_port_t ports[1];
    struct sched_poll *sp;
    int64_t t0, waited;

    *ports = timer_port;
    sp = EDGE(struct sched_poll);
    set_xen_guest_handle(sp->ports, ports);
    sp->nr_ports = 1;
    t0 = now_ns();
    sp->timeout = (uint64_t)t0 + 5000000;
    CHECK_EQ("poll until a timeout", HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, sp), 0);
    waited = now_ns() - t0;
    if (waited < 4000000)
        xtf_failure("poll with a 5 ms timeout returned after %ld us", (long)(waited / 1000));
    sp = EDGE(struct sched_poll);
    set_xen_guest_handle(sp->ports, ports);
    sp->nr_ports = 1;
    t0 = now_ns();
    sp->timeout = (uint64_t)t0 + 2000000000ULL;
    set_timer_op((uint64_t)t0 + 2000000);
    CHECK_EQ("poll until the port", HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, sp), 0);
    waited = now_ns() - t0;
    if (!port_pending(timer_port) || waited > 1000000000LL)
        xtf_failure("poll did not end on its port (%ld us)", (long)(waited / 1000));
    clear_port(timer_port);
}

static void test_platform_parameters(void)
{
    struct { xen_platform_parameters_t pp; uint32_t canary; } out = { .canary = CANARY };

    CHECK_EQ("platform_parameters",
             HYPERCALL2(__HYPERVISOR_xen_version, XENVER_platform_parameters, &out.pp), 0);
    CHECK_EQ("the word after platform_parameters", out.canary, CANARY);
    CHECK_EQ("platform_parameters at a page end",
             HYPERCALL2(__HYPERVISOR_xen_version, XENVER_platform_parameters,
                        EDGE(xen_platform_parameters_t)), 0);
#ifndef __i386__
    /* What xl info shows as platform_params on Xen 4.17: virt_start=0xffff800000000000. */
    if (out.pp.virt_start != 0xFFFF800000000000ULL)
        xtf_failure("platform_parameters: virt_start %#lx, Xen's is 0xffff800000000000",
                    (unsigned long)out.pp.virt_start);
#endif
}

/* xl info's xen_caps: Xen 4.17's words for an HVM-only build, in its order. */
static void test_capabilities(void)
{
    static const char want[] = "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ";
    static xen_capabilities_info_t caps;

    CHECK_EQ("capabilities", HYPERCALL2(__HYPERVISOR_xen_version, XENVER_capabilities, caps),
             0);
    if (memcmp(caps, want, sizeof(want)))
        xtf_failure("capabilities \"%s\", Xen's are \"%s\"", caps, want);
}

/* The entries XENMEM_memory_map writes: Xen's e820 layout, packed (no public header). */
struct e820 {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

/* The builder's memory map: the count comes back in this layout, the entries are packed. */
static void test_memory_map(void)
{
    static struct e820 map[8];
    struct xen_memory_map *mm = EDGE(struct xen_memory_map);

    mm->nr_entries = 8;
    set_xen_guest_handle(mm->buffer, map);
    CHECK_EQ("memory_map at a page end",
             HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_memory_map, mm), 0);
    if (mm->nr_entries < 1 || mm->nr_entries > 8 || map[0].type != XEN_HVM_MEMMAP_TYPE_RAM ||
        !map[0].size)
        xtf_failure("memory_map: %u entries, the first type %u size %#lx", mm->nr_entries,
                    map[0].type, (unsigned long)map[0].size);
}

/* The area ends at the unmapped page: a write in the wrong layout faults and never lands. */
static struct vcpu_runstate_info *register_runstate(void)
{
    struct vcpu_runstate_info *rs = (void *)(&edge_pages[3][0] - sizeof(*rs));
    struct vcpu_register_runstate_memory_area r;

    memset(&r, 0, sizeof(r));
    r.addr.v = rs;
    CHECK_EQ("register_runstate_memory_area",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, &r), 0);
    return rs;
}

static void check_runstate(const struct vcpu_runstate_info *rs)
{
    if (rs->state != RUNSTATE_running || !rs->state_entry_time || !rs->time[RUNSTATE_running] ||
        !rs->time[RUNSTATE_blocked])
        xtf_failure("runstate not kept in this layout: state %d entry %lu running %lu blocked %lu",
                    rs->state, (unsigned long)rs->state_entry_time,
                    (unsigned long)rs->time[RUNSTATE_running],
                    (unsigned long)rs->time[RUNSTATE_blocked]);
}

void test_main(void)
{
    struct vcpu_runstate_info *rs;

    printk("%u-bit guest\n", (unsigned int)sizeof(long) * 8);
    guest_unmap_low_page((unsigned int)((uintptr_t)edge_pages[1] >> 12));
    guest_unmap_low_page((unsigned int)((uintptr_t)edge_pages[3] >> 12));
    test_shared_info_layout();
    if (!shared->vcpu_info[0].time.tsc_to_system_mul)
        return;                         /* no clock to bound the waits below */
    test_platform_parameters();
    test_capabilities();
    test_memory_map();
    test_singleshot_and_selector();
    rs = register_runstate();
    test_set_timer_op_both_halves();
    test_poll();            /* blocks: the runstate area is rewritten on the way out and in */
    check_runstate(rs);
}
