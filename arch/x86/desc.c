/*
 * GDT, TSS and IDT for every CPU. Each CPU has its own GDT (its TSS descriptor differs), its
 * own TSS (IST stacks for NMI, double fault and machine check, so those run on a known-good
 * stack) and its own copy of the IDT.
 */
#include <asm/config.h>
#include <asm/desc.h>
#include <asm/processor.h>
#include <kumo/lib.h>
#include <kumo/mm.h>

extern char vector_stubs[];
#define VECTOR_STUB_SIZE 16

static struct idt_entry master_idt[256] __attribute__((aligned(4096)));

static void set_gate(struct idt_entry *e, void *handler, unsigned int ist)
{
    uint64_t a = (uint64_t)handler;

    e->offset0 = a & 0xFFFF;
    e->selector = SEL_CODE64;
    e->ist = (uint8_t)ist;
    e->type_attr = 0x8E;            /* present, DPL 0, 64-bit interrupt gate */
    e->offset1 = (a >> 16) & 0xFFFF;
    e->offset2 = (uint32_t)(a >> 32);
    e->zero = 0;
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++) {
        unsigned int ist = v == 2 ? IST_NMI : v == 8 ? IST_DF : v == 18 ? IST_MCE : 0;

        set_gate(&master_idt[v], vector_stubs + v * VECTOR_STUB_SIZE, ist);
    }
}

int desc_alloc_cpu(struct cpu_info *c)
{
    if (!c->idt) {
        c->idt = alloc_xenheap_pages(0);
        if (!c->idt)
            return -12;
    }
    for (unsigned int i = 0; i < NR_IST; i++) {
        if (!c->ist_stacks[i])
            c->ist_stacks[i] = alloc_xenheap_pages(0);
        if (!c->ist_stacks[i])
            return -12;
    }
    return 0;
}

static void build_gdt(struct cpu_info *c)
{
    uint64_t base = (uint64_t)&c->tss;
    uint64_t limit = sizeof(c->tss) - 1;

    c->gdt[0] = 0;
    c->gdt[SEL_CODE64 / 8] = 0x00AF9A000000FFFF;
    c->gdt[SEL_DATA / 8] = 0x00CF92000000FFFF;
    c->gdt[SEL_CODE32 / 8] = 0x00CF9A000000FFFF;
    /* 16-byte available 64-bit TSS descriptor (SDM Vol 3A 8.2.3), type 9. */
    c->gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
                          ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    c->gdt[SEL_TSS / 8 + 1] = base >> 32;
}

void desc_load_cpu(struct cpu_info *c)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr, idtr;

    memset(&c->tss, 0, sizeof(c->tss));
    for (unsigned int i = 0; i < NR_IST; i++)
        c->tss.ist[i + 1] = (uint64_t)c->ist_stacks[i] + PAGE_SIZE;
    c->tss.iomap_base = sizeof(c->tss);     /* no I/O bitmap */
    build_gdt(c);
    memcpy(c->idt, master_idt, sizeof(master_idt));

    gdtr.limit = sizeof(c->gdt) - 1;
    gdtr.base = (uint64_t)c->gdt;
    idtr.limit = sizeof(master_idt) - 1;
    idtr.base = (uint64_t)c->idt;
    __asm__ volatile("lgdt %0" :: "m"(gdtr));
    /* Reload CS through a far return, then the data segments and TR. */
    __asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     :: "i"(SEL_CODE64) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" :: "r"(SEL_DATA));
    __asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
    __asm__ volatile("lidt %0" :: "m"(idtr));
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void idt_load_master(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
        sizeof(master_idt) - 1, (uint64_t)master_idt
    };

    __asm__ volatile("lidt %0" :: "m"(idtr));
}
