/*
 * The sealed entry/exit path, from the inside (docs/security.md). The command line picks
 * the checks: "fpu seed=<n>" keeps distinct x87, SSE, MXCSR and DR0-DR3 values through many
 * slices beside another domain doing the same with another seed; "msr", "cr", "xsetbv",
 * "dbg", "cache", "crs" write bad values or run instructions a guest must not get at the hardware
 * with, each expecting a #GP (or a reflected #DB) and the host alive; "cr8" sets CR8 = 15
 * and spins while a witness on the same pCPU keeps ticking; "cr8cost" times CR8 writes against
 * exits; "cr8irq" lowers CR8 under a held-back self-IPI; "badentry" starts vCPU 1 in a state whose VM entry fails; "e9flood" writes 200 KB to
 * port 0xE9 and says how long it took.
 */
#include "guest.h"
#include <xen/hvm/hvm_vcpu.h>

const char test_title[] = "Sealed entry/exit path";

volatile unsigned long gp_count, ud_count, db_count;
volatile unsigned long resume;          /* where a #GP or #UD handler returns to */

/* Runs insn with a #GP or #UD in it resuming right after it. */
#define FAULTING(insn) "leaq 1f(%%rip), %%r11; movq %%r11, resume(%%rip); " insn "; 1:"

void gp_stub(void);
void ud_stub(void);
void db_stub(void);
__asm__(".text\n"
        "gp_stub: lock incq gp_count(%rip); pushq %rax; movq resume(%rip), %rax\n"
        "    movq %rax, 16(%rsp); popq %rax; addq $8, %rsp; iretq\n"
        "ud_stub: lock incq ud_count(%rip); pushq %rax; movq resume(%rip), %rax\n"
        "    movq %rax, 8(%rsp); popq %rax; iretq\n"
        "db_stub: lock incq db_count(%rip); iretq\n");

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

static uint64_t tsc_khz(void)
{
    uint32_t a, b, khz, d;

    guest_cpuid(0x40000003, &a, &b, &khz, &d);
    return khz ? khz : 1000000;
}

static void wait_ms(uint64_t ms)
{
    uint64_t end = rdtsc() + ms * tsc_khz();

    while (rdtsc() < end)
        __asm__ volatile("pause");
}

