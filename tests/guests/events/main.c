/*
 * Event channels and guest time, end to end: the callback vector (HVM_PARAM_CALLBACK_IRQ
 * type 2), VIRQ_TIMER from singleshot timers read against the pvclock (never early, late by
 * at most a bound), the mask/unmask re-raise rule on an IPI port, status and close, and
 * with role=server|client peer=<domid> an interdomain ping-pong between two domains.
 */
#include "guest.h"

const char test_title[] = "Event channels and timers";

#define CALLBACK_VECTOR 0xF3
#define SHARED_INFO_GFN 0x900
/*
 * Emulated CPUs get descheduled: 50 ms unless late_ms= says otherwise (a test about
 * something else, run with many domains per pCPU on a loaded host).
 */
static int64_t timer_late_bound_ns = 50000000LL;

static struct shared_info *const shared = (void *)(SHARED_INFO_GFN << 12);
volatile unsigned long upcalls;
static volatile unsigned long port_events[4096];

void upcall_stub(void);
void upcall_handler(void);
#ifdef __i386__
__asm__(".text\n"
        "upcall_stub:\n"
        "  pushal\n"
        "  cld\n"
        "  call upcall_handler\n"
        "  popal\n"
        "  iretl\n");
#else
__asm__(".text\n"
        "upcall_stub:\n"
        "  push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
        "  push %r8; push %r9; push %r10; push %r11\n"
        "  call upcall_handler\n"
        "  pop %r11; pop %r10; pop %r9; pop %r8\n"
        "  pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
        "  iretq\n");
#endif

/* Linux's 2-level scan: take the selector, then every pending and unmasked port. */
void upcall_handler(void)
{
    struct vcpu_info *vi = &shared->vcpu_info[0];

    upcalls++;
    while (__atomic_exchange_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST)) {
        xen_ulong_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

        while (sel) {
            unsigned int w = (unsigned int)__builtin_ctzl(sel);
            xen_ulong_t bits;

            sel &= sel - 1;
            bits = shared->evtchn_pending[w] & ~shared->evtchn_mask[w];
            while (bits) {
                unsigned int b = (unsigned int)__builtin_ctzl(bits);
                unsigned int port = w * EVTCHN_WORD_BITS + b;

                bits &= bits - 1;
                __atomic_fetch_and(&shared->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
                port_events[port]++;
            }
        }
    }
}

static int64_t now_ns(void)
{
    return pv_now(shared);
}

static bool timer_bound;
static unsigned int timer_port;

/*
 * Sleeps (HLT with interrupts on) until port has seen more than `seen` events. Once
 * VIRQ_TIMER is bound, a singleshot timer at the timeout wakes the HLT if nothing else does.
 */
/*
 * mode=poll: the ping-pong port is masked and its pending bit spun on, no upcall;
 * mode=spin: the upcall, taken while spinning with interrupts on rather than halted.
 */
static bool polled, spinning;

static bool wait_port(unsigned int port, unsigned long seen, int64_t timeout_ns)
{
    int64_t end = now_ns() + timeout_ns;
    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = (uint64_t)end };

    while (port_events[port] <= seen) {
        if (now_ns() > end)
            return false;
        if (spinning) {
            __asm__ volatile("sti; pause; cli" ::: "memory");
            continue;
        }
        if (timer_bound)
            HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &st);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    return true;
}

static void mask_port(unsigned int port)
{
    __atomic_fetch_or(&shared->evtchn_mask[port / EVTCHN_WORD_BITS],
                      1UL << (port % EVTCHN_WORD_BITS), __ATOMIC_SEQ_CST);
}

/* wait_port()'s contract, by spinning on the pending bit when polled. */
static bool wait_event(unsigned int port, unsigned long seen, int64_t timeout_ns)
{
    xen_ulong_t bit = 1UL << (port % EVTCHN_WORD_BITS);
    int64_t end = now_ns() + timeout_ns;

    if (!polled)
        return wait_port(port, seen, timeout_ns);
    if (port_events[port] > seen)       /* taken by an upcall before the port was masked */
        return true;
    while (!(__atomic_load_n(&shared->evtchn_pending[port / EVTCHN_WORD_BITS],
                             __ATOMIC_SEQ_CST) & bit))
        if (now_ns() > end)
            return false;
    __atomic_fetch_and(&shared->evtchn_pending[port / EVTCHN_WORD_BITS], ~bit, __ATOMIC_SEQ_CST);
    port_events[port]++;
    return true;
}

