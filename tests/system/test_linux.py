"""Stock Debian Linux (linux-image-amd64, unmodified; fetched at test time) boots as a
boot-time DomU beside a Dom0 test kernel, with 1 and with 2 vCPUs, to its first userspace
line (tests/system/linux_guest.py), and prints no WARNING, Call Trace or unchecked MSR
access on the way. Debian's GRUB PVH image loads and runs as a DomU. Its console is Xen's early console (earlyprintk=xen keep_bootcon:
console_io, prefixed with the domain's name), as a boot-time DomU has no console ring.
On QEMU (SVM) only, as Bochs would take many minutes; Linux's Intel paths (machine check
with CMCI, Intel's MSRs) run on QEMU with the CPU's vendor set to GenuineIntel."""
import re
import time

import linux_guest
from emu import DEFAULT_CMDLINE, guest, qemu
from test_boot import FATAL, expect

TIMEOUT = 600                   # about a minute on a quiet machine; emulators share 2 cores
LINUX_CMDLINE = "console=hvc0 earlyprintk=xen keep_bootcon"
TROUBLE = re.compile(r"WARNING:|Call Trace|unchecked MSR access|Kernel panic|BUG:|Oops")


def boot_linux(vcpus, extra=()):
    vmlinuz, initrd = linux_guest.prepare()
    modules = [(guest("probe"), "stay"),
               (vmlinuz, "domU name=linux memory=256M vcpus=%d -- %s" % (vcpus, LINUX_CMDLINE)),
               (initrd, "domU-module")]
    m = qemu(ncpus=2, megs=1024, modules=modules, extra=extra,
             cmdline=DEFAULT_CMDLINE + " dom0_mem=32M dom0_max_vcpus=1")
    try:
        d = m.wait_for(r"^\(kumo\) d(\d+) \(linux\): 256 MiB, %d vCPUs" % vcpus, 60).group(1)
        m.wait_for(r"^\(kumo\) \[linux\] \[ *[\d.]+\] %s$" % linux_guest.MARKER, TIMEOUT)
        m.wait_for(r"^\(kumo\) d%s destroyed: " % d, 120)
        log = m.text()
    finally:
        m.stop()
    linux = [l for l in log.splitlines() if l.startswith("(kumo) [linux] ")]
    trouble = [l for l in linux if TROUBLE.search(l)]
    expect(not trouble, "Linux reported trouble: %s" % trouble[:5])
    expect(re.search(r"smp: Brought up 1 node, %d CPUs?$" % vcpus, log, re.M),
           "Linux did not bring up %d CPUs" % vcpus)
    expect(re.search(r"^\(kumo\) d%s \(linux\) shut down: poweroff" % d, log, re.M),
           "Linux did not power off after its init")
    expect(re.search(r"^Test result: PASS$", log, re.M), "the Dom0 probe beside it failed")
    expect(not FATAL.search(log), "fatal message in the log")


def qemu_stock_linux_domu_1_vcpu_reaches_userspace():
    boot_linux(1)


def qemu_stock_linux_domu_2_vcpus_reach_userspace():
    boot_linux(2)


def qemu_debian_grub_pvh_image_loads_and_runs():
    """Its PVH note is in a PT_NOTE with p_memsz 0. It stops at "Could not get memory map
    from Xen!" until XENMEM_memory_map exists, and at "Memory_op hypercall failed!" until
    its grant table can be mapped; past both it talks on its PV console, which no Dom0
    drains here: kumo's 'q' dump shows its grant frame mapped, it running on, and no line
    of its own saying it stopped."""
    m = qemu(ncpus=1, megs=256, modules=[(linux_guest.grub_pvh_image(),
                                          "domU name=grub memory=64M --")])
    try:
        m.wait_for(r"^\(kumo\) d\d+ \(grub\): 64 MiB", 60)
        m.send("\x01\x01\x01")
        m.wait_for(r"Serial input to kumo", 30)
        deadline = time.time() + 120
        while not re.search(r"\(grub\): .*grant frames 1 \(1 mapped\)", m.text()):
            expect(time.time() < deadline, "GRUB never mapped its grant table")
            m.send("q")
            time.sleep(2)
        expect(not re.search(r"^\(kumo\) \[grub\] |\(grub\) shut down", m.text(), re.M),
               "GRUB stopped: %s" % re.findall(r"^\(kumo\) \[grub\] .*$", m.text(), re.M))
        expect(not FATAL.search(m.text()), "fatal message in the log")
    finally:
        m.stop()


def qemu_stock_linux_domu_on_an_intel_cpu_reaches_userspace():
    boot_linux(1, extra=["-cpu", "qemu64,+svm,+npt,vendor=GenuineIntel"])


TESTS = [qemu_debian_grub_pvh_image_loads_and_runs, qemu_stock_linux_domu_1_vcpu_reaches_userspace,
         qemu_stock_linux_domu_2_vcpus_reach_userspace,
         qemu_stock_linux_domu_on_an_intel_cpu_reaches_userspace]
