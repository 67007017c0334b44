/*
 * Host ACPI discovery: find the RSDP, walk the XSDT or RSDT, validate every table's length
 * and checksum, note the FADT, and list the processors, IOAPICs and LAPIC address of the MADT.
 * All memory is reached through the caller's map function; no length field is trusted
 * before the bytes it covers have been mapped.
 */
#include <kumo/acpi.h>
#include <kumo/lib.h>

#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOENT
#define ENOENT 2
#endif

/* ACPI 6.4 section 5.2.5.3: v1 RSDP is 20 bytes, v2+ adds length at 20 and XSDT at 24. */
#define RSDP_V1_LEN     20
#define RSDP_V2_LEN     36
/* ACPI 6.4 section 5.2.6: every SDT starts with a 36-byte header, length at offset 4. */
#define SDT_HEADER_LEN  36
/* ACPI 6.4 section 5.2.12: the MADT header is followed by the LAPIC address and flags. */
#define MADT_ENTRIES    (SDT_HEADER_LEN + 8)

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum += *p++;
    return sum;
}

/* NULL if the RSDP is valid within avail bytes, else why not. */
static const char *rsdp_problem(const uint8_t *p, size_t avail)
{
    uint32_t len;

    if (!p || avail < RSDP_V1_LEN)
        return "RSDP unmapped";
    if (memcmp(p, "RSD PTR ", 8))
        return "RSDP signature mismatch";
    if (checksum(p, RSDP_V1_LEN))
        return "RSDP checksum mismatch";
    if (p[15] < 2)                      /* revision 0: ACPI 1.0, no extended fields */
        return NULL;
    if (avail < RSDP_V2_LEN)
        return "RSDP truncated";
    len = get32(p + 20);
    if (len < RSDP_V2_LEN || len > avail)
        return "RSDP length invalid";
    if (checksum(p, len))
        return "RSDP extended checksum mismatch";
    return NULL;
}

bool acpi_rsdp_valid(const void *rsdp, size_t avail)
{
    return !rsdp_problem(rsdp, avail);
}

static paddr_t scan(acpi_map_fn map, paddr_t start, size_t len)
{
    const uint8_t *p = map(start, len);

    if (!p)
        return 0;
    /* ACPI 6.4 section 5.2.5.1: the RSDP sits on a 16-byte boundary. */
    for (size_t off = 0; off + RSDP_V1_LEN <= len; off += 16)
        if (acpi_rsdp_valid(p + off, len - off))
            return start + off;
    return 0;
}

paddr_t acpi_find_rsdp(acpi_map_fn map)
{
    const uint8_t *bda = map(0x40E, 2);   /* BDA word: EBDA real-mode segment */
    paddr_t ebda = bda ? (paddr_t)(bda[0] | bda[1] << 8) << 4 : 0;
    paddr_t found = 0;

    /* ACPI 6.4 section 5.2.5.1: the EBDA's first KiB, then the BIOS ROM area. */
    if (ebda >= 0x400 && ebda < 0xA0000)
        found = scan(map, ebda, 1024);
    return found ? found : scan(map, 0xE0000, 0x20000);
}

/* Maps the RSDP with as many bytes as its revision says it has; NULL with *why if bad. */
static const uint8_t *map_rsdp(paddr_t pa, acpi_map_fn map, const char **why)
{
    const uint8_t *p = map(pa, RSDP_V1_LEN);
    size_t avail = RSDP_V1_LEN;

    if (p && p[15] >= 2) {
        p = map(pa, RSDP_V2_LEN);
        avail = RSDP_V2_LEN;
        if (p && get32(p + 20) > RSDP_V2_LEN) {
            avail = get32(p + 20);
            p = map(pa, avail);
        }
    }
    *why = rsdp_problem(p, avail);
    return *why ? NULL : p;
}

/* Maps and validates a whole table; NULL with *why set when it is unusable. */
static const uint8_t *map_table(paddr_t pa, acpi_map_fn map, uint32_t *len, const char **why)
{
    const uint8_t *hdr = pa ? map(pa, SDT_HEADER_LEN) : NULL;
    const uint8_t *t;

    if (!hdr) {
        *why = "ACPI table address unmapped";
        return NULL;
    }
    *len = get32(hdr + 4);
    if (*len < SDT_HEADER_LEN) {
        *why = "ACPI table shorter than its header";
        return NULL;
    }
    t = map(pa, *len);
    if (!t) {
        *why = "ACPI table truncated (runs past mapped memory)";
        return NULL;
    }
    if (checksum(t, *len)) {
        *why = "ACPI table checksum mismatch";
        return NULL;
    }
    return t;
}

/* Records a table so the allocator keeps its hands off it. */
static void note_table(struct acpi_info *info, paddr_t pa, uint32_t len, const char **why)
{
    if (info->nr_tables >= ARRAY_SIZE(info->tables)) {
        *why = "too many ACPI tables to record; extra ones unprotected";
        return;
    }
    info->tables[info->nr_tables].pa = pa;
    info->tables[info->nr_tables].len = len;
    info->nr_tables++;
}

