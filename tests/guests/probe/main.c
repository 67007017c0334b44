/*
 * What stock kernels probe, answered as Xen 4.17 answers a PVH guest: the machine-check
 * MSRs and the model-specific ones Linux reads on AMD and Intel, guest-physical frames with
 * no page (the HPET's, a hole above RAM) reading all-ones, a 1-vCPU guest's MADT, the
 * LAPIC's illegal-vector errors, HVM_PARAM_TRIPLE_FAULT_REASON, and what CPUID advertises
 * (RDTSCP, RDPID, TSC_ADJUST, thermal and PERF_CAPABILITIES MSRs) working, and the guest's
 * own PIT channel 2 counting (the rest of the PC's ports all-ones). With "triple" on the
 * command line it ends in a triple fault instead of a result line.
 */
#include "guest.h"

const char test_title[] = "What stock kernels probe";

#define HPET_BASE   0xFED00000UL
#define LAPIC_BASE  0xFEE00000UL
#define APIC_ESR    0x280
#define APIC_ICR    0x300
#define APIC_SVR    0x0F0

extern uint64_t pdpt[512];
static uint64_t high_pd[512] __attribute__((aligned(4096)));
static volatile unsigned long gp_count;

/* #GP pushes an error code; the faulting RDMSR/WRMSR is 2 bytes long. */
void gp_stub(void);
__asm__(".text\n"
        "gp_stub: addq $8, %rsp; lock incq gp_count(%rip); addq $2, (%rsp); iretq\n");

/* Reads msr; false when it raised #GP. */
static bool rdmsr_ok(uint32_t msr, uint64_t *val)
{
    unsigned long before = gp_count;
    uint32_t lo = 0, hi = 0;

    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return gp_count == before;
}

static bool wrmsr_ok(uint32_t msr, uint64_t val)
{
    unsigned long before = gp_count;

    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return gp_count == before;
}

/* #UD pushes no error code: the stub skips ud_skip bytes, the faulting instruction's length. */
static volatile unsigned long ud_count, ud_skip;
void ud_stub(void);
__asm__(".text\n"
        "ud_stub: lock incq ud_count(%rip); pushq %rax; movq ud_skip(%rip), %rax;\n"
        "         addq %rax, 8(%rsp); popq %rax; iretq\n");

static void expect_read(uint32_t msr, uint64_t want)
{
    uint64_t val;

    if (!rdmsr_ok(msr, &val))
        xtf_failure("rdmsr %#x: #GP, expected %#lx", msr, (unsigned long)want);
    else if (val != want)
        xtf_failure("rdmsr %#x: %#lx, expected %#lx", msr, (unsigned long)val,
                    (unsigned long)want);
}

static void expect_write(uint32_t msr, uint64_t val, bool ok)
{
    if (wrmsr_ok(msr, val) != ok)
        xtf_failure("wrmsr %#x <- %#lx: %s", msr, (unsigned long)val,
                    ok ? "#GP, expected it to be taken" : "taken, expected #GP");
}

static void expect_gp_on_read(uint32_t msr)
{
    uint64_t val;

    if (rdmsr_ok(msr, &val))
        xtf_failure("rdmsr %#x: %#lx, expected #GP", msr, (unsigned long)val);
}

static bool vendor_amd(void)
{
    uint32_t a, b, c, d;

    guest_cpuid(0, &a, &b, &c, &d);
    return b == 0x68747541 || b == 0x6f677948;          /* "Auth", "Hygo" */
}

/* Xen's vMCE: two banks that never report an error, CMCI advertised on Intel only. */
static void one_vcpu_guest_has_madt(bool amd)
{
    (void)amd;
    acpi_check_tables(1);
}

