/*
 * xl.cfg(5) and `xl create -n`: libxlu's grammar, the PVH keys, Xen's disk and vif specs,
 * command-line overrides, every error as one line naming file and line, and the dry run's
 * JSON compared with the text libxl_domain_config_to_json() prints.
 */
#include "harness.h"
#include "xl_sources.h"

FILE *xl_out;
FILE *xl_errout;
static char *out, *err;
static struct ts_domain_config cfg;

int xl_platform_open(void)
{
    return 0;
}

/* Loads text as "g.cfg" (4 host CPUs) with overrides; the status, warnings in err. */
static int load_with(const char *text, int n, char **overrides)
{
    size_t err_len;
    struct ts_config_opts o = { .source = "g.cfg", .data = text, .len = strlen(text),
                                .overrides = overrides, .n_overrides = n, .nr_cpus = 4 };
    int rc;

    free(err);
    ts_config_free(&cfg);
    o.err = open_memstream(&err, &err_len);
    rc = ts_config_load(&o, &cfg);
    fclose(o.err);
    return rc;
}

static int load(const char *text)
{
    return load_with(text, 0, NULL);
}

/* Exactly one line of messages, and it is this one. */
static bool err_is(const char *line)
{
    bool ok = !strcmp(err, line);

    if (!ok)
        fprintf(stderr, "  got:    %s  wanted: %s\n", err, line);
    return ok;
}

/* The raw settings of text (no key semantics); NULL and the message in err on error. */
static struct cfg raw;
static int parse_raw(const char *text)
{
    size_t err_len;
    FILE *e;
    int rc;

    free(err);
    cfg_free(&raw);
    e = open_memstream(&err, &err_len);
    rc = cfg_parse(&raw, "g.cfg", text, strlen(text), e);
    fclose(e);
    return rc;
}

static const char *raw_str(const char *key)
{
    const struct cfg_setting *s = cfg_find(&raw, key);

    return s && !s->value->is_list ? s->value->str : NULL;
}

TEST(xlcfg_grammar_reads_strings_numbers_lists_and_comments)
{
    const struct cfg_setting *s;

    cfg_init(&raw);
    CHECK_EQ(parse_raw("# a comment\n"
                       "name = \"web\"   # trailing comment\n"
                       "kernel='/boot/vmlinuz'; memory = 0x200\n"
                       "\n"
                       "disk = [ 'a',\n"
                       "         \"b\", # inside a list\n"
                       "\n"
                       "       ]\n"
                       "empty = []\n"
                       "nested = [ [ '1', 2 ], '3' ]\n"
                       "last.key_2 = 017"), 0);
    CHECK(!strcmp(raw_str("name"), "web"));
    CHECK(!strcmp(raw_str("kernel"), "/boot/vmlinuz"));
    CHECK(!strcmp(raw_str("memory"), "0x200"));
    CHECK(!strcmp(raw_str("last.key_2"), "017"));
    s = cfg_find(&raw, "disk");
    CHECK(s && s->value->is_list && s->value->n_items == 2 && s->line == 5);
    CHECK(s && !strcmp(s->value->items[1]->str, "b"));
    s = cfg_find(&raw, "empty");
    CHECK(s && s->value->is_list && s->value->n_items == 0);
    s = cfg_find(&raw, "nested");
    CHECK(s && s->value->n_items == 2 && s->value->items[0]->is_list &&
          !strcmp(s->value->items[0]->items[1]->str, "2"));
    cfg_free(&raw);
}

TEST(xlcfg_strings_take_c_escapes)
{
    cfg_init(&raw);
    CHECK_EQ(parse_raw("a = \"q\\\"s\\'b\\\\n\\n\\t\\x41\\101\"\nb = 'it\\'s'\n"), 0);
    CHECK(!strcmp(raw_str("a"), "q\"s'b\\n\n\tAA"));
    CHECK(!strcmp(raw_str("b"), "it's"));
    CHECK_EQ(parse_raw("a = \"\\q\"\n"), -EINVAL);
    CHECK(err_is("g.cfg:1: config parsing error near `\"\\q\"': invalid character after "
                 "backslash in quoted string\n"));
    CHECK_EQ(parse_raw("a = \"\\x4\"\n"), -EINVAL);
    CHECK_EQ(parse_raw("a = \"\\0\"\n"), -EINVAL);
    cfg_free(&raw);
}

