/*
 * The calls stock kernels make besides the basics, answered as Xen 4.17 answers a PVH
 * guest: the memory map, the balloon (decrease then populate), multicall, the FIFO
 * event-channel calls, add_to_physmap's spaces, setting up a grant table and a few
 * vcpu_op/hvm_op sub-ops. The
 * command line names one property; with none, all run but the one needing two vCPUs.
 * Needs a 16 MiB DomU whose RAM from 8 MiB up is free (the test's own stretches).
 */
#include "guest.h"
#include <xen/hvm/hvm_vcpu.h>

const char test_title[] = "Memory ops, multicall and FIFO answers";

#define MEMOP(op, arg) HYPERCALL2(__HYPERVISOR_memory_op, (op), (arg))
#define EVTCHNOP(op, arg) HYPERCALL2(__HYPERVISOR_event_channel_op, (op), (arg))

#define UNMAPPED      0x80000000UL      /* beyond the 1 GiB head.S maps */
#define HOLE_GFN      0x10000UL         /* 256 MiB: mapped by head.S, not the domain's RAM */
#define BIG_GFN       0x800UL           /* 8 MiB: a free, 2 MiB-aligned stretch of RAM */
#define SHARED_GFN    0x900UL
#define VCPU_INFO_GFN 0xA00UL
#define GNT_GFN       0xB00UL           /* 11 MiB: RAM the grant frames replace */

static uint8_t page[4096] __attribute__((aligned(4096)));
static domid_t self = DOMID_SELF;

struct e820 {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

static void memory_map_hypercall(void)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
    const struct hvm_memmap_table_entry *want = (const void *)(uintptr_t)si->memmap_paddr;
    static struct e820 map[16];
    struct xen_memory_map m = { .nr_entries = 16 };

    set_xen_guest_handle(m.buffer, map);
    CHECK_EQ("memory_map", MEMOP(XENMEM_memory_map, &m), 0);
    CHECK_EQ("memory_map entries", m.nr_entries, si->memmap_entries);
    for (unsigned int i = 0; i < m.nr_entries && i < si->memmap_entries; i++)
        if (map[i].addr != want[i].addr || map[i].size != want[i].size ||
            map[i].type != want[i].type)
            xtf_failure("entry %u: %#lx+%#lx type %u, start_info has %#lx+%#lx type %u", i,
                        (unsigned long)map[i].addr, (unsigned long)map[i].size, map[i].type,
                        (unsigned long)want[i].addr, (unsigned long)want[i].size, want[i].type);
    /* A short buffer gets the first entries only, and the count says how many. */
    memset(map, 0xEE, sizeof(map));
    m.nr_entries = 2;
    CHECK_EQ("memory_map into 2 entries", MEMOP(XENMEM_memory_map, &m), 0);
    CHECK_EQ("memory_map short count", m.nr_entries, 2);
    CHECK_EQ("memory_map short: entry 2 untouched", map[2].type, 0xEEEEEEEE);
    CHECK_EQ("memory_map short: entry 1", map[1].addr, want[1].addr);
    set_xen_guest_handle(m.buffer, (struct e820 *)UNMAPPED);
    m.nr_entries = 16;
    CHECK_EQ("memory_map to a bad buffer", MEMOP(XENMEM_memory_map, &m), -XEN_EFAULT);
    CHECK_EQ("memory_map from a bad pointer", MEMOP(XENMEM_memory_map, UNMAPPED), -XEN_EFAULT);
    CHECK_EQ("memory_map with a start extent", MEMOP(XENMEM_memory_map | (1 << 6), &m),
             -XEN_ENOSYS);
}

static long reservation(unsigned int op, xen_pfn_t *list, unsigned long nr, unsigned int order)
{
    struct xen_memory_reservation r = {
        .nr_extents = nr, .extent_order = order, .domid = DOMID_SELF,
    };

    set_xen_guest_handle(r.extent_start, list);
    return MEMOP(op, &r);
}

static long current_pages(void)
{
    return MEMOP(XENMEM_current_reservation, &self);
}

static bool all_zero(const volatile uint64_t *p, unsigned long words)
{
    for (unsigned long i = 0; i < words; i++)
        if (p[i])
            return false;
    return true;
}

