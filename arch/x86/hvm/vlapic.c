/*
 * The emulated local APIC (see asm/vlapic.h): one register model serves the xAPIC page and
 * the x2APIC MSRs. Fixed interrupts go through IRR/ISR/TPR as on hardware; IPIs reach the
 * vCPUs of the same domain only. INIT takes a vCPU down and a SIPI starts a down vCPU in
 * real mode (kernel/sched/core.c does both where the vCPU is not running).
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <asm/vlapic.h>
#include <kumo/domain.h>
#include <kumo/sched.h>

static struct vlapic *vl(struct vcpu *v)
{
    return &v->arch.vlapic;
}

static bool x2apic_mode(const struct vlapic *l)
{
    return l->apic_base & APIC_BASE_EXTD;
}

static bool lapic_enabled(const struct vlapic *l)
{
    return (l->apic_base & APIC_BASE_ENABLE) && (l->svr & APIC_SVR_ENABLE);
}

uint32_t vlapic_id(const struct vcpu *v)
{
    return v->id * 2;
}

/* x2APIC logical id: cluster in bits 31:16, one bit of 16 below (SDM Vol 3A 11.12.10.2). */
static uint32_t x2apic_ldr(const struct vcpu *v)
{
    uint32_t id = vlapic_id(v);

    return (id >> 4) << 16 | 1u << (id & 0xF);
}

void vlapic_reset(struct vcpu *v)
{
    struct vlapic *l = vl(v);
    /* INIT leaves the APIC_BASE MSR (and x2APIC mode) as it was; power-on enables xAPIC. */
    uint64_t base = l->apic_base ? l->apic_base :
                    VLAPIC_BASE | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0);

    memset(l, 0, sizeof(*l));
    l->apic_base = base;
    l->dfr = 0xFFFFFFFF;
    l->svr = 0xFF;
    for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
        l->lvt[i] = APIC_LVT_MASKED;
}

static int highest_bit(const uint32_t *bits)
{
    for (int i = 7; i >= 0; i--) {
        uint32_t w = __atomic_load_n(&bits[i], __ATOMIC_ACQUIRE);

        if (w)
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

/* Processor priority: the higher class of TPR and the highest in-service vector. */
static uint32_t ppr(const struct vlapic *l)
{
    int isr = highest_bit(l->isr);
    uint32_t isr_class = isr < 0 ? 0 : (uint32_t)isr & 0xF0;

    return (l->tpr & 0xF0) >= isr_class ? l->tpr & 0xFF : isr_class;
}

int vlapic_deliverable(const struct vcpu *v)
{
    const struct vlapic *l = &v->arch.vlapic;
    int irr = highest_bit(l->irr);

    if (!lapic_enabled(l) || irr < 0 || ((uint32_t)irr & 0xF0) <= (ppr(l) & 0xF0))
        return -1;
    return irr;
}

int vlapic_highest_irr(const struct vcpu *v)
{
    const struct vlapic *l = &v->arch.vlapic;

    return lapic_enabled(l) ? highest_bit(l->irr) : -1;
}

int vlapic_held_by_tpr(const struct vcpu *v)
{
    const struct vlapic *l = &v->arch.vlapic;
    int irr = highest_bit(l->irr), isr = highest_bit(l->isr);
    uint32_t irr_class = (uint32_t)irr & 0xF0;

    if (!lapic_enabled(l) || irr < 0 || irr_class > (l->tpr & 0xF0) ||
        (isr >= 0 && irr_class <= ((uint32_t)isr & 0xF0)))
        return -1;
    return irr;
}

void vlapic_accept(struct vcpu *v, uint8_t vector)
{
    struct vlapic *l = vl(v);

    __atomic_fetch_and(&l->irr[vector / 32], ~(1u << (vector % 32)), __ATOMIC_ACQ_REL);
    l->isr[vector / 32] |= 1u << (vector % 32);
}

void vlapic_set_irq(struct vcpu *v, uint8_t vector)
{
    __atomic_fetch_or(&vl(v)->irr[vector / 32], 1u << (vector % 32), __ATOMIC_ACQ_REL);
    vcpu_kick(v);
}

static void eoi(struct vlapic *l)
{
    int isr = highest_bit(l->isr);

    if (isr >= 0)
        l->isr[isr / 32] &= ~(1u << (isr % 32));
}

/* Does t's LAPIC answer to dest (physical id or logical mask, in the sender's format)? */
static bool dest_matches(const struct vcpu *t, uint32_t dest, bool logical, bool x2apic)
{
    const struct vlapic *l = &t->arch.vlapic;
    uint32_t ldr;

    if (x2apic) {
        if (dest == 0xFFFFFFFF)
            return true;
        if (!logical)
            return dest == vlapic_id(t);
        ldr = x2apic_ldr(t);
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF);
    }
    dest &= 0xFF;
    if (dest == 0xFF)
        return true;
    if (!logical)
        return dest == (vlapic_id(t) & 0xFF);
    ldr = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xF)                      /* flat model: a bit per APIC */
        return ldr & dest;
    return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xF);    /* cluster model */
}

