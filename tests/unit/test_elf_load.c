/*
 * Host tests for kernel/elf_load.c against ELF64 and ELF32 images built in memory: the
 * entry note in a PT_NOTE segment or only in an SHT_NOTE section (as Xen's libelf finds
 * it), program headers other than loadable PT_LOADs neither checked nor loaded (a PT_NOTE
 * with p_memsz 0, a bogus PT_GNU_STACK), and refusals of loadable segments that leave the
 * image or whose end wraps around.
 */
#include "../../kernel/elf_load.c"
#include "harness.h"

#define ENTRY 0x100123
#define NOTE_OFF 0x200
#define LOAD_OFF 0x300
#define SH_OFF 0x400

static uint8_t img[0x800];
static uint64_t copied_to[8];
static unsigned int copies, nr_phdrs;

bool copy_to_guest_phys(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
    (void)d, (void)src, (void)len;
    if (copies < 8)
        copied_to[copies] = gpa;
    copies++;
    return true;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* Program header i of the ELF64 image. */
static void phdr64(unsigned int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t paddr,
                   uint64_t filesz, uint64_t memsz)
{
    uint8_t *p = img + 64 + i * 56;

    put32(p, type);
    put32(p + 4, flags);
    put64(p + 8, off);
    put64(p + 24, paddr);
    put64(p + 32, filesz);
    put64(p + 40, memsz);
    nr_phdrs = i + 1 > nr_phdrs ? i + 1 : nr_phdrs;
    put16(img + 56, (uint16_t)nr_phdrs);            /* e_phnum */
}

/* An ELF64 image: the PHYS32_ENTRY note at NOTE_OFF, one loadable segment of 16 bytes. */
static void image64(void)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF\2\1\1", 7);
    put64(img + 32, 64);                            /* e_phoff */
    put16(img + 54, 56);                            /* e_phentsize */
    nr_phdrs = 0;
    put32(img + NOTE_OFF, 4);                       /* namesz */
    put32(img + NOTE_OFF + 4, 4);                   /* descsz */
    put32(img + NOTE_OFF + 8, XEN_ELFNOTE_PHYS32_ENTRY);
    memcpy(img + NOTE_OFF + 12, "Xen", 4);
    put32(img + NOTE_OFF + 16, ENTRY);
    phdr64(0, PT_LOAD, 5, LOAD_OFF, 0x100000, 16, 0x2000);
    copies = 0;
}

/* Section headers: a null one and an SHT_NOTE over the note. */
static void note_section64(void)
{
    put64(img + 40, SH_OFF);                        /* e_shoff */
    put16(img + 58, 64);                            /* e_shentsize */
    put16(img + 60, 2);                             /* e_shnum */
    put32(img + SH_OFF + 64 + 4, SHT_NOTE);
    put64(img + SH_OFF + 64 + 24, NOTE_OFF);
    put64(img + SH_OFF + 64 + 32, 20);
}

static int inspect(struct elf_image_info *info)
{
    const char *why;

    return elf_inspect(img, sizeof(img), info, &why);
}

TEST(elf_note_in_segment)
{
    struct elf_image_info info;

    image64();
    phdr64(1, PT_NOTE, 4, NOTE_OFF, 0, 20, 20);
    CHECK_EQ(inspect(&info), 0);
    CHECK_EQ(info.phys32_entry, ENTRY);
    CHECK_EQ(info.paddr_lo, 0x100000);
    CHECK_EQ(info.paddr_hi, 0x102000);
}

TEST(elf_note_in_section_only)
{
    struct elf_image_info info;

    image64();
    CHECK_EQ(inspect(&info), -XEN_EINVAL);          /* no note anywhere */
    note_section64();
    CHECK_EQ(inspect(&info), 0);
    CHECK_EQ(info.phys32_entry, ENTRY);
}

TEST(pt_note_with_zero_memsz_is_fine)
{
    struct elf_image_info info;

    image64();
    phdr64(1, PT_NOTE, 4, NOTE_OFF, 0, 20, 0);
    CHECK_EQ(inspect(&info), 0);
    CHECK_EQ(info.phys32_entry, ENTRY);
}

