/*
 * Page ownership seen from a guest (DESIGN.md D15): the hypervisor never writes into a
 * frame the guest gave back, an unmap is final on every vCPU when the call returns, and
 * the p2m's tables come out of the guest's own pool. The command line names one property;
 * populate_pattern_loop is the neighbour the unmap test needs: a second domain taking
 * freed frames and filling them with its pattern. Needs a 16 MiB DomU whose RAM from
 * 8 MiB up is free.
 */
#include "guest.h"
#include <xen/hvm/hvm_vcpu.h>

const char test_title[] = "Page references, remote flushes and the p2m's pool";

#define MEMOP(op, arg) HYPERCALL2(__HYPERVISOR_memory_op, (op), (arg))

#define SI_GFN       0x900UL
#define VI_GFN       0xA00UL
#define ROOM_GFN     0xB00UL            /* 64 frames given back to make room */
#define ROOM         64
#define SHARED_GFN   0xC00UL            /* the page vCPU 1 reads while vCPU 0 balloons it */
#define PATTERN_MINE  0x1111222233334444ULL
#define PATTERN_OTHER 0x0BAD0BAD0BAD0BADULL

static long reservation(unsigned int op, xen_pfn_t *list, unsigned long nr)
{
    struct xen_memory_reservation r = { .nr_extents = nr, .domid = DOMID_SELF };

    set_xen_guest_handle(r.extent_start, list);
    return MEMOP(op, &r);
}

static long physmap_shared_info(unsigned long gfn)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0, .gpfn = gfn,
    };

    return MEMOP(XENMEM_add_to_physmap, &x);
}

static bool frame_zero(unsigned long gfn)
{
    const volatile uint64_t *p = (const volatile uint64_t *)(gfn << 12);

    for (unsigned int i = 0; i < 512; i++)
        if (p[i])
            return false;
    return true;
}

static void yield_many(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

/*
 * vcpu_info registered on a frame, shared_info moved over that frame, then ballooned out:
 * each step succeeds as in Xen, and the frames the guest gets next are clean however long
 * the hypervisor goes on updating the vcpu_info it still holds.
 */
static void shared_info_remap_cannot_free_live_page(void)
{
    struct vcpu_register_vcpu_info vi = { .mfn = VI_GFN, .offset = 0 };
    static xen_pfn_t list[ROOM + 2];
    const volatile struct shared_info *s;

    if (!map_shared_info(SI_GFN)) {
        xtf_failure("map shared_info failed");
        return;
    }
    CHECK_EQ("register_vcpu_info",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, &vi), 0);
    CHECK_EQ("shared_info onto vcpu_info's frame", physmap_shared_info(VI_GFN), 0);
    s = (const volatile struct shared_info *)(VI_GFN << 12);
    if (!s->wc_version)
        xtf_failure("the frame does not show shared_info after the move");
    CHECK_EQ("old shared_info home is a hole", *(volatile uint64_t *)(SI_GFN << 12), -1L);
    {
        uint32_t version = s->vcpu_info[0].time.version;

        yield_many(20);
        CHECK_EQ("vcpu_info is not written into shared_info", s->vcpu_info[0].time.version,
                 version);
    }
    CHECK_EQ("balloon shared_info's frame out", reservation(XENMEM_decrease_reservation,
                                                            (xen_pfn_t[]){ VI_GFN }, 1), 1);
    for (unsigned int i = 0; i < ROOM; i++)
        list[i] = ROOM_GFN + i;
    CHECK_EQ("make room", reservation(XENMEM_decrease_reservation, list, ROOM), ROOM);
    /* The frames just freed (the allocator hands back the latest first) come back here. */
    list[ROOM] = VI_GFN;
    list[ROOM + 1] = SI_GFN;
    CHECK_EQ("populate", reservation(XENMEM_populate_physmap, list, ROOM + 1), ROOM + 1);
    for (unsigned int round = 0; round < 50; round++) {
        yield_many(10);                 /* each entry refreshes the hidden vcpu_info */
        for (unsigned int i = 0; i < ROOM + 1; i++)
            if (!frame_zero(list[i])) {
                xtf_failure("frame %#lx shows data the guest never wrote (round %u)",
                            (unsigned long)list[i], round);
                return;
            }
    }
}

/* Scatters shared_info 1 GiB apart until the p2m's pool is spent: -ENOMEM, to it alone. */
static void p2m_tables_charged_to_domain(void)
{
    xen_pfn_t gfn = ROOM_GFN;
    unsigned int i;
    long rc = 0;

    /* Split the 2 MiB mappings these need first: after the scatter no table is left. */
    CHECK_EQ("shared_info home", physmap_shared_info(SI_GFN), 0);
    CHECK_EQ("decrease", reservation(XENMEM_decrease_reservation, &gfn, 1), 1);
    for (i = 1; i <= 2000 && !rc; i++)
        rc = physmap_shared_info((unsigned long)i << 18);
    printk("add_to_physmap gave %ld after %u moves\n", rc, i - 1);
    CHECK_EQ("scattered add_to_physmap", rc, -XEN_ENOMEM);
    /* Existing tables serve a move back at no cost. */
    CHECK_EQ("shared_info back home", physmap_shared_info(SI_GFN), 0);
    CHECK_EQ("populate where tables exist", reservation(XENMEM_populate_physmap, &gfn, 1), 1);
}