TEST(xlcfg_plus_equals_appends_to_lists_and_strings)
{
    const struct cfg_setting *s;

    cfg_init(&raw);
    CHECK_EQ(parse_raw("vif = [ 'bridge=a' ]\nextra = \"x\"\nvif += [ 'bridge=b', ]\n"
                       "extra += \" y\"\nnew += [ '1' ]\n"), 0);
    s = cfg_find(&raw, "vif");
    CHECK(s && s->value->n_items == 2 && !strcmp(s->value->items[1]->str, "bridge=b"));
    CHECK(!strcmp(raw_str("extra"), "x y"));
    CHECK(cfg_find(&raw, "new")->value->n_items == 1);
    CHECK_EQ(parse_raw("a = 'x'\na += [ 'y' ]\n"), -EINVAL);
    CHECK(err_is("g.cfg:2: config parsing error near `a': can't add [list] to \"string\" or "
                 "vice versa\n"));
    cfg_free(&raw);
}

TEST(xlcfg_syntax_errors_name_file_and_line)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "name = \"a\"\nmemory 512\n",
          "g.cfg:2: config parsing error near `512': syntax error, unexpected NUMBER, "
          "expecting '=' or \"+=\"\n" },
        { "\n\nname = \"unterminated\n",
          "g.cfg:3: config parsing error near `\"unterminated': lexical error\n" },
        { "disk = [ 'a' 'b' ]\n",
          "g.cfg:1: config parsing error near `'b'': syntax error, unexpected STRING, "
          "expecting ',' or ']'\n" },
        { "name = \"a\" \"b\"\n",
          "g.cfg:1: config parsing error near `\"b\"': syntax error, unexpected STRING, "
          "expecting NEWLINE or ';'\n" },
        { "name =\n",
          "g.cfg:1: config parsing error near <newline>: syntax error, unexpected NEWLINE, "
          "expecting STRING or NUMBER or '['\n" },
        { "Name = 'x'\n", "g.cfg:1: config parsing error near `Name': lexical error\n" },
        { "memory = -1\n", "g.cfg:1: config parsing error near `-1': lexical error\n" },
        { "disk = [ 'a',\n  'b'\n", "g.cfg:3: config parsing error near end of file: "
          "syntax error, unexpected end of file, expecting ',' or ']'\n" },
    };

    cfg_init(&raw);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(parse_raw(cases[i].text), -EINVAL);
        CHECK(err_is(cases[i].msg));
        CHECK(!raw.head);                   /* nothing kept from a bad file */
    }
    CHECK_EQ(load("name = 'a'\nvcpus = = 2\n"), -EINVAL);
    CHECK(!cfg.name);
}

TEST(xlcfg_later_settings_and_command_line_overrides_win)
{
    char *ov[] = { "memory=512", "name=\"other\"", "vif+=['bridge=br1']" };

    CHECK_EQ(load_with("name = 'a'\nmemory = 128\nmemory = 256\nvif = ['bridge=br0']\n", 0,
                       NULL), 0);
    CHECK_EQ(cfg.target_memkb, 256 * 1024);
    CHECK_EQ(load_with("name = 'a'\nmemory = 128\nvif = ['bridge=br0']\n", 3, ov), 0);
    CHECK_EQ(cfg.target_memkb, 512 * 1024);
    CHECK(!strcmp(cfg.name, "other"));
    CHECK_EQ(cfg.n_nics, 2);
    CHECK(!strcmp(cfg.nics[1].bridge, "br1") && cfg.nics[1].devid == 1);
    ov[0] = "memory=";
    CHECK_EQ(load_with("name = 'a'\n", 1, ov), -EINVAL);
    CHECK(err_is("command line:1: config parsing error near end of file: syntax error, "
                 "unexpected end of file, expecting STRING or NUMBER or '['\n"));
}