/* Gives frames back and takes them again, order 0 and 9: they come back zeroed, writable. */
static void balloon_round_trips(long cur)
{
    volatile uint64_t *small = (volatile uint64_t *)page;
    volatile uint64_t *big = (volatile uint64_t *)(BIG_GFN << 12);
    xen_pfn_t gfn = (uintptr_t)page >> 12, big_gfn = BIG_GFN;

    small[0] = small[511] = 0xDEADBEEF;
    CHECK_EQ("decrease one frame", reservation(XENMEM_decrease_reservation, &gfn, 1, 0), 1);
    CHECK_EQ("current after decrease", current_pages(), cur - 1);
    CHECK_EQ("decrease it again (no longer RAM)",
             reservation(XENMEM_decrease_reservation, &gfn, 1, 0), 0);
    CHECK_EQ("populate it back", reservation(XENMEM_populate_physmap, &gfn, 1, 0), 1);
    CHECK_EQ("current after populate", current_pages(), cur);
    if (!all_zero(small, 512))
        xtf_failure("a repopulated frame does not read zero");
    small[7] = 0x5A5A;
    CHECK_EQ("repopulated frame is writable", small[7], 0x5A5A);
    CHECK_EQ("populate over RAM", reservation(XENMEM_populate_physmap, &gfn, 1, 0), 0);

    big[0] = big[262143] = 0xDEADBEEF;
    CHECK_EQ("decrease a 2 MiB extent",
             reservation(XENMEM_decrease_reservation, &big_gfn, 1, 9), 1);
    CHECK_EQ("current after the 2 MiB decrease", current_pages(), cur - 512);
    CHECK_EQ("populate the 2 MiB extent", reservation(XENMEM_populate_physmap, &big_gfn, 1, 9), 1);
    CHECK_EQ("current after the 2 MiB populate", current_pages(), cur);
    if (!all_zero(big, 262144))
        xtf_failure("a repopulated 2 MiB extent does not read zero");
    big[262143] = 0x77;
    CHECK_EQ("2 MiB extent is writable", big[262143], 0x77);
}

/* Populating past max_pages stops at the limit; the result counts the extents done. */
static void balloon_limits(long cur, long max)
{
    xen_pfn_t list[8], big_gfn = HOLE_GFN;
    long room = max - cur;

    if (room < 0 || room > 6) {
        xtf_error("max_pages %ld and tot_pages %ld leave %ld frames of room", max, cur, room);
        return;
    }
    for (unsigned int i = 0; i < 8; i++)
        list[i] = HOLE_GFN + i;
    CHECK_EQ("populate beyond max_pages", reservation(XENMEM_populate_physmap, list, room + 1, 0),
             room);
    CHECK_EQ("current at max_pages", current_pages(), max);
    CHECK_EQ("give the room back", reservation(XENMEM_decrease_reservation, list, room, 0), room);
    CHECK_EQ("2 MiB populate beyond max_pages",
             reservation(XENMEM_populate_physmap, &big_gfn, 1, 9), 0);
    CHECK_EQ("order 10 from a DomU", reservation(XENMEM_decrease_reservation, list, 1, 10), 0);
    CHECK_EQ("current unchanged", current_pages(), cur);
}

/*
 * Frames the hypervisor writes may go, as in Xen (their references keep them alive for the
 * hypervisor alone); a bad list or argument stops where it is.
 */