static uint64_t rdmsr_(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

/* Number of #GPs the write raised (0 or 1). */
static unsigned long wrmsr_gp(uint32_t msr, uint64_t val)
{
    unsigned long before = gp_count;

    __asm__ volatile(FAULTING("wrmsr") :: "c"(msr), "a"((uint32_t)val),
                     "d"((uint32_t)(val >> 32)) : "r11", "memory");
    return gp_count - before;
}

#define MOV_CR_GP(n)                                                                    \
    static unsigned long write_cr##n##_gp(uint64_t val)                                 \
    {                                                                                   \
        unsigned long before = gp_count;                                                \
        __asm__ volatile(FAULTING("mov %0, %%cr" #n) :: "r"(val) : "r11", "memory");  \
        return gp_count - before;                                                       \
    }                                                                                   \
    static uint64_t read_cr##n(void)                                                    \
    {                                                                                   \
        uint64_t v;                                                                     \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                               \
        return v;                                                                       \
    }
MOV_CR_GP(0)
MOV_CR_GP(4)
MOV_CR_GP(8)

static bool guest_is_amd(void)
{
    uint32_t a, b, c, d;

    guest_cpuid(0, &a, &b, &c, &d);
    return b == 0x68747541;             /* "Auth"enticAMD */
}

static void expect_gp(const char *what, unsigned long gps)
{
    if (gps != 1)
        xtf_failure("%s: %lu #GP, expected 1", what, gps);
}

static void check_msrs(void)
{
    static const struct { uint32_t msr; uint64_t val; const char *what; } bad[] = {
        { 0xC0000082, 0x0000800000000000ULL, "non-canonical LSTAR" },
        { 0xC0000083, 0x8000000000000000ULL, "non-canonical CSTAR" },
        { 0xC0000100, 0x0001000000000000ULL, "non-canonical FS_BASE" },
        { 0xC0000101, 0x0000800000000000ULL, "non-canonical GS_BASE" },
        { 0xC0000102, 0x7FFF000000000000ULL, "non-canonical KERNEL_GS_BASE" },
        { 0x175, 0x0000800000000000ULL, "non-canonical SYSENTER_ESP" },
        { 0x176, 0x0000800000000000ULL, "non-canonical SYSENTER_EIP" },
        { 0x277, 0x0007040600070402ULL, "PAT type 2" },
        { 0x277, 0x0807040600070406ULL, "PAT type 8" },
        { 0xC0000084, 1ULL << 32, "SFMASK bit 32" },
    };
    uint64_t efer = rdmsr_(0xC0000080), lstar = 0xFFFFFFFF80001000ULL;

    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
        expect_gp(bad[i].what, wrmsr_gp(bad[i].msr, bad[i].val));
    expect_gp("EFER reserved bit 13", wrmsr_gp(0xC0000080, efer | (1ULL << 13)));
    expect_gp("EFER reserved bit 20", wrmsr_gp(0xC0000080, efer | (1ULL << 20)));
    expect_gp("EFER.LME cleared with paging on", wrmsr_gp(0xC0000080, efer & ~(1ULL << 8)));
    CHECK_EQ("EFER after bad writes", rdmsr_(0xC0000080), efer);
    CHECK_EQ("#GP on a canonical LSTAR", wrmsr_gp(0xC0000082, lstar), 0);
    CHECK_EQ("LSTAR read back", rdmsr_(0xC0000082) == lstar, 1);
    CHECK_EQ("#GP on a valid PAT", wrmsr_gp(0x277, 0x0007010600070406ULL), 0);
    printk("msr: checked\n");
}

static void check_crs(void)
{
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();

    expect_gp("CR4.VMXE", write_cr4_gp(cr4 | (1UL << 13)));
    expect_gp("CR4.LA57 in long mode", write_cr4_gp(cr4 | (1UL << 12)));
    expect_gp("CR4 bit 32", write_cr4_gp(cr4 | (1UL << 32)));
    expect_gp("CR4.PAE cleared in long mode", write_cr4_gp(cr4 & ~(1UL << 5)));
    expect_gp("CR0.NW without CD", write_cr0_gp(cr0 | (1UL << 29)));
    expect_gp("CR0 bit 32", write_cr0_gp(cr0 | (1UL << 32)));
    expect_gp("CR0.PG without PE", write_cr0_gp(cr0 & ~1UL));
    CHECK_EQ("CR0 after bad writes", read_cr0(), cr0);
    CHECK_EQ("CR4 after bad writes", read_cr4(), cr4);
    /* SVM leaves CR8 to V_TPR and the CPU's own check, which QEMU's TCG lacks. */
    if (!guest_is_amd())
        expect_gp("CR8 = 16", write_cr8_gp(16));
    printk("cr: checked\n");
}

/* CR8 = 15 with interrupts on, for ms: only this guest's own interrupts may wait. */
static void check_cr8(void)
{
    unsigned long ms = arg("ms=", 1500);

    CHECK_EQ("#GP on CR8 = 15", write_cr8_gp(15), 0);
    __asm__ volatile("sti");
    wait_ms(ms);
    CHECK_EQ("CR8 read back", read_cr8(), 15);
    write_cr8_gp(0);
    printk("cr8: spun %lu ms at CR8 = 15\n", ms);
}

/* The fewest TSC cycles any of 5 rounds of body took: a host preemption inflates only one. */
static uint64_t min_cycles(void (*body)(void))
{
    uint64_t best = ~0ULL;

    for (unsigned int round = 0; round < 5; round++) {
        uint64_t t0 = rdtsc();

        body();
        if (rdtsc() - t0 < best)
            best = rdtsc() - t0;
    }
    return best;
}

static void cr8_writes(void)
{
    for (unsigned int i = 0; i < 200; i++)
        __asm__ volatile("mov %0, %%cr8; mov %1, %%cr8" :: "r"(1UL), "r"(0UL) : "memory");
}

static void cpuid_exits(void)
{
    uint32_t a, b, c, d;

    for (unsigned int i = 0; i < 200; i++)
        guest_cpuid(0, &a, &b, &c, &d);
}

/*
 * The guest's CR8 is virtualised in the CPU (TPR shadow, V_TPR): 400 CR8 writes cost far
 * less than 200 exits. With CR8 load/store exiting each write would be an exit.
 */
static void check_cr8_cost(void)
{
    uint64_t cr8 = min_cycles(cr8_writes), exits = min_cycles(cpuid_exits);

    printk("cr8cost: 400 CR8 writes in %lu cycles, 200 CPUID exits in %lu\n",
           (unsigned long)cr8, (unsigned long)exits);
    if (cr8 * 10 > exits)
        xtf_failure("CR8 writes cost %lu cycles, 200 exits %lu: CR8 writes exit",
                    (unsigned long)cr8, (unsigned long)exits);
}

volatile unsigned long irq_count;
void irq_stub(void);
__asm__(".text\n"
        "irq_stub: pushq %rax; pushq %rcx; pushq %rdx; lock incq irq_count(%rip)\n"
        "    movl $0x80B, %ecx; xorl %eax, %eax; xorl %edx, %edx; wrmsr\n"   /* x2APIC EOI */
        "    popq %rdx; popq %rcx; popq %rax; iretq\n");

static void wrmsr_(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

/*
 * A self-IPI held back by CR8 = 15 arrives right after the MOV that lowers CR8, before the
 * next instruction: with TPR shadow that takes the TPR-below-threshold exit, as a CR8 exit
 * would; a threshold left at 0 would leave it waiting for some later exit.
 */
static void check_cr8_irq(void)
{
    unsigned long seen;

    idt_set_gate(0x40, irq_stub);
    wrmsr_(0x1B, rdmsr_(0x1B) | 1u << 10 | 1u << 11);      /* x2APIC mode */
    wrmsr_(0x80F, 0x1FF);                                    /* SVR: software-enabled */
    __asm__ volatile("mov %0, %%cr8; sti" :: "r"(15UL) : "memory");
    wrmsr_(0x83F, 0x40);                                     /* SELF_IPI, class 4 */
    wait_ms(20);
    CHECK_EQ("vector 0x40 held back by CR8 = 15", irq_count, 0);
    __asm__ volatile("mov %1, %%cr8; mov irq_count(%%rip), %0" : "=r"(seen) : "r"(0UL)
                     : "memory");
    __asm__ volatile("cli");
    CHECK_EQ("vector 0x40 taken as CR8 drops to 0", seen, 1);
    printk("cr8irq: checked\n");
}

static void ap_spin(void)
{
    for (;;)
        __asm__ volatile("pause");
}

static uint8_t ap_stack[4096] __attribute__((aligned(16)));

/*
 * vCPU 1 brought up with CR4.LA57, which VCPUOP_initialise lets through and neither QEMU's
 * SVM nor a VT-x CPU without 5-level paging takes: its VM entry fails, which must crash
 * this domain, with the reason, and nothing else. Reaching the end is the failure.
 */
static void bad_entry(void)
{
    struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
    uint64_t cr3;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    ctx.cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)ap_spin, .rsp = (uint64_t)&ap_stack[sizeof(ap_stack) - 8],
        .rflags = 2, .cr0 = read_cr0(), .cr3 = cr3, .cr4 = read_cr4() | (1UL << 12),
        .efer = 0x500,
    };
    if (HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, &ctx) ||
        HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, NULL)) {
        printk("badentry: VCPUOP_initialise refused the state\n");
        return;
    }
    printk("badentry: vCPU 1 up\n");
    wait_ms(arg("ms=", 3000));
    xtf_failure("badentry: the domain outlived a failed VM entry");
}