static void setup(void)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ,
                               .value = 2ULL << 56 | CALLBACK_VECTOR };

    idt_set_gate(CALLBACK_VECTOR, upcall_stub);
    idt_load();
    if (map_shared_info(SHARED_INFO_GFN) != shared)
        xtf_failure("map shared_info failed");
    CHECK_EQ("set CALLBACK_IRQ", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p), 0);
    p.index = HVM_PARAM_STORE_PFN;
    CHECK_EQ("DomU set STORE_PFN", HYPERCALL2(__HYPERVISOR_hvm_op, HVMOP_set_param, &p),
             guest_is_dom0() ? 0 : -XEN_EPERM);
}

/*
 * One singleshot timer delay_ns ahead: its lateness by the pvclock, or -1 if it never
 * fired. Early is always a failure.
 */
static int64_t timer_lateness(unsigned int port, int i, int64_t delay_ns)
{
    struct vcpu_set_singleshot_timer st = { 0 };
    unsigned long seen = port_events[port];
    int64_t late;

    st.timeout_abs_ns = (uint64_t)(now_ns() + delay_ns);
    CHECK_EQ("set_singleshot", HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer,
                                          0, &st), 0);
    if (!wait_port(port, seen, 1000000000)) {
        xtf_failure("timer %d never fired", i);
        return -1;
    }
    late = now_ns() - (int64_t)st.timeout_abs_ns;
    if (late < 0)
        xtf_failure("timer %d fired %ld ns early", i, (long)-late);
    return late;
}

/*
 * A timer later than the bound is tried again, up to TIMER_ATTEMPTS times in all: the host
 * descheduling the emulator's CPU thread makes one timer late, a fault in kumo's timer
 * path makes every attempt late.
 */
#define TIMER_ATTEMPTS 3

static void test_timer(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct vcpu_set_singleshot_timer st = { 0 };
    int64_t worst = 0;
    int retries = 0;

    CHECK_EQ("bind VIRQ_TIMER", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, &bv), 0);
    CHECK_EQ("bind VIRQ_TIMER twice", HYPERCALL2(__HYPERVISOR_event_channel_op,
                                                 EVTCHNOP_bind_virq, &bv), -XEN_EEXIST);
    for (int i = 0; i < 20; i++) {
        int64_t late = timer_lateness(bv.port, i, 2000000 + i * 500000);

        for (int a = 1; a < TIMER_ATTEMPTS && late > timer_late_bound_ns; a++, retries++)
            late = timer_lateness(bv.port, i, 2000000 + i * 500000);
        if (late < 0)
            return;
        worst = late > worst ? late : worst;
    }
    if (worst > timer_late_bound_ns)
        xtf_failure("a timer fired %ld us late in all %d attempts (bound %ld us)",
                    (long)(worst / 1000), TIMER_ATTEMPTS, (long)(timer_late_bound_ns / 1000));
    printk("timer retries after host stalls: %d\n", retries);
    printk("20 singleshot timers: none early, worst %ld us late\n", (long)(worst / 1000));
    timer_port = bv.port;
    timer_bound = true;
    st.timeout_abs_ns = 1;                          /* long past: fires at once */
    HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &st);
    if (!wait_port(bv.port, port_events[bv.port], 100000000))
        xtf_failure("an expired deadline did not fire at once");
    st.flags = VCPU_SSHOTTMR_future;
    CHECK_EQ("expired deadline with the future flag",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &st), -62);
}

