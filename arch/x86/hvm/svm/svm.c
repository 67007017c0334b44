/*
 * AMD SVM with nested paging (AMD APM Vol 2, chapter 15). One VMCB per vCPU; one MSR and
 * one I/O permission map shared by all guests; ASIDs handed out per pCPU by generation.
 * QEMU's SVM has no next-RIP save or decode assists, so instruction lengths are known here.
 */
#include <asm/hvm.h>
#include <asm/p2m.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/mm.h>
#include <kumo/xen_abi.h>

#define MSR_VM_CR       0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117
#define VM_CR_SVMDIS    (1u << 4)
#define EFER_SVME       (1UL << 12)

/* VMCB offsets (APM Vol 2, appendix B). */
#define VMCB_INTERCEPT_CR   0x000
#define VMCB_INTERCEPT_EXC  0x008
#define VMCB_INTERCEPT_MISC1 0x00C
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_PA        0x040
#define VMCB_MSRPM_PA       0x048
#define VMCB_TSC_OFFSET     0x050
#define VMCB_ASID           0x058
#define VMCB_TLB_CTL        0x05C
#define VMCB_VINTR          0x060
#define VMCB_INT_SHADOW     0x068
#define VMCB_EXITCODE       0x070
#define VMCB_EXITINFO1      0x078
#define VMCB_EXITINFO2      0x080
#define VMCB_EXITINTINFO    0x088
#define VMCB_NP_ENABLE      0x090
#define VMCB_EVENTINJ       0x0A8
#define VMCB_NCR3           0x0B0
#define VMCB_SEG(n)         (0x400 + 16 * (n))  /* ES CS SS DS FS GS GDTR LDTR IDTR TR */
#define VMCB_CPL            0x4CB
#define VMCB_EFER           0x4D0
#define VMCB_CR4            0x548
#define VMCB_CR3            0x550
#define VMCB_CR0            0x558
#define VMCB_DR7            0x560
#define DR7_GD              (1ULL << 13)
#define VMCB_DR6            0x568
#define VMCB_RFLAGS         0x570
#define VMCB_RIP            0x578
#define VMCB_RSP            0x5D8
#define VMCB_RAX            0x5F8
#define VMCB_STAR           0x600
#define VMCB_LSTAR          0x608
#define VMCB_CSTAR          0x610
#define VMCB_SFMASK         0x618
#define VMCB_KGS            0x620
#define VMCB_SYSENTER_CS    0x628
#define VMCB_SYSENTER_ESP   0x630
#define VMCB_SYSENTER_EIP   0x638
#define VMCB_CR2            0x640
#define VMCB_GPAT           0x668

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_GDTR, SEG_LDTR, SEG_IDTR, SEG_TR };

/* Exit codes (APM Vol 2, appendix C). */
#define EXIT_CR0_WRITE 0x10
#define EXIT_CR4_WRITE 0x14
#define EXIT_CR8_WRITE 0x18
#define EXIT_EXCP_DB   0x41
#define EXIT_EXCP_UD   0x46
#define EXIT_EXCP_AC   0x51
#define EXIT_EXCP_MC   0x52
#define EXIT_RDPMC     0x6F
#define EXIT_INVD      0x76
#define EXIT_INTR      0x60
#define EXIT_VINTR     0x64
#define EXIT_NMI       0x61
#define EXIT_CPUID     0x72
#define EXIT_HLT       0x78
#define EXIT_IOIO      0x7B
#define EXIT_MSR       0x7C
#define EXIT_SHUTDOWN  0x7F
#define EXIT_VMRUN     0x80
#define EXIT_VMMCALL   0x81
#define EXIT_SKINIT    0x86
#define EXIT_ICEBP     0x88
#define EXIT_WBINVD    0x89
#define EXIT_MONITOR   0x8A
#define EXIT_MWAIT     0x8B
#define EXIT_XSETBV    0x8D
#define EXIT_NPF       0x400
#define EXIT_INVALID   0xFFFFFFFFu

/* Intercept bits, vector 3 (offset 0x0C) and vector 4 (offset 0x10). */
#define I3_INTR     (1u << 0)
#define I3_NMI      (1u << 1)
#define I3_VINTR    (1u << 4)
#define I3_RDPMC    (1u << 15)
#define I3_CPUID    (1u << 18)
#define I3_INVD     (1u << 22)
#define I3_HLT      (1u << 24)
#define I3_IOIO     (1u << 27)
#define I3_MSR      (1u << 28)
#define I3_TASKSW   (1u << 29)
#define I3_SHUTDOWN (1u << 31)
#define I4_SVM_INSNS 0x7Fu        /* VMRUN VMMCALL VMLOAD VMSAVE STGI CLGI SKINIT */
#define I4_ICEBP    (1u << 8)
#define I4_WBINVD   (1u << 9)
#define I4_MONITOR  (1u << 10)
#define I4_MWAIT    (1u << 11)
#define I4_XSETBV   (1u << 13)

