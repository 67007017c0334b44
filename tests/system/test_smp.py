"""SMP guests, their ACPI tables and the emulated local APIC (tests/guests/smp): a 5-vCPU and
a 4-vCPU DomU on 2 pCPUs walk RSDP/XSDT/FADT/DSDT/MADT, and each brings vCPUs 1-3 up by
INIT/SIPI from a real-mode trampoline (the 5-vCPU one vCPU 4 by VCPUOP_initialise/up), and
exercises xAPIC MMIO, x2APIC MSRs, self/NMI/broadcast IPIs, VCPUOP_down/up and SCHEDOP_poll;
one powers off by halting its last vCPU with interrupts off, the other by ACPI S5. A 1-vCPU
smoke DomU (ACPI tables with a one-entry MADT) runs beside them. On QEMU (SVM) and Bochs (VT-x)."""
import os
import re

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import expect
from test_hvm import check_domus_ran_and_freed

SMP_MODULES = [
    (guest("smp"), "domU name=smp memory=16M vcpus=5 -- smp on-exit=halt"),
    (guest("smp"), "domU name=smp2 memory=16M vcpus=4 -- smp vcpus=4 on-exit=acpi"),
    (guest("smoke"), "domU name=beside memory=16M -- beside"),
]
NAMES = ["smp", "smp2", "beside"]


def check(log):
    expect(re.search(r"^\(kumo\) d(\d+): all vCPUs down -- powering off\n(.*\n)*"
                     r"\(kumo\) d\1 \(smp\) shut down: poweroff", log, re.M),
           "smp did not power off when its last vCPU halted")
    expect(re.search(r"^\(kumo\) d(\d+): ACPI S5 -- powering off\n(.*\n)*"
                     r"\(kumo\) d\1 \(smp2\) shut down: poweroff", log, re.M),
           "smp2 did not power off by ACPI S5")


def qemu_smp_guest_lapic_and_ap_bringup():
    m = qemu(ncpus=2, modules=SMP_MODULES)
    try:
        check(check_domus_ran_and_freed(m, NAMES, 120))
    finally:
        m.stop()


def bochs_smp_guest_lapic_and_ap_bringup():
    iso = make_iso(DEFAULT_CMDLINE, SMP_MODULES)
    try:
        m = bochs(iso, ncpus=2)
        try:
            check(check_domus_ran_and_freed(m, NAMES, 300))
        finally:
            m.stop()
    finally:
        os.unlink(iso)


TESTS = [qemu_smp_guest_lapic_and_ap_bringup, bochs_smp_guest_lapic_and_ap_bringup]