TEST(xlcfg_reads_every_pvh_key)
{
    CHECK_EQ(load("name = 'web'\ntype = 'pvh'\nkernel = '/k'\nramdisk = '/r'\n"
                  "cmdline = 'console=hvc0'\nmemory = 256\nmaxmem = 512\nvcpus = 2\n"
                  "maxvcpus = 4\ncpus = '1-2'\ncpu_weight = 512\ncap = 50\n"
                  "on_poweroff = 'preserve'\non_reboot = 'rename-restart'\n"
                  "on_crash = 'coredump-restart'\non_watchdog = 'restart'\n"
                  "on_soft_reset = 'destroy'\nuuid = '0123456789ABCDEF0123456789abcdef'\n"),
             -EINVAL);
    CHECK(err_is("g.cfg:18: uuid: \"0123456789ABCDEF0123456789abcdef\" is not a UUID\n"));
    CHECK_EQ(load("name = 'web'\ntype = 'pvh'\nkernel = '/k'\nramdisk = '/r'\n"
                  "cmdline = 'console=hvc0'\nmemory = 256\nmaxmem = 512\nvcpus = 2\n"
                  "maxvcpus = 4\ncpus = '1-2'\ncpu_weight = 512\ncap = 50\n"
                  "on_poweroff = 'preserve'\non_reboot = 'rename-restart'\n"
                  "on_crash = 'coredump-restart'\non_watchdog = 'restart'\n"
                  "on_soft_reset = 'destroy'\nuuid = '01234567-89AB-cdef-0123-456789abcdef'\n"), 0);
    CHECK(!err[0]);
    CHECK(!strcmp(cfg.name, "web") && !strcmp(cfg.kernel, "/k") && !strcmp(cfg.ramdisk, "/r"));
    CHECK(!strcmp(cfg.cmdline, "console=hvc0") && !cfg.pv_as_pvh);
    CHECK_EQ(cfg.target_memkb, 256 * 1024);
    CHECK_EQ(cfg.max_memkb, 512 * 1024);
    CHECK_EQ(cfg.vcpus, 2);
    CHECK_EQ(cfg.max_vcpus, 4);
    CHECK_EQ(cfg.n_hard_affinity, 4);
    CHECK_EQ(cfg.hard_affinity[3], 0x6);
    CHECK_EQ(cfg.weight, 512);
    CHECK_EQ(cfg.cap, 50);
    CHECK_EQ(cfg.on_poweroff, TS_ACTION_PRESERVE);
    CHECK_EQ(cfg.on_reboot, TS_ACTION_RENAME_RESTART);
    CHECK_EQ(cfg.on_crash, TS_ACTION_COREDUMP_RESTART);
    CHECK_EQ(cfg.on_watchdog, TS_ACTION_RESTART);
    CHECK_EQ(cfg.on_soft_reset, TS_ACTION_DESTROY);
    CHECK(cfg.uuid[0] == 0x01 && cfg.uuid[5] == 0xab && cfg.uuid[15] == 0xef);
    /* cpus as a list: one cpu list per vCPU, extra entries ignored as in Xen. */
    CHECK_EQ(load("name='a'\nvcpus=2\ncpus=['0', '2-3,^3', '1']\n"), 0);
    CHECK_EQ(cfg.n_hard_affinity, 2);
    CHECK(cfg.hard_affinity[0] == 1 && cfg.hard_affinity[1] == 4 && cfg.numa_placement_off);
    /* Without vcpus the domain has libxl's one vCPU, and cpus pins it. */
    CHECK_EQ(load("name='a'\ncpus='1'\n"), 0);
    CHECK(cfg.n_hard_affinity == 1 && cfg.hard_affinity[0] == 2);
}

TEST(xlcfg_defaults_follow_xen)
{
    CHECK_EQ(load("name = 'a'\ntype='pvh'\n"), 0);
    CHECK(cfg.on_poweroff == TS_ACTION_DESTROY && cfg.on_reboot == TS_ACTION_RESTART &&
          cfg.on_crash == TS_ACTION_DESTROY && cfg.on_watchdog == TS_ACTION_DESTROY &&
          cfg.on_soft_reset == TS_ACTION_SOFT_RESET);
    CHECK(cfg.weight == -1 && cfg.cap == -1 && !cfg.vcpus && !cfg.target_memkb);
    CHECK((cfg.uuid[6] & 0xf0) == 0x40 && (cfg.uuid[8] & 0xc0) == 0x80);   /* version 4 */
    ts_config_setdefault(&cfg);
    CHECK(cfg.vcpus == 1 && cfg.max_vcpus == 1 && cfg.max_memkb == 32768 &&
          cfg.target_memkb == 32768);
    CHECK_EQ(load("name='a'\nmemory=64\nvcpus=3\n"), 0);
    CHECK(cfg.max_memkb == 65536 && cfg.max_vcpus == 3);
}

