"""System tests of the foundation: boot through GRUB (ISO) and QEMU -kernel, CPU bring-up,
memory, timers, the command line, debug keys, and the fatal-trap path, in QEMU (SVM) and
Bochs (VT-x)."""
import os
import re

from emu import BUILD, DEFAULT_CMDLINE, WaitFailed, bochs, qemu

ISO = os.path.join(BUILD, "kumo.iso")
BOOT_TIMEOUT = 60
BOCHS_TIMEOUT = 240
FATAL = re.compile(r"FATAL TRAP|Panic on CPU|Assertion .* failed")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def check_boot(m, ncpus, megs, timeout=BOOT_TIMEOUT):
    online = m.wait_for(r"^\(kumo\) (\d+) CPUs online$", timeout)
    log = m.text()
    expect(int(online.group(1)) == ncpus, "expected %d CPUs online, got %s" % (ncpus, online.group(1)))
    for cpu in range(ncpus):
        expect(re.search(r"^\(kumo\) CPU %d online \(APIC id \d+\)$" % cpu, log, re.M),
               "no 'CPU %d online' line" % cpu)
    mem = re.search(r"^\(kumo\) Memory: (\d+) MiB RAM, (\d+) MiB free", log, re.M)
    expect(mem, "no memory line")
    ram, free = int(mem.group(1)), int(mem.group(2))
    expect(megs - 4 <= ram <= megs, "RAM %d MiB for a %d MiB machine" % (ram, megs))
    expect(0 < free < ram, "free memory %d MiB of %d" % (free, ram))
    expect(re.search(r"^\(kumo\) TSC: \d+\.\d+ MHz", log, re.M), "no TSC line")
    expect(re.search(r"^\(kumo\) Timer self-check passed on %d CPUs" % ncpus, log, re.M),
           "timer self-check did not pass")
    expect(not FATAL.search(log), "fatal message in the log")
    for line in log.splitlines():
        if line.strip() and "(kumo)" in line:
            expect(line.startswith("(kumo) "), "hypervisor line without prefix: %r" % line)
    return log


def boot_qemu(ncpus, iso=False, megs=256, cmdline=DEFAULT_CMDLINE, expect_cpus=None):
    m = qemu(ncpus=ncpus, megs=megs, iso=ISO if iso else None, cmdline=cmdline)
    try:
        return m, check_boot(m, expect_cpus or ncpus, megs)
    except Exception:
        m.stop()
        raise


def qemu_timer_kill_waits_for_running_callback():
    """The boot self-check kills a timer while CPU 1 runs its callback (which re-arms it):
    timer_kill must return only after the callback ends, and the re-arm must not stick."""
    m, log = boot_qemu(2)
    m.stop()
    expect(re.search(r"^\(kumo\) Timer self-check: timer_kill waited for the callback running "
                     r"on CPU 1$", log, re.M), "no timer_kill line from the self-check")


def make_boot_test(ncpus, iso):
    def test():
        m, log = boot_qemu(ncpus, iso=iso)
        m.stop()
        if iso:
            expect("booted by GRUB" in log, "ISO boot not through GRUB")
        else:
            expect(re.search(r"booted by .*qemu", log, re.I) or "multiboot1" in log,
                   "-kernel boot not through multiboot1")
    test.__name__ = "qemu_%s_%dcpu" % ("iso" if iso else "kernel", ncpus)
    return test


def qemu_maxcpus():
    m, log = boot_qemu(4, cmdline=DEFAULT_CMDLINE + " maxcpus=2", expect_cpus=2)
    m.stop()
    expect(re.search(r"not started \(maxcpus=2\)", log), "maxcpus not reported")


def qemu_cmdline_options():
    m, log = boot_qemu(2, cmdline="console=com1 com1=115200,8n1 loglvl=all bogus_opt=1 "
                       "dom0_mem=512M dom0_max_vcpus=2 sched=sedf noreboot")
    m.stop()
    expect("(kumo) WARNING: unknown boot option 'bogus_opt' ignored" in log,
           "unknown option not warned about")
    expect(re.search(r"Scheduler: sedf; Dom0 memory: 512 MiB; Dom0 vCPUs: 2$", log, re.M),
           "options not applied")


def qemu_debug_keys_nmi():
    m, log = boot_qemu(2)
    try:
        m.send("\x01\x01\x01")
        m.wait_for(r"\*\*\* Serial input to kumo", 10)
        m.send("n")
        m.wait_for(r"NMI received on CPU 1", 10)
        m.send("t")
        m.wait_for(r"CPU 1: APIC id \d+, \d+ interrupts", 10)
        m.send("q")
        m.wait_for(r"^\(kumo\) Scheduler credit:\n\(kumo\)   pCPU 0: (running d\d+ v\d+ "
                   r"\((boost|under|over), credit -?\d+\)|idle);", 10)
        m.send("e")
        m.wait_for(r"^\(kumo\) 'e' pressed -> dumping event-channel info", 10)
        m.send("\x01\x01\x01")
        m.wait_for(r"\*\*\* Serial input to DOM0", 10)
        expect(not FATAL.search(m.text()), "fatal message after NMI")
    finally:
        m.stop()


def qemu_fatal_trap():
    m, log = boot_qemu(2, cmdline=DEFAULT_CMDLINE + " noreboot")
    try:
        m.send("\x01\x01\x01C")
        m.wait_for(r"Manual reset required \('noreboot' specified\)", 20)
        log = m.text()
        for what in (r"FATAL TRAP: vector 6 \(#UD invalid opcode\)", r"RIP:\s+0008:\[<ffffffff8",
                     r"rax: [0-9a-f]{16}", r"cr2: [0-9a-f]{16}", r"Stack trace",
                     r"Panic on CPU 0:"):
            expect(re.search(what, log), "fatal trap report lacks /%s/" % what)
    finally:
        m.stop()


def qemu_reboot_on_panic():
    """Without noreboot a panic reboots: QEMU (-no-reboot) then exits by itself."""
    m, log = boot_qemu(1)
    try:
        m.send("\x01\x01\x01C")
        m.wait_for(r"Reboot in five seconds", 20)
        m.proc.wait(timeout=30)
    finally:
        m.stop()


def bochs_iso_2cpu():
    m = bochs(ISO, ncpus=2, megs=256)
    try:
        log = check_boot(m, 2, 256, timeout=BOCHS_TIMEOUT)
        expect("TSC-deadline" in log or "one-shot" in log, "no LAPIC timer mode line")
    finally:
        m.stop()


TESTS = [make_boot_test(n, iso) for iso in (True, False) for n in (1, 2, 4)] + [
    qemu_maxcpus, qemu_cmdline_options, qemu_debug_keys_nmi, qemu_fatal_trap,
    qemu_timer_kill_waits_for_running_callback,
    qemu_reboot_on_panic, bochs_iso_2cpu,
]
