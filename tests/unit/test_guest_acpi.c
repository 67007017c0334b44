/*
 * Host tests for kernel/guest_acpi.c: the tables for 1, 2, 5 and the most vCPUs are read back
 * by the hypervisor's own ACPI parser (drivers/acpi.c: signatures, lengths, checksums, the
 * MADT's processors) from a fake guest memory, and checked field by field where that parser
 * does not look: FADT flags and registers, the DSDT's \_S5 package, the RSDP's checksums.
 */
#include "../../drivers/acpi.c"
#include "../../kernel/guest_acpi.c"
#include "harness.h"

static uint8_t page[GUEST_ACPI_SIZE];

static const void *map(paddr_t pa, size_t len)
{
    if (pa < GUEST_ACPI_BASE || pa + len > GUEST_ACPI_BASE + GUEST_ACPI_SIZE)
        return NULL;                        /* nothing of the tables may point elsewhere */
    return page + (pa - GUEST_ACPI_BASE);
}

static const uint8_t *at(uint64_t gpa)
{
    return page + (gpa - GUEST_ACPI_BASE);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--)
        s += *p++;
    return s;
}

static void check_vcpus(unsigned int n)
{
    struct acpi_info info;
    const char *why = NULL;
    uint64_t rsdp = guest_acpi_build(page, GUEST_ACPI_BASE, n);
    const uint8_t *fadt, *dsdt;

    CHECK_EQ(rsdp, GUEST_ACPI_BASE);
    CHECK(acpi_rsdp_valid(at(rsdp), 36));
    CHECK_EQ(sum(at(rsdp), 20), 0);
    CHECK_EQ(sum(at(rsdp), 36), 0);
    CHECK_EQ(at(rsdp)[15], 2);
    CHECK_EQ(acpi_parse(rsdp, map, &info, &why), 0);
    CHECK(why == NULL);
    CHECK_EQ(info.revision, 2);
    CHECK_EQ(info.nr_cpus, n);
    CHECK_EQ(info.lapic_pa, 0xFEE00000);
    CHECK_EQ(info.nr_ioapics, 0);
    for (unsigned int i = 0; i < info.nr_cpus; i++) {
        CHECK_EQ(info.cpus[i].apic_id, 2 * i);
        CHECK_EQ(info.cpus[i].acpi_uid, i);
    }
    CHECK(info.fadt_pa != 0);
    fadt = at(info.fadt_pa);
    CHECK(!memcmp(fadt, "FACP", 4));
    CHECK_EQ(get32(fadt + 4), 276);
    CHECK_EQ(sum(fadt, 276), 0);
    CHECK(get32(fadt + 112) & (1u << 20));                  /* HW_REDUCED_ACPI */
    CHECK_EQ(fadt[109] & 0x24, 0x24);                       /* no VGA, no CMOS RTC */
    CHECK_EQ(fadt[109] & 0x03, 0);                          /* no legacy devices, no 8042 */
    CHECK_EQ(get32(fadt + 64), 0);                          /* no PM1a control block */
    CHECK_EQ(fadt[244], 1);                                 /* sleep control: I/O port */
    CHECK_EQ(get64(fadt + 248), GUEST_ACPI_SLEEP_CTL);
    CHECK_EQ(get64(fadt + 260), GUEST_ACPI_SLEEP_STS);
    CHECK_EQ(get64(fadt + 140), get32(fadt + 40));          /* X_DSDT = DSDT */
    dsdt = at(get64(fadt + 140));
    CHECK(!memcmp(dsdt, "DSDT", 4));
    CHECK_EQ(sum(dsdt, get32(dsdt + 4)), 0);
    /* Name(_S5_, Package(2) { BytePrefix TYP, ... }) right after the header. */
    CHECK(!memcmp(dsdt + 36, "\x08_S5_\x12", 6));
    CHECK_EQ(dsdt[36 + 6], 6);                              /* PkgLength covers the rest */
    CHECK_EQ(36 + 6 + dsdt[36 + 6], get32(dsdt + 4));
    CHECK_EQ(dsdt[36 + 8], 0x0A);
    CHECK_EQ(dsdt[36 + 9], GUEST_ACPI_S5_TYP);
}

TEST(tables_for_2_and_5_vcpus)
{
    check_vcpus(2);
    check_vcpus(5);
}

TEST(tables_for_1_and_the_most_vcpus)
{
    check_vcpus(1);
    check_vcpus(64);
    check_vcpus(127);                       /* APIC id 252: the last that fits 8 bits */
}

TEST(too_many_vcpus_refused)
{
    CHECK_EQ(guest_acpi_build(page, GUEST_ACPI_BASE, 128), 0);
    CHECK_EQ(guest_acpi_build(page, GUEST_ACPI_BASE, 0), 0);
}

TEST(a_corrupted_table_is_caught)
{
    struct acpi_info info;
    const char *why = NULL;

    guest_acpi_build(page, GUEST_ACPI_BASE, 4);
    page[0x200 + 44 + 3] ^= 1;              /* an APIC id in the MADT, checksum now wrong */
    CHECK(acpi_parse(GUEST_ACPI_BASE, map, &info, &why) != 0 || info.nr_cpus != 4);
}

int main(void)
{
    RUN(tables_for_2_and_5_vcpus);
    RUN(tables_for_1_and_the_most_vcpus);
    RUN(too_many_vcpus_refused);
    RUN(a_corrupted_table_is_caught);
    HARNESS_EXIT();
}