void svm_vmrun(paddr_t vmcb_pa, struct guest_regs *regs, paddr_t host_vmcb_pa);

#define V_IRQ        (1ULL << 8)
#define V_IGN_TPR    (1ULL << 20)
#define V_TPR_MASK   0xFULL
#define CR_WRITE(n)  (1u << (16 + (n)))

static void *msrpm, *iopm;
static uint32_t max_asid;

static inline uint64_t *vmcb64(struct vcpu *v, unsigned int off)
{
    return (uint64_t *)((char *)v->arch.vmcs_or_vmcb + off);
}

static inline uint32_t *vmcb32(struct vcpu *v, unsigned int off)
{
    return (uint32_t *)((char *)v->arch.vmcs_or_vmcb + off);
}

static void set_seg(struct vcpu *v, unsigned int seg, uint16_t sel, uint16_t attr,
                    uint32_t limit, uint64_t base)
{
    char *p = (char *)v->arch.vmcs_or_vmcb + VMCB_SEG(seg);

    *(uint16_t *)p = sel;
    *(uint16_t *)(p + 2) = attr;
    *(uint32_t *)(p + 4) = limit;
    *(uint64_t *)(p + 8) = base;
}

/*
 * MSRs whose state lives in the VMCB (switched by VMLOAD/VMSAVE) are read straight from
 * it; their writes still exit, so that msr.c checks each value (canonical, reserved bits)
 * rather than trusting the CPU to (QEMU's, for one, does not).
 */