static void deliver(struct vcpu *from, struct vcpu *t, uint32_t icr)
{
    uint8_t vector = icr & 0xFF;
    struct hvm_vcpu_state start;

    switch ((icr >> 8) & 7) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (vector < 16) {
            /*
             * SDM Vol 3A 11.5.3: the sender sees "send illegal vector", the receiver
             * "receive illegal vector"; a self-IPI is both. Nothing is delivered.
             */
            __atomic_fetch_or(&vl(from)->esr_pending, APIC_ESR_SEND_ILLEGAL, __ATOMIC_RELAXED);
            __atomic_fetch_or(&vl(t)->esr_pending, APIC_ESR_RECV_ILLEGAL, __ATOMIC_RELAXED);
            return;
        }
        vlapic_set_irq(t, vector);
        return;
    case APIC_DM_NMI:
        __atomic_store_n(&vl(t)->nmi_pending, true, __ATOMIC_RELEASE);
        vcpu_kick(t);
        return;
    case APIC_DM_INIT:
        /* The de-assert only resynchronises arbitration ids; a vCPU cannot INIT itself. */
        if ((!(icr & APIC_ICR_ASSERT) && (icr & APIC_ICR_LEVEL)) || t == from)
            return;
        vcpu_down(t);
        return;
    case APIC_DM_STARTUP:
        hvm_state_sipi(&start, vector);
        vcpu_start(t, &start);                  /* ignored unless t is down */
        return;
    }
    /* SMI and the reserved modes: nothing to do for a PVH guest. */
}

static void send_ipi(struct vcpu *v, uint32_t icr, uint32_t dest)
{
    struct domain *d = v->domain;
    unsigned int shorthand = (icr >> 18) & 3;

    for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *t = d->vcpus[i];
        bool hit;

        switch (shorthand) {
        case APIC_SH_SELF:   hit = t == v; break;
        case APIC_SH_ALL:    hit = true; break;
        case APIC_SH_OTHERS: hit = t != v; break;
        default:
            hit = dest_matches(t, dest, icr & APIC_ICR_LOGICAL, x2apic_mode(vl(v)));
            break;
        }
        if (!hit)
            continue;
        deliver(v, t, icr);
        /* Lowest priority goes to one APIC: the first that matches is as good as any. */
        if (((icr >> 8) & 7) == APIC_DM_LOWEST && shorthand == APIC_SH_NONE)
            return;
    }
}

static uint32_t *lvt_reg(struct vlapic *l, unsigned int offset)
{
    if (offset == APIC_LVT_CMCI)
        return &l->lvt[0];
    if (offset >= APIC_LVT_TIMER && offset <= APIC_LVT_ERROR)
        return &l->lvt[1 + (offset - APIC_LVT_TIMER) / 16];
    return NULL;
}

