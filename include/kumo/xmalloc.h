/*
 * Small-object allocator: power-of-two size classes of 16..2048 bytes carved from single
 * pages, larger objects from whole page blocks. Pages come from a backend so the host
 * unit tests can run the real allocator over malloc'd memory.
 */
#ifndef KUMO_XMALLOC_H
#define KUMO_XMALLOC_H

#include <kumo/types.h>

struct xmalloc_backend {
    /* Returns 2^order page-aligned pages or NULL. */
    void *(*alloc_pages)(unsigned int order);
    void (*free_pages)(void *p, unsigned int order);
};

/* Installs the page source; must precede the first xmalloc(). */
void xmalloc_init(const struct xmalloc_backend *backend);

/* Returns memory aligned to min(size rounded up to a power of two, 16) or NULL. */
void *xmalloc_bytes(size_t size);
void *xzalloc_bytes(size_t size);
/* Accepts NULL. Freeing a pointer xmalloc did not return is detected and reported. */
void xfree(void *p);

#define xmalloc(type) ((type *)xmalloc_bytes(sizeof(type)))
#define xzalloc(type) ((type *)xzalloc_bytes(sizeof(type)))
#define xzalloc_array(type, n) ((type *)xzalloc_bytes(sizeof(type) * (n)))

/* Pages currently held from the backend (for leak checks in tests and boot reports). */
size_t xmalloc_pages_in_use(void);

#endif
