/*
 * Host tests for kernel/cmdline.c (every option type, Xen's syntax, hostile input) and for
 * the dom0_mem=/dom0_max_vcpus=/sched= parsers of kernel/dom0_params.c.
 */
#include "../../kernel/cmdline.c"
#include "../../kernel/lib/strtoull.c"
#include "../../kernel/lib/strlcpy.c"
#include "harness.h"
#include "../../kernel/dom0_params.c"

/* ---- A synthetic table covering every type and size ---- */

static bool opt_flag, opt_frills;
static uint8_t opt_u8;
static uint16_t opt_u16;
static uint32_t opt_u32;
static uint64_t opt_u64, opt_mem;
static uint32_t opt_mem32;
static char opt_name[8];
static char hook_seen[300];
static int hook_calls;

static int hook(const char *v)
{
    hook_calls++;
    snprintf(hook_seen, sizeof(hook_seen), "%s", v);
    return strcmp(v, "bad") ? 0 : -22;
}

static const struct kernel_param params[] = {
    { "flag", PARAM_BOOL, &opt_flag, sizeof(bool), NULL },
    { "no-frills", PARAM_BOOL, &opt_frills, sizeof(bool), NULL },
    { "u8", PARAM_UINT, &opt_u8, 1, NULL },
    { "u16", PARAM_UINT, &opt_u16, 2, NULL },
    { "u32", PARAM_UINT, &opt_u32, 4, NULL },
    { "u64", PARAM_UINT, &opt_u64, 8, NULL },
    { "mem", PARAM_SIZE, &opt_mem, 8, NULL },
    { "mem32", PARAM_SIZE, &opt_mem32, 4, NULL },
    { "name", PARAM_STRING, opt_name, sizeof(opt_name), NULL },
    { "hook", PARAM_CUSTOM, NULL, 0, hook },
};

static int warnings;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    va_list ap;

    warnings++;
    va_start(ap, fmt);
    harness_vlog(fmt, ap);
    va_end(ap);
    harness_log_printf("\n");
}

/* Parses s against params; checks that every problem counted was warned exactly once. */
static int parse(const char *s)
{
    int rc;

    warnings = 0;
    harness_log_clear();
    rc = cmdline_parse(s, params, params + ARRAY_SIZE(params), warn);
    CHECK_EQ(rc, warnings);
    return rc;
}

static bool logged(const char *s)
{
    return strstr(harness_log, s) != NULL;
}

/* ---- Xen's real options, registered with the real macros into the kparams section ---- */

extern const struct kernel_param __start_kparams[], __stop_kparams[];

static char xen_console[16], xen_com1[32], xen_loglvl[16];
static unsigned int xen_maxcpus;
static bool xen_noreboot;

/* Stand-ins for the drivers' handlers, which touch hardware: they record the value. */
#define KEEP(buf, s) (strlcpy(buf, s, sizeof(buf)) < sizeof(buf) ? 0 : -22)
static int xen_console_param(const char *s) { return KEEP(xen_console, s); }
static int xen_com1_param(const char *s) { return KEEP(xen_com1, s); }
static int xen_loglvl_param(const char *s) { return KEEP(xen_loglvl, s); }
custom_param("console", xen_console_param);
custom_param("com1", xen_com1_param);
custom_param("loglvl", xen_loglvl_param);
integer_param("maxcpus", xen_maxcpus);
boolean_param("noreboot", xen_noreboot);