/* Register read; false when offset is no register in the current mode. */
static bool read_reg(struct vcpu *v, unsigned int offset, uint32_t *val)
{
    struct vlapic *l = vl(v);
    bool x2 = x2apic_mode(l);
    uint32_t *lvt = lvt_reg(l, offset);

    if (lvt) {
        *val = *lvt;
        return true;
    }
    if (offset >= APIC_ISR && offset < APIC_ISR + 0x80) {
        *val = l->isr[(offset - APIC_ISR) / 16];
        return true;
    }
    if (offset >= APIC_TMR && offset < APIC_TMR + 0x80) {
        *val = l->tmr[(offset - APIC_TMR) / 16];
        return true;
    }
    if (offset >= APIC_IRR && offset < APIC_IRR + 0x80) {
        *val = __atomic_load_n(&l->irr[(offset - APIC_IRR) / 16], __ATOMIC_ACQUIRE);
        return true;
    }
    switch (offset) {
    case APIC_ID:    *val = x2 ? vlapic_id(v) : vlapic_id(v) << 24; return true;
    case APIC_LVR:   *val = VLAPIC_VERSION; return true;
    case APIC_TPR:   *val = l->tpr; return true;
    case APIC_PPR:   *val = ppr(l); return true;
    case APIC_LDR:   *val = x2 ? x2apic_ldr(v) : l->ldr; return true;
    case APIC_SVR:   *val = l->svr; return true;
    case APIC_ESR:   *val = l->esr; return true;
    case APIC_ICR:   *val = l->icr; return true;       /* delivery status: always idle */
    case APIC_TMICT: *val = l->timer_initial; return true;
    case APIC_TMCCT: *val = 0; return true;            /* no timer: it never counts */
    case APIC_TDCR:  *val = l->timer_divide; return true;
    case APIC_APR:
    case APIC_DFR:
    case APIC_ICR2:
        if (x2)
            return false;
        *val = offset == APIC_DFR ? l->dfr : offset == APIC_ICR2 ? l->icr2 : 0;
        return true;
    }
    return false;
}

static void write_svr(struct vlapic *l, uint32_t val)
{
    l->svr = val & 0x3FF;                           /* vector, enable, focus check */
    if (!(val & APIC_SVR_ENABLE))                   /* software disable masks every LVT */
        for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
            l->lvt[i] |= APIC_LVT_MASKED;
}

/* Register write; dest is the ICR destination (x2APIC: the MSR's high half). */
static bool write_reg(struct vcpu *v, unsigned int offset, uint32_t val, uint32_t dest)
{
    struct vlapic *l = vl(v);
    bool x2 = x2apic_mode(l);
    uint32_t *lvt = lvt_reg(l, offset);

    if (lvt) {
        /* vector, delivery mode, status, polarity, trigger, mask, timer mode */
        *lvt = val & 0x7F7FF;
        if (!(l->svr & APIC_SVR_ENABLE))
            *lvt |= APIC_LVT_MASKED;
        return true;
    }
    switch (offset) {
    case APIC_TPR:   l->tpr = val & 0xFF; return true;
    case APIC_EOI:   eoi(l); return true;
    case APIC_SVR:   write_svr(l, val); return true;
    case APIC_ESR:                              /* latches the errors since the last write */
        l->esr = __atomic_exchange_n(&l->esr_pending, 0, __ATOMIC_RELAXED);
        return true;
    case APIC_TMICT: l->timer_initial = val; return true;
    case APIC_TDCR:  l->timer_divide = val & 0xB; return true;
    case APIC_ICR:
        l->icr = val & ~(1u << 12);
        if (x2)
            l->icr2 = dest;
        else
            dest = l->icr2 >> 24;
        send_ipi(v, val, dest);
        return true;
    case APIC_SELF_IPI:
        if (!x2)
            return false;
        if ((val & 0xFF) >= 16)
            vlapic_set_irq(v, val & 0xFF);
        else                                        /* sent and received: both errors */
            __atomic_fetch_or(&l->esr_pending, APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL,
                              __ATOMIC_RELAXED);
        return true;
    case APIC_ID:
        return !x2;                                 /* read-only here; x2APIC: #GP */
    case APIC_LDR:
    case APIC_DFR:
    case APIC_ICR2:
        if (x2)
            return false;
        if (offset == APIC_LDR)
            l->ldr = val & 0xFF000000;
        else if (offset == APIC_DFR)
            l->dfr = val | 0x0FFFFFFF;
        else
            l->icr2 = val & 0xFF000000;
        return true;
    }
    return false;
}

