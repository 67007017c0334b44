/*
 * Host tests for arch/x86/hvm/vlapic.c: priorities (TPR, PPR, ISR nesting), EOI, IRR
 * delivery rules, ESR latching, destination matching (physical, flat and cluster logical,
 * x2APIC clusters, shorthands), INIT/SIPI/NMI routing, APIC_BASE mode changes and the
 * x2APIC MSR rules. The scheduler calls it makes are recorded instead.
 */
#include "../../arch/x86/hvm/vlapic.c"
#include "harness.h"

#define NR 4

static struct domain dom;
static struct vcpu vcpus[NR];
static unsigned int kicks[NR], downs[NR], starts[NR];
static uint8_t start_vector[NR];

void vcpu_kick(struct vcpu *v)
{
    kicks[v->id]++;
}

void vcpu_down(struct vcpu *v)
{
    downs[v->id]++;
}

int vcpu_start(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    starts[v->id]++;
    start_vector[v->id] = (uint8_t)(s->cs.base >> 12);
    return 0;
}

void hvm_state_sipi(struct hvm_vcpu_state *s, uint8_t vector)
{
    memset(s, 0, sizeof(*s));
    s->cs.base = (uint64_t)vector << 12;
}

static void setup(void)
{
    memset(&dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(kicks, 0, sizeof(kicks));
    memset(downs, 0, sizeof(downs));
    memset(starts, 0, sizeof(starts));
    dom.nr_vcpus = NR;
    for (unsigned int i = 0; i < NR; i++) {
        vcpus[i].id = i;
        vcpus[i].domain = &dom;
        dom.vcpus[i] = &vcpus[i];
        vlapic_reset(&vcpus[i]);
        vlapic_mmio_write(&vcpus[i], APIC_SVR, 0x1FF);
    }
}

static uint32_t reg(struct vcpu *v, unsigned int offset)
{
    uint32_t val;

    vlapic_mmio_read(v, offset, &val);
    return val;
}

TEST(reset_state_and_ids)
{
    setup();
    CHECK_EQ(vcpus[0].arch.vlapic.apic_base, 0xFEE00900);
    CHECK_EQ(vcpus[1].arch.vlapic.apic_base, 0xFEE00800);
    CHECK_EQ(reg(&vcpus[3], APIC_ID), 6u << 24);
    CHECK_EQ(reg(&vcpus[0], APIC_LVR), 0x50014);
    CHECK_EQ(reg(&vcpus[0], APIC_LVT_TIMER), APIC_LVT_MASKED);
    CHECK_EQ(reg(&vcpus[0], APIC_DFR), 0xFFFFFFFF);
    CHECK_EQ(reg(&vcpus[0], 0x3A0), 0);             /* a hole reads 0 */
    CHECK(vlapic_mmio_claims(&vcpus[0], 0xFEE00300));
    CHECK(!vlapic_mmio_claims(&vcpus[0], 0xFEE01000));
}

TEST(priority_tpr_isr_and_eoi)
{
    struct vcpu *v = &vcpus[0];

    setup();
    CHECK_EQ(vlapic_deliverable(v), -1);
    vlapic_set_irq(v, 0x40);
    vlapic_set_irq(v, 0x61);
    CHECK_EQ(kicks[0], 2);
    CHECK_EQ(vlapic_deliverable(v), 0x61);
    vlapic_accept(v, 0x61);
    CHECK_EQ(reg(v, APIC_ISR + 0x30), 1u << 1);
    CHECK_EQ(reg(v, APIC_PPR), 0x60);
    CHECK_EQ(vlapic_deliverable(v), -1);            /* 0x40 waits behind class 6 in service */
    vlapic_set_irq(v, 0x65);
    CHECK_EQ(vlapic_deliverable(v), -1);            /* same class: no nesting */
    vlapic_set_irq(v, 0x71);
    CHECK_EQ(vlapic_deliverable(v), 0x71);          /* higher class nests */
    vlapic_accept(v, 0x71);
    vlapic_mmio_write(v, APIC_EOI, 0);              /* ends 0x71, the highest in service */
    CHECK_EQ(reg(v, APIC_ISR + 0x30), 1u << 1);
    vlapic_mmio_write(v, APIC_EOI, 0);
    CHECK_EQ(vlapic_deliverable(v), 0x65);
    vlapic_accept(v, 0x65);
    vlapic_mmio_write(v, APIC_EOI, 0);
    vlapic_mmio_write(v, APIC_TPR, 0x50);
    CHECK_EQ(reg(v, APIC_PPR), 0x50);
    CHECK_EQ(vlapic_deliverable(v), -1);            /* 0x40 is below TPR class 5 */
    vlapic_mmio_write(v, APIC_TPR, 0x3F);
    CHECK_EQ(vlapic_deliverable(v), 0x40);
}

TEST(software_disable_masks)
{
    struct vcpu *v = &vcpus[1];

    setup();
    vlapic_mmio_write(v, APIC_LVT_ERROR, 0xFE);
    CHECK_EQ(reg(v, APIC_LVT_ERROR), 0xFE);
    vlapic_set_irq(v, 0x80);
    vlapic_mmio_write(v, APIC_SVR, 0xFF);
    CHECK_EQ(vlapic_deliverable(v), -1);
    CHECK_EQ(reg(v, APIC_LVT_ERROR), 0x100FE);
    vlapic_mmio_write(v, APIC_LVT_ERROR, 0xFE);     /* stays masked while disabled */
    CHECK_EQ(reg(v, APIC_LVT_ERROR), 0x100FE);
}

TEST(esr_latches_on_write)
{
    struct vcpu *v = &vcpus[0];

    setup();
    vlapic_mmio_write(v, APIC_ICR, APIC_SH_SELF << 18 | 7);    /* vector < 16 */
    CHECK_EQ(reg(v, APIC_ESR), 0);
    vlapic_mmio_write(v, APIC_ESR, 0);
    CHECK_EQ(reg(v, APIC_ESR), APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL);
    vlapic_mmio_write(v, APIC_ESR, 0);
    CHECK_EQ(reg(v, APIC_ESR), 0);
    CHECK_EQ(vlapic_deliverable(v), -1);
}

TEST(illegal_vector_sets_send_on_sender_and_receive_on_target)
{
    setup();
    vlapic_mmio_write(&vcpus[0], APIC_ICR2, (2u * 1) << 24);       /* vCPU 1's APIC id */
    vlapic_mmio_write(&vcpus[0], APIC_ICR, 3);                      /* fixed, vector 3 */
    vlapic_mmio_write(&vcpus[0], APIC_ESR, 0);
    vlapic_mmio_write(&vcpus[1], APIC_ESR, 0);
    CHECK_EQ(reg(&vcpus[0], APIC_ESR), APIC_ESR_SEND_ILLEGAL);
    CHECK_EQ(reg(&vcpus[1], APIC_ESR), APIC_ESR_RECV_ILLEGAL);
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), -1);
}

