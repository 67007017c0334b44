"""Page ownership (tests/guests/pages): one DomU per property in one QEMU boot, plus the
neighbour that takes freed frames and fills them with its pattern. Every frame must be
back in the heap once the domains are gone."""
import re

from emu import guest, qemu
from test_boot import expect
from test_hvm import check_domus_ran_and_freed

TIMEOUT = 180

PROPERTIES = ["shared_info_remap_cannot_free_live_page", "p2m_tables_charged_to_domain",
              "unmap_flushes_remote_translations", "populate_pattern_loop"]
NAMES = ["siremap", "p2mpool", "reader", "neighbour"]
VCPUS = {"reader": "vcpus=2 cpus=0-1"}
MODULES = [(guest("pages"), "domU name=%s memory=16M %s -- %s"
            % (n, VCPUS.get(n, "vcpus=1 cpus=%d" % (i % 2)), p))
           for i, (n, p) in enumerate(zip(NAMES, PROPERTIES))]

_log = []


def _run():
    if not _log:
        _log.append(None)
        m = qemu(ncpus=2, megs=256, modules=MODULES)
        try:
            _log[0] = check_domus_ran_and_freed(m, NAMES, TIMEOUT)
        finally:
            m.stop()
    expect(_log[0] is not None, "the QEMU boot with the page DomUs failed")
    return _log[0]


def _check(prop):
    log = _run()
    name = NAMES[PROPERTIES.index(prop)]
    got = re.search(r"^\(kumo\) \[%s\] Test result: (\w+)$" % name, log, re.M)
    expect(got and got.group(1) == "PASS", "%s: %s" % (prop, got.group(1) if got else "no result"))


def _make(prop):
    def test():
        _check(prop)
    test.__name__ = "qemu_%s" % prop
    return test


# The neighbour's own result is checked with the reader's property.
TESTS = [_make(p) for p in PROPERTIES[:3]]
