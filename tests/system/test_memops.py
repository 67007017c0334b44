"""The hypercalls stock kernels make besides the basics (tests/guests/memory): one DomU per
property, all in one boot per emulator; each test checks its DomU's result. The balloon's
frames must be back in the heap once the domains are gone."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import expect
from test_hvm import check_domus_ran_and_freed

TIMEOUT = 120
BOCHS_TIMEOUT = 480

PROPERTIES = ["memory_map_hypercall", "balloon_out_and_back", "multicall_results_per_entry",
              "evtchn_fifo_answers_like_xen", "add_to_physmap_unknown_space_einval",
              "vcpu_and_hvm_ops_answer_like_xen", "runstate_padding_zeroed",
              "grant_table_frames_set_up_like_xen", "balloon_beside_a_running_vcpu"]
NAMES = ["mm", "balloon", "multicall", "fifo", "physmap", "subops", "runstate", "gnttab",
         "smpballoon"]
MODULES = [(guest("memory"), "domU name=%s memory=16M vcpus=1 cpus=%d -- %s" % (n, i % 2, p))
           for i, (n, p) in enumerate(zip(NAMES[:-1], PROPERTIES[:-1]))]
# vCPU 1 spins on pCPU 1 while vCPU 0 balloons on pCPU 0.
MODULES.append((guest("memory"), "domU name=%s memory=16M vcpus=2 cpus=0-1 -- %s"
                % (NAMES[-1], PROPERTIES[-1])))

_logs = {}


def _run(emulator):
    """The boot's log (one boot per emulator, shared by this file's tests); None if it failed."""
    if emulator not in _logs:
        _logs[emulator] = None
        if emulator == "qemu":
            m = qemu(ncpus=2, megs=256, modules=MODULES)
            try:
                _logs[emulator] = check_domus_ran_and_freed(m, NAMES, TIMEOUT)
            finally:
                m.stop()
        else:
            iso = make_iso(DEFAULT_CMDLINE, MODULES)
            try:
                m = bochs(iso, ncpus=2)
                try:
                    _logs[emulator] = check_domus_ran_and_freed(m, NAMES, BOCHS_TIMEOUT)
                finally:
                    m.stop()
            finally:
                os.unlink(iso)
    expect(_logs[emulator] is not None, "the %s boot with the memory DomUs failed" % emulator)
    return _logs[emulator]


def _check(emulator, prop):
    log = _run(emulator)
    name = NAMES[PROPERTIES.index(prop)]
    got = re.search(r"^\(kumo\) \[%s\] Test result: (\w+)$" % name, log, re.M)
    expect(got and got.group(1) == "PASS", "%s on %s: %s" % (prop, emulator,
                                                              got.group(1) if got else "no result"))


def _make(emulator, prop):
    def test():
        _check(emulator, prop)
    test.__name__ = "%s_%s" % (emulator, prop)
    return test


TESTS = [_make(e, p) for e in ("qemu", "bochs") for p in PROPERTIES]