static void msrpm_allow_read(uint32_t msr)
{
    uint32_t base = msr < 0x2000 ? 0 : msr >= 0xC0010000 ? 0x1000 : 0x800;
    uint32_t bit = 2 * (msr & 0x1FFF);

    ((uint8_t *)msrpm)[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static int svm_cpu_up(void)
{
    struct cpu_info *c = this_cpu();

    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
        return -1;
    if (!c->hvm_host_area) {
        c->hvm_host_area = alloc_xenheap_pages(0);
        c->hvm_host_vmcb = alloc_xenheap_pages(0);
        if (!c->hvm_host_area || !c->hvm_host_vmcb)
            return -1;
        memset(c->hvm_host_vmcb, 0, PAGE_SIZE);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, __pa(c->hvm_host_area));
    c->asid_generation = 1;
    c->next_asid = 1;
    return 0;
}

static int svm_vcpu_init(struct vcpu *v)
{
    void *vmcb = alloc_xenheap_pages(0);

    if (!vmcb)
        return -1;
    memset(vmcb, 0, PAGE_SIZE);
    v->arch.vmcs_or_vmcb = vmcb;
    v->arch.vmcs_or_vmcb_pa = __pa(vmcb);
    /*
     * #UD: VMCALL from a guest. #DB and #AC: a guest whose delivery of one raises another
     * would loop inside the CPU without an exit (XSA-156); intercepted, each is an exit.
     * #MC: the host's.
     */
    *vmcb32(v, VMCB_INTERCEPT_EXC) = 1u << 1 | 1u << 6 | 1u << 17 | 1u << 18;
    *vmcb32(v, VMCB_INTERCEPT_MISC1) = I3_INTR | I3_NMI | I3_RDPMC | I3_CPUID | I3_INVD |
                                       I3_HLT | I3_IOIO | I3_MSR | I3_TASKSW | I3_SHUTDOWN;
    *vmcb32(v, VMCB_INTERCEPT_MISC2) = I4_SVM_INSNS | I4_ICEBP | I4_WBINVD | I4_MONITOR |
                                       I4_MWAIT | I4_XSETBV;
    /* CR0 and CR4 writes: checked by cr.c (CR8 is V_TPR under V_INTR_MASKING). */
    *vmcb32(v, VMCB_INTERCEPT_CR) = CR_WRITE(0) | CR_WRITE(4);
    *vmcb64(v, VMCB_IOPM_PA) = __pa(iopm);
    *vmcb64(v, VMCB_MSRPM_PA) = __pa(msrpm);
    *vmcb64(v, VMCB_VINTR) = 1ULL << 24;                   /* V_INTR_MASKING */
    *vmcb64(v, VMCB_NP_ENABLE) = 1;
    *vmcb64(v, VMCB_NCR3) = v->domain->p2m_root;
    *vmcb64(v, VMCB_GPAT) = 0x0007040600070406ULL;         /* the power-on PAT */
    *vmcb64(v, VMCB_DR6) = 0xFFFF0FF0;
    *vmcb64(v, VMCB_DR7) = 0x400;
    return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
    free_xenheap_pages(v->arch.vmcs_or_vmcb, 0);
    v->arch.vmcs_or_vmcb = NULL;
}

static void load_seg(struct vcpu *v, unsigned int seg, const struct hvm_segment *h)
{
    set_seg(v, seg, h->sel, h->attr, h->limit, h->base);
}

static void svm_set_state(struct vcpu *v, const struct hvm_vcpu_state *s)
{
    load_seg(v, SEG_CS, &s->cs);
    load_seg(v, SEG_DS, &s->ds);
    load_seg(v, SEG_ES, &s->es);
    load_seg(v, SEG_SS, &s->ss);
    load_seg(v, SEG_FS, &s->fs);
    load_seg(v, SEG_GS, &s->gs);
    load_seg(v, SEG_TR, &s->tr);
    load_seg(v, SEG_LDTR, &s->ldtr);
    set_seg(v, SEG_GDTR, 0, 0, s->gdtr_limit, s->gdtr_base);
    set_seg(v, SEG_IDTR, 0, 0, s->idtr_limit, s->idtr_base);
    *(uint8_t *)((char *)v->arch.vmcs_or_vmcb + VMCB_CPL) = (s->ss.attr >> 5) & 3;
    *vmcb64(v, VMCB_CR0) = s->cr0;
    *vmcb64(v, VMCB_CR3) = s->cr3;
    *vmcb64(v, VMCB_CR4) = s->cr4;
    *vmcb64(v, VMCB_EFER) = s->efer | EFER_SVME;          /* VMRUN requires SVME */
    *vmcb64(v, VMCB_EVENTINJ) = 0;
    *vmcb64(v, VMCB_INT_SHADOW) = 0;
    *vmcb64(v, VMCB_VINTR) &= ~V_IRQ;
    v->arch.efer = s->efer;
    v->arch.regs = s->regs;
    v->arch.exit_rip = s->regs.rip;
}

static void assign_asid(struct vcpu *v)
{
    struct cpu_info *c = this_cpu();

    *((uint8_t *)v->arch.vmcs_or_vmcb + VMCB_TLB_CTL) = 0;
    if (v->arch.last_pcpu == (int)c->id && v->arch.asid_generation == c->asid_generation)
        return;
    if (c->next_asid >= max_asid) {
        /* Out of ASIDs: start a new generation, flushing what the old one cached. */
        c->asid_generation++;
        c->next_asid = 1;
        *((uint8_t *)v->arch.vmcs_or_vmcb + VMCB_TLB_CTL) = 1;
    }
    v->arch.asid_or_vpid = (uint32_t)c->next_asid++;
    v->arch.asid_generation = c->asid_generation;
    *vmcb32(v, VMCB_ASID) = v->arch.asid_or_vpid;
    *((uint8_t *)v->arch.vmcs_or_vmcb + VMCB_TLB_CTL) = 1;
}

static bool insn_is(struct vcpu *v, const uint8_t *want, size_t n)
{
    uint8_t buf[4];
    uint64_t cs_base = *vmcb64(v, VMCB_SEG(SEG_CS) + 8);

    return !copy_from_guest_virt(v, buf, cs_base + v->arch.regs.rip, n) && !memcmp(buf, want, n);
}

static void inject(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error)
{
    *vmcb64(v, VMCB_EVENTINJ) = vector | 3u << 8 | (has_error ? 1u << 11 : 0) | 1u << 31 |
                                (uint64_t)error << 32;
}


/*
 * Under V_INTR_MASKING the guest's CR8 is V_TPR and its writes do not exit: the vLAPIC's
 * TPR (what interrupt priority is judged by, and what an MMIO or MSR read returns) is
 * V_TPR after every exit and goes back before every entry, as Xen keeps them.
 */
static void tpr_from_guest(struct vcpu *v)
{
    uint32_t *tpr = &v->arch.vlapic.tpr;

    *tpr = (uint32_t)(*vmcb64(v, VMCB_VINTR) & V_TPR_MASK) << 4 | (*tpr & 0xF);
}

static void tpr_to_guest(struct vcpu *v)
{
    uint64_t *vintr = vmcb64(v, VMCB_VINTR);

    *vintr = (*vintr & ~V_TPR_MASK) | ((v->arch.vlapic.tpr >> 4) & V_TPR_MASK);
}

/*
 * CR8 writes exit only while something waits on them: an interrupt that only the TPR holds
 * back must arrive as soon as the guest lowers CR8 below its class (VT-x's TPR threshold
 * does that there), and a pending V_IRQ must not meet a CR8 write inside the CPU at all:
 * QEMU before 8.0 then asserts and kills the emulator (its CR8 helper raises the virtual
 * interrupt without its I/O lock). Otherwise they stay exit-free.
 */
static void watch_cr8_writes(struct vcpu *v)
{
    uint32_t *cr = vmcb32(v, VMCB_INTERCEPT_CR);

    if ((*vmcb64(v, VMCB_VINTR) & V_IRQ) || vlapic_held_by_tpr(v) >= 0)
        *cr |= CR_WRITE(8);
    else
        *cr &= ~CR_WRITE(8);
}

/*
 * Injects what hvm_next_interrupt() offers when the guest can take it (no STI/MOV SS
 * shadow, nothing else queued; IF set for an interrupt). An interrupt that must wait gets a
 * fake virtual interrupt with the VINTR intercept, so the CPU exits as soon as the guest
 * could take it (APM 15.21.4); a blocked NMI is offered again at the next entry.
 */
static void inject_pending(struct vcpu *v)
{
    struct hvm_intr i;
    bool open = !(*vmcb64(v, VMCB_INT_SHADOW) & 1) && !(*vmcb64(v, VMCB_EVENTINJ) & (1ULL << 31));

    if (!hvm_next_interrupt(v, &i))
        return;
    if (i.nmi) {
        if (open) {
            *vmcb64(v, VMCB_EVENTINJ) = 2 | 2u << 8 | 1ULL << 31;     /* type 2: NMI */
            hvm_interrupt_taken(v, &i);
        }
        return;
    }
    if (open && (v->arch.regs.rflags & (1UL << 9))) {
        *vmcb64(v, VMCB_EVENTINJ) = (uint64_t)i.vector | 1ULL << 31;  /* type 0: INTR */
        *vmcb64(v, VMCB_VINTR) &= ~V_IRQ;
        *vmcb32(v, VMCB_INTERCEPT_MISC1) &= ~I3_VINTR;
        hvm_interrupt_taken(v, &i);
    } else {
        *vmcb64(v, VMCB_VINTR) |= V_IRQ | V_IGN_TPR;
        *vmcb32(v, VMCB_INTERCEPT_MISC1) |= I3_VINTR;
    }
}

static uint64_t *svm_gpr(struct vcpu *v, unsigned int n)
{
    struct guest_regs *g = &v->arch.regs;
    uint64_t *by_number[16] = { &g->rax, &g->rcx, &g->rdx, &g->rbx, &g->rsp, &g->rbp,
                                &g->rsi, &g->rdi, &g->r8, &g->r9, &g->r10, &g->r11,
                                &g->r12, &g->r13, &g->r14, &g->r15 };

    return by_number[n & 15];
}

static void svm_get_paging(struct vcpu *v, struct hvm_paging *p);

/*
 * The CR0, CR4 or CR8 write at RIP, decoded (no decode assists in QEMU's SVM): MOV to CR from a
 * register, CLTS, or LMSW from a register. The value it writes and its length, or false.
 */
static bool decode_cr_write(struct vcpu *v, const struct hvm_paging *p, unsigned int cr,
                            uint64_t *val, unsigned int *len)
{
    uint8_t b[8];
    unsigned int i = 0, rex = 0;
    uint64_t src;

    if (copy_from_guest_virt(v, b, p->cs_base + v->arch.regs.rip, sizeof(b)))
        return false;
    while (i < 4 && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x2E || b[i] == 0x3E ||
                     b[i] == 0x26 || b[i] == 0x36 || b[i] == 0x64 || b[i] == 0x65))
        i++;
    if (p->cs_bits == 64 && (b[i] & 0xF0) == 0x40)
        rex = b[i++];
    if (b[i] != 0x0F)
        return false;
    if (b[i + 1] == 0x06 && cr == 0) {                          /* CLTS */
        *val = p->cr0 & ~(1ULL << 3);
        *len = i + 2;
        return true;
    }
    if ((b[i + 2] >> 6) != 3)                                   /* register operands only */
        return false;
    src = *svm_gpr(v, (b[i + 2] & 7) | (rex & 1) << 3);
    if (p->cs_bits != 64)
        src = (uint32_t)src;
    *len = i + 3;
    if (b[i + 1] == 0x22 && ((b[i + 2] >> 3) & 7) + ((rex & 4) << 1) == cr) {
        *val = src;
        return true;
    }
    if (b[i + 1] == 0x01 && ((b[i + 2] >> 3) & 7) == 6 && cr == 0) {   /* LMSW: PE sticks */
        *val = (p->cr0 & ~0xEULL) | (src & 0xF) | (p->cr0 & 1);
        return true;
    }
    return false;
}

/* Takes a checked CR0: PG with EFER.LME switches long mode on, as the CPU would. */
static void set_guest_cr0(struct vcpu *v, const struct hvm_paging *p, uint64_t val)
{
    uint64_t efer = *vmcb64(v, VMCB_EFER);

    if ((val & X86_CR0_PG) && !(p->cr0 & X86_CR0_PG) && (efer & EFER_LME))
        efer |= EFER_LMA;
    else if (!(val & X86_CR0_PG))
        efer &= ~EFER_LMA;
    *vmcb64(v, VMCB_EFER) = efer;
    *vmcb64(v, VMCB_CR0) = val;
}

static void cr_write(struct vcpu *v, unsigned int cr)
{
    struct hvm_paging p;
    unsigned int len;
    uint64_t val;

    svm_get_paging(v, &p);
    if (!decode_cr_write(v, &p, cr, &val, &len)) {
        domain_crash(v->domain, "vCPU %u: CR%u write at %#lx not decoded", v->id, cr,
                     (unsigned long)v->arch.regs.rip);
        return;
    }
    if (cr == 8) {
        if (val > 15) {                     /* bits 63:4 are reserved */
            inject(v, 13, true, 0);
            return;
        }
        v->arch.vlapic.tpr = (uint32_t)val << 4;    /* V_TPR follows at the next entry */
        v->arch.regs.rip += len;
        return;
    }
    if (cr == 0 ? !hvm_cr0_valid(&p, val) : !hvm_cr4_valid(&p, val, hvm_cr4_guest_bits())) {
        inject(v, 13, true, 0);
        return;
    }
    if (cr == 0)
        set_guest_cr0(v, &p, val);
    else
        *vmcb64(v, VMCB_CR4) = val;
    v->arch.regs.rip += len;
    v->arch.asid_generation = 0;            /* as a MOV to CR would, drop its translations */
}

/* The exits that keep a guest off the host's hardware (docs/security.md). */
static void decode_sealed_exit(struct vcpu *v, struct hvm_exit *e, uint32_t code)
{
    switch (code) {
    case EXIT_CR0_WRITE:
    case EXIT_CR4_WRITE:
    case EXIT_CR8_WRITE:
        cr_write(v, code - EXIT_CR0_WRITE);
        return;
    case EXIT_EXCP_DB:
        /* Delivery clears DR7.GD; injection does not (Xen's svm_inject_event does it). */
        *vmcb64(v, VMCB_DR7) &= ~DR7_GD;
        inject(v, 1, false, 0);
        return;
    case EXIT_ICEBP:
        v->arch.regs.rip += 1;              /* INT1 is a trap: its #DB follows it */
        inject(v, 1, false, 0);
        return;
    case EXIT_EXCP_AC:
        inject(v, 17, true, 0);
        return;
    case EXIT_EXCP_MC:
        __asm__ volatile("int $18");        /* the host's machine check, as Xen's svm.c */
        return;
    case EXIT_INVD:
    case EXIT_WBINVD:
        e->kind = HVM_EXIT_CACHE_FLUSH;
        e->insn_len = 2;
        return;
    case EXIT_RDPMC:
        e->kind = HVM_EXIT_RDPMC;
        return;
    case EXIT_XSETBV:
        e->kind = HVM_EXIT_XSETBV;
        e->insn_len = 3;
        return;
    case EXIT_MONITOR:
    case EXIT_MWAIT:
        inject(v, 6, false, 0);
        return;
    }
    if (code >= EXIT_VMRUN && code <= EXIT_SKINIT) {
        inject(v, 6, false, 0);             /* no nested virtualization */
        return;
    }
    e->kind = HVM_EXIT_FAILED;
    e->why = "unexpected SVM exit";
}

/*
 * A guest that shuts down on a fault it could not deliver says little by its RIP alone: the
 * state the CPU failed to deliver through goes to the log with it.
 */
static void log_shutdown_state(struct vcpu *v)
{
    printk("d%u vCPU %u shutdown state: cr0 %#lx cr3 %#lx cr4 %#lx efer %#lx rsp %#lx "
           "idtr %#lx/%#x tr %#x@%#lx exitintinfo %#lx\n", v->domain->domid, v->id,
           (unsigned long)*vmcb64(v, VMCB_CR0), (unsigned long)*vmcb64(v, VMCB_CR3),
           (unsigned long)*vmcb64(v, VMCB_CR4), (unsigned long)*vmcb64(v, VMCB_EFER),
           (unsigned long)*vmcb64(v, VMCB_RSP), (unsigned long)*vmcb64(v, VMCB_SEG(SEG_IDTR) + 8),
           *vmcb32(v, VMCB_SEG(SEG_IDTR) + 4),
           *(uint16_t *)((char *)v->arch.vmcs_or_vmcb + VMCB_SEG(SEG_TR)),
           (unsigned long)*vmcb64(v, VMCB_SEG(SEG_TR) + 8),
           (unsigned long)*vmcb64(v, VMCB_EXITINTINFO));
    printk("d%u vCPU %u VMCB: np %#lx ncr3 %#lx (p2m root %#lx) asid %u tlb_ctl %u "
           "intercepts %#x/%#x/%#x/%#x\n", v->domain->domid, v->id,
           (unsigned long)*vmcb64(v, VMCB_NP_ENABLE), (unsigned long)*vmcb64(v, VMCB_NCR3),
           (unsigned long)v->domain->p2m_root, *vmcb32(v, VMCB_ASID),
           *((uint8_t *)v->arch.vmcs_or_vmcb + VMCB_TLB_CTL), *vmcb32(v, VMCB_INTERCEPT_CR),
           *vmcb32(v, VMCB_INTERCEPT_EXC), *vmcb32(v, VMCB_INTERCEPT_MISC1),
           *vmcb32(v, VMCB_INTERCEPT_MISC2));
    hvm_log_shutdown_context(v, *vmcb64(v, VMCB_RIP), *vmcb64(v, VMCB_CR2));
}

static void decode_exit(struct vcpu *v, struct hvm_exit *e)
{
    static const uint8_t vmcall[3] = { 0x0F, 0x01, 0xC1 };
    uint64_t code = *vmcb64(v, VMCB_EXITCODE), info1 = *vmcb64(v, VMCB_EXITINFO1);

    e->raw = code;
    e->kind = HVM_EXIT_NONE;
    e->insn_len = 0;
    switch ((uint32_t)code) {
    case EXIT_INTR:
    case EXIT_NMI:
        return;
    case EXIT_VINTR:
        /* The window is open: the next entry injects the real vector. */
        *vmcb64(v, VMCB_VINTR) &= ~V_IRQ;
        *vmcb32(v, VMCB_INTERCEPT_MISC1) &= ~I3_VINTR;
        return;
    case EXIT_CPUID:
        e->kind = HVM_EXIT_CPUID;
        e->insn_len = 2;
        return;
    case EXIT_HLT:
        e->kind = HVM_EXIT_HLT;
        e->insn_len = 1;
        return;
    case EXIT_IOIO:
        e->kind = HVM_EXIT_IO;
        e->io.in = info1 & 1;
        e->io.string = info1 & 4;
        e->io.bytes = (info1 >> 4) & 1 ? 1 : (info1 >> 5) & 1 ? 2 : 4;
        e->io.port = (uint16_t)(info1 >> 16);
        e->insn_len = (unsigned int)(*vmcb64(v, VMCB_EXITINFO2) - v->arch.regs.rip);
        return;
    case EXIT_MSR:
        e->kind = info1 ? HVM_EXIT_MSR_WRITE : HVM_EXIT_MSR_READ;
        e->insn_len = 2;
        return;
    case EXIT_SHUTDOWN:
        log_shutdown_state(v);
        e->kind = HVM_EXIT_TRIPLE_FAULT;
        return;
    case EXIT_VMMCALL:
        e->kind = HVM_EXIT_HYPERCALL;
        e->insn_len = 3;
        return;
    case EXIT_EXCP_UD:
        /* A guest that picked Intel's VMCALL still reaches the hypervisor. */
        if (insn_is(v, vmcall, sizeof(vmcall))) {
            e->kind = HVM_EXIT_HYPERCALL;
            e->insn_len = 3;
        } else {
            inject(v, 6, false, 0);
        }
        return;
    case EXIT_NPF:
        e->kind = HVM_EXIT_NPF;
        e->npf.gpa = *vmcb64(v, VMCB_EXITINFO2);
        e->npf.write = info1 & 2;
        e->npf.fetch = info1 & 0x10;        /* ID: instruction fetch (APM Vol 2 15.25.6) */
        return;
    case EXIT_INVALID:
        e->kind = HVM_EXIT_FAILED;
        e->why = "VMRUN refused the guest state";
        return;
    }
    decode_sealed_exit(v, e, (uint32_t)code);
}

/*
 * Stopped between the guest's "sti" and "hlt" (an exit inside the STI shadow), the guest's
 * next step is the HLT exit: it is taken here instead of entering. QEMU before 9.1 drops
 * the VMCB's shadow on VMRUN, so an upcall could run before the HLT, which would then
 * sleep with its wake-up consumed (a lost upcall). As on hardware, what is pending comes
 * after the HLT; an event being re-delivered (EXITINTINFO) still goes first.
 */
static bool at_shadowed_hlt(struct vcpu *v)
{
    static const uint8_t hlt = 0xF4;

    return v->arch.regs.rip == v->arch.exit_rip && (*vmcb64(v, VMCB_INT_SHADOW) & 1) &&
           !(*vmcb64(v, VMCB_EVENTINJ) & (1ULL << 31)) && insn_is(v, &hlt, 1);
}

static void svm_run(struct vcpu *v, struct hvm_exit *e)
{
    struct cpu_info *c = this_cpu();

    if (at_shadowed_hlt(v)) {
        e->kind = HVM_EXIT_HLT;
        e->raw = EXIT_HLT;
        e->insn_len = 1;
        return;
    }

    /*
     * A softirq raised since the caller looked (its IPI already taken, with interrupts on)
     * must not wait for the guest's next exit: look again with GIF clear, then enter.
     */
    __asm__ volatile("clgi" ::: "memory");
    if (c->softirq_pending) {
        __asm__ volatile("stgi" ::: "memory");
        e->kind = HVM_EXIT_NONE;
        e->raw = 0;
        e->insn_len = 0;
        return;
    }
    /* A p2m entry went away: a fresh ASID leaves every translation cached under the old. */
    if (p2m_enter_guest(v))
        v->arch.asid_generation = 0;
    assign_asid(v);
    /* An instruction skipped on the guest's behalf (HLT after STI) ends its shadow. */
    if (v->arch.regs.rip != v->arch.exit_rip)
        *vmcb64(v, VMCB_INT_SHADOW) &= ~1ULL;
    tpr_to_guest(v);
    inject_pending(v);
    watch_cr8_writes(v);
    *vmcb64(v, VMCB_RAX) = v->arch.regs.rax;
    *vmcb64(v, VMCB_RSP) = v->arch.regs.rsp;
    *vmcb64(v, VMCB_RIP) = v->arch.regs.rip;
    *vmcb64(v, VMCB_RFLAGS) = v->arch.regs.rflags;
    svm_vmrun(v->arch.vmcs_or_vmcb_pa, &v->arch.regs, __pa(c->hvm_host_vmcb));
    p2m_leave_guest(v);
    __asm__ volatile("stgi" ::: "memory");
    v->arch.last_pcpu = (int)c->id;
    v->arch.regs.rax = *vmcb64(v, VMCB_RAX);
    v->arch.regs.rsp = *vmcb64(v, VMCB_RSP);
    v->arch.regs.rip = *vmcb64(v, VMCB_RIP);
    v->arch.regs.rflags = *vmcb64(v, VMCB_RFLAGS);
    v->arch.exit_rip = v->arch.regs.rip;
    tpr_from_guest(v);
    /*
     * An event whose delivery the exit interrupted (a guest #PF when a host interrupt came,
     * say) is in EXITINTINFO, in EVENTINJ's format: deliver it again (APM 15.7.2).
     */
    *vmcb64(v, VMCB_EVENTINJ) = *vmcb64(v, VMCB_EXITINTINFO) & (1ULL << 31) ?
                                *vmcb64(v, VMCB_EXITINTINFO) : 0;
    decode_exit(v, e);
}

static void svm_get_paging(struct vcpu *v, struct hvm_paging *p)
{
    uint16_t attr;

    p->cr0 = *vmcb64(v, VMCB_CR0);
    p->cr3 = *vmcb64(v, VMCB_CR3);
    p->cr4 = *vmcb64(v, VMCB_CR4);
    p->efer = *vmcb64(v, VMCB_EFER);
    p->cpl = *((uint8_t *)v->arch.vmcs_or_vmcb + VMCB_CPL);
    p->cs_base = *vmcb64(v, VMCB_SEG(SEG_CS) + 8);
    /* CS attributes: L is bit 9, D/B bit 10 (APM Vol 2 15.5.1). */
    attr = *(uint16_t *)((char *)v->arch.vmcs_or_vmcb + VMCB_SEG(SEG_CS) + 2);
    p->cs_bits = (p->efer & EFER_LMA) && (attr & (1u << 9)) ? 64 : attr & (1u << 10) ? 32 : 16;
}

static int msr_slot(uint32_t msr)
{
    switch (msr) {
    case 0x277:        return VMCB_GPAT;
    case 0x174:        return VMCB_SYSENTER_CS;
    case 0x175:        return VMCB_SYSENTER_ESP;
    case 0x176:        return VMCB_SYSENTER_EIP;
    case 0xC0000081:   return VMCB_STAR;
    case 0xC0000082:   return VMCB_LSTAR;
    case 0xC0000083:   return VMCB_CSTAR;
    case 0xC0000084:   return VMCB_SFMASK;
    case MSR_FS_BASE:  return VMCB_SEG(SEG_FS) + 8;
    case MSR_GS_BASE:  return VMCB_SEG(SEG_GS) + 8;
    case MSR_KERNEL_GS_BASE: return VMCB_KGS;
    }
    return -1;
}

static bool svm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    int slot = msr_slot(msr);

    if (msr == MSR_EFER) {
        *val = *vmcb64(v, VMCB_EFER) & ~EFER_SVME;
        return true;
    }
    if (msr == 0x10) {                      /* TSC */
        *val = rdtsc() + *vmcb64(v, VMCB_TSC_OFFSET);
        return true;
    }
    if (slot < 0)
        return false;
    *val = *vmcb64(v, (unsigned int)slot);
    return true;
}