static void ipi(struct vcpu *from, uint32_t dest8, uint32_t icr)
{
    vlapic_mmio_write(from, APIC_ICR2, dest8 << 24);
    vlapic_mmio_write(from, APIC_ICR, icr);
}

TEST(destinations_physical_logical_shorthand)
{
    setup();
    ipi(&vcpus[0], 4, 0x50);                        /* physical id 4 = vCPU 2 */
    CHECK_EQ(vlapic_deliverable(&vcpus[2]), 0x50);
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), -1);
    ipi(&vcpus[0], 0xFF, 0x51);                     /* physical broadcast */
    for (unsigned int i = 0; i < NR; i++)
        CHECK_EQ(reg(&vcpus[i], APIC_IRR + 0x20), 1u << 17 | (i == 2 ? 1u << 16 : 0));
    setup();
    /* Flat logical: vCPU 1 bit 1, vCPU 3 bit 3; a mask of both reaches both. */
    vlapic_mmio_write(&vcpus[1], APIC_LDR, 0x02000000);
    vlapic_mmio_write(&vcpus[3], APIC_LDR, 0x08000000);
    ipi(&vcpus[0], 0x0A, APIC_ICR_LOGICAL | 0x52);
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), 0x52);
    CHECK_EQ(vlapic_deliverable(&vcpus[3]), 0x52);
    CHECK_EQ(vlapic_deliverable(&vcpus[2]), -1);
    /* Cluster model: cluster 1 member bit 0 only. */
    setup();
    for (unsigned int i = 0; i < NR; i++)
        vlapic_mmio_write(&vcpus[i], APIC_DFR, 0x0FFFFFFF);
    vlapic_mmio_write(&vcpus[2], APIC_LDR, 0x11000000);
    vlapic_mmio_write(&vcpus[3], APIC_LDR, 0x21000000);
    ipi(&vcpus[0], 0x11, APIC_ICR_LOGICAL | 0x53);
    CHECK_EQ(vlapic_deliverable(&vcpus[2]), 0x53);
    CHECK_EQ(vlapic_deliverable(&vcpus[3]), -1);
    /* Shorthands: self, all-but-self. */
    setup();
    ipi(&vcpus[1], 0, APIC_SH_SELF << 18 | 0x54);
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), 0x54);
    CHECK_EQ(vlapic_deliverable(&vcpus[0]), -1);
    ipi(&vcpus[1], 0, APIC_SH_OTHERS << 18 | 0x55);
    CHECK_EQ(vlapic_deliverable(&vcpus[0]), 0x55);
    CHECK_EQ(vlapic_deliverable(&vcpus[3]), 0x55);
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), 0x54);
    /* Lowest priority: exactly one of the matching APICs. */
    setup();
    ipi(&vcpus[0], 0xFF, APIC_DM_LOWEST << 8 | 0x56);
    CHECK_EQ((vlapic_deliverable(&vcpus[0]) == 0x56) + (vlapic_deliverable(&vcpus[1]) == 0x56) +
             (vlapic_deliverable(&vcpus[2]) == 0x56) + (vlapic_deliverable(&vcpus[3]) == 0x56), 1);
}

