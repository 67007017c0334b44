/*
 * Host tests for drivers/acpi.c on crafted tables in a fake physical memory. map() hands
 * out a heap copy of exactly the bytes asked for, so under ASan any read past what the
 * parser mapped is a heap-buffer-overflow, not a silent pass.
 */
#include "../../drivers/acpi.c"
#include "harness.h"

#define MEM_SIZE  0x110000              /* fake physical memory: 0 .. 1 MiB + 64 KiB */
#define BIOS_RSDP 0xF0000
#define RSDT      0x100000
#define XSDT      0x100400
#define MADT      0x101000
#define FADT      0x102000
#define MADT2     0x103000
#define FAR_AWAY  0x7FFF00000000ULL     /* never mapped */
#define STD_MADT_LEN (44 + 4 * 8 + 2 * 12)

static uint8_t mem[MEM_SIZE];
static size_t mem_mapped = MEM_SIZE;    /* map() refuses anything beyond this */
static void *copies[512];
static unsigned int nr_copies;
static struct acpi_info info;

static void unmap_all(void)
{
    while (nr_copies)
        free(copies[--nr_copies]);
}

static const void *map(paddr_t pa, size_t len)
{
    void *copy;

    if (pa > mem_mapped || len > mem_mapped - pa)
        return NULL;
    if (nr_copies == ARRAY_SIZE(copies))
        abort();                        /* the parser should never need this many */
    copy = malloc(len ? len : 1);
    memcpy(copy, mem + pa, len);
    copies[nr_copies++] = copy;
    return copy;
}

