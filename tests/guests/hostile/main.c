/*
 * A hostile guest: "calls=<n>" (default 100000) hypercalls with random numbers 0..63 and
 * random arguments (zero, small numbers, pointers into its own scratch memory, memory it
 * does not have, non-canonical addresses, the hypervisor's own ranges, random words). The
 * hypervisor must answer every one and keep running; "seed=<n>" replays a sequence.
 * Between them, well-formed page churn: frames ballooned out and back, shared_info moved
 * about (onto its registered vcpu_info page too, and far away), vcpu_info re-registered.
 * Built 32-bit too, where every call goes through the compat layer (kernel/compat.c).
 */
#include "guest.h"

const char test_title[] = "Hostile hypercalls";

#define DEFAULT_CALLS  100000
#define PROGRESS_EVERY 20000
#if defined(GUEST_PAGING_NONPAE)
#define OWN_MAPPING    (64UL << 20)     /* head32.S maps this much; its RAM lies inside */
#else
#define OWN_MAPPING    (1UL << 30)      /* head.S maps this much; its RAM lies inside */
#endif
#define SCRATCH_BYTES  (64UL << 10)
#define SCRATCH_SLACK  4096             /* no argument structure is bigger than this */
#define CANARY         0x6b756d6f63616e79UL
#define VCPU_INFO_GFN  0x10             /* below 1 MiB: nothing of this image lives there */
#define CHURN_GFN      0x20             /* 128-384 KiB: free too, for the page churn */
#define CHURN_FRAMES   64
#define CHURN_EVERY    64

/*
 * Pointers "into its own memory" point into scratch only, so that what the hypervisor
 * writes there cannot hit this guest's code, stack or page tables; the canaries on both
 * sides show that it wrote nowhere else.
 */
static struct {
    uint64_t lo[512];
    uint8_t scratch[SCRATCH_BYTES];
    uint64_t hi[512];
} arena __attribute__((aligned(4096)));

/* Hypercalls that do something, chosen half the time so most calls get past the table. */
static const uint8_t implemented[] = {
    __HYPERVISOR_platform_op, __HYPERVISOR_memory_op, __HYPERVISOR_set_timer_op,
    __HYPERVISOR_xen_version, __HYPERVISOR_console_io, __HYPERVISOR_vcpu_op,
    __HYPERVISOR_sched_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op,
    __HYPERVISOR_sysctl, __HYPERVISOR_domctl,
};

enum { RC_ZERO, RC_ENOSYS, RC_EFAULT, RC_EPERM, RC_EINVAL, RC_OTHER, NR_RC };

static uint64_t rng;
static uint64_t ram_end;
static unsigned long counts[NR_RC];
static unsigned long churned[4];        /* churn calls: done, refused, -ENOMEM, other */
static unsigned long accepted[64];      /* per hypercall: results >= 0 */

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 0) : dflt;
}

/* xorshift64*: small, and any non-zero seed gives a long sequence. */
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

/* End of the guest's RAM, from the memory map in its start info. */
static uint64_t find_ram_end(void)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
    const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
    uint64_t end = 0;

    for (unsigned int i = 0; i < si->memmap_entries; i++)
        if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            end = MAX(end, e[i].addr + e[i].size);
    return end;
}

/* An address outside the guest's RAM: no access through it may succeed. */
#ifdef __i386__
static uint64_t bad_address(void)
{
    if (rnd() % 2)  /* mapped by its page tables, but past its RAM */
        return ram_end + rnd() % (OWN_MAPPING - ram_end);
    /* not mapped by its page tables, up to the top of the 32-bit space */
    return OWN_MAPPING + rnd() % (0x100000000ULL - OWN_MAPPING);
}
#else
static uint64_t bad_address(void)
{
    uint64_t hi;

    switch (rnd() % 5) {
    case 0:     /* mapped by its page tables, but past its RAM */
        return ram_end + rnd() % (OWN_MAPPING - ram_end);
    case 1:     /* canonical, lower half, not mapped by its page tables */
        return OWN_MAPPING + rnd() % ((1UL << 47) - OWN_MAPPING);
    case 2:     /* non-canonical: bit 47 set, bits 63:48 anything but all ones */
        hi = rnd() & 0xFFFF;
        return (hi == 0xFFFF ? 0x8000 : hi) << 48 | 1UL << 47 | (rnd() & ((1UL << 47) - 1));
    case 3:     /* the hypervisor's direct map */
        return 0xffff830000000000UL + rnd() % (4UL << 30);
    default:    /* the hypervisor's image */
        return 0xffffffff80000000UL + rnd() % (64UL << 20);
    }
}
#endif

