/*
 * The emulated local APIC and SMP bring-up, as a bare-metal kernel does it: xAPIC registers
 * through MMIO at 0xFEE00000 (ID, version, TPR, SVR, LVT, ESR, IRR/ISR, EOI), self-IPIs held
 * back by IF and TPR, INIT-SIPI-SIPI starting each AP in real mode at the SIPI vector, an AP
 * in x2APIC mode (MSRs, SELF_IPI), NMI and broadcast IPIs, INIT of a running AP,
 * VCPUOP_is_up/down/up/initialise, and SCHEDOP_poll (an AP sleeping on a masked port until
 * another vCPU sends on it; timeouts), and going down by HLT with interrupts off. Runs with
 * 5 vCPUs: 1-3 come up by SIPI, 4 by VCPUOP. First it walks the ACPI tables the hypervisor
 * gave it. With on-exit=halt it powers off by halting its last vCPU with interrupts off,
 * with on-exit=acpi by writing \_S5 to the FADT's sleep control register.
 */
#include "guest.h"
#include <xen/hvm/hvm_vcpu.h>

const char test_title[] = "Local APIC and SMP bring-up";

#define NR_VCPUS        5                   /* at most; vcpus=4 on the command line: 4 */
#define SHARED_INFO_GFN 0x900
#define TRAMPOLINE      0x8000              /* SIPI vector 0x08 */
#define WAIT_NS         2000000000LL        /* emulated vCPUs share two pCPUs: be patient */

#define VEC_XAPIC       0x40                /* EOI through MMIO */
#define VEC_X2APIC      0x41                /* EOI through the MSR */
#define VEC_BROADCAST   0x42                /* either, by the APIC's mode */

#define MSR_APIC_BASE   0x1B

static struct shared_info *shared;
static volatile uint32_t *apic = (volatile uint32_t *)0xFEE00000UL;
static uint64_t apic_pd[512] __attribute__((aligned(4096)));
static uint8_t ap_stacks[NR_VCPUS][8192] __attribute__((aligned(16)));

volatile unsigned long irq_count[NR_VCPUS][3], nmi_count[NR_VCPUS], gp_count;
static volatile unsigned long ap_entries[NR_VCPUS];
/* Each vCPU's own pvclock, read just before it tells the other side: time never runs back. */
static volatile int64_t ap_clock[NR_VCPUS], sipi_clock;
static unsigned int nr_vcpus = NR_VCPUS;
static volatile bool ap_stop;
static volatile evtchn_port_t poll_port;             /* set: vCPU 3 polls it once */
static volatile unsigned long polls_done, polls_entered;
static volatile bool poll_release;                   /* until set, vCPU 3 polls again */
static struct vcpu_runstate_info poller_runstate;
extern uint64_t pdpt[512];

/* The AP trampoline: copied to TRAMPOLINE, entered in real mode with CS = 0x0800, IP = 0. */
extern const char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[], tramp_entry[];
__asm__(".text\n"
        ".code16\n"
        "tramp_start:\n"
        "  cli\n"
        "  movw %cs, %ax\n"
        "  movw %ax, %ds\n"
        "  lgdtl tramp_gdtr - tramp_start\n"
        "  movl %cr4, %eax\n"
        "  orl $0x20, %eax\n"                       /* PAE */
        "  movl %eax, %cr4\n"
        "  movl tramp_cr3 - tramp_start, %eax\n"
        "  movl %eax, %cr3\n"
        "  movl $0xC0000080, %ecx\n"
        "  rdmsr\n"
        "  orl $0x100, %eax\n"                      /* EFER.LME */
        "  wrmsr\n"
        "  movl %cr0, %eax\n"
        "  orl $0x80000001, %eax\n"                 /* PG | PE: straight to long mode */
        "  movl %eax, %cr0\n"
        "  ljmpl $0x08, $(0x8000 + tramp64 - tramp_start)\n"
        ".code64\n"
        "tramp64:\n"
        "  movl $0x10, %eax\n"
        "  movl %eax, %ds\n"
        "  movl %eax, %es\n"
        "  movl %eax, %ss\n"
        "  movq (0x8000 + tramp_stack - tramp_start), %rsp\n"
        "  movq (0x8000 + tramp_entry - tramp_start), %rax\n"
        "  call *%rax\n"
        "1: hlt\n"
        "  jmp 1b\n"
        "  .balign 8\n"
        "tramp_gdt:\n"
        "  .quad 0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF\n"
        "tramp_gdtr:\n"
        "  .short 23\n"
        "  .long 0x8000 + tramp_gdt - tramp_start\n"
        "  .balign 8\n"
        "tramp_cr3: .quad 0\n"
        "tramp_stack: .quad 0\n"
        "tramp_entry: .quad 0\n"
        "tramp_end:\n");

