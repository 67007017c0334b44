/* The per-domain nested page tables (arch/x86/hvm/p2m.c). */
#ifndef ASM_P2M_H
#define ASM_P2M_H

#include <kumo/domain.h>

/* Four levels of tables translate 48-bit guest-physical addresses. */
#define P2M_MAX_GFN (1UL << 36)

/* Allocates the root table. 0 or -ENOMEM; undone by p2m_teardown(). */
int p2m_init(struct domain *d);
void p2m_teardown(struct domain *d);
/*
 * What an entry maps, which fixes its permissions: the p2m code alone turns a type into
 * an entry. The type is stored in the entry itself (bits 52..55, which NPT and EPT leave
 * to software), so a lookup answers what a frame holds without any side table.
 */
enum p2m_type {
    p2m_invalid,                /* nothing: a hole, whose data accesses are emulated */
    p2m_ram_rw,                 /* the domain's RAM */
    p2m_ram_ro,                 /* RAM it may read and run, not write */
    p2m_special,                /* a page the hypervisor writes: data only */
    p2m_foreign,                /* another domain's frame, mapped by a privileged one: data */
    P2M_NR_TYPES
};

static inline bool p2m_is_ram(enum p2m_type t)
{
    return t == p2m_ram_rw || t == p2m_ram_ro;
}

/* Whether a frame of memory backs the entry (everything but a hole). */
static inline bool p2m_has_page(enum p2m_type t)
{
    return t != p2m_invalid;
}

/* Maps nr frames gfn.. -> mfn.. as type t. 0 or -ENOMEM (earlier entries stay). */
int p2m_map_range(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr,
                  enum p2m_type t);

/*
 * Removes gfn's mapping (a later access is an NPF/EPT violation). 0, or -ENOMEM when a
 * 2 MiB mapping around it could not be split (it then stays mapped).
 */
int p2m_clear_entry(struct domain *d, unsigned long gfn);

/*
 * After entries were removed or replaced: every vCPU of d drops its cached translations
 * before it next runs guest code, and one in guest mode on another CPU is made to exit;
 * returns when none can still use a translation from before the call. Pages unmapped
 * before it may then be freed.
 */
void p2m_flush_sync(struct domain *d);
/* Debugging (page_poison): prints every live domain's p2m entry that maps mfn; how many. Unlocked. */
unsigned int p2m_report_mappers(unsigned long mfn, bool print);

/* Vendor entry path: called with interrupts off just before entering; true = flush now. */
bool p2m_enter_guest(struct vcpu *v);
/* ... and right after the exit. */
void p2m_leave_guest(struct vcpu *v);

/*
 * What gfn maps in d: its type, and (when a frame backs it) the frame in *mfn (may be
 * NULL). p2m_invalid for a hole or a gfn beyond the p2m. Under d->page_lock once the
 * domain runs (entries change only under it).
 */
enum p2m_type p2m_lookup(struct domain *d, unsigned long gfn, unsigned long *mfn);
/* p2m_lookup's type, taking d->page_lock itself. */
enum p2m_type p2m_type_of(struct domain *d, unsigned long gfn);
/* Whether an entry of type t lets the guest make the access (reads always, if mapped). */
bool p2m_type_allows(enum p2m_type t, bool write, bool fetch);

/*
 * A reference on the page gfn maps in d (RAM or a special page), or NULL. The caller
 * drops it with put_page() once done with the frame.
 */
struct page_info *p2m_get_page(struct domain *d, unsigned long gfn);

#endif