static void test_mask_rules(void)
{
    struct evtchn_bind_ipi bi = { .vcpu = 0 };
    struct evtchn_status s = { .dom = DOMID_SELF };
    unsigned int p;
    unsigned long seen;

    CHECK_EQ("bind_ipi", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, &bi), 0);
    p = bi.port;
    seen = port_events[p];
    shared->evtchn_mask[p / EVTCHN_WORD_BITS] |= 1UL << (p % EVTCHN_WORD_BITS);
    CHECK_EQ("send", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &p), 0);
    if (wait_port(p, seen, 20000000))
        xtf_failure("a masked port raised an upcall");
    if (!(shared->evtchn_pending[p / EVTCHN_WORD_BITS] & (1UL << (p % EVTCHN_WORD_BITS))))
        xtf_failure("a masked port lost its pending bit");
    CHECK_EQ("unmask", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, &p), 0);
    if (!wait_port(p, seen, 100000000))
        xtf_failure("unmasking a pending port did not re-raise it");
    s.port = p;
    CHECK_EQ("status", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_status, &s), 0);
    CHECK_EQ("status of an IPI port", s.status, EVTCHNSTAT_ipi);
    CHECK_EQ("close", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &p), 0);
    CHECK_EQ("close twice", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &p),
             -XEN_EINVAL);
    CHECK_EQ("send on a closed port", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &p),
             -XEN_EINVAL);
    p = 5000;
    CHECK_EQ("send on port 5000", HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &p),
             -XEN_EINVAL);
}


/*
 * shadow=N: N rounds of a timer armed to fire while this vCPU runs a long straight-line
 * block that ends in "sti; hlt" (the deadline swept across it, 2 us steps), so the host's
 * timer interrupt often makes it exit inside the STI shadow with the upcall then pending.
 * The upcall must wake the HLT: delivered before it, it would be consumed and the HLT would
 * sleep for good (the test's bound on the domain's end catches that).
 */
static void test_sti_hlt_shadow(unsigned long rounds)
{
    struct vcpu_set_singleshot_timer st = { 0 };

    for (unsigned long i = 0; i < rounds; i++) {
        unsigned long seen = port_events[timer_port];
        unsigned int quotient = 1, divisor = 1, remainder = 0;

        st.timeout_abs_ns = (uint64_t)(now_ns() + 2000 * (int64_t)(i % 64));
        HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &st);
        /* No branch before the HLT: TCG runs the divisions and the STI as one block. */
        __asm__ volatile(".rept 400\n divl %%ecx\n .endr\n sti\n hlt\n cli"
                         : "+a"(quotient), "+d"(remainder) : "c"(divisor) : "memory", "cc");
        if (port_events[timer_port] <= seen) {
            xtf_failure("shadow round %lu: HLT ended without the timer's upcall", i);
            return;
        }
    }
    printk("%lu timers raised around sti; hlt woke the HLT\n", rounds);
}

static unsigned long arg(const char *key, unsigned long dflt)
{
    const char *s = strstr(guest_cmdline(), key);

    return s ? simple_strtoull(s + strlen(key), NULL, 10) : dflt;
}

static unsigned int server_port;

/* What the shared page says about port, for a failure message. */
static const char *port_state(unsigned int port)
{
    static char buf[96];
    unsigned int w = port / EVTCHN_WORD_BITS;
    xen_ulong_t bit = 1UL << (port % EVTCHN_WORD_BITS);

    snprintf(buf, sizeof(buf), "pending %d masked %d selector %#lx upcall %u events %lu",
             !!(shared->evtchn_pending[w] & bit), !!(shared->evtchn_mask[w] & bit),
             (unsigned long)shared->vcpu_info[0].evtchn_pending_sel,
             shared->vcpu_info[0].evtchn_upcall_pending, port_events[port]);
    return buf;
}

/* The server's port comes first, so it is port 1: the client binds to that. */
static void ping_pong_listen(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = (domid_t)arg("peer=", 0) };

    if (!strstr(guest_cmdline(), "role=server"))
        return;
    CHECK_EQ("alloc_unbound", HYPERCALL2(__HYPERVISOR_event_channel_op,
                                         EVTCHNOP_alloc_unbound, &au), 0);
    server_port = au.port;
    printk("server: port %u for d%lu\n", server_port, arg("peer=", 0));
}

static void send_checked(unsigned int port)
{
    long rc = HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &port);

    if (rc)
        xtf_failure("send on port %u: %ld", port, rc);
}

#define ROUND_TIMEOUT_NS 5000000000LL

/*
 * One ping or pong, seen within the timeout -- and before the timeout's own timer woke the
 * vCPU (wait_port() arms it at the deadline): an upcall lost while halted would hide
 * behind that timer and pass as a slow round.
 */