static void balloon_refusals(long cur)
{
    struct vcpu_register_vcpu_info vi = { .mfn = VCPU_INFO_GFN, .offset = 64 };
    struct xen_memory_reservation r = { .nr_extents = 2, .domid = DOMID_SELF };
    xen_pfn_t list[2] = { SHARED_GFN, VCPU_INFO_GFN }, gfn = (uintptr_t)page >> 12;

    if (!map_shared_info(SHARED_GFN))
        xtf_failure("map shared_info failed");
    cur = current_pages();
    CHECK_EQ("register_vcpu_info",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, &vi), 0);
    CHECK_EQ("decrease shared_info's frame",
             reservation(XENMEM_decrease_reservation, &list[0], 1, 0), 1);
    CHECK_EQ("decrease vcpu_info's frame",
             reservation(XENMEM_decrease_reservation, &list[1], 1, 0), 1);
    cur--;                              /* vcpu_info's was RAM; shared_info's is not */
    CHECK_EQ("decrease vcpu_info's frame again (no longer RAM)",
             reservation(XENMEM_decrease_reservation, &list[1], 1, 0), 0);
    CHECK_EQ("decrease from an unmapped list",
             reservation(XENMEM_decrease_reservation, (xen_pfn_t *)UNMAPPED, 1, 0), 0);
    CHECK_EQ("decrease from a bad argument", MEMOP(XENMEM_decrease_reservation, UNMAPPED), 0);
    /* A continuation's start extent in cmd: only extent 1 is looked at, and it is refused. */
    set_xen_guest_handle(r.extent_start, list);
    CHECK_EQ("decrease from start extent 1",
             MEMOP(XENMEM_decrease_reservation | (1 << 6), &r), 1);
    list[1] = gfn;
    CHECK_EQ("decrease from start extent 1 (a free frame)",
             MEMOP(XENMEM_decrease_reservation | (1 << 6), &r), 2);
    CHECK_EQ("populate it back", reservation(XENMEM_populate_physmap, &gfn, 1, 0), 1);
    CHECK_EQ("start extent past the end", MEMOP(XENMEM_decrease_reservation | (5 << 6), &r), 5);
    CHECK_EQ("current_reservation with a start extent",
             MEMOP(XENMEM_current_reservation | (1 << 6), &self), -XEN_EINVAL);
    CHECK_EQ("current_reservation from a bad pointer",
             MEMOP(XENMEM_current_reservation, UNMAPPED), -XEN_EFAULT);
    {
        domid_t nobody = 100;

        CHECK_EQ("current_reservation of no domain", MEMOP(XENMEM_current_reservation, &nobody),
                 -XEN_ESRCH);
    }
    CHECK_EQ("current unchanged", current_pages(), cur);
    if (!map_shared_info(SHARED_GFN))
        xtf_failure("map shared_info again failed");
    if (MEMOP(XENMEM_maximum_gpfn, &self) < (long)(SHARED_GFN))
        xtf_failure("maximum_gpfn below mapped RAM");
}

/*
 * A frame moved about the guest-physical space costs the hypervisor page tables; their
 * pool is bounded. Last: the frame it moves ends up given back.
 */
static void balloon_tables_bounded(void)
{
    xen_pfn_t from = (uintptr_t)page >> 12, to;
    unsigned int i;

    for (i = 0; i < 1000; i++) {
        to = (xen_pfn_t)(i + 1) << 18;  /* 1 GiB apart: new tables for each */
        if (reservation(XENMEM_decrease_reservation, &from, 1, 0) != 1) {
            xtf_failure("move %u: decrease failed", i);
            return;
        }
        if (reservation(XENMEM_populate_physmap, &to, 1, 0) != 1)
            break;
        from = to;
    }
    if (i == 1000)
        xtf_failure("1000 frames 1 GiB apart populated: the p2m grows without bound");
    printk("the p2m's table pool was full after %u moves\n", i);
}

#define RND_RAM_GFN 0xC00UL             /* 12-14 MiB: free RAM */
#define RND_FRAMES  512

