/*
 * The domain builder (libs/toolstack/create.c and build_*.c) over the fake platform and a
 * fake xenstored: what a built domain holds (memory, kernel, start info, ACPI, params,
 * vCPU 0's registers, xenstore nodes, kept config), that a failure at any step leaves
 * nothing behind and names its step in one line, and the kernel formats it reads (PVH ELF,
 * bzImage with xz, gzip, zstd or no compression) and refuses (corrupt, no PVH entry).
 */
#include "harness.h"
#include "d0_store_fake.h"
#include "../../dom0-tools/libs/plat/fake.c"
#include "../../dom0-tools/libs/ctl/ctl.c"
#include "../../dom0-tools/libs/ctl/ctl_build.c"
#include "../../dom0-tools/libs/store/store.c"
#include "../../dom0-tools/libs/toolstack/cpulist.c"
#include "../../dom0-tools/libs/toolstack/domain.c"
#include "../../dom0-tools/libs/toolstack/lifecycle.c"
#include "../../dom0-tools/libs/toolstack/control.c"
#include "../../dom0-tools/libs/toolstack/retrieve.c"
#include "../../dom0-tools/libs/toolstack/monitor.c"
#include "../../dom0-tools/libs/toolstack/config_parse.c"
#include "../../dom0-tools/libs/toolstack/config.c"
#include "../../dom0-tools/libs/toolstack/config_dev.c"
#include "../../dom0-tools/libs/toolstack/config_json.c"
#include "../../dom0-tools/libs/toolstack/kimage.c"
#include "../../dom0-tools/libs/toolstack/guest_acpi.c"
#include "../../dom0-tools/libs/toolstack/build_mem.c"
#include "../../dom0-tools/libs/toolstack/build_boot.c"
#include "../../dom0-tools/libs/toolstack/build_xs.c"
#include "../../dom0-tools/libs/toolstack/userdata.c"
#include "../../dom0-tools/libs/toolstack/create.c"
#include "../../dom0-tools/xl/cmdtable.c"
#include "../../dom0-tools/xl/create.c"
#include "../../dom0-tools/xl/format.c"
#include "../../dom0-tools/xl/domain.c"
#include "../../dom0-tools/xl/vcpu.c"
#include "../../dom0-tools/xl/sched.c"
#include "../../dom0-tools/xl/info.c"
#include "../../dom0-tools/xl/lifecycle.c"
#include "../../dom0-tools/xl/mem.c"
#include "../../dom0-tools/xl/list_json.c"
#include "../../dom0-tools/xl/top.c"
#include "../../dom0-tools/xl/console.c"

#include "xl_run.h"
static char dir[64];

#define ENTRY 0x100010u
#define LOAD_AT 0x100000u
#define PAYLOAD "KUMO-TEST-KERNEL"

/* A PVH ELF64: one PT_LOAD (text + 8 KiB of bss) and, with note, the PHYS32 entry note. */
static size_t make_elf(uint8_t *e, bool note)
{
    uint8_t *ph = e + 64;

    memset(e, 0, 512);
    memcpy(e, "\177ELF\2\1\1", 7);
    e[16] = 2, e[18] = 62;                  /* ET_EXEC, EM_X86_64 */
    e[32] = 64;                             /* e_phoff */
    e[54] = 56, e[56] = 2;                  /* e_phentsize, e_phnum */
    ph[0] = 1, ph[4] = 5;                   /* PT_LOAD, R+X */
    ph[8] = 0, ph[9] = 1;                   /* p_offset 256 */
    memcpy(ph + 24, &(uint64_t){ LOAD_AT }, 8);
    memcpy(ph + 32, &(uint64_t){ 256 }, 8);
    memcpy(ph + 40, &(uint64_t){ 256 + 8192 }, 8);
    ph += 56;
    ph[0] = 4;                              /* PT_NOTE at 176, 20 bytes */
    ph[8] = 176;
    ph[32] = 20;
    ph[40] = 20;
    if (note) {
        uint32_t n[5] = { 4, 4, 18, 0, ENTRY };

        memcpy(n + 3, "Xen", 4);
        memcpy(e + 176, n, sizeof(n));
    }
    memcpy(e + 256, PAYLOAD, sizeof(PAYLOAD));
    return 512;
}

enum packing { RAW, XZ, GZIP, ZSTD };

/* A bzImage (boot protocol 2.15, one setup sector) carrying elf packed as asked. */
static size_t make_bzimage(uint8_t *b, size_t cap, const uint8_t *elf, size_t elf_len,
                           enum packing how)
{
    uint8_t *p = b + 1024;
    size_t room = cap - 1024 - 4, n = room;
    uint32_t plen;