TEST(xen_boot_line_through_kparams_section)
{
    int rc;

    /* The five above plus dom0_mem, dom0_max_vcpus and sched from dom0_params.c. */
    CHECK_EQ(__stop_kparams - __start_kparams, 8);
    warnings = 0;
    rc = cmdline_parse("console=com1 com1=115200,8n1 loglvl=all maxcpus=2 sched=credit "
                       "dom0_mem=512M dom0_max_vcpus=2 noreboot",
                       __start_kparams, __stop_kparams, warn);
    CHECK_EQ(rc, 0);
    CHECK_EQ(warnings, 0);
    CHECK(!strcmp(xen_console, "com1"));
    CHECK(!strcmp(xen_com1, "115200,8n1"));
    CHECK(!strcmp(xen_loglvl, "all"));
    CHECK_EQ(xen_maxcpus, 2);
    CHECK(!strcmp(dom0_opts.sched, "credit"));
    CHECK_EQ(dom0_opts.mem, 512ULL << 20);
    CHECK_EQ(dom0_opts.max_vcpus_min, 2);
    CHECK_EQ(dom0_opts.max_vcpus_max, 2);
    CHECK(xen_noreboot);

    /* An unknown option is warned about and the rest still apply. */
    harness_log_clear();
    rc = cmdline_parse("dom0_mem=1G iommu=off maxcpus=4 sched=rtds no-noreboot",
                       __start_kparams, __stop_kparams, warn);
    CHECK_EQ(rc, 2);
    CHECK(logged("unknown boot option 'iommu' ignored"));
    CHECK(logged("'sched'"));
    CHECK_EQ(dom0_opts.mem, 1ULL << 30);
    CHECK_EQ(xen_maxcpus, 4);
    CHECK(!strcmp(dom0_opts.sched, "credit"));
    CHECK(!xen_noreboot);
}

TEST(booleans_every_spelling_and_no_prefix)
{
    static const char *const on[] = { "1", "yes", "on", "true", "enable" };
    static const char *const off[] = { "0", "no", "off", "false", "disable" };
    char buf[32];

    for (unsigned int i = 0; i < ARRAY_SIZE(on); i++) {
        opt_flag = false;
        snprintf(buf, sizeof(buf), "flag=%s", on[i]);
        CHECK_EQ(parse(buf), 0);
        CHECK(opt_flag);
        snprintf(buf, sizeof(buf), "flag=%s", off[i]);
        CHECK_EQ(parse(buf), 0);
        CHECK(!opt_flag);
    }
    CHECK_EQ(parse("flag"), 0);
    CHECK(opt_flag);
    CHECK_EQ(parse("no-flag"), 0);
    CHECK(!opt_flag);
    CHECK_EQ(parse("no-flag=0"), 0);                    /* Xen: no- inverts the value */
    CHECK(opt_flag);
    CHECK_EQ(parse("flag=maybe flag= Flag"), 3);
    CHECK(opt_flag);                                    /* untouched by the bad ones */
    CHECK(logged("bad value 'maybe'"));
    CHECK(logged("unknown boot option 'Flag'"));        /* names are case-sensitive */
    CHECK_EQ(parse("no-u32"), 1);                       /* no- applies to booleans only */
    CHECK(logged("unknown boot option 'no-u32' ignored"));
    opt_frills = false;
    CHECK_EQ(parse("no-frills"), 0);                    /* an exact name wins over no- */
    CHECK(opt_frills);
}

TEST(uints_every_size_hex_overflow_and_garbage)
{
    CHECK_EQ(parse("u8=255 u16=65535 u32=0xffffffff u64=18446744073709551615"), 0);
    CHECK_EQ(opt_u8, 255);
    CHECK_EQ(opt_u16, 65535);
    CHECK_EQ(opt_u32, 0xffffffffULL);
    CHECK(opt_u64 == UINT64_MAX);
    CHECK_EQ(parse("u8=256 u16=65536 u32=0x100000000 u64=18446744073709551616"), 4);
    CHECK_EQ(opt_u8, 255);
    CHECK_EQ(opt_u16, 65535);
    CHECK_EQ(opt_u32, 0xffffffffULL);
    CHECK(opt_u64 == UINT64_MAX);
    CHECK_EQ(parse("u64=0x10000000000000000 u64=36893488147419103233"), 2);
    CHECK(opt_u64 == UINT64_MAX);                       /* no silent wrap to 1 */
    CHECK_EQ(parse("u32=0X1f u8=007"), 0);
    CHECK_EQ(opt_u32, 31);
    CHECK_EQ(opt_u8, 7);
    CHECK_EQ(parse("u32=12abc u32= u32 u32=-1 u32=0x u32=1.5 u32=+3"), 7);
    CHECK_EQ(opt_u32, 31);
    CHECK(logged("bad value '12abc' for boot option 'u32' ignored"));
}

