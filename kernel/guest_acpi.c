/*
 * Builds the guest ACPI tables described in kumo/guest_acpi.h into one page: RSDP at 0,
 * XSDT, FADT, DSDT and MADT after it, each with its checksum. Field offsets are ACPI 6.4's
 * (section 5.2); the tables are written byte by byte so the layout is explicit here.
 */
#include <kumo/guest_acpi.h>
#include <kumo/lib.h>

#define RSDP_OFF    0x000
#define XSDT_OFF    0x040
#define FADT_OFF    0x080
#define DSDT_OFF    0x1A0
#define MADT_OFF    0x200
#define HEADER_LEN  36
#define FADT_LEN    276             /* ACPI 6: up to the hypervisor vendor identity */
#define MADT_LAPIC_LEN 8

#define FADT_HW_REDUCED     (1u << 20)
#define FADT_PWR_BUTTON     (1u << 4)   /* no fixed-feature power button */
#define FADT_SLP_BUTTON     (1u << 5)
#define BOOT_NO_VGA         (1u << 2)
#define BOOT_NO_CMOS_RTC    (1u << 5)

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t sum_to_zero(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum += *p++;
    return (uint8_t)-sum;
}

/* The common header; the checksum is filled last by acpi_finish(). */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t revision)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = revision;
    memcpy(t + 10, "KUMO  ", 6);
    memcpy(t + 16, "KUMOVM  ", 8);
    put32(t + 24, 1);                       /* OEM revision */
    memcpy(t + 28, "KUMO", 4);              /* creator id */
    put32(t + 32, 1);                       /* creator revision */
}

static void acpi_finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = sum_to_zero(t, len);
}

/* Generic address structure: system I/O, 8-bit register. */
static void io_register(uint8_t *p, uint16_t port)
{
    p[0] = 1;                               /* system I/O space */
    p[1] = 8;                               /* bit width */
    p[2] = 0;                               /* bit offset */
    p[3] = 1;                               /* byte access */
    put64(p + 4, port);
}

static void build_fadt(uint8_t *t, uint64_t dsdt)
{
    acpi_header(t, "FACP", FADT_LEN, 6);
    put32(t + 40, (uint32_t)dsdt);
    put16(t + 109, BOOT_NO_VGA | BOOT_NO_CMOS_RTC);     /* IAPC_BOOT_ARCH: no 8042 either */
    put32(t + 112, FADT_HW_REDUCED | FADT_PWR_BUTTON | FADT_SLP_BUTTON);
    t[131] = 0;                                         /* FADT minor version */
    put64(t + 140, dsdt);                               /* X_DSDT */
    io_register(t + 244, GUEST_ACPI_SLEEP_CTL);
    io_register(t + 256, GUEST_ACPI_SLEEP_STS);
    memcpy(t + 268, "KUMOKUMO", 8);                     /* hypervisor vendor identity */
    acpi_finish(t, FADT_LEN);
}

/* DefinitionBlock with Name (_S5, Package () { S5_TYP, 0 }) (ACPI 6.4 section 20.2). */
static uint32_t build_dsdt(uint8_t *t)
{
    static const uint8_t aml[] = {
        0x08, '_', 'S', '5', '_',           /* NameOp, NameSeg */
        0x12, 0x06, 0x02,                   /* PackageOp, PkgLength 6, NumElements 2 */
        0x0A, GUEST_ACPI_S5_TYP,            /* BytePrefix SLP_TYP */
        0x0A, 0x00,                         /* BytePrefix 0 */
    };
    uint32_t len = HEADER_LEN + sizeof(aml);

    acpi_header(t, "DSDT", len, 2);
    memcpy(t + HEADER_LEN, aml, sizeof(aml));
    acpi_finish(t, len);
    return len;
}

static uint32_t build_madt(uint8_t *t, unsigned int nr_vcpus)
{
    uint32_t len = HEADER_LEN + 8 + nr_vcpus * MADT_LAPIC_LEN;

    acpi_header(t, "APIC", len, 4);
    put32(t + HEADER_LEN, 0xFEE00000);      /* local APIC address */
    put32(t + HEADER_LEN + 4, 0);           /* no PC-AT dual 8259 */
    for (unsigned int i = 0; i < nr_vcpus; i++) {
        uint8_t *e = t + HEADER_LEN + 8 + i * MADT_LAPIC_LEN;

        e[0] = 0;                           /* processor local APIC */
        e[1] = MADT_LAPIC_LEN;
        e[2] = (uint8_t)i;                  /* ACPI processor UID: the vCPU index */
        e[3] = (uint8_t)(2 * i);            /* APIC id, as Xen numbers them */
        put32(e + 4, 1);                    /* enabled */
    }
    acpi_finish(t, len);
    return len;
}

uint64_t guest_acpi_build(void *buf, uint64_t base, unsigned int nr_vcpus)
{
    uint8_t *p = buf, *xsdt = p + XSDT_OFF;
    uint32_t xsdt_len = HEADER_LEN + 2 * 8;

    if (!nr_vcpus || 2 * nr_vcpus > 255 ||
        MADT_OFF + HEADER_LEN + 8 + nr_vcpus * MADT_LAPIC_LEN > GUEST_ACPI_SIZE)
        return 0;
    memset(p, 0, GUEST_ACPI_SIZE);
    build_fadt(p + FADT_OFF, base + DSDT_OFF);
    build_dsdt(p + DSDT_OFF);
    build_madt(p + MADT_OFF, nr_vcpus);
    acpi_header(xsdt, "XSDT", xsdt_len, 1);
    put64(xsdt + HEADER_LEN, base + FADT_OFF);
    put64(xsdt + HEADER_LEN + 8, base + MADT_OFF);
    acpi_finish(xsdt, xsdt_len);
    /* RSDP: checksum over the ACPI 1.0 part, extended checksum over all 36 bytes. */
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "KUMO  ", 6);
    p[15] = 2;                              /* revision: XSDT */
    put32(p + 20, 36);
    put64(p + 24, base + XSDT_OFF);
    p[8] = sum_to_zero(p, 20);
    p[32] = sum_to_zero(p, 36);
    return base + RSDP_OFF;
}
