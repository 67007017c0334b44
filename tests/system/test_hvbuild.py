"""Building domains from Dom0 (issue 11, point 1): a privileged test kernel creates a PVH
domain with Xen 4.17's domctls and memory ops, maps its pages (below and above 4 GiB), runs
it, destroys it while still mapping it, and watches its last pages come back only as the
mappings go; a DomU beside it is refused every one of those calls. QEMU (SVM+NPT) and
Bochs (VT-x+EPT)."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import FATAL, expect
from test_hvm import results

MODULES = [
    (guest("hvbuild"), "hvbuild"),
    (guest("hvbuild"), "domU name=hostile memory=16M -- domu"),
]
CMDLINE = DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=2"


def check(m, timeout):
    m.wait_for(r"^Test result: \w+", timeout)
    log = m.text()
    got = results(log)
    expect(got.get("hostile") == "PASS", "DomU refused everything: %s" % got.get("hostile"))
    expect(got.get("Domain-0") == "PASS", "domain built from Dom0: %s" % got.get("Domain-0"))
    expect(re.search(r"^\(kumo\) d\d+ created by the toolstack \(1 vCPUs\)$", log, re.M),
           "no creation line")
    expect(re.search(r"^destroyed while mapped: \d+ pages free", log, re.M),
           "no destroy-while-mapped report")
    expect(not FATAL.search(log), "fatal message in the log")


def qemu_domain_built_from_dom0_and_foreign_maps_counted():
    m = qemu(ncpus=2, cmdline=CMDLINE, modules=MODULES)
    try:
        check(m, 120)
    finally:
        m.stop()


def bochs_domain_built_from_dom0_and_foreign_maps_counted():
    iso = make_iso(CMDLINE, MODULES)
    try:
        m = bochs(iso, ncpus=2)
        try:
            check(m, 400)
        finally:
            m.stop()
    finally:
        os.unlink(iso)


TESTS = [qemu_domain_built_from_dom0_and_foreign_maps_counted,
         bochs_domain_built_from_dom0_and_foreign_maps_counted]
