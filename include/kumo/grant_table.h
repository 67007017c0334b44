/*
 * Grant tables (kernel/grant_table.c): the part a guest needs to set its table up, in Xen
 * 4.17's v1 layout. Mapping and copying other domains' grants come later.
 */
#ifndef KUMO_GRANT_TABLE_H
#define KUMO_GRANT_TABLE_H

#include <stdint.h>

#define GNTTAB_MAX_FRAMES 64            /* Xen's default max_grant_frames */

struct domain;
struct vcpu;

struct domain_gnttab {
    void *frame[GNTTAB_MAX_FRAMES];     /* the shared entries, allocated as the table grows */
    unsigned long gfn[GNTTAB_MAX_FRAMES];   /* where each is mapped, ~0 for nowhere */
    unsigned int nr_frames, max_frames;
};

/* A new domain's table: one frame, at most Xen's default 64. 0 or -ENOMEM. */
int gnttab_init(struct domain *d);
void gnttab_free(struct domain *d);
/* XENMAPSPACE_grant_table: frame idx (the table grown to it) at gpfn of d. */
long gnttab_map_frame(struct domain *d, unsigned long idx, unsigned long gpfn);
long do_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count,
                       uint64_t a4, uint64_t a5);
long compat_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t uop, uint64_t count,
                           uint64_t a4, uint64_t a5);

#endif
