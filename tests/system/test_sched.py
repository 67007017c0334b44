"""Scheduling outcomes with CPU-bound guests (tests/guests/spinner) in QEMU, each over more
than 20 s of system time: credit weights 512:256 give 2:1 (+-10%) and cap 25 keeps a domain
at <= 27% of a pCPU. The CPU each spinner used is what the hypervisor's runstate accounting
reports when it is destroyed. (SEDF's outcomes on the real system do not hold yet: see
docs/decisions.md; its unit test holds the policy to exact slices.)

The weights test runs QEMU with -icount: guest time follows executed instructions, not the
host clock, so host load cannot bend it. Without it 512:256 measured 1.92-1.95 alone but
1.64 and 2.14 beside another QEMU and two busy loops; with it, 2.00 both ways. (Under
-icount, cap and SEDF did not hold their timers: left for later, see docs/decisions.md.)

Also here: pinning with load. A DomU vCPU pinned to pCPU 2 is only ever seen there; once
unpinned, kept waiting behind another CPU-bound domain, an idle pCPU steals it."""
import re

from emu import DEFAULT_CMDLINE, guest, qemu
from test_boot import FATAL, expect
from test_hvm import results

END_S = 23                      # the spinners stop at this system time (seconds)
WINDOW = "from=3 to=%d" % END_S
TIMEOUT = 120
ICOUNT = ["-icount", "shift=3,sleep=off"]    # 8 ns of guest time per instruction


def shares(m, names):
    """Per mille of one pCPU each domain used from boot to END_S, by the hypervisor's count."""
    m.wait_for(r"(^\(kumo\) d\d+ destroyed: .*$\n(.*\n)*){%d}" % len(names), TIMEOUT)
    log = m.text()
    ids = dict(re.findall(r"^\(kumo\) d(\d+) \((\w+)\): \d+ MiB", log, re.M))
    used = dict(re.findall(r"^\(kumo\) d(\d+) destroyed: .*, (\d+) ms of CPU used$", log, re.M))
    got = {}
    for domid, name in ids.items():
        expect(domid in used, "%s was not destroyed" % name)
        got[name] = int(used[domid]) * 1000 // (END_S * 1000)
    for name in names:
        expect(name in got, "%s did not run" % name)
        expect(re.search(r"\[%s\] Test result: PASS" % name, log), "%s did not pass" % name)
    expect(not FATAL.search(log), "fatal message in the log")
    print("    shares (per mille of a pCPU): %s" % got)
    return got


def spinner(name, params):
    return (guest("spinner"), "domU name=%s memory=16M %s -- %s" % (name, params, WINDOW))


def qemu_credit_weights_2_to_1():
    m = qemu(ncpus=1, extra=ICOUNT,
             modules=[spinner("heavy", "weight=512"), spinner("light", "weight=256")])
    try:
        s = shares(m, ["heavy", "light"])
        ratio = s["heavy"] / max(s["light"], 1)
        print("    512:256 -> %.2f:1" % ratio)
        expect(1.8 <= ratio <= 2.2, "weights 512:256 gave %.2f:1" % ratio)
        expect(s["heavy"] + s["light"] >= 950, "the pCPU was not kept busy: %s" % s)
    finally:
        m.stop()


def qemu_credit_cap_25():
    m = qemu(ncpus=1, modules=[spinner("capped", "cap=25"), spinner("free", "")])
    try:
        s = shares(m, ["capped", "free"])
        expect(s["capped"] <= 270, "cap 25 gave %d per mille" % s["capped"])
        # It should get its 250, and mostly does (242-260), but 2 runs in 9 gave it only 97
        # and 147: an open problem (docs/decisions.md). The cap itself is what is asserted.
        expect(s["capped"] >= 50, "cap 25 gave only %d per mille" % s["capped"])
        expect(s["capped"] + s["free"] >= 950, "the pCPU was not kept busy: %s" % s)
    finally:
        m.stop()


def qemu_pinned_stays_unpinned_moves():
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


TESTS = [qemu_credit_weights_2_to_1, qemu_credit_cap_25, qemu_pinned_stays_unpinned_moves]
