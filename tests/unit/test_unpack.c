/*
 * Host tests for kumo's own decompressors and bzImage parser (kernel/unxz.c, lzma2.c,
 * inflate.c, bzimage.c, lib/crc.c) on streams that the system's xz and gzip make at test
 * time: several sizes, levels, checks and filters decode to their input; truncated and
 * corrupted streams give an error, never a fault (ASan/UBSan watch) or a hang.
 */
#include "../../kernel/lib/crc.c"
#include "../../kernel/lzma2.c"
#include "../../kernel/unxz.c"
#include "../../kernel/inflate.c"
#include "../../kernel/bzimage.c"
#include "harness.h"

#include <time.h>
#include <unistd.h>

struct blob {
    uint8_t *data;
    size_t len;
};

static struct blob read_file(const char *path)
{
    struct blob b = { NULL, 0 };
    FILE *f = fopen(path, "rb");

    if (!f)
        return b;
    fseek(f, 0, SEEK_END);
    b.len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc(b.len + 1);
    if (fread(b.data, 1, b.len, f) != b.len)
        b.len = 0;
    fclose(f);
    return b;
}

/* Runs `tool opts < in > out` on data and returns the compressed stream. */
static struct blob compress(const char *tool, const char *opts, const struct blob *in)
{
    char cmd[512], src[] = "/tmp/kumo-unpack-XXXXXX", dst[64];
    int fd = mkstemp(src);
    struct blob out;

    if (fd < 0 || write(fd, in->data, in->len) != (ssize_t)in->len)
        abort();
    close(fd);
    snprintf(dst, sizeof(dst), "%s.z", src);
    snprintf(cmd, sizeof(cmd), "%s %s < %s > %s", tool, opts, src, dst);
    if (system(cmd))
        abort();
    out = read_file(dst);
    unlink(src);
    unlink(dst);
    return out;
}

/* Inputs of several kinds: random bytes, text-like repeats, x86 code (this binary). */
static struct blob make_input(unsigned int kind, size_t len)
{
    struct blob b = { malloc(len + 1), len }, self;
    static const char words[][8] = { "kumo ", "xen ", "domain ", "vcpu ", "page ", "\n" };

    switch (kind) {
    case 0:
        for (size_t i = 0; i < len; i++)
            b.data[i] = (uint8_t)harness_rand();
        break;
    case 1:
        for (size_t i = 0; i < len;) {
            const char *w = words[harness_rand() % ARRAY_SIZE(words)];

            for (size_t k = 0; w[k] && i < len; k++)
                b.data[i++] = (uint8_t)w[k];
        }
        break;
    default:
        self = read_file("/proc/self/exe");
        for (size_t i = 0; i < len; i++)
            b.data[i] = self.data[i % self.len];
        free(self.data);
    }
    return b;
}

static int do_unxz(const struct blob *z, uint8_t *out, size_t out_size, size_t *out_len)
{
    struct unpack_buf b = { .in = z->data, .in_size = z->len, .out = out, .out_size = out_size };
    const char *why = NULL;
    int err = unxz(&b, &why);

    *out_len = b.out_pos;
    if (err && !why)
        return 1;               /* every error names its reason */
    return err;
}

static int do_gunzip(const struct blob *z, uint8_t *out, size_t out_size, size_t *out_len)
{
    struct unpack_buf b = { .in = z->data, .in_size = z->len, .out = out, .out_size = out_size };
    const char *why = NULL;
    int err = gunzip(&b, &why);

    *out_len = b.out_pos;
    if (err && !why)
        return 1;
    return err;
}

typedef int (*decoder_fn)(const struct blob *, uint8_t *, size_t, size_t *);

/* Decodes z and compares with in; out has exactly in's size (the bzImage case). */
static bool round_trips(decoder_fn dec, const struct blob *z, const struct blob *in)
{
    uint8_t *out = malloc(in->len + 1);
    size_t got;
    bool ok = !dec(z, out, in->len, &got) && got == in->len && !memcmp(out, in->data, in->len);

    free(out);
    return ok;
}

static const size_t sizes[] = { 0, 1, 100, 4096, 70000, 400000 };

TEST(xz_streams_of_every_check_and_filter_decode_to_their_input)
{
    static const char *const opts[] = {
        "-0 --check=crc32", "-6 --check=crc64", "-9e --check=none", "--x86 --lzma2 --check=crc32",
        "--x86 --lzma2=preset=9e,dict=1MiB --check=crc64", "--x86 --lzma2=lc=0,lp=2,pb=0",
        "-T2 --block-size=30000 --check=crc32", "--x86 --lzma2=lc=4,lp=0,pb=4 --check=none",
    };

    /* Every size with every option; the kind of input rotates through them. */
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
        for (size_t o = 0; o < ARRAY_SIZE(opts); o++) {
            unsigned int kind = (unsigned int)((s + o) % 3);
            struct blob in = make_input(kind, sizes[s]);
            struct blob z = compress("xz -c", opts[o], &in);

            if (!round_trips(do_unxz, &z, &in)) {
                fprintf(stderr, "  kind %u size %zu xz %s\n", kind, sizes[s], opts[o]);
                CHECK(0);
            }
            free(in.data);
            free(z.data);
        }
}

