"""Scheduling outcomes with CPU-bound guests (tests/guests/spinner) sharing one pCPU in QEMU,
over 20 s of system time by the hypervisor's runstate accounting: credit weights 512:256
give 2:1 (+-10%), cap 25 keeps a domain at <= 27% of a pCPU, and SEDF (10 ms, 3 ms) +
(10 ms, 5 ms) gives each its slice in every period (the hypervisor counts missed deadlines
and reports them when a domain is destroyed), leaving the rest idle, or shared with extra
time. Also pinning under load: a vCPU pinned to pCPU 2 is only ever seen there; unpinned,
kept waiting behind another CPU-bound domain, an idle pCPU steals it.

The outcome runs on one pCPU use QEMU's -icount: guest time then follows the instructions
executed, so host load (other emulators on the same cores) cannot bend them; without it a
descheduled QEMU thread shows up as CPU time of whatever vCPU it was running (512:256 gave
1.92-1.95 alone, 1.64 and 2.14 under heavy load; 2.00 under -icount either way; cap 25 gave
245-246 alone, 97 and 147 under load; 246 under -icount). The pinned pair of issue 9 runs in
plain TCG, where credit has to hold up to such stalls itself. Every spinner spins
until the same absolute system time (END_S); what each domain used is the hypervisor's
count when it is destroyed, and the share is taken over the window from boot to END_S."""
import re

from emu import DEFAULT_CMDLINE, guest, qemu
from test_boot import FATAL, expect
from test_hvm import results

END_S = 23                      # the spinners stop at this system time (seconds)
WINDOW = "from=3 to=%d" % END_S  # the spinners' own measured window (> 20 s)
TIMEOUT = 90
# One guest instruction every 8 ns of guest time, and idle time skipped (sleep=off).
ICOUNT = ["-icount", "shift=3,sleep=off"]


def shares(m, names):
    """Per mille of one pCPU each domain used from boot to END_S, by the hypervisor's count,
    and the SEDF deadline record (periods, missed) of each domain that has one."""
    m.wait_for(r"(^\(kumo\) d\d+ destroyed: .*$\n(.*\n)*){%d}" % len(names), TIMEOUT)
    log = m.text()
    ids = dict(re.findall(r"^\(kumo\) d(\d+) \((\w+)\): \d+ MiB", log, re.M))
    used = dict(re.findall(r"^\(kumo\) d(\d+) destroyed: .*, (\d+) ms of CPU used$", log, re.M))
    record = {d: (int(p), int(x)) for d, p, x in
              re.findall(r"^\(kumo\) d(\d+): (\d+) SEDF periods, (\d+) deadlines missed$", log,
                         re.M)}
    got, deadlines = {}, {}
    for domid, name in ids.items():
        expect(domid in used, "%s was not destroyed" % name)
        got[name] = int(used[domid]) * 1000 // (END_S * 1000)
        if domid in record:
            deadlines[name] = record[domid]
    for name in names:
        expect(name in got, "%s did not run" % name)
        expect(re.search(r"\[%s\] Test result: PASS" % name, log), "%s did not pass" % name)
    expect(not FATAL.search(log), "fatal message in the log")
    print("    shares (per mille of a pCPU): %s" % got)
    if deadlines:
        print("    SEDF (periods, missed deadlines): %s" % deadlines)
    return got, deadlines


def spinner(name, params):
    return (guest("spinner"), "domU name=%s memory=16M %s -- %s" % (name, params, WINDOW))


def one_pcpu(modules, sched="credit", icount=True):
    return qemu(ncpus=1, cmdline=DEFAULT_CMDLINE + " sched=" + sched, modules=modules,
                extra=ICOUNT if icount else ())


def qemu_sched_credit_weights_2_to_1():
    m = one_pcpu([spinner("heavy", "weight=512"), spinner("light", "weight=256")])
    try:
        s, _ = shares(m, ["heavy", "light"])
        ratio = s["heavy"] / max(s["light"], 1)
        print("    512:256 gave %.3f:1" % ratio)
        expect(1.8 <= ratio <= 2.2, "weights 512:256 gave %.2f:1" % ratio)
        expect(s["heavy"] + s["light"] >= 950, "the pCPU was not kept busy: %s" % s)
    finally:
        m.stop()


