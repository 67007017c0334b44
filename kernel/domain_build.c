/*
 * The PVH domain builder (linux-pvh-abi.md section 1): memory from GFN 0 (with the MMIO
 * hole below 4 GiB, see domain_populate), the kernel's segments at their physical
 * addresses, then one page-aligned area after the image with hvm_start_info v1, the memory
 * map, the command line and the module list, then the modules. Every guest gets ACPI
 * tables (kernel/guest_acpi.c) in the page below 640 KiB. vCPU 0 starts at the PHYS32_ENTRY with EBX pointing at the start info.
 */
#include <kumo/console.h>
#include <kumo/domain_build.h>
#include <kumo/elf_load.h>
#include <kumo/guest_acpi.h>
#include <kumo/kernel_image.h>
#include <kumo/physmap.h>
#include <kumo/sched.h>
#include <kumo/sched_policy.h>
#include <kumo/xen_abi.h>

#define LOW_RAM_END 0xA0000              /* Linux needs RAM below 1 MiB (trampoline) */

struct start_area {
    struct hvm_start_info si;
    struct hvm_memmap_table_entry memmap[5];
    struct hvm_modlist_entry mods[8];
};

static void add_range(struct start_area *sa, uint64_t addr, uint64_t size, uint32_t type)
{
    sa->memmap[sa->si.memmap_entries++] = (struct hvm_memmap_table_entry){ addr, size, type, 0 };
}

/*
 * RAM below 640 KiB (the last page holds the ACPI tables), reserved up to 1 MiB, RAM up to
 * the MMIO hole, and what the hole displaced above 4 GiB.
 */
static void fill_memmap(struct start_area *sa, const struct pvh_build_args *a)
{
    add_range(sa, 0, GUEST_ACPI_BASE, XEN_HVM_MEMMAP_TYPE_RAM);
    add_range(sa, GUEST_ACPI_BASE, LOW_RAM_END - GUEST_ACPI_BASE, XEN_HVM_MEMMAP_TYPE_ACPI);
    add_range(sa, LOW_RAM_END, 0x100000 - LOW_RAM_END, XEN_HVM_MEMMAP_TYPE_RESERVED);
    add_range(sa, 0x100000, MIN(a->memory, GUEST_MMIO_HOLE_START) - 0x100000,
              XEN_HVM_MEMMAP_TYPE_RAM);
    if (a->memory > GUEST_MMIO_HOLE_START)
        add_range(sa, GUEST_HIGH_RAM_START, a->memory - GUEST_MMIO_HOLE_START,
                  XEN_HVM_MEMMAP_TYPE_RAM);
}

/* XENMEM_memory_map answers with the map start_info gives (same types as e820's). */
static void keep_memmap(struct domain *d, const struct start_area *sa)
{
    d->nr_e820 = MIN(sa->si.memmap_entries, ARRAY_SIZE(d->e820));
    for (unsigned int i = 0; i < d->nr_e820; i++)
        d->e820[i] = (struct domain_e820){ sa->memmap[i].addr, sa->memmap[i].size,
                                           sa->memmap[i].type };
}

/*
 * The tables Linux needs to find its CPUs (linux-pvh-abi.md section 1.4): without a MADT even
 * a 1-vCPU Linux never starts its Xen clock-event device and hangs at its first sleep.
 */
static int place_acpi_tables(struct domain *d, unsigned int vcpus, uint64_t *rsdp)
{
    static uint8_t page[GUEST_ACPI_SIZE];

    *rsdp = guest_acpi_build(page, GUEST_ACPI_BASE, vcpus);
    return *rsdp && copy_to_guest_phys(d, GUEST_ACPI_BASE, page, sizeof(page)) ? 0 : -1;
}

