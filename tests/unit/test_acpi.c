/* Host tests for drivers/acpi.c on crafted tables in a fake physical memory. */
#include "../../drivers/acpi.c"
#include "harness.h"

#define MEM_SIZE 0x110000               /* fake physical memory: 0 .. 1 MiB + 64 KiB */
static uint8_t mem[MEM_SIZE];

static const void *map(paddr_t pa, size_t len)
{
    if (pa > MEM_SIZE || len > MEM_SIZE - pa)
        return NULL;
    return mem + pa;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
    p[at] = 0;
    p[at] = (uint8_t)(0x100 - checksum(p, len));
}

static void sdt_header(uint32_t pa, const char *sig, uint32_t len)
{
    memcpy(mem + pa, sig, 4);
    put32(mem + pa + 4, len);
    mem[pa + 8] = 1;
    memcpy(mem + pa + 10, "KUMOTS", 6);
    fix_checksum(mem + pa, len, 9);
}

/* RSDP at rsdp_pa, revision rev; the root table at 0x100000 points to a MADT at 0x101000. */
static void build(uint32_t rsdp_pa, int rev, bool x2apic)
{
    uint32_t root = 0x100000, madt = 0x101000, fadt = 0x102000, off;
    uint8_t *r = mem + rsdp_pa, *m = mem + madt;

    memset(mem, 0, sizeof(mem));
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "KUMO  ", 6);
    r[15] = (uint8_t)rev;
    put32(r + 16, rev >= 2 ? 0 : root);
    fix_checksum(r, 20, 8);
    if (rev >= 2) {
        put32(r + 20, 36);
        put64(r + 24, root);
        fix_checksum(r, 36, 32);
        fix_checksum(r, 20, 8);
        fix_checksum(r, 36, 32);
    }
    /* MADT: header, LAPIC address, flags, then entries (ACPI 6.4 section 5.2.12). */
    off = 44;
    put32(m + 36, 0xFEE00000);
    for (int i = 0; i < 4; i++, off += 8) {
        m[off] = 0;
        m[off + 1] = 8;
        m[off + 2] = (uint8_t)i;                          /* uid */
        m[off + 3] = (uint8_t)(i * 2);                    /* APIC id */
        put32(m + off + 4, i == 2 ? 0 : i == 3 ? 2 : 1);  /* #2 disabled, #3 online-capable */
    }
    m[off] = 1; m[off + 1] = 12; off += 12;               /* an IOAPIC */
    m[off] = 5; m[off + 1] = 12; put64(m + off + 4, 0xFED00000); off += 12;
    if (x2apic) {
        m[off] = 9; m[off + 1] = 16;
        put32(m + off + 4, 300); put32(m + off + 8, 1); put32(m + off + 12, 77);
        off += 16;
    }
    sdt_header(madt, "APIC", off);
    sdt_header(fadt, "FACP", 116);
    if (rev >= 2) {
        put64(mem + root + 36, fadt);
        put64(mem + root + 44, madt);
        sdt_header(root, "XSDT", 52);
    } else {
        put32(mem + root + 36, fadt);
        put32(mem + root + 40, madt);
        sdt_header(root, "RSDT", 44);
    }
}

static struct acpi_info info;

TEST(acpi1_rsdt_madt_cpus)
{
    const char *why;

    build(0xF0000, 0, false);
    CHECK_EQ(acpi_find_rsdp(map), 0xF0000);
    CHECK_EQ(acpi_parse(0xF0000, map, &info, &why), 0);
    CHECK_EQ(info.revision, 0);
    CHECK_EQ(info.nr_cpus, 3);                            /* the disabled one is left out */
    CHECK_EQ(info.cpus[0].apic_id, 0);
    CHECK_EQ(info.cpus[1].apic_id, 2);
    CHECK_EQ(info.cpus[2].apic_id, 6);                    /* online-capable counts */
    CHECK_EQ(info.nr_ioapics, 1);
    CHECK_EQ(info.lapic_pa, 0xFED00000);                  /* the override entry wins */
    CHECK_EQ(info.madt_pa, 0x101000);
    CHECK_EQ(info.nr_tables, 3);
    CHECK(why == NULL);
}

TEST(acpi2_xsdt_and_x2apic_entries)
{
    const char *why;

    build(0xE0010, 2, true);
    CHECK_EQ(acpi_find_rsdp(map), 0xE0010);
    CHECK_EQ(acpi_parse(0xE0010, map, &info, &why), 0);
    CHECK_EQ(info.revision, 2);
    CHECK_EQ(info.nr_cpus, 4);
    CHECK_EQ(info.cpus[3].apic_id, 300);
    CHECK_EQ(info.cpus[3].acpi_uid, 77);
}

