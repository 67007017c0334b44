"""System tests of the toolstack's control operations from a test Dom0 (tests/guests/life):
getdomaininfolist, boot names, readconsole, debug keys, pause/unpause, destroy with
VIRQ_DOM_EXC, and their refusal (-EPERM) to a DomU."""
import re

from emu import DEFAULT_CMDLINE, guest, qemu
from test_boot import FATAL, expect
from test_hvm import results

TIMEOUT = 90

LIFE_MODULES = [
    (guest("life"), "life"),
    (guest("ticker"), "domU name=witness memory=16M -- ticks=100000 ms=50"),
    (guest("life"), "domU name=victim memory=24M -- domu"),
]


def qemu_pause_destroy_readconsole_from_dom0():
    m = qemu(ncpus=2, cmdline=DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1",
             modules=LIFE_MODULES)
    try:
        m.wait_for(r"^Test result: \w+", TIMEOUT)
        log = m.text()
        got = results(log)
        expect(got.get("victim") == "PASS", "DomU privilege checks: %s" % got.get("victim"))
        expect(got.get("Domain-0") == "PASS", "Dom0 lifecycle test: %s" % got.get("Domain-0"))
        expect(re.search(r"^paused 300 ms: witness CPU time \+0 ns; unpaused 300 ms: \+\d+ ns",
                         log, re.M), "no pause report")
        expect(re.search(r"^destroyed the victim after \d+ ms: \d+ pages back", log, re.M),
               "no destroy report")
        expect("d2 (victim) destroyed by the toolstack" in log, "no destroy line from kumo")
        expect(not FATAL.search(log), "fatal message in the log")
    finally:
        m.stop()


TESTS = [qemu_pause_destroy_readconsole_from_dom0]