static void mce_msrs_answer_like_xen(bool amd)
{
    uint32_t a, b, c, d;

    guest_cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 7)) || !(d & (1u << 14)))
        xtf_failure("CPUID hides MCE/MCA (edx %#x): Xen shows them to HVM guests", d);
    expect_read(0x179, amd ? 2 : 0x1000C02);            /* MCG_CAP */
    expect_write(0x179, 0, true);                       /* read-only: the write is dropped */
    expect_read(0x17A, 0);                              /* MCG_STATUS */
    expect_write(0x17A, 4, true);
    expect_read(0x17A, 4);
    expect_write(0x17A, 0, true);
    expect_read(0x17B, 0);                              /* MCG_CTL: no MCG_CTL_P */
    expect_write(0x17B, ~0ULL, true);
    for (uint32_t bank = 0; bank < 2; bank++) {
        uint32_t msr = 0x400 + 4 * bank;

        expect_read(msr, ~0ULL);                        /* MCi_CTL */
        expect_write(msr, 0, true);
        expect_read(msr, ~0ULL);
        for (uint32_t i = 1; i < 4; i++) {              /* STATUS, ADDR, MISC */
            expect_read(msr + i, 0);
            expect_write(msr + i, 0, true);
            expect_write(msr + i, 1, false);
        }
    }
    expect_read(0x408, 0);                              /* beyond the banks: RAZ/WI */
    expect_write(0x409, 5, true);
    if (!amd) {
        expect_write(0x281, 0x40000001, true);          /* MC1_CTL2: CMCI threshold */
        expect_read(0x281, 0x40000001);
    }
    expect_gp_on_read(0x4D0);                           /* MCG_EXT_CTL: no LMCE */
}

/* The model-specific MSRs stock kernels touch (docs/msrs.md). */
static void model_msrs_answer_like_xen(bool amd)
{
    expect_read(0x1D9, 0);                              /* DEBUGCTL */
    expect_write(0x1D9, 3, true);                       /* LBR | BTF */
    expect_read(0x1D9, 3);
    expect_write(0x1D9, 0, true);
    expect_read(0xCE, 0);                               /* PLATFORM_INFO */
    expect_write(0x140, 0, true);                       /* MISC_FEATURES_ENABLES */
    expect_write(0x140, 1, false);
    expect_read(0xC0010055, 0);                         /* INT_PENDING */
    if (amd) {
        expect_read(0x8B, 0);                           /* PATCH_LEVEL */
        expect_write(0x8B, 0, false);
        expect_read(0xC0010010, 0);                     /* SYSCFG */
        expect_read(0xC0010015, 0);                     /* HWCR */
        expect_write(0xC0010015, 0, false);
        expect_read(0xC0011029, 2);                     /* DE_CFG */
        expect_write(0xC0011029, 0, true);
        for (uint32_t i = 0; i < 8; i++) {              /* PERF_CTL0-3, PERF_CTR0-3 */
            expect_read(0xC0010000 + i, 0);
            expect_write(0xC0010000 + i, 0x430076, true);
        }
        expect_gp_on_read(0x3A);                        /* FEATURE_CONTROL: Intel's */
        expect_gp_on_read(0x1A0);                       /* MISC_ENABLE: Intel's */
    } else {
        expect_write(0x8B, 0, true);                    /* BIOS_SIGN_ID: "write 0, read" */
        expect_read(0x8B, 0);
        expect_write(0x8B, 1, false);
        expect_write(0x1D9, 1u << 6, false);            /* DEBUGCTL.BTS: not allowed */
        expect_read(0x3A, 1);                           /* FEATURE_CONTROL: locked */
        expect_read(0x1A0, 0x1801);                     /* MISC_ENABLE */
        expect_read(0xC1, 0);                           /* PERFCTR0 */
        expect_write(0x186, 0x430076, true);            /* PERFEVTSEL0 */
        expect_gp_on_read(0xC0010015);                  /* HWCR: AMD's */
    }
    expect_gp_on_read(0x12345678);                      /* nobody's */
}