static unsigned long xsetbv_faults(uint32_t index, uint64_t val)
{
    unsigned long before = gp_count + ud_count;

    __asm__ volatile(FAULTING("xsetbv") :: "c"(index), "a"((uint32_t)val),
                     "d"((uint32_t)(val >> 32)) : "r11", "memory");
    return gp_count + ud_count - before;
}

static void check_xsetbv(void)
{
    uint64_t cr4 = read_cr4();
    uint32_t lo, hi;

    /* CPUID hides XSAVE; a guest may still try (a #GP here: the CPU has none). */
    if (write_cr4_gp(cr4 | (1UL << 18))) {
        xtf_skip("no XSAVE on this CPU");
        return;
    }
    expect_gp("XCR0 = 0", xsetbv_faults(0, 0));
    expect_gp("XCR0 AVX without SSE", xsetbv_faults(0, 5));
    expect_gp("XCR1", xsetbv_faults(1, 1));
    expect_gp("XCR0 with AVX-512 state", xsetbv_faults(0, 0xE7));
    CHECK_EQ("faults on XCR0 = x87|SSE", xsetbv_faults(0, 3), 0);
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    CHECK_EQ("XCR0 read back", lo, 3);
    xsetbv_faults(0, 1);
    printk("xsetbv: checked\n");
}

