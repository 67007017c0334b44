/*
 * The hypercall table and the small hypercalls (xen_version); sched_op is in sched_op.c. Numbers,
 * structures and errno values are Xen 4.17's (DESIGN.md D1). Privileged entries answer
 * -EPERM to an unprivileged caller before anything else is looked at.
 */
#include <kumo/boot.h>
#include <asm/processor.h>
#include <kumo/compat.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/event.h>
#include <kumo/hvm_exits.h>
#include <kumo/grant_table.h>
#include <kumo/hypercall.h>
#include <kumo/sched.h>
#include <kumo/softirq.h>
#include <kumo/xen_abi.h>

#define KUMO_XEN_VERSION ((4 << 16) | 17)

/*
 * compat is the entry for 32-bit callers (kernel/compat.c): the native handler itself where
 * the arguments have one layout, NULL (-ENOSYS) where nobody checked that they do.
 */
struct hypercall_entry {
    hypercall_fn fn;
    bool privileged;
    hypercall_fn compat;
};

static const struct hypercall_entry hypercall_table[64] = {
    /* platform_op and mca: Dom0 is 64-bit; 32-bit layouts not translated (-ENOSYS). */
    [__HYPERVISOR_platform_op] = { do_platform_op, true, NULL },
    [__HYPERVISOR_mca] = { do_mca, true, NULL },
    [__HYPERVISOR_memory_op] = { do_memory_op, false, compat_memory_op },
    [__HYPERVISOR_grant_table_op] = { do_grant_table_op, false, compat_grant_table_op },
    [__HYPERVISOR_multicall] = { do_multicall, false, do_multicall },  /* reads either layout */
    [__HYPERVISOR_xen_version] = { do_xen_version, false, compat_xen_version },
    [__HYPERVISOR_console_io] = { do_console_io, false, do_console_io },
    [__HYPERVISOR_set_timer_op] = { do_set_timer_op, false, compat_set_timer_op },
    [__HYPERVISOR_vcpu_op] = { do_vcpu_op, false, compat_vcpu_op },
    [__HYPERVISOR_event_channel_op] = { do_event_channel_op, false, do_event_channel_op },
    [__HYPERVISOR_hvm_op] = { do_hvm_op, false, do_hvm_op },
    [__HYPERVISOR_sched_op] = { do_sched_op, false, compat_sched_op },
    /* domctl and sysctl structures are laid out with 64-bit handles for both ABIs. */
    [__HYPERVISOR_sysctl] = { do_sysctl, true, do_sysctl },
    [__HYPERVISOR_domctl] = { do_domctl, true, do_domctl },
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
    const struct hypercall_entry *e = nr < ARRAY_SIZE(hypercall_table) ? &hypercall_table[nr]
                                                                       : NULL;
    hypercall_fn fn = !e ? NULL : v->hcall_compat ? e->compat : e->fn;

    if (!fn)
        return -XEN_ENOSYS;
    if (e->privileged && !v->domain->privileged)
        return -XEN_EPERM;
    return fn(v, a[0], a[1], a[2], a[3], a[4]);
}

/* VMCALL and VMMCALL, in the hypercall page or not, are three bytes long. */
#define HYPERCALL_INSN_LEN 3

void hypercall_create_continuation(struct vcpu *v, uint64_t nr, uint64_t a1, uint64_t a2)
{
    struct guest_regs *g = &v->arch.regs;

    g->rax = nr;
    if (!v->hcall_compat)               /* the convention hvm_hypercall read the call in */
        g->rdi = a1, g->rsi = a2;
    else
        g->rbx = (uint32_t)a1, g->rcx = (uint32_t)a2;
    g->rip -= HYPERCALL_INSN_LEN;
    v->hcall_preempted = true;
}

void hvm_hypercall(struct vcpu *v)
{
    struct guest_regs *g = &v->arch.regs;
    struct hvm_paging p;
    uint64_t nr = g->rax, a[5];
    long rc;

    hvm_ops->get_paging(v, &p);
    v->hcall_compat = p.cs_bits != 64;  /* Xen's mode 8 test: compat mode is 32-bit too */
    if (!v->hcall_compat) {
        a[0] = g->rdi, a[1] = g->rsi, a[2] = g->rdx, a[3] = g->r10, a[4] = g->r8;
    } else {                            /* 32-bit convention: ebx, ecx, edx, esi, edi */
        nr = (uint32_t)nr;
        a[0] = (uint32_t)g->rbx, a[1] = (uint32_t)g->rcx, a[2] = (uint32_t)g->rdx;
        a[3] = (uint32_t)g->rsi, a[4] = (uint32_t)g->rdi;
    }
    v->hcall_preempted = false;
    if (p.cpl != 0)
        rc = -XEN_EPERM;                /* only the guest kernel may call */
    else
        rc = hypercall_dispatch(v, nr, a);
    if (!v->hcall_preempted)
        g->rax = (uint64_t)rc;
    v->hcall_preempted = false;
    v->hcall_compat = false;
}

static long copy_string_out(struct vcpu *v, uint64_t arg, const char *s, size_t size)
{
    char buf[1024];

    memset(buf, 0, size);
    strlcpy(buf, s, size);
    return copy_to_guest_virt(v, arg, buf, size);
}

long do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    xen_feature_info_t fi;

    (void)a3, (void)a4, (void)a5;
    switch (cmd) {
    case XENVER_version:
        return KUMO_XEN_VERSION;
    case XENVER_extraversion:
        return copy_string_out(v, arg, ".0-kumo", sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        xen_compile_info_t ci;

        memset(&ci, 0, sizeof(ci));
        strlcpy(ci.compiler, "gcc " __VERSION__, sizeof(ci.compiler));
        strlcpy(ci.compile_by, "kumo", sizeof(ci.compile_by));
        strlcpy(ci.compile_domain, "kumo", sizeof(ci.compile_domain));
        strlcpy(ci.compile_date, __DATE__, sizeof(ci.compile_date));
        return copy_to_guest_virt(v, arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities:
        /* Xen's arch_get_xen_caps() without CONFIG_PV: its order, its trailing space. */
        return copy_string_out(v, arg, "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ",
                               sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string_out(v, arg, "kumo", sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        /* Xen 4.17 answers its PV layout's constant to every 64-bit caller. */
        xen_platform_parameters_t pp = { .virt_start = HYPERVISOR_VIRT_START };

        return copy_to_guest_virt(v, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features:
        if (copy_from_guest_virt(v, &fi, arg, sizeof(fi)))
            return -XEN_EFAULT;
        fi.submap = 0;
        if (fi.submap_idx == 0) {
            fi.submap = 1u << XENFEAT_writable_page_tables |
                        1u << XENFEAT_auto_translated_physmap |
                        1u << XENFEAT_hvm_callback_vector | 1u << XENFEAT_hvm_safe_pvclock;
            if (v->domain->privileged)
                fi.submap |= 1u << XENFEAT_dom0;
        }
        return copy_to_guest_virt(v, arg, &fi, sizeof(fi));
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle: {
        xen_domain_handle_t h = { 0 };

        return copy_to_guest_virt(v, arg, h, sizeof(h));
    }
    case XENVER_commandline:
        if (!v->domain->privileged)
            return -XEN_EPERM;
        return copy_string_out(v, arg, boot_info.cmdline, sizeof(xen_commandline_t));
    }
    return -XEN_ENOSYS;
}

