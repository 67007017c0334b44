/*
 * CPUID for guests: the host's leaves with what we do not virtualise hidden, and Xen's
 * leaves at 0x40000000 (linux-pvh-abi.md section 2) so PVH kernels recognise the platform.
 */
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/time.h>
#include <kumo/xen_abi.h>

#define XEN_LEAF_BASE 0x40000000
#define KUMO_XEN_MAJOR 4
#define KUMO_XEN_MINOR 17

/*
 * CPUID.1:ECX bits: VMX 5, SMX 6, MONITOR 3, TSC-deadline 24, XSAVE 26, OSXSAVE 27 hidden,
 * and PDCM 15 (MSR 0x345, PERF_CAPABILITIES, is not emulated; Xen hides it without a vPMU);
 * x2APIC (21) shown, since vlapic.c emulates its MSRs. EDX bit 9: an APIC is present.
 */
#define HIDE_1_ECX ((1u << 3) | (1u << 5) | (1u << 6) | (1u << 15) | (1u << 24) | (1u << 26) | \
                    (1u << 27))
#define X2APIC_BIT (1u << 21)
#define APIC_BIT   (1u << 9)
#define HYPERVISOR_BIT (1u << 31)
/*
 * RDTSCP (0x80000001 EDX 27) and RDPID (7.0 ECX 22) read IA32_TSC_AUX, which kumo does not
 * virtualise; under VT-x without the "enable RDTSCP" control both raise #UD, and Linux
 * patches its clock read (rdtsc_ordered) to RDTSCP when it sees the bit. TSC_ADJUST (7.0
 * EBX 1): MSR 0x3B is not emulated, and Linux reads it unchecked when the bit is set.
 */
#define RDTSCP_BIT     (1u << 27)
#define RDPID_BIT      (1u << 22)
#define TSC_ADJUST_BIT (1u << 1)
/* ACPI (1 EDX 22) with TM1 (1 EDX 29) make Linux program MSR 0x19B, which Xen hides too. */
#define THERMAL_1_EDX  ((1u << 22) | (1u << 29))

static void xen_leaf(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    *r = (struct cpuid_regs){ 0, 0, 0, 0 };
    switch (leaf - XEN_LEAF_BASE) {
    case 0:
        r->eax = XEN_LEAF_BASE + 5;
        r->ebx = XEN_CPUID_SIGNATURE_EBX;
        r->ecx = XEN_CPUID_SIGNATURE_ECX;
        r->edx = XEN_CPUID_SIGNATURE_EDX;
        break;
    case 1:
        r->eax = KUMO_XEN_MAJOR << 16 | KUMO_XEN_MINOR;
        break;
    case 2:
        r->eax = 1;                     /* one hypercall page */
        r->ebx = 0x40000000;            /* its MSR */
        break;
    case 3:
        /* TSC information: guests see the host TSC (plus an offset) at its real rate. */
        if (sub == 0)
            r->ecx = (uint32_t)tsc_khz;         /* EBX tsc_mode 0: default */
        else if (sub == 2)
            r->eax = (uint32_t)tsc_khz;
        break;
    case 4:
        r->eax = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT;
        r->ebx = v->id;
        r->ecx = v->domain->domid;
        break;
    }
}

/*
 * Leaf 0xB, the x2APIC topology: ids are 2 x vCPU, so one thread of two per core shows at
 * the SMT level (shift 1), and every vCPU is a core of one package (shift 8 fits 64 x 2).
 */
static void x2apic_topology(struct vcpu *v, uint32_t sub, struct cpuid_regs *r)
{
    *r = (struct cpuid_regs){ 0, 0, sub & 0xFF, vlapic_id(v) };
    if (sub == 0) {
        r->eax = 1;
        r->ebx = 1;
        r->ecx |= 1u << 8;              /* level type 1: SMT */
    } else if (sub == 1) {
        r->eax = 8;
        r->ebx = v->domain->nr_vcpus;
        r->ecx |= 2u << 8;              /* level type 2: core */
    }
}

void hvm_cpuid(struct vcpu *v)
{
    struct guest_regs *g = &v->arch.regs;
    uint32_t leaf = (uint32_t)g->rax, sub = (uint32_t)g->rcx;
    struct cpuid_regs r;

    if (leaf >= XEN_LEAF_BASE && leaf < XEN_LEAF_BASE + 0x100) {
        xen_leaf(v, leaf, sub, &r);
    } else {
        cpuid_count(leaf, sub, &r);
        switch (leaf) {
        case 1:
            r.ecx = (r.ecx & ~HIDE_1_ECX) | HYPERVISOR_BIT | X2APIC_BIT;
            r.edx = (r.edx | APIC_BIT) & ~THERMAL_1_EDX;
            /* Initial APIC id in EBX[31:24]: 2 x vCPU, as Xen numbers them. */
            r.ebx = (r.ebx & 0x0000FFFF) | (v->id * 2) << 24 |
                    (uint32_t)MIN(v->domain->nr_vcpus * 2, 255u) << 16;
            break;
        case 5:                         /* MONITOR/MWAIT */
        case 6:                         /* thermal and power */
            r = (struct cpuid_regs){ 0, 0, 0, 0 };
            break;
        case 7:
            if (sub == 0) {
                r.ebx &= ~((1u << 2) | (1u << 10) | TSC_ADJUST_BIT);   /* SGX, INVPCID */
                r.ecx &= ~RDPID_BIT;
            }
            r.ecx &= ~(1u << 5);                      /* WAITPKG */
            break;
        case 0xB:
            x2apic_topology(v, sub, &r);
            break;
        case 0xD:                       /* XSAVE is hidden with it */
            r = (struct cpuid_regs){ 0, 0, 0, 0 };
            break;
        case 0x80000001:
            r.ecx &= ~(1u << 2);        /* SVM */
            r.edx &= ~RDTSCP_BIT;
            break;
        case 0x8000000A:                /* SVM features */
            r = (struct cpuid_regs){ 0, 0, 0, 0 };
            break;
        }
    }
    g->rax = r.eax;
    g->rbx = r.ebx;
    g->rcx = r.ecx;
    g->rdx = r.edx;
}