/* xorshift64: the same sequence every run. */
static uint64_t rnd(void)
{
    static uint64_t x = 0x9E3779B97F4A7C15ULL;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

/*
 * Random decreases and populates of orders 0-2 and 9 over a stretch of RAM and one of the
 * hole, against a model of Xen's rules: a decrease takes frames in order and stops at the
 * first that is not RAM (earlier ones stay taken); a populate happens whole or not at all.
 */
static void balloon_random_ops_keep_accounts(void)
{
    static bool present[2][RND_FRAMES];
    static const unsigned int orders[] = { 0, 0, 1, 2, 9 };
    const unsigned long base[2] = { RND_RAM_GFN, HOLE_GFN };
    long tot = current_pages(), max = MEMOP(XENMEM_maximum_reservation, &self);
    unsigned int ok[2] = { 0, 0 };

    for (unsigned int i = 0; i < RND_FRAMES; i++) {
        present[0][i] = true, present[1][i] = false;
        *(volatile uint64_t *)((RND_RAM_GFN + i) << 12) = 0xA5;
    }
    for (unsigned int round = 0; round < 2000; round++) {
        unsigned int r = rnd() % 2, order = orders[rnd() % 5], n = 1u << order;
        unsigned int at = n == RND_FRAMES ? 0 : rnd() % (RND_FRAMES - n), done = 0, want;
        xen_pfn_t gfn = base[r] + at;
        bool populate = rnd() % 2;

        if (populate) {
            for (unsigned int j = 0; j < n; j++)
                done += !present[r][at + j];
            want = done == n && (long)(tot + n) <= max;
        } else {
            while (done < n && present[r][at + done])
                done++;
            want = done == n;
        }
        CHECK_EQ(populate ? "random populate" : "random decrease",
                 reservation(populate ? XENMEM_populate_physmap : XENMEM_decrease_reservation,
                             &gfn, 1, order), want);
        ok[populate] += want;
        if (populate && want) {
            for (unsigned int j = 0; j < n; j++) {
                volatile uint64_t *f = (volatile uint64_t *)((gfn + j) << 12);

                present[r][at + j] = true;
                if (r == 0 && *f)
                    xtf_failure("round %u: a populated frame does not read zero", round);
                if (r == 0)
                    *f = 0xA5;          /* what a frame given back must not bring back */
            }
            tot += n;
        } else if (!populate) {
            for (unsigned int j = 0; j < done; j++)
                present[r][at + j] = false;
            tot -= done;
        }
        if (current_pages() != tot) {
            xtf_failure("round %u: tot_pages %ld, the model says %ld", round, current_pages(), tot);
            return;
        }
    }
    printk("2000 random extents: %u decreases and %u populates done\n", ok[0], ok[1]);
}

static void balloon_out_and_back(void)
{
    long cur = current_pages(), max = MEMOP(XENMEM_maximum_reservation, &self);

    printk("tot_pages %ld, max_pages %ld\n", cur, max);
    if (cur <= 0 || max < cur)
        xtf_failure("current %ld, maximum %ld", cur, max);
    balloon_round_trips(cur);
    balloon_limits(cur, max);
    balloon_refusals(cur);
    balloon_random_ops_keep_accounts();
    balloon_tables_bounded();
}

/* The second vCPU is started in 64-bit mode: a 64-bit build only. */
#ifndef __i386__
static volatile unsigned long spin_state;  /* 1: vCPU 1 spins, 2: it is leaving */
static volatile bool spin_stop;
static uint8_t spin_stack[8192] __attribute__((aligned(16)));

/* vCPU 1: stays in guest mode, touching nothing the balloon takes, then goes down. */
static void spinner(void)
{
    spin_state = 1;
    while (!spin_stop)
        __asm__ volatile("pause");
    spin_state = 2;
    for (;;)
        __asm__ volatile("cli; hlt");   /* HLT with interrupts off takes a vCPU down */
}

/*
 * Bounded in yields, not time: after the balloon's flush forces vCPU 1 out of guest mode,
 * the scheduler may take many of vCPU 0's yields to put it back (seen on Bochs: more than
 * 2,000, fewer than 200,000).
 */
static bool wait_for(volatile unsigned long *what, unsigned long want)
{
    for (unsigned long i = 0; i < 200000; i++) {
        if (*what >= want)
            return true;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return false;
}

/*
 * A frame given back while another vCPU is in guest mode (its translations not yet
 * flushed) waits in the hypervisor; the domain still sees it gone, gets it back zeroed,
 * and the heap has it back once the domain is destroyed (the system test checks).
 */
static void balloon_beside_a_running_vcpu(void)
{
    struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
    volatile uint64_t *p = (volatile uint64_t *)page;
    xen_pfn_t gfn = (uintptr_t)page >> 12;
    long cur = current_pages();
    uint64_t cr3;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    ctx.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)spinner, .rsp = (uint64_t)&spin_stack[sizeof(spin_stack) - 8],
        .rflags = 2, .cr0 = 0x80000011, .cr3 = cr3, .cr4 = 0x20, .efer = 0x500,
    };
    if (HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, &ctx) ||
        HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, NULL) || !wait_for(&spin_state, 1)) {
        xtf_error("vCPU 1 did not start (this property needs a 2-vCPU DomU)");
        return;
    }
    p[3] = 0xDEADBEEF;
    CHECK_EQ("decrease beside a running vCPU",
             reservation(XENMEM_decrease_reservation, &gfn, 1, 0), 1);
    CHECK_EQ("current after decrease", current_pages(), cur - 1);
    spin_stop = true;
    if (!wait_for(&spin_state, 2))
        xtf_failure("vCPU 1 stopped spinning");
    for (unsigned int i = 0; i < 2000 && HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0); i++)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    CHECK_EQ("populate it back", reservation(XENMEM_populate_physmap, &gfn, 1, 0), 1);
    CHECK_EQ("current after populate", current_pages(), cur);
    if (!all_zero(p, 512))
        xtf_failure("the frame came back with old contents");
}
#endif

