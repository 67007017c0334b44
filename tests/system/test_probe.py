"""What stock kernels probe (issue 9, part 2), answered as Xen 4.17 answers a PVH guest:
tests/guests/probe as boot-time DomUs, one per property, in one boot of QEMU (SVM, AMD
MSRs) and one of Bochs (VT-x, Intel MSRs); the last one triple-faults and must shut down
for reason reboot, logged, while the others run on; one more, from a module line ending in
" --", runs them all with an empty command line."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import FATAL, expect
from test_hvm import results

TIMEOUT = 60
BOCHS_TIMEOUT = 300
PROPERTIES = ["one_vcpu_guest_has_madt", "mce_msrs_answer_like_xen",
              "model_msrs_answer_like_xen", "unbacked_mmio_reads_all_ones",
              "illegal_vector_sets_both_esr_bits", "advertised_features_work",
              "pit_channel2_counts"]
MODULES = [(guest("probe"), "domU name=p%d memory=16M -- only=%s" % (i, p))
           for i, p in enumerate(PROPERTIES)] + \
          [(guest("probe"), "domU name=triple memory=16M -- only=triple_fault_reason_is_reboot triple"),
           (guest("probe"), "domU name=dashes memory=16M --")]
_logs = {}


def run_all(emulator):
    """One boot per emulator for every property; the log is kept for the tests after."""
    if emulator in _logs:
        return _logs[emulator]
    names = ["p%d" % i for i in range(len(PROPERTIES))] + ["triple", "dashes"]
    if emulator == "qemu":
        m, iso, timeout = qemu(ncpus=2, modules=MODULES), None, TIMEOUT
    else:
        iso, timeout = make_iso(DEFAULT_CMDLINE, MODULES), BOCHS_TIMEOUT
        m = bochs(iso, ncpus=2)
    try:
        for name in names:
            d = m.wait_for(r"^\(kumo\) d(\d+) \(%s\): \d+ MiB" % name, timeout).group(1)
            m.wait_for(r"^\(kumo\) d%s destroyed: " % d, timeout)
        _logs[emulator] = m.text()
    finally:
        m.stop()
        if iso:
            os.unlink(iso)
    return _logs[emulator]


def check_property(emulator, prop):
    log = run_all(emulator)
    name = "p%d" % PROPERTIES.index(prop)
    failures = re.findall(r"^\(kumo\) \[%s\] (?:Failure|Error).*$" % name, log, re.M)
    expect(results(log).get(name) == "PASS", "%s on %s: %s %s"
           % (prop, emulator, results(log).get(name), failures))
    expect(not FATAL.search(log), "fatal message in the log")


def check_triple_fault(emulator):
    log = run_all(emulator)
    got = re.search(r"^\(kumo\) d(\d+) \(triple\): ", log, re.M)
    expect(got, "the triple-faulting domain was not built")
    d = got.group(1)
    expect(re.search(r"^\(kumo\) d%s vCPU 0: triple fault at rip 0x[0-9a-f]+ -- shutdown reason 1$"
                     % d, log, re.M), "no triple fault line for d%s" % d)
    expect(re.search(r"^\(kumo\) d%s \(triple\) shut down: reboot" % d, log, re.M),
           "d%s did not shut down for reason reboot" % d)
    expect(not re.search(r"^\(kumo\) d%s crashed" % d, log, re.M), "d%s crashed" % d)
    expect(not re.search(r"^\(kumo\) \[triple\] (Failure|Error)", log, re.M),
           "the triple-fault guest's checks failed")


def check_dashes(emulator):
    log = run_all(emulator)
    expect(re.search(r"^\(kumo\) \[dashes\] command line ''$", log, re.M),
           "the domain of a line ending in ' --' did not run with an empty command line")
    expect(results(log).get("dashes") == "PASS", "dashes (every property): %s"
           % results(log).get("dashes"))


def qemu_one_vcpu_guest_has_madt():
    check_property("qemu", "one_vcpu_guest_has_madt")


def qemu_mce_msrs_answer_like_xen():
    check_property("qemu", "mce_msrs_answer_like_xen")


def qemu_model_msrs_answer_like_xen():
    check_property("qemu", "model_msrs_answer_like_xen")


def qemu_unbacked_mmio_reads_all_ones():
    check_property("qemu", "unbacked_mmio_reads_all_ones")


def qemu_illegal_vector_sets_both_esr_bits():
    check_property("qemu", "illegal_vector_sets_both_esr_bits")


def qemu_advertised_features_work():
    check_property("qemu", "advertised_features_work")


def qemu_triple_fault_reboots():
    check_triple_fault("qemu")


def qemu_domu_line_may_end_with_dashes():
    check_dashes("qemu")


def bochs_stock_kernel_probes_answer_like_xen():
    for prop in PROPERTIES:
        check_property("bochs", prop)
    check_triple_fault("bochs")
    check_dashes("bochs")


def qemu_pit_channel2_counts():
    """Each domain's own PIT channel 2 counts and raises OUT2 (docs/decisions.md)."""
    check_property("qemu", "pit_channel2_counts")


TESTS = [qemu_one_vcpu_guest_has_madt, qemu_mce_msrs_answer_like_xen,
         qemu_model_msrs_answer_like_xen, qemu_unbacked_mmio_reads_all_ones,
         qemu_illegal_vector_sets_both_esr_bits, qemu_advertised_features_work,
         qemu_pit_channel2_counts,
         qemu_triple_fault_reboots,
         qemu_domu_line_may_end_with_dashes,
         bochs_stock_kernel_probes_answer_like_xen]