TEST(nmi_init_sipi)
{
    setup();
    ipi(&vcpus[0], 2, APIC_DM_NMI << 8);
    CHECK(vcpus[1].arch.vlapic.nmi_pending);
    CHECK(!vcpus[2].arch.vlapic.nmi_pending);
    ipi(&vcpus[0], 4, APIC_DM_INIT << 8 | APIC_ICR_ASSERT | APIC_ICR_LEVEL);
    ipi(&vcpus[0], 4, APIC_DM_INIT << 8 | APIC_ICR_LEVEL);           /* de-assert: nothing */
    CHECK_EQ(downs[2], 1);
    ipi(&vcpus[0], 4, APIC_DM_STARTUP << 8 | 0x9A);
    CHECK_EQ(starts[2], 1);
    CHECK_EQ(start_vector[2], 0x9A);
    ipi(&vcpus[0], 0, APIC_SH_ALL << 18 | APIC_DM_INIT << 8 | APIC_ICR_ASSERT);
    CHECK_EQ(downs[0], 0);                          /* not itself */
    CHECK_EQ(downs[1] + downs[2] + downs[3], 4);
}

TEST(x2apic_mode_and_msrs)
{
    struct vcpu *v = &vcpus[3];
    uint64_t val;

    setup();
    CHECK(!vlapic_msr_read(v, 0x802, &val));        /* xAPIC mode: no x2APIC MSRs */
    CHECK(!vlapic_msr_write(v, MSR_APIC_BASE, 0xFEE00400));        /* EXTD without EN */
    CHECK(!vlapic_msr_write(v, MSR_APIC_BASE, 0xFED00800));        /* relocation */
    CHECK(vlapic_msr_write(v, MSR_APIC_BASE, 0xFEE00C00));
    CHECK(!vlapic_mmio_claims(v, 0xFEE00020));
    CHECK(vlapic_msr_read(v, 0x802, &val));
    CHECK_EQ(val, 6);
    CHECK(vlapic_msr_read(v, 0x80D, &val));         /* LDR: cluster 0, bit 6 */
    CHECK_EQ(val, 1u << 6);
    CHECK(!vlapic_msr_write(v, 0x80D, 0));          /* LDR is read-only */
    CHECK(!vlapic_msr_read(v, 0x80B, &val));        /* EOI is write-only */
    CHECK(!vlapic_msr_write(v, 0x80B, 1));          /* and takes only 0 */
    CHECK(!vlapic_msr_write(v, 0x808, 1ULL << 32)); /* only the ICR is 64-bit */
    CHECK(vlapic_msr_write(v, 0x83F, 0x44));        /* SELF_IPI */
    CHECK_EQ(vlapic_deliverable(v), 0x44);
    /* ICR: 32-bit destination in the high half; physical id 2 is vCPU 1. */
    CHECK(vlapic_msr_write(v, 0x830, 2ULL << 32 | 0x45));
    CHECK_EQ(vlapic_deliverable(&vcpus[1]), 0x45);
    /* x2APIC logical: cluster 0, bits 0 and 2 = vCPUs 0 and 1. */
    CHECK(vlapic_msr_write(v, 0x830, 5ULL << 32 | APIC_ICR_LOGICAL | 0x46));
    CHECK_EQ(vlapic_deliverable(&vcpus[0]), 0x46);
    CHECK(!vlapic_msr_write(v, MSR_APIC_BASE, 0xFEE00800));        /* x2APIC -> xAPIC */
    CHECK(vlapic_msr_write(v, MSR_APIC_BASE, 0xFEE00000));         /* disable first */
    CHECK(vlapic_msr_write(v, MSR_APIC_BASE, 0xFEE00800));
    CHECK(vlapic_msr_read(v, MSR_APIC_BASE, &val));
    CHECK_EQ(val, 0xFEE00800);
}

int main(void)
{
    RUN(reset_state_and_ids);
    RUN(priority_tpr_isr_and_eoi);
    RUN(software_disable_masks);
    RUN(esr_latches_on_write);
    RUN(illegal_vector_sets_send_on_sender_and_receive_on_target);
    RUN(destinations_physical_logical_shorthand);
    RUN(nmi_init_sipi);
    RUN(x2apic_mode_and_msrs);
    HARNESS_EXIT();
}
