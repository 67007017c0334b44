/*
 * The hypervisor's page tables: the image at -2 GiB (shared with the boot tables) and a
 * direct map of all physical memory at DIRECTMAP_VIRT_START, in 1 GiB pages where the CPU
 * has them and 2 MiB pages otherwise. The low identity map of boot is dropped.
 */
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/mm.h>

/* 2 MiB mappings of up to 63 GiB need one PDPT and one PD per GiB. */
#define PT_POOL_PAGES 64

static uint64_t idle_pml4[512] __attribute__((aligned(4096)));
static uint64_t pt_pool[PT_POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned int pt_pool_used;
extern uint64_t boot_pml4[512];

uint64_t directmap_end;
paddr_t idle_pg_table_pa;

static uint64_t *pt_alloc(void)
{
    return pt_pool_used < PT_POOL_PAGES ? pt_pool[pt_pool_used++] : NULL;
}

void paging_init(uint64_t ram_end)
{
    uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? _PAGE_NX : 0;
    uint64_t span = ROUNDUP(MAX(ram_end, 4ULL << 30), 1ULL << 30);
    bool gb_pages = cpu_has_page1gb();
    uint64_t *pdpt = pt_alloc();
    uint64_t gb;

    if (span > DIRECTMAP_MAX_BYTES)
        span = DIRECTMAP_MAX_BYTES;
    for (gb = 0; gb < (span >> 30); gb++) {
        uint64_t base = gb << 30;
        uint64_t *pd;

        if (gb_pages) {
            pdpt[gb] = base | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | nx;
            continue;
        }
        pd = pt_alloc();
        if (!pd)
            break;
        for (unsigned int i = 0; i < 512; i++)
            pd[i] = (base + ((uint64_t)i << 21)) | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | nx;
        pdpt[gb] = __pa(pd) | _PAGE_PRESENT | _PAGE_RW;
    }
    directmap_end = gb << 30;
    if (directmap_end < ram_end)
        printk(KLOG_WARNING "Memory above %lu GiB is not mapped and will not be used\n",
               (unsigned long)(directmap_end >> 30));

    /* boot_pml4 is linked at its physical address, still identity-mapped here. */
    idle_pml4[PT_INDEX(KERNEL_VIRT_OFFSET, L4_SHIFT)] =
        boot_pml4[PT_INDEX(KERNEL_VIRT_OFFSET, L4_SHIFT)];
    idle_pml4[PT_INDEX(DIRECTMAP_VIRT_START, L4_SHIFT)] = __pa(pdpt) | _PAGE_PRESENT | _PAGE_RW;
    idle_pg_table_pa = __pa(idle_pml4);
    write_cr3(idle_pg_table_pa);
}