/* Lays out start info, command lines and modules from `at`; returns the start info's GPA. */
static int write_start_info(struct domain *d, const struct pvh_build_args *a, uint64_t at,
                            uint64_t *si_gpa, const char **why)
{
    static struct start_area sa;
    uint64_t cursor = at + ROUNDUP(sizeof(sa), 16);
    size_t len;

    memset(&sa, 0, sizeof(sa));
    if (a->nr_modules > ARRAY_SIZE(sa.mods)) {
        *why = "too many modules";
        return -XEN_EINVAL;
    }
    sa.si.magic = XEN_HVM_START_MAGIC_VALUE;
    sa.si.version = 1;
    sa.si.flags = a->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
    fill_memmap(&sa, a);
    keep_memmap(d, &sa);
    sa.si.memmap_paddr = at + offsetof(struct start_area, memmap);
    if (place_acpi_tables(d, a->vcpus, &sa.si.rsdp_paddr)) {
        *why = "no room for the ACPI tables";
        return -XEN_ENOMEM;
    }
    len = strlen(a->cmdline ? a->cmdline : "") + 1;
    sa.si.cmdline_paddr = cursor;
    if (!copy_to_guest_phys(d, cursor, a->cmdline ? a->cmdline : "", len))
        goto nomem;
    cursor = ROUNDUP(cursor + len, 16);
    sa.si.nr_modules = a->nr_modules;
    sa.si.modlist_paddr = a->nr_modules ? at + offsetof(struct start_area, mods) : 0;
    for (unsigned int i = 0; i < a->nr_modules; i++) {
        const struct build_module *m = &a->modules[i];

        len = strlen(m->cmdline) + 1;
        sa.mods[i].cmdline_paddr = cursor;
        if (!copy_to_guest_phys(d, cursor, m->cmdline, len))
            goto nomem;
        cursor = ROUNDUP(cursor + len, PAGE_SIZE);
        sa.mods[i].paddr = cursor;
        sa.mods[i].size = m->len;
        if (!copy_to_guest_phys(d, cursor, m->data, m->len))
            goto nomem;
        cursor = ROUNDUP(cursor + m->len, 16);
    }
    if (!copy_to_guest_phys(d, at, &sa, sizeof(sa)))
        goto nomem;
    *si_gpa = at;
    return 0;

nomem:
    *why = "memory too small for the kernel, command line and modules";
    return -XEN_ENOMEM;
}

/* Overlays the parameters given on the policy's defaults. */
static int apply_sched_args(struct domain *d, const struct sched_args *s)
{
    struct sched_dom want = d->sched;

    if (!s->has_weight && !s->has_cap && !s->has_period && !s->has_slice && !s->has_extra)
        return 0;
    if (s->has_weight)
        want.weight = s->weight;
    if (s->has_cap)
        want.cap = s->cap;
    if (s->has_period)
        want.period = s->period;
    if (s->has_slice)
        want.slice = s->slice;
    if (s->has_extra)
        want.extra = s->extra;
    return sched_adjust(d, &want);
}

struct domain *pvh_build(const struct pvh_build_args *a, const char **why)
{
    struct elf_image_info info;
    struct hvm_vcpu_state start;
    struct kernel_image k;
    struct domain *d;
    uint64_t si_gpa;
    int err;

    if (!a->vcpus || a->vcpus > MAX_VCPUS) {
        *why = "bad vCPU count";
        return NULL;
    }
    if (kernel_image_get(a->kernel, a->kernel_len, a->name, &k, why))
        return NULL;
    if (elf_inspect(k.elf, k.len, &info, why))
        goto fail_image;
    if (a->memory < (2 << 20) || info.paddr_hi + PAGE_SIZE > MIN(a->memory, GUEST_MMIO_HOLE_START) ||
        a->memory > (1ULL << 40)) {
        *why = "memory does not fit the kernel image";
        goto fail_image;
    }
    d = domain_create(a->privileged ? 0 : DOMID_INVALID, a->name, a->privileged, &err);
    if (!d) {
        *why = err == -XEN_ENOSPC ? "no free domain id" : "out of memory";
        goto fail_image;
    }
    d->cpumask = a->cpumask ? a->cpumask : ~0ULL;
    if (apply_sched_args(d, &a->sched)) {
        *why = "scheduling parameters rejected by the scheduler";
        goto fail;
    }
    *why = "out of memory";
    d->max_vcpus = a->vcpus;
    if (domain_populate(d, a->memory) || domain_create_vcpus(d, a->vcpus))
        goto fail;
    if (elf_load(d, k.elf, k.len)) {
        *why = "could not copy the kernel";
        goto fail;
    }
    kernel_image_put(&k);
    if (write_start_info(d, a, ROUNDUP(info.paddr_hi, PAGE_SIZE), &si_gpa, why))
        goto fail;
    /* vCPU 0 starts at the entry point; the others wait for INIT/SIPI or VCPUOP_up. */
    hvm_state_pvh(&start, info.phys32_entry, (uint32_t)si_gpa);
    vcpus_ready(d, 0, &start);
    return d;

fail:
    domain_destroy(d);
fail_image:
    kernel_image_put(&k);
    return NULL;
}