TEST(xlcfg_cmdline_joins_root_and_extra_as_xen)
{
    CHECK_EQ(load("name='a'\nroot='/dev/xvda1 ro'\nextra='console=hvc0'\n"), 0);
    CHECK(!strcmp(cfg.cmdline, "root=/dev/xvda1 ro console=hvc0"));
    CHECK_EQ(load("name='a'\nroot='/dev/xvda1'\n"), 0);
    CHECK(!strcmp(cfg.cmdline, "root=/dev/xvda1"));
    CHECK_EQ(load("name='a'\nextra='quiet'\n"), 0);
    CHECK(!strcmp(cfg.cmdline, "quiet"));
    CHECK_EQ(load("name='a'\ncmdline='x'\nextra='quiet'\n"), 0);
    CHECK(!strcmp(cfg.cmdline, "x"));
    CHECK(strstr(err, "ignoring root= and extra= in favour of cmdline="));
}

TEST(xlcfg_bad_values_are_one_line_naming_file_and_key)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "memory = 'lots'\n", "g.cfg:2: memory: \"lots\" is not a valid number\n" },
        { "memory = 0\n", "g.cfg:2: memory: 0 is out of range (1 to 16777216)\n" },
        { "memory = 5\nmemory += 5\n", "g.cfg:3: memory: can't use += with numbers\n" },
        { "vcpus = 0\n", "g.cfg:2: vcpus: 0 is out of range (1 to 64)\n" },
        { "vcpus = 4\nmaxvcpus = 2\n", "g.cfg:3: maxvcpus: 2 is less than vcpus (4)\n" },
        { "memory = 64\nmaxmem = 32\n", "g.cfg:3: maxmem: is less than memory\n" },
        { "vcpus = 1\ncpus = '0-9'\n",
          "g.cfg:3: cpus: \"0-9\" is not a cpu list of this host's 4 CPUs\n" },
        { "vcpus = 1\ncpus = ['x']\n",
          "g.cfg:3: cpus: \"x\" is not a cpu list of this host's 4 CPUs\n" },
        { "cpus = '5'\n", "g.cfg:2: cpus: \"5\" is not a cpu list of this host's 4 CPUs\n" },
        { "vcpus = 1\ncpus = ['0', '7']\n",
          "g.cfg:3: cpus: \"7\" is not a cpu list of this host's 4 CPUs\n" },
        { "on_crash = 'explode'\n",
          "g.cfg:2: on_crash: unknown action \"explode\" (destroy, restart, rename-restart, "
          "preserve, coredump-destroy, coredump-restart, soft-reset)\n" },
        { "uuid = 'nope'\n", "g.cfg:2: uuid: \"nope\" is not a UUID\n" },
        { "vif = [ 'mac=00:16:3e:zz:00:01' ]\n",
          "g.cfg:2: vif: \"mac=00:16:3e:zz:00:01\": bad mac (want xx:xx:xx:xx:xx:xx)\n" },
        { "vif = [ 'colour=red' ]\n", "g.cfg:2: vif: \"colour=red\": unrecognized argument\n" },
        { "disk = [ '/dev/sdb' ]\n", "g.cfg:2: disk: \"/dev/sdb\": no vdev specified\n" },
        { "disk = 'x'\n", "g.cfg:2: disk: is a single value but should be a list\n" },
        { "kernel = [ 'a' ]\n", "g.cfg:2: kernel: is a list but should be a single value\n" },
        { "type = 'xen'\n", "g.cfg:2: type: \"xen\" is not pv, pvh or hvm\n" },
        { "cap = 70000\n", "g.cfg:2: cap: 70000 is out of range (0 to 65535)\n" },
        { "cpu_weight = 0\n", "g.cfg:2: cpu_weight: 0 is out of range (1 to 65535)\n" },
    };
    char text[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "name = 'a'\n%s", cases[i].text);
        CHECK_EQ(load(text), -EINVAL);
        CHECK(err_is(cases[i].msg));
        CHECK(!cfg.name);
    }
    CHECK_EQ(load("kernel = '/k'\n"), -EINVAL);
    CHECK(err_is("xl: g.cfg: name: missing (a domain name must be specified)\n"));
}