    memset(b, 0, 1024);
    b[0x1F1] = 1;
    memcpy(b + 0x202, "HdrS", 4);
    b[0x206] = 0x0F, b[0x207] = 0x02;
    if (how == RAW) {
        memcpy(p, elf, elf_len);
        n = elf_len;
    } else if (how == XZ) {
        n = 0;
        if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, elf_len, p, &n, room))
            return 0;
    } else if (how == GZIP) {
        z_stream z = { .next_in = (Bytef *)elf, .avail_in = (uInt)elf_len, .next_out = p,
                       .avail_out = (uInt)room };

        deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        deflate(&z, Z_FINISH);
        n = z.total_out;
        deflateEnd(&z);
    } else {
        n = ZSTD_compress(p, room, elf, elf_len, 3);
    }
    if (how != RAW) {
        memcpy(p + n, &(uint32_t){ (uint32_t)elf_len }, 4);
        n += 4;
    }
    plen = (uint32_t)n;
    memcpy(b + 0x24C, &plen, 4);
    return 1024 + n;
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text));
}

static unsigned int lines(const char *s)
{
    unsigned int n = 0;

    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void setup(void)
{
    uint8_t elf[512];

    ts_store_close();
    fake_reset();
    fs_reset();
    for (uint32_t id = 0; id < FAKE_MAX_DOMAINS; id++)
        ts_userdata_remove(id);
    write_file("k.elf", elf, make_elf(elf, true));
    write_file("ramdisk", "INITRAMFS-BYTES", 15);
    write_text("t.cfg", "name = \"t1\"\nmemory = 16\nvcpus = 2\ntype = \"pvh\"\n"
                        "cmdline = \"console=hvc0 hello\"\n");
}

/* Parses dir/t.cfg with the overrides and creates it; rc, *domid, *e as the builder says. */
static int create_cfg(const char *overrides, bool paused, uint32_t *domid,
                  struct ts_create_error *e)
{
    char path[128], kernel[160], ramdisk[160], *ov[4] = { kernel, ramdisk };
    struct ts_config_opts o = { .source = "t.cfg", .nr_cpus = 2, .err = stderr, .overrides = ov,
                                .n_overrides = 2 };
    struct ts_domain_config cfg;
    char text[512] = "";
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "%s/t.cfg", dir);
    f = fopen(path, "r");
    o.len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    o.data = text;
    snprintf(kernel, sizeof(kernel), "kernel=\"%s/k.elf\"", dir);
    snprintf(ramdisk, sizeof(ramdisk), "ramdisk=\"%s/ramdisk\"", dir);
    if (overrides)
        ov[o.n_overrides++] = (char *)overrides;
    if (ts_config_load(&o, &cfg))
        return -EINVAL;
    rc = ts_domain_create(&cfg, paused, domid, e);
    ts_config_free(&cfg);
    return rc;
}

static uint8_t *guest(uint32_t domid, uint64_t gpa)
{
    uint8_t *pg = fake_guest_page(domid, gpa >> 12);

    return pg ? pg + (gpa & 4095) : NULL;
}

static const char *node(uint32_t domid, const char *rel)
{
    char path[160];

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
    return fs_read(path);
}

static unsigned int userdata_files(void)
{
    char pattern[128];
    glob_t g;
    unsigned int n = 0;

    snprintf(pattern, sizeof(pattern), "%s/userdata-d.*", dir);
    if (!glob(pattern, 0, NULL, &g))
        n = (unsigned int)g.gl_pathc;
    globfree(&g);
    return n;
}

/*
 * cpus = "1" (one string for every vCPU, as most configs write it) pins each vCPU there,
 * also in a config that leaves vcpus to its default of one.
 */
TEST(cpus_string_pins_every_vcpu_with_or_without_vcpus)
{
    struct ts_create_error e = { 0 };
    uint32_t domid = 0;

    setup();
    CHECK_EQ(create_cfg("cpus=\"1\"", true, &domid, &e), 0);
    CHECK_EQ(fake_hv.dom[domid].vcpu[0].affinity, 0x2);
    CHECK_EQ(fake_hv.dom[domid].vcpu[1].affinity, 0x2);
    setup();
    write_text("t.cfg", "name = \"t1\"\nmemory = 16\ntype = \"pvh\"\ncpus = \"1\"\n");
    CHECK_EQ(create_cfg(NULL, true, &domid, &e), 0);
    CHECK_EQ(fake_hv.dom[domid].nr_vcpus, 1);
    CHECK_EQ(fake_hv.dom[domid].vcpu[0].affinity, 0x2);
}

