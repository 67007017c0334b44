/*
 * A guest that floods xenstore over its PV ring (xen/io/xs_wire.h). "mode=write" writes
 * XS_WRITE requests to its own data/flood as fast as the ring allows and reads every
 * answer, printing "xs <n> requests answered, <m> watch events" each "every=<n>" answers
 * (default 1000), with "watches=<n>" watches on the node (none by default);
 * "mode=stall" keeps its request ring full and never reads an answer. Neither ends: the
 * toolstack destroys it.
 */
#include "guest.h"
#include <xen/io/xs_wire.h>

const char test_title[] = "Xenstore flood";

static volatile struct xenstore_domain_interface *xs;
static uint32_t xs_port;
static unsigned long sent, answered, refused, events, every;

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

static void kick(void)
{
    struct evtchn_send send = { .port = xs_port };

    HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &send);
}

static XENSTORE_RING_IDX put_bytes(XENSTORE_RING_IDX prod, const void *p, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        xs->req[MASK_XENSTORE_IDX(prod++)] = ((const char *)p)[i];
    return prod;
}

/* Queues one request whole, or nothing when the request ring lacks the room. */
static bool put_request(uint32_t type, const char *body, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = (uint32_t)sent, .len = len };
    XENSTORE_RING_IDX prod = xs->req_prod;

    if (sizeof(h) + len > XENSTORE_RING_SIZE - (prod - xs->req_cons))
        return false;
    prod = put_bytes(put_bytes(prod, &h, sizeof(h)), body, len);
    __atomic_thread_fence(__ATOMIC_RELEASE);   /* the bytes before the index (xs_wire.h) */
    xs->req_prod = prod;
    sent++;
    return true;
}

static bool put_write(void)
{
    char body[64];

    return put_request(XS_WRITE, body,
                       (uint32_t)snprintf(body, sizeof(body), "data/flood%c%lu", 0, sent));
}

/* Consumes the answers that arrived, byte by byte; true if any byte was taken. */
static bool take_answers(void)
{
    static struct xsd_sockmsg h;
    static char body[XENSTORE_PAYLOAD_MAX + 1];
    static uint32_t got;
    XENSTORE_RING_IDX cons = xs->rsp_cons, prod = xs->rsp_prod;
    bool any = cons != prod;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    for (; cons != prod; cons++) {
        char c = xs->rsp[MASK_XENSTORE_IDX(cons)];

        if (got < sizeof(h))
            ((char *)&h)[got] = c;
        else if (got - sizeof(h) < XENSTORE_PAYLOAD_MAX)
            body[got - sizeof(h)] = c;
        if (++got < sizeof(h) || got < sizeof(h) + h.len)
            continue;
        body[MIN(h.len, (uint32_t)XENSTORE_PAYLOAD_MAX)] = '\0';
        got = 0;
        if (h.type == XS_WATCH_EVENT) {
            events++;
            continue;
        }
        if (h.type == XS_ERROR && !refused++)
            printk("xs: first refusal: %s\n", body);
        if (++answered % every == 0)
            printk("xs %lu requests answered, %lu watch events\n", answered, events);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    xs->rsp_cons = cons;
    return any;
}

/* "watches=<n>" watches on data/flood first: each write then fires n events. */
static void flood_writes(void)
{
    unsigned long watches = arg("watches=", 0), watched = 0;

    for (;;) {
        bool moved = false;
        char body[32];

        while (watched < watches &&
               put_request(XS_WATCH, body, (uint32_t)snprintf(body, sizeof(body),
                                                              "data/flood%ct%lu%c", 0,
                                                              watched, 0)))
            watched++, moved = true;
        while (watched == watches && put_write())
            moved = true;
        moved |= take_answers();
        if (moved)
            kick();
        else
            __asm__ volatile("pause");
    }
}

/* Requests go in while xenstored takes them; answers are never read. */
static void stall(void)
{
    unsigned long reported = 0;

    for (;;) {
        bool moved = false;

        while (put_write())
            moved = true;
        if (moved) {
            kick();
            continue;
        }
        if (sent != reported && xs->req_prod - xs->req_cons > XENSTORE_RING_SIZE / 2)
            printk("xs stall: %lu requests written, %u answer bytes unread\n",
                   reported = sent, xs->rsp_prod - xs->rsp_cons);
        /*
         * Nothing fits: sleep until xenstored kicks (it took requests), polling no port and
         * with no timeout. A yield loop here cost a world switch per turn for nothing.
         */
        struct sched_poll none = { .nr_ports = 0, .timeout = 0 };

        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &none);
    }
}

void test_main(void)
{
    const char *cmdline = guest_cmdline();

    xs = map_special_page(HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN, &xs_port);
    if (!xs) {
        xtf_error("no xenstore ring (HVM_PARAM_STORE_PFN): start me with xl create");
        return;
    }
    every = arg("every=", 1000) ?: 1;
    printk("xs ring at port %u, connection %u\n", xs_port, xs->connection);
    if (strstr(cmdline, "mode=write"))
        flood_writes();
    else if (strstr(cmdline, "mode=stall"))
        stall();
    else
        xtf_error("the command line names no mode=write or mode=stall");
}
