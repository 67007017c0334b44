/*
 * A kernel boot module as the domain builder reads it: a plain ELF as it is, or a Linux
 * bzImage whose payload is found and, when compressed, unpacked into pages of its own.
 */
#ifndef KUMO_KERNEL_IMAGE_H
#define KUMO_KERNEL_IMAGE_H

#include <kumo/types.h>

struct kernel_image {
    const void *elf;                    /* the ELF to load: in the module or in buf */
    size_t len;
    void *buf;                          /* pages of the unpacked payload, or NULL */
    unsigned long nr_pages;
};

/*
 * Fills k from the module [data, data + len). owner names the domain for the log line an
 * unpacked payload earns. 0, or a negative errno with *why set to a reason that names the
 * payload's format; nothing is left allocated then. Undone by kernel_image_put().
 */
int kernel_image_get(const void *data, size_t len, const char *owner, struct kernel_image *k,
                     const char **why);
/* Frees what kernel_image_get() allocated; k->elf is invalid afterwards. */
void kernel_image_put(struct kernel_image *k);

#endif
