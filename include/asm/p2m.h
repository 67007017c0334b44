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
 * an entry. Grant mappings come later, as a type of their own.
 */
enum p2m_type {
    p2m_ram_rw,                 /* the domain's RAM */
    p2m_ram_ro,                 /* RAM it may read and run, not write */
    p2m_special,                /* a page the hypervisor writes: data only */
    p2m_foreign,                /* another domain's page Dom0 maps: data only, referenced */
};

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

/* Vendor entry path: called with interrupts off just before entering; true = flush now. */
bool p2m_enter_guest(struct vcpu *v);
/* ... and right after the exit. */
void p2m_leave_guest(struct vcpu *v);

/*
 * A reference on the page gfn maps in d (RAM or a special page), or NULL. The caller
 * drops it with put_page() once done with the frame.
 */
struct page_info *p2m_get_page(struct domain *d, unsigned long gfn);

#endif
