/*
 * Small-object allocator. Objects of 16..2048 bytes come from single-page slabs of one
 * power-of-two size class; each slab page starts with a header that xfree() finds by
 * rounding the pointer down. Larger objects get whole 2^order page blocks with the same
 * kind of header in front. One lock; an empty slab goes straight back to the backend.
 * Not for interrupt context: the lock does not disable interrupts.
 */
#include <kumo/console.h>
#include <kumo/list.h>
#include <kumo/spinlock.h>
#include <kumo/xmalloc.h>

#define SLAB_MAGIC  0x5ab5ab5aU
#define LARGE_MAGIC 0x1a26e000U
#define MIN_SHIFT   4                   /* 16 bytes */
#define MAX_SHIFT   11                  /* 2048 bytes */
#define NR_CLASSES  (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_MAX_ORDER 18              /* the page allocator's largest block: 1 GiB */

struct free_obj {
    struct free_obj *next;
};

/* 64 bytes, so objects after it stay 64-byte aligned and large ones 16-byte aligned. */
struct page_hdr {
    uint32_t magic;
    uint32_t shift;                     /* object size class, or the block order if large */
    uint32_t free_count;
    uint32_t capacity;
    struct free_obj *free;
    struct list_head link;              /* on its class's partial list */
    uint8_t pad[24];
};

_Static_assert(sizeof(struct page_hdr) == 64, "page header must be 64 bytes");

static const struct xmalloc_backend *backend;
static struct list_head partial[NR_CLASSES];
static DEFINE_SPINLOCK(xmalloc_lock);
static size_t pages_in_use;

void xmalloc_init(const struct xmalloc_backend *b)
{
    backend = b;
    for (unsigned int i = 0; i < NR_CLASSES; i++)
        list_init(&partial[i]);
}

static unsigned int size_shift(size_t size)
{
    unsigned int shift = MIN_SHIFT;

    while ((1UL << shift) < size)
        shift++;
    return shift;
}

static struct page_hdr *new_slab(unsigned int shift)
{
    struct page_hdr *h = backend->alloc_pages(0);
    size_t obj = 1UL << shift;
    size_t first = ROUNDUP(sizeof(*h), obj < 64 ? 64 : obj);

    if (!h)
        return NULL;
    pages_in_use++;
    h->magic = SLAB_MAGIC;
    h->shift = shift;
    h->capacity = (uint32_t)((PAGE_SIZE - first) / obj);
    h->free_count = h->capacity;
    h->free = NULL;
    for (size_t off = PAGE_SIZE - obj; off >= first; off -= obj) {
        struct free_obj *o = (struct free_obj *)((char *)h + off);

        o->next = h->free;
        h->free = o;
    }
    list_add(&h->link, &partial[shift - MIN_SHIFT]);
    return h;
}

static void *alloc_small(size_t size)
{
    unsigned int shift = size_shift(size);
    struct list_head *list = &partial[shift - MIN_SHIFT];
    struct page_hdr *h;
    struct free_obj *o;

    h = list_empty(list) ? new_slab(shift) : list_first_entry(list, struct page_hdr, link);
    if (!h)
        return NULL;
    o = h->free;
    h->free = o->next;
    if (--h->free_count == 0)
        list_del(&h->link);
    return o;
}

static void *alloc_large(size_t size)
{
    unsigned int order = 0;
    struct page_hdr *h;

    while ((PAGE_SIZE << order) < size + sizeof(*h))
        order++;
    h = backend->alloc_pages(order);
    if (!h)
        return NULL;
    pages_in_use += 1UL << order;
    h->magic = LARGE_MAGIC;
    h->shift = order;
    return h + 1;
}

void *xmalloc_bytes(size_t size)
{
    void *p;

    /* Bounding size first keeps the order search in alloc_large() from overflowing. */
    if (!size || size > (PAGE_SIZE << LARGE_MAX_ORDER) - sizeof(struct page_hdr))
        return NULL;
    spin_lock(&xmalloc_lock);
    p = size <= (1UL << MAX_SHIFT) ? alloc_small(size) : alloc_large(size);
    spin_unlock(&xmalloc_lock);
    return p;
}

void *xzalloc_bytes(size_t size)
{
    void *p = xmalloc_bytes(size);

    if (p)
        memset(p, 0, size);
    return p;
}

static void free_small(struct page_hdr *h, void *p)
{
    size_t off = (size_t)((char *)p - (char *)h);
    size_t obj = 1UL << h->shift;
    struct free_obj *o = p;

    if (off < sizeof(*h) || off % obj) {
        printk("xfree: %p is not an object start; ignored\n", p);
        return;
    }
    for (struct free_obj *f = h->free; f; f = f->next)
        if (f == o) {
            printk("xfree: double free of %p ignored\n", p);
            return;
        }
    o->next = h->free;
    h->free = o;
    if (h->free_count++ == 0)
        list_add(&h->link, &partial[h->shift - MIN_SHIFT]);
    if (h->free_count == h->capacity) {
        list_del(&h->link);
        h->magic = 0;
        backend->free_pages(h, 0);
        pages_in_use--;
    }
}

void xfree(void *p)
{
    struct page_hdr *h = (struct page_hdr *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));

    if (!p)
        return;
    spin_lock(&xmalloc_lock);
    /* Range-check the class and order too: a stray magic match must not steer us wild. */
    if (h->magic == SLAB_MAGIC && h->shift >= MIN_SHIFT && h->shift <= MAX_SHIFT) {
        free_small(h, p);
    } else if (h->magic == LARGE_MAGIC && h->shift <= LARGE_MAX_ORDER && p == (void *)(h + 1)) {
        h->magic = 0;
        pages_in_use -= 1UL << h->shift;
        backend->free_pages(h, h->shift);
    } else {
        printk("xfree: %p was not allocated by xmalloc; ignored\n", p);
    }
    spin_unlock(&xmalloc_lock);
}

size_t xmalloc_pages_in_use(void)
{
    return pages_in_use;
}