bool vlapic_mmio_claims(const struct vcpu *v, uint64_t gpa)
{
    const struct vlapic *l = &v->arch.vlapic;

    return (gpa & ~0xFFFULL) == VLAPIC_BASE && (l->apic_base & APIC_BASE_ENABLE) &&
           !x2apic_mode(l);
}

/* Reads of holes in the page give 0 and writes to them are dropped, as on hardware. */
void vlapic_mmio_read(struct vcpu *v, unsigned int offset, uint32_t *val)
{
    if ((offset & 0xF) || !read_reg(v, offset, val))
        *val = 0;
}

void vlapic_mmio_write(struct vcpu *v, unsigned int offset, uint32_t val)
{
    if (!(offset & 0xF))
        write_reg(v, offset, val, 0);
}

/* APIC_BASE: only the xAPIC base, and the enable/x2APIC transitions of SDM Vol 3A 11.12.5. */
static bool write_apic_base(struct vcpu *v, uint64_t val)
{
    struct vlapic *l = vl(v);
    uint64_t mode = val & (APIC_BASE_ENABLE | APIC_BASE_EXTD);
    uint64_t old = l->apic_base & (APIC_BASE_ENABLE | APIC_BASE_EXTD);

    if ((val & ~(uint64_t)(APIC_BASE_ENABLE | APIC_BASE_EXTD | APIC_BASE_BSP)) != VLAPIC_BASE)
        return false;                               /* no relocation, no reserved bits */
    if (mode == APIC_BASE_EXTD)
        return false;                               /* x2APIC without enable: invalid */
    if (old == (APIC_BASE_ENABLE | APIC_BASE_EXTD) && mode == APIC_BASE_ENABLE)
        return false;                               /* x2APIC -> xAPIC must disable first */
    l->apic_base = (l->apic_base & APIC_BASE_BSP) | VLAPIC_BASE | mode;
    return true;
}

bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vlapic *l = vl(v);
    uint32_t low;

    if (msr == MSR_APIC_BASE) {
        *val = l->apic_base;
        return true;
    }
    if (msr < 0x800 || msr > 0x8FF || !x2apic_mode(l) || msr == 0x800 + APIC_EOI / 16 ||
        msr == 0x800 + APIC_SELF_IPI / 16)
        return false;                               /* write-only registers: #GP */
    if (!read_reg(v, (msr - 0x800) * 16, &low))
        return false;
    *val = low;
    if (msr == 0x800 + APIC_ICR / 16)
        *val |= (uint64_t)l->icr2 << 32;
    return true;
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    unsigned int offset = (msr - 0x800) * 16;

    if (msr == MSR_APIC_BASE)
        return write_apic_base(v, val);
    if (msr < 0x800 || msr > 0x8FF || !x2apic_mode(vl(v)))
        return false;
    /* Only the ICR is 64 bits wide; EOI and ESR take nothing but 0 (SDM Vol 3A 11.12.1.2). */
    if (offset != APIC_ICR && (val >> 32))
        return false;
    if ((offset == APIC_EOI || offset == APIC_ESR) && val)
        return false;
    return write_reg(v, offset, (uint32_t)val, (uint32_t)(val >> 32));
}
