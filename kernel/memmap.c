/*
 * Usable memory = RAM entries of the firmware map minus reserved ranges, non-RAM entries
 * and earlier RAM entries (firmware maps may overlap; reserved wins, and no frame is ever
 * handed to the allocator twice).
 */
#include <kumo/lib.h>
#include <kumo/memmap.h>

struct carve {
    const struct boot_memmap_entry *map;
    unsigned int nr_map, self;
    const struct mem_range *reserved;
    unsigned int nr_reserved;
    void (*fn)(uint64_t start, uint64_t end, void *arg);
    void *arg;
    unsigned int pieces;
};

/* Exclusion k: reserved ranges first, then map entries other than usable RAM after self. */
static bool exclusion(const struct carve *c, unsigned int k, uint64_t *s, uint64_t *e)
{
    const struct boot_memmap_entry *m;

    if (k < c->nr_reserved) {
        *s = c->reserved[k].start;
        *e = c->reserved[k].end;
        return true;
    }
    k -= c->nr_reserved;
    if (k >= c->nr_map || k == c->self)
        return false;
    m = &c->map[k];
    if (m->type == MEM_RAM && k > c->self)
        return false;
    *s = m->addr;
    *e = m->addr + m->len < m->addr ? UINT64_MAX : m->addr + m->len;
    return true;
}

static void carve_range(struct carve *c, uint64_t start, uint64_t end, unsigned int from)
{
    unsigned int total = c->nr_reserved + c->nr_map;

    for (unsigned int k = from; k < total; k++) {
        uint64_t s, e;

        if (!exclusion(c, k, &s, &e) || e <= start || s >= end)
            continue;
        if (s > start)
            carve_range(c, start, s, k + 1);
        if (e < end)
            carve_range(c, e, end, k + 1);
        return;
    }
    start = ROUNDUP(start, (uint64_t)PAGE_SIZE);
    end = ROUNDDOWN(end, (uint64_t)PAGE_SIZE);
    if (start < end) {
        c->fn(start, end, c->arg);
        c->pieces++;
    }
}

unsigned int memmap_for_each_usable(const struct boot_memmap_entry *map, unsigned int nr_map,
                                    const struct mem_range *reserved, unsigned int nr_reserved,
                                    void (*fn)(uint64_t start, uint64_t end, void *arg),
                                    void *arg)
{
    struct carve c = { map, nr_map, 0, reserved, nr_reserved, fn, arg, 0 };

    for (c.self = 0; c.self < nr_map; c.self++) {
        const struct boot_memmap_entry *m = &map[c.self];
        uint64_t end = m->addr + m->len < m->addr ? UINT64_MAX : m->addr + m->len;

        if (m->type == MEM_RAM && m->len)
            carve_range(&c, m->addr, end, 0);
    }
    return c.pieces;
}

uint64_t memmap_ram_end(const struct boot_memmap_entry *map, unsigned int nr_map)
{
    uint64_t top = 0;

    for (unsigned int i = 0; i < nr_map; i++)
        if (map[i].type == MEM_RAM && map[i].addr + map[i].len > top)
            top = map[i].addr + map[i].len;
    return top;
}

uint64_t memmap_ram_total(const struct boot_memmap_entry *map, unsigned int nr_map)
{
    uint64_t total = 0;

    for (unsigned int i = 0; i < nr_map; i++)
        if (map[i].type == MEM_RAM)
            total += map[i].len;
    return total;
}
