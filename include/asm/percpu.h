/*
 * Per-CPU state. Each CPU's GS base points at its struct cpu_info, whose first field points
 * back at itself so this_cpu() is one load. Later subsystems (scheduler, HVM) hang their
 * per-CPU state here.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <asm/config.h>
#include <kumo/list.h>
#include <kumo/spinlock.h>
#include <kumo/timer.h>

struct vcpu;

struct tss64 {
    uint32_t rsvd0;
    uint64_t rsp[3];
    uint64_t ist[8];            /* ist[0] is reserved; IST indices 1..7 */
    uint64_t rsvd1;
    uint16_t rsvd2;
    uint16_t iomap_base;
} __attribute__((packed, aligned(16)));

#define IST_NMI 1
#define IST_DF  2
#define IST_MCE 3
#define NR_IST  3

struct idt_entry {
    uint16_t offset0, selector;
    uint8_t ist, type_attr;
    uint16_t offset1;
    uint32_t offset2, zero;
};

struct cpu_info {
    struct cpu_info *self;      /* must stay first: read through %gs:0 */
    unsigned int id;            /* logical CPU number, 0 = boot CPU */
    uint32_t apic_id;
    bool online;
    void *stack;                /* STACK_SIZE bytes; top is the initial RSP */
    void *ist_stacks[NR_IST];
    struct tss64 tss;
    uint64_t gdt[8];
    struct idt_entry *idt;      /* one page */

    volatile unsigned long softirq_pending;
    unsigned long irq_count;    /* interrupts taken, for reports */

    struct vcpu *curr_vcpu;         /* what this pCPU runs (kernel/sched/core.c) */
    struct timer slice_timer;
    void *hvm_host_area;        /* vendor's per-CPU page: VMXON region / host save area */
    void *hvm_host_vmcb;        /* SVM: host state saved with VMSAVE around VMRUN */
    uint64_t asid_generation, next_asid;

    spinlock_t timer_lock;
    struct list_head timers;    /* sorted by expiry */
    int64_t timer_programmed;   /* deadline currently in the LAPIC timer, 0 = none */
    struct timer *timer_running; /* whose callback runs now (timer_kill waits for it) */
    uint8_t locks_held[4];      /* per lock level (kumo/lock_order.h), debug builds */
};

extern struct cpu_info cpu_infos[NR_CPUS];
extern unsigned int nr_cpu_ids;           /* CPUs found (started or not) */

static inline struct cpu_info *this_cpu(void)
{
    struct cpu_info *c;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

static inline unsigned int smp_processor_id(void)
{
    return this_cpu()->id;
}

static inline struct cpu_info *per_cpu(unsigned int cpu)
{
    return &cpu_infos[cpu];
}

#define for_each_online_cpu(c) \
    for ((c) = 0; (c) < nr_cpu_ids; (c)++) if (cpu_infos[(c)].online)

#endif