static void entry(struct multicall_entry *e, unsigned long op, unsigned long a0, unsigned long a1)
{
    *e = (struct multicall_entry){ .op = op, .result = 0x5EED, .args = { a0, a1 } };
}

static void multicall_results_per_entry(void)
{
    static struct multicall_entry calls[100], nested[1];
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct multicall_entry *edge = (struct multicall_entry *)(0x1000000UL - sizeof(*edge));

    entry(&calls[0], __HYPERVISOR_xen_version, XENVER_version, 0);
    entry(&calls[1], __HYPERVISOR_memory_op, XENMEM_current_reservation, (unsigned long)&self);
    entry(&calls[2], 63, 0, 0);
    entry(&calls[3], __HYPERVISOR_domctl, 0, 0);
    entry(&calls[4], __HYPERVISOR_multicall, (unsigned long)nested, 1);
    entry(&calls[5], __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (unsigned long)&au);
    entry(&calls[6], __HYPERVISOR_xen_version, XENVER_version, 0);
    entry(&nested[0], __HYPERVISOR_xen_version, XENVER_version, 0);
    CHECK_EQ("multicall of 6", HYPERCALL2(__HYPERVISOR_multicall, calls, 6), 0);
    CHECK_EQ("entry 0: xen_version", calls[0].result, 0x40011);
    CHECK_EQ("entry 1: current_reservation", calls[1].result, current_pages());
    CHECK_EQ("entry 2: hypercall 63", calls[2].result, -XEN_ENOSYS);
    CHECK_EQ("entry 3: domctl from a DomU", calls[3].result, -XEN_EPERM);
    CHECK_EQ("entry 4: nested multicall", calls[4].result, -XEN_EINVAL);
    CHECK_EQ("nested entry not run", nested[0].result, 0x5EED);
    CHECK_EQ("entry 5: alloc_unbound", calls[5].result, 0);
    if (au.port == 0)
        xtf_failure("alloc_unbound in a multicall gave no port");
    CHECK_EQ("entry 6 beyond the count", calls[6].result, 0x5EED);

    /* More entries than kumo runs per exit: the rest follow by continuation. */
    for (unsigned int i = 0; i < 100; i++)
        entry(&calls[i], __HYPERVISOR_xen_version, XENVER_version, 0);
    CHECK_EQ("multicall of 99", HYPERCALL2(__HYPERVISOR_multicall, calls, 99), 0);
    for (unsigned int i = 0; i < 99; i++)
        if (calls[i].result != 0x40011) {
            xtf_failure("entry %u of 99: %ld", i, (long)calls[i].result);
            break;
        }
    CHECK_EQ("entry 99 beyond the count", calls[99].result, 0x5EED);

    CHECK_EQ("multicall of 0", HYPERCALL2(__HYPERVISOR_multicall, calls, 0), 0);
    CHECK_EQ("multicall from an unmapped list", HYPERCALL2(__HYPERVISOR_multicall, UNMAPPED, 1),
             -XEN_EFAULT);
    /* The last entry that fits in RAM runs; the next lies past RAM. */
    entry(edge, __HYPERVISOR_xen_version, XENVER_version, 0);
    CHECK_EQ("multicall running off RAM", HYPERCALL2(__HYPERVISOR_multicall, edge, 2),
             -XEN_EFAULT);
    CHECK_EQ("last entry in RAM", edge->result, 0x40011);
}