TEST(gzip_streams_of_every_level_decode_to_their_input)
{
    static const char *const opts[] = { "-1 -n", "-9 -n", "-6", "-1 --no-name" };

    /* Every size with every option; the kind of input rotates through them. */
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
        for (size_t o = 0; o < ARRAY_SIZE(opts); o++) {
            unsigned int kind = (unsigned int)((s + o) % 3);
            struct blob in = make_input(kind, sizes[s]);
            struct blob z = compress("gzip -c", opts[o], &in);

            if (!round_trips(do_gunzip, &z, &in)) {
                fprintf(stderr, "  kind %u size %zu gzip %s\n", kind, sizes[s], opts[o]);
                CHECK(0);
            }
            free(in.data);
            free(z.data);
        }
}

/*
 * Every prefix must be refused, and so must every single-bit
 * flip that changes the output: some flips change nothing the decoder uses (gzip's MTIME,
 * the length of a code no symbol takes) and `gzip -t` accepts those too.
 */
static void damaged_streams_fail(decoder_fn dec, const char *tool, const char *opts)
{
    struct blob in = make_input(2, 20000), z = compress(tool, opts, &in);
    uint8_t *out = malloc(in.len);
    size_t got;

    /* Each prefix in a buffer of its own size, so ASan sees a read past the end. */
    for (size_t cut = 0; cut < z.len; cut++) {
        uint8_t *prefix = malloc(cut ? cut : 1);
        bool accepted;

        memcpy(prefix, z.data, cut);
        accepted = !dec(&(struct blob){ prefix, cut }, out, in.len, &got);
        free(prefix);
        if (accepted) {
            fprintf(stderr, "  %s %s: prefix of %zu/%zu bytes accepted\n", tool, opts, cut, z.len);
            CHECK(0);
            break;
        }
    }
    for (unsigned int n = 0; n < 400; n++) {
        size_t at = harness_rand() % z.len;
        uint8_t old = z.data[at], flip = (uint8_t)(1u << (harness_rand() % 8));

        z.data[at] ^= flip;
        if (!dec(&z, out, in.len, &got) && memcmp(out, in.data, in.len)) {
            fprintf(stderr, "  %s %s: flip %#x at %zu/%zu accepted\n", tool, opts, flip, at, z.len);
            CHECK(0);
        }
        z.data[at] = old;
    }
    /* An output buffer one byte short is refused, not overrun (ASan watches). */
    CHECK(dec(&z, out, in.len - 1, &got) != 0);
    free(out);
    free(in.data);
    free(z.data);
}

TEST(truncated_or_corrupt_xz_is_an_error)
{
    damaged_streams_fail(do_unxz, "xz -c", "--x86 --lzma2 --check=crc32");
    damaged_streams_fail(do_unxz, "xz -c", "-6 --check=crc64");
}

TEST(truncated_or_corrupt_gzip_is_an_error)
{
    damaged_streams_fail(do_gunzip, "gzip -c", "-9 -n");
    damaged_streams_fail(do_gunzip, "gzip -c", "-1");
}

/* Without a check, damage may decode to other bytes: it must still end, in bounds. */
TEST(unchecked_xz_damage_ends_without_fault)
{
    struct blob in = make_input(1, 20000), z = compress("xz -c", "--check=none", &in);
    uint8_t *out = malloc(in.len);
    size_t got;

    for (unsigned int n = 0; n < 2000; n++) {
        size_t at = harness_rand() % z.len;
        uint8_t old = z.data[at];

        z.data[at] = (uint8_t)harness_rand();
        (void)do_unxz(&z, out, in.len, &got);
        CHECK(got <= in.len);
        z.data[at] = old;
    }
    free(out);
    free(in.data);
    free(z.data);
}

/* A minimal bzImage: setup header fields Xen reads, then the payload and its size. */
static struct blob make_bzimage(uint16_t version, const struct blob *payload, uint32_t size)
{
    size_t off = 5 * 512 + 0x40, len = off + payload->len + 4;
    struct blob b = { calloc(1, len), len };

    b.data[0x1F1] = 4;
    memcpy(b.data + 0x202, "HdrS", 4);
    b.data[0x206] = (uint8_t)version;
    b.data[0x207] = (uint8_t)(version >> 8);
    b.data[0x248] = 0x40;
    memcpy(b.data + 0x24C, &(uint32_t){ (uint32_t)payload->len + 4 }, 4);
    memcpy(b.data + off, payload->data, payload->len);
    memcpy(b.data + off + payload->len, &size, 4);
    return b;
}