static bool svm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    int slot = msr_slot(msr);

    if (msr == MSR_EFER) {
        /* SCE, LME, LMA, NXE only; SVME stays set underneath (VMRUN needs it). */
        if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
            return false;
        *vmcb64(v, VMCB_EFER) = (val & ~EFER_LMA) | (*vmcb64(v, VMCB_EFER) & EFER_LMA) |
                                EFER_SVME;
        return true;
    }
    if (msr == 0x10) {
        *vmcb64(v, VMCB_TSC_OFFSET) = val - rdtsc();
        return true;
    }
    if (slot < 0)
        return false;
    *vmcb64(v, (unsigned int)slot) = val;
    return true;
}

static void svm_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
    *vmcb64(v, VMCB_TSC_OFFSET) = offset;
}

/* NPT entries are ordinary long-mode entries, and every one needs U/S (APM 15.25.5). */
static uint64_t npt_entry(paddr_t pa, unsigned int level, bool leaf, unsigned int perms)
{
    uint64_t e = pa | _PAGE_PRESENT | _PAGE_USER;

    if (perms & P2M_W)
        e |= _PAGE_RW;
    if (leaf && level > 1)
        e |= _PAGE_PSE;
    return e;
}

static void svm_p2m_flush(struct domain *d)
{
    /* Give every vCPU a fresh ASID on its next entry. */
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        d->vcpus[i]->arch.asid_generation = 0;
}