static void evtchn_fifo_answers_like_xen(void)
{
    struct evtchn_init_control ic = { .control_gfn = (uintptr_t)page >> 12, .vcpu = 0 };
    struct evtchn_expand_array ea = { .array_gfn = (uintptr_t)page >> 12 };
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_set_priority sp = { .priority = 1 };
    struct evtchn_reset rs = { .dom = DOMID_SELF };
    struct evtchn_status st = { .dom = DOMID_SELF };
    long rc;

    ic.vcpu = 5;
    CHECK_EQ("init_control for no vCPU", EVTCHNOP(EVTCHNOP_init_control, &ic), -XEN_ENOENT);
    ic.vcpu = 0;
    ic.offset = 4096 - 8;
    CHECK_EQ("init_control crossing a page", EVTCHNOP(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
    ic.offset = 4;
    CHECK_EQ("init_control misaligned", EVTCHNOP(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
    CHECK_EQ("init_control from a bad pointer", EVTCHNOP(EVTCHNOP_init_control, UNMAPPED),
             -XEN_EFAULT);
    ic.offset = 0;
    rc = EVTCHNOP(EVTCHNOP_init_control, &ic);
    if (rc >= 0 || rc == -XEN_ENOSYS)
        xtf_failure("init_control: %ld, want an error other than -ENOSYS (2-level fallback)", rc);
    CHECK_EQ("expand_array before init_control", EVTCHNOP(EVTCHNOP_expand_array, &ea),
             -XEN_EOPNOTSUPP);
    CHECK_EQ("alloc_unbound", EVTCHNOP(EVTCHNOP_alloc_unbound, &au), 0);
    sp.port = au.port;
    CHECK_EQ("set_priority on 2-level", EVTCHNOP(EVTCHNOP_set_priority, &sp), -XEN_ENOSYS);
    sp.port = 5000;
    CHECK_EQ("set_priority on no port", EVTCHNOP(EVTCHNOP_set_priority, &sp), -XEN_EINVAL);
    CHECK_EQ("reset", EVTCHNOP(EVTCHNOP_reset, &rs), 0);
    st.port = au.port;
    CHECK_EQ("status after reset", EVTCHNOP(EVTCHNOP_status, &st), 0);
    CHECK_EQ("port closed by reset", st.status, EVTCHNSTAT_closed);
    rs.dom = 100;
    CHECK_EQ("reset of no domain", EVTCHNOP(EVTCHNOP_reset, &rs), -XEN_ESRCH);
    CHECK_EQ("alloc_unbound after reset", EVTCHNOP(EVTCHNOP_alloc_unbound, &au), 0);
}

static void add_to_physmap_unknown_space_einval(void)
{
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = 99, .gpfn = SHARED_GFN };

    CHECK_EQ("unknown space", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
    x.space = XENMAPSPACE_shared_info;
    x.idx = 1;
    CHECK_EQ("shared_info index 1", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
    x.idx = 0;
#ifndef __i386__                        /* a 32-bit gpfn cannot name a frame beyond 48 bits */
    x.gpfn = 1UL << 40;
    CHECK_EQ("shared_info beyond the p2m", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
#endif
    x.space = XENMAPSPACE_gmfn_foreign;
    CHECK_EQ("gmfn_foreign (batch only)", MEMOP(XENMEM_add_to_physmap, &x), -XEN_ENOSYS);
    x.space = XENMAPSPACE_dev_mmio;
    CHECK_EQ("dev_mmio from a DomU", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EACCES);
    CHECK_EQ("add_to_physmap from a bad pointer", MEMOP(XENMEM_add_to_physmap, UNMAPPED),
             -XEN_EFAULT);
    x.space = XENMAPSPACE_shared_info;
    x.gpfn = SHARED_GFN;
    CHECK_EQ("shared_info", MEMOP(XENMEM_add_to_physmap, &x), 0);
}

#define GNTTABOP(cmd, arg, n) HYPERCALL3(__HYPERVISOR_grant_table_op, (cmd), (arg), (n))

static int16_t query_status(domid_t dom, struct gnttab_query_size *q)
{
    *q = (struct gnttab_query_size){ .dom = dom };
    CHECK_EQ("query_size", GNTTABOP(GNTTABOP_query_size, q, 1), 0);
    return q->status;
}

/*
 * What Linux's grant-table driver does on a PVH guest, answered as Xen 4.17 answers it: the
 * sizes (one frame to start, 64 at most), version 1, and the frames mapped where the guest
 * asks (the table growing to the index), moved when mapped again; status frames (v2) and
 * indices past the maximum -EINVAL; the ops for other domains' grants -ENOSYS for now.
 */
static void grant_table_frames_set_up_like_xen(void)
{
    struct gnttab_query_size q;
    struct gnttab_set_version sv = { .version = 2 };
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table };
    volatile uint32_t *frame0 = (volatile uint32_t *)(GNT_GFN << 12);
    volatile uint32_t *moved = (volatile uint32_t *)((GNT_GFN + 8) << 12);
    unsigned int denied = 0, own = 0;
    static xen_pfn_t frames[4];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 4 };

    CHECK_EQ("query own size", query_status(DOMID_SELF, &q), GNTST_okay);
    CHECK_EQ("frames to start", q.nr_frames, 1);
    CHECK_EQ("frames at most", q.max_nr_frames, 64);
    CHECK_EQ("query of two at once", GNTTABOP(GNTTABOP_query_size, &q, 2), -XEN_EINVAL);
    /* The other DomUs of this boot: their sizes are not a DomU's to read. */
    for (domid_t id = 0; id < 16; id++) {
        int16_t s = query_status(id, &q);

        denied += s == GNTST_permission_denied;
        own += s == GNTST_okay;
    }
    if (!denied || own > 1)
        xtf_failure("other domains' sizes: %u refused, %u answered", denied, own);
    CHECK_EQ("no such domain", query_status(77, &q), GNTST_bad_domain);
    CHECK_EQ("version 2", GNTTABOP(GNTTABOP_set_version, &sv, 1), -XEN_ENOSYS);
    CHECK_EQ("version after refusing 2", sv.version, 1);
    sv.version = 1;
    CHECK_EQ("version 1", GNTTABOP(GNTTABOP_set_version, &sv, 1), 0);
    CHECK_EQ("get_version", GNTTABOP(GNTTABOP_get_version, &gv, 1), 0);
    CHECK_EQ("the version", gv.version, 1);
    x.idx = 3;                          /* Linux maps the last frame first: the table grows once */
    x.gpfn = GNT_GFN + 3;
    CHECK_EQ("frame 3", MEMOP(XENMEM_add_to_physmap, &x), 0);
    query_status(DOMID_SELF, &q);
    CHECK_EQ("frames after growing", q.nr_frames, 4);
    x.idx = 0;
    x.gpfn = GNT_GFN;
    CHECK_EQ("frame 0", MEMOP(XENMEM_add_to_physmap, &x), 0);
    CHECK_EQ("a new frame is zeroed", frame0[0], 0);
    frame0[0] = 0x12345678;             /* grant entry 0's flags and domid */
    x.gpfn = GNT_GFN + 8;
    CHECK_EQ("frame 0 moved", MEMOP(XENMEM_add_to_physmap, &x), 0);
    CHECK_EQ("the entry moved with it", moved[0], 0x12345678);
    CHECK_EQ("its old home a hole", frame0[0], 0xFFFFFFFF);
    /* setup_table: where each frame is mapped, ~0 for none (as Xen answers HVM guests). */
    set_xen_guest_handle(st.frame_list, frames);
    CHECK_EQ("setup_table", GNTTABOP(GNTTABOP_setup_table, &st, 1), 0);
    CHECK_EQ("setup_table status", st.status, GNTST_okay);
    if (frames[0] != GNT_GFN + 8 || frames[1] != (xen_pfn_t)~0UL || frames[3] != GNT_GFN + 3)
        xtf_failure("setup_table frames %#lx %#lx %#lx", (unsigned long)frames[0],
                    (unsigned long)frames[1], (unsigned long)frames[3]);
    st.nr_frames = 65;
    GNTTABOP(GNTTABOP_setup_table, &st, 1);
    CHECK_EQ("setup_table past the maximum", st.status, GNTST_general_error);
    x.idx = 64;
    CHECK_EQ("frame past the maximum", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
    x.idx = XENMAPIDX_grant_table_status;
    CHECK_EQ("a status frame (v2)", MEMOP(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
    CHECK_EQ("map_grant_ref (later)", GNTTABOP(GNTTABOP_map_grant_ref, page, 1), -XEN_ENOSYS);
}

/* The NMI stub is 64-bit code: a 64-bit build only. */
#ifndef __i386__
static volatile unsigned long nmis;

void nmi_stub(void);
__asm__(".text\n"
        "nmi_stub:\n"
        "  lock incq nmis(%rip)\n"
        "  iretq\n");

/* The vcpu_op and hvm_op sub-ops Xen 4.17 has that kumo answered -ENOSYS before. */
static void vcpu_and_hvm_ops_answer_like_xen(void)
{
    struct xen_hvm_pagetable_dying pd = { .domid = DOMID_SELF };
    xen_hvm_get_time_t t = { 0 };
    struct xen_hvm_get_mem_type mt = { .domid = DOMID_SELF };
    struct vcpu_get_physid id;

    idt_set_gate(2, nmi_stub);
    idt_load();
    CHECK_EQ("send_nmi with an argument",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 0, &id), -XEN_EINVAL);
    CHECK_EQ("send_nmi to self", HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 0, 0), 0);
    /* Delivered at the next entry, before the instruction after the call. */
    CHECK_EQ("NMIs taken", nmis, 1);
    CHECK_EQ("send_nmi to no vCPU", HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 3, 0),
             -XEN_ENOENT);
    CHECK_EQ("get_physid from a DomU",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_get_physid, 0, &id), -XEN_EINVAL);
    CHECK_EQ("get_time", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_time, &t), 0);
    if (t.now == 0 || (int64_t)t.now > pv_now_vcpu(map_shared_info(SHARED_GFN), 0) + 1000000)
        xtf_failure("get_time %lu against the pvclock", (unsigned long)t.now);
    CHECK_EQ("get_time to a bad pointer", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_time, UNMAPPED),
             -XEN_EFAULT);
    CHECK_EQ("pagetable_dying (a HAP domain)",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, &pd), -XEN_EINVAL);
    pd.domid = 100;
    CHECK_EQ("pagetable_dying of no domain",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, &pd), -XEN_ESRCH);
    mt.pfn = (uintptr_t)page >> 12;
    CHECK_EQ("get_mem_type of RAM", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_mem_type, &mt), 0);
    CHECK_EQ("RAM's type", mt.mem_type, HVMMEM_ram_rw);
    mt.pfn = SHARED_GFN;
    CHECK_EQ("get_mem_type of shared_info", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_mem_type,
                                                        &mt), 0);
    CHECK_EQ("shared_info's type", mt.mem_type, HVMMEM_ram_rw);
    mt.pfn = 0xFEE00;
    CHECK_EQ("get_mem_type of the LAPIC page",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_mem_type, &mt), 0);
    CHECK_EQ("the LAPIC page's type", mt.mem_type, HVMMEM_mmio_dm);
}
#endif

