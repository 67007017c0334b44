/*
 * What a guest frame holds (kernel/physmap.c): the only code that populates, releases or
 * places pages in a domain's guest-physical space. Except domain_populate (the builder's,
 * before the domain runs), every call is made with d->page_lock held.
 */
#ifndef KUMO_PHYSMAP_H
#define KUMO_PHYSMAP_H

#include <kumo/list.h>

struct domain;
struct page_info;

/*
 * Guest-physical layout: RAM from 0 up to the MMIO hole, the rest from 4 GiB. Gives d
 * `bytes` of RAM in that layout (2 MiB pages where possible). 0 or -ENOMEM.
 */
int domain_populate(struct domain *d, uint64_t bytes);

/*
 * Bounds the p2m's tables once the domain is about to run: what the builder needed plus
 * xl's default paging pool. Past it every mapping that needs a table gets -ENOMEM.
 */
void physmap_seal(struct domain *d);

/*
 * Flushes every CPU that may cache d's old translations (waiting for them), then drops
 * the allocation reference of each page taken from d. A page still referenced (a
 * registered vcpu_info, a mapping) lives on until its last put_page().
 */
void domain_put_taken(struct domain *d, struct list_head *pages);

/*
 * Gives d a zeroed block of 2^order frames at gfn (the balloon's populate_physmap).
 * 0; -ENOMEM when max_pages would be passed, the p2m's tables have reached their pool,
 * the heap is empty or the block it got ends above max_addr (bytes, 0 = no limit);
 * -EBUSY when a frame of the range is already mapped; -EINVAL for a range beyond
 * P2M_MAX_GFN.
 */
int domain_populate_gfn(struct domain *d, unsigned long gfn, unsigned int order,
                        uint64_t max_addr);

/*
 * Unmaps gfn, deciding by the type its p2m entry holds: RAM leaves d (tot_pages
 * included) and joins `taken` for domain_put_taken(); shared_info is only unmapped; a
 * foreign mapping is flushed and its reference dropped at once. False, nothing changed,
 * for a hole or another type.
 */
bool physmap_remove(struct domain *d, unsigned long gfn, struct list_head *taken);

/*
 * Maps shared_info at gpfn: the RAM page there leaves the guest (freed once nothing else
 * holds it), its old home becomes a hole. 0 or -ENOMEM (the p2m's pool is spent).
 */
int physmap_set_shared_info(struct domain *d, unsigned long gpfn);
/* The same for any page the hypervisor shares with d (mfn), *at its gfn (~0: nowhere). */
int physmap_set_special(struct domain *d, unsigned long mfn, unsigned long *at,
                        unsigned long gpfn);

/*
 * Foreign mappings (kernel/physmap_foreign.c): a privileged domain maps another domain's
 * page at one of its own gfns (XENMAPSPACE_gmfn_foreign). Each mapping holds a reference
 * on the page, so a page of a destroyed domain lives until its last mapping goes.
 */
struct foreign_map {
    unsigned long gfn;
    struct page_info *pg;
};

/*
 * Maps fd's frame fgfn at d's gfn, releasing what was there (RAM is freed, shared_info
 * unhooked, an older foreign page put) after a flush. Takes each domain's page_lock in
 * turn, never both. 0; -EPERM when d is not privileged or fd is d; -EINVAL when fgfn is
 * not fd's memory or gfn is beyond the p2m; -ENOMEM (bounded table, p2m pool).
 */
int physmap_add_foreign(struct domain *d, struct domain *fd, unsigned long fgfn,
                        unsigned long gfn);

/*
 * Unmaps a foreign mapping at gfn: flushes d's translations, then drops its page
 * reference. False when gfn holds none. d->page_lock held.
 */
bool physmap_remove_foreign(struct domain *d, unsigned long gfn);

/* d's end: drops every foreign mapping's reference (its vCPUs run nowhere any more). */
void physmap_foreign_release(struct domain *d);

#endif
