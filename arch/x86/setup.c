/*
 * start_kumo(): the boot CPU's path from the boot loader to an idle, SMP, timer-driven
 * hypervisor. The order matters: console before anything can fail visibly, the direct map
 * before ACPI, ACPI before the allocator (its tables must be kept), time before SMP.
 */
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/hvm.h>
#include <kumo/acpi.h>
#include <kumo/acpi_power.h>
#include <kumo/domain_build.h>
#include <kumo/hypercall.h>
#include <kumo/sched.h>
#include <kumo/boot.h>
#include <kumo/console.h>
#include <kumo/dom0.h>
#include <kumo/keyhandler.h>
#include <kumo/mm.h>
#include <kumo/panic.h>
#include <kumo/param.h>
#include <kumo/rtc.h>
#include <kumo/smp.h>
#include <kumo/softirq.h>
#include <kumo/time.h>
#include <kumo/timer.h>
#include <kumo/uart.h>
#include <kumo/xmalloc.h>

#define KUMO_VERSION "0.1"

extern const struct kernel_param __start_kparams[], __stop_kparams[];
extern char __image_start[], __image_end[];

static unsigned int opt_maxcpus;
integer_param("maxcpus", opt_maxcpus);

static struct acpi_info acpi;

static void cmdline_warn(const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(KLOG_WARNING "WARNING: %s\n", buf);
}

static void print_memmap(void)
{
    static const char *const types[] = { "?", "usable", "reserved", "ACPI data", "ACPI NVS",
                                         "unusable" };

    printk("Physical RAM map (%s):\n", boot_info.multiboot == 2 ? "multiboot2" : "multiboot1");
    for (unsigned int i = 0; i < boot_info.nr_memmap; i++) {
        const struct boot_memmap_entry *e = &boot_info.memmap[i];

        printk(" %016lx - %016lx (%s)\n", (unsigned long)e->addr,
               (unsigned long)(e->addr + e->len), e->type < ARRAY_SIZE(types) ? types[e->type]
                                                                            : "reserved");
    }
}

static const void *acpi_map(paddr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > directmap_end)
        return NULL;
    return __va(pa);
}

static void acpi_setup(void)
{
    paddr_t rsdp = 0;
    const char *why = NULL;

    if (boot_info.has_rsdp_copy && acpi_rsdp_valid(boot_info.rsdp_copy, sizeof(boot_info.rsdp_copy)))
        rsdp = __pa(boot_info.rsdp_copy);
    else
        rsdp = acpi_find_rsdp(acpi_map);
    if (!rsdp) {
        printk("ACPI: no RSDP found; running on the boot CPU only\n");
        return;
    }
    if (acpi_parse(rsdp, acpi_map, &acpi, &why) < 0) {
        printk("ACPI: no usable MADT (%s); running on the boot CPU only\n", why ? why : "?");
        acpi.nr_cpus = 0;
        return;
    }
    if (why)
        printk(KLOG_WARNING "ACPI: %s\n", why);
    printk("ACPI: RSDP %#lx rev %u, MADT %#lx: %u CPUs, %u IOAPICs, LAPIC at %#lx\n",
           (unsigned long)rsdp, acpi.revision, (unsigned long)acpi.madt_pa, acpi.nr_cpus,
           acpi.nr_ioapics, (unsigned long)acpi.lapic_pa);
}

static void memory_setup(void)
{
    struct mem_range reserved[4 + BOOT_MAX_MODULES + ARRAY_SIZE(acpi.tables)];
    unsigned int n = 0;
    uint64_t total = memmap_ram_total(boot_info.memmap, boot_info.nr_memmap);

    /* Low memory holds the BIOS data, the EBDA and the AP trampoline page. */
    reserved[n++] = (struct mem_range){ 0, 1 << 20 };
    reserved[n++] = (struct mem_range){ __pa(__image_start), __pa(__image_end) };
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        reserved[n++] = (struct mem_range){ boot_info.modules[i].start,
                                            boot_info.modules[i].end };
    for (unsigned int i = 0; i < acpi.nr_tables; i++)
        reserved[n++] = (struct mem_range){ acpi.tables[i].pa,
                                            acpi.tables[i].pa + acpi.tables[i].len };
    page_alloc_init(reserved, n);
    printk("Memory: %lu MiB RAM, %lu MiB free for use, %u modules kept\n",
           (unsigned long)(total >> 20), total_free_pages() >> (20 - PAGE_SHIFT),
           boot_info.nr_modules);
    if (boot_info.nr_modules_dropped)
        printk("WARNING: %u boot modules beyond the first %u ignored\n",
               boot_info.nr_modules_dropped, BOOT_MAX_MODULES);
}

static void *xmalloc_pages(unsigned int order)
{
    return alloc_xenheap_pages(order);
}

static const struct xmalloc_backend xenheap_backend = { xmalloc_pages, free_xenheap_pages };

static void pic_disable(void)
{
    /* Remap the 8259s away from the exception vectors, then mask every line. */
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 0x20);
    outb(0xA1, 0x28);
    outb(0x21, 0x04);
    outb(0xA1, 0x02);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

static void boot_cpu_setup(void)
{
    struct cpu_info *c = &cpu_infos[0];

    c->stack = NULL;                /* runs on the image's boot_stack */
    if (desc_alloc_cpu(c))
        panic("no memory for the boot CPU's descriptor tables");
    desc_load_cpu(c);
    pic_disable();
    apic_init(acpi.lapic_pa);
    apic_setup_cpu();
    c->apic_id = apic_id();
    time_init();
    rtc_init();
    apic_timer_init();
    softirq_init();
    timer_subsys_init();
    timer_init_cpu(0);
    sched_init();
    sched_init_cpu(0);
    domain_lifecycle_init();
    hvm_init();
    printk("CPU 0 online (APIC id %u)\n", c->apic_id);
    c->online = true;
}

void start_kumo(uint32_t magic, uint32_t info_pa);
void start_kumo(uint32_t magic, uint32_t info_pa)
{
    unsigned int online;

    /* printk() reads this CPU's id through GS: give it the boot CPU's block at once. */
    cpu_infos[0].self = &cpu_infos[0];
    wrmsr(MSR_GS_BASE, (uint64_t)&cpu_infos[0]);
    idt_init();
    idt_load_master();

    if (multiboot_parse(magic, info_pa) < 0) {
        uart_init();
        panic("not started by a multiboot loader (magic %#x)", magic);
    }
    cmdline_parse(boot_info.cmdline, __start_kparams, __stop_kparams, cmdline_warn);
    uart_init();
    printk("kumo hypervisor %s (x86-64), booted by %s\n", KUMO_VERSION,
           boot_info.loader[0] ? boot_info.loader : "an unnamed multiboot loader");
    printk("Command line: %s\n", boot_info.cmdline);
    print_memmap();

    paging_init(memmap_ram_end(boot_info.memmap, boot_info.nr_memmap));
    acpi_setup();
    memory_setup();
    acpi_power_init(&acpi);
    xmalloc_init(&xenheap_backend);
    boot_cpu_setup();
    local_irq_enable();

    online = smp_boot_cpus(&acpi, opt_maxcpus);
    timer_selftest();
    dom0_params_report();
    console_io_init();
    console_input_init();
    printk("%u CPUs online\n", online);
    build_boot_domains();
    idle_loop();
}
