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


def main():
    ok = True
    m = qemu(ncpus=1, modules=[(guest("bench"), "domU name=bench memory=16M -- iterations=20000")])
    try:
        ok &= collect(m, 120, "qemu-svm")
    finally:
        m.stop()
    # Event-channel round trip between two domains on two pCPUs, with the upcall.
    m = qemu(ncpus=2, modules=[
        (guest("events"), "domU name=srv memory=16M cpus=0 -- role=server peer=2 rounds=500"),
        (guest("events"), "domU name=cli memory=16M cpus=1 -- role=client peer=1 rounds=500")])
    try:
        m.wait_for(r"\[srv\] Test result", 120)
        ok &= collect(m, 120, "qemu-svm")
    finally:
        m.stop()
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
