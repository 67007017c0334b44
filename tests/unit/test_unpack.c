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
    uint8_t *out = malloc(in->len);     /* exact: ASan sees a write past out_size */
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
        "-9 --check=crc32", "-e --check=crc64", "--x86 --lzma2 --block-size=20000 --check=crc64",
        "--lzma2=preset=1,dict=64KiB --check=crc32",
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
static void damaged_stream_fails(decoder_fn dec, const char *tool, const char *opts,
                                 struct blob in, struct blob z)
{
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

static void damaged_streams_fail(decoder_fn dec, const char *tool, const char *opts)
{
    struct blob in = make_input(2, 20000);

    damaged_stream_fails(dec, tool, opts, in, compress(tool, opts, &in));
}

TEST(truncated_or_corrupt_xz_is_an_error)
{
    damaged_streams_fail(do_unxz, "xz -c", "--x86 --lzma2 --check=crc32");
    damaged_streams_fail(do_unxz, "xz -c", "-6 --check=crc64");
    damaged_streams_fail(do_unxz, "xz -c", "--x86 --lzma2 --block-size=3000 --check=crc32");
}

TEST(truncated_or_corrupt_gzip_is_an_error)
{
    struct blob in = make_input(0, 20000);

    damaged_streams_fail(do_gunzip, "gzip -c", "-9 -n");
    damaged_streams_fail(do_gunzip, "gzip -c", "-1");
    /* Random bytes: stored blocks. */
    damaged_stream_fails(do_gunzip, "gzip -c", "-9 -n (random)", in,
                         compress("gzip -c", "-9 -n", &in));
}

static struct blob concat(const struct blob *a, const struct blob *b, size_t zeros)
{
    struct blob c = { calloc(1, a->len + zeros + b->len + 1), a->len + zeros + b->len };

    memcpy(c.data, a->data, a->len);
    memcpy(c.data + a->len + zeros, b->data, b->len);
    return c;
}

/*
 * As Linux's boot-time xz_dec and inflate (and Xen's copies of them), one call decodes one
 * .xz stream or one gzip member: whatever follows, stream padding and further streams or
 * members included, is left where in_pos stops. A bzImage payload is one stream.
 */
typedef int (*unpack_fn)(struct unpack_buf *b, const char **why);

static void only_the_first_stream_decodes(unpack_fn unpack, const char *tool, size_t zeros)
{
    struct blob a = make_input(1, 70000), b = make_input(0, 3000);
    struct blob za = compress(tool, "", &a), zb = compress(tool, "", &b);
    struct blob both = concat(&za, &zb, zeros);
    struct unpack_buf u = { .in = both.data, .in_size = both.len, .out = malloc(a.len + b.len),
                            .out_size = a.len + b.len };
    const char *why = NULL;
    int err = unpack(&u, &why);

    CHECK_EQ(err, 0);
    CHECK_EQ(u.in_pos, za.len);
    CHECK_EQ(u.out_pos, a.len);
    CHECK(!memcmp(u.out, a.data, a.len));
    free(u.out);
    free(both.data);
    free(za.data);
    free(zb.data);
    free(a.data);
    free(b.data);
}

TEST(concatenated_or_padded_streams_decode_their_first_stream_only)
{
    only_the_first_stream_decodes(unxz, "xz -c", 0);
    only_the_first_stream_decodes(unxz, "xz -c", 4);           /* stream padding */
    only_the_first_stream_decodes(unxz, "xz -c", 12);
    only_the_first_stream_decodes(gunzip, "gzip -c -n", 0);
}

/* SHA-256 is a check kumo does not compute: refused by name, as Linux's xz_dec refuses it. */
TEST(xz_sha256_check_is_refused_clearly)
{
    struct blob in = make_input(1, 4096), z = compress("xz -c", "--check=sha256", &in);
    struct unpack_buf u = { .in = z.data, .in_size = z.len, .out = malloc(in.len),
                            .out_size = in.len };
    const char *why = NULL;

    CHECK_EQ(unxz(&u, &why), -XEN_EOPNOTSUPP);
    CHECK(why && strstr(why, "unsupported xz check"));
    CHECK_EQ(u.out_pos, 0);
    free(u.out);
    free(z.data);
    free(in.data);
}

#define GZ_FHCRC    0x02
#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10

/* gzip's own stream with the optional header fields RFC 1952 2.3.1 allows added to it. */
static struct blob gzip_with_fields(const struct blob *plain, unsigned int flags)
{
    static const uint8_t extra[] = { 8, 0, 'K', 'U', 4, 0, 'k', 'u', 'm', 'o' };
    static const char name[] = "vmlinux", comment[] = "kumo test";
    struct blob z = { malloc(plain->len + 64), 10 };