static void *tramp_slot(const char *sym)
{
    return (void *)(TRAMPOLINE + (sym - tramp_start));
}

/* Interrupt and NMI stubs save what C clobbers; the #GP stub skips the 2-byte RDMSR/WRMSR. */
#define STUB(name, handler, arg)                                                        \
    void name(void);                                                                    \
    __asm__(".text\n" #name ":\n"                                                       \
            "  push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"                 \
            "  push %r8; push %r9; push %r10; push %r11\n"                              \
            "  movl $" #arg ", %edi\n"                                                  \
            "  call " #handler "\n"                                                     \
            "  pop %r11; pop %r10; pop %r9; pop %r8\n"                                  \
            "  pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"                      \
            "  iretq\n")

void irq_handler(unsigned int which);
void nmi_handler(unsigned int unused);
STUB(stub_xapic, irq_handler, 0);
STUB(stub_x2apic, irq_handler, 1);
STUB(stub_broadcast, irq_handler, 2);
STUB(stub_nmi, nmi_handler, 0);
void stub_gp(void);
__asm__(".text\nstub_gp:\n"
        "  lock incq gp_count(%rip)\n"
        "  addq $2, 8(%rsp)\n"
        "  addq $8, %rsp\n"
        "  iretq\n");

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

static unsigned int my_vcpu(void)
{
    uint32_t a, b, c, d;

    guest_cpuid(0x40000004, &a, &b, &c, &d);
    return b < NR_VCPUS ? b : 0;
}

static bool x2apic_on(void)
{
    return rdmsr(MSR_APIC_BASE) & (1u << 10);
}

static void eoi(void)
{
    if (x2apic_on())
        wrmsr(0x80B, 0);
    else
        apic[0xB0 / 4] = 0;
}

void irq_handler(unsigned int which)
{
    __atomic_fetch_add(&irq_count[my_vcpu()][which], 1, __ATOMIC_SEQ_CST);
    eoi();
}

void nmi_handler(unsigned int unused)
{
    (void)unused;
    __atomic_fetch_add(&nmi_count[my_vcpu()], 1, __ATOMIC_SEQ_CST);
}

static bool wait_until(volatile unsigned long *what, unsigned long want)
{
    int64_t end = pv_now(shared) + WAIT_NS;

    while (*what < want)
        if (pv_now(shared) > end)
            return false;
    return true;
}

static void send_ipi(uint32_t dest_apic_id, uint32_t icr)
{
    apic[0x310 / 4] = dest_apic_id << 24;
    apic[0x300 / 4] = icr;
}

static long vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
    return HYPERCALL3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

/*
 * Every AP lands here in long mode, on its own stack: from the trampoline, or straight from
 * VCPUOP_initialise, which gives flat segments but no GDT for the next interrupt's CS.
 */
