/* Host tests for kernel/memmap.c: usable ranges never include reserved or non-RAM memory. */
#include "../../kernel/memmap.c"
#include "harness.h"

#define MAX_PIECES 64

struct collected {
    unsigned int n;
    struct mem_range r[MAX_PIECES];
};

static void collect(uint64_t start, uint64_t end, void *arg)
{
    struct collected *c = arg;

    if (c->n < MAX_PIECES)
        c->r[c->n++] = (struct mem_range){ start, end };
}

static bool overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
    return s1 < e2 && s2 < e1;
}

TEST(qemu_like_map_minus_image_and_modules)
{
    const struct boot_memmap_entry map[] = {
        { 0x0, 0x9fc00, MEM_RAM },
        { 0x9fc00, 0x400, MEM_RESERVED },
        { 0xf0000, 0x10000, MEM_RESERVED },
        { 0x100000, 0xfee0000, MEM_RAM },
        { 0xffe0000, 0x20000, MEM_RESERVED },
    };
    const struct mem_range res[] = {
        { 0, 0x100000 },                /* low memory */
        { 0x100000, 0x180000 },         /* image */
        { 0x200000, 0x201800 },         /* module, unaligned end */
    };
    struct collected c = { 0 };
    unsigned int n = memmap_for_each_usable(map, 5, res, 3, collect, &c);

    CHECK_EQ(n, 2);
    CHECK_EQ(c.r[0].start, 0x180000);
    CHECK_EQ(c.r[0].end, 0x200000);
    CHECK_EQ(c.r[1].start, 0x202000);   /* rounded up past the module's partial page */
    CHECK_EQ(c.r[1].end, 0xffe0000);
    CHECK_EQ(memmap_ram_end(map, 5), 0xffe0000);
    CHECK_EQ(memmap_ram_total(map, 5), 0x9fc00 + 0xfee0000);
}

TEST(overlapping_entries_reserved_wins_and_no_double_count)
{
    const struct boot_memmap_entry map[] = {
        { 0x100000, 0x900000, MEM_RAM },        /* 1 MiB .. 10 MiB */
        { 0x400000, 0x100000, MEM_ACPI },       /* inside it: ACPI wins */
        { 0x800000, 0x400000, MEM_RAM },        /* overlaps the first RAM entry */
    };
    struct collected c = { 0 };

    memmap_for_each_usable(map, 3, NULL, 0, collect, &c);
    CHECK_EQ(c.n, 3);
    for (unsigned int i = 0; i < c.n; i++) {
        CHECK(!overlaps(c.r[i].start, c.r[i].end, 0x400000, 0x500000));
        for (unsigned int j = i + 1; j < c.n; j++)
            CHECK(!overlaps(c.r[i].start, c.r[i].end, c.r[j].start, c.r[j].end));
    }
    CHECK_EQ(c.r[c.n - 1].end, 0xc00000);
}

TEST(random_maps_never_hand_out_reserved)
{
    for (int round = 0; round < 2000; round++) {
        struct boot_memmap_entry map[8];
        struct mem_range res[6];
        struct collected c = { 0 };
        unsigned int nm = 1 + harness_rand() % 8, nr = harness_rand() % 6;

        for (unsigned int i = 0; i < nm; i++) {
            map[i].addr = harness_rand() % (64 << 20);
            map[i].len = harness_rand() % (16 << 20);
            map[i].type = harness_rand() % 3 ? MEM_RAM : MEM_RESERVED;
        }
        for (unsigned int i = 0; i < nr; i++) {
            res[i].start = harness_rand() % (64 << 20);
            res[i].end = res[i].start + harness_rand() % (4 << 20);
        }
        memmap_for_each_usable(map, nm, res, nr, collect, &c);
        for (unsigned int i = 0; i < c.n; i++) {
            bool in_ram = false;

            CHECK(c.r[i].start % 4096 == 0 && c.r[i].end % 4096 == 0);
            CHECK(c.r[i].start < c.r[i].end);
            for (unsigned int k = 0; k < nr; k++)
                CHECK(!overlaps(c.r[i].start, c.r[i].end, res[k].start, res[k].end));
            for (unsigned int k = 0; k < nm; k++) {
                if (map[k].type != MEM_RAM)
                    CHECK(!overlaps(c.r[i].start, c.r[i].end, map[k].addr,
                                    map[k].addr + map[k].len));
                else if (c.r[i].start >= map[k].addr &&
                         c.r[i].end <= map[k].addr + map[k].len)
                    in_ram = true;
            }
            CHECK(in_ram);
            for (unsigned int j = i + 1; j < c.n; j++)
                CHECK(!overlaps(c.r[i].start, c.r[i].end, c.r[j].start, c.r[j].end));
        }
        if (harness_current_failed)
            return;
    }
}

TEST(entry_reaching_top_of_address_space)
{
    const struct boot_memmap_entry map[] = {
        { 0x100000, 0x100000, MEM_RAM },
        { 0xfd00000000ULL, UINT64_MAX - 0xfd00000000ULL + 1, MEM_RESERVED },
    };
    struct collected c = { 0 };

    memmap_for_each_usable(map, 2, NULL, 0, collect, &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.r[0].end, 0x200000);
}

int main(void)
{
    RUN(qemu_like_map_minus_image_and_modules);
    RUN(overlapping_entries_reserved_wins_and_no_double_count);
    RUN(random_maps_never_hand_out_reserved);
    RUN(entry_reaching_top_of_address_space);
    HARNESS_EXIT();
}
