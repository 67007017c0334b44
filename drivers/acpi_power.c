/*
 * Powering the machine off through ACPI S5: SLP_TYP from the DSDT's \_S5 package and
 * SLP_EN written to the FADT's PM1a/PM1b control ports (ACPI 6.4 sections 4.8.3.2, 7.4.2).
 * The AML is not interpreted: \_S5 is a plain Name(Package) in every firmware we meet.
 */
#include <asm/page.h>
#include <asm/processor.h>
#include <kumo/acpi.h>
#include <kumo/acpi_power.h>
#include <kumo/console.h>
#include <kumo/mm.h>
#include <kumo/panic.h>

static uint16_t pm1a_cnt, pm1b_cnt;
static int slp_typa = -1, slp_typb;

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads one AML integer (ZeroOp, OneOp, BytePrefix) at p; -1 if it is something else. */
static int aml_small_int(const uint8_t *p, const uint8_t *end, unsigned int *used)
{
    if (p >= end)
        return -1;
    if (*p == 0x00 || *p == 0x01) {
        *used = 1;
        return *p;
    }
    if (*p == 0x0A && p + 1 < end) {
        *used = 2;
        return p[1];
    }
    return -1;
}

static void find_s5(const uint8_t *dsdt, uint32_t len)
{
    const uint8_t *end = dsdt + len;

    for (const uint8_t *p = dsdt + 36; p + 8 < end; p++) {
        unsigned int used;
        int a, b;

        /* NameOp "_S5_" PackageOp PkgLength NumElements <SLP_TYPa> <SLP_TYPb> */
        if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
            continue;
        p += 5;
        p += 1 + (*p >> 6);                 /* PkgLength: bits 7:6 count extra bytes */
        p++;                                /* NumElements */
        a = aml_small_int(p, end, &used);
        if (a < 0)
            return;
        b = aml_small_int(p + used, end, &used);
        slp_typa = a;
        slp_typb = b < 0 ? 0 : b;
        return;
    }
}

void acpi_power_init(const struct acpi_info *info)
{
    const uint8_t *fadt;
    uint64_t dsdt_pa;
    uint32_t dsdt_len;

    if (!info->fadt_pa || info->fadt_len < 76 || info->fadt_pa + info->fadt_len > directmap_end)
        return;
    fadt = __va(info->fadt_pa);
    pm1a_cnt = (uint16_t)rd32(fadt + 64);
    pm1b_cnt = (uint16_t)rd32(fadt + 68);
    dsdt_pa = rd32(fadt + 40);
    if (info->fadt_len >= 148 && rd32(fadt + 140))
        dsdt_pa = rd32(fadt + 140) | (uint64_t)rd32(fadt + 144) << 32;
    if (!dsdt_pa || dsdt_pa + 36 > directmap_end)
        return;
    dsdt_len = rd32((const uint8_t *)__va(dsdt_pa) + 4);
    if (dsdt_len < 36 || dsdt_pa + dsdt_len > directmap_end)
        return;
    find_s5(__va(dsdt_pa), dsdt_len);
    printk(KLOG_DEBUG "ACPI power: PM1a_CNT %#x PM1b_CNT %#x, \\_S5 %d/%d\n", pm1a_cnt, pm1b_cnt,
           slp_typa, slp_typb);
}

void machine_power_off(void)
{
    if (pm1a_cnt && slp_typa >= 0) {
        printk("Powering off (ACPI S5)\n");
        outw(pm1a_cnt, (uint16_t)(slp_typa << 10 | 1 << 13));
        if (pm1b_cnt)
            outw(pm1b_cnt, (uint16_t)(slp_typb << 10 | 1 << 13));
    }
    /* No ACPI S5: QEMU's isa-debug-exit and Bochs' shutdown port, then halt. */
    outb(0xF4, 0);
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (uint8_t)*s);
    printk("Power-off did not take: halting\n");
    machine_halt();
}