TEST(rsdp_in_ebda_found_first)
{
    build(0x9FC00 + 0x40, 2, false);
    mem[0x40E] = 0xC0; mem[0x40F] = 0x9F;                 /* EBDA segment 0x9FC0 */
    CHECK_EQ(acpi_find_rsdp(map), 0x9FC40);
}

TEST(bad_rsdp_checksums_rejected)
{
    const char *why;

    build(0xF0000, 0, false);
    mem[0xF0000 + 9] ^= 1;                                /* breaks the 20-byte checksum */
    CHECK_EQ(acpi_find_rsdp(map), 0);
    CHECK(acpi_parse(0xF0000, map, &info, &why) < 0);
    build(0xF0000, 2, false);
    mem[0xF0000 + 33] ^= 1;                               /* breaks only the extended one */
    CHECK(!acpi_rsdp_valid(mem + 0xF0000, 36));
    CHECK_EQ(acpi_find_rsdp(map), 0);
}

TEST(bad_table_checksum_skipped_with_reason)
{
    const char *why;

    build(0xF0000, 2, false);
    mem[0x102000 + 20] ^= 0xFF;                           /* corrupt the FADT */
    CHECK_EQ(acpi_parse(0xF0000, map, &info, &why), 0);   /* the MADT still works */
    CHECK(why && strstr(why, "checksum"));
    CHECK_EQ(info.nr_cpus, 3);
    mem[0x101000 + 50] ^= 0xFF;                           /* now the MADT too */
    CHECK(acpi_parse(0xF0000, map, &info, &why) < 0);
    CHECK_EQ(info.nr_cpus, 0);
}

TEST(truncated_and_unmapped_tables)
{
    const char *why;

    build(0xF0000, 2, false);
    put32(mem + 0x101000 + 4, 0x20000);                   /* MADT length past memory end */
    CHECK(acpi_parse(0xF0000, map, &info, &why) < 0);
    CHECK(why && strstr(why, "truncated"));
    build(0xF0000, 2, false);
    put64(mem + 0x100000 + 44, 0xFFFFFFFFF000ULL);        /* XSDT entry unmapped */
    fix_checksum(mem + 0x100000, 52, 9);
    CHECK(acpi_parse(0xF0000, map, &info, &why) < 0);
    build(0xF0000, 2, false);
    put64(mem + 0xF0000 + 24, 0x7FFFFFFF0000ULL);         /* XSDT itself unmapped */
    fix_checksum(mem + 0xF0000, 36, 32);
    CHECK(acpi_parse(0xF0000, map, &info, &why) < 0);
}

TEST(malformed_madt_entries_stop_safely)
{
    const char *why;

    build(0xF0000, 2, false);
    mem[0x101000 + 44 + 8 + 1] = 0;                       /* second entry length 0 */
    fix_checksum(mem + 0x101000, 44 + 4 * 8 + 24, 9);
    CHECK_EQ(acpi_parse(0xF0000, map, &info, &why), 0);
    CHECK_EQ(info.nr_cpus, 1);                            /* the first one was kept */
    CHECK(why && strstr(why, "bad length"));
    build(0xF0000, 2, false);
    mem[0x101000 + 44 + 1] = 200;                         /* runs past the table */
    fix_checksum(mem + 0x101000, 44 + 4 * 8 + 24, 9);
    CHECK_EQ(acpi_parse(0xF0000, map, &info, &why), 0);
    CHECK_EQ(info.nr_cpus, 0);
    build(0xF0000, 2, false);
    put32(mem + 0x101000 + 4, 40);                        /* shorter than header + LAPIC fields */
    fix_checksum(mem + 0x101000, 40, 9);
    CHECK_EQ(acpi_parse(0xF0000, map, &info, &why), 0);
    CHECK(why && strstr(why, "MADT truncated"));
}

int main(void)
{
    RUN(acpi1_rsdt_madt_cpus);
    RUN(acpi2_xsdt_and_x2apic_entries);
    RUN(rsdp_in_ebda_found_first);
    RUN(bad_rsdp_checksums_rejected);
    RUN(bad_table_checksum_skipped_with_reason);
    RUN(truncated_and_unmapped_tables);
    RUN(malformed_madt_entries_stop_safely);
    HARNESS_EXIT();
}