static bool wait_round(const char *what, unsigned int port, unsigned long seen, unsigned long i)
{
    int64_t t0 = now_ns();

    if (!wait_event(port, seen, ROUND_TIMEOUT_NS)) {
        xtf_failure("%s %lu never came (%s)", what, i, port_state(port));
        return false;
    }
    if (now_ns() - t0 >= ROUND_TIMEOUT_NS) {
        xtf_failure("%s %lu seen only when the deadline's timer woke the vCPU (%s)", what, i,
                    port_state(port));
        return false;
    }
    return true;
}

static void ping_pong(void)
{
    bool server = strstr(guest_cmdline(), "role=server"), client = strstr(guest_cmdline(), "role=client");
    unsigned long rounds = arg("rounds=", 200), peer = arg("peer=", 0);
    unsigned int port;
    unsigned long base;
    int64_t t0;

    if (server) {
        port = server_port;
        for (unsigned long i = 0; i < rounds; i++) {
            if (!wait_round("server: ping", port, i, i))
                return;
            send_checked(port);
        }
    } else if (client) {
        struct evtchn_bind_interdomain bi = { .remote_dom = (domid_t)peer,
                                              .remote_port = (uint32_t)arg("port=", 1) };
        long rc;
        int64_t give_up = now_ns() + 5000000000LL;

        /* The server may not have allocated its port yet. */
        while ((rc = HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, &bi)) &&
               now_ns() < give_up)
            HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        CHECK_EQ("bind_interdomain", rc, 0);
        if (rc)
            return;
        port = bi.local_port;
        if (polled)
            mask_port(port);
        /*
         * bind_interdomain leaves the local port pending, as Xen documents: absorb that one
         * event. Interrupts are off here, so it cannot have been counted yet.
         */
        if (!wait_event(port, port_events[port], 1000000000LL))
            xtf_failure("bind_interdomain did not leave the local port pending");
        base = port_events[port];
        t0 = now_ns();
        for (unsigned long i = 0; i < rounds; i++) {
            send_checked(port);
            if (!wait_round("client: pong", port, base + i, i))
                return;
        }
        printk("BENCH evtchn-ping-pong-%s round-trip %ld ns rounds %lu\n",
               polled ? "polled" : spinning ? "upcall-spinning" : "upcall-halted", (long)((now_ns() - t0) / (int64_t)rounds), rounds);
    }
}

static struct vcpu_runstate_info runstate;

static void register_runstate(void)
{
    struct vcpu_register_runstate_memory_area r = { .addr.v = &runstate };

    CHECK_EQ("register_runstate_memory_area",
             HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, &r), 0);
}

/* The runstate area is kept current: we are running now, and we spent time blocked in HLT. */
static void check_runstate_and_wallclock(void)
{
    uint64_t total = runstate.time[0] + runstate.time[1] + runstate.time[2] + runstate.time[3];

    CHECK_EQ("runstate state", runstate.state, RUNSTATE_running);
    if (!runstate.time[RUNSTATE_running] || !runstate.time[RUNSTATE_blocked])
        xtf_failure("runstate times not kept: running %lu blocked %lu",
                    (unsigned long)runstate.time[0], (unsigned long)runstate.time[2]);
    if (total > (uint64_t)now_ns() + 1000000000ULL)
        xtf_failure("runstate total %lu ns exceeds system time", (unsigned long)total);
    if (shared->wc_version & 1)
        xtf_failure("wallclock version odd");
    printk("runstate: running %lu us, blocked %lu us; wallclock %lu s\n",
           (unsigned long)(runstate.time[0] / 1000), (unsigned long)(runstate.time[2] / 1000),
           (unsigned long)shared->wc_sec);
}

void test_main(void)
{
    timer_late_bound_ns = (int64_t)arg("late_ms=", 50) * 1000000;
    polled = strstr(guest_cmdline(), "mode=poll");
    spinning = strstr(guest_cmdline(), "mode=spin");
    ping_pong_listen();
    setup();                            /* first: it fixes the shared layouts (32/64-bit) */
    register_runstate();
    if (polled && server_port)
        mask_port(server_port);
    test_timer();
    if (arg("shadow=", 0))
        test_sti_hlt_shadow(arg("shadow=", 0));
    test_mask_rules();
    ping_pong();
    check_runstate_and_wallclock();
    printk("%lu upcalls\n", upcalls);
}
