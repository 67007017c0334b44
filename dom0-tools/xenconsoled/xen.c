/*
 * The guest's console page into xenconsoled, foreign-mapped by frame number as kumo has no
 * grant tables for GNTTAB_RESERVED_CONSOLE yet. The unit tests put a page in memory instead.
 */
#include "xenconsoled.h"
#include "plat/plat.h"

void *xcd_map_ring(uint32_t domid, uint64_t gfn)
{
    return plat_map_foreign(domid, &gfn, 1, NULL);
}

void xcd_unmap_ring(void *page)
{
    plat_unmap_foreign(page, 1);
}
