/*
 * MSRs for guests: the ones a 64-bit kernel needs live in the VMCS/VMCB (vendor hooks), the
 * LAPIC's (APIC_BASE, x2APIC) in vlapic.c, a few read-only ones come from here, the
 * hypercall-page MSR fills a page, and everything else raises #GP as on hardware.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>

#define MSR_IA32_PLATFORM_ID   0x17
#define MSR_IA32_MISC_ENABLE   0x1A0
#define MSR_MTRR_CAP           0xFE
#define MSR_MTRR_DEF_TYPE      0x2FF
#define MSR_K8_INT_PENDING_MSG 0xC0010055
#define MSR_XEN_HYPERCALL_PAGE 0x40000000
#define HYPERCALL_STUB_SIZE    32

/* Xen's layout: 128 stubs of "mov eax, <nr>; <vmcall|vmmcall>; ret", __HYPERVISOR_iret = ud2. */
static bool write_hypercall_page(struct vcpu *v, uint64_t val)
{
    uint8_t page[PAGE_SIZE];
    const uint8_t *insn = hvm_ops->hypercall_insn;

    if (val & 0xFFF)                    /* only page index 0 exists */
        return false;
    memset(page, 0xCC, sizeof(page));
    for (uint32_t i = 0; i < PAGE_SIZE / HYPERCALL_STUB_SIZE; i++) {
        uint8_t *p = page + i * HYPERCALL_STUB_SIZE;

        if (i == 23) {
            p[0] = 0x0F;
            p[1] = 0x0B;
            continue;
        }
        p[0] = 0xB8;
        memcpy(p + 1, &i, 4);
        memcpy(p + 5, insn, 3);
        p[8] = 0xC3;
    }
    return copy_to_guest_phys(v->domain, val, page, sizeof(page));
}

static bool local_read(uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_PLATFORM_ID:
    case MSR_MTRR_CAP:
    case MSR_MTRR_DEF_TYPE:
    /* Linux reads it on AMD family 0xF/0x10 (erratum 400); 0 = C1E not active, as KVM says. */
    case MSR_K8_INT_PENDING_MSG:
        *val = 0;
        return true;
    case MSR_IA32_MISC_ENABLE:
        *val = 1;                       /* fast strings */
        return true;
    }
    return false;
}

bool hvm_msr(struct vcpu *v, bool write)
{
    struct guest_regs *g = &v->arch.regs;
    uint32_t msr = (uint32_t)g->rcx;
    uint64_t val = (g->rdx << 32) | (uint32_t)g->rax;
    bool ok;

    if (write) {
        if (msr == MSR_XEN_HYPERCALL_PAGE)
            ok = write_hypercall_page(v, val);
        else if (msr == MSR_APIC_BASE || (msr >= 0x800 && msr <= 0x8FF))
            ok = vlapic_msr_write(v, msr, val);
        else
            ok = hvm_ops->msr_write(v, msr, val);
    } else {
        ok = hvm_ops->msr_read(v, msr, &val) || vlapic_msr_read(v, msr, &val) ||
             local_read(msr, &val);
        if (ok) {
            g->rax = (uint32_t)val;
            g->rdx = val >> 32;
        }
    }
    if (!ok)
        hvm_ops->inject_exception(v, 13, true, 0);
    return ok;
}