static void check_debug(void)
{
    unsigned long before = db_count;
    uint64_t dr7 = 1UL << 13 | 0x400, scratch;

    /* Single-step 64 NOPs: every step is a #DB exit, reflected. */
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq\n"
                     ".rept 64; nop; .endr\n"
                     "pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
    if (db_count - before < 64)
        xtf_failure("single-step: %lu #DB for 64 steps", db_count - before);
    /* ICEBP: QEMU's TCG raises #UD for it, so only where asked ("icebp"). */
    if (strstr(guest_cmdline(), "icebp")) {
        before = db_count;
        __asm__ volatile(FAULTING(".byte 0xF1") ::: "r11", "memory");
        CHECK_EQ("#DB from ICEBP", db_count - before, 1);
    }
    /* General detect (QEMU's TCG has none: only where asked, "gd"): one #DB, GD cleared. */
    if (strstr(guest_cmdline(), "gd")) {
        before = db_count;
        __asm__ volatile("mov %1, %%dr7; mov %%dr0, %0" : "=r"(scratch) : "r"(dr7) : "memory");
        CHECK_EQ("#DB from DR7.GD", db_count - before, 1);
        __asm__ volatile("mov %0, %%dr7" :: "r"(0x400UL));
    }
    printk("dbg: checked\n");
}

static void check_cache(void)
{
    unsigned long before = gp_count;

    __asm__ volatile("wbinvd; invd" ::: "memory");
    CHECK_EQ("faults on WBINVD/INVD", gp_count - before, 0);
    __asm__ volatile(FAULTING("rdpmc") :: "c"(0) : "rax", "rdx", "r11", "memory");
    CHECK_EQ("#GP on RDPMC", gp_count - before, 1);
    printk("cache: checked\n");
}

/* x87 stack, XMM0-15, MXCSR and DR0-DR3 from seed; returns the mismatches. */
static void fpu_load(uint64_t seed, const uint64_t *vals, const uint64_t (*xmm)[2])
{
    uint32_t mxcsr = 0x1F80 | (uint32_t)(seed & 3) << 13;

    __asm__ volatile("fninit");
    for (unsigned int i = 0; i < 8; i++)
        __asm__ volatile("fildll %0" :: "m"(vals[i]));
    __asm__ volatile("ldmxcsr %0" :: "m"(mxcsr));
#define LOAD_XMM(n) __asm__ volatile("movdqu %0, %%xmm" #n :: "m"(xmm[n]))
    LOAD_XMM(0); LOAD_XMM(1); LOAD_XMM(2); LOAD_XMM(3); LOAD_XMM(4); LOAD_XMM(5);
    LOAD_XMM(6); LOAD_XMM(7); LOAD_XMM(8); LOAD_XMM(9); LOAD_XMM(10); LOAD_XMM(11);
    LOAD_XMM(12); LOAD_XMM(13); LOAD_XMM(14); LOAD_XMM(15);
    __asm__ volatile("mov %0, %%dr0" :: "r"(seed << 12 | 0x10));
    __asm__ volatile("mov %0, %%dr1" :: "r"(seed << 12 | 0x20));
    __asm__ volatile("mov %0, %%dr2" :: "r"(seed << 12 | 0x30));
    __asm__ volatile("mov %0, %%dr3" :: "r"(seed << 12 | 0x40));
}

