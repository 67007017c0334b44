/*
 * Host ACPI discovery: find the RSDP, walk the RSDT/XSDT, validate every table's length and
 * checksum, and list the processors of the MADT. All memory is reached through the caller's
 * map function and no length field is trusted before it has been checked against it.
 */
#include <kumo/acpi.h>
#include <kumo/lib.h>

#define SDT_HEADER_LEN 36
#define EINVAL 22
#define ENOENT 2

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

bool acpi_rsdp_valid(const void *rsdp, size_t avail)
{
    const uint8_t *p = rsdp;
    uint32_t len;

    /* ACPI 6.4 section 5.2.5.3: 20-byte v1 structure, extended to `length` from rev 2. */
    if (!p || avail < 20 || memcmp(p, "RSD PTR ", 8) || checksum(p, 20))
        return false;
    if (p[15] < 2)
        return true;
    len = avail >= 36 ? get32(p + 20) : 0;
    return len >= 36 && len <= avail && !checksum(p, len);
}

static paddr_t scan(acpi_map_fn map, paddr_t start, size_t len)
{
    const uint8_t *p = map(start, len);

    if (!p)
        return 0;
    for (size_t off = 0; off + 20 <= len; off += 16)
        if (acpi_rsdp_valid(p + off, len - off))
            return start + off;
    return 0;
}

paddr_t acpi_find_rsdp(acpi_map_fn map)
{
    const uint8_t *bda = map(0x40E, 2);
    paddr_t ebda = bda ? (paddr_t)(bda[0] | bda[1] << 8) << 4 : 0;
    paddr_t found = 0;

    /* ACPI 6.4 section 5.2.5.1: the EBDA's first KiB, then the BIOS ROM area. */
    if (ebda >= 0x400 && ebda < 0xA0000)
        found = scan(map, ebda, 1024);
    return found ? found : scan(map, 0xE0000, 0x20000);
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

static void note_table(struct acpi_info *info, paddr_t pa, uint32_t len)
{
    if (info->nr_tables < ARRAY_SIZE(info->tables)) {
        info->tables[info->nr_tables].pa = pa;
        info->tables[info->nr_tables].len = len;
        info->nr_tables++;
    }
}

static void add_cpu(struct acpi_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
    /* Flags bit 0 = enabled, bit 1 = online capable (ACPI 6.4 table 5.40). */
    if (!(flags & 3) || info->nr_cpus >= ACPI_MAX_CPUS)
        return;
    for (unsigned int i = 0; i < info->nr_cpus; i++)
        if (info->cpus[i].apic_id == apic_id)
            return;
    info->cpus[info->nr_cpus].apic_id = apic_id;
    info->cpus[info->nr_cpus].acpi_uid = uid;
    info->nr_cpus++;
}

static void parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *info, const char **why)
{
    uint32_t off = SDT_HEADER_LEN + 8;      /* local APIC address and flags */

    if (len < off) {
        *why = "MADT truncated";
        return;
    }
    info->lapic_pa = get32(t + SDT_HEADER_LEN);
    while (off + 2 <= len) {
        uint8_t type = t[off], elen = t[off + 1];

        if (elen < 2 || off + elen > len) {
            *why = "MADT entry with a bad length; rest of the MADT ignored";
            return;
        }
        if (type == 0 && elen >= 8)
            add_cpu(info, t[off + 3], t[off + 2], get32(t + off + 4));
        else if (type == 1 && elen >= 12)
            info->nr_ioapics++;
        else if (type == 5 && elen >= 12)
            info->lapic_pa = get64(t + off + 4);
        else if (type == 9 && elen >= 16)
            add_cpu(info, get32(t + off + 4), get32(t + off + 12), get32(t + off + 8));
        off += elen;
    }
}

int acpi_parse(paddr_t rsdp_pa, acpi_map_fn map, struct acpi_info *info, const char **why)
{
    const uint8_t *rsdp = map(rsdp_pa, 36) ? map(rsdp_pa, 36) : map(rsdp_pa, 20);
    const uint8_t *root;
    uint32_t root_len, entry_size;
    paddr_t root_pa;

    memset(info, 0, sizeof(*info));
    *why = NULL;
    if (!rsdp || !acpi_rsdp_valid(rsdp, map(rsdp_pa, 36) ? 36 : 20)) {
        *why = "RSDP invalid";
        return -EINVAL;
    }
    info->rsdp_pa = rsdp_pa;
    info->revision = rsdp[15];
    root_pa = info->revision >= 2 ? get64(rsdp + 24) : 0;
    entry_size = 8;
    if (!root_pa) {                         /* ACPI 1.0, or a 2.0 RSDP without an XSDT */
        root_pa = get32(rsdp + 16);
        entry_size = 4;
    }
    root = map_table(root_pa, map, &root_len, why);
    if (!root)
        return -EINVAL;
    if (memcmp(root, entry_size == 8 ? "XSDT" : "RSDT", 4)) {
        *why = "root table has the wrong signature";
        return -EINVAL;
    }
    note_table(info, root_pa, root_len);
    for (uint32_t off = SDT_HEADER_LEN; off + entry_size <= root_len; off += entry_size) {
        paddr_t pa = entry_size == 8 ? get64(root + off) : get32(root + off);
        const char *skip = NULL;
        uint32_t len;
        const uint8_t *t = map_table(pa, map, &len, &skip);

        if (!t) {
            *why = skip;
            continue;
        }
        note_table(info, pa, len);
        if (!memcmp(t, "APIC", 4) && !info->madt_pa) {
            info->madt_pa = pa;
            info->madt_len = len;
            parse_madt(t, len, info, why);
        }
    }
    if (!info->madt_pa) {
        *why = *why ? *why : "no MADT";
        return -ENOENT;
    }
    return 0;
}