    memcpy(z.data, plain->data, 10);
    z.data[3] = (uint8_t)flags;
    if (flags & GZ_FEXTRA)
        memcpy(z.data + z.len, extra, sizeof(extra)), z.len += sizeof(extra);
    if (flags & GZ_FNAME)
        memcpy(z.data + z.len, name, sizeof(name)), z.len += sizeof(name);
    if (flags & GZ_FCOMMENT)
        memcpy(z.data + z.len, comment, sizeof(comment)), z.len += sizeof(comment);
    if (flags & GZ_FHCRC) {
        uint32_t crc = crc32(0, z.data, z.len);

        z.data[z.len++] = (uint8_t)crc;
        z.data[z.len++] = (uint8_t)(crc >> 8);
    }
    memcpy(z.data + z.len, plain->data + 10, plain->len - 10);
    z.len += plain->len - 10;
    return z;
}

TEST(gzip_header_fields_are_skipped_and_header_crc_checked)
{
    struct blob in = make_input(1, 70000), plain = compress("gzip -c", "-6 -n", &in), z;

    for (unsigned int f = 0; f < 16; f++) {
        unsigned int flags = (f & 1 ? GZ_FHCRC : 0) | (f & 2 ? GZ_FEXTRA : 0) |
                             (f & 4 ? GZ_FNAME : 0) | (f & 8 ? GZ_FCOMMENT : 0);

        z = gzip_with_fields(&plain, flags);
        if (!round_trips(do_gunzip, &z, &in)) {
            fprintf(stderr, "  header flags %#x not decoded\n", flags);
            CHECK(0);
        }
        free(z.data);
    }
    /* A header CRC that does not match is refused. */
    z = gzip_with_fields(&plain, GZ_FHCRC | GZ_FNAME);
    z.data[10 + sizeof("vmlinux")] ^= 1;
    CHECK(!round_trips(do_gunzip, &z, &in));
    free(z.data);
    free(plain.data);
    free(in.data);
    /* Every prefix of a stream with all fields (cut inside each of them) is refused. */
    in = make_input(1, 20000);
    plain = compress("gzip -c", "-6 -n", &in);
    damaged_stream_fails(do_gunzip, "gzip", "with every header field", in,
                         gzip_with_fields(&plain, GZ_FHCRC | GZ_FEXTRA | GZ_FNAME | GZ_FCOMMENT));
    free(plain.data);
}

/* Incompressible input makes gzip emit stored blocks (at most 65535 bytes each). */
TEST(gzip_stored_blocks_decode_to_their_input)
{
    static const size_t stored_sizes[] = { 1000, 65535, 65536, 300000 };

    for (size_t i = 0; i < ARRAY_SIZE(stored_sizes); i++) {
        struct blob in = make_input(0, stored_sizes[i]), z = compress("gzip -c", "-9 -n", &in);

        CHECK_EQ((z.data[10] >> 1) & 3, 0);     /* BTYPE of the first block: stored */
        CHECK(round_trips(do_gunzip, &z, &in));
        free(z.data);
        free(in.data);
    }
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

/* Boot protocol 2.08 is the first with payload_offset/length; setup_sects 0 means 4. */
TEST(bzimage_protocol_2_08_and_setup_sects_zero_are_read_as_linux_says)
{
    uint8_t elf[64] = "\177ELF";
    struct blob payload = { elf, sizeof(elf) }, bz = make_bzimage(0x0208, &payload, 0);
    struct bzimage_info info;
    const char *why = NULL;

    bz.data[0x1F1] = 0;
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
    CHECK_EQ(info.payload - bz.data, 5 * 512 + 0x40);
    CHECK(!memcmp(info.payload, "\177ELF", 4));
    free(bz.data);
}

/*
 * Linux can compress its payload seven ways, Xen unpacks all of them, kumo two: each other
 * format is named in the reason the boot log prints with the module's name. Streams come
 * from the tools Linux's build uses when they are installed, else from the format's magic.
 */
TEST(bzimage_payload_formats_kumo_lacks_are_named)
{
    static const struct {
        const char *name, *cmd, *magic;
        size_t magic_len;
    } formats[] = {
        { "bzip2", "bzip2 -9 -c", "BZh9", 4 },
        { "lzma", "xz --format=lzma -9 -c", "\x5D\x00\x00\x80\x00", 5 },
        { "lzo", "lzop -9 -c", "\x89LZO\x00\r\n\x1A\n", 9 },
        { "lz4", "lz4 -l -9 -c", "\x02\x21\x4C\x18", 4 },
        { "zstd", "zstd -19 -c", "\x28\xB5\x2F\xFD", 4 },
    };
    struct blob in = make_input(2, 8192), payload, bz;
    struct bzimage_info info;
    const char *why;
    char tool[64];

    for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
        char want[64];

        snprintf(tool, sizeof(tool), "command -v %.*s >/dev/null",
                 (int)strcspn(formats[i].cmd, " "), formats[i].cmd);
        if (!system(tool)) {
            payload = compress(formats[i].cmd, "", &in);
        } else {
            payload = (struct blob){ calloc(1, 64), 64 };
            memcpy(payload.data, formats[i].magic, formats[i].magic_len);
        }
        bz = make_bzimage(0x020F, &payload, (uint32_t)in.len);
        why = NULL;
        snprintf(want, sizeof(want), "bzImage payload is %s (", formats[i].name);
        CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), -XEN_EOPNOTSUPP);
        if (!why || strncmp(why, want, strlen(want))) {
            fprintf(stderr, "  %s payload: reason '%s'\n", formats[i].name, why ? why : "none");
            CHECK(0);
        }
        free(bz.data);
        free(payload.data);
    }
    /* Bytes of no known format are refused as such. */
    payload = (struct blob){ calloc(1, 64), 64 };
    memcpy(payload.data, "KUMO", 4);
    bz = make_bzimage(0x020F, &payload, (uint32_t)in.len);
    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), -XEN_EINVAL);
    CHECK(why && strstr(why, "unknown format"));
    free(bz.data);
    free(payload.data);
    free(in.data);
}