static void ap_main(void)
{
    static const uint64_t gdt[3] = { 0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF };
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = {
        sizeof(gdt) - 1, (uint64_t)gdt
    };
    unsigned int me = my_vcpu();
    uint32_t a, b, c, d;

    __asm__ volatile("lgdt %0" :: "m"(gdtr));
    idt_load();
    guest_cpuid(1, &a, &b, &c, &d);
    if (b >> 24 != me * 2)
        xtf_failure("vCPU %u: CPUID initial APIC id %u", me, b >> 24);
    if ((apic[0x20 / 4] >> 24) != me * 2)
        xtf_failure("vCPU %u: xAPIC ID register %#x", me, apic[0x20 / 4]);
    if (rdmsr(MSR_APIC_BASE) != 0xFEE00800)
        xtf_failure("vCPU %u: APIC_BASE %#lx (BSP flag on an AP?)", me,
                    (unsigned long)rdmsr(MSR_APIC_BASE));
    apic[0xF0 / 4] = 0x1FF;
    if (me == 1) {
        /* x2APIC mode: the same registers as MSRs, and SELF_IPI. */
        wrmsr(MSR_APIC_BASE, 0xFEE00C00);
        if (rdmsr(0x802) != me * 2 || (rdmsr(0x803) & 0xFF) != 0x14)
            xtf_failure("x2APIC ID/version: %#lx %#lx", (unsigned long)rdmsr(0x802),
                        (unsigned long)rdmsr(0x803));
        if (rdmsr(0x80D) != (0u << 16 | 1u << 2))
            xtf_failure("x2APIC LDR %#lx, expected cluster 0 bit 2", (unsigned long)rdmsr(0x80D));
        wrmsr(0x83F, VEC_X2APIC);
        __asm__ volatile("sti; nop; cli" ::: "memory");
    }
    ap_clock[me] = pv_now_vcpu(shared, me);
    if (ap_clock[me] < sipi_clock)
        xtf_failure("vCPU %u's clock %ld ns behind vCPU 0's before the SIPI", me,
                    (long)(sipi_clock - ap_clock[me]));
    __atomic_fetch_add(&ap_entries[me], 1, __ATOMIC_SEQ_CST);
    while (!ap_stop) {
        if (me == 3 && poll_port) {
            evtchn_port_t port = poll_port;
            struct sched_poll sp = { .nr_ports = 1, .timeout = 0 };

            sp.ports.p = &port;
            poll_port = 0;
            __atomic_fetch_add(&polls_entered, 1, __ATOMIC_SEQ_CST);
            /* Wakeups without the port (an IPI, say) may happen, as in Xen: poll again. */
            do {
                if (HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &sp))
                    xtf_failure("SCHEDOP_poll on vCPU 3 failed");
            } while (!poll_release);
            __atomic_fetch_add(&polls_done, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    /* vCPU 4 leaves as Linux's halt does, the others by VCPUOP_down on themselves. */
    if (me == 4)
        __asm__ volatile("cli; hlt" ::: "memory");
    else
        vcpu_op(VCPUOP_down, me, NULL);
    xtf_failure("vCPU %u ran on after going down", me);
}

static void check_xapic_registers(void)
{
    uint32_t a, b, c, d;

    guest_cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 9)) || !(c & (1u << 21)) || b >> 24 != 0)
        xtf_failure("CPUID.1: APIC %u x2APIC %u initial id %u", !!(d & (1u << 9)),
                    !!(c & (1u << 21)), b >> 24);
    CHECK_EQ("APIC_BASE of the BSP", rdmsr(MSR_APIC_BASE), 0xFEE00900);
    CHECK_EQ("ID", apic[0x20 / 4], 0);
    CHECK_EQ("version", apic[0x30 / 4], 0x50014);
    apic[0xF0 / 4] = 0x1FF;
    CHECK_EQ("SVR", apic[0xF0 / 4], 0x1FF);
    apic[0x80 / 4] = 0x20;
    CHECK_EQ("TPR", apic[0x80 / 4], 0x20);
    CHECK_EQ("PPR follows TPR", apic[0xA0 / 4], 0x20);
    apic[0x80 / 4] = 0;
    apic[0x320 / 4] = 0x10000 | 0xEF;
    CHECK_EQ("LVT timer", apic[0x320 / 4], 0x100EF);
    /*
     * A fixed IPI with a vector below 16 is an error the ESR shows after its next write; to
     * itself, one both sent and received (SDM Vol 3A 11.5.3).
     */
    send_ipi(0, 1u << 18 | 5);
    apic[0x280 / 4] = 0;
    CHECK_EQ("ESR: send and receive illegal vector", apic[0x280 / 4], 3u << 5);
    apic[0x280 / 4] = 0;
    CHECK_EQ("ESR cleared", apic[0x280 / 4], 0);
    /* x2APIC MSRs do not exist in xAPIC mode. */
    rdmsr(0x802);
    CHECK_EQ("#GP for an x2APIC MSR in xAPIC mode", gp_count, 1);
}

