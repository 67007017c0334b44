/*
 * The per-vCPU register state that neither the VMCS nor the VMCB switches: x87/SSE/AVX
 * (XSAVE under the guest's own XCR0, or FXSAVE on a CPU without XSAVE), DR0-DR3 and DR6,
 * and CR2 (VT-x leaves the guest's in the hardware register). The hypervisor is built
 * -mgeneral-regs-only and never uses debug registers, so a vCPU's values may stay in the
 * hardware for the whole of its run on a pCPU: loaded before its first entry and saved after
 * its last exit (hvm_run_vcpu). Two domains sharing a pCPU never see each other's values.
 */
#include <asm/hvm.h>
#include <asm/processor.h>
#include <kumo/domain.h>
#include <kumo/mm.h>
#include <kumo/xen_abi.h>

#define X86_CR4_OSXSAVE  (1UL << 18)
#define XSTATE_X87       (1ULL << 0)
#define XSTATE_SSE       (1ULL << 1)
#define XSTATE_AVX       (1ULL << 2)
#define FXSAVE_FCW       0
#define FXSAVE_MXCSR     24
#define MXCSR_DEFAULT    0x1F80
#define FCW_DEFAULT      0x37F

/*
 * The components switched, and so the only ones a guest may enable in XCR0: the ones whose
 * state lives in the 832 bytes of the legacy area and AVX's. AVX-512, MPX and PKRU stay off
 * (CPUID hides XSAVE from guests; this bounds what a guest that sets CR4.OSXSAVE anyway gets).
 */
static uint64_t xstate_mask;

static inline void xsetbv(uint32_t index, uint64_t val)
{
    __asm__ volatile("xsetbv" :: "c"(index), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

void hvm_ext_state_cpu_init(void)
{
    struct cpuid_regs r;

    write_cr4(read_cr4() | X86_CR4_OSFXSR);
    cpuid(0, &r);
    if (!cpu_has(1, 2, 26) || r.eax < 0xD)
        return;
    cpuid_count(0xD, 0, &r);
    if ((r.eax & (XSTATE_X87 | XSTATE_SSE)) != (XSTATE_X87 | XSTATE_SSE))
        return;
    write_cr4(read_cr4() | X86_CR4_OSXSAVE);
    xstate_mask = r.eax & (XSTATE_X87 | XSTATE_SSE | XSTATE_AVX);
    xsetbv(0, xstate_mask);
}

/* The state after RESET/INIT: x87 and SSE in their initial state, XCR0 = x87 only. */
void hvm_ext_state_reset(struct vcpu *v)
{
    uint8_t *area = v->arch.ext_state;

    memset(area, 0, PAGE_SIZE);
    *(uint16_t *)(area + FXSAVE_FCW) = FCW_DEFAULT;
    *(uint32_t *)(area + FXSAVE_MXCSR) = MXCSR_DEFAULT;
    v->arch.xcr0 = XSTATE_X87;
    memset(v->arch.dr, 0, sizeof(v->arch.dr));
    v->arch.dr6 = 0xFFFF0FF0;
    v->arch.cr2 = 0;
}

int hvm_ext_state_init(struct vcpu *v)
{
    v->arch.ext_state = alloc_xenheap_pages(0);       /* page aligned: XSAVE wants 64 */
    if (!v->arch.ext_state)
        return -XEN_ENOMEM;
    hvm_ext_state_reset(v);
    return 0;
}

void hvm_ext_state_free(struct vcpu *v)
{
    free_xenheap_pages(v->arch.ext_state, 0);
    v->arch.ext_state = NULL;
}

void hvm_ext_state_load(struct vcpu *v)
{
    const uint64_t *dr = v->arch.dr;

    if (xstate_mask) {
        /* XRSTOR under the full mask: a component the guest left off is still its own. */
        xsetbv(0, xstate_mask);
        __asm__ volatile("xrstor64 %0" :: "m"(*(uint8_t (*)[PAGE_SIZE])v->arch.ext_state),
                         "a"((uint32_t)xstate_mask), "d"((uint32_t)(xstate_mask >> 32)));
        xsetbv(0, v->arch.xcr0);
    } else {
        __asm__ volatile("fxrstor64 %0" :: "m"(*(uint8_t (*)[512])v->arch.ext_state));
    }
    __asm__ volatile("mov %0, %%db0" :: "r"(dr[0]));
    __asm__ volatile("mov %0, %%db1" :: "r"(dr[1]));
    __asm__ volatile("mov %0, %%db2" :: "r"(dr[2]));
    __asm__ volatile("mov %0, %%db3" :: "r"(dr[3]));
    __asm__ volatile("mov %0, %%db6" :: "r"(v->arch.dr6));
    write_cr2(v->arch.cr2);
}

void hvm_ext_state_save(struct vcpu *v)
{
    uint64_t *dr = v->arch.dr;

    if (xstate_mask) {
        xsetbv(0, xstate_mask);
        __asm__ volatile("xsave64 %0" : "=m"(*(uint8_t (*)[PAGE_SIZE])v->arch.ext_state)
                         : "a"((uint32_t)xstate_mask), "d"((uint32_t)(xstate_mask >> 32)));
    } else {
        __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->arch.ext_state));
    }
    __asm__ volatile("mov %%db0, %0" : "=r"(dr[0]));
    __asm__ volatile("mov %%db1, %0" : "=r"(dr[1]));
    __asm__ volatile("mov %%db2, %0" : "=r"(dr[2]));
    __asm__ volatile("mov %%db3, %0" : "=r"(dr[3]));
    __asm__ volatile("mov %%db6, %0" : "=r"(v->arch.dr6));
    v->arch.cr2 = read_cr2();
}

/*
 * XSETBV from the guest, as Xen's handle_xsetbv: only XCR0, x87 always on, AVX only with
 * SSE, nothing this file does not switch. 0, or -EINVAL for a #GP.
 */
int hvm_xsetbv(struct vcpu *v, uint32_t index, uint64_t val)
{
    if (index != 0 || !(val & XSTATE_X87) || (val & ~xstate_mask) ||
        ((val & XSTATE_AVX) && !(val & XSTATE_SSE)))
        return -XEN_EINVAL;
    v->arch.xcr0 = val;
    xsetbv(0, val);
    return 0;
}