TEST(xlcfg_unknown_keys_warn_once_and_go_on)
{
    CHECK_EQ(load("name='a'\ntype='pvh'\nfrobs=1\npool='p'\nfrobs=2\n"), 0);
    CHECK(!strcmp(err, "g.cfg:3: warning: unknown key `frobs' ignored\n"
                       "g.cfg:4: warning: `pool' is not supported by kumo, ignored\n"));
    CHECK(!strcmp(cfg.name, "a"));
}

TEST(xlcfg_pv_configs_run_as_pvh_and_hvm_is_refused)
{
    CHECK_EQ(load("name='a'\nkernel='/k'\n"), 0);
    CHECK(cfg.pv_as_pvh);
    CHECK(err_is("xl: g.cfg: a PV config (type \"pv\" or none): kumo runs it as PVH, so its "
                 "kernel needs a PVH entry\n"));
    CHECK_EQ(load("name='a'\ntype='pv'\nkernel='/k'\n"), 0);
    CHECK(cfg.pv_as_pvh);
    CHECK_EQ(load("name='a'\nbuilder='generic'\nkernel='/k'\n"), 0);
    CHECK(cfg.pv_as_pvh);
    CHECK_EQ(load("name='a'\ntype='hvm'\n"), -EINVAL);
    CHECK(err_is("xl: g.cfg: an HVM guest (type \"hvm\"): kumo runs PVH guests only\n"));
    CHECK_EQ(load("name='a'\nbuilder='hvm'\n"), -EINVAL);
    CHECK(err_is("xl: g.cfg: an HVM guest (builder \"hvm\"): kumo runs PVH guests only\n"));
    CHECK_EQ(load("name='a'\ntype='pvh'\nbuilder='hvm'\n"), -EINVAL);
    CHECK(err_is("g.cfg:3: builder: contradicts type \"pvh\"\n"));
    CHECK_EQ(load("name='a'\ntype='pvh'\nbootloader='pygrub'\n"), -EINVAL);
    CHECK(err_is("xl: g.cfg: bootloader \"pygrub\" without a kernel: kumo boots the kernel "
                 "directly, set kernel=\n"));
}

TEST(xlcfg_disk_specs_parse_as_xen)
{
    struct ts_disk d;
    const char *why = NULL;

    CHECK_EQ(ts_disk_parse("/dev/vg/web,raw,xvda,rw", &d, &why), 0);
    CHECK(!strcmp(d.target, "/dev/vg/web") && !strcmp(d.vdev, "xvda") && d.readwrite &&
          d.format == TS_DISK_RAW);
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("phy:/dev/vg/web,xvdb,r", &d, &why), 0);
    CHECK(!strcmp(d.target, "/dev/vg/web") && !strcmp(d.vdev, "xvdb") && !d.readwrite);
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("tap:aio:/img/c,xvdc", &d, &why), 0);
    CHECK(!strcmp(d.target, "/img/c") && !strcmp(d.vdev, "xvdc") && d.format == TS_DISK_RAW);
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("qcow2:/img/q,xvdq,w", &d, &why), 0);
    CHECK(!strcmp(d.target, "/img/q") && d.format == TS_DISK_QCOW2 && d.readwrite);
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("nbd:host:1234,xvde", &d, &why), 0);
    CHECK(!strcmp(d.script, "block-nbd") && !strcmp(d.target, "host:1234"));
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("format=qcow2, vdev=xvdc, access=ro, backendtype=qdisk, "
                           "discard, untrusted, direct-io-safe, script=block-x, "
                           "target=/img/a,b.qcow2", &d, &why), 0);
    CHECK(d.format == TS_DISK_QCOW2 && !strcmp(d.vdev, "xvdc") && !d.readwrite &&
          d.backend == TS_BACKEND_QDISK && d.discard == TS_TRUE && d.trusted == TS_FALSE &&
          d.direct_io_safe && !strcmp(d.script, "block-x") && !strcmp(d.target, "/img/a,b.qcow2"));
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse(",,hdc:cdrom,r", &d, &why), 0);
    CHECK(d.is_cdrom && d.removable && !d.readwrite && d.format == TS_DISK_EMPTY &&
          !strcmp(d.vdev, "hdc"));
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("vdev=xvdd,devtype=cdrom", &d, &why), 0);
    CHECK(d.is_cdrom && !d.target && d.format == TS_DISK_EMPTY);
    ts_disk_free(&d);
    CHECK_EQ(ts_disk_parse("/a,vmdk,xvda", &d, &why), -EINVAL);
    CHECK(!strcmp(why, "unknown value for format"));
    CHECK_EQ(ts_disk_parse("/a,raw,xvda,rw,extra", &d, &why), -EINVAL);
    CHECK(!strcmp(why, "too many positional parameters"));
    CHECK_EQ(ts_disk_parse("zz:/a,xvda", &d, &why), -EINVAL);
    CHECK(!strcmp(why, "unknown deprecated disk prefix"));
    CHECK_EQ(ts_disk_parse("colour=red,/a,xvda", &d, &why), -EINVAL);
    CHECK(!strcmp(why, "unknown parameter"));
    CHECK_EQ(ts_disk_parse("/a,raw,xvda,rwx", &d, &why), -EINVAL);
    CHECK(!strcmp(why, "unknown value for access"));
}