static void check_self_ipi(void)
{
    /* IF clear: it waits in IRR. */
    send_ipi(0, 1u << 18 | VEC_XAPIC);
    CHECK_EQ("IRR holds the held-back vector", apic[(0x200 + 0x10 * (VEC_XAPIC / 32)) / 4],
             1u << (VEC_XAPIC % 32));
    CHECK_EQ("no delivery with IF clear", irq_count[0][0], 0);
    __asm__ volatile("sti; nop; cli" ::: "memory");
    CHECK_EQ("delivered once when IF is set", irq_count[0][0], 1);
    CHECK_EQ("ISR empty after EOI", apic[(0x100 + 0x10 * (VEC_XAPIC / 32)) / 4], 0);
    /* TPR class 5 holds back vector 0x40 (class 4) even with IF set; TPR 0 lets it in. */
    apic[0x80 / 4] = 0x50;
    send_ipi(0, 1u << 18 | VEC_XAPIC);
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
    CHECK_EQ("held back by TPR", irq_count[0][0], 1);
    apic[0x80 / 4] = 0;
    __asm__ volatile("sti; nop; cli" ::: "memory");
    CHECK_EQ("delivered when TPR drops", irq_count[0][0], 2);
}

static bool start_ap(unsigned int n)
{
    unsigned long before = ap_entries[n];

    *(uint64_t *)tramp_slot(tramp_stack) = (uint64_t)&ap_stacks[n][sizeof(ap_stacks[n])];
    *(uint64_t *)tramp_slot(tramp_entry) = (uint64_t)ap_main;
    sipi_clock = pv_now(shared);
    send_ipi(n * 2, 0x4500);                    /* INIT, level, assert */
    send_ipi(n * 2, 0x8500);                    /* INIT, level, de-assert */
    send_ipi(n * 2, 0x0600 | TRAMPOLINE >> 12); /* SIPI, twice as the MP spec says */
    if (!wait_until(&ap_entries[n], before + 1)) {
        xtf_failure("vCPU %u did not come up after INIT/SIPI", n);
        return false;
    }
    if (pv_now(shared) < ap_clock[n])
        xtf_failure("vCPU 0's clock %ld ns behind vCPU %u's", (long)(ap_clock[n] - pv_now(shared)),
                    n);
    send_ipi(n * 2, 0x0600 | TRAMPOLINE >> 12); /* must be ignored: the AP is up */
    return true;
}

static void check_ipis(void)
{
    /* NMI to vCPU 2 only. */
    send_ipi(2 * 2, 0x400);
    if (!wait_until(&nmi_count[2], 1))
        xtf_failure("NMI IPI not delivered to vCPU 2");
    /* Broadcast to all but self, fixed vector: every AP's handler runs once. */
    send_ipi(0, 3u << 18 | VEC_BROADCAST);
    for (unsigned int n = 1; n <= 3; n++)
        if (!wait_until(&irq_count[n][2], 1))
            xtf_failure("broadcast IPI did not reach vCPU %u", n);
    CHECK_EQ("broadcast skipped the sender", irq_count[0][2], 0);
    CHECK_EQ("x2APIC SELF_IPI on vCPU 1", irq_count[1][1], 1);
    CHECK_EQ("NMI only where sent", nmi_count[1] + nmi_count[3], 0);
}