TEST(only_loadable_segments_are_checked_and_loaded)
{
    struct elf_image_info info;
    struct domain d;

    image64();
    note_section64();
    phdr64(1, 0x6474e551, 6, 0xFFFFFFFF00, 0, 0x1000, 0);       /* PT_GNU_STACK, bogus */
    phdr64(2, PT_LOAD, 0, 0xFFFFFF, 0x200000, 0x100, 0x100);    /* no R/W/X: not loadable */
    phdr64(3, PT_LOAD, 6, LOAD_OFF, 0x300000, 16, 16);
    CHECK_EQ(inspect(&info), 0);
    CHECK_EQ(info.paddr_hi, 0x300010);
    CHECK_EQ(elf_load(&d, img, sizeof(img)), 0);
    CHECK_EQ(copies, 2);
    CHECK_EQ(copied_to[0], 0x100000);
    CHECK_EQ(copied_to[1], 0x300000);
}

TEST(segment_end_wrapping_around_is_refused)
{
    struct elf_image_info info;
    struct domain d;

    image64();
    note_section64();
    phdr64(1, PT_LOAD, 6, LOAD_OFF, 0xFFFFFFFFFFFFF000ULL, 16, 0x2000);
    CHECK_EQ(inspect(&info), -XEN_EINVAL);
    CHECK_EQ(elf_load(&d, img, sizeof(img)), -XEN_EINVAL);
    CHECK_EQ(copies, 1);                            /* segment 0 only, then the refusal */
}

TEST(loadable_segment_outside_the_image_is_refused)
{
    struct elf_image_info info;

    image64();
    note_section64();
    phdr64(1, PT_LOAD, 4, sizeof(img) - 8, 0x400000, 16, 16);
    CHECK_EQ(inspect(&info), -XEN_EINVAL);
    image64();
    note_section64();
    phdr64(1, PT_LOAD, 4, LOAD_OFF, 0x400000, 32, 16);         /* filesz > memsz */
    CHECK_EQ(inspect(&info), -XEN_EINVAL);
}

TEST(elf32_note_in_section_only)
{
    struct elf_image_info info;
    uint8_t *ph = img + 52;

    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF\1\1\1", 7);
    put32(img + 28, 52);                            /* e_phoff */
    put16(img + 42, 32);                            /* e_phentsize */
    put16(img + 44, 1);                             /* e_phnum */
    put32(ph, PT_LOAD);
    put32(ph + 4, LOAD_OFF);
    put32(ph + 12, 0x100000);
    put32(ph + 16, 16);
    put32(ph + 20, 16);
    put32(ph + 24, 5);
    put32(img + NOTE_OFF, 4);
    put32(img + NOTE_OFF + 4, 4);
    put32(img + NOTE_OFF + 8, XEN_ELFNOTE_PHYS32_ENTRY);
    memcpy(img + NOTE_OFF + 12, "Xen", 4);
    put32(img + NOTE_OFF + 16, ENTRY);
    put32(img + 32, SH_OFF);                        /* e_shoff */
    put16(img + 46, 40);                            /* e_shentsize */
    put16(img + 48, 2);                             /* e_shnum */
    put32(img + SH_OFF + 40 + 4, SHT_NOTE);
    put32(img + SH_OFF + 40 + 16, NOTE_OFF);
    put32(img + SH_OFF + 40 + 20, 20);
    CHECK_EQ(inspect(&info), 0);
    CHECK_EQ(info.phys32_entry, ENTRY);
}

int main(void)
{
    RUN(elf_note_in_segment);
    RUN(elf_note_in_section_only);
    RUN(pt_note_with_zero_memsz_is_fine);
    RUN(only_loadable_segments_are_checked_and_loaded);
    RUN(segment_end_wrapping_around_is_refused);
    RUN(loadable_segment_outside_the_image_is_refused);
    RUN(elf32_note_in_section_only);
    HARNESS_EXIT();
}