static void add_cpu(struct acpi_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    const char **why)
{
    /* ACPI 6.4 table 5.23: flags bit 0 enabled, bit 1 online capable. */
    if (!(flags & 3))
        return;
    /* Firmware may list a CPU as both LAPIC and x2APIC; the first entry wins. */
    for (unsigned int i = 0; i < info->nr_cpus; i++)
        if (info->cpus[i].apic_id == apic_id)
            return;
    if (info->nr_cpus >= ACPI_MAX_CPUS) {
        *why = "more processors than ACPI_MAX_CPUS; extra ones ignored";
        return;
    }
    info->cpus[info->nr_cpus].apic_id = apic_id;
    info->cpus[info->nr_cpus].acpi_uid = uid;
    info->nr_cpus++;
}

/* ACPI 6.4 section 5.2.12: interrupt controller structures, each type then length. */
static int parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *info, const char **why)
{
    uint32_t off = MADT_ENTRIES;

    if (len < MADT_ENTRIES) {
        *why = "MADT truncated";
        return -EINVAL;
    }
    info->lapic_pa = get32(t + SDT_HEADER_LEN);
    while (off + 2 <= len) {
        uint8_t type = t[off], elen = t[off + 1];

        if (elen < 2 || elen > len - off) {
            *why = "MADT entry with a bad length; rest of the MADT ignored";
            break;
        }
        /* 5.2.12.2 LAPIC: uid at 2, id at 3, flags at 4. */
        if (type == 0 && elen >= 8)
            add_cpu(info, t[off + 3], t[off + 2], get32(t + off + 4), why);
        else if (type == 1 && elen >= 12)           /* 5.2.12.3 IOAPIC */
            info->nr_ioapics++;
        else if (type == 5 && elen >= 12)           /* 5.2.12.8 LAPIC address override */
            info->lapic_pa = get64(t + off + 4);
        /* 5.2.12.12 x2APIC: id at 4, flags at 8, uid at 12. */
        else if (type == 9 && elen >= 16)
            add_cpu(info, get32(t + off + 4), get32(t + off + 12), get32(t + off + 8), why);
        off += elen;
    }
    return 0;
}

/* Maps the XSDT (when usable) or the RSDT; sets *entry_size to 8 or 4. */
static const uint8_t *map_root(const uint8_t *rsdp, acpi_map_fn map, paddr_t *pa,
                               uint32_t *len, uint32_t *entry_size, const char **why)
{
    paddr_t xsdt = rsdp[15] >= 2 ? get64(rsdp + 24) : 0;
    const uint8_t *t;

    if (xsdt) {
        t = map_table(xsdt, map, len, why);
        if (t && memcmp(t, "XSDT", 4)) {
            *why = "XSDT signature mismatch";
            t = NULL;
        }
        *pa = xsdt;
        *entry_size = 8;
        /* As ACPICA does, an unusable XSDT falls back to the RSDT if there is one. */
        if (t || !get32(rsdp + 16))
            return t;
    }
    *pa = get32(rsdp + 16);
    *entry_size = 4;
    t = map_table(*pa, map, len, why);
    if (t && memcmp(t, "RSDT", 4)) {
        *why = "RSDT signature mismatch";
        t = NULL;
    }
    if (t && xsdt)
        *why = "XSDT unusable; fell back to the RSDT";
    return t;
}

int acpi_parse(paddr_t rsdp_pa, acpi_map_fn map, struct acpi_info *info, const char **why)
{
    const uint8_t *rsdp, *root;
    uint32_t root_len, entry_size;
    paddr_t root_pa;
    const char *ignored;
    int rc = -ENOENT;

    if (!why)
        why = &ignored;
    memset(info, 0, sizeof(*info));
    *why = NULL;
    rsdp = map_rsdp(rsdp_pa, map, why);
    if (!rsdp)
        return -EINVAL;
    info->rsdp_pa = rsdp_pa;
    info->revision = rsdp[15];
    root = map_root(rsdp, map, &root_pa, &root_len, &entry_size, why);
    if (!root)
        return -EINVAL;
    note_table(info, root_pa, root_len, why);
    for (uint32_t off = SDT_HEADER_LEN; entry_size <= root_len - off; off += entry_size) {
        paddr_t pa = entry_size == 8 ? get64(root + off) : get32(root + off);
        uint32_t len;
        const uint8_t *t = map_table(pa, map, &len, why);

        if (!t)
            continue;
        note_table(info, pa, len, why);
        if (!memcmp(t, "FACP", 4) && !info->fadt_pa) {     /* for acpi_power.c */
            info->fadt_pa = pa;
            info->fadt_len = len;
        }
        /* The first usable MADT counts; a broken one leaves room for another. */
        if (!memcmp(t, "APIC", 4) && rc && !(rc = parse_madt(t, len, info, why))) {
            info->madt_pa = pa;
            info->madt_len = len;
        }
    }
    if (rc == -ENOENT && !*why)
        *why = "no MADT";
    return rc;
}
