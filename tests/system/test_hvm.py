"""System tests of the HVM core: test kernels as Dom0 and as boot-time DomUs, on QEMU
(SVM+NPT) and Bochs (VT-x+EPT); domain memory returns to the heap; bad domU lines are
skipped without stopping the others."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import FATAL, expect

TIMEOUT = 60
BOCHS_TIMEOUT = 240


def results(log):
    """{domain name: result}: DomUs' '(kumo) [name] Test result: X' lines, and Dom0's, which
    reach the console without a prefix."""
    got = dict(re.findall(r"^\(kumo\) \[([^\]]+)\] Test result: (\w+)$", log, re.M))
    dom0 = re.search(r"^Test result: (\w+)$", log, re.M)
    if dom0:
        got["Domain-0"] = dom0.group(1)
    return got


def check_domus_ran_and_freed(m, names, timeout):
    for name in names:
        m.wait_for(r"\[%s\] Test result: \w+" % re.escape(name), timeout)
    # Domains end in any order: wait for as many destroy lines as domains.
    destroyed = r"^\(kumo\) d\d+ destroyed: \d+ pages returned, \d+ pages free, \d+ ms of CPU used$"
    m.wait_for(r"(%s\n(.*\n)*){%d}" % (destroyed, len(names)), timeout)
    log = m.text()
    got = results(log)
    for name in names:
        expect(got.get(name) == "PASS", "%s: %s" % (name, got.get(name)))
    before = int(re.search(r"Heap: (\d+) pages free before building domains", log).group(1))
    after = [int(x) for x in re.findall(r"destroyed: \d+ pages returned, (\d+) pages free", log)]
    expect(len(after) == len(names), "expected %d destroyed domains, saw %d" % (len(names), len(after)))
    expect(after[-1] == before, "heap has %d pages free after destroy, %d before" % (after[-1], before))
    expect(not FATAL.search(log), "fatal message in the log")
    return log


DOMU_MODULES = [
    (guest("smoke"), "domU name=g1 memory=16M vcpus=1 -- one"),
    (guest("smoke"), "domU name=g2 memory=18M cpus=1 weight=512 -- two"),
    (guest("smoke"), "domU name=bad memory=lots"),
    (guest("smoke"), "domU name=bad2 colour=red"),
]


def qemu_smoke_dom0():
    m = qemu(ncpus=2, megs=512, cmdline=DEFAULT_CMDLINE + " dom0_mem=64M dom0_max_vcpus=1",
             modules=[(guest("smoke"), "console=hvc0 smoke-as-dom0")])
    try:
        m.wait_for(r"^Test result: \w+", TIMEOUT)
        log = m.text()
        expect("HVM: SVM with NPT" in log, "not on SVM")
        expect(results(log).get("Domain-0") == "PASS", "Dom0 smoke: %s" % results(log))
        expect("Dom0: 64 MiB, 1 vCPUs, 0 modules, command line 'console=hvc0 smoke-as-dom0'" in log,
               "Dom0 not built as asked")
        # Dom0's poweroff turns the machine off: QEMU exits by itself.
        m.proc.wait(timeout=30)
    finally:
        m.stop()


def qemu_dom0_reboot_restarts_machine():
    m = qemu(ncpus=1, cmdline=DEFAULT_CMDLINE + " dom0_mem=32M",
             modules=[(guest("smoke"), "on-exit=reboot")])
    try:
        m.wait_for(r"^\(kumo\) Dom0 rebooted: restarting the machine$", TIMEOUT)
        m.proc.wait(timeout=30)         # QEMU runs with -no-reboot: a reset ends it
        expect(results(m.text()).get("Domain-0") == "PASS", "Dom0 smoke failed")
    finally:
        m.stop()


def qemu_smoke_domus_and_memory_returned():
    m = qemu(ncpus=2, megs=256, modules=DOMU_MODULES)
    try:
        log = check_domus_ran_and_freed(m, ["g1", "g2"], TIMEOUT)
        expect("No Dom0 kernel module" in log, "unexpected Dom0")
        expect("domU module 2: bad memory in 'memory=lots'; domain skipped" in log,
               "bad memory value not reported")
        expect("domU module 3: unknown key in 'colour=red'; domain skipped" in log,
               "bad key not reported")
    finally:
        m.stop()


EXCEPTION_MODULES = [
    (guest("exceptions"), "domU name=exc memory=16M cpus=0"),
    (guest("smoke"), "domU name=neighbour memory=16M cpus=0"),
]


def qemu_exceptions_across_exits():
    """Both domains share one pCPU, so slices end with timer exits in the middle of things."""
    m = qemu(ncpus=1, modules=EXCEPTION_MODULES)
    try:
        log = check_domus_ran_and_freed(m, ["exc", "neighbour"], TIMEOUT)
        expect(re.search(r"\[exc\] (\d+) rounds: \1 #BP, \1 #UD delivered", log),
               "exceptions lost or duplicated")
    finally:
        m.stop()


def events_modules(rounds):
    return [
        (guest("events"), "domU name=srv memory=16M cpus=0 -- role=server peer=2 rounds=%d" % rounds),
        (guest("events"), "domU name=cli memory=16M cpus=1 -- role=client peer=1 rounds=%d" % rounds),
    ]


def events_pairs_modules(pairs, rounds, extra=""):
    """pairs server/client pairs (server d2k+1, client d2k+2), all on pCPUs 0 and 1."""
    mods = []
    for k in range(pairs):
        srv, cli = 2 * k + 1, 2 * k + 2
        mods.append((guest("events"), "domU name=srv%d memory=16M cpus=%d -- role=server peer=%d "
                     "rounds=%d %s" % (k, k % 2, cli, rounds, extra)))
        mods.append((guest("events"), "domU name=cli%d memory=16M cpus=%d -- role=client peer=%d "
                     "rounds=%d %s" % (k, (k + 1) % 2, srv, rounds, extra)))
    return mods


SHADOW_ROUNDS = 2000
SHADOW_MODULES = [(guest("events"), "domU name=shadow memory=16M cpus=0 -- shadow=%d" % SHADOW_ROUNDS)]


def check_shadow(log, rounds=SHADOW_ROUNDS):
    expect(re.search(r"\[shadow\] %d timers raised around sti; hlt woke the HLT" % rounds, log),
           "the sti; hlt rounds did not all end")


def check_events(log):
    for name in ("srv", "cli"):
        expect(re.search(r"\[%s\] 20 singleshot timers: none early, worst \d+ us late" % name, log),
               "%s: timer line missing" % name)
    expect(re.search(r"\[cli\] BENCH evtchn-ping-pong-upcall-halted round-trip \d+ ns", log),
           "no ping-pong figure")


def qemu_event_channels_timers_ping_pong():
    m = qemu(ncpus=2, modules=events_modules(200))
    try:
        check_events(check_domus_ran_and_freed(m, ["srv", "cli"], TIMEOUT))
    finally:
        m.stop()


def qemu_event_upcalls_never_lost_with_many_pairs_on_two_pcpus():
    """Three ping-pong pairs share two pCPUs, so every wake-up races a vCPU entering or
    leaving the guest on the other pCPU: a lost upcall shows as a ping that never came.
    The kick's IPI often lands between a guest's STI and HLT; QEMU before 9.1 then lost
    the interrupt shadow and the upcall ran before the HLT, which slept on (svm.c's
    at_shadowed_hlt). Timers get a loose bound here: six domains on two pCPUs of a
    loaded host are late for reasons this test is not about."""
    pairs = 3
    m = qemu(ncpus=2, modules=events_pairs_modules(pairs, 300, "late_ms=1000"))
    try:
        names = [n % k for k in range(pairs) for n in ("srv%d", "cli%d")]
        log = check_domus_ran_and_freed(m, names, TIMEOUT * 2)
        expect(len(re.findall(r"BENCH evtchn-ping-pong-upcall-halted", log)) == pairs,
               "a pair did not finish its ping-pong")
    finally:
        m.stop()


def qemu_upcall_raised_in_the_sti_hlt_shadow_wakes_the_hlt():
    """A timer swept across a guest's "sti; hlt" makes its vCPU exit inside the STI shadow
    with the upcall then due (about 1 round in 100 on QEMU): the upcall must wake the HLT,
    not run before it. QEMU before 9.1 drops the shadow on VMRUN, so svm.c takes the HLT
    exit rather than re-enter there; without that the guest halts for good and the domain
    never ends (the wait's bound fails the test)."""
    m = qemu(ncpus=2, modules=SHADOW_MODULES)
    try:
        check_shadow(check_domus_ran_and_freed(m, ["shadow"], TIMEOUT))
    finally:
        m.stop()


BOCHS_SHADOW_ROUNDS = 200


def bochs_event_channels_timers_ping_pong():
    """With the sti; hlt shadow rounds beside the ping-pong: VT-x's path, in the same boot."""
    shadow = [(guest("events"), "domU name=shadow memory=16M cpus=0 -- shadow=%d"
               % BOCHS_SHADOW_ROUNDS)]
    iso = make_iso(DEFAULT_CMDLINE, events_modules(20) + shadow)
    try:
        m = bochs(iso, ncpus=2)
        try:
            log = check_domus_ran_and_freed(m, ["srv", "cli", "shadow"], BOCHS_TIMEOUT)
            check_events(log)
            check_shadow(log, BOCHS_SHADOW_ROUNDS)
        finally:
            m.stop()
    finally:
        os.unlink(iso)


CONTROL_MODULES = [
    (guest("ctl"), "ctl"),
    (guest("ticker"), "domU name=witness memory=16M -- ticks=600"),
]


def check_control(m, timeout):
    m.wait_for(r"^Test result: \w+", timeout)
    log = m.text()
    expect(results(log).get("Domain-0") == "PASS", "control test: %s" % results(log))
    for cpu in (1, 0):
        expect(re.search(r"^pinned to pCPU %d: seen there \d+ times" % cpu, log, re.M),
               "no pinning report for pCPU %d" % cpu)


def qemu_control_interface_and_pinning():
    """Dom0 drives domctl/sysctl: scheduler parameters, domain info, pinning a DomU's vCPU."""
    m = qemu(ncpus=2, cmdline=DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1",
             modules=CONTROL_MODULES)
    try:
        check_control(m, TIMEOUT)
    finally:
        m.stop()


def bochs_control_interface_and_pinning():
    iso = make_iso(DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1", CONTROL_MODULES)
    try:
        m = bochs(iso, ncpus=2)
        try:
            check_control(m, BOCHS_TIMEOUT)
        finally:
            m.stop()
    finally:
        os.unlink(iso)


def bochs_smoke_domus_and_dom0():
    iso = make_iso(DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1",
                   [(guest("smoke"), "smoke-as-dom0")])
    try:
        m = bochs(iso, ncpus=2)
        try:
            m.wait_for(r"^Test result: \w+", BOCHS_TIMEOUT)
            log = m.text()
            expect("HVM: VMX with EPT" in log, "not on VMX")
            expect(results(log).get("Domain-0") == "PASS", "Dom0 smoke: %s" % results(log))
            m.proc.wait(timeout=30)         # Dom0's poweroff ends Bochs (ACPI S5)
        finally:
            m.stop()
        iso2 = make_iso(DEFAULT_CMDLINE, DOMU_MODULES[:2] + EXCEPTION_MODULES[:1])
        try:
            m = bochs(iso2, ncpus=2)
            try:
                log = check_domus_ran_and_freed(m, ["g1", "g2", "exc"], BOCHS_TIMEOUT)
                expect(re.search(r"\[exc\] (\d+) rounds: \1 #BP, \1 #UD delivered", log),
                       "exceptions lost or duplicated on VMX")
            finally:
                m.stop()
        finally:
            os.unlink(iso2)
    finally:
        os.unlink(iso)


TESTS = [qemu_smoke_dom0, qemu_dom0_reboot_restarts_machine, qemu_smoke_domus_and_memory_returned, qemu_exceptions_across_exits,
         qemu_event_channels_timers_ping_pong,
         qemu_event_upcalls_never_lost_with_many_pairs_on_two_pcpus,
         qemu_upcall_raised_in_the_sti_hlt_shadow_wakes_the_hlt,
         qemu_control_interface_and_pinning,
         bochs_smoke_domus_and_dom0, bochs_event_channels_timers_ping_pong,
         bochs_control_interface_and_pinning]
