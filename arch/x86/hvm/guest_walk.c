/*
 * Guest virtual memory access for hypercall arguments: a software walk of the guest's own
 * page tables in its current mode (none, 32-bit, PAE, 4-level), with the present, write and
 * user checks the hardware would apply. Nothing here can fault the hypervisor: every table
 * read goes through copy_from_guest_phys.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/mm.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define ADDR_52 0x000FFFFFFFFFF000ULL

static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Translates one address; false when the walk fails or the access is not permitted. */
static bool walk(struct vcpu *v, const struct hvm_paging *p, uint64_t va, bool write,
                 uint64_t *gpa)
{
    bool user = p->cpl == 3, wp = p->cr0 & X86_CR0_WP;
    bool lma = p->efer & EFER_LMA, pae = p->cr4 & X86_CR4_PAE;
    unsigned int levels = lma ? 4 : pae ? 3 : 2, entry_bytes = levels == 2 ? 4 : 8;
    uint64_t table = p->cr3 & (levels == 3 ? 0xFFFFFFE0ULL : ADDR_52);
    uint64_t e = 0;

    if (!(p->cr0 & X86_CR0_PG)) {
        *gpa = va & 0xFFFFFFFFULL;
        return va <= 0xFFFFFFFFULL;
    }
    if (lma ? !canonical(va) : va > 0xFFFFFFFFULL)
        return false;
    for (unsigned int level = levels; level >= 1; level--) {
        unsigned int shift = levels == 2 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
        unsigned int index = (unsigned int)(va >> shift) &
                             (levels == 2 ? 1023 : levels == 3 && level == 3 ? 3 : 511);

        e = 0;
        if (!copy_from_guest_phys(v->domain, &e, table + index * entry_bytes, entry_bytes))
            return false;
        if (!(e & PTE_P))
            return false;
        /* The PAE PDPTEs (level 3 of 3) carry no RW/US bits. */
        if (!(levels == 3 && level == 3)) {
            if (write && !(e & PTE_RW) && (user || wp))
                return false;
            if (user && !(e & PTE_US))
                return false;
        }
        if (level > 1 && (e & PTE_PS) && level <= (levels == 2 ? 2u : 3u) &&
            !(levels == 3 && level == 3)) {
            uint64_t size = 1ULL << shift;
            uint64_t base = levels == 2 ? (e & 0xFFC00000ULL) : (e & ADDR_52 & ~(size - 1));

            *gpa = base | (va & (size - 1));
            return true;
        }
        table = levels == 2 ? (e & 0xFFFFF000ULL) : (e & ADDR_52);
    }
    *gpa = table | (va & 0xFFF);
    return true;
}

static int copy_guest_virt(struct vcpu *v, uint64_t gva, void *buf, size_t len, bool to)
{
    struct hvm_paging p;

    if (compat_xlat_owns(v, gva))
        return compat_xlat_copy(v, gva, buf, len, to);
    hvm_ops->get_paging(v, &p);
    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        uint64_t gpa;
        bool ok;

        if (!walk(v, &p, gva, to, &gpa))
            return -XEN_EFAULT;
        ok = to ? copy_to_guest_phys(v->domain, gpa, buf, chunk)
                : copy_from_guest_phys(v->domain, buf, gpa, chunk);
        if (!ok)
            return -XEN_EFAULT;
        gva += chunk;
        buf = (char *)buf + chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_guest_virt(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
    return copy_guest_virt(v, gva, dst, len, false);
}

int copy_to_guest_virt(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
    return copy_guest_virt(v, gva, (void *)src, len, true);
}

/* One line, printed whole: another CPU's report may be logging at the same time. */
static void log_walk(struct vcpu *v, const char *what, uint64_t va)
{
    char line[320];
    int used;
    struct hvm_paging p;
    uint64_t table;

    hvm_ops->get_paging(v, &p);
    if (!(p.cr0 & X86_CR0_PG) || !(p.efer & EFER_LMA))
        return;
    table = p.cr3 & ADDR_52;
    used = snprintf(line, sizeof(line), "d%u vCPU %u walk of %s %#lx:", v->domain->domid, v->id,
                    what, (unsigned long)va);
    for (unsigned int level = 4; level >= 1 && used > 0 && (size_t)used < sizeof(line); level--) {
        uint64_t e = 0, gpa = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
        unsigned long mfn = 0;
        bool mapped = gfn_to_mfn(v->domain, (unsigned long)(gpa >> PAGE_SHIFT), &mfn);

        copy_from_guest_phys(v->domain, &e, gpa, 8);
        used += snprintf(line + used, sizeof(line) - (size_t)used, " L%u %#lx(mfn %#lx%s)=%#lx",
                         level, (unsigned long)gpa, mfn, mapped ? "" : "?", (unsigned long)e);
        if (!(e & PTE_P) || (level > 1 && (e & PTE_PS)))
            break;
        table = e & ADDR_52;
    }
    printk("%s\n", line);
}

void hvm_log_shutdown_context(struct vcpu *v, uint64_t rip, uint64_t cr2)
{
    struct domain *d = v->domain;

    /* A walk that fails in the CPU but not here points at what changed the tables. */
    printk("d%u p2m: %lu changes, the last (gfn %#lx) %ld us ago\n", d->domid, d->p2m_changes,
           d->p2m_last_gfn, (long)((NOW() - d->p2m_last_change) / 1000));
    log_walk(v, "rip", rip);
    log_walk(v, "cr2", cr2);
    page_poison_report(d);
}
