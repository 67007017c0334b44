/*
 * Common exit handlers (arch/x86/hvm/): called by the HVM core with the vCPU's registers in
 * v->arch.regs, after the vendor decoded the exit. They never fail the hypervisor: a guest
 * that cannot go on is crashed with domain_crash().
 */
#ifndef KUMO_HVM_EXITS_H
#define KUMO_HVM_EXITS_H

#include <kumo/domain.h>

void hvm_cpuid(struct vcpu *v);
/* Returns false when the vCPU blocked. */
bool hvm_hlt(struct vcpu *v);
void hvm_io(struct vcpu *v, uint16_t port, unsigned int bytes, bool in);
/* Returns true when the instruction completed (false: #GP injected or domain crashed). */
bool hvm_msr(struct vcpu *v, bool write);
void hvm_hypercall(struct vcpu *v);
/*
 * A read or write of gpa (the xAPIC page) that faulted: decodes the MOV at RIP, does the
 * access and skips it. False when the domain was crashed (an instruction it cannot decode).
 */
bool hvm_mmio(struct vcpu *v, uint64_t gpa, bool write);
/*
 * The same for a gpa where the domain has no page and no device claims it: a read loads
 * all-ones, a write is dropped (Xen's null handler for a PVH domain without a device model).
 */
bool hvm_mmio_unbacked(struct vcpu *v, uint64_t gpa, bool write);

/*
 * Domain console output (0xE9 and console_io), line-buffered into the hypervisor log.
 * A DomU's goes through one token bucket: console_allowance() grants up to want bytes.
 */
void domain_console_putc(struct domain *d, char c);
size_t console_allowance(struct domain *d, size_t want);

/*
 * Copies between the hypervisor and a guest *virtual* address, walking the guest's page
 * tables with its current paging mode. 0, or -EFAULT when any byte is unmapped, not
 * permitted (writes need RW; CPL 3 needs U/S) or outside the guest's memory.
 */
int copy_from_guest_virt(struct vcpu *v, void *dst, uint64_t gva, size_t len);
int copy_to_guest_virt(struct vcpu *v, uint64_t gva, const void *src, size_t len);

#endif
