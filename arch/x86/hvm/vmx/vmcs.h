/* VMCS field encodings (SDM Vol 3D appendix B) and VMX instruction wrappers. */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <kumo/types.h>

enum vmcs_field {
    VPID = 0x0000,
    GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802, GUEST_SS_SELECTOR = 0x0804,
    GUEST_DS_SELECTOR = 0x0806, GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080A,
    GUEST_LDTR_SELECTOR = 0x080C, GUEST_TR_SELECTOR = 0x080E,
    HOST_ES_SELECTOR = 0x0C00, HOST_CS_SELECTOR = 0x0C02, HOST_SS_SELECTOR = 0x0C04,
    HOST_DS_SELECTOR = 0x0C06, HOST_FS_SELECTOR = 0x0C08, HOST_GS_SELECTOR = 0x0C0A,
    HOST_TR_SELECTOR = 0x0C0C,
    TSC_OFFSET = 0x2010, VIRTUAL_APIC_PAGE_ADDR = 0x2012, EPT_POINTER = 0x201A, GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806,
    GUEST_PDPTE0 = 0x280A,  /* PDPTE1-3 follow, 2 apart */
    HOST_IA32_PAT = 0x2C00, HOST_IA32_EFER = 0x2C02,
    PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002,
    EXCEPTION_BITMAP = 0x4004, VM_EXIT_CONTROLS = 0x400C, VM_ENTRY_CONTROLS = 0x4012,
    VM_ENTRY_INTR_INFO = 0x4016, VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN = 0x401A, TPR_THRESHOLD = 0x401C, SECONDARY_VM_EXEC_CONTROL = 0x401E,
    VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402, VM_EXIT_INTR_INFO = 0x4404,
    VM_EXIT_INTR_ERROR_CODE = 0x4406,
    IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_ERROR_CODE = 0x440A, VM_EXIT_INSTRUCTION_LEN = 0x440C,
    GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
    GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480A,
    GUEST_LDTR_LIMIT = 0x480C, GUEST_TR_LIMIT = 0x480E, GUEST_GDTR_LIMIT = 0x4810,
    GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481A,
    GUEST_FS_AR = 0x481C, GUEST_GS_AR = 0x481E, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
    GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
    VMX_PREEMPTION_TIMER_VALUE = 0x482E,
    GUEST_SYSENTER_CS = 0x482A, HOST_SYSENTER_CS = 0x4C00,
    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002, CR0_READ_SHADOW = 0x6004,
    CR4_READ_SHADOW = 0x6006, EXIT_QUALIFICATION = 0x6400,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
    GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680A,
    GUEST_DS_BASE = 0x680C, GUEST_FS_BASE = 0x680E, GUEST_GS_BASE = 0x6810,
    GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816,
    GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C, GUEST_RIP = 0x681E,
    GUEST_RFLAGS = 0x6820, GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06,
    HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C,
    HOST_IDTR_BASE = 0x6C0E, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12,
    HOST_RIP = 0x6C16,
};

static inline uint64_t vmread(enum vmcs_field f)
{
    uint64_t v;

    __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((uint64_t)f) : "cc");
    return v;
}

static inline void vmwrite(enum vmcs_field f, uint64_t v)
{
    __asm__ volatile("vmwrite %1, %0" :: "r"((uint64_t)f), "rm"(v) : "cc");
}

/* VMXON/VMCLEAR/VMPTRLD: true on success (CF and ZF clear). */
#define VMX_PA_INSN(name)                                                           \
    static inline bool name(paddr_t pa)                                             \
    {                                                                               \
        bool fail;                                                                  \
        __asm__ volatile(#name " %1; setbe %0" : "=q"(fail) : "m"(pa) : "cc", "memory"); \
        return !fail;                                                               \
    }
VMX_PA_INSN(vmxon)
VMX_PA_INSN(vmclear)
VMX_PA_INSN(vmptrld)
#undef VMX_PA_INSN

#endif
