/* Per-CPU descriptor tables: GDT (with this CPU's TSS), IDT, IST stacks. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <asm/percpu.h>

/*
 * Loads c's GDT, TSS and IDT on the calling CPU (which must be c) and points GS at c.
 * The IDT page and IST stacks must already be allocated (desc_alloc_cpu()).
 */
void desc_load_cpu(struct cpu_info *c);
/* Allocates c's IDT and IST stacks; 0 or -ENOMEM. */
int desc_alloc_cpu(struct cpu_info *c);
/* Builds the master IDT from the entry stubs; called once by the boot CPU. */
void idt_init(void);
/* Loads the master IDT: exceptions are reported from the first instructions of C on. */
void idt_load_master(void);

#endif
