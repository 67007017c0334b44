"""Page ownership (tests/guests/pages): one DomU per property in one boot per emulator
(QEMU: SVM, ASIDs; Bochs: VMX, INVEPT), plus the neighbour that takes freed frames and
fills them with its pattern. Every frame must be back in the heap once the domains are
gone."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import expect
from test_hvm import check_domus_ran_and_freed

TIMEOUT = 180
BOCHS_TIMEOUT = 480

PROPERTIES = ["shared_info_remap_cannot_free_live_page", "p2m_tables_charged_to_domain",
              "unmap_flushes_remote_translations", "populate_pattern_loop"]
NAMES = ["siremap", "p2mpool", "reader", "neighbour"]
VCPUS = {"reader": "vcpus=2 cpus=0-1"}
MODULES = [(guest("pages"), "domU name=%s memory=16M %s -- %s"
            % (n, VCPUS.get(n, "vcpus=1 cpus=%d" % (i % 2)), p))
           for i, (n, p) in enumerate(zip(NAMES, PROPERTIES))]

_logs = {}


def _boot(emulator):
    if emulator == "qemu":
        m = qemu(ncpus=2, megs=256, modules=MODULES)
        try:
            return check_domus_ran_and_freed(m, NAMES, TIMEOUT)
        finally:
            m.stop()
    iso = make_iso(DEFAULT_CMDLINE, MODULES)
    try:
        m = bochs(iso, ncpus=2)
        try:
            return check_domus_ran_and_freed(m, NAMES, BOCHS_TIMEOUT)
        finally:
            m.stop()
    finally:
        os.unlink(iso)


def _check(emulator, prop):
    if emulator not in _logs:
        _logs[emulator] = None
        _logs[emulator] = _boot(emulator)
    log = _logs[emulator]
    expect(log is not None, "the %s boot with the page DomUs failed" % emulator)
    for name in (NAMES[PROPERTIES.index(prop)], "neighbour"):
        got = re.search(r"^\(kumo\) \[%s\] Test result: (\w+)$" % name, log, re.M)
        expect(got and got.group(1) == "PASS", "%s on %s, %s: %s" % (
            prop, emulator, name, got.group(1) if got else "no result"))


def _make(emulator, prop):
    def test():
        _check(emulator, prop)
    test.__name__ = "%s_%s" % (emulator, prop)
    return test


# The neighbour's own result is checked with each property.
TESTS = [_make(e, p) for e in ("qemu", "bochs") for p in PROPERTIES[:3]]