/* The payload of each format kumo takes is found from the header and unpacked in full. */
static void bzimage_round_trip(const char *tool, const char *opts, enum bzimage_format format)
{
    struct blob in = make_input(2, 300000), z = compress(tool, opts, &in), bz;
    struct bzimage_info info;
    const char *why = NULL;
    uint8_t *out;

    /* gzip's own trailer already ends in the size; Linux appends it to the others. */
    if (format == BZIMAGE_GZIP)
        z.len -= 4;
    bz = make_bzimage(0x020F, &z, (uint32_t)in.len);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
    CHECK_EQ(info.format, format);
    CHECK_EQ(info.unpacked_len, in.len);
    out = malloc(info.unpacked_len);
    CHECK_EQ(bzimage_unpack(&info, out, &why), 0);
    CHECK(!memcmp(out, in.data, in.len));
    free(out);
    free(bz.data);
    /* A size claim larger than the stream holds leaves the output short: refused. */
    if (format == BZIMAGE_XZ) {
        bz = make_bzimage(0x020F, &z, (uint32_t)in.len + 1);
        CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
        out = malloc(info.unpacked_len);
        CHECK(bzimage_unpack(&info, out, &why) < 0);
        free(out);
        free(bz.data);
    }
    free(z.data);
    free(in.data);
}

TEST(bzimage_header_locates_and_unpacks_the_payload)
{
    bzimage_round_trip("xz -c", "--x86 --lzma2 --check=crc32", BZIMAGE_XZ);
    bzimage_round_trip("gzip -c", "-9 -n", BZIMAGE_GZIP);
}

TEST(bzimage_headers_kumo_cannot_take_are_refused)
{
    uint8_t zstd[8] = { 0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3, 4 };
    struct blob payload = { zstd, sizeof(zstd) }, bz;
    struct bzimage_info info;
    const char *why = NULL;
    uint8_t elf[64] = "\177ELF";

    bz = make_bzimage(0x0207, &payload, 1000);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), -XEN_EINVAL);
    free(bz.data);
    bz = make_bzimage(0x020F, &payload, 1000);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), -XEN_EOPNOTSUPP);
    CHECK(why && strstr(why, "zstd"));
    /* payload_length past the module's end */
    bz.data[0x24D] = 0x10;
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), -XEN_EINVAL);
    free(bz.data);
    /* A plain ELF kernel is not a bzImage: the caller loads it as it is. */
    CHECK_EQ(bzimage_parse(elf, sizeof(elf), &info, &why), 0);
    /* An uncompressed ELF payload is used in place. */
    payload = (struct blob){ elf, sizeof(elf) };
    bz = make_bzimage(0x020F, &payload, 0);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
    CHECK_EQ(info.format, BZIMAGE_ELF);
    CHECK(!memcmp(info.payload, "\177ELF", 4));
    free(bz.data);
}

/* Debian's own vmlinuz, when scripts/fetch-debs.sh has fetched it: unpacks to its ELF. */
TEST(debian_vmlinuz_unpacks_to_the_vmlinux_elf)
{
    FILE *p = popen("ls ../../build/debs/linux-image-*/boot/vmlinuz-* build/debs/linux-image-*"
                    "/boot/vmlinuz-* 2>/dev/null | head -n 1", "r");
    char path[512] = "";
    struct bzimage_info info;
    const char *why = NULL;
    struct blob bz;
    uint8_t *out;
    clock_t t0;

    if (!fgets(path, sizeof(path), p) || !path[0]) {
        pclose(p);
        fprintf(stderr, "  (no Debian kernel under build/debs: skipped)\n");
        return;
    }
    pclose(p);
    path[strcspn(path, "\n")] = '\0';
    bz = read_file(path);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
    CHECK_EQ(info.format, BZIMAGE_XZ);
    out = malloc(info.unpacked_len);
    t0 = clock();
    CHECK_EQ(bzimage_unpack(&info, out, &why), 0);
    fprintf(stderr, "  %s: %zu -> %zu bytes in %.0f ms (host, sanitizers on)\n", path,
            info.payload_len, info.unpacked_len, (clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    CHECK(!memcmp(out, "\177ELF", 4));
    free(out);
    free(bz.data);
}

int main(void)
{
    RUN(xz_streams_of_every_check_and_filter_decode_to_their_input);
    RUN(gzip_streams_of_every_level_decode_to_their_input);
    RUN(truncated_or_corrupt_xz_is_an_error);
    RUN(truncated_or_corrupt_gzip_is_an_error);
    RUN(unchecked_xz_damage_ends_without_fault);
    RUN(bzimage_header_locates_and_unpacks_the_payload);
    RUN(bzimage_headers_kumo_cannot_take_are_refused);
    RUN(debian_vmlinuz_unpacks_to_the_vmlinux_elf);
    HARNESS_EXIT();
}