/*
 * The runstate area's 4 bytes after 'state' are padding: after the hypervisor has written
 * the area (at every switch), they hold what the guest did not put there only if hypervisor
 * memory leaks into it. Xen writes them as zero.
 */
static void runstate_padding_zeroed(void)
{
    static union {
        struct vcpu_runstate_info r;
        uint8_t bytes[sizeof(struct vcpu_runstate_info)];
    } area;
    struct vcpu_register_runstate_memory_area reg = { .addr.v = &area.r };
    const unsigned int pad = offsetof(struct vcpu_runstate_info, state) + sizeof(int);

    memset(&area, 0xA5, sizeof(area));
    CHECK_EQ("register_runstate_memory_area",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, &reg), 0);
    for (unsigned int round = 0; round < 50; round++) {
        for (unsigned int i = pad; i < offsetof(struct vcpu_runstate_info, state_entry_time); i++)
            area.bytes[i] = 0xA5;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        if (area.r.state_entry_time == 0xA5A5A5A5A5A5A5A5ULL) {
            xtf_failure("the runstate area was never written");
            return;
        }
        for (unsigned int i = pad; i < offsetof(struct vcpu_runstate_info, state_entry_time); i++)
            if (area.bytes[i]) {
                xtf_failure("runstate padding byte %u is %#x after a switch", i, area.bytes[i]);
                return;
            }
    }
}

static const struct named_test tests[] = {
    { "memory_map_hypercall", memory_map_hypercall },
    { "balloon_out_and_back", balloon_out_and_back },
    { "multicall_results_per_entry", multicall_results_per_entry },
    { "evtchn_fifo_answers_like_xen", evtchn_fifo_answers_like_xen },
    { "add_to_physmap_unknown_space_einval", add_to_physmap_unknown_space_einval },
    { "grant_table_frames_set_up_like_xen", grant_table_frames_set_up_like_xen },
    { "runstate_padding_zeroed", runstate_padding_zeroed },
#ifndef __i386__
    { "vcpu_and_hvm_ops_answer_like_xen", vcpu_and_hvm_ops_answer_like_xen },
    { "balloon_beside_a_running_vcpu", balloon_beside_a_running_vcpu },
#endif
};

void test_main(void)
{
    bool any = run_named_tests(tests, sizeof(tests) / sizeof(tests[0]));
    /* With no name, all run but the last, which needs a second vCPU. */
    for (unsigned int i = 0; !any && i + 1 < sizeof(tests) / sizeof(tests[0]); i++) {
        printk("%s\n", tests[i].name);
        tests[i].fn();
    }
    xtf_success();
}
