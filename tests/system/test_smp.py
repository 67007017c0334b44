"""SMP guests and the emulated local APIC (tests/guests/smp): a 5-vCPU DomU on 2 pCPUs
brings vCPUs 1-3 up by INIT/SIPI from a real-mode trampoline and vCPU 4 by
VCPUOP_initialise/up, exercises xAPIC MMIO, x2APIC MSRs, self/NMI/broadcast IPIs and
VCPUOP_down/up and SCHEDOP_poll; its last vCPU halting with interrupts off powers it off. A
1-vCPU smoke DomU runs beside it. On QEMU (SVM) and Bochs (VT-x)."""
import os

from emu import DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import expect
from test_hvm import check_domus_ran_and_freed

SMP_MODULES = [
    (guest("smp"), "domU name=smp memory=16M vcpus=5 -- smp on-exit=halt"),
    (guest("smoke"), "domU name=beside memory=16M -- beside"),
]


def check(log):
    expect("all vCPUs down -- powering off" in log and "(smp) shut down: poweroff" in log,
           "the smp domain did not power off when its last vCPU halted")


def qemu_smp_guest_lapic_and_ap_bringup():
    m = qemu(ncpus=2, modules=SMP_MODULES)
    try:
        check(check_domus_ran_and_freed(m, ["smp", "beside"], 120))
    finally:
        m.stop()


def bochs_smp_guest_lapic_and_ap_bringup():
    iso = make_iso(DEFAULT_CMDLINE, SMP_MODULES)
    try:
        m = bochs(iso, ncpus=2)
        try:
            check(check_domus_ran_and_freed(m, ["smp", "beside"], 300))
        finally:
            m.stop()
    finally:
        os.unlink(iso)


TESTS = [qemu_smp_guest_lapic_and_ap_bringup, bochs_smp_guest_lapic_and_ap_bringup]