/* cpus_soft as xl reads it: a string for every vCPU or a list one per vCPU, applied after
 * the hard affinity, each vCPU's left alone when the list is short. */
TEST(cpus_soft_sets_each_vcpus_soft_affinity)
{
    struct ts_create_error e = { 0 };
    uint32_t domid = 0;

    setup();
    CHECK_EQ(create_cfg("cpus_soft=\"1\"", true, &domid, &e), 0);
    CHECK_EQ(fake_hv.dom[domid].vcpu[0].soft_affinity, 0x2);
    CHECK_EQ(fake_hv.dom[domid].vcpu[1].soft_affinity, 0x2);
    CHECK_EQ(fake_hv.dom[domid].vcpu[0].affinity, 0x3);    /* hard untouched */
    setup();
    CHECK_EQ(create_cfg("cpus_soft=[\"0\"]", true, &domid, &e), 0);
    CHECK_EQ(fake_hv.dom[domid].vcpu[0].soft_affinity, 0x1);
    CHECK_EQ(fake_hv.dom[domid].vcpu[1].soft_affinity, ~0ULL);
}

TEST(built_domain_holds_kernel_start_info_acpi_and_rings)
{
    struct ts_create_error e = { 0 };
    const struct hvm_start_info *si;
    const struct hvm_memmap_table_entry *mm;
    uint32_t domid = 0, len;
    struct fake_domain *d;
    HVM_SAVE_TYPE(CPU) cpu_rec = { 0 }, *cpu = &cpu_rec;
    const uint8_t *rec;

    setup();
    CHECK_EQ(create_cfg(NULL, true, &domid, &e), 0);
    d = &fake_hv.dom[domid];
    CHECK(domid >= 1 && d->exists);
    CHECK_EQ(d->pause_count, 1);            /* -p: left paused */
    CHECK_EQ(d->nr_vcpus, 2);
    CHECK_EQ(d->tot_pages, 16 * 256 + 2);   /* RAM and the two ring pages */
    CHECK_EQ(d->max_pages, 17 * 256);       /* maxmem + libxl's 1 MiB slack */
    CHECK(d->emulation_flags == XEN_X86_EMU_LAPIC && d->create_flags == 3);
    CHECK(guest(domid, LOAD_AT) && !memcmp(guest(domid, LOAD_AT), PAYLOAD, sizeof(PAYLOAD)));
    if (harness_current_failed)
        return;
    rec = fake_hvm_record(d, HVM_SAVE_CODE(CPU), 0, &len);
    CHECK(rec && len == sizeof(cpu_rec));
    if (rec)
        memcpy(&cpu_rec, rec, sizeof(cpu_rec));
    CHECK(cpu->rip == ENTRY && cpu->cr0 == 0x11 && cpu->cs_arbytes == 0xc9b);
    si = (const void *)guest(domid, cpu->rbx);
    CHECK(si && si->magic == XEN_HVM_START_MAGIC_VALUE && si->version == 1);
    CHECK(si && !strcmp((char *)guest(domid, si->cmdline_paddr), "console=hvc0 hello"));
    CHECK(si && si->nr_modules == 1);
    if (si && si->nr_modules == 1) {
        const struct hvm_modlist_entry *m = (const void *)guest(domid, si->modlist_paddr);

        CHECK(m->size == 15 && !memcmp(guest(domid, m->paddr), "INITRAMFS-BYTES", 15));
        CHECK(m->paddr % 4096 == 0 && m->paddr >= LOAD_AT + 256 + 8192);
    }
    CHECK(si && !memcmp(guest(domid, si->rsdp_paddr), "RSD PTR ", 8));
    mm = si ? (const void *)guest(domid, si->memmap_paddr) : NULL;
    CHECK(mm && si->memmap_entries == d->nr_memmap && mm[3].addr == 0x100000 &&
          mm[3].size == 16 * 1048576 - 0x100000 && mm[3].type == 1);
    CHECK(d->params[HVM_PARAM_STORE_PFN] == 0xFEFFC && d->params[HVM_PARAM_CONSOLE_PFN] == 0xFEFFF);
    CHECK(d->params[HVM_PARAM_STORE_EVTCHN] && d->params[HVM_PARAM_CONSOLE_EVTCHN] &&
          d->params[HVM_PARAM_STORE_EVTCHN] != d->params[HVM_PARAM_CONSOLE_EVTCHN]);
    CHECK(fs.introduced_domid == domid && fs.introduced_gfn == 0xFEFFC &&
          fs.introduced_port == d->params[HVM_PARAM_STORE_EVTCHN]);
    CHECK_EQ(fake_hv.nr_maps, 0);
}

