/* Host tests for kernel/cmdline.c and the Dom0/scheduler option parsers. */
#define HARNESS_NO_PRINTK
#include "../../kernel/cmdline.c"
#include "../../kernel/lib/strtoull.c"
#include "../../kernel/lib/strlcpy.c"
#include "harness.h"

void printk(const char *fmt, ...) { (void)fmt; }
void dom0_params_report(void);
#include "../../kernel/dom0_params.c"

static bool opt_noreboot, opt_flag;
static unsigned int opt_maxcpus;
static uint8_t opt_small;
static uint64_t opt_mem;
static char opt_sched[8];
static char com1_seen[64];
static int warnings;

static int com1_handler(const char *v)
{
    if (!strcmp(v, "bad"))
        return -22;
    strncpy(com1_seen, v, sizeof(com1_seen) - 1);
    return 0;
}

static const struct kernel_param params[] = {
    { "noreboot", PARAM_BOOL, &opt_noreboot, sizeof(bool), NULL },
    { "flag", PARAM_BOOL, &opt_flag, sizeof(bool), NULL },
    { "maxcpus", PARAM_UINT, &opt_maxcpus, sizeof(unsigned int), NULL },
    { "small", PARAM_UINT, &opt_small, sizeof(uint8_t), NULL },
    { "mem", PARAM_SIZE, &opt_mem, sizeof(uint64_t), NULL },
    { "sched", PARAM_STRING, opt_sched, sizeof(opt_sched), NULL },
    { "com1", PARAM_CUSTOM, NULL, 0, com1_handler },
};

static void warn(const char *fmt, ...)
{
    va_list ap;

    warnings++;
    va_start(ap, fmt);
    harness_vlog(fmt, ap);
    va_end(ap);
    harness_log_printf("\n");
}

static int parse(const char *s)
{
    warnings = 0;
    harness_log_clear();
    return cmdline_parse(s, params, params + ARRAY_SIZE(params), warn);
}

TEST(xen_style_options_apply)
{
    opt_noreboot = false;
    CHECK_EQ(parse("com1=115200,8n1 maxcpus=2 sched=credit mem=512M noreboot"), 0);
    CHECK(opt_noreboot);
    CHECK_EQ(opt_maxcpus, 2);
    CHECK(!strcmp(opt_sched, "credit"));
    CHECK(!strcmp(com1_seen, "115200,8n1"));
    CHECK_EQ(opt_mem, 512ULL << 20);
}

TEST(booleans_all_spellings)
{
    CHECK_EQ(parse("flag=no"), 0);
    CHECK(!opt_flag);
    CHECK_EQ(parse("flag=on"), 0);
    CHECK(opt_flag);
    CHECK_EQ(parse("no-flag"), 0);
    CHECK(!opt_flag);
    CHECK_EQ(parse("flag"), 0);
    CHECK(opt_flag);
    CHECK_EQ(parse("flag=maybe"), 1);
    CHECK(opt_flag);
    CHECK_EQ(parse("no-maxcpus"), 1);                  /* no- applies to booleans only */
}

TEST(unknown_and_bad_values_warn_but_rest_applies)
{
    opt_maxcpus = 0;
    CHECK_EQ(parse("  bogus=1\tmaxcpus=0x10   small=300 sched=muchtoolong com1=bad  "), 4);
    CHECK(strstr(harness_log, "unknown boot option 'bogus' ignored") != NULL);
    CHECK(strstr(harness_log, "'small'") != NULL);
    CHECK(strstr(harness_log, "'sched'") != NULL);
    CHECK(strstr(harness_log, "'com1'") != NULL);
    CHECK_EQ(opt_maxcpus, 16);
    CHECK(!strcmp(opt_sched, "credit"));               /* untouched by the bad value */
    CHECK_EQ(parse("maxcpus=12abc maxcpus= maxcpus"), 3);
    CHECK_EQ(opt_maxcpus, 16);
}

TEST(order_double_dash_long_tokens_and_empty)
{
    char longtok[600];

    CHECK_EQ(parse("maxcpus=1 maxcpus=3"), 0);
    CHECK_EQ(opt_maxcpus, 3);
    CHECK_EQ(parse("maxcpus=5 -- maxcpus=7 bogus"), 0);
    CHECK_EQ(opt_maxcpus, 5);
    memset(longtok, 'x', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    CHECK_EQ(parse(longtok), 1);
    CHECK(strstr(harness_log, "too long") != NULL);
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(parse("com1=a=b"), 0);                    /* only the first '=' splits */
    CHECK(!strcmp(com1_seen, "a=b"));
}

TEST(sizes_follow_xen)
{
    uint64_t v;
    const char *end;

    CHECK(parse_size("512M", &end, &v) == 0 && v == 512ULL << 20 && *end == '\0');
    CHECK(parse_size("1G", &end, &v) == 0 && v == 1ULL << 30);
    CHECK(parse_size("4096", &end, &v) == 0 && v == 4ULL << 20);   /* KiB by default */
    CHECK(parse_size("16B", &end, &v) == 0 && v == 16);
    CHECK(parse_size("2t", &end, &v) == 0 && v == 2ULL << 40);
    CHECK(parse_size("xyz", &end, &v) < 0);
    CHECK(parse_size("99999999999999999999T", &end, &v) < 0);
    CHECK_EQ(parse("mem=12Q"), 1);
}

TEST(dom0_mem_and_max_vcpus_syntax)
{
    struct dom0_options o = { 0 };

    CHECK_EQ(parse_dom0_mem("512M", &o), 0);
    CHECK_EQ(o.mem, 512ULL << 20);
    CHECK_EQ(parse_dom0_mem("min:128M,max:1G,768M", &o), 0);
    CHECK_EQ(o.mem_min, 128ULL << 20);
    CHECK_EQ(o.mem_max, 1ULL << 30);
    CHECK_EQ(o.mem, 768ULL << 20);
    CHECK(parse_dom0_mem("min:2G,max:1G", &o) < 0);
    CHECK(parse_dom0_mem("lots", &o) < 0);
    CHECK_EQ(o.mem, 768ULL << 20);                     /* unchanged after a bad value */
    CHECK_EQ(parse_dom0_max_vcpus("4", &o), 0);
    CHECK(o.max_vcpus_min == 4 && o.max_vcpus_max == 4);
    CHECK_EQ(parse_dom0_max_vcpus("2-8", &o), 0);
    CHECK(o.max_vcpus_min == 2 && o.max_vcpus_max == 8);
    CHECK(parse_dom0_max_vcpus("8-2", &o) < 0);
    CHECK(parse_dom0_max_vcpus("0", &o) < 0);
    CHECK(parse_dom0_max_vcpus("x", &o) < 0);
    CHECK(sched_param("sedf") == 0 && !strcmp(dom0_opts.sched, "sedf"));
    CHECK(sched_param("rtds") < 0 && !strcmp(dom0_opts.sched, "sedf"));
}

int main(void)
{
    RUN(xen_style_options_apply);
    RUN(booleans_all_spellings);
    RUN(unknown_and_bad_values_warn_but_rest_applies);
    RUN(order_double_dash_long_tokens_and_empty);
    RUN(sizes_follow_xen);
    RUN(dom0_mem_and_max_vcpus_syntax);
    HARNESS_EXIT();
}