static unsigned int fpu_check(uint64_t seed, const uint64_t *vals, const uint64_t (*xmm)[2])
{
    uint64_t got[16][2], x87[8], dr[4];
    uint32_t mxcsr;
    unsigned int bad = 0;

#define STORE_XMM(n) __asm__ volatile("movdqu %%xmm" #n ", %0" : "=m"(got[n]))
    STORE_XMM(0); STORE_XMM(1); STORE_XMM(2); STORE_XMM(3); STORE_XMM(4); STORE_XMM(5);
    STORE_XMM(6); STORE_XMM(7); STORE_XMM(8); STORE_XMM(9); STORE_XMM(10); STORE_XMM(11);
    STORE_XMM(12); STORE_XMM(13); STORE_XMM(14); STORE_XMM(15);
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    for (unsigned int i = 0; i < 8; i++)
        __asm__ volatile("fistpll %0" : "=m"(x87[7 - i]));
    __asm__ volatile("mov %%dr0, %0" : "=r"(dr[0]));
    __asm__ volatile("mov %%dr1, %0" : "=r"(dr[1]));
    __asm__ volatile("mov %%dr2, %0" : "=r"(dr[2]));
    __asm__ volatile("mov %%dr3, %0" : "=r"(dr[3]));
    for (unsigned int i = 0; i < 16; i++)
        bad += got[i][0] != xmm[i][0] || got[i][1] != xmm[i][1];
    for (unsigned int i = 0; i < 8; i++)
        bad += x87[i] != vals[i];
    for (unsigned int i = 0; i < 4; i++)
        bad += dr[i] != (seed << 12 | (i + 1) * 0x10);
    bad += (mxcsr & ~0x3FU) != (0x1F80 | (uint32_t)(seed & 3) << 13);
    return bad;
}

static void check_fpu(void)
{
    uint64_t seed = arg("seed=", 1), vals[8], xmm[16][2], end;
    unsigned long rounds = 0, bad = 0;

    write_cr0_gp((read_cr0() & ~(1UL << 2)) | (1UL << 1));        /* EM off, MP on */
    write_cr4_gp(read_cr4() | (1UL << 9) | (1UL << 10));          /* OSFXSR, OSXMMEXCPT */
    for (unsigned int i = 0; i < 8; i++)
        vals[i] = seed * 1000 + i;
    for (unsigned int i = 0; i < 16; i++) {
        xmm[i][0] = seed << 32 | i;
        xmm[i][1] = ~(seed << 32 | i);
    }
    end = rdtsc() + arg("ms=", 2000) * tsc_khz();
    while (rdtsc() < end) {
        fpu_load(seed, vals, xmm);
        for (volatile unsigned int i = 0; i < 20000; i++)
            ;
        bad += fpu_check(seed, vals, xmm);
        rounds++;
    }
    printk("fpu: seed %lu, %lu rounds, %lu values changed under it\n",
           (unsigned long)seed, rounds, bad);
    CHECK_EQ("values another domain changed", bad, 0);
}

static void e9_flood(void)
{
    unsigned long bytes = arg("bytes=", 200000);
    uint64_t t0 = rdtsc();

    for (unsigned long i = 1; i <= bytes; i++)
        debug_putc(i % 100 ? 'x' : '\n');
    uint64_t took = (rdtsc() - t0) / tsc_khz();

    /* The bucket refills before the report, which goes through the same bucket. */
    wait_ms(3000);
    printk("\ne9flood: %lu bytes in %lu ms\n", bytes, (unsigned long)took);
}

void test_main(void)
{
    const char *c = guest_cmdline();

    idt_set_gate(1, db_stub);
    idt_set_gate(6, ud_stub);
    idt_set_gate(13, gp_stub);
    idt_load();
    if (strstr(c, "fpu"))
        check_fpu();
    if (strstr(c, "msr"))
        check_msrs();
    if (strstr(c, "crs"))
        check_crs();
    if (strstr(c, "cr8 "))
        check_cr8();
    if (strstr(c, "cr8irq"))
        check_cr8_irq();
    if (strstr(c, "cr8cost"))
        check_cr8_cost();
    if (strstr(c, "badentry"))
        bad_entry();
    if (strstr(c, "xsetbv"))
        check_xsetbv();
    if (strstr(c, "dbg"))
        check_debug();
    if (strstr(c, "cache"))
        check_cache();
    if (strstr(c, "e9flood"))
        e9_flood();
}