static void check_vcpu_ops(void)
{
    struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
    uint64_t cr3;
    int64_t end;

    for (unsigned int n = 0; n <= 3; n++)
        CHECK_EQ("VCPUOP_is_up after bring-up", vcpu_op(VCPUOP_is_up, n, NULL), 1);
    if (nr_vcpus == 5) {
        CHECK_EQ("VCPUOP_is_up of a vCPU never started", vcpu_op(VCPUOP_is_up, 4, NULL), 0);
        CHECK_EQ("VCPUOP_up before initialise", vcpu_op(VCPUOP_up, 4, NULL), -XEN_EINVAL);
    }
    CHECK_EQ("VCPUOP_initialise of a vCPU that ran", vcpu_op(VCPUOP_initialise, 3, &ctx),
             -XEN_EEXIST);
    CHECK_EQ("VCPUOP_is_up of a vCPU that does not exist", vcpu_op(VCPUOP_is_up, 64, NULL),
             -XEN_ENOENT);

    /* Down and up again: it goes on where it stopped (its HLT loop) and still answers. */
    CHECK_EQ("VCPUOP_down", vcpu_op(VCPUOP_down, 3, NULL), 0);
    CHECK_EQ("VCPUOP_is_up after down", vcpu_op(VCPUOP_is_up, 3, NULL), 0);
    CHECK_EQ("VCPUOP_up", vcpu_op(VCPUOP_up, 3, NULL), 0);
    send_ipi(3 * 2, VEC_BROADCAST);
    if (!wait_until(&irq_count[3][2], 2))
        xtf_failure("vCPU 3 does not take IPIs after VCPUOP_down/up");
    CHECK_EQ("vCPU 3 resumed, not restarted", ap_entries[3], 1);

    /* INIT of a running AP takes it down; a SIPI restarts it from the trampoline. */
    send_ipi(2 * 2, 0x4500);
    end = pv_now(shared) + WAIT_NS;
    while (vcpu_op(VCPUOP_is_up, 2, NULL) && pv_now(shared) < end)
        ;
    CHECK_EQ("VCPUOP_is_up after INIT", vcpu_op(VCPUOP_is_up, 2, NULL), 0);
    if (!start_ap(2))
        return;

    if (nr_vcpus < 5) {
        CHECK_EQ("VCPUOP_is_up of vCPU 4 in a 4-vCPU guest", vcpu_op(VCPUOP_is_up, 4, NULL),
                 -XEN_ENOENT);
        return;
    }
    /* vCPU 4: VCPUOP_initialise in long mode, straight into ap_main. */
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    ctx.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)ap_main, .rsp = (uint64_t)&ap_stacks[4][sizeof(ap_stacks[4]) - 8],
        .rflags = 2, .cr0 = 0x80000011, .cr3 = cr3, .cr4 = 0x20, .efer = 0x500,
    };
    ctx.mode = 7;
    CHECK_EQ("VCPUOP_initialise with a bad mode", vcpu_op(VCPUOP_initialise, 4, &ctx),
             -XEN_EINVAL);
    ctx.mode = VCPU_HVM_MODE_64B;
    CHECK_EQ("VCPUOP_initialise", vcpu_op(VCPUOP_initialise, 4, &ctx), 0);
    CHECK_EQ("VCPUOP_initialise twice", vcpu_op(VCPUOP_initialise, 4, &ctx), -XEN_EEXIST);
    CHECK_EQ("VCPUOP_up after initialise", vcpu_op(VCPUOP_up, 4, NULL), 0);
    if (!wait_until(&ap_entries[4], 1))
        xtf_failure("vCPU 4 did not run after VCPUOP_initialise/up");
}

static uint16_t sleep_control_port;

/* With on-exit=acpi the domain powers off as Linux does: \_S5 into the sleep register. */
void test_exit(void)
{
    if (!strstr(guest_cmdline(), "on-exit=acpi") || !sleep_control_port)
        return;
    __asm__ volatile("outb %0, %1" :: "a"((uint8_t)(5 << 2 | 1 << 5)),
                     "Nd"(sleep_control_port));
    xtf_failure("still running after the ACPI S5 write");
}

static long evtchn_op(unsigned int cmd, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static long sched_poll(evtchn_port_t *ports, unsigned int nr, uint64_t timeout)
{
    struct sched_poll sp = { .nr_ports = nr, .timeout = timeout };

    sp.ports.p = ports;
    return HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &sp);
}

