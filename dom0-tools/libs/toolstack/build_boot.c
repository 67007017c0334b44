/*
 * What the new domain finds when vCPU 0 starts, written as Xen 4.17's libxenguest writes it
 * (bootlate_hvm, vcpu_hvm): ACPI tables, the memory map given to the hypervisor and in
 * hvm_start_info with the module and command line, the console and xenstore rings and
 * their event channels in HVM params, and vCPU 0's registers through the HVM context.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "toolstack/build.h"

#include <kumo/guest_acpi.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/params.h>
#include <xen/hvm/save.h>

#define SI_MEMMAP_OFF 64
#define SI_MOD_OFF (SI_MEMMAP_OFF + 24 * BUILD_MAX_E820)
#define SI_CMDLINE_OFF (SI_MOD_OFF + 32)

static int fail(struct build *b, int rc, const char *what)
{
    snprintf(b->why, sizeof(b->why), "%s: %s", what, strerror(-rc));
    return rc;
}

static int write_tables(struct build *b)
{
    static uint8_t acpi[GUEST_ACPI_SIZE];
    struct ctl_e820 map[BUILD_MAX_E820];
    int rc;

    _Static_assert(GUEST_ACPI_BASE == BUILD_ACPI_BASE, "one ACPI page address");
    b->rsdp = guest_acpi_build(acpi, GUEST_ACPI_BASE, b->cfg->max_vcpus);
    if (!b->rsdp) {
        snprintf(b->why, sizeof(b->why), "ACPI tables: %u vCPUs do not fit the MADT",
                 b->cfg->max_vcpus);
        return -EINVAL;
    }
    rc = build_write_guest(b->domid, GUEST_ACPI_BASE, acpi, sizeof(acpi));
    if (rc)
        return fail(b, rc, "writing the ACPI tables");
    for (unsigned int i = 0; i < b->nr_e820; i++)
        map[i] = (struct ctl_e820){ b->e820[i].addr, b->e820[i].size, b->e820[i].type };
    rc = ctl_set_memory_map(b->domid, map, b->nr_e820);
    return rc ? fail(b, rc, "set_memory_map") : 0;
}

/* hvm_start_info v1, its memory map, module list and command line in one write. */
static int write_start_info(struct build *b)
{
    uint8_t area[SI_CMDLINE_OFF + 4096] = { 0 };
    struct hvm_start_info si = { .magic = XEN_HVM_START_MAGIC_VALUE, .version = 1 };
    const char *cmdline = b->cfg->cmdline ? b->cfg->cmdline : "";
    size_t cl = strlen(cmdline) + 1;
    int rc;

    if (cl > sizeof(area) - SI_CMDLINE_OFF) {
        snprintf(b->why, sizeof(b->why), "command line longer than 4095 bytes");
        return -E2BIG;
    }
    si.memmap_paddr = b->si_gpa + SI_MEMMAP_OFF;
    si.memmap_entries = b->nr_e820;
    for (unsigned int i = 0; i < b->nr_e820; i++) {
        struct hvm_memmap_table_entry e = { b->e820[i].addr, b->e820[i].size,
                                            b->e820[i].type, 0 };

        memcpy(area + SI_MEMMAP_OFF + i * sizeof(e), &e, sizeof(e));
    }
    if (b->ramdisk_len) {
        struct hvm_modlist_entry m = { .paddr = b->ramdisk_gpa, .size = b->ramdisk_len };

        memcpy(area + SI_MOD_OFF, &m, sizeof(m));
        si.nr_modules = 1;
        si.modlist_paddr = b->si_gpa + SI_MOD_OFF;
    }
    memcpy(area + SI_CMDLINE_OFF, cmdline, cl);
    si.cmdline_paddr = b->si_gpa + SI_CMDLINE_OFF;
    si.rsdp_paddr = b->rsdp;
    memcpy(area, &si, sizeof(si));
    rc = build_write_guest(b->domid, b->si_gpa, area, SI_CMDLINE_OFF + cl);
    return rc ? fail(b, rc, "writing the start info") : 0;
}

/* The rings start zeroed, their ports allocated for Dom0 (xenstored and xenconsoled). */
static int set_rings(struct build *b)
{
    int rc = build_write_guest(b->domid, BUILD_STORE_PFN << 12, NULL, 4096);

    if (!rc)
        rc = build_write_guest(b->domid, BUILD_CONSOLE_PFN << 12, NULL, 4096);
    if (rc)
        return fail(b, rc, "clearing the console and xenstore pages");
    if ((rc = ctl_evtchn_alloc_unbound(b->domid, 0)) < 0)
        return fail(b, rc, "event channel for xenstore");
    b->store_port = (uint32_t)rc;
    if ((rc = ctl_evtchn_alloc_unbound(b->domid, 0)) < 0)
        return fail(b, rc, "event channel for the console");
    b->console_port = (uint32_t)rc;
    if ((rc = ctl_hvm_param_set(b->domid, HVM_PARAM_STORE_PFN, BUILD_STORE_PFN)) ||
        (rc = ctl_hvm_param_set(b->domid, HVM_PARAM_STORE_EVTCHN, b->store_port)) ||
        (rc = ctl_hvm_param_set(b->domid, HVM_PARAM_CONSOLE_PFN, BUILD_CONSOLE_PFN)) ||
        (rc = ctl_hvm_param_set(b->domid, HVM_PARAM_CONSOLE_EVTCHN, b->console_port)))
        return fail(b, rc, "HVM params");
    return 0;
}

