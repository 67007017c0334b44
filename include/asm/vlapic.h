/*
 * The emulated local APIC of each vCPU (issue 4; linux-pvh-abi.md section 4.4): xAPIC
 * registers at 0xFEE00000 (reached through nested-paging faults and arch/x86/hvm/mmio.c)
 * and x2APIC MSRs 0x800-0x8FF. It holds IRR/ISR/TPR for fixed interrupts, sends IPIs (fixed,
 * NMI, INIT, SIPI) to the vCPUs of its own domain, and has no timer: PVH guests use Xen's
 * clock events. APIC ids are 2 x vCPU, as Xen numbers them.
 */
#ifndef ASM_VLAPIC_H
#define ASM_VLAPIC_H

#include <kumo/types.h>

#define VLAPIC_BASE         0xFEE00000UL
#define VLAPIC_VERSION      0x00050014u     /* integrated APIC, 6 LVT entries (as Xen) */
#define VLAPIC_NR_LVT       7               /* CMCI, timer, thermal, PMC, LINT0, LINT1, error */

#define APIC_BASE_BSP       (1u << 8)
#define APIC_BASE_EXTD      (1u << 10)      /* x2APIC mode */
#define APIC_BASE_ENABLE    (1u << 11)

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + offset / 16 (SDM Vol 3A 11.12). */
#define APIC_ID             0x020
#define APIC_LVR            0x030
#define APIC_TPR            0x080
#define APIC_APR            0x090
#define APIC_PPR            0x0A0
#define APIC_EOI            0x0B0
#define APIC_RRR            0x0C0
#define APIC_LDR            0x0D0
#define APIC_DFR            0x0E0
#define APIC_SVR            0x0F0
#define APIC_ISR            0x100
#define APIC_TMR            0x180
#define APIC_IRR            0x200
#define APIC_ESR            0x280
#define APIC_LVT_CMCI       0x2F0
#define APIC_ICR            0x300
#define APIC_ICR2           0x310
#define APIC_LVT_TIMER      0x320
#define APIC_LVT_ERROR      0x370
#define APIC_TMICT          0x380
#define APIC_TMCCT          0x390
#define APIC_TDCR           0x3E0
#define APIC_SELF_IPI       0x3F0           /* x2APIC only */

#define APIC_SVR_ENABLE     (1u << 8)
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_ESR_SEND_ILLEGAL (1u << 5)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)

/* ICR fields (SDM Vol 3A figure 11-12). */
#define APIC_DM_FIXED       0
#define APIC_DM_LOWEST      1
#define APIC_DM_SMI         2
#define APIC_DM_NMI         4
#define APIC_DM_INIT        5
#define APIC_DM_STARTUP     6
#define APIC_ICR_LOGICAL    (1u << 11)
#define APIC_ICR_ASSERT     (1u << 14)
#define APIC_ICR_LEVEL      (1u << 15)
#define APIC_SH_NONE        0
#define APIC_SH_SELF        1
#define APIC_SH_ALL         2
#define APIC_SH_OTHERS      3

struct vcpu;

struct vlapic {
    uint32_t irr[8];                /* set by any pCPU (atomically), taken by the owner */
    uint32_t isr[8];                /* owner only */
    uint32_t tmr[8];
    uint64_t apic_base;             /* the APIC_BASE MSR */
    uint32_t tpr, svr, ldr, dfr, icr, icr2;
    uint32_t esr, esr_pending;      /* errors show in ESR after the next ESR write */
    uint32_t lvt[VLAPIC_NR_LVT];
    uint32_t timer_initial, timer_divide;
    bool nmi_pending;               /* set by any pCPU, cleared when injected */
};

/* Power-on/INIT state of v's LAPIC (enabled, xAPIC mode, everything masked). */
void vlapic_reset(struct vcpu *v);
/* The APIC id of v: 2 x vCPU index. */
uint32_t vlapic_id(const struct vcpu *v);

/* A 32-bit access at offset in the xAPIC page; holes read 0 and drop writes, as on hardware. */
void vlapic_mmio_read(struct vcpu *v, unsigned int offset, uint32_t *val);
void vlapic_mmio_write(struct vcpu *v, unsigned int offset, uint32_t val);
/* True when gpa is v's xAPIC page (enabled, not in x2APIC mode). */
bool vlapic_mmio_claims(const struct vcpu *v, uint64_t gpa);
/* APIC_BASE and the x2APIC range. False: not a LAPIC MSR, or a #GP on hardware. */
bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* The highest vector v can take now (above its PPR), or -1. */
int vlapic_deliverable(const struct vcpu *v);
/* The highest vector requested of v, whatever its priority, or -1 (TPR shadow's threshold). */
int vlapic_highest_irr(const struct vcpu *v);
/*
 * The highest requested vector that only v's TPR holds back (the in-service ones do not), or
 * -1: lowering TPR below its class is what lets it in, so SVM arms an exit for that.
 */
int vlapic_held_by_tpr(const struct vcpu *v);
/* The vendor injected vector: it moves from IRR to ISR. */
void vlapic_accept(struct vcpu *v, uint8_t vector);
/* Raises vector (16-255) in v's IRR and wakes or kicks it. Any pCPU. */
void vlapic_set_irq(struct vcpu *v, uint8_t vector);

#endif