TEST(parse_size_units_and_errors)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "512M", 512ULL << 20 }, { "1G", 1ULL << 30 }, { "4096", 4ULL << 20 },
        { "16B", 16 }, { "16b", 16 }, { "1k", 1024 }, { "1K", 1024 }, { "2t", 2ULL << 40 },
        { "3g", 3ULL << 30 }, { "0x10M", 16ULL << 20 }, { "0", 0 },
        { "16777215T", 16777215ULL << 40 }, { "18446744073709551615B", UINT64_MAX },
    };
    static const char *const bad[] = {
        "", "xyz", "M", "-1M", "16777216T", "99999999999999999999T",
        "18446744073709551617K", "18014398509481984",
    };
    const char *end;
    uint64_t v;

    for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
        v = 12345;
        if (parse_size(ok[i].s, &end, &v) || v != ok[i].v || *end) {
            fprintf(stderr, "  parse_size(\"%s\") = %llu\n", ok[i].s, (unsigned long long)v);
            CHECK(0);
        }
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        v = 12345;
        if (parse_size(bad[i], &end, &v) >= 0 || v != 12345) {
            fprintf(stderr, "  parse_size(\"%s\") accepted\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(parse_size("512M,rest", &end, &v) == 0 && v == 512ULL << 20 && *end == ',');
    CHECK(parse_size("4096x", &end, &v) == 0 && v == 4ULL << 20 && *end == 'x');
    CHECK(parse_size("1G", NULL, &v) == 0 && v == 1ULL << 30);
}

TEST(size_options_check_var_width)
{
    CHECK_EQ(parse("mem=512M mem32=3G"), 0);
    CHECK_EQ(opt_mem, 512ULL << 20);
    CHECK_EQ(opt_mem32, 3ULL << 30);
    CHECK_EQ(parse("mem32=4G mem=12Q mem= mem"), 4);
    CHECK_EQ(opt_mem32, 3ULL << 30);
    CHECK_EQ(opt_mem, 512ULL << 20);
    CHECK_EQ(parse("mem=4096"), 0);                     /* KiB by default, as in Xen */
    CHECK_EQ(opt_mem, 4ULL << 20);
}

TEST(strings_fit_or_are_left_untouched)
{
    CHECK_EQ(parse("name=credit2"), 0);                 /* 7 chars + NUL = the buffer */
    CHECK(!strcmp(opt_name, "credit2"));
    CHECK_EQ(parse("name=12345678"), 1);
    CHECK(!strcmp(opt_name, "credit2"));
    CHECK(logged("'name'"));
    CHECK_EQ(parse("name=a=b"), 0);                     /* only the first '=' splits */
    CHECK(!strcmp(opt_name, "a=b"));
    CHECK_EQ(parse("name"), 0);                         /* Xen: no value is "" */
    CHECK(!strcmp(opt_name, ""));
}

TEST(custom_handlers_get_just_their_value)
{
    hook_calls = 0;
    CHECK_EQ(parse("hook=abc flag"), 0);
    CHECK_EQ(hook_calls, 1);
    CHECK(!strcmp(hook_seen, "abc"));                   /* not "abc flag" */
    CHECK_EQ(parse("hook=x=y=z"), 0);
    CHECK(!strcmp(hook_seen, "x=y=z"));
    CHECK_EQ(parse("hook"), 0);
    CHECK(!strcmp(hook_seen, ""));
    CHECK_EQ(parse("hook= u8=1"), 0);
    CHECK(!strcmp(hook_seen, ""));
    CHECK_EQ(parse("hook=bad"), 1);
    CHECK(logged("'hook'"));
    CHECK_EQ(hook_calls, 5);
}

TEST(unknown_options_order_and_whitespace)
{
    opt_flag = false;
    CHECK_EQ(parse("  bogus=1\tu32=5   another\r\nflag =x  "), 3);
    CHECK(logged("unknown boot option 'bogus' ignored"));
    CHECK(logged("unknown boot option 'another' ignored"));
    CHECK(logged("unknown boot option '' ignored"));    /* "=x" has an empty name */
    CHECK_EQ(opt_u32, 5);
    CHECK(opt_flag);
    CHECK_EQ(parse("u32=1 u32=3"), 0);                  /* a later one overrides */
    CHECK_EQ(opt_u32, 3);
    CHECK_EQ(parse("flag no-flag flag=off flag"), 0);
    CHECK(opt_flag);
}

TEST(double_dash_stops_parsing)
{
    CHECK_EQ(parse("u32=5 -- u32=7 bogus"), 0);
    CHECK_EQ(opt_u32, 5);
    CHECK_EQ(parse("-- u32=8"), 0);
    CHECK_EQ(opt_u32, 5);
    CHECK_EQ(parse("u32=6\t--"), 0);
    CHECK_EQ(opt_u32, 6);
    CHECK_EQ(parse("--- --x u32=9"), 2);                /* only a lone "--" stops */
    CHECK_EQ(opt_u32, 9);
}

TEST(over_long_tokens_reported_not_truncated)
{
    static char big[100010];
    char tok[300];

    strcpy(opt_name, "keep");
    memset(tok, 'x', sizeof(tok));
    memcpy(tok, "name=", 5);
    tok[255] = '\0';                                    /* 255 chars: parsed normally */
    CHECK_EQ(parse(tok), 1);
    CHECK(logged("bad value"));
    tok[255] = 'x';
    tok[256] = '\0';                                    /* 256: too long */
    CHECK_EQ(parse(tok), 1);
    CHECK(logged("is 256 characters long"));
    CHECK(logged("'name=xxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));    /* first 32 chars */
    CHECK(!strcmp(opt_name, "keep"));

    memset(big, 'u', sizeof(big) - 1);
    memcpy(big + sizeof(big) - 10, " u32=77  ", 9);
    big[sizeof(big) - 1] = '\0';
    CHECK_EQ(parse(big), 1);                            /* the huge one, then u32=77 */
    CHECK_EQ(opt_u32, 77);
}

TEST(null_empty_and_no_warn_callback)
{
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(parse(" \t \r\n "), 0);
    CHECK_EQ(cmdline_parse("bogus u32=11", params, params + ARRAY_SIZE(params), NULL), 1);
    CHECK_EQ(opt_u32, 11);
    CHECK_EQ(cmdline_parse("u32=12", params, params, warn), 1);     /* empty table */
    CHECK_EQ(opt_u32, 11);
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
    CHECK_EQ(o.mem, 768ULL << 20);                      /* unchanged after a bad value */
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

TEST(xen_grub_placeholder_word_skipped)
{
    CHECK(!strcmp(cmdline_skip_placeholder("placeholder console=com1"), "console=com1"));
    CHECK(!strcmp(cmdline_skip_placeholder("  placeholder   root=/dev/sda"), "root=/dev/sda"));
    CHECK(!strcmp(cmdline_skip_placeholder("placeholder"), ""));
    CHECK(!strcmp(cmdline_skip_placeholder("placeholders=1"), "placeholders=1"));
    CHECK(!strcmp(cmdline_skip_placeholder("console=hvc0"), "console=hvc0"));
}

int main(void)
{
    RUN(xen_boot_line_through_kparams_section);
    RUN(booleans_every_spelling_and_no_prefix);
    RUN(uints_every_size_hex_overflow_and_garbage);
    RUN(parse_size_units_and_errors);
    RUN(size_options_check_var_width);
    RUN(strings_fit_or_are_left_untouched);
    RUN(custom_handlers_get_just_their_value);
    RUN(unknown_options_order_and_whitespace);
    RUN(double_dash_stops_parsing);
    RUN(over_long_tokens_reported_not_truncated);
    RUN(null_empty_and_no_warn_callback);
    RUN(dom0_mem_and_max_vcpus_syntax);
    RUN(xen_grub_placeholder_word_skipped);
    HARNESS_EXIT();
}