int build_start_info(struct build *b)
{
    int rc = write_tables(b);

    if (!rc)
        rc = write_start_info(b);
    if (!rc)
        rc = set_rings(b);
    return rc;
}

/* One save record into p: its descriptor then its body. */
static uint8_t *put_record(uint8_t *p, uint16_t type, uint16_t instance, const void *body,
                           uint32_t len)
{
    struct hvm_save_descriptor d = { type, instance, len };

    memcpy(p, &d, sizeof(d));
    if (len)
        memcpy(p + sizeof(d), body, len);
    return p + sizeof(d) + len;
}

/*
 * Without a device model every vCPU's MTRRs default to write-back (vcpu_hvm); a
 * hypervisor whose context has no MTRR record leaves them alone.
 */
static int set_mtrrs(struct build *b, const HVM_SAVE_TYPE(HEADER) *hdr)
{
    uint8_t buf[sizeof(struct hvm_save_descriptor) * 3 + sizeof(*hdr) +
                sizeof(HVM_SAVE_TYPE(MTRR))], *p;
    HVM_SAVE_TYPE(MTRR) mtrr;
    int rc = ctl_hvmcontext_get_partial(b->domid, HVM_SAVE_CODE(MTRR), 0, &mtrr, sizeof(mtrr));

    if (rc == -ENOENT || rc == -EINVAL)
        return 0;
    if (rc)
        return fail(b, rc, "gethvmcontext_partial (MTRR)");
    mtrr.msr_mtrr_def_type = 6 | 1u << 11;  /* WB, enabled (SDM 11.11.2.1) */
    for (unsigned int v = 0; v < b->cfg->max_vcpus; v++) {
        p = put_record(buf, HVM_SAVE_CODE(HEADER), 0, hdr, sizeof(*hdr));
        p = put_record(p, HVM_SAVE_CODE(MTRR), (uint16_t)v, &mtrr, sizeof(mtrr));
        p = put_record(p, HVM_SAVE_CODE(END), 0, NULL, 0);
        if ((rc = ctl_hvmcontext_set(b->domid, buf, (uint32_t)(p - buf))))
            return fail(b, rc, "sethvmcontext (MTRR)");
    }
    return 0;
}

/*
 * The HEADER record, copied from the whole context as vcpu_hvm does (Xen's partial get has
 * no HEADER: it is not a per-instance record).
 */
static int get_header(struct build *b, HVM_SAVE_TYPE(HEADER) *hdr)
{
    struct hvm_save_descriptor d;
    uint32_t size = 0;
    uint8_t *ctx;
    int rc = ctl_hvmcontext_get(b->domid, NULL, &size);

    if (!rc && size < sizeof(d) + sizeof(*hdr))
        rc = -EIO;
    if (rc)
        return fail(b, rc, "gethvmcontext (size)");
    if (!(ctx = malloc(size)))
        return fail(b, -ENOMEM, "gethvmcontext");
    rc = ctl_hvmcontext_get(b->domid, ctx, &size);
    if (!rc) {
        memcpy(&d, ctx, sizeof(d));
        if (size < sizeof(d) + sizeof(*hdr) || d.typecode != HVM_SAVE_CODE(HEADER) ||
            d.length != sizeof(*hdr))
            rc = -EIO;                  /* the context does not start with its header */
        else
            memcpy(hdr, ctx + sizeof(d), sizeof(*hdr));
    }
    free(ctx);
    return rc ? fail(b, rc, "gethvmcontext") : 0;
}

/* Flat 32-bit protected mode at the PVH entry, EBX = start info (the PVH ABI). */
int build_vcpu0(struct build *b)
{
    uint8_t buf[sizeof(struct hvm_save_descriptor) * 3 + sizeof(HVM_SAVE_TYPE(HEADER)) +
                sizeof(HVM_SAVE_TYPE(CPU))], *p;
    HVM_SAVE_TYPE(HEADER) hdr;
    HVM_SAVE_TYPE(CPU) cpu = { 0 };
    int rc = get_header(b, &hdr);

    if (rc || (rc = set_mtrrs(b, &hdr)))
        return rc;
    cpu.cs_limit = cpu.ds_limit = cpu.es_limit = cpu.ss_limit = ~0u;
    cpu.cs_arbytes = 0xc9b;             /* code, read/exec, accessed, present, 32-bit, 4K */
    cpu.ds_arbytes = cpu.es_arbytes = cpu.ss_arbytes = 0xc93;
    cpu.tr_arbytes = 0x8b;              /* busy 32-bit TSS */
    cpu.tr_limit = 0x67;
    cpu.cr0 = 0x11;                     /* PE | ET */
    cpu.rip = b->k.entry;
    cpu.rbx = b->si_gpa;
    cpu.rflags = 2;                     /* the always-one bit */
    cpu.dr6 = 0xffff0ff0;
    cpu.dr7 = 0x400;
    p = put_record(buf, HVM_SAVE_CODE(HEADER), 0, &hdr, sizeof(hdr));
    p = put_record(p, HVM_SAVE_CODE(CPU), 0, &cpu, sizeof(cpu));
    p = put_record(p, HVM_SAVE_CODE(END), 0, NULL, 0);
    rc = ctl_hvmcontext_set(b->domid, buf, (uint32_t)(p - buf));
    return rc ? fail(b, rc, "sethvmcontext (vCPU 0)") : 0;
}
