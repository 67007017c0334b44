/*
 * Host tests for kernel/domain_ref.c: a domain found by id stays valid until its reference
 * is put, whatever destroy does meanwhile, and is released exactly once. Released domains
 * are poisoned and freed at once, so ASan reports any use after the last put; one test
 * races lookups against destroy on two threads.
 */
#include <pthread.h>
#include <kumo/spinlock.h>

/* User mode cannot CLI: the IRQ-saving variants become plain locks. */
#define ASM_IRQ_H
static inline unsigned long local_irq_save(void) { return 0; }
static inline void local_irq_restore(unsigned long f) { (void)f; }
#define spin_lock_irqsave(l, f) do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

#include "../../kernel/domain_ref.c"
#include "harness.h"

void panic(const char *fmt, ...)
{
    (void)fmt;
    fprintf(stderr, "panic\n");
    abort();
}

static int released;

void domain_release(struct domain *d)
{
    __atomic_fetch_add(&released, 1, __ATOMIC_SEQ_CST);
    memset(d, 0x6b, sizeof(*d));        /* a later read finds garbage, not the old fields */
    free(d);
}

static struct domain *new_domain(uint16_t id)
{
    struct domain *d = calloc(1, sizeof(*d));

    CHECK_EQ(domain_list(d, id, id == 0), 0);
    return d;
}

/* What domain_destroy() does with references: unlist, then drop the table's. */
static void destroy(struct domain *d)
{
    CHECK(domain_unlist(d));
    domain_put(d);
}

TEST(domain_lookup_holds_reference)
{
    struct domain *d = new_domain(5), *r;

    released = 0;
    r = domain_lookup(5);
    CHECK(r == d);
    destroy(d);
    CHECK_EQ(released, 0);              /* the lookup's reference keeps it */
    CHECK_EQ(r->domid, 5);
    CHECK(domain_lookup(5) == NULL);    /* but nobody new finds it */
    domain_put(r);
    CHECK_EQ(released, 1);
}

TEST(domain_list_picks_lowest_free_id_and_refuses_taken)
{
    struct domain *a = new_domain(1), *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));

    released = 0;
    CHECK_EQ(domain_list(b, DOMID_INVALID, false), 0);
    CHECK_EQ(b->domid, 2);
    CHECK_EQ(domain_list(c, 2, false), -XEN_EEXIST);
    CHECK_EQ(domain_list(c, MAX_DOMAINS, false), -XEN_ENOSPC);
    free(c);
    destroy(a);
    destroy(b);
    CHECK_EQ(released, 2);
}

TEST(domain_next_counts_what_it_returns)
{
    struct domain *a = new_domain(3), *b = new_domain(9), *d;
    unsigned int id = 4;

    released = 0;
    d = domain_next(&id);
    CHECK(d == b);
    CHECK_EQ(id, 9);
    destroy(b);
    CHECK_EQ(released, 0);
    domain_put(d);
    id = 10;
    CHECK(domain_next(&id) == NULL);
    destroy(a);
    CHECK_EQ(released, 2);
}

static volatile bool stop_racing;
static long lookups_hit;

static void *lookup_loop(void *unused)
{
    (void)unused;
    while (!__atomic_load_n(&stop_racing, __ATOMIC_ACQUIRE)) {
        struct domain *d = domain_lookup(7);

        if (!d)
            continue;
        /* Poisoned or freed memory would fail this or trip ASan. */
        if (d->domid != 7 || d->refcnt == 0)
            abort();
        lookups_hit++;
        domain_put(d);
    }
    return NULL;
}

TEST(domain_lookup_races_destroy_without_use_after_free)
{
    pthread_t t;
    const int rounds = 20000;

    released = 0;
    stop_racing = false;
    pthread_create(&t, NULL, lookup_loop, NULL);
    for (int i = 0; i < rounds; i++)
        destroy(new_domain(7));
    __atomic_store_n(&stop_racing, true, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    CHECK_EQ(released, rounds);
    CHECK(domain_lookup(7) == NULL);
    if (getenv("VERBOSE"))
        fprintf(stderr, "  %ld lookups found the domain\n", lookups_hit);
}

int main(void)
{
    RUN(domain_lookup_holds_reference);
    RUN(domain_list_picks_lowest_free_id_and_refuses_taken);
    RUN(domain_next_counts_what_it_returns);
    RUN(domain_lookup_races_destroy_without_use_after_free);
    HARNESS_EXIT();
}
