/* The per-domain nested page tables (arch/x86/hvm/p2m.c). */
#ifndef ASM_P2M_H
#define ASM_P2M_H

#include <kumo/domain.h>

/* Four levels of tables translate 48-bit guest-physical addresses. */
#define P2M_MAX_GFN (1UL << 36)

/* Allocates the root table. 0 or -ENOMEM; undone by p2m_teardown(). */
int p2m_init(struct domain *d);
void p2m_teardown(struct domain *d);
/* Maps nr frames gfn.. -> mfn.. with perms. 0 or -ENOMEM (earlier entries stay). */
int p2m_map_range(struct domain *d, unsigned long gfn, unsigned long mfn, unsigned long nr,
                  unsigned int perms);

/*
 * Removes gfn's mapping (a later access is an NPF/EPT violation). 0, or -ENOMEM when a
 * 2 MiB mapping around it could not be split (it then stays mapped).
 */
int p2m_clear_entry(struct domain *d, unsigned long gfn);

#endif
