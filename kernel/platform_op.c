/*
 * platform_op and mca for Dom0: what a Linux Dom0 asks at boot, answered as Xen 4.17 answers
 * on a machine booted without EFI or VGA (xen/arch/x86/platform_hypercall.c, cpu/mcheck/mce.c).
 * The wall clock Dom0 sets here is the one every domain reads from its shared_info.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/rtc.h>
#include <kumo/xen_abi.h>

#define NSEC_PER_SEC 1000000000ULL

static DEFINE_SPINLOCK(wallclock_lock);

/*
 * Xen's do_settime: (secs, nsecs) was the wall clock at system time `system_time`, so the
 * wall clock at system time 0 is their difference. Every domain's shared_info follows.
 */
static long settime(uint64_t secs, uint32_t nsecs, uint64_t system_time)
{
    unsigned long flags;
    uint64_t at_zero;

    if (nsecs >= NSEC_PER_SEC || secs > UINT64_MAX / NSEC_PER_SEC - 1)
        return -XEN_EINVAL;
    at_zero = secs * NSEC_PER_SEC + nsecs;
    if (at_zero < system_time)
        return -XEN_EINVAL;             /* a wall clock before this machine booted */
    at_zero -= system_time;
    spin_lock_irqsave(&wallclock_lock, flags);
    boot_wallclock_sec = at_zero / NSEC_PER_SEC;
    boot_wallclock_nsec = (uint32_t)(at_zero % NSEC_PER_SEC);
    spin_lock(&domlist_lock);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++)
        if (domain_table[id])
            domain_set_wallclock(domain_table[id]);
    spin_unlock(&domlist_lock);
    spin_unlock_irqrestore(&wallclock_lock, flags);
    return 0;
}

static unsigned int last_present_cpu(void)
{
    return nr_cpu_ids ? nr_cpu_ids - 1 : 0;
}

static void get_cpuinfo(struct xenpf_pcpuinfo *info)
{
    uint32_t cpu = info->xen_cpuid;

    if (cpu >= nr_cpu_ids) {
        info->flags = XEN_PCPU_FLAGS_INVALID;
    } else {
        info->apic_id = per_cpu(cpu)->apic_id;
        info->acpi_id = cpu;            /* kumo numbers CPUs in MADT order, as ACPI ids go */
        info->flags = per_cpu(cpu)->online ? XEN_PCPU_FLAGS_ONLINE : 0;
    }
    info->max_present = last_present_cpu();
}

/* No EDD, MBR signatures, VBE/EDID or EFI were collected at boot: Xen's answers for that. */
static long firmware_info(const struct xenpf_firmware_info *fw)
{
    switch (fw->type) {
    case XEN_FW_DISK_INFO:
    case XEN_FW_DISK_MBR_SIGNATURE:
    case XEN_FW_VBEDDC_INFO:
        return -XEN_ESRCH;
    case XEN_FW_EFI_INFO:
        return -XEN_ENOSYS;             /* Xen built or booted without EFI (efi/stub.c) */
    }
    return -XEN_EINVAL;
}

/* Xen 4.18's XENPF_get_dom0_console (Linux 6.1 already asks): no VGA text console here. */
#define XENPF_get_dom0_console 64

long do_platform_op(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    struct xen_platform_op op;

    (void)a2, (void)a3, (void)a4, (void)a5;
    if (copy_from_guest_virt(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.interface_version != XENPF_INTERFACE_VERSION)
        return -XEN_EACCES;
    switch (op.cmd) {
    case XENPF_settime32:
        return settime(op.u.settime32.secs, op.u.settime32.nsecs, op.u.settime32.system_time);
    case XENPF_settime64:
        if (op.u.settime64.mbz)
            return -XEN_EINVAL;
        return settime(op.u.settime64.secs, op.u.settime64.nsecs, op.u.settime64.system_time);
    case XENPF_get_cpuinfo:
        get_cpuinfo(&op.u.pcpu_info);
        return copy_to_guest_virt(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
    case XENPF_firmware_info:
        return firmware_info(&op.u.firmware_info);
    case XENPF_get_dom0_console:
        return -XEN_ENODEV;
    }
    return -XEN_ENOSYS;
}

/* One xen_mc_logical_cpu_t per online pCPU, from the CPU's own CPUID (Xen's x86_mc_get_cpu_info). */
static void mc_cpu_info(unsigned int cpu, struct mcinfo_logical_cpu *c)
{
    struct cpuid_regs r;

    memset(c, 0, sizeof(*c));
    c->mc_cpunr = cpu;
    c->mc_apicid = per_cpu(cpu)->apic_id;
    c->mc_ncores = c->mc_ncores_active = c->mc_nthreads = 1;
    cpuid(0, &r);
    c->mc_cpuid_level = r.eax;
    memcpy(c->mc_vendorid, &r.ebx, 4);
    memcpy(c->mc_vendorid + 4, &r.edx, 4);
    memcpy(c->mc_vendorid + 8, &r.ecx, 4);
    cpuid(1, &r);
    c->mc_family = (r.eax >> 8) & 0xF;
    c->mc_model = (r.eax >> 4) & 0xF;
    if (c->mc_family == 0xF)
        c->mc_family += (r.eax >> 20) & 0xFF;
    if (c->mc_family >= 0x6)
        c->mc_model |= ((r.eax >> 16) & 0xF) << 4;
    c->mc_step = r.eax & 0xF;
    c->mc_cpu_caps[0] = r.edx;
    c->mc_cpu_caps[4] = r.ecx;
}

/* XEN_MC_physcpuinfo: a null handle asks for the count; otherwise up to ncpus entries. */
static long mc_physcpuinfo(struct vcpu *v, struct xen_mc *mc, uint64_t arg)
{
    struct xen_mc_physcpuinfo *p = &mc->u.mc_physcpuinfo;
    uint64_t buf = (uint64_t)(uintptr_t)p->info.p;
    unsigned int cpu, n = 0;

    for_each_online_cpu(cpu) {
        struct mcinfo_logical_cpu c;

        if (buf && n < p->ncpus) {
            mc_cpu_info(cpu, &c);
            if (copy_to_guest_virt(v, buf + n * sizeof(c), &c, sizeof(c)))
                return -XEN_EFAULT;
        }
        n++;
    }
    if (buf)
        n = MIN(n, p->ncpus);
    p->ncpus = n;
    return copy_to_guest_virt(v, arg, mc, sizeof(*mc)) ? -XEN_EFAULT : 0;
}

long do_mca(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xen_mc mc;

    (void)a2, (void)a3, (void)a4, (void)a5;
    if (copy_from_guest_virt(v, &mc, arg, sizeof(mc)))
        return -XEN_EFAULT;
    if (mc.interface_version != XEN_MCA_INTERFACE_VERSION)
        return -XEN_EACCES;
    switch (mc.cmd) {
    case XEN_MC_physcpuinfo:
        return mc_physcpuinfo(v, &mc, arg);
    case XEN_MC_fetch:                  /* no telemetry is ever collected */
        mc.u.mc_fetch.flags = XEN_MC_NODATA;
        return copy_to_guest_virt(v, arg, &mc, sizeof(mc)) ? -XEN_EFAULT : 0;
    }
    return -XEN_ENOSYS;
}