/* One argument from the mix. */
static uint64_t random_arg(void)
{
    switch (rnd() % 16) {
    case 0:
    case 1:
        return 0;
    case 2:
    case 3:
    case 4:
    case 5:     /* sub-op numbers, vCPU and domain ids, ports, VIRQs; now and then negative */
        return rnd() % 4 ? rnd() % 64 : -(rnd() % 16) - 1;
    case 6:
    case 7:     /* mostly aligned, so that the fields of the words there line up */
        return (uintptr_t)arena.scratch + (rnd() % (SCRATCH_BYTES - SCRATCH_SLACK) &
                                          (rnd() % 4 ? ~7UL : ~0UL));
    case 8:     /* its last RAM bytes, so that a copy runs off the end of its memory */
        return ram_end - 1 - rnd() % 64;
    case 9:
    case 10:
    case 11:
    case 12:
        return bad_address();
    default:
        return rnd();
    }
}

/*
 * What the structures behind scratch pointers hold: the same mix, or words of four 16-bit
 * lanes that often read as DOMID_SELF, zero or a small id or index.
 */
static uint64_t random_word(void)
{
    uint64_t w = 0;

    if (rnd() % 2)
        return random_arg();
    for (unsigned int lane = 0; lane < 4; lane++) {
        uint64_t r = rnd() % 8, v = r < 2 ? DOMID_SELF : r < 4 ? 0 : r < 7 ? rnd() % 32
                                                                          : rnd() & 0xFFFF;

        w |= v << (16 * lane);
    }
    return w;
}

static void scramble_scratch(unsigned int words)
{
    uint64_t *s = (uint64_t *)arena.scratch;

    for (unsigned int i = 0; i < words; i++)
        s[rnd() % (SCRATCH_BYTES / 8)] = random_word();
}

/*
 * Keeps the guest from stopping or corrupting itself, which would prove nothing about the
 * hypervisor: no sched_op but yield and shutdown_code (block would sleep for good, shutdown
 * would end the test), no VCPUOP_down (its only vCPU going down powers it off) or send_nmi
 * (it has no NMI handler), no console write from its own memory (the console is shared),
 * no memory_op pointer into its own
 * memory (shared_info could land on its code, the balloon could take it) and no multicall
 * list there.
 */
static void tame(uint64_t nr, uint64_t a[5])
{
    switch (nr) {
    case __HYPERVISOR_sched_op:
        a[0] = rnd() % 2 ? SCHEDOP_yield : SCHEDOP_shutdown_code;
        break;
    case __HYPERVISOR_vcpu_op:
        if (a[0] == VCPUOP_down || a[0] == VCPUOP_send_nmi)
            a[0] = VCPUOP_is_up;
        break;
    case __HYPERVISOR_console_io:
        if (a[0] == CONSOLEIO_write && a[2] < OWN_MAPPING)
            a[2] = bad_address();
        break;
    case __HYPERVISOR_memory_op:
        if (a[1] < OWN_MAPPING)
            a[1] = bad_address();
        break;
    case __HYPERVISOR_multicall:        /* its entries would get past all of the above */
        if (a[0] < OWN_MAPPING)
            a[0] = bad_address();
        break;
    }
}

static void count(long rc)
{
    switch (rc) {
    case 0:
        counts[RC_ZERO]++;
        break;
    case -XEN_ENOSYS:
        counts[RC_ENOSYS]++;
        break;
    case -XEN_EFAULT:
        counts[RC_EFAULT]++;
        break;
    case -XEN_EPERM:
        counts[RC_EPERM]++;
        break;
    case -XEN_EINVAL:
        counts[RC_EINVAL]++;
        break;
    default:
        counts[RC_OTHER]++;
    }
}

static long memop(unsigned int op, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_memory_op, op, arg);
}

static long balloon(unsigned int op, xen_pfn_t gfn)
{
    static xen_pfn_t one;
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };

    one = gfn;
    set_xen_guest_handle(r.extent_start, &one);
    return memop(op, &r);
}

/* A gfn for the churn: mostly its own area, now and then vcpu_info's or one far away. */
static xen_pfn_t churn_gfn(void)
{
    switch (rnd() % 8) {
    case 0:
        return VCPU_INFO_GFN;
    case 1:
        return (xen_pfn_t)(0x100000 + rnd() % (1UL << 30));  /* past 4 GiB: new tables */
    default:
        return CHURN_GFN + rnd() % CHURN_FRAMES;
    }
}