/* A bzImage whose size field counts two streams is refused, not half loaded. */
TEST(bzimage_of_two_streams_is_refused_as_short)
{
    struct blob a = make_input(2, 5000), b = make_input(1, 5000);
    struct blob za = compress("xz -c", "--x86 --lzma2", &a), zb = compress("xz -c", "", &b);
    struct blob both = concat(&za, &zb, 0), bz = make_bzimage(0x020F, &both, 10000);
    struct bzimage_info info;
    const char *why = NULL;
    uint8_t *out = malloc(10000);

    CHECK_EQ(bzimage_parse(bz.data, bz.len, &info, &why), 1);
    CHECK_EQ(bzimage_unpack(&info, out, &why), -XEN_EINVAL);
    CHECK(why && strstr(why, "less than its stated size"));
    free(out);
    free(bz.data);
    free(both.data);
    free(za.data);
    free(zb.data);
    free(a.data);
    free(b.data);
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
    RUN(concatenated_or_padded_streams_decode_their_first_stream_only);
    RUN(xz_sha256_check_is_refused_clearly);
    RUN(gzip_header_fields_are_skipped_and_header_crc_checked);
    RUN(gzip_stored_blocks_decode_to_their_input);
    RUN(unchecked_xz_damage_ends_without_fault);
    RUN(bzimage_header_locates_and_unpacks_the_payload);
    RUN(bzimage_headers_kumo_cannot_take_are_refused);
    RUN(bzimage_protocol_2_08_and_setup_sects_zero_are_read_as_linux_says);
    RUN(bzimage_payload_formats_kumo_lacks_are_named);
    RUN(bzimage_of_two_streams_is_refused_as_short);
    RUN(debian_vmlinuz_unpacks_to_the_vmlinux_elf);
    HARNESS_EXIT();
}