TEST(built_domain_has_xens_xenstore_nodes_and_kept_config)
{
    struct ts_create_error e = { 0 };
    char path[160], perm[32];
    uint32_t domid = 0;
    const char *vm;

    setup();
    CHECK_EQ(create_cfg("cpu_weight=512", false, &domid, &e), 0);
    CHECK_EQ(fake_hv.dom[domid].pause_count, 0);    /* unpaused without -p */
    CHECK_EQ(fake_hv.dom[domid].weight, 512);
    CHECK(node(domid, "name") && !strcmp(node(domid, "name"), "t1"));
    CHECK(node(domid, "memory/target") && !strcmp(node(domid, "memory/target"), "16384"));
    CHECK(node(domid, "memory/static-max") && !strcmp(node(domid, "memory/static-max"), "16384"));
    CHECK(node(domid, "cpu/1/availability") && !strcmp(node(domid, "cpu/1/availability"), "online"));
    CHECK(node(domid, "console/type") && !strcmp(node(domid, "console/type"), "xenconsoled"));
    CHECK(node(domid, "console/ring-ref") && !strcmp(node(domid, "console/ring-ref"), "1044479"));
    CHECK(node(domid, "store/ring-ref") && !strcmp(node(domid, "store/ring-ref"), "1044476"));
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    snprintf(perm, sizeof(perm), "n%u,r0", domid);
    CHECK(fs_find(path) && !strcmp(fs_find(path)->perms, perm));   /* the guest writes it */
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    snprintf(perm, sizeof(perm), "n0,r%u", domid);
    CHECK(fs_find(path) && !strcmp(fs_find(path)->perms, perm));
    vm = node(domid, "vm");
    snprintf(path, sizeof(path), "%s/start_time", vm ? vm : "");
    CHECK(vm && fs_read(path));
    CHECK_EQ(userdata_files(), 2);
    {
        size_t len;
        char *kept = ts_userdata_load(domid, &len);

        CHECK(kept && strstr(kept, "cpu_weight=512") && strstr(kept, "uuid = \""));
        free(kept);
    }
    CHECK_EQ(ts_domain_destroy(domid), 0);
    CHECK_EQ(fs_count(path), 0);
    CHECK_EQ(fs_below("/vm"), 0);
    CHECK_EQ(userdata_files(), 0);
}

/* Fails the n-th hypercall (or mapping), then the n-th xenstore change, until none fails. */
TEST(failure_at_any_step_undoes_everything_and_names_the_step)
{
    uint64_t free_before;
    int steps = 0, rc;

    for (int in_store = 0; in_store < 2; in_store++) {
        for (unsigned int n = 1;; n++) {
            struct ts_create_error e = { 0 };
            uint32_t domid = 0;

            setup();
            free_before = fake_hv.free_pages;
            if (in_store)
                fs.fail_at = n;
            else
                fake_hv.fail_at = n;
            rc = create_cfg(NULL, false, &domid, &e);
            fake_hv.fail_at = 0;
            if (!rc)
                break;
            steps++;
            CHECK(e.step && e.why[0] && !strchr(e.why, '\n'));
            for (uint32_t id = 1; id < FAKE_MAX_DOMAINS; id++)
                CHECK(!fake_hv.dom[id].exists);
            CHECK_EQ(fake_hv.free_pages, free_before);
            CHECK_EQ(fake_hv.nr_maps, 0);
            CHECK_EQ(fs_below("/local/domain"), 0);
            CHECK_EQ(fs_below("/vm"), 0);
            CHECK_EQ(userdata_files(), 0);
            if (n > 5000) {
                CHECK(!"the builder never succeeds");
                break;
            }
        }
    }
    CHECK(steps > 20);
}

TEST(bzimage_payloads_xz_gzip_zstd_and_raw_unpack_to_the_elf)
{
    static uint8_t bz[8192];
    uint8_t elf[512];
    size_t elf_len = make_elf(elf, true);
    const char *names[] = { "bzImage (uncompressed)", "bzImage (xz)", "bzImage (gzip)",
                            "bzImage (zstd)" };

    for (int how = RAW; how <= ZSTD; how++) {
        size_t len = make_bzimage(bz, sizeof(bz), elf, elf_len, (enum packing)how);
        const char *why = NULL;
        struct kimage k;

        CHECK(len > 1024);
        CHECK_EQ(kimage_parse(bz, len, &k, &why), 0);
        CHECK(k.elf_len == elf_len && !memcmp(k.elf, elf, elf_len));
        CHECK(k.has_entry && k.entry == ENTRY && k.paddr_lo == LOAD_AT);
        CHECK(k.format && !strcmp(k.format, names[how]));
        kimage_free(&k);
    }
}

