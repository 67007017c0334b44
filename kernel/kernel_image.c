/*
 * Boot modules to ELF images: bzImages are unpacked here, into pages taken from the heap
 * only for as long as the builder copies the segments (~66 MB for Debian's kernel), sized
 * to the payload's stated length rather than to a power of two.
 */
#include <kumo/bzimage.h>
#include <kumo/console.h>
#include <kumo/kernel_image.h>
#include <kumo/mm.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

/* Frees nr pages from va in the largest naturally aligned blocks the buddy takes. */
static void free_page_run(uint8_t *va, unsigned long nr)
{
    while (nr) {
        unsigned long pfn = __pa(va) >> PAGE_SHIFT;
        unsigned int order = 0;

        while (order < BUDDY_MAX_ORDER && !(pfn & (1UL << order)) && nr >= (2UL << order))
            order++;
        free_xenheap_pages(va, order);
        va += PAGE_SIZE << order;
        nr -= 1UL << order;
    }
}

/* nr contiguous pages, or NULL: a power-of-two block with its unneeded tail given back. */
static void *alloc_page_run(unsigned long nr)
{
    unsigned int order = 0;
    uint8_t *va;

    while ((1UL << order) < nr)
        order++;
    va = alloc_xenheap_pages(order);
    if (va)
        free_page_run(va + nr * PAGE_SIZE, (1UL << order) - nr);
    return va;
}

static const char *format_name(enum bzimage_format f)
{
    return f == BZIMAGE_XZ ? "xz" : f == BZIMAGE_GZIP ? "gzip" : "ELF";
}

int kernel_image_get(const void *data, size_t len, const char *owner, struct kernel_image *k,
                     const char **why)
{
    /* Reasons combine the format with the decoder's words; the builder runs on one CPU. */
    static char reason[128];
    struct bzimage_info info;
    const char *inner = NULL;
    s_time_t t0;
    int rc;

    *k = (struct kernel_image){ data, len, NULL, 0 };
    rc = bzimage_parse(data, len, &info, &inner);
    if (rc <= 0) {
        if (rc < 0)
            *why = inner;
        return rc;
    }
    k->elf = info.payload;
    k->len = info.payload_len;
    if (info.format == BZIMAGE_ELF)
        return 0;
    k->nr_pages = (info.unpacked_len + PAGE_SIZE - 1) >> PAGE_SHIFT;
    k->buf = alloc_page_run(k->nr_pages);
    if (!k->buf) {
        snprintf(reason, sizeof(reason), "no %lu MiB to unpack the bzImage's %s payload",
                 (k->nr_pages >> (20 - PAGE_SHIFT)) + 1, format_name(info.format));
        *why = reason;
        return -XEN_ENOMEM;
    }
    t0 = NOW();
    rc = bzimage_unpack(&info, k->buf, &inner);
    if (rc) {
        snprintf(reason, sizeof(reason), "bzImage %s payload: %s", format_name(info.format),
                 inner);
        *why = reason;
        kernel_image_put(k);
        return rc;
    }
    printk("%s: bzImage %s payload unpacked, %zu -> %zu bytes in %lu ms\n", owner,
           format_name(info.format), info.payload_len, info.unpacked_len,
           (unsigned long)((NOW() - t0) / MILLISECS(1)));
    k->elf = k->buf;
    k->len = info.unpacked_len;
    return 0;
}

void kernel_image_put(struct kernel_image *k)
{
    if (k->buf)
        free_page_run(k->buf, k->nr_pages);
    k->buf = NULL;
    k->elf = NULL;
}