static void put32(uint32_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void put64(uint32_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }
static void set_ebda(uint16_t seg) { memcpy(mem + 0x40E, &seg, 2); }

static void fix_checksum(uint32_t pa, size_t len, size_t at)
{
    mem[pa + at] = 0;
    mem[pa + at] = (uint8_t)(0x100 - checksum(mem + pa, len));
}

/* Re-signs an SDT over the length its header now claims. */
static void resign(uint32_t pa)
{
    uint32_t len;

    memcpy(&len, mem + pa + 4, 4);
    fix_checksum(pa, len, 9);
}

static void reset(void)
{
    unmap_all();
    memset(mem, 0, sizeof(mem));
    mem_mapped = MEM_SIZE;
}

/* ACPI 6.4 section 5.2.5.3: RSDP, 20 bytes, or 36 from revision 2. */
static void rsdp(uint32_t pa, int rev, uint32_t rsdt, uint64_t xsdt)
{
    memcpy(mem + pa, "RSD PTR ", 8);
    memcpy(mem + pa + 9, "KUMO  ", 6);
    mem[pa + 15] = (uint8_t)rev;
    put32(pa + 16, rsdt);
    fix_checksum(pa, 20, 8);
    if (rev >= 2) {
        put32(pa + 20, 36);
        put64(pa + 24, xsdt);
        fix_checksum(pa, 36, 32);
    }
}

/* SDT header (ACPI 6.4 section 5.2.6) over a body already in place; checksum last. */
static void sdt(uint32_t pa, const char *sig, uint32_t len)
{
    memcpy(mem + pa, sig, 4);
    put32(pa + 4, len);
    mem[pa + 8] = 1;
    memcpy(mem + pa + 10, "KUMOTS", 6);
    fix_checksum(pa, len, 9);
}

static void root(uint32_t pa, bool x, const uint64_t *tables, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        memcpy(mem + pa + 36 + i * (x ? 8 : 4), &tables[i], x ? 8 : 4);    /* little-endian */
    sdt(pa, x ? "XSDT" : "RSDT", 36 + n * (x ? 8 : 4));
}

/* MADT builder (ACPI 6.4 section 5.2.12): madt_begin(), entries, madt_end(). */
static uint32_t madt_pa, madt_off;

static void madt_begin(uint32_t pa, uint32_t lapic)
{
    madt_pa = pa;
    madt_off = 44;
    put32(pa + 36, lapic);
    put32(pa + 40, 1);                                  /* PCAT_COMPAT */
}

/* Appends an entry: bytes 2 and 3, 4 or 8 bytes at 4, and a u32 at 12 when len >= 16. */
static void entry(uint8_t type, uint8_t len, uint8_t b2, uint8_t b3, uint64_t at4,
                  uint32_t at12)
{
    uint8_t *e = mem + madt_pa + madt_off;

    e[0] = type;
    e[1] = len;
    e[2] = b2;
    e[3] = b3;
    memcpy(e + 4, &at4, len >= 12 ? 8 : 4);
    if (len >= 16)
        memcpy(e + 12, &at12, 4);
    madt_off += len;
}

#define LAPIC(uid, id, flags)   entry(0, 8, uid, id, flags, 0)
#define IOAPIC(id, addr)        entry(1, 12, id, 0, addr, 0)
#define OVERRIDE(pa)            entry(5, 12, 0, 0, pa, 0)
#define X2APIC(id, flags, uid)  entry(9, 16, 0, 0, (id) | (uint64_t)(flags) << 32, uid)
#define MADT_END()              sdt(madt_pa, "APIC", madt_off)

/* The usual ACPI 2.0 machine: RSDP v2 at 0xF0000, XSDT -> FADT, MADT. The MADT has four
 * LAPICs, uid i and id 2i, #2 disabled and #3 only online-capable, and two IOAPICs. */
static void standard_v2(void)
{
    const uint64_t t[] = { FADT, MADT };

    reset();
    sdt(FADT, "FACP", 116);
    madt_begin(MADT, 0xFEE00000);
    for (int i = 0; i < 4; i++)
        LAPIC((uint8_t)i, (uint8_t)(2 * i), i == 2 ? 0 : i == 3 ? 2 : 1);
    IOAPIC(8, 0xFEC00000);
    IOAPIC(9, 0xFEC01000);
    MADT_END();
    root(XSDT, true, t, 2);
    rsdp(BIOS_RSDP, 2, 0, XSDT);
}

static const char *why;

static int parse(paddr_t pa)
{
    int rc = acpi_parse(pa, map, &info, &why);

    unmap_all();
    return rc;
}

static paddr_t find(void)
{
    paddr_t pa = acpi_find_rsdp(map);

    unmap_all();
    return pa;
}

static bool cpu(unsigned int i, uint32_t apic_id, uint32_t uid)
{
    return i < info.nr_cpus && info.cpus[i].apic_id == apic_id && info.cpus[i].acpi_uid == uid;
}

static bool table(unsigned int i, paddr_t pa, uint32_t len)
{
    return i < info.nr_tables && info.tables[i].pa == pa && info.tables[i].len == len;
}

static bool says(const char *what)
{
    return why && strstr(why, what);
}

TEST(rsdp_v0_rsdt_madt_lapics_and_ioapics)
{
    const uint64_t t[] = { FADT, MADT };

    standard_v2();
    memset(mem + BIOS_RSDP, 0, 36);
    root(RSDT, false, t, 2);
    rsdp(0xE0040, 0, RSDT, 0);
    CHECK_EQ(find(), 0xE0040);
    why = "stale";
    CHECK_EQ(parse(0xE0040), 0);
    CHECK(why == NULL);
    CHECK(info.rsdp_pa == 0xE0040 && info.revision == 0);
    CHECK_EQ(info.nr_cpus, 3);                          /* the disabled one is left out */
    CHECK(cpu(0, 0, 0) && cpu(1, 2, 1) && cpu(2, 6, 3));    /* online-capable counts */
    CHECK_EQ(info.nr_ioapics, 2);
    CHECK_EQ(info.lapic_pa, 0xFEE00000);
    CHECK(info.madt_pa == MADT && info.madt_len == STD_MADT_LEN);
    CHECK(info.fadt_pa == FADT && info.fadt_len == 116);
    CHECK_EQ(info.nr_tables, 3);
    CHECK(table(0, RSDT, 44) && table(1, FADT, 116) && table(2, MADT, STD_MADT_LEN));
}

TEST(rsdp_v2_prefers_xsdt_x2apic_and_lapic_override)
{
    const uint64_t x[] = { MADT2 }, r[] = { FADT, MADT };

    standard_v2();
    madt_begin(MADT2, 0xFEE00000);
    LAPIC(0, 1, 1);
    X2APIC(300, 1, 77);
    X2APIC(301, 0, 78);                                 /* disabled */
    X2APIC(302, 2, 79);                                 /* online-capable */
    X2APIC(1, 1, 80);                                   /* same CPU as the LAPIC entry */
    OVERRIDE(0x123456000ULL);
    IOAPIC(2, 0xFEC00000);
    MADT_END();
    root(XSDT, true, x, 1);
    root(RSDT, false, r, 2);                            /* only the RSDT leads to MADT */
    rsdp(BIOS_RSDP, 2, RSDT, XSDT);
    CHECK(parse(BIOS_RSDP) == 0 && why == NULL);
    CHECK(info.revision == 2 && info.madt_pa == MADT2 && info.fadt_pa == 0);
    CHECK_EQ(info.nr_cpus, 3);
    CHECK(cpu(0, 1, 0) && cpu(1, 300, 77) && cpu(2, 302, 79));  /* first entry for 1 wins */
    CHECK_EQ(info.lapic_pa, 0x123456000ULL);            /* the override entry wins */
    CHECK_EQ(info.nr_ioapics, 1);
    CHECK(table(0, XSDT, 44));

    rsdp(BIOS_RSDP, 2, RSDT, 0);                        /* v2 without an XSDT: the RSDT */
    CHECK_EQ(parse(BIOS_RSDP), 0);
    CHECK(info.madt_pa == MADT && info.nr_cpus == 3 && table(0, RSDT, 44));
}

TEST(rsdp_found_in_ebda_first_then_bios_area)
{
    standard_v2();
    rsdp(0x9FC40, 2, 0, XSDT);
    set_ebda(0x9FC0);
    CHECK_EQ(find(), 0x9FC40);                          /* EBDA before 0xF0000 */
    mem_mapped = 0x500;                                 /* BDA only: neither area maps */
    CHECK_EQ(find(), 0);

    standard_v2();
    rsdp(0x9FC00 + 0x400, 2, 0, XSDT);                  /* just past the EBDA's first KiB */
    set_ebda(0x9FC0);
    CHECK_EQ(find(), BIOS_RSDP);
    memset(mem + BIOS_RSDP, 0, 36);                     /* ...and nowhere else: not found */
    CHECK_EQ(find(), 0);

    reset();
    rsdp(0x10, 0, RSDT, 0);                             /* EBDA word 0: the IVT, not an EBDA */
    CHECK_EQ(find(), 0);
    rsdp(0xE0008, 0, RSDT, 0);                          /* not on a 16-byte boundary */
    CHECK_EQ(find(), 0);
    rsdp(0xFFFE0, 0, RSDT, 0);                          /* last slot that fits 20 bytes */
    CHECK_EQ(find(), 0xFFFE0);
}

TEST(rsdp_signature_checksums_and_lengths)
{
    uint8_t *r = mem + BIOS_RSDP;

    reset();
    rsdp(BIOS_RSDP, 0, RSDT, 0);
    CHECK(acpi_rsdp_valid(r, 20) && !acpi_rsdp_valid(r, 19) && !acpi_rsdp_valid(NULL, 20));
    r[9] ^= 1;                                          /* breaks the 20-byte checksum */
    CHECK(!acpi_rsdp_valid(r, 20) && find() == 0);
    CHECK_EQ(parse(BIOS_RSDP), -EINVAL);
    CHECK(why && !strcmp(why, "RSDP checksum mismatch"));
    rsdp(BIOS_RSDP, 0, RSDT, 0);
    r[0] = 'X';
    fix_checksum(BIOS_RSDP, 20, 8);
    CHECK(!acpi_rsdp_valid(r, 20));                     /* checksum fine, signature not */

    standard_v2();
    CHECK(acpi_rsdp_valid(r, 36) && !acpi_rsdp_valid(r, 35));  /* v2 needs all 36 bytes */
    CHECK(!acpi_rsdp_valid(map(BIOS_RSDP, 20), 20));    /* ...and must not peek past 20 */
    r[33] ^= 1;                                         /* breaks only the extended sum */
    CHECK(!checksum(r, 20) && !acpi_rsdp_valid(r, 36) && find() == 0);
    CHECK(parse(BIOS_RSDP) == -EINVAL && says("extended checksum"));

    standard_v2();
    put32(BIOS_RSDP + 20, 20);                          /* v2 length below 36 */
    fix_checksum(BIOS_RSDP, 36, 32);
    CHECK(!acpi_rsdp_valid(r, 36));
    put32(BIOS_RSDP + 20, 64);                          /* longer than what is available */
    fix_checksum(BIOS_RSDP, 64, 32);
    CHECK(!acpi_rsdp_valid(r, 36) && acpi_rsdp_valid(r, 64));
    CHECK_EQ(parse(BIOS_RSDP), 0);                      /* acpi_parse maps all 64 */
}

TEST(bad_checksums_skipped_with_reason)
{
    standard_v2();
    mem[FADT + 20] ^= 0xFF;                             /* corrupt the FADT */
    CHECK_EQ(parse(BIOS_RSDP), 0);                      /* the MADT still works */
    CHECK(says("checksum") && info.nr_cpus == 3 && info.fadt_pa == 0);
    CHECK(info.nr_tables == 2 && table(1, MADT, STD_MADT_LEN));    /* FADT not listed */
    mem[MADT + 50] ^= 0xFF;                             /* now the MADT too */
    CHECK_EQ(parse(BIOS_RSDP), -ENOENT);
    CHECK(says("checksum") && info.nr_cpus == 0 && info.madt_pa == 0);

    standard_v2();
    mem[XSDT + 40] ^= 0xFF;                             /* the XSDT itself, no RSDT */
    CHECK(parse(BIOS_RSDP) == -EINVAL && says("checksum"));
}

TEST(truncated_tables_are_errors_not_crashes)
{
    standard_v2();
    put32(MADT + 4, 0x20000);                           /* length runs past memory's end */
    CHECK(parse(BIOS_RSDP) < 0 && says("truncated") && info.nr_cpus == 0);
    standard_v2();
    mem_mapped = MADT + 40;                             /* header maps, the body does not */
    CHECK(parse(BIOS_RSDP) < 0 && says("truncated"));
    mem_mapped = MADT + 20;                             /* not even the header */
    CHECK(parse(BIOS_RSDP) < 0 && says("unmapped"));

    standard_v2();
    put32(MADT + 4, 40);                                /* too short for the LAPIC fields */
    resign(MADT);
    CHECK_EQ(parse(BIOS_RSDP), -EINVAL);
    CHECK(why && !strcmp(why, "MADT truncated") && info.madt_pa == 0);
    standard_v2();
    put32(FADT + 4, 10);                                /* a table shorter than its header */
    CHECK_EQ(parse(BIOS_RSDP), 0);
    CHECK(says("shorter than its header") && info.nr_tables == 2);
}

TEST(madt_bad_entry_lengths_stop_parsing_keep_cpus)
{
    static const struct { uint32_t at; uint8_t len; unsigned int cpus, ioapics; } cases[] = {
        { 44 + 8 + 1, 0, 1, 0 },                        /* second entry length 0 */
        { 44 + 1, 1, 0, 0 },                            /* first entry length 1 */
        { STD_MADT_LEN - 12 + 1, 13, 3, 1 },            /* last IOAPIC runs 1 byte past */
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        standard_v2();
        mem[MADT + cases[i].at] = cases[i].len;
        resign(MADT);
        CHECK_EQ(parse(BIOS_RSDP), 0);                  /* what came before is kept */
        CHECK(info.nr_cpus == cases[i].cpus && info.nr_ioapics == cases[i].ioapics);
        CHECK(says("bad length"));
    }
    madt_begin(MADT, 0xFEE00000);
    LAPIC(0, 0, 1);
    madt_off++;                                         /* a lone type byte at the end */
    MADT_END();
    CHECK(parse(BIOS_RSDP) == 0 && info.nr_cpus == 1);
}

TEST(unmapped_xsdt_and_entries)
{
    const uint64_t r[] = { MADT }, x[] = { FAR_AWAY, MADT }, bad[] = { FAR_AWAY };

    standard_v2();
    rsdp(BIOS_RSDP, 2, 0, FAR_AWAY);                    /* XSDT unmapped, no RSDT */
    CHECK(parse(BIOS_RSDP) == -EINVAL && says("unmapped") && info.nr_tables == 0);
    root(RSDT, false, r, 1);                            /* with an RSDT: fall back to it */
    rsdp(BIOS_RSDP, 2, RSDT, FAR_AWAY);
    CHECK(parse(BIOS_RSDP) == 0 && says("fell back to the RSDT"));
    CHECK(info.nr_cpus == 3 && table(0, RSDT, 40));

    standard_v2();
    root(XSDT, true, x, 2);                             /* one XSDT entry unmapped */
    CHECK(parse(BIOS_RSDP) == 0 && says("unmapped") && info.nr_cpus == 3);
    root(XSDT, true, bad, 1);                           /* the only entry unmapped */
    CHECK(parse(BIOS_RSDP) == -ENOENT && says("unmapped"));
    CHECK(parse(FAR_AWAY) == -EINVAL && says("RSDP"));  /* the RSDP itself */
}

TEST(madt_choice_missing_madt_and_wrong_root_signature)
{
    const uint64_t two[] = { MADT, MADT2 }, none[] = { FADT };

    standard_v2();
    madt_begin(MADT2, 0xFEE00000);
    LAPIC(0, 42, 1);
    MADT_END();
    root(XSDT, true, two, 2);
    CHECK_EQ(parse(BIOS_RSDP), 0);                      /* the first usable MADT wins */
    CHECK(info.madt_pa == MADT && info.nr_cpus == 3 && info.nr_tables == 3);
    put32(MADT + 4, 40);                                /* first one too short: the next */
    resign(MADT);
    CHECK_EQ(parse(BIOS_RSDP), 0);
    CHECK(info.madt_pa == MADT2 && info.nr_cpus == 1 && cpu(0, 42, 0));

    root(XSDT, true, none, 1);
    CHECK_EQ(parse(BIOS_RSDP), -ENOENT);
    CHECK(why && !strcmp(why, "no MADT"));
    CHECK(info.nr_tables == 2 && info.fadt_pa == FADT); /* still listed for the allocator */
    memcpy(mem + XSDT, "RSDT", 4);                      /* XSDT pointer to an RSDT */
    resign(XSDT);
    CHECK(parse(BIOS_RSDP) == -EINVAL && says("signature"));
    CHECK_EQ(acpi_parse(BIOS_RSDP, map, &info, NULL), -EINVAL);     /* why is optional */
}

TEST(many_cpus_and_tables_are_bounded)
{
    const uint64_t only_madt[] = { MADT };
    uint64_t x[40] = { MADT };

    reset();
    madt_begin(MADT, 0xFEE00000);
    for (uint32_t i = 0; i < ACPI_MAX_CPUS + 44; i++)
        X2APIC(1000 + i, 1, i);
    MADT_END();
    for (unsigned int i = 1; i < 40; i++) {
        x[i] = MADT2 + i * 64;
        sdt(MADT2 + i * 64, "SSDT", 36);
    }
    root(XSDT, true, x, 40);
    rsdp(BIOS_RSDP, 2, 0, XSDT);
    CHECK_EQ(parse(BIOS_RSDP), 0);
    CHECK_EQ(info.nr_cpus, ACPI_MAX_CPUS);
    CHECK(cpu(ACPI_MAX_CPUS - 1, 1000 + ACPI_MAX_CPUS - 1, ACPI_MAX_CPUS - 1));
    CHECK_EQ(info.nr_tables, 32);
    CHECK(info.tables[1].pa == MADT && table(31, MADT2 + 30 * 64, 36));
    CHECK(says("too many ACPI tables"));
    root(XSDT, true, only_madt, 1);                     /* now only the CPU limit is hit */
    CHECK(parse(BIOS_RSDP) == 0 && info.nr_cpus == ACPI_MAX_CPUS && says("ACPI_MAX_CPUS"));
}

/* Random corruption, often re-signed: must never read outside a mapping or hang. */
TEST(random_corruption_is_survived)
{
    static const uint32_t targets[] = { BIOS_RSDP, XSDT, MADT };

    for (int round = 0; round < 2000; round++) {
        uint32_t base = targets[harness_rand() % 3], span = base == BIOS_RSDP ? 36 : 120, len;

        standard_v2();
        for (int i = 0, flips = 1 + (int)(harness_rand() % 4); i < flips; i++)
            mem[base + harness_rand() % span] = (uint8_t)harness_rand();
        memcpy(&len, mem + base + 4, 4);
        if (base == BIOS_RSDP && (harness_rand() & 1)) {
            fix_checksum(base, 20, 8);
            fix_checksum(base, 36, 32);
            (void)find();
        } else if (base != BIOS_RSDP && (harness_rand() & 1) && len <= 0x1000) {
            resign(base);
        }
        if (parse(BIOS_RSDP) < 0)
            CHECK(why != NULL);
        CHECK(info.nr_cpus <= ACPI_MAX_CPUS && info.nr_tables <= 32);
    }
}

int main(void)
{
    RUN(rsdp_v0_rsdt_madt_lapics_and_ioapics);
    RUN(rsdp_v2_prefers_xsdt_x2apic_and_lapic_override);
    RUN(rsdp_found_in_ebda_first_then_bios_area);
    RUN(rsdp_signature_checksums_and_lengths);
    RUN(bad_checksums_skipped_with_reason);
    RUN(truncated_tables_are_errors_not_crashes);
    RUN(madt_bad_entry_lengths_stop_parsing_keep_cpus);
    RUN(unmapped_xsdt_and_entries);
    RUN(madt_choice_missing_madt_and_wrong_root_signature);
    RUN(many_cpus_and_tables_are_bounded);
    RUN(random_corruption_is_survived);
    unmap_all();
    HARNESS_EXIT();
}
