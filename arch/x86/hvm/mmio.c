/*
 * Guest accesses to guest-physical addresses without RAM: the xAPIC page's registers, and
 * frames no device claims (the MMIO hole, ballooned-out frames), which read all-ones and
 * drop writes as Xen's null handler does for a PVH domain without a device model. The
 * nested-paging fault gives the address, the MOV at RIP the size, the register and the
 * length. Only 32-bit accesses reach the LAPIC, as the SDM requires (Vol 3A 11.4.1).
 */
#include <asm/hvm.h>
#include <asm/mov_decode.h>
#include <asm/vlapic.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>

static uint64_t *gpr(struct guest_regs *g, unsigned int n)
{
    uint64_t *by_number[16] = { &g->rax, &g->rcx, &g->rdx, &g->rbx, &g->rsp, &g->rbp,
                                &g->rsi, &g->rdi, &g->r8, &g->r9, &g->r10, &g->r11,
                                &g->r12, &g->r13, &g->r14, &g->r15 };

    return by_number[n & 15];
}

/* Up to 15 bytes at CS:RIP; fewer where the next page is not mapped. */
static unsigned int fetch(struct vcpu *v, const struct hvm_paging *p, uint8_t *buf)
{
    uint64_t at = p->cs_base + v->arch.regs.rip;
    unsigned int n = 0;

    if (p->cs_bits != 64)
        at &= 0xFFFFFFFF;
    while (n < 15 && !copy_from_guest_virt(v, buf + n, at + n, 1))
        n++;
    return n;
}

static bool decode(struct vcpu *v, uint64_t gpa, bool write, struct mov_insn *insn)
{
    struct hvm_paging p;
    uint8_t bytes[15];
    unsigned int n;

    hvm_ops->get_paging(v, &p);
    n = fetch(v, &p, bytes);
    if (mov_decode(bytes, n, p.cs_bits, insn) || insn->write != write) {
        domain_crash(v->domain, "unsupported instruction for the access to %#lx at rip %#lx "
                     "(%02x %02x %02x)", (unsigned long)gpa, (unsigned long)v->arch.regs.rip,
                     n > 0 ? bytes[0] : 0, n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0);
        return false;
    }
    return true;
}

/* A load into the decoded register, as the CPU writes it (SDM Vol 1 3.4.1.1). */
static void load(struct vcpu *v, const struct mov_insn *insn, uint64_t val)
{
    uint64_t *reg = gpr(&v->arch.regs, insn->reg);

    if (insn->size < 8)
        val &= (1ULL << (8 * insn->size)) - 1;      /* MOVZX widens what was read */
    if (insn->high_byte)
        *reg = (*reg & ~0xFF00ULL) | (val & 0xFF) << 8;
    else if (insn->reg_size == 1)
        *reg = (*reg & ~0xFFULL) | val;
    else if (insn->reg_size == 2)
        *reg = (*reg & ~0xFFFFULL) | val;
    else
        *reg = val;                         /* a 32-bit load zero-extends */
}

bool hvm_mmio(struct vcpu *v, uint64_t gpa, bool write)
{
    struct mov_insn insn;
    uint32_t val;

    if (!decode(v, gpa, write, &insn))
        return false;
    if (insn.size != 4 || insn.reg_size != 4 || (gpa & 3)) {
        domain_crash(v->domain, "%u-byte LAPIC access at %#lx: only aligned 32-bit ones exist",
                     insn.size, (unsigned long)gpa);
        return false;
    }
    if (write) {
        vlapic_mmio_write(v, gpa & 0xFFF,
                          (uint32_t)(insn.has_imm ? insn.imm : *gpr(&v->arch.regs, insn.reg)));
    } else {
        vlapic_mmio_read(v, gpa & 0xFFF, &val);
        load(v, &insn, val);
    }
    v->arch.regs.rip += insn.len;
    return true;
}

bool hvm_mmio_unbacked(struct vcpu *v, uint64_t gpa, bool write)
{
    struct mov_insn insn;

    if (!decode(v, gpa, write, &insn))
        return false;
    if (!write)
        load(v, &insn, ~0ULL);
    v->arch.regs.rip += insn.len;
    return true;
}
