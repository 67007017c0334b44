/*
 * The guest's view of its ACPI tables: RSDP -> XSDT -> FADT (hardware-reduced, with a DSDT)
 * and MADT, checked the way Linux reads them (signatures, checksums, one enabled local APIC
 * per vCPU with UID n and APIC id 2n). Shared by the smp and probe test kernels.
 */
#include "guest.h"

static uint8_t table_sum(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum += *p++;
    return sum;
}

static const uint8_t *table(uint64_t pa, const char *sig)
{
    const uint8_t *t = (const void *)(uintptr_t)pa;

    if (!pa || memcmp(t, sig, 4) || table_sum(t, *(const uint32_t *)(t + 4))) {
        xtf_failure("ACPI table %.4s at %#lx missing or with a bad checksum", sig,
                    (unsigned long)pa);
        return NULL;
    }
    return t;
}

static void check_madt(const uint8_t *madt, unsigned int nr_vcpus)
{
    unsigned int lapics = 0;

    CHECK_EQ("MADT local APIC address", *(const uint32_t *)(madt + 36), 0xFEE00000);
    for (uint32_t off = 44; off + 2 <= *(const uint32_t *)(madt + 4); off += madt[off + 1]) {
        if (madt[off] != 0 || madt[off + 1] != 8) {
            xtf_failure("MADT entry of type %u", madt[off]);
            break;
        }
        if (madt[off + 2] != lapics || madt[off + 3] != 2 * lapics || !(madt[off + 4] & 1))
            xtf_failure("MADT LAPIC %u: uid %u id %u flags %u", lapics, madt[off + 2],
                        madt[off + 3], madt[off + 4]);
        lapics++;
    }
    CHECK_EQ("MADT local APICs", lapics, nr_vcpus);
}

uint16_t acpi_check_tables(unsigned int nr_vcpus)
{
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;
    const uint8_t *rsdp = (const void *)(uintptr_t)si->rsdp_paddr;
    const uint8_t *xsdt, *fadt = NULL, *madt = NULL;

    if (!si->rsdp_paddr || memcmp(rsdp, "RSD PTR ", 8) || table_sum(rsdp, 20) ||
        rsdp[15] < 2 || table_sum(rsdp, 36)) {
        xtf_failure("no valid RSDP (rsdp_paddr %#lx)", (unsigned long)si->rsdp_paddr);
        return 0;
    }
    xsdt = table(*(const uint64_t *)(rsdp + 24), "XSDT");
    for (uint32_t off = 36; xsdt && off < *(const uint32_t *)(xsdt + 4); off += 8) {
        const uint8_t *t = (const void *)(uintptr_t)*(const uint64_t *)(xsdt + off);

        if (!memcmp(t, "FACP", 4))
            fadt = table((uintptr_t)t, "FACP");
        else if (!memcmp(t, "APIC", 4))
            madt = table((uintptr_t)t, "APIC");
    }
    if (!fadt || !madt) {
        xtf_failure("XSDT lists no FADT or no MADT");
        return 0;
    }
    if (!(*(const uint32_t *)(fadt + 112) & (1u << 20)))
        xtf_failure("FADT is not hardware-reduced");
    if (!table(*(const uint64_t *)(fadt + 140), "DSDT"))
        return 0;
    check_madt(madt, nr_vcpus);
    return (uint16_t)*(const uint64_t *)(fadt + 248);
}