TEST(zstd_bzimage_kernel_builds_a_domain)
{
    static uint8_t bz[8192];
    struct ts_create_error e = { 0 };
    uint8_t elf[512];
    uint32_t domid = 0;

    setup();
    write_file("k.elf", bz, make_bzimage(bz, sizeof(bz), elf, make_elf(elf, true), ZSTD));
    CHECK_EQ(create_cfg(NULL, true, &domid, &e), 0);
    CHECK(guest(domid, LOAD_AT) && !memcmp(guest(domid, LOAD_AT), PAYLOAD, sizeof(PAYLOAD)));
}

/* Each broken kernel: one "xl: create: kernel: <file>: <reason>" line, nothing created. */
TEST(corrupt_or_non_pvh_kernels_are_refused_with_one_line)
{
    static uint8_t bz[8192];
    uint8_t elf[512];
    size_t elf_len = make_elf(elf, true), len;
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "create %s/t.cfg kernel=\"%s/k.elf\"", dir, dir);
    for (int c = 0; c < 7; c++) {
        setup();
        len = make_bzimage(bz, sizeof(bz), elf, elf_len, c < 3 ? XZ : c == 3 ? ZSTD : GZIP);
        switch (c) {
        case 0: bz[1024 + len / 2 - 512] ^= 0xFF; break;                /* corrupt stream */
        case 1: memcpy(bz + len - 4, &(uint32_t){ 100000 }, 4); break;  /* size differs */
        case 2: bz[0x24C] = 0xFF, bz[0x24D] = 0xFF; break;              /* past the file */
        case 3: memcpy(bz + 1024, "BZh9", 4); break;                    /* bzip2 */
        case 4: len = 300; break;                                       /* truncated */
        case 5: len = make_elf(bz, false); break;                       /* no PVH note */
        case 6: len = 40; memcpy(bz, "\177ELF", 4); break;              /* header cut */
        }
        write_file("k.elf", bz, len);
        CHECK_EQ(xl(cmd), 1);
        CHECK_EQ(lines(err), 2);                /* "Parsing config from", then the error */
        CHECK(strstr(err, "xl: create: kernel: "));
        CHECK(c != 5 || strstr(err, "no PVH entry"));
        for (uint32_t id = 1; id < FAKE_MAX_DOMAINS; id++)
            CHECK(!fake_hv.dom[id].exists);
        if (harness_current_failed) {
            fprintf(stderr, "  case %d: %s", c, err);
            break;
        }
    }
}

TEST(pv_config_with_pvh_kernel_runs_as_pvh_and_says_so)
{
    char cmd[256];

    setup();
    write_text("t.cfg", "name = \"pv1\"\nmemory = 8\n");
    snprintf(cmd, sizeof(cmd), "create -p %s/t.cfg kernel=\"%s/k.elf\"", dir, dir);
    CHECK_EQ(xl(cmd), 0);
    CHECK(strstr(err, "runs it as PVH"));     /* the parser's one line */
    CHECK_EQ(lines(err), 2);
    if (harness_current_failed)
        fprintf(stderr, "%s", err);
    CHECK(fake_hv.dom[1].exists && fake_hv.dom[1].pause_count == 1);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kumo-builder-%d", (int)getpid());
    mkdir(dir, 0700);
    setenv("KUMO_USERDATA_DIR", dir, 1);
    fs_start();
    RUN(built_domain_holds_kernel_start_info_acpi_and_rings);
    RUN(cpus_string_pins_every_vcpu_with_or_without_vcpus);
    RUN(cpus_soft_sets_each_vcpus_soft_affinity);
    RUN(built_domain_has_xens_xenstore_nodes_and_kept_config);
    RUN(failure_at_any_step_undoes_everything_and_names_the_step);
    RUN(bzimage_payloads_xz_gzip_zstd_and_raw_unpack_to_the_elf);
    RUN(zstd_bzimage_kernel_builds_a_domain);
    RUN(corrupt_or_non_pvh_kernels_are_refused_with_one_line);
    RUN(pv_config_with_pvh_kernel_runs_as_pvh_and_says_so);
    ts_store_close();
    fake_reset();
    free(out);
    free(err);
    unlink(fs.sock);
    {
        char cmd[96];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd))
            return 1;
    }
    HARNESS_EXIT();
}
