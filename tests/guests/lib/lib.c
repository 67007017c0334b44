/* Test-kernel runtime: hypercalls by the CPU vendor's instruction, console, reporting. */
#include "guest.h"
#include <xen/io/console.h>

enum result { RESULT_PASS, RESULT_SKIP, RESULT_ERROR, RESULT_FAIL };
static enum result result = RESULT_PASS;
static int use_vmmcall = -1;

uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void guest_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static bool vendor_is_amd(void)
{
    if (use_vmmcall < 0) {
        uint32_t a, b, c, d;

        guest_cpuid(0, &a, &b, &c, &d);
        use_vmmcall = b == 0x68747541;      /* "Auth"enticAMD */
    }
    return use_vmmcall;
}

#ifdef __i386__
/* The 32-bit convention: EBX, ECX, EDX, ESI, EDI. */
long hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
               unsigned long a4, unsigned long a5)
{
    long ret;

    if (vendor_is_amd())
        __asm__ volatile("vmmcall" : "=a"(ret), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
                         : "a"(nr) : "memory");
    else
        __asm__ volatile("vmcall" : "=a"(ret), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
                         : "a"(nr) : "memory");
    return ret;
}
#else
long hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
               unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;

    if (vendor_is_amd())
        __asm__ volatile("vmmcall" : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         : "a"(nr) : "memory", "rcx", "r11");
    else
        __asm__ volatile("vmcall" : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         : "a"(nr) : "memory", "rcx", "r11");
    return ret;
}
#endif

void debug_putc(char c)
{
    __asm__ volatile("outb %0, $0xE9" :: "a"(c));
}

#ifdef __i386__
static void ring_write(const char *s, int n)
{
    (void)s, (void)n;                   /* 32-bit kernels keep to console_io */
}
#else
/*
 * Pages a toolstack gives a domain it builds, named by HVM params (the PV console and
 * xenstore rings; boot domains have none), lie near 4 GiB, beyond the identity map: the
 * gigabyte holding them is shadowed at the 5th GiB of the address space, which no test
 * kernel uses (probe and smp map the 4th for the local APIC), one 2 MiB page per page asked for.
 */
extern uint64_t pdpt[512];
static uint64_t special_pd[512] __attribute__((aligned(4096)));
static uint64_t special_gib = ~0ULL;

void *map_special_page(uint32_t pfn_param, uint32_t port_param, uint32_t *port)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = pfn_param };
    uint64_t pa, va;

    if (HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p) || !p.value)
        return NULL;
    pa = p.value << PAGE_SHIFT;
    if (special_gib != ~0ULL && special_gib != pa >> 30)
        return NULL;                    /* one shadowed gigabyte only */
    p.index = port_param;
    if (HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p))
        return NULL;
    *port = (uint32_t)p.value;
    special_gib = pa >> 30;
    va = (4ULL << 30) + (pa & ((1ULL << 30) - 1));
    special_pd[(pa >> 21) & 511] = (pa & ~((2ULL << 20) - 1)) | 0x83;  /* present, rw, 2 MiB */
    pdpt[4] = (uint64_t)(uintptr_t)special_pd | 3;
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
    return (void *)(uintptr_t)va;
}

/* printk's output goes to the PV console ring too, so that `xl console` shows it. */
static struct xencons_interface *ring;
static uint32_t ring_port;
static int ring_state;                  /* 0 not looked for yet, 1 in use, -1 none */

static struct xencons_interface *console_ring(void)
{
    if (!ring_state) {
        ring = map_special_page(HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN, &ring_port);
        ring_state = ring ? 1 : -1;
    }
    return ring;
}

/* What fits is written; a full ring (no reader yet) drops the rest rather than wait. */
static void ring_write(const char *s, int n)
{
    struct xencons_interface *r = console_ring();
    struct evtchn_send send;
    XENCONS_RING_IDX prod;

    if (!r)
        return;
    prod = r->out_prod;
    __asm__ volatile("" ::: "memory");
    for (int i = 0; i < n && prod - r->out_cons < sizeof(r->out); i++) {
        if (s[i] == '\n' && prod + 1 - r->out_cons < sizeof(r->out))
            r->out[MASK_XENCONS_IDX(prod++, r->out)] = '\r';
        r->out[MASK_XENCONS_IDX(prod++, r->out)] = s[i];
    }
    __asm__ volatile("sfence" ::: "memory");   /* the bytes before the index (console.h) */
    r->out_prod = prod;
    send.port = ring_port;
    HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &send);
}
#endif

void printk(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    n = MIN(n, (int)sizeof(buf) - 1);
    HYPERCALL3(__HYPERVISOR_console_io, CONSOLEIO_write, n, buf);
    ring_write(buf, n);
}

struct idt_entry {
    uint16_t off0, sel;
    uint8_t ist, attr;
    uint16_t off1;
#ifndef __i386__
    uint32_t off2, zero;
#endif
};

