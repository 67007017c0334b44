/*
 * Xen's cpu-list syntax (libs/toolstack/cpulist.c) as xl vcpu-pin and cpus= take it, and
 * the printed form xl vcpu-list shows (Xen's print_bitmap).
 */
#include "harness.h"
#include "../../dom0-tools/libs/toolstack/cpulist.c"

static uint64_t parse(const char *s, unsigned int nr_cpus)
{
    uint64_t m = 0xdead;

    return ts_parse_cpulist(s, nr_cpus, &m) ? ~0ULL : m;
}

TEST(cpulist_single_cpus_ranges_and_lists)
{
    CHECK_EQ(parse("0", 4), 0x1);
    CHECK_EQ(parse("3", 4), 0x8);
    CHECK_EQ(parse("0-3", 4), 0xf);
    CHECK_EQ(parse("1,3", 4), 0xa);
    CHECK_EQ(parse("0-1,3", 4), 0xb);
    CHECK_EQ(parse("2-2", 4), 0x4);
    CHECK_EQ(parse("63", 64), 1ULL << 63);
    CHECK_EQ(parse("0-63", 64), ~0ULL);
}

TEST(cpulist_all_and_exclusions)
{
    CHECK_EQ(parse("all", 4), 0xf);
    CHECK_EQ(parse("0-3,^2", 4), 0xb);
    CHECK_EQ(parse("all,^0", 4), 0xe);
    CHECK_EQ(parse("all,^1-2", 4), 0x9);
    CHECK_EQ(parse("^1", 4), 0);
    CHECK_EQ(parse("^1,1", 4), 0x2);
    CHECK_EQ(parse("nodes:0", 2), 0x3);
    CHECK_EQ(parse("node:0,^1", 2), 0x1);
}

TEST(cpulist_rejects_what_xen_rejects)
{
    static const char *const bad[] = { "", "4", "0-4", "3-1", "a", "1,", ",1", "1,,2", "^",
                                       "-1", "1-", "0x1", "1 ", "nodes:1", "nodes:", "al",
                                       "all2", "99999999999999999999" };

    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], 4) != ~0ULL) {
            fprintf(stderr, "  '%s' was accepted\n", bad[i]);
            harness_current_failed = 1;
        }
    CHECK_EQ(parse("0", 0), ~0ULL);
    CHECK_EQ(parse("0", 65), ~0ULL);
    CHECK_EQ(ts_parse_cpulist(NULL, 4, &(uint64_t){ 0 }), -EINVAL);
}

static const char *fmt(uint64_t mask, unsigned int nr)
{
    static char buf[256];

    ts_format_cpumap(mask, nr, buf, sizeof(buf));
    return buf;
}

TEST(cpumap_printed_as_xen_prints_it)
{
    CHECK(!strcmp(fmt(0xf, 4), "all"));
    CHECK(!strcmp(fmt(0, 4), "none"));
    CHECK(!strcmp(fmt(0x1, 4), "0"));
    CHECK(!strcmp(fmt(0xb, 4), "0-1,3"));
    CHECK(!strcmp(fmt(0x2a, 8), "1,3,5"));
    CHECK(!strcmp(fmt(0xf0, 8), "4-7"));
    CHECK(!strcmp(fmt(~0ULL, 2), "all"));       /* bits past the host's CPUs ignored */
    CHECK(!strcmp(fmt(~0ULL, 64), "all"));
    CHECK(!strcmp(fmt(1ULL << 63, 64), "63"));
}

TEST(cpumap_round_trips_through_the_parser)
{
    for (uint64_t m = 1; m < 256; m++)
        CHECK_EQ(parse(fmt(m, 8), 8), m);
}

int main(void)
{
    RUN(cpulist_single_cpus_ranges_and_lists);
    RUN(cpulist_all_and_exclusions);
    RUN(cpulist_rejects_what_xen_rejects);
    RUN(cpumap_printed_as_xen_prints_it);
    RUN(cpumap_round_trips_through_the_parser);
    HARNESS_EXIT();
}
