/* Thin wrappers around x86 instructions: CPUID, MSRs, control registers, port I/O. */
#ifndef ASM_PROCESSOR_H
#define ASM_PROCESSOR_H

#include <kumo/types.h>

#define X86_CR0_PE (1UL << 0)
#define X86_CR0_MP (1UL << 1)
#define X86_CR0_ET (1UL << 4)
#define X86_CR0_NE (1UL << 5)
#define X86_CR0_WP (1UL << 16)
#define X86_CR0_NW (1UL << 29)
#define X86_CR0_CD (1UL << 30)
#define X86_CR0_PG (1UL << 31)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_OSFXSR (1UL << 9)

#define MSR_EFER            0xC0000080
#define EFER_SCE            (1UL << 0)
#define EFER_LME            (1UL << 8)
#define EFER_LMA            (1UL << 10)
#define EFER_NXE            (1UL << 11)
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102
#define MSR_APIC_BASE       0x1B
#define MSR_TSC_DEADLINE    0x6E0

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline void cpuid_count(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    __asm__ volatile("cpuid"
                     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                     : "a"(leaf), "c"(sub));
}

static inline void cpuid(uint32_t leaf, struct cpuid_regs *r)
{
    cpuid_count(leaf, 0, r);
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* RDTSC may run ahead of earlier loads without a fence (SDM Vol 2B RDTSC). */
static inline uint64_t rdtsc_ordered(void)
{
    __asm__ volatile("lfence" ::: "memory");
    return rdtsc();
}

#define DEFINE_CR_ACCESSORS(n)                                              \
    static inline unsigned long read_cr##n(void)                            \
    {                                                                       \
        unsigned long v;                                                    \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                   \
        return v;                                                           \
    }                                                                       \
    static inline void write_cr##n(unsigned long v)                         \
    {                                                                       \
        __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory");           \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void halt(void)
{
    __asm__ volatile("hlt" ::: "memory");
}

static inline void barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

static inline void invlpg(const void *va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline void flush_tlb_local(void)
{
    write_cr3(read_cr3());
}

static inline bool cpu_has(uint32_t leaf, int reg, unsigned int bit)
{
    struct cpuid_regs r;
    uint32_t v;

    cpuid(leaf & 0x80000000U, &r);
    if (r.eax < leaf)
        return false;
    cpuid(leaf, &r);
    v = reg == 0 ? r.eax : reg == 1 ? r.ebx : reg == 2 ? r.ecx : r.edx;
    return (v >> bit) & 1;
}

/* Feature tests used by more than one file (CPUID leaf, register index EAX=0..EDX=3, bit). */
#define cpu_has_x2apic()       cpu_has(1, 2, 21)
#define cpu_has_tsc_deadline() cpu_has(1, 2, 24)
#define cpu_has_page1gb()      cpu_has(0x80000001, 3, 26)
#define cpu_has_nx()           cpu_has(0x80000001, 3, 20)
#define cpu_has_invariant_tsc() cpu_has(0x80000007, 3, 8)

#endif