static const uint8_t vmmcall_insn[3] = { 0x0F, 0x01, 0xD9 };

static const struct hvm_ops svm_ops = {
    .name = "SVM with NPT",
    .cpu_up = svm_cpu_up,
    .vcpu_init = svm_vcpu_init,
    .vcpu_destroy = svm_vcpu_destroy,
    .vcpu_set_state = svm_set_state,
    .run = svm_run,
    .inject_exception = inject,
    .get_paging = svm_get_paging,
    .msr_read = svm_msr_read,
    .msr_write = svm_msr_write,
    .set_tsc_offset = svm_set_tsc_offset,
    .p2m_entry = npt_entry,
    .p2m_flush = svm_p2m_flush,
    .hypercall_insn = vmmcall_insn,
};

const struct hvm_ops *svm_probe(void)
{
    static const uint32_t passthrough[] = { MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
                                            0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,
                                            0x174, 0x175, 0x176 };
    struct cpuid_regs r;

    if (!cpu_has(0x80000001, 2, 2) || !cpu_has(0x8000000A, 3, 0))
        return NULL;
    cpuid(0x8000000A, &r);
    max_asid = r.ebx;
    msrpm = alloc_xenheap_pages(1);
    iopm = alloc_xenheap_pages(2);
    if (!msrpm || !iopm || max_asid < 2)
        return NULL;
    memset(msrpm, 0xFF, 2 * PAGE_SIZE);
    memset(iopm, 0xFF, 4 * PAGE_SIZE);
    for (unsigned int i = 0; i < ARRAY_SIZE(passthrough); i++)
        msrpm_allow_read(passthrough[i]);
    return &svm_ops;
}
