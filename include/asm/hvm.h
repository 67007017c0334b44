/*
 * The vendor interface (DESIGN.md D5): VT-x and SVM each implement struct hvm_ops and
 * translate their exits into a vendor-neutral struct hvm_exit, which the common handlers
 * in arch/x86/hvm/ act on. Common code never touches a VMCS or VMCB.
 */
#ifndef ASM_HVM_H
#define ASM_HVM_H

#include <kumo/types.h>

struct vcpu;
struct domain;

/* Guest general-purpose registers: the truth while the vCPU is outside the guest. */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

enum hvm_exit_kind {
    HVM_EXIT_NONE,          /* handled inside the vendor code, or an interrupt: just re-enter */
    HVM_EXIT_CPUID,
    HVM_EXIT_HLT,
    HVM_EXIT_IO,
    HVM_EXIT_MSR_READ,
    HVM_EXIT_MSR_WRITE,
    HVM_EXIT_HYPERCALL,     /* VMCALL or VMMCALL, whichever the guest used */
    HVM_EXIT_NPF,           /* nested/EPT fault outside the guest's memory */
    HVM_EXIT_TRIPLE_FAULT,
    HVM_EXIT_XSETBV,
    HVM_EXIT_CACHE_FLUSH,   /* WBINVD or INVD: ignored (no passthrough devices) */
    HVM_EXIT_RDPMC,         /* no vPMU: #GP */
    HVM_EXIT_FAILED,        /* entry failed or an exit the vendor cannot handle: crash */
};

struct hvm_exit {
    enum hvm_exit_kind kind;
    uint64_t raw;           /* vendor exit code, for messages */
    unsigned int insn_len;  /* bytes to skip once handled */
    union {
        struct { uint16_t port; uint8_t bytes; bool in; bool string; } io;
        struct { uint32_t index; } msr;
        struct { uint64_t gpa; bool write, fetch; } npf;
    };
    const char *why;        /* for HVM_EXIT_FAILED */
};

/* What a guest page walk needs to know about the vCPU's paging mode. */
struct hvm_paging {
    uint64_t cr0, cr3, cr4, efer;
    unsigned int cpl;
    uint64_t cs_base;           /* for fetching the instruction at RIP */
    unsigned int cs_bits;       /* 16, 32 or 64: default operand and address size */
};

