/*
 * multicall (hypercall 13): a batch of multicall_entry, each run through the dispatch
 * table and its result written back into its entry, as Xen 4.17's do_multicall. Only the
 * result field is written. A multicall inside a multicall answers -EINVAL in its entry.
 * A 32-bit caller's entries are in its own layout; continuations advance in that layout.
 */
#include <kumo/compat.h>
#include <kumo/domain.h>
#include <kumo/hvm_exits.h>
#include <kumo/hypercall.h>
#include <kumo/xen_abi.h>

/*
 * Entries run per exit. Xen stops where it would need to preempt and lets the guest
 * re-execute the call for the rest; kumo does the same after this many, so a long batch
 * lets timers and other vCPUs in between.
 */
#define MULTICALL_BATCH 32

/*
 * Entry `at` read in the caller's layout: a 32-bit caller's (Xen's compat_multicall_entry,
 * 32 bytes) is widened, so each nested call then goes through its own compat translation.
 */
static int read_entry(struct vcpu *v, uint64_t at, uint64_t *op, uint64_t args[5])
{
    struct compat_multicall_entry c;
    struct multicall_entry n;

    if (v->hcall_compat) {
        if (copy_from_guest_virt(v, &c, at, sizeof(c)))
            return -XEN_EFAULT;
        *op = c.op;
        for (unsigned int k = 0; k < 5; k++)
            args[k] = c.args[k];
        return 0;
    }
    if (copy_from_guest_virt(v, &n, at, sizeof(n)))
        return -XEN_EFAULT;
    *op = n.op;
    for (unsigned int k = 0; k < 5; k++)
        args[k] = n.args[k];
    return 0;
}

/* Only the result is written: 32 bits of it for a 32-bit caller, as Xen's compat_multicall. */
static int write_result(struct vcpu *v, uint64_t at, long rc)
{
    int32_t r32 = (int32_t)rc;
    xen_ulong_t r = (xen_ulong_t)rc;

    if (v->hcall_compat)
        return copy_to_guest_virt(v, at + offsetof(struct compat_multicall_entry, result), &r32,
                                  sizeof(r32));
    return copy_to_guest_virt(v, at + offsetof(struct multicall_entry, result), &r, sizeof(r));
}

long do_multicall(struct vcpu *v, uint64_t call_list, uint64_t nr_calls, uint64_t a3,
                  uint64_t a4, uint64_t a5)
{
    uint64_t size = v->hcall_compat ? sizeof(struct compat_multicall_entry)
                                    : sizeof(struct multicall_entry);
    uint32_t nr = (uint32_t)nr_calls, i;
    long rc = 0;

    (void)a3, (void)a4, (void)a5;
    if (v->in_multicall)
        return -XEN_EINVAL;
    v->in_multicall = true;
    for (i = 0; i < nr; i++) {
        uint64_t entry = call_list + (uint64_t)i * size, op, args[5];

        if (i == MULTICALL_BATCH) {
            hypercall_create_continuation(v, __HYPERVISOR_multicall, entry, nr - i);
            break;
        }
        if (read_entry(v, entry, &op, args)) {
            rc = -XEN_EFAULT;
            break;
        }
        if (write_result(v, entry, hypercall_dispatch(v, op, args))) {
            rc = -XEN_EFAULT;
            break;
        }
        /* An entry that stopped the vCPU (block, shutdown) ends the batch there. */
        if (v->state != VCPU_RUNNING || v->domain->is_shutdown) {
            if (i + 1 < nr)
                hypercall_create_continuation(v, __HYPERVISOR_multicall, entry + size,
                                              nr - i - 1);
            break;
        }
    }
    v->in_multicall = false;
    return rc;
}
