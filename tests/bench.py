#!/usr/bin/env python3
"""`make bench`: boots the benchmark kernels on QEMU (SVM) and Bochs (VT-x) and prints one
line per figure: the ratio first, then the raw values, all measured side by side in one
run (DESIGN.md D13). Absolute times under emulation mean little; the ratios are the point."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "system"))

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu  # noqa: E402

BENCH_LINE = re.compile(r"\[[^\]]+\] BENCH (\S+) (.*)$", re.M)


def collect(m, timeout, where):
    m.wait_for(r"\] Test result: \w+", timeout)
    lines = BENCH_LINE.findall(m.text())
    if not lines:
        print("%s: no BENCH line\n%s" % (where, m.tail()))
        return False
    for name, rest in lines:
        print("%-8s %-32s %s" % (where, name, rest))
    return True


ROUND_TRIP = re.compile(r"BENCH evtchn-ping-pong-(\S+) round-trip (\d+) ns")


def evtchn_round_trips():
    """Event-channel round trip between two domains on two pCPUs, one boot per way of
    waiting (so no phase change can race): the port masked and its pending bit spun on,
    the upcall taken while spinning with interrupts on, the upcall waking a halted vCPU.
    Printed as ratios to the polled round trip."""
    got = {}
    for mode in ("poll", "spin", "halt"):
        m = qemu(ncpus=2, modules=[
            (guest("events"), "domU name=srv memory=16M cpus=0 -- role=server peer=2 "
                              "rounds=500 mode=%s" % mode),
            (guest("events"), "domU name=cli memory=16M cpus=1 -- role=client peer=1 "
                              "rounds=500 mode=%s" % mode)])
        try:
            m.wait_for(r"\[srv\] Test result", 120)
            m.wait_for(r"\[cli\] Test result", 120)
            found = ROUND_TRIP.search(m.text())
            if not found:
                print("qemu-svm: no round trip for mode=%s\n%s" % (mode, m.tail()))
                return False
            got[found.group(1)] = int(found.group(2))
        finally:
            m.stop()
    polled = max(got["polled"], 1)
    for name, ns in sorted(got.items(), key=lambda kv: kv[1]):
        print("%-8s %-32s ratio %.2f round-trip %d ns (500 rounds)" %
              ("qemu-svm", "evtchn-rtt-" + name + "/polled", ns / polled, ns))
    return True


YIELDS = re.compile(r"BENCH yields (\d+) window (\d+) ms")


def context_switches():
    """N domains calling SCHEDOP_yield on one pCPU (N = 1, 8, 64), each counting its
    yields over the same 2 s of system time: ns per yield. With one domain a yield is a
    trip through schedule() that picks the same vCPU; with more, each is also a switch to
    another domain. QEMU runs with -icount (guest time = instructions x 8 ns), so the
    figures are emulated instruction time, free of host noise; reported as ratios to N = 1."""
    per_yield = {}
    for n in (1, 8, 64):
        m = qemu(ncpus=1, megs=512, extra=["-icount", "shift=3,sleep=off"], modules=[
            (guest("yield"), "domU name=y%d memory=2M -- from=2000 to=4000" % i)
            for i in range(n)])
        try:
            m.wait_for(r"(\[y\d+\] Test result: \w+\n(.*\n)*){%d}" % n, 300)
            counts = YIELDS.findall(m.text())
            if len(counts) != n:
                print("qemu-svm: %d of %d yield domains reported\n%s" % (len(counts), n,
                                                                          m.tail()))
                return False
            total = sum(int(c) for c, _ in counts)
            per_yield[n] = int(counts[0][1]) * 1000000 / max(total, 1)
        finally:
            m.stop()
    for n, ns in sorted(per_yield.items()):
        print("%-8s %-32s ratio %.2f %.0f ns per yield (icount)" %
              ("qemu-svm", "context-switch-%d-domains/1" % n, ns / per_yield[1], ns))
    return True


def main():
    ok = True
    m = qemu(ncpus=1, modules=[(guest("bench"), "domU name=bench memory=16M -- iterations=20000")])
    try:
        ok &= collect(m, 120, "qemu-svm")
    finally:
        m.stop()
    ok &= evtchn_round_trips()
    ok &= context_switches()
    iso = make_iso(DEFAULT_CMDLINE,
                   [(guest("bench"), "domU name=bench memory=16M -- iterations=2000")])
    try:
        m = bochs(iso, ncpus=1)
        try:
            ok &= collect(m, 300, "bochs-vmx")
        finally:
            m.stop()
    finally:
        os.unlink(iso)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