def qemu_sched_credit_weights_hold_pinned_to_one_of_two():
    """Issue 9: both spinners pinned to pCPU 1 of 2, in plain TCG (no -icount: host load
    shows up as CPU time of whichever vCPU QEMU was running, but the hypervisor charges
    credit by the same clock it reports, so the ratio it reports must still be 2:1).
    Handing out both pCPUs' credit gave 0.500/0.499 here; now 1.92-2.02 at host load 10.
    That the pair kept pCPU 1 busy is checked over the spinners' own window (their
    runstate areas), as a slow boot under load shortens their time from boot."""
    m = qemu(ncpus=2, cmdline=DEFAULT_CMDLINE + " sched=credit",
             modules=[spinner("heavy", "cpus=1 weight=512"), spinner("light", "cpus=1 weight=256")])
    try:
        s, _ = shares(m, ["heavy", "light"])
        ratio = s["heavy"] / max(s["light"], 1)
        print("    pinned to 1 of 2 pCPUs, plain TCG: 512:256 gave %.3f:1" % ratio)
        expect(1.8 <= ratio <= 2.2, "weights 512:256 pinned to one pCPU gave %.2f:1" % ratio)
        window = dict(re.findall(r"^\(kumo\) \[(\w+)\] SHARE (\d+) permille", m.text(), re.M))
        busy = sum(int(window.get(name, 0)) for name in ("heavy", "light"))
        expect(950 <= busy <= 1010, "not one pCPU's worth over the window: %s" % window)
    finally:
        m.stop()


def qemu_sched_credit_cap_25():
    m = one_pcpu([spinner("capped", "cap=25"), spinner("free", "")])
    try:
        s, _ = shares(m, ["capped", "free"])
        expect(s["capped"] <= 270, "cap 25 gave %d per mille" % s["capped"])
        expect(s["capped"] >= 200, "cap 25 gave only %d per mille" % s["capped"])
        expect(s["free"] >= 700, "the uncapped neighbour got only %d per mille" % s["free"])
    finally:
        m.stop()


def sedf_pair(extra):
    """(10 ms, 3 ms) + (10 ms, 5 ms) on one pCPU: every one of their 2,000+ periods in the
    window ended with the slice run (no deadline missed); their shares, from boot."""
    m = one_pcpu([spinner("a3", "period=10 slice=3 extra=%d" % extra),
                  spinner("b5", "period=10 slice=5 extra=%d" % extra)], sched="sedf")
    try:
        s, deadlines = shares(m, ["a3", "b5"])
        for name in ("a3", "b5"):
            expect(name in deadlines, "no SEDF record for %s" % name)
            periods, missed = deadlines[name]
            expect(periods >= 2000, "%s: only %d periods" % (name, periods))
            expect(missed == 0, "%s missed %d of %d deadlines" % (name, missed, periods))
        return s
    finally:
        m.stop()


def qemu_sched_sedf_slices_without_extra_time():
    s = sedf_pair(extra=0)
    # From boot: the domains start a few hundred ms into the window (~1-2% of it).
    expect(285 <= s["a3"] <= 305, "(10 ms, 3 ms) got %d per mille" % s["a3"])
    expect(475 <= s["b5"] <= 505, "(10 ms, 5 ms) got %d per mille" % s["b5"])


def qemu_sched_sedf_extra_time_shares_the_rest():
    s = sedf_pair(extra=1)
    expect(s["a3"] + s["b5"] >= 950, "the idle rest was not shared: %s" % s)
    expect(s["a3"] >= 300 and s["b5"] >= 500, "extra time cut into a slice: %s" % s)


def qemu_sched_pinned_stays_unpinned_moves():
    m = qemu(ncpus=3, cmdline=DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1", modules=[
        (guest("ctl"), "pin-load"),
        (guest("spinner"), "domU name=mover memory=16M cpus=2 -- from=2 to=600"),
        (guest("spinner"), "domU name=keeper memory=16M cpus=2 -- from=2 to=600")])
    try:
        m.wait_for(r"^Test result: \w+", TIMEOUT)
        log = m.text()
        expect(results(log).get("Domain-0") == "PASS", "pinning under load: %s" % results(log))
        expect(re.search(r"^pinned to pCPU 2: seen there \d+ times", log, re.M),
               "no report of the pinned vCPU on pCPU 2")
        moved = re.search(r"^unpinned: moved from pCPU 2 to pCPU \d+ after \d+ looks", log, re.M)
        expect(moved, "no report of the unpinned vCPU moving")
        print("    " + moved.group(0))
    finally:
        m.stop()


TESTS = [qemu_sched_credit_weights_2_to_1, qemu_sched_credit_weights_hold_pinned_to_one_of_two,
         qemu_sched_credit_cap_25,
         qemu_sched_sedf_slices_without_extra_time,
         qemu_sched_sedf_extra_time_shares_the_rest, qemu_sched_pinned_stays_unpinned_moves]