static struct idt_entry idt[256] __attribute__((aligned(16)));

void idt_set_gate(unsigned int vec, void (*stub)(void))
{
    uintptr_t a = (uintptr_t)stub;

#ifdef __i386__
    idt[vec & 255] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16) };
#else
    idt[vec & 255] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16),
                                         (uint32_t)(a >> 32), 0 };
#endif
}

void idt_load(void)
{
    struct __attribute__((packed)) { uint16_t limit; uintptr_t base; } idtr = {
        sizeof(idt) - 1, (uintptr_t)idt
    };

    __asm__ volatile("lidt %0" :: "m"(idtr));
}

bool guest_is_dom0(void)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;

    return si->flags & SIF_INITDOMAIN;
}

void shutdown(unsigned int reason)
{
    struct sched_shutdown ss = { .reason = reason };

    HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &ss);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void report(enum result r, const char *kind, const char *fmt, va_list ap)
{
    char buf[200];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    printk("%s: %s\n", kind, buf);
    if (r > result)
        result = r;
}

void xtf_failure(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(RESULT_FAIL, "Failure", fmt, ap);
    va_end(ap);
}

void xtf_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(RESULT_ERROR, "Error", fmt, ap);
    va_end(ap);
}

void xtf_skip(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(RESULT_SKIP, "Skip", fmt, ap);
    va_end(ap);
}

void xtf_success(void)
{
}

const char *guest_cmdline(void)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;

    return si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
}

void guest_start(void);
void guest_start(void)
{
    static const char *const names[] = { "PASS", "SKIP", "ERROR", "FAIL" };

    printk("--- %s ---\n", test_title);
    test_main();
    printk("Test result: %s\n", names[result]);
    if (test_exit)
        test_exit();
    /*
     * "on-exit=reboot" on the command line asks for a reboot instead of a poweroff;
     * "on-exit=halt" halts with interrupts off, which powers off once no vCPU is left up.
     */
    if (strstr(guest_cmdline(), "on-exit=halt"))
        for (;;)
            __asm__ volatile("cli; hlt");
    shutdown(strstr(guest_cmdline(), "on-exit=reboot") ? SHUTDOWN_reboot : SHUTDOWN_poweroff);
}

struct shared_info *map_shared_info(unsigned long gfn)
{
    struct xen_add_to_physmap xatp = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
                                       .gpfn = gfn };

    if (HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, &xatp))
        return NULL;
    return (struct shared_info *)(gfn << 12);
}

/* The pvclock protocol: retry while the version is odd or changed under us. */
int64_t pv_now(const struct shared_info *s)
{
    return pv_now_vcpu(s, 0);
}

int64_t pv_now_vcpu(const struct shared_info *s, unsigned int vcpu)
{
    const volatile struct vcpu_time_info *t = &s->vcpu_info[vcpu].time;
    uint32_t version;
    uint64_t delta;
    int64_t now;

    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        delta = rdtsc() - t->tsc_timestamp;
        delta = t->tsc_shift >= 0 ? delta << t->tsc_shift : delta >> -t->tsc_shift;
        /* (delta * mul) >> 32 without a 128-bit product, exactly. */
        now = (int64_t)(t->system_time + (delta >> 32) * t->tsc_to_system_mul +
                        (((delta & 0xFFFFFFFFu) * t->tsc_to_system_mul) >> 32));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } while ((version & 1) || version != t->version);
    return now;
}

/*
 * The page table under the first large page: page directory entries are 8 bytes (long
 * mode, PAE) or 4 (2-level paging), and the first entry may map a 2 or 4 MiB page.
 */
#if defined(__i386__) && !defined(GUEST_PAGING_PAE)
typedef uint32_t pte_t;
#define PT_ENTRIES 1024
#else
typedef uint64_t pte_t;
#define PT_ENTRIES 512
#endif
extern pte_t pd[];
static pte_t low_pt[PT_ENTRIES] __attribute__((aligned(4096)));

void guest_unmap_low_page(unsigned int pfn)
{
    unsigned long cr3;

    if (pd[0] & 0x80) {                 /* a large page: split it into 4 KiB ones first */
        for (unsigned int i = 0; i < PT_ENTRIES; i++)
            low_pt[i] = (pte_t)i << 12 | 3;
        pd[0] = (pte_t)(uintptr_t)low_pt | 3;
    }
    ((pte_t *)(uintptr_t)(pd[0] & ~(pte_t)0xFFF))[pfn % PT_ENTRIES] = 0;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) :: "memory");
}

bool run_named_tests(const struct named_test *tests, unsigned int nr)
{
    const char *cmdline = guest_cmdline();
    bool any = false;

    for (unsigned int i = 0; i < nr; i++)
        if (strstr(cmdline, tests[i].name)) {
            printk("%s\n", tests[i].name);
            tests[i].fn();
            any = true;
        }
    return any;
}
