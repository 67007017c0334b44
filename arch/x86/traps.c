/*
 * Exceptions and interrupt dispatch. Any exception taken in the hypervisor is fatal: it is
 * reported with registers and a stack trace and the machine stops. NMIs are counted and
 * reported, and stop the CPU while a panic is in progress. Device and IPI vectors go to
 * handlers installed with set_irq_handler().
 */
#include <asm/apic.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include <kumo/console.h>
#include <kumo/panic.h>

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
    "coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
    "#GP general protection", "#PF page fault", "reserved", "#MF x87 error",
    "#AC alignment check", "#MC machine check", "#XM SIMD error", "#VE virtualization",
    "#CP control protection",
};

static irq_handler_fn irq_handlers[256];
static unsigned long nmi_count[NR_CPUS];

void set_irq_handler(unsigned int vector, irq_handler_fn fn)
{
    if (vector >= 32 && vector < 256)
        irq_handlers[vector] = fn;
}

void show_registers(const struct cpu_user_regs *r)
{
    printk("RIP:    %04lx:[<%016lx>]  RFLAGS: %016lx\n", (unsigned long)r->cs,
           (unsigned long)r->rip, (unsigned long)r->rflags);
    printk("rax: %016lx   rbx: %016lx   rcx: %016lx\n", (unsigned long)r->rax,
           (unsigned long)r->rbx, (unsigned long)r->rcx);
    printk("rdx: %016lx   rsi: %016lx   rdi: %016lx\n", (unsigned long)r->rdx,
           (unsigned long)r->rsi, (unsigned long)r->rdi);
    printk("rbp: %016lx   rsp: %016lx   r8:  %016lx\n", (unsigned long)r->rbp,
           (unsigned long)r->rsp, (unsigned long)r->r8);
    printk("r9:  %016lx   r10: %016lx   r11: %016lx\n", (unsigned long)r->r9,
           (unsigned long)r->r10, (unsigned long)r->r11);
    printk("r12: %016lx   r13: %016lx   r14: %016lx\n", (unsigned long)r->r12,
           (unsigned long)r->r13, (unsigned long)r->r14);
    printk("r15: %016lx   cr0: %016lx   cr4: %016lx\n", (unsigned long)r->r15,
           read_cr0(), read_cr4());
    printk("cr2: %016lx   cr3: %016lx   ss: %04lx\n", read_cr2(), read_cr3(),
           (unsigned long)r->ss);
}

static bool stack_addr_ok(uint64_t a)
{
    /* Frames live in the image (boot stack) or the direct map (per-CPU stacks). */
    return !(a & 7) && (a >= KERNEL_VIRT_OFFSET ||
                        (a >= DIRECTMAP_VIRT_START && a < DIRECTMAP_VIRT_START + DIRECTMAP_MAX_BYTES));
}

void show_stack_trace(uint64_t rbp)
{
    printk("Stack trace (addr2line -e build/kumo.elf):\n");
    for (unsigned int depth = 0; depth < 32 && rbp && stack_addr_ok(rbp); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;

        if (!frame[1])
            break;
        printk("   [<%016lx>]\n", (unsigned long)frame[1]);
        if (frame[0] <= rbp)            /* stacks grow down: callers' frames are above */
            break;
        rbp = frame[0];
    }
}

static void fatal_trap(struct cpu_user_regs *regs)
{
    unsigned int v = (unsigned int)regs->vector;
    const char *name = v < 32 && exception_names[v] ? exception_names[v] : "reserved";

    console_force_unlock();
    printk("----[ kumo fatal trap on CPU %u ]----\n", smp_processor_id());
    printk("FATAL TRAP: vector %u (%s), error code %04lx\n", v, name,
           (unsigned long)regs->error_code);
    if (v == 14)
        printk("Faulting address (CR2): %016lx\n", read_cr2());
    show_registers(regs);
    show_stack_trace(regs->rbp);
    panic("FATAL TRAP: vector %u (%s) at %016lx", v, name, (unsigned long)regs->rip);
}

static void do_nmi(struct cpu_user_regs *regs)
{
    unsigned int cpu = smp_processor_id();

    if (panic_in_progress)
        cpu_stop();
    nmi_count[cpu]++;
    printk("NMI received on CPU %u at %016lx (%lu so far)\n", cpu, (unsigned long)regs->rip,
           nmi_count[cpu]);
}

void do_trap(struct cpu_user_regs *regs)
{
    unsigned int v = (unsigned int)regs->vector;

    if (v == 2) {
        do_nmi(regs);
        return;
    }
    if (v < 32) {
        fatal_trap(regs);
        return;
    }
    this_cpu()->irq_count++;
    if (v == SPURIOUS_APIC_VECTOR)
        return;                     /* no EOI for spurious interrupts (SDM 10.9) */
    if (irq_handlers[v])
        irq_handlers[v](regs);
    else
        printk(KLOG_WARNING "CPU %u: unexpected interrupt vector %#x\n", smp_processor_id(), v);
    apic_eoi();
}