/* vCPU 3 sleeps in SCHEDOP_poll on a masked IPI port until vCPU 0 sends on it. */
static void check_poll(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 3 };
    struct evtchn_alloc_unbound unbound = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_send send;
    evtchn_port_t quiet, many[129] = { 0 };
    int64_t start, took;

    struct vcpu_register_runstate_memory_area area = { .addr.v = &poller_runstate };

    if (evtchn_op(EVTCHNOP_bind_ipi, &ipi) || evtchn_op(EVTCHNOP_alloc_unbound, &unbound) ||
        vcpu_op(VCPUOP_register_runstate_memory_area, 3, &area)) {
        xtf_error("cannot make the ports to poll or watch vCPU 3");
        return;
    }
    __atomic_fetch_or(&shared->evtchn_mask[ipi.port / 64], 1UL << (ipi.port % 64),
                      __ATOMIC_SEQ_CST);
    poll_port = ipi.port;
    send_ipi(3 * 2, VEC_BROADCAST);                 /* out of HLT, into the poll */
    if (!wait_until(&polls_entered, 1)) {
        xtf_failure("vCPU 3 did not start polling");
        return;
    }
    start = pv_now(shared);
    while (pv_now(shared) < start + 50000000LL)
        ;
    CHECK_EQ("vCPU 3 asleep in the poll of a port nobody raised", poller_runstate.state,
             RUNSTATE_blocked);
    poll_release = true;
    send.port = ipi.port;
    CHECK_EQ("EVTCHNOP_send to the polled port", evtchn_op(EVTCHNOP_send, &send), 0);
    if (!wait_until(&polls_done, 1))
        xtf_failure("SCHEDOP_poll did not end when its masked port was raised");

    /* Already pending: at once. Nothing pending: the timeout ends it. */
    quiet = ipi.port;
    CHECK_EQ("poll on a pending port", sched_poll(&quiet, 1, 0), 0);
    quiet = unbound.port;
    start = pv_now(shared);
    CHECK_EQ("poll with a timeout", sched_poll(&quiet, 1, (uint64_t)start + 20000000), 0);
    took = pv_now(shared) - start;
    if (took < 20000000 || took > WAIT_NS)
        xtf_failure("poll with a 20 ms timeout took %ld ns", (long)took);
    CHECK_EQ("poll on 129 ports", sched_poll(many, 129, 0), -XEN_EINVAL);
    quiet = 5000;
    CHECK_EQ("poll on a port beyond the ABI", sched_poll(&quiet, 1, 0), -XEN_EINVAL);
    CHECK_EQ("poll with a bad pointer", sched_poll((void *)0x7000000000UL, 1, 0), -XEN_EFAULT);
}

void test_main(void)
{
    if (strstr(guest_cmdline(), "vcpus=4"))
        nr_vcpus = 4;
    shared = map_shared_info(SHARED_INFO_GFN);
    if (!shared) {
        xtf_error("cannot map shared_info");
        return;
    }
    /* The APIC page is not in head.S's first-GiB map: add 0xC0000000-0xFFFFFFFF, uncached. */
    apic_pd[0x1F7] = 0xFEE00000 | 0x9B;          /* 2 MiB page, PCD|PWT, RW, present */
    pdpt[3] = (uint64_t)apic_pd | 3;
    idt_set_gate(2, stub_nmi);
    idt_set_gate(13, stub_gp);
    idt_set_gate(VEC_XAPIC, stub_xapic);
    idt_set_gate(VEC_X2APIC, stub_x2apic);
    idt_set_gate(VEC_BROADCAST, stub_broadcast);
    idt_load();

    sleep_control_port = acpi_check_tables(nr_vcpus);
    check_xapic_registers();
    check_self_ipi();

    memcpy((void *)TRAMPOLINE, tramp_start, (size_t)(tramp_end - tramp_start));
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %0" : "=m"(*(uint64_t *)tramp_slot(tramp_cr3))
                     :: "rax");
    for (unsigned int n = 1; n <= 3; n++)
        if (!start_ap(n))
            return;
    printk("APs 1-3 up by INIT/SIPI\n");
    check_ipis();
    check_poll();
    check_vcpu_ops();

    ap_stop = true;
    send_ipi(0, 3u << 18 | VEC_BROADCAST);          /* wake them from HLT to go down */
    for (int64_t end = pv_now(shared) + WAIT_NS; pv_now(shared) < end;) {
        unsigned int up = 0;

        for (unsigned int n = 1; n < nr_vcpus; n++)
            up += vcpu_op(VCPUOP_is_up, n, NULL) == 1;
        if (!up)
            break;
    }
    for (unsigned int n = 1; n < nr_vcpus; n++)
        CHECK_EQ("AP down after VCPUOP_down or cli; hlt", vcpu_op(VCPUOP_is_up, n, NULL), 0);
    xtf_success();
}