/* The 3-4 GiB range (HPET, LAPIC) as uncached 2 MiB pages. */
static void map_high(void)
{
    for (unsigned int i = 0; i < 512; i++)
        high_pd[i] = (0xC0000000UL + ((uint64_t)i << 21)) | 0x9B;
    pdpt[3] = (uint64_t)high_pd | 3;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

/* Frames with no page read all-ones whatever the size, and writes to them are dropped. */
static void unbacked_mmio_reads_all_ones(bool amd)
{
    static const uint64_t at[] = { HPET_BASE, HPET_BASE + 0xF0, 0x3F000000UL };

    (void)amd;
    for (unsigned int i = 0; i < 3; i++) {
        volatile uint64_t *q = (volatile uint64_t *)at[i];
        volatile uint32_t *l = (volatile uint32_t *)at[i];
        volatile uint16_t *w = (volatile uint16_t *)at[i];
        volatile uint8_t *b = (volatile uint8_t *)at[i];

        *q = 0;
        *l = 0x12345678;
        *b = 0;
        if (*q != ~0ULL || *l != 0xFFFFFFFF || *w != 0xFFFF || *b != 0xFF)
            xtf_failure("reads at %#lx: %#lx %#x %#x %#x, expected all-ones",
                        (unsigned long)at[i], (unsigned long)*q, *l, *w, *b);
    }
}

static uint32_t apic_read(unsigned int reg)
{
    return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

static void apic_write(unsigned int reg, uint32_t val)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = val;
}

/* A self-IPI with a vector below 16 is an error on both ends (SDM Vol 3A 11.5.3). */
static void illegal_vector_sets_both_esr_bits(bool amd)
{
    (void)amd;
    apic_write(APIC_SVR, 0x1FF);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ICR, 1u << 18 | 7);                 /* self, fixed, vector 7 */
    apic_write(APIC_ESR, 0);
    CHECK_EQ("ESR after a self-IPI of vector 7", apic_read(APIC_ESR), 0x60);
    apic_write(APIC_ESR, 0);
    CHECK_EQ("ESR after the next write", apic_read(APIC_ESR), 0);
}

static void triple_fault_reason_is_reboot(bool amd)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_TRIPLE_FAULT_REASON };

    (void)amd;
    CHECK_EQ("get_param(TRIPLE_FAULT_REASON)",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p), 0);
    CHECK_EQ("TRIPLE_FAULT_REASON", p.value, SHUTDOWN_reboot);
    p.value = SHUTDOWN_poweroff;
    if (!guest_is_dom0()) {                         /* a toolstack's parameter */
        CHECK_EQ("set_param(TRIPLE_FAULT_REASON) from a DomU",
                 HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p), -XEN_EPERM);
        return;
    }
    p.value = SHUTDOWN_MAX + 1;
    CHECK_EQ("set_param(TRIPLE_FAULT_REASON, SHUTDOWN_MAX + 1)",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p), -XEN_EINVAL);
    p.value = SHUTDOWN_reboot;
    CHECK_EQ("set_param(TRIPLE_FAULT_REASON, reboot)",
             HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p), 0);
}

/*
 * What CPUID advertises works: RDTSCP and RDPID execute (under VT-x they raise #UD unless
 * the hypervisor enables them); TSC_ADJUST, the thermal interrupt MSR (ACPI with TM1) and
 * PERF_CAPABILITIES (PDCM) read. Linux patches its clock read to RDTSCP when advertised:
 * a #UD there killed a stock Dom0 on Bochs silently.
 */
static void advertised_features_work(bool amd)
{
    uint32_t a, b, c, d;
    uint64_t val;

    (void)amd;
    guest_cpuid(1, &a, &b, &c, &d);
    if ((d & (1u << 22)) && (d & (1u << 29)) && !rdmsr_ok(0x19B, &val))
        xtf_failure("ACPI and TM1 advertised (1 EDX 22, 29) but rdmsr 0x19b raises #GP");
    if ((c & (1u << 15)) && !rdmsr_ok(0x345, &val))
        xtf_failure("PDCM advertised (1 ECX 15) but rdmsr 0x345 raises #GP");
    guest_cpuid(0x80000001, &a, &b, &c, &d);
    ud_count = 0;
    ud_skip = 3;
    if (d & (1u << 27)) {
        __asm__ volatile(".byte 0x0f, 0x01, 0xf9" ::: "rax", "rcx", "rdx", "memory");
        if (ud_count)
            xtf_failure("RDTSCP advertised (0x80000001 EDX 27) but raises #UD");
    }
    guest_cpuid(7, &a, &b, &c, &d);
    ud_count = 0;
    ud_skip = 4;
    if (c & (1u << 22)) {
        __asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" ::: "rax", "memory");   /* rdpid %rax */
        if (ud_count)
            xtf_failure("RDPID advertised (7.0 ECX 22) but raises #UD");
    }
    if ((b & (1u << 1)) && !rdmsr_ok(0x3B, &val))
        xtf_failure("TSC_ADJUST advertised (7.0 EBX 1) but rdmsr 0x3b raises #GP");
}

static uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static uint16_t pit2_count(void)
{
    uint8_t lo = inb(0x42);

    return (uint16_t)(lo | inb(0x42) << 8);
}

/*
 * Linux's calibration sequence on channel 2 (gate on, mode 0, count 0xffff) sees the count
 * fall; a count of 100 (84 us) raises OUT2 in port 0x61; channel 0 stays all-ones.
 */
static void pit_channel2_counts(bool amd)
{
    uint16_t first, now = 0;
    unsigned int reads;

    (void)amd;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    first = pit2_count();
    for (reads = 0; reads < 100000 && (now = pit2_count()) == first; reads++)
        ;
    if (now >= first)
        xtf_failure("channel 2 count %#x, then %#x after %u reads", first, now, reads);
    outb(0x43, 0xb0);
    if (inb(0x61) & 0x20)
        xtf_failure("OUT2 high after a mode 0 control word");
    outb(0x42, 100);
    outb(0x42, 0);
    for (reads = 0; reads < 100000 && !(inb(0x61) & 0x20); reads++)
        ;
    if (!(inb(0x61) & 0x20))
        xtf_failure("OUT2 still low after %u reads of port 0x61", reads);
    if (inb(0x40) != 0xFF || inb(0x43) != 0xFF)
        xtf_failure("channel 0 or the control register readable: %#x %#x", inb(0x40),
                    inb(0x43));
}

static void triple_fault(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };

    printk("int3 with an empty IDT\n");
    __asm__ volatile("lidt %0; int3" :: "m"(idtr) : "memory");
    xtf_failure("still running after the triple fault");
}

static const struct {
    const char *name;
    void (*check)(bool amd);
} properties[] = {
    { "one_vcpu_guest_has_madt", one_vcpu_guest_has_madt },
    { "mce_msrs_answer_like_xen", mce_msrs_answer_like_xen },
    { "model_msrs_answer_like_xen", model_msrs_answer_like_xen },
    { "unbacked_mmio_reads_all_ones", unbacked_mmio_reads_all_ones },
    { "illegal_vector_sets_both_esr_bits", illegal_vector_sets_both_esr_bits },
    { "triple_fault_reason_is_reboot", triple_fault_reason_is_reboot },
    { "advertised_features_work", advertised_features_work },
    { "pit_channel2_counts", pit_channel2_counts },
};

/* "stay": after the result line, block for good instead of shutting down (a quiet Dom0). */
void test_exit(void)
{
    if (strstr(guest_cmdline(), "stay"))
        for (;;)
            __asm__ volatile("sti; hlt");
}

/* "only=<property>" runs one of them (else all); "triple" then triple-faults. */
void test_main(void)
{
    const char *only = strstr(guest_cmdline(), "only=");
    bool amd = vendor_amd();

    printk("command line '%s'\n", guest_cmdline());
    idt_set_gate(13, gp_stub);
    idt_set_gate(6, ud_stub);
    idt_load();
    map_high();
    for (unsigned int i = 0; i < sizeof(properties) / sizeof(properties[0]); i++) {
        size_t len = strlen(properties[i].name);

        if (only && (strncmp(only + 5, properties[i].name, len) || (only[5 + len] != ' ' &&
                                                                  only[5 + len] != 0)))
            continue;
        printk("checking %s (%s)\n", properties[i].name, amd ? "AMD" : "Intel");
        properties[i].check(amd);
    }
    if (strstr(guest_cmdline(), "triple"))
        triple_fault();
}
