/*
 * The states a vCPU starts from, in the vendor-neutral struct hvm_vcpu_state: PVH entry,
 * real mode after a SIPI, and the register sets of VCPUOP_initialise (vcpu_hvm_context_t,
 * 32- or 64-bit), checked before any of it reaches a VMCS or VMCB.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <kumo/lib.h>
#include <kumo/xen_abi.h>
#include <xen/hvm/hvm_vcpu.h>

#define ATTR_P      0x80
#define ATTR_S      0x10
#define ATTR_CODE   0x08
#define ATTR_L      0x200

static struct hvm_segment flat_segment(uint16_t sel, uint16_t attr)
{
    return (struct hvm_segment){ sel, attr, 0xFFFFFFFF, 0 };
}

void hvm_state_pvh(struct hvm_vcpu_state *s, uint32_t entry, uint32_t ebx)
{
    /* Flat 32-bit code and data, a busy TSS, no LDT (pvh.pandoc). */
    memset(s, 0, sizeof(*s));
    s->cs = flat_segment(0x08, 0xC9B);
    s->ds = s->es = s->ss = s->fs = s->gs = flat_segment(0x10, 0xC93);
    s->tr = (struct hvm_segment){ 0x18, 0x08B, 0x67, 0 };
    s->ldtr = (struct hvm_segment){ 0, 0x082, 0xFFFF, 0 };
    s->gdtr_limit = s->idtr_limit = 0xFFFF;
    s->cr0 = X86_CR0_PE | X86_CR0_ET;
    s->regs.rip = entry;
    s->regs.rbx = ebx;
    s->regs.rflags = 0x2;
}

void hvm_state_sipi(struct hvm_vcpu_state *s, uint8_t vector)
{
    /* The state of an AP leaving wait-for-SIPI (SDM Vol 3A 9.1.1, table 9-1). */
    memset(s, 0, sizeof(*s));
    s->cs = (struct hvm_segment){ (uint16_t)(vector << 8), 0x09B, 0xFFFF,
                                  (uint64_t)vector << 12 };
    s->ds = s->es = s->ss = s->fs = s->gs = (struct hvm_segment){ 0, 0x093, 0xFFFF, 0 };
    s->tr = (struct hvm_segment){ 0, 0x08B, 0xFFFF, 0 };
    s->ldtr = (struct hvm_segment){ 0, 0x082, 0xFFFF, 0 };
    s->gdtr_limit = s->idtr_limit = 0xFFFF;
    s->cr0 = X86_CR0_ET;
    s->regs.rflags = 0x2;
}

/* The register set of either vcpu_hvm_x86_32 (prefix e) or vcpu_hvm_x86_64 (prefix r). */
#define SET_REGS(s, r, p) do {                                                          \
        (s)->regs.rax = (r)->p##ax; (s)->regs.rcx = (r)->p##cx;                         \
        (s)->regs.rdx = (r)->p##dx; (s)->regs.rbx = (r)->p##bx;                         \
        (s)->regs.rsp = (r)->p##sp; (s)->regs.rbp = (r)->p##bp;                         \
        (s)->regs.rsi = (r)->p##si; (s)->regs.rdi = (r)->p##di;                         \
        (s)->regs.rip = (r)->p##ip; (s)->regs.rflags = (r)->p##flags;                   \
    } while (0)

static struct hvm_segment seg32(uint16_t sel, uint32_t base, uint32_t limit, uint16_t ar)
{
    return (struct hvm_segment){ sel, ar, limit, base };
}

/* Present, and in a limit the granularity bit can express (SDM Vol 3A 3.4.5). */
static bool segment_ok(const struct hvm_segment *h, bool code)
{
    bool g = h->attr & 0x800;

    if (h->attr & 0xF000)
        return false;
    if (!(h->attr & ATTR_P) || !(h->attr & ATTR_S) || !!(h->attr & ATTR_CODE) != code)
        return false;
    return g ? (h->limit & 0xFFF) == 0xFFF : h->limit <= 0xFFFFF;
}

static int from_32(struct hvm_vcpu_state *s, const struct vcpu_hvm_x86_32 *r)
{
    s->cs = seg32(0x08, r->cs_base, r->cs_limit, r->cs_ar);
    s->ds = seg32(0x10, r->ds_base, r->ds_limit, r->ds_ar);
    s->ss = seg32(0x10, r->ss_base, r->ss_limit, r->ss_ar);
    s->es = seg32(0x10, r->es_base, r->es_limit, r->es_ar);
    s->fs = s->gs = s->ds;
    s->tr = seg32(0x18, r->tr_base, r->tr_limit, r->tr_ar ? r->tr_ar : 0x8B);
    if (!segment_ok(&s->cs, true) || !segment_ok(&s->ds, false) ||
        !segment_ok(&s->ss, false) || !segment_ok(&s->es, false) || (s->cs.attr & ATTR_L))
        return -XEN_EINVAL;
    SET_REGS(s, r, e);
    s->cr0 = r->cr0;
    s->cr3 = r->cr3;
    s->cr4 = r->cr4;
    s->efer = r->efer;
    return 0;
}

static void from_64(struct hvm_vcpu_state *s, const struct vcpu_hvm_x86_64 *r)
{
    s->cs = (struct hvm_segment){ 0x08, 0xA9B, 0xFFFFFFFF, 0 };
    s->ds = s->es = s->ss = s->fs = s->gs = (struct hvm_segment){ 0x10, 0xC93, 0xFFFFFFFF, 0 };
    SET_REGS(s, r, r);
    s->cr0 = r->cr0;
    s->cr3 = r->cr3;
    s->cr4 = r->cr4;
    s->efer = r->efer;
}

int hvm_state_from_context(struct hvm_vcpu_state *s, const struct vcpu_hvm_context *ctx)
{
    bool paging, long_mode;

    memset(s, 0, sizeof(*s));
    s->tr = (struct hvm_segment){ 0x18, 0x08B, 0x67, 0 };
    s->ldtr = (struct hvm_segment){ 0, 0x082, 0xFFFF, 0 };
    s->gdtr_limit = s->idtr_limit = 0xFFFF;
    if (ctx->mode == VCPU_HVM_MODE_32B) {
        if (from_32(s, &ctx->cpu_regs.x86_32))
            return -XEN_EINVAL;
    } else if (ctx->mode == VCPU_HVM_MODE_64B) {
        from_64(s, &ctx->cpu_regs.x86_64);
    } else {
        return -XEN_EINVAL;
    }
    /* Protected mode; long mode exactly when EFER.LME, paging and PAE all say so. */
    paging = s->cr0 & X86_CR0_PG;
    long_mode = s->efer & EFER_LME;
    if (!(s->cr0 & X86_CR0_PE) || (s->cr0 >> 32) || (s->cr4 >> 32) ||
        (s->efer & ~(EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE)))
        return -XEN_EINVAL;
    if (long_mode && (!paging || !(s->cr4 & X86_CR4_PAE)))
        return -XEN_EINVAL;
    if (ctx->mode == VCPU_HVM_MODE_64B && !(long_mode && paging))
        return -XEN_EINVAL;
    s->efer = long_mode && paging ? s->efer | EFER_LMA : s->efer & ~EFER_LMA;
    s->cr0 |= X86_CR0_ET;
    s->regs.rflags = (s->regs.rflags & 0x3F7FD7) | 0x2;     /* defined bits only, bit 1 set */
    return 0;
}
