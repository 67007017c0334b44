/*
 * The last VM exits of each vCPU (arch/x86/hvm/exit_trace.c), for post-mortems of guests
 * that die without a word: dumped when a domain crashes and by debug key 'x'.
 */
#ifndef KUMO_EXIT_TRACE_H
#define KUMO_EXIT_TRACE_H

struct vcpu;
struct domain;
struct hvm_exit;

/* hvm_vcpu_create()'s: 0 or -1 when out of memory; undone by exit_trace_free(). */
int exit_trace_init(struct vcpu *v);
void exit_trace_free(struct vcpu *v);
/* On the pCPU running v, after each exit is decoded. */
void exit_trace_record(struct vcpu *v, const struct hvm_exit *e);
/* Prints v's registers and its last exits (at most last), oldest first. */
void exit_trace_dump(struct vcpu *v, unsigned int last);
void exit_trace_dump_domain(struct domain *d, unsigned int last);
/*
 * The words at v's stack pointer (return addresses show where it was). Only for the
 * caller's own vCPU, with no lock of its domain held: it walks the guest's page tables.
 */
void exit_trace_dump_stack(struct vcpu *v);

#endif
