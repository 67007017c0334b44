/*
 * MSRs for guests: the ones a 64-bit kernel needs live in the VMCS/VMCB (vendor hooks), the
 * LAPIC's (APIC_BASE, x2APIC) in vlapic.c, machine check in vmce.c, the hypercall-page MSR
 * fills a page, and the model-specific ones stock kernels probe answer as Xen 4.17 answers
 * an HVM guest (table below, docs/msrs.md). Everything else raises #GP as on hardware.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <asm/vmce.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>

#define MSR_IA32_DEBUGCTL      0x1D9
#define DEBUGCTL_LBR           (1ULL << 0)
#define DEBUGCTL_BTF           (1ULL << 1)
#define MSR_XEN_HYPERCALL_PAGE 0x40000000
#define MSR_SYSENTER_CS        0x174
#define MSR_SYSENTER_ESP       0x175
#define MSR_SYSENTER_EIP       0x176
#define MSR_PAT                0x277
#define MSR_LSTAR              0xC0000082
#define MSR_CSTAR              0xC0000083
#define MSR_SFMASK             0xC0000084
#define HYPERCALL_STUB_SIZE    32

enum { INTEL = 1, AMD = 2, ANY = 3 };

enum msr_kind {
    READS_VALUE,                /* reads `value`, writes are dropped */
    READ_ONLY,                  /* reads `value`, writes #GP */
    WRITE_SAME,                 /* reads `value`, writes of anything else #GP */
    WRITE_ONLY,                 /* reads #GP, writes are dropped */
};

struct msr_answer {
    uint32_t first, last;
    uint8_t vendors;
    uint8_t kind;
    uint64_t value;
};

/*
 * Xen 4.17: guest_rdmsr/guest_wrmsr (msr.c), hvm_msr_*_intercept (hvm.c) and the VMX/SVM
 * intercepts with the vPMU off. Xen decides some by the host's vendor, some by the guest's;
 * kumo's guests see the host's, so one vendor test does for both.
 */
static const struct msr_answer answers[] = {
    { 0x17, 0x17, INTEL, READ_ONLY, 0 },                /* PLATFORM_ID */
    { 0x3A, 0x3A, INTEL, READ_ONLY, 1 },                /* FEATURE_CONTROL: locked */
    { 0x79, 0x79, INTEL, WRITE_ONLY, 0 },               /* BIOS_UPDT_TRIG */
    { 0x8B, 0x8B, INTEL, WRITE_SAME, 0 },               /* BIOS_SIGN_ID: "write 0, CPUID, read" */
    { 0x8B, 0x8B, AMD, READ_ONLY, 0 },                  /* PATCH_LEVEL */
    { 0xC1, 0xC8, INTEL, READS_VALUE, 0 },              /* PERFCTR0-7 */
    { 0xCE, 0xCE, ANY, READ_ONLY, 0 },                  /* PLATFORM_INFO: no CPUID faulting */
    { 0xFE, 0xFE, ANY, READ_ONLY, 0 },                  /* MTRRcap: no ranges */
    { 0x140, 0x140, ANY, WRITE_SAME, 0 },               /* MISC_FEATURES_ENABLES */
    { 0x186, 0x189, INTEL, READS_VALUE, 0 },            /* PERFEVTSEL0-3 */
    { 0x198, 0x198, INTEL, READ_ONLY, 0 },              /* PERF_STATUS */
    { 0x199, 0x199, INTEL, READS_VALUE, 0 },            /* PERF_CTL */
    { 0x19C, 0x19C, INTEL, READ_ONLY, 0 },              /* THERM_STATUS */
    /* MISC_ENABLE: fast strings; BTS (bit 11) and PEBS (bit 12) unavailable. */
    { 0x1A0, 0x1A0, INTEL, WRITE_SAME, 0x1801 },
    { 0x1DB, 0x1DE, AMD, READS_VALUE, 0 },              /* LASTBRANCH/LASTINT FROM/TO IP */
    { 0x2FF, 0x2FF, ANY, READ_ONLY, 0 },                /* MTRRdefType: MTRRs off */
    { 0x309, 0x30B, INTEL, READS_VALUE, 0 },            /* FIXED_CTR0-2 */
    { 0x38D, 0x390, INTEL, READS_VALUE, 0 },            /* FIXED_CTR_CTRL .. GLOBAL_OVF_CTRL */
    { 0x3F1, 0x3F1, INTEL, READS_VALUE, 0 },            /* PEBS_ENABLE */
    { 0x600, 0x600, INTEL, READS_VALUE, 0 },            /* DS_AREA */
    { 0xC0010000, 0xC0010007, AMD, READS_VALUE, 0 },    /* PERF_CTL0-3, PERF_CTR0-3 */
    { 0xC0010010, 0xC0010010, AMD, READS_VALUE, 0 },    /* SYSCFG */
    { 0xC0010015, 0xC0010015, AMD, READ_ONLY, 0 },      /* HWCR */
    { 0xC001001A, 0xC001001A, AMD, READS_VALUE, 0 },    /* TOP_MEM */
    { 0xC001001D, 0xC001001D, AMD, READS_VALUE, 0 },    /* TOP_MEM2 */
    { 0xC001001F, 0xC001001F, ANY, READS_VALUE, 0 },    /* NB_CFG */
    { 0xC0010020, 0xC0010020, AMD, WRITE_ONLY, 0 },     /* PATCH_LOADER */
    { 0xC0010055, 0xC0010055, ANY, READ_ONLY, 0 },      /* INT_PENDING (C1E) */
    { 0xC0010114, 0xC0010114, AMD, READS_VALUE, 0 },    /* VM_CR */
    { 0xC0010200, 0xC001020B, AMD, READS_VALUE, 0 },    /* PERF_CTL0-5/PERF_CTR0-5 (fam 15h) */
    { 0xC0011029, 0xC0011029, AMD, READS_VALUE, 2 },    /* DE_CFG: LFENCE serialises */
    { 0xC001102C, 0xC001102C, AMD, READS_VALUE, 0 },    /* EX_CFG */
};

