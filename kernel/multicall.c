/*
 * multicall (hypercall 13): a batch of multicall_entry, each run through the dispatch
 * table and its result written back into its entry, as Xen 4.17's do_multicall. Only the
 * result field is written. A multicall inside a multicall answers -EINVAL in its entry.
 */
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

long do_multicall(struct vcpu *v, uint64_t call_list, uint64_t nr_calls, uint64_t a3,
                  uint64_t a4, uint64_t a5)
{
    uint32_t nr = (uint32_t)nr_calls, i;
    struct multicall_entry call;
    long rc = 0;

    (void)a3, (void)a4, (void)a5;
    if (v->in_multicall)
        return -XEN_EINVAL;
    v->in_multicall = true;
    for (i = 0; i < nr; i++) {
        uint64_t entry = call_list + (uint64_t)i * sizeof(call), args[5];

        if (i == MULTICALL_BATCH) {
            hypercall_create_continuation(v, __HYPERVISOR_multicall, entry, nr - i);
            break;
        }
        if (copy_from_guest_virt(v, &call, entry, sizeof(call))) {
            rc = -XEN_EFAULT;
            break;
        }
        for (unsigned int k = 0; k < 5; k++)
            args[k] = call.args[k];
        call.result = (xen_ulong_t)hypercall_dispatch(v, call.op, args);
        if (copy_to_guest_virt(v, entry + offsetof(struct multicall_entry, result),
                               &call.result, sizeof(call.result))) {
            rc = -XEN_EFAULT;
            break;
        }
        /* An entry that stopped the vCPU (block, shutdown) ends the batch there. */
        if (v->state != VCPU_RUNNING || v->domain->is_shutdown) {
            if (i + 1 < nr)
                hypercall_create_continuation(v, __HYPERVISOR_multicall, entry + sizeof(call),
                                              nr - i - 1);
            break;
        }
    }
    v->in_multicall = false;
    return rc;
}