TEST(xlcfg_vif_specs_parse_as_xen)
{
    struct ts_nic n = { 0 };
    const char *why = NULL;

    CHECK_EQ(ts_nic_parse("mac=00:16:3E:0a:0b:c,bridge=xenbr0,ip=10.0.0.2,script=vif-bridge,"
                          "model=e1000,type=vif,vifname=web0,gatewaydev=eth0,backend=dom0,"
                          "rate=10Mb/s@20ms,mtu=9000", &n, &why), 0);
    CHECK(n.has_mac && n.mac[2] == 0x3e && n.mac[5] == 0x0c);
    CHECK(!strcmp(n.bridge, "xenbr0") && !strcmp(n.ip, "10.0.0.2") && !strcmp(n.model, "e1000"));
    CHECK(!strcmp(n.ifname, "web0") && !strcmp(n.gatewaydev, "eth0") && n.nictype == 2);
    CHECK(!strcmp(n.backend_domname, "dom0") && n.mtu == 9000);
    CHECK_EQ(n.rate_bytes_per_interval, 25000);          /* 1.25 MB/s for 20 ms */
    CHECK_EQ(n.rate_interval_usecs, 20000);
    ts_nic_free(&n);
    memset(&n, 0, sizeof(n));
    CHECK_EQ(ts_nic_parse("", &n, &why), 0);             /* '' is a valid vif */
    CHECK_EQ(ts_nic_parse("rate=100KB/s", &n, &why), 0);
    CHECK_EQ(n.rate_bytes_per_interval, 5000);           /* the 50 ms default */
    CHECK_EQ(ts_nic_parse("rate=fast", &n, &why), -EINVAL);
    CHECK_EQ(ts_nic_parse("mac=00:16:3e:00:01", &n, &why), -EINVAL);
    CHECK_EQ(ts_nic_parse("mac=00:16:3e:00:01:02:03", &n, &why), -EINVAL);
    CHECK_EQ(ts_nic_parse("type=e1000", &n, &why), -EINVAL);
}