/* The neighbour: takes freed frames as fast as it can and writes its pattern in them. */
static void populate_pattern_loop(void)
{
    static xen_pfn_t list[ROOM];

    for (unsigned int i = 0; i < ROOM; i++)
        list[i] = ROOM_GFN + i;
    for (unsigned int round = 0; round < 400; round++) {
        if (reservation(XENMEM_decrease_reservation, list, ROOM) != ROOM ||
            reservation(XENMEM_populate_physmap, list, ROOM) != ROOM) {
            xtf_failure("round %u: the balloon failed", round);
            return;
        }
        for (unsigned int i = 0; i < ROOM; i++)
            for (unsigned int w = 0; w < 512; w++)
                ((volatile uint64_t *)(list[i] << 12))[w] = PATTERN_OTHER;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
}

static volatile unsigned long phase;    /* odd: SHARED_GFN is ballooned out */
static volatile unsigned long reader_state, reads, bad_value, bad_phase;
static volatile bool reader_stop;
static uint8_t reader_stack[8192] __attribute__((aligned(16)));

/* vCPU 1: reads the page through its TLB the whole time; never returns. */
static void reader(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(SHARED_GFN << 12);

    reader_state = 1;
    while (!reader_stop) {
        unsigned long before = phase;
        uint64_t v = p[7];

        if (v != PATTERN_MINE && v != 0 && v != ~0ULL)
            bad_value = v;
        if ((before & 1) && phase == before && v != ~0ULL)
            bad_phase = v | 1;
        reads++;
    }
    reader_state = 2;
    for (;;)
        __asm__ volatile("cli; hlt");
}

static bool start_reader(void)
{
    struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
    uint64_t cr3;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    ctx.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)reader, .rsp = (uint64_t)&reader_stack[sizeof(reader_stack) - 8],
        .rflags = 2, .cr0 = 0x80000011, .cr3 = cr3, .cr4 = 0x20, .efer = 0x500,
    };
    if (HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, &ctx) ||
        HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, NULL))
        return false;
    for (unsigned int i = 0; i < 2000 && !reader_state; i++)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    return reader_state == 1;
}

/*
 * vCPU 0 balloons the page vCPU 1 keeps reading: once decrease returns, vCPU 1 reads
 * all-ones (no RAM there), never the neighbour's pattern from a stale translation.
 */
static void unmap_flushes_remote_translations(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(SHARED_GFN << 12);
    xen_pfn_t gfn = SHARED_GFN;

    p[7] = PATTERN_MINE;
    if (!start_reader()) {
        xtf_error("vCPU 1 did not start (this property needs a 2-vCPU DomU)");
        return;
    }
    for (unsigned int round = 0; round < 300; round++) {
        unsigned long r0 = reads;

        if (reservation(XENMEM_decrease_reservation, &gfn, 1) != 1) {
            xtf_failure("round %u: decrease failed", round);
            break;
        }
        phase++;
        /* Let the reader look while the frame is gone (and the neighbour takes it). */
        for (unsigned int i = 0; i < 200 && reads < r0 + 1000; i++)
            HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        phase++;
        if (reservation(XENMEM_populate_physmap, &gfn, 1) != 1) {
            xtf_failure("round %u: populate failed", round);
            break;
        }
        p[7] = PATTERN_MINE;
    }
    reader_stop = true;
    printk("vCPU 1 read the page %lu times\n", reads);
    if (bad_value)
        xtf_failure("vCPU 1 read %#lx: data that was never its domain's",
                    (unsigned long)bad_value);
    if (bad_phase)
        xtf_failure("vCPU 1 read %#lx after the decrease returned", (unsigned long)bad_phase);
    for (unsigned int i = 0; i < 2000 && HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0); i++)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
}

static const struct named_test tests[] = {
    { "shared_info_remap_cannot_free_live_page", shared_info_remap_cannot_free_live_page },
    { "p2m_tables_charged_to_domain", p2m_tables_charged_to_domain },
    { "populate_pattern_loop", populate_pattern_loop },
    { "unmap_flushes_remote_translations", unmap_flushes_remote_translations },
};

void test_main(void)
{
    bool any = run_named_tests(tests, sizeof(tests) / sizeof(tests[0]));
    if (!any)
        xtf_error("no property named on the command line");
    xtf_success();
}