/* A segment register; attr in SVM's packed form: type|S<<4|DPL<<5|P<<7|AVL<<8|L<<9|DB<<10|G<<11. */
struct hvm_segment {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

/*
 * Everything a vCPU starts from: PVH entry, a SIPI (real mode), or VCPUOP_initialise. Built
 * by the helpers below; the vendor loads it with vcpu_set_state.
 */
struct hvm_vcpu_state {
    struct hvm_segment cs, ds, es, ss, fs, gs, tr, ldtr;
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint64_t cr0, cr3, cr4, efer;
    struct guest_regs regs;
};

/* PVH entry (pvh.pandoc): 32-bit flat protected mode, paging off, EBX = start info. */
void hvm_state_pvh(struct hvm_vcpu_state *s, uint32_t entry, uint32_t ebx);
/* After INIT and a SIPI with this vector: real mode at CS = vector << 8, IP = 0. */
void hvm_state_sipi(struct hvm_vcpu_state *s, uint8_t vector);
/* VCPUOP_initialise's register set (32-bit or long mode). 0 or -EINVAL if inconsistent. */
struct vcpu_hvm_context;
int hvm_state_from_context(struct hvm_vcpu_state *s, const struct vcpu_hvm_context *ctx);

/* The vendor's VMCS/VMCB and the state of ext_state.c: 0 or -errno; undone by destroy. */
int hvm_vcpu_create(struct vcpu *v);
void hvm_vcpu_destroy(struct vcpu *v);

/* ext_state.c: FPU/SSE/AVX, DR0-3/DR6 and CR2, in the hardware while v runs. */
void hvm_ext_state_cpu_init(void);
int hvm_ext_state_init(struct vcpu *v);
void hvm_ext_state_reset(struct vcpu *v);
void hvm_ext_state_free(struct vcpu *v);
void hvm_ext_state_load(struct vcpu *v);
void hvm_ext_state_save(struct vcpu *v);
/* XSETBV: 0, or -EINVAL when the guest gets #GP. Called with v's state loaded. */
int hvm_xsetbv(struct vcpu *v, uint32_t index, uint64_t val);

/* cr.c: whether a guest's MOV to CR0/CR4 is one the CPU takes (else #GP), in mode p. */
bool hvm_cr0_valid(const struct hvm_paging *p, uint64_t val);
bool hvm_cr4_valid(const struct hvm_paging *p, uint64_t val, uint64_t allowed);
/* The CR4 bits a guest may set: the CPU has them and kumo switches what they enable. */
uint64_t hvm_cr4_guest_bits(void);

/* Resets v's LAPIC and loads s; v runs nowhere (core.c calls it under sched_lock). */
void hvm_vcpu_reset(struct vcpu *v, const struct hvm_vcpu_state *s);
/* The LAPIC to its power-on state; the register state alone (v runs nowhere). */
void hvm_vcpu_reset_lapic(struct vcpu *v);
void hvm_vcpu_set_state(struct vcpu *v, const struct hvm_vcpu_state *s);

/* An interrupt the vendor should deliver before the next entry (hvm_next_interrupt). */
struct hvm_intr {
    bool nmi;                   /* an NMI: vector is 2 */
    bool from_lapic;            /* a LAPIC vector (moves IRR -> ISR once taken) */
    uint8_t vector;
};

/* p2m entry permissions. */
#define P2M_R 1
#define P2M_W 2
#define P2M_X 4
#define P2M_RWX (P2M_R | P2M_W | P2M_X)

struct hvm_ops {
    const char *name;                           /* "VMX with EPT" / "SVM with NPT" */
    /* Enables virtualization on the calling pCPU. 0 or -errno; every CPU, once. */
    int (*cpu_up)(void);
    /* Allocates and fills the VMCS/VMCB for v; undone by vcpu_destroy. */
    int (*vcpu_init)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    /* Loads a start state into v, which is not running anywhere (offline or new). */
    void (*vcpu_set_state)(struct vcpu *v, const struct hvm_vcpu_state *s);
    /* Runs v until an exit needing common handling; v->arch.regs holds its registers after. */
    void (*run)(struct vcpu *v, struct hvm_exit *exit);
    /* v leaves this pCPU (it may run elsewhere next). May be NULL. */
    void (*vcpu_leave)(struct vcpu *v);
    /* Queues a hardware exception for the next entry. */
    void (*inject_exception)(struct vcpu *v, unsigned int vector, bool has_error, uint32_t error);
    void (*get_paging)(struct vcpu *v, struct hvm_paging *p);
    /* MSRs that live in the VMCS/VMCB (EFER, PAT, FS/GS base, syscall MSRs...). */
    bool (*msr_read)(struct vcpu *v, uint32_t msr, uint64_t *val);
    bool (*msr_write)(struct vcpu *v, uint32_t msr, uint64_t val);
    void (*set_tsc_offset)(struct vcpu *v, uint64_t offset);
    /* p2m: entry format of the nested tables, and the root to load. */
    uint64_t (*p2m_entry)(paddr_t pa, unsigned int level, bool leaf, unsigned int perms);
    void (*p2m_flush)(struct domain *d);
    /* Hypercall instruction bytes for the hypercall page (3 bytes). */
    const uint8_t *hypercall_insn;
};

extern const struct hvm_ops *hvm_ops;
extern bool hvm_enabled;

const struct hvm_ops *svm_probe(void);
const struct hvm_ops *vmx_probe(void);

/* Picks the vendor and enables it on the boot CPU; prints "HVM: ..." either way. */
void hvm_init(void);
/* Enables the vendor on a secondary CPU (no-op when HVM is off). */
void hvm_cpu_up(void);

/*
 * What to inject into v before its next entry: a pending NMI first, then the higher of the
 * LAPIC's deliverable vector and the event-callback vector (linux-pvh-abi.md section 5).
 * Vendors call it last thing before entering the guest. An NMI or interrupt the guest can
 * take now is injected and reported with hvm_interrupt_taken(); otherwise they ask for an
 * exit as soon as it can (interrupt window) and call again then.
 */
bool hvm_next_interrupt(struct vcpu *v, struct hvm_intr *i);
void hvm_interrupt_taken(struct vcpu *v, const struct hvm_intr *i);
/*
 * v has something it can take now (an NMI, or with IF set an event or a LAPIC interrupt):
 * HLT, SCHEDOP_block and SCHEDOP_poll must not sleep.
 */
bool hvm_interrupt_pending(struct vcpu *v);

/* Runs v on this pCPU for at most slice ns, until it blocks, dies, or a softirq wants the CPU. */
void hvm_run_vcpu(struct vcpu *v, int64_t slice);
/*
 * The vendor-neutral part of a triple fault's report: the p2m's recent changes, each level
 * of the guest's own walk of rip and cr2 (table gpa, its mfn, entry), page_poison's count.
 */
void hvm_log_shutdown_context(struct vcpu *v, uint64_t rip, uint64_t cr2);

#endif
