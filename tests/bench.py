#!/usr/bin/env python3
"""`make bench`: boots the benchmark kernels on QEMU (SVM) and Bochs (VT-x) and prints one
line per figure: the ratio first, then the raw values, all measured side by side in one
run (DESIGN.md D13). Absolute times under emulation mean little; the ratios are the point."""
import os
import re
import sys
import time

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


YIELD_LINE = re.compile(r"\[y\d+\] yields (\d+) in (\d+) ns$", re.M)
YIELD_DOMAINS = (1, 8, 64)


def yield_run(n):
    """ns per SCHEDOP_yield with n CPU-bound yielders on one pCPU, and the per-domain spread."""
    mods = [(guest("yield"), "domU name=y%d memory=2M cpus=0 -- settle=300 window=2000" % i)
            for i in range(n)]
    m = qemu(ncpus=1, megs=512, modules=mods)
    try:
        for i in range(n):
            m.wait_for(r"\[y%d\] Test result: PASS" % i, 120)
        runs = [(int(c), int(w)) for c, w in YIELD_LINE.findall(m.text())]
    except Exception as e:              # noqa: BLE001 - report and go on to the next figure
        print("qemu-svm yield x%d: %s\n%s" % (n, e, m.tail()))
        return None
    finally:
        m.stop()
    if len(runs) != n:
        print("qemu-svm yield x%d: %d result lines" % (n, len(runs)))
        return None
    counts = [c for c, _ in runs]
    return runs[0][1] / sum(counts), min(counts), max(counts)


def yield_bench():
    """
    Scheduling cost as runnable domains grow: N copies of the yield guest pinned to one pCPU
    call SCHEDOP_yield in a loop over the same 2 s window; window / all their yields is the
    cost of one yield. With 1 domain a yield comes back to itself (exit + decision, no
    switch); with 8 and 64 each yield switches to the next queued domain (the per-domain
    counts, shown as min..max, stay even when it does). Ratios are to the 1-domain case.
    64 DomUs need MAX_DOMAINS 128 and 64 boot modules. QEMU only: on Bochs 64 domains booting
    one after another would take far longer than the rest of `make bench` (not measured).
    """
    res = {n: yield_run(n) for n in YIELD_DOMAINS}
    if any(r is None for r in res.values()):
        return False
    base = res[1][0]
    print("%-8s %-32s ratio %s  per yield %s" % (
        "qemu-svm", "sched-yield-vs-1-domain",
        " ".join("%d:1 %.2f" % (n, res[n][0] / base) for n in YIELD_DOMAINS[1:]),
        " ".join("%d dom %.1f us (%d..%d each)" % (n, res[n][0] / 1000, res[n][1], res[n][2])
                 for n in YIELD_DOMAINS)))
    return True


def dom0_boot_bench():
    """Emulator start to the `dom0#` prompt (kumo + Debian's kernel + the root archive, as
    `make iso` builds them), beside the same kernel and archive booted bare by QEMU's
    -kernel to its first userspace line (init's first line), in the same run."""
    from test_dom0 import DOM0_ARGS, ROOTFS, boot_to_prompt, dom0_iso
    env = dict(l.strip().split("=", 1) for l in open(os.path.join(os.path.dirname(ROOTFS),
                                                                  "debs.env")) if "=" in l)
    iso = dom0_iso(2)
    t0 = time.time()
    m = qemu(ncpus=2, megs=1024, iso=iso)
    try:
        t_linux, t_prompt = boot_to_prompt(m, t0, 900, "kumo")
    except Exception as e:              # noqa: BLE001 - report and go on
        print("qemu-svm dom0 boot: %s\n%s" % (e, m.tail()))
        return False
    finally:
        m.stop()
        os.unlink(iso)
    t0 = time.time()
    m = qemu(ncpus=2, megs=1024, kernel=env["VMLINUZ"],
             cmdline=DOM0_ARGS.replace("hvc0", "ttyS0"), extra=["-initrd", ROOTFS])
    try:
        m.wait_for(r"^init: kumo Dom0 init", 900)
        t_bare = time.time() - t0
    except Exception as e:              # noqa: BLE001
        print("qemu bare boot: %s\n%s" % (e, m.tail()))
        return False
    finally:
        m.stop()
    print("%-8s %-32s ratio %.2f  kumo: Linux %.1f s, dom0# %.1f s; bare QEMU -kernel: "
          "first userspace line %.1f s" % ("qemu-svm", "dom0-prompt-vs-bare-boot",
                                            t_prompt / t_bare, t_linux, t_prompt, t_bare))
    return True


def xl_create_bench():
    """From Dom0 (tests/system/test_xl_create.py): `xl create` to a test kernel's first line
    and to Debian's Linux DomU's first userspace line, beside the same Linux and initramfs
    booted bare by QEMU in the same run; `xl create -p` + `xl destroy` cycles per second."""
    from test_xl_create import boot_and_measure
    try:
        got = boot_and_measure(20)
    except Exception as e:              # noqa: BLE001 - report and go on
        print("qemu-svm xl create: %s" % e)
        return False
    print("%-8s %-32s %.1f s" % ("qemu-svm", "xl-create-to-first-line", got["first_tick"]))
    print("%-8s %-32s ratio %.2f  kumo DomU: %.1f s; bare QEMU -kernel: %.1f s" %
          ("qemu-svm", "xl-create-linux-vs-bare-boot", got["linux"] / got["bare_linux"],
           got["linux"], got["bare_linux"]))
    print("%-8s %-32s %.2f /s" % ("qemu-svm", "xl-create-destroy-cycles", got["cycles_per_s"]))
    return True


def main():
    ok = True
    ok &= dom0_boot_bench()
    ok &= xl_create_bench()
    m = qemu(ncpus=1, modules=[(guest("bench"), "domU name=bench memory=16M -- iterations=20000")])
    try:
        ok &= collect(m, 120, "qemu-svm")
    finally:
        m.stop()
    ok &= evtchn_round_trips()
    ok &= yield_bench()
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