/* Runs `xl <args>` with file as g.cfg in a temporary directory. */
static int xl_create(const char *file, const char *args)
{
    char dir[] = "/tmp/kumo-xlcfg-XXXXXX", path[64], buf[512], *argv[16], *save = NULL;
    size_t out_len, err_len;
    int argc = 0, rc;
    FILE *f;

    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/g.cfg", dir);
    f = fopen(path, "w");
    fputs(file, f);
    fclose(f);
    if (chdir(dir))
        return -1;
    snprintf(buf, sizeof(buf), "%s", args);
    for (char *w = strtok_r(buf, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    free(out);
    free(err);
    xl_out = open_memstream(&out, &out_len);
    xl_errout = open_memstream(&err, &err_len);
    rc = xl_run(argc, argv);
    fclose(xl_out);
    fclose(xl_errout);
    unlink(path);
    if (chdir("/") || rmdir(dir))
        return -1;
    return rc;
}

static const char web_cfg[] =
    "name = \"web\"\n"
    "type = \"pvh\"\n"
    "uuid = \"5b1a3c62-8d2f-4e71-9a0b-1c2d3e4f5a6b\"\n"
    "kernel = \"/boot/vmlinuz\"\n"
    "ramdisk = \"/boot/initrd.img\"\n"
    "extra = \"console=hvc0\"\n"
    "root = \"/dev/xvda1 ro\"\n"
    "memory = 512\n"
    "maxmem = 1024\n"
    "vcpus = 2\n"
    "cpus = \"1-2\"\n"
    "cpu_weight = 512\n"
    "cap = 0\n"
    "on_reboot = \"rename-restart\"\n"
    "on_crash = \"preserve\"\n"
    "disk = [ 'phy:/dev/vg/web,xvda,w', 'format=qcow2,vdev=xvdb,access=ro,target=/img/b' ]\n"
    "vif = [ 'mac=00:16:3e:01:02:03,bridge=xenbr0', 'ip=10.0.0.9,type=vif' ]\n";

/* What Xen 4.17's `xl create -n` prints for web_cfg (keys kumo has, in libxl's order). */
static const char web_json[] =
    "{\n"
    "    \"c_info\": {\n"
    "        \"type\": \"pvh\",\n"
    "        \"name\": \"web\",\n"
    "        \"uuid\": \"5b1a3c62-8d2f-4e71-9a0b-1c2d3e4f5a6b\",\n"
    "        \"run_hotplug_scripts\": \"True\"\n"
    "    },\n"
    "    \"b_info\": {\n"
    "        \"max_vcpus\": 2,\n"
    "        \"avail_vcpus\": [\n"
    "            0,\n"
    "            1\n"
    "        ],\n"
    "        \"vcpu_hard_affinity\": [\n"
    "            [\n"
    "                1,\n"
    "                2\n"
    "            ],\n"
    "            [\n"
    "                1,\n"
    "                2\n"
    "            ]\n"
    "        ],\n"
    "        \"max_memkb\": 1048576,\n"
    "        \"target_memkb\": 524288,\n"
    "        \"sched_params\": {\n"
    "            \"weight\": 512,\n"
    "            \"cap\": 0\n"
    "        },\n"
    "        \"claim_mode\": \"True\",\n"
    "        \"kernel\": \"/boot/vmlinuz\",\n"
    "        \"cmdline\": \"root=/dev/xvda1 ro console=hvc0\",\n"
    "        \"ramdisk\": \"/boot/initrd.img\",\n"
    "        \"type.pvh\": {\n"
    "\n"
    "        },\n"
    "        \"arch_arm\": {\n"
    "\n"
    "        },\n"
    "        \"arch_x86\": {\n"
    "\n"
    "        }\n"
    "    },\n"
    "    \"disks\": [\n"
    "        {\n"
    "            \"pdev_path\": \"/dev/vg/web\",\n"
    "            \"vdev\": \"xvda\",\n"
    "            \"format\": \"raw\",\n"
    "            \"readwrite\": 1\n"
    "        },\n"
    "        {\n"
    "            \"pdev_path\": \"/img/b\",\n"
    "            \"vdev\": \"xvdb\",\n"
    "            \"format\": \"qcow2\"\n"
    "        }\n"
    "    ],\n"
    "    \"nics\": [\n"
    "        {\n"
    "            \"devid\": 0,\n"
    "            \"mac\": \"00:16:3e:01:02:03\",\n"
    "            \"bridge\": \"xenbr0\"\n"
    "        },\n"
    "        {\n"
    "            \"devid\": 1,\n"
    "            \"ip\": \"10.0.0.9\",\n"
    "            \"nictype\": \"vif\"\n"
    "        }\n"
    "    ],\n"
    "    \"on_reboot\": \"restart_rename\",\n"
    "    \"on_crash\": \"preserve\",\n"
    "    \"on_soft_reset\": \"soft_reset\"\n"
    "}\n";

TEST(xl_create_dryrun_prints_xens_json)
{
    fake_reset();
    fake_hv.nr_cpus = 4;
    CHECK_EQ(xl_create(web_cfg, "create -n g.cfg"), 0);
    if (strcmp(err, "Parsing config from g.cfg\n"))
        fprintf(stderr, "  err: %s", err);
    if (strcmp(out, web_json))
        fprintf(stderr, "  got:\n%s", out);
    CHECK(!strcmp(out, web_json));
    CHECK(!strcmp(err, "Parsing config from g.cfg\n"));
    CHECK_EQ(xl_create(web_cfg, "create --dryrun -q g.cfg vcpus=1 on_crash=\"destroy\""), 0);
    CHECK(!err[0]);
    CHECK(strstr(out, "        \"avail_vcpus\": [\n            0\n        ],\n"));
    CHECK(!strstr(out, "on_crash"));
    CHECK_EQ(xl_create(web_cfg, "create -q g.cfg maxmem=2048 -n"), 0);   /* options anywhere */
    CHECK(strstr(out, "        \"max_memkb\": 2097152,\n"));
}

TEST(xl_create_dryrun_minimal_pv_config)
{
    fake_reset();
    CHECK_EQ(xl_create("name='tiny'\nuuid='00000000-0000-0000-0000-000000000001'\n"
                       "kernel='/k'\n", "create -n -f g.cfg"), 0);
    CHECK(!strcmp(out,
        "{\n    \"c_info\": {\n        \"type\": \"pvh\",\n        \"name\": \"tiny\",\n"
        "        \"uuid\": \"00000000-0000-0000-0000-000000000001\",\n"
        "        \"run_hotplug_scripts\": \"True\"\n    },\n"
        "    \"b_info\": {\n        \"sched_params\": {\n\n        },\n"
        "        \"claim_mode\": \"True\",\n        \"kernel\": \"/k\",\n"
        "        \"type.pvh\": {\n\n        },\n        \"arch_arm\": {\n\n        },\n"
        "        \"arch_x86\": {\n\n        }\n    },\n"
        "    \"on_reboot\": \"restart\",\n    \"on_soft_reset\": \"soft_reset\"\n}\n"));
    CHECK(strstr(err, "kumo runs it as PVH"));
}

TEST(xl_create_refuses_bad_configs_and_creates_nothing)
{
    fake_reset();
    CHECK_EQ(xl_create("name='a'\nmemory='x'\n", "create -n g.cfg"), 1);
    CHECK(!out[0]);
    CHECK(!strcmp(err, "Parsing config from g.cfg\n"
                       "g.cfg:2: memory: \"x\" is not a valid number\n"));
    CHECK_EQ(xl_create("name='a'\ntype='hvm'\n", "create -q g.cfg"), 1);
    CHECK(!strcmp(err, "xl: g.cfg: an HVM guest (type \"hvm\"): kumo runs PVH guests only\n"));
    CHECK_EQ(xl_create("", "create -n /nonexistent/x.cfg"), 1);
    CHECK(strstr(err, "xl: Failed to read config file: /nonexistent/x.cfg"));
    CHECK_EQ(xl_create("", "create -n"), 1);
    CHECK_EQ(xl_create("", "create -n g.cfg other.cfg"), 2);  /* Xen: help, status 2 */
}

TEST(xl_create_of_a_missing_kernel_is_one_line_naming_the_step)
{
    fake_reset();
    CHECK_EQ(xl_create("name='a'\ntype='pvh'\nkernel='/nonexistent/k'\n", "create -q g.cfg"), 1);
    CHECK(!strcmp(err, "xl: create: kernel: /nonexistent/k: No such file or directory\n"));
    CHECK(!fake_hv.dom[1].exists);
}

int main(void)
{
    RUN(xlcfg_grammar_reads_strings_numbers_lists_and_comments);
    RUN(xlcfg_strings_take_c_escapes);
    RUN(xlcfg_plus_equals_appends_to_lists_and_strings);
    RUN(xlcfg_syntax_errors_name_file_and_line);
    RUN(xlcfg_later_settings_and_command_line_overrides_win);
    RUN(xlcfg_reads_every_pvh_key);
    RUN(xlcfg_defaults_follow_xen);
    RUN(xlcfg_cmdline_joins_root_and_extra_as_xen);
    RUN(xlcfg_bad_values_are_one_line_naming_file_and_key);
    RUN(xlcfg_unknown_keys_warn_once_and_go_on);
    RUN(xlcfg_pv_configs_run_as_pvh_and_hvm_is_refused);
    RUN(xlcfg_disk_specs_parse_as_xen);
    RUN(xlcfg_vif_specs_parse_as_xen);
    RUN(xl_create_dryrun_prints_xens_json);
    RUN(xl_create_dryrun_minimal_pv_config);
    RUN(xl_create_refuses_bad_configs_and_creates_nothing);
    RUN(xl_create_of_a_missing_kernel_is_one_line_naming_the_step);
    ts_config_free(&cfg);
    free(out);
    free(err);
    ts_store_close();
    HARNESS_EXIT();
}
