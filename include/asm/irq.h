/* Local interrupt-flag control and the IRQ-saving spinlock variants. */
#ifndef ASM_IRQ_H
#define ASM_IRQ_H

#include <kumo/spinlock.h>

static inline void local_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static inline void local_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static inline unsigned long local_save_flags(void)
{
    unsigned long f;

    __asm__ volatile("pushf; pop %0" : "=r"(f) :: "memory");
    return f;
}

static inline unsigned long local_irq_save(void)
{
    unsigned long f = local_save_flags();

    local_irq_disable();
    return f;
}

static inline void local_irq_restore(unsigned long f)
{
    if (f & (1UL << 9))
        local_irq_enable();
}

static inline bool local_irq_is_enabled(void)
{
    return local_save_flags() & (1UL << 9);
}

/* STI's one-instruction shadow makes "sti; hlt" race-free against a pending interrupt. */
static inline void safe_halt(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

#define spin_lock_irqsave(l, f) do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

static inline void spin_lock_irq(spinlock_t *l)
{
    local_irq_disable();
    spin_lock(l);
}

static inline void spin_unlock_irq(spinlock_t *l)
{
    spin_unlock(l);
    local_irq_enable();
}

#endif