/* The vendor the guest sees in CPUID leaf 0 (the host's): AMD or Hygon, else Intel-like. */
static bool guest_amd(void)
{
    static int amd = -1;
    struct cpuid_regs r;

    if (amd < 0) {
        cpuid(0, &r);
        amd = r.ebx == 0x68747541 /* "Auth" */ || r.ebx == 0x6f677948 /* "Hygo" */;
    }
    return amd;
}

static const struct msr_answer *find_answer(uint32_t msr)
{
    uint8_t vendor = guest_amd() ? AMD : INTEL;

    for (unsigned int i = 0; i < ARRAY_SIZE(answers); i++)
        if (msr >= answers[i].first && msr <= answers[i].last && (answers[i].vendors & vendor))
            return &answers[i];
    return NULL;
}

/*
 * DEBUGCTL is stored, not applied: LBR and BTF are not emulated. Xen's VMX path takes
 * LBR and BTF only (no BTS, no RTM here); its SVM path stores any value in the VMCB.
 */
static enum msr_result debugctl(struct vcpu *v, bool write, uint64_t *val)
{
    if (!write)
        *val = v->arch.debugctl;
    else if (!guest_amd() && (*val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF)))
        return MSR_GP;
    else
        v->arch.debugctl = *val;
    return MSR_DONE;
}

/* Xen's answer for msr, or MSR_UNHANDLED when the table and vMCE have none. */
static enum msr_result xen_answer(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
    const struct msr_answer *a;
    enum msr_result rc;

    if (msr == MSR_IA32_DEBUGCTL)
        return debugctl(v, write, val);
    rc = write ? vmce_msr_write(v, guest_amd(), msr, *val) : vmce_msr_read(v, guest_amd(), msr, val);
    if (rc != MSR_UNHANDLED)
        return rc;
    a = find_answer(msr);
    if (!a)
        return MSR_UNHANDLED;
    if (!write) {
        *val = a->value;
        return a->kind == WRITE_ONLY ? MSR_GP : MSR_DONE;
    }
    if (a->kind == READ_ONLY || (a->kind == WRITE_SAME && *val != a->value))
        return MSR_GP;
    return MSR_DONE;
}

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

static bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Each byte one of UC, WC, WT, WP, WB, UC- (SDM Vol 3A 11.12.2); 2, 3 and 8+ are reserved. */
static bool pat_valid(uint64_t pat)
{
    for (unsigned int i = 0; i < 8; i++) {
        uint8_t type = (uint8_t)(pat >> (8 * i));

        if (type > 7 || type == 2 || type == 3)
            return false;
    }
    return true;
}

/* EFER.LME may change only with paging off; SVME, LMSLE, FFXSR and the rest are not ours. */
static bool efer_valid(struct vcpu *v, uint64_t val)
{
    struct hvm_paging p;

    if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
        return false;
    if ((val & EFER_NXE) && !cpu_has(0x80000001, 3, 20))
        return false;
    hvm_ops->get_paging(v, &p);
    return !((p.efer ^ val) & EFER_LME) || !(p.cr0 & X86_CR0_PG);
}

/*
 * The values the vendor code puts into the VMCS/VMCB or the hardware MSRs must be ones the
 * hardware takes: a bad one is the guest's #GP here, never a failed entry or a host fault.
 */
static bool msr_value_valid(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        return is_canonical(val);
    case MSR_SFMASK:
    case MSR_SYSENTER_CS:
        return !(val >> 32);
    case MSR_PAT:
        return pat_valid(val);
    case MSR_EFER:
        return efer_valid(v, val);
    }
    return true;
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    enum msr_result rc;

    if (!msr_value_valid(v, msr, val))
        return false;
    if (msr == MSR_XEN_HYPERCALL_PAGE)
        return write_hypercall_page(v, val);
    if (msr == MSR_APIC_BASE || (msr >= 0x800 && msr <= 0x8FF))
        return vlapic_msr_write(v, msr, val);
    if (hvm_ops->msr_write(v, msr, val))
        return true;
    rc = xen_answer(v, msr, true, &val);
    return rc == MSR_DONE;
}

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    if (hvm_ops->msr_read(v, msr, val) || vlapic_msr_read(v, msr, val))
        return true;
    return xen_answer(v, msr, false, val) == MSR_DONE;
}

bool hvm_msr(struct vcpu *v, bool write)
{
    struct guest_regs *g = &v->arch.regs;
    uint32_t msr = (uint32_t)g->rcx;
    uint64_t val = (g->rdx << 32) | (uint32_t)g->rax;
    bool ok = write ? msr_write(v, msr, val) : msr_read(v, msr, &val);

    if (ok && !write) {
        g->rax = (uint32_t)val;
        g->rdx = val >> 32;
    }
    if (!ok)
        hvm_ops->inject_exception(v, 13, true, 0);
    return ok;
}
