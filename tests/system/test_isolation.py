"""System tests of isolation between domains: a guest that runs code outside its memory
(crashed) and one that triple-faults (shut down for reboot, Xen's default) stop alone, a
hostile guest's 100,000 random hypercalls leave the hypervisor standing, a witness domain
keeps ticking through all of it, and afterwards every page is back in the heap. On QEMU (SVM+NPT) and Bochs (VT-x+EPT)."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import FATAL, expect

TIMEOUT = 150
BOCHS_TIMEOUT = 240
HOSTILE_CALLS = 100000
CRASH_AFTER_MS = 1500           # the witness is seen ticking before anything crashes
# How each crasher stops: its "dN crashed: why" or "dN (name) shut down: reason" line.
CRASH_REASONS = {
    "npf": r"^crashed: instruction fetch from guest-physical 0x3f000000",
    "triple": r"^shut down: reboot",
}
STOP_LINE = r"^\(kumo\) d(\d+) (crashed: .*|\(\S+\) shut down: (?!poweroff).*)$"


def isolation_modules(ticks, crashers=("npf", "triple")):
    """The witness on pCPU 0 and the hostile guest on pCPU 1; crashers alternate between them,
    so one crash happens beside each. The witness's ticks must outlast the hostile guest."""
    mods = [(guest("ticker"), "domU name=witness memory=16M cpus=0 -- ticks=%d" % ticks),
            (guest("hostile"), "domU name=hostile memory=16M cpus=1 -- calls=%d" % HOSTILE_CALLS)]
    for i, kind in enumerate(crashers):
        mods.append((guest("crash"), "domU name=%s memory=16M cpus=%d -- %s after=%d"
                     % (kind, i % 2, kind, CRASH_AFTER_MS)))
    return mods


def domids(m, names, timeout):
    """{name: domid} from the builder's 'dN (name): ...' lines."""
    ids = {}
    for name in names:
        got = m.wait_for(r"^\(kumo\) d(\d+) \(%s\): \d+ MiB" % re.escape(name), timeout)
        ids[name] = int(got.group(1))
    return ids


def check_isolation(m, ticks, crashers, timeout):
    names = ["witness", "hostile"] + list(crashers)
    ids = domids(m, names, timeout)
    for name in names:
        m.wait_for(r"^\(kumo\) d%d destroyed: " % ids[name], timeout)
    log = m.text()

    # Each crasher stopped for its reason, and only they did.
    crashed = {int(d): re.sub(r"^\(\S+\) ", "", why)
               for d, why in re.findall(STOP_LINE, log, re.M)}
    expect(set(crashed) == {ids[k] for k in crashers},
           "expected crashes of %s, saw %s" % ({k: ids[k] for k in crashers}, crashed))
    for kind in crashers:
        why = crashed[ids[kind]]
        expect(re.search(CRASH_REASONS[kind], why),
               "%s (d%d) crashed with '%s', expected /%s/" % (kind, ids[kind], why, CRASH_REASONS[kind]))
        expect(not re.search(r"^\(kumo\) \[%s\] (Test result|Failure)" % kind, log, re.M),
               "%s went on past its crash point" % kind)

    # The hostile guest made all its calls and its hypervisor still answers.
    result = re.search(r"^\(kumo\) \[hostile\] Test result: (\w+)$", log, re.M)
    expect(result and result.group(1) == "PASS",
           "hostile: expected 'Test result: PASS', got %s" % (result and result.group(1)))
    survived = re.search(r"^\(kumo\) \[hostile\] (\d+) hypercalls survived: ", log, re.M)
    expect(survived and int(survived.group(1)) >= HOSTILE_CALLS,
           "hostile: expected a summary of >= %d hypercalls" % HOSTILE_CALLS)
    progress = [int(n) for n in re.findall(r"^\(kumo\) \[hostile\] (\d+) calls made$", log, re.M)]
    expect(progress == list(range(20000, HOSTILE_CALLS + 1, 20000)),
           "hostile: progress lines %s, expected every 20000 calls" % progress)

    # The witness ticked in order before, between and after the crashes and the storm.
    tick_at = [(t.start(), int(t.group(1)))
               for t in re.finditer(r"^\(kumo\) \[witness\] tick (\d+)$", log, re.M)]
    expect([n for _, n in tick_at] == list(range(1, ticks + 1)),
           "witness: expected ticks 1..%d in order, got %d tick lines" % (ticks, len(tick_at)))
    last_crash = max(c.start() for c in re.finditer(STOP_LINE, log, re.M))
    before = [n for pos, n in tick_at if pos < last_crash]
    after = [n for pos, n in tick_at if pos > last_crash]
    expect(before, "witness: expected a tick before the last crash line, saw none")
    expect(after and max(after) > max(before),
           "witness: expected ticks after the last crash line beyond tick %d" % max(before))
    # The witness kept ticking throughout the storm: in each stretch of 20000 hostile calls,
    # whatever speed the host gives the two emulated CPUs.
    start = re.search(r"^\(kumo\) \[hostile\] \d+ hypercalls, seed=", log, re.M).start()
    marks = [start] + [p.start() for p in re.finditer(r"^\(kumo\) \[hostile\] \d+ calls made$",
                                                        log, re.M)]
    for lo, hi in zip(marks, marks[1:]):
        expect(any(lo < pos < hi for pos, _ in tick_at),
               "witness: no tick during hostile calls %d..%d"
               % (marks.index(lo) * 20000, marks.index(hi) * 20000))
    witness = re.search(r"^\(kumo\) \[witness\] Test result: (\w+)$", log, re.M)
    expect(witness and witness.group(1) == "PASS",
           "witness: expected 'Test result: PASS', got %s" % (witness and witness.group(1)))

    # Nothing went wrong in the hypervisor, and every page came back.
    expect(not FATAL.search(log) and not re.search(r"FATAL TRAP|Panic", log),
           "fatal message in the log")
    before_pages = int(re.search(r"Heap: (\d+) pages free before building domains", log).group(1))
    freed = [int(x) for x in re.findall(r"destroyed: \d+ pages returned, (\d+) pages free", log)]
    expect(len(freed) == len(names), "expected %d destroyed domains, saw %d" % (len(names), len(freed)))
    expect(freed[-1] == before_pages,
           "heap has %d pages free after the last destroy, %d before building" % (freed[-1], before_pages))
    return log


# 40 s: the hostile guest takes about 4 s under QEMU alone, 15-25 s beside other emulators;
# the witness only has to outlive it, its ticks are checked stretch by stretch.
QEMU_TICKS = 400


def qemu_crashes_and_hostile_hypercalls_isolated():
    m = qemu(ncpus=2, megs=256, modules=isolation_modules(QEMU_TICKS))
    try:
        log = check_isolation(m, QEMU_TICKS, ("npf", "triple"), TIMEOUT)
        expect("HVM: SVM with NPT" in log, "not on SVM")
    finally:
        m.stop()


BOCHS_TICKS = 800               # 80 s of Bochs time (ips=2000000); the hostile guest takes 60-66 s


def bochs_crashes_and_hostile_hypercalls_isolated():
    iso = make_iso(DEFAULT_CMDLINE, isolation_modules(BOCHS_TICKS))
    try:
        m = bochs(iso, ncpus=2)
        try:
            log = check_isolation(m, BOCHS_TICKS, ("npf", "triple"), BOCHS_TIMEOUT)
            expect("HVM: VMX with EPT" in log, "not on VMX")
        finally:
            m.stop()
    finally:
        os.unlink(iso)


TESTS = [qemu_crashes_and_hostile_hypercalls_isolated, bochs_crashes_and_hostile_hypercalls_isolated]