/* One well-formed page operation; the hypervisor's answer only has to be sane. */
static void churn(void)
{
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info };
    struct vcpu_register_vcpu_info vi = { .offset = (uint32_t)(rnd() % 64) * 64 };
    xen_pfn_t gfn = churn_gfn();
    long rc;

    switch (rnd() % 4) {
    case 0:
        rc = balloon(XENMEM_decrease_reservation, gfn) == 1 ? 0 : -XEN_EINVAL;
        break;
    case 1:
        if (gfn >= CHURN_GFN + CHURN_FRAMES)
            gfn = CHURN_GFN;            /* far frames would only spend the pool */
        rc = balloon(XENMEM_populate_physmap, gfn) == 1 ? 0 : -XEN_EINVAL;
        break;
    case 2:
        x.gpfn = gfn;
        rc = memop(XENMEM_add_to_physmap, &x);
        break;
    default:
        vi.mfn = gfn;                   /* already registered: refused, whatever the frame */
        rc = HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, &vi);
    }
    churned[rc == 0 ? 0 : rc == -XEN_EINVAL ? 1 : rc == -XEN_ENOMEM ? 2 : 3]++;
}

/* Puts vcpu_info somewhere harmless for good: it may be registered only once. */
static void pin_vcpu_info(void)
{
    struct vcpu_register_vcpu_info r = { .mfn = VCPU_INFO_GFN, .offset = 0 };

    CHECK_EQ("register_vcpu_info",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, &r), 0);
}

void test_main(void)
{
    unsigned long calls = arg("calls=", DEFAULT_CALLS), i;
    char line[128];
    size_t len = 0;
    long version, rc;

    rng = arg("seed=", 0);
    if (!rng)
        rng = rdtsc() | 1;
    ram_end = find_ram_end();
    printk("%lu hypercalls, seed=%#lx, RAM ends at %#lx\n", calls, (unsigned long)rng,
           (unsigned long)ram_end);
    if (ram_end < (2UL << 20) || ram_end > OWN_MAPPING) {
        xtf_error("RAM end %#lx out of the range this test handles", (unsigned long)ram_end);
        return;
    }
    for (i = 0; i < 512; i++)
        arena.lo[i] = arena.hi[i] = CANARY;
    scramble_scratch(SCRATCH_BYTES / 8);
    pin_vcpu_info();

    for (i = 1; i <= calls; i++) {
        uint64_t nr = rnd() % 2 ? implemented[rnd() % sizeof(implemented)] : rnd() % 64;
        uint64_t a[5];

        for (unsigned int j = 0; j < 5; j++)
            a[j] = random_arg();
        /* The first argument is mostly a sub-op: small numbers take most calls deeper. */
        if (rnd() % 2)
            a[0] = rnd() % 16;
        tame(nr, a);
        rc = hypercall(nr, a[0], a[1], a[2], a[3], a[4]);
        count(rc);
        accepted[nr] += rc >= 0;
        if (i % 64 == 0)
            scramble_scratch(64);
        if (i % CHURN_EVERY == 0)
            churn();
        if (i % PROGRESS_EVERY == 0)
            printk("%lu calls made\n", i);
    }

    printk("%lu hypercalls survived: %lu returned 0, %lu -ENOSYS, %lu -EFAULT, %lu -EPERM, "
           "%lu -EINVAL, %lu other\n", calls, counts[RC_ZERO], counts[RC_ENOSYS],
           counts[RC_EFAULT], counts[RC_EPERM], counts[RC_EINVAL], counts[RC_OTHER]);
    printk("page churn: %lu done, %lu refused, %lu -ENOMEM, %lu other\n", churned[0],
           churned[1], churned[2], churned[3]);
    if (churned[3])
        xtf_failure("page churn: %lu answers that were not 0, -EINVAL or -ENOMEM", churned[3]);
    /* How far the calls got: only those the hypervisor accepted went past the checks. */
    line[0] = '\0';
    for (i = 0; i < sizeof(implemented) && len < sizeof(line); i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, " %u:%lu", implemented[i],
                                accepted[implemented[i]]);
    printk("accepted by hypercall:%s\n", line);
    version = HYPERCALL2(__HYPERVISOR_xen_version, XENVER_version, 0);
    if (version < 0x40011)
        xtf_failure("xen_version after the storm: %#lx, want >= 0x40011", version);
    for (i = 0; i < 512; i++)
        if (arena.lo[i] != CANARY || arena.hi[i] != CANARY) {
            xtf_failure("the hypervisor wrote outside the scratch area, near word %lu", i);
            break;
        }
}
