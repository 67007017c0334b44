"""Running kumo under QEMU or Bochs for system tests: serial output captured, serial input
scripted, every wait bounded, and the last 50 console lines shown when a wait fails."""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
# KUMO_CMDLINE_EXTRA adds kumo boot options to every test's machine (debugging: page_poison).
DEFAULT_CMDLINE = ("console=com1 com1=115200,8n1 " + os.environ.get("KUMO_CMDLINE_EXTRA", "")).strip()


class WaitFailed(Exception):
    pass


# The machine each runner thread started last, for the console tail of a failed test.
_started = threading.local()


def last_machine():
    return getattr(_started, "machine", None)


def forget_last_machine():
    _started.machine = None


class Machine:
    """One emulator run. Output accumulates in self.log (text)."""

    def __init__(self, argv, serial_file=None, cwd=None, cpu_log=None):
        _started.machine = self
        self.log = ""
        self.cpu_log = cpu_log
        self._lock = threading.Lock()
        self.serial_file = serial_file
        # A session of its own: stop() kills wrapper scripts and the emulator under them.
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            if self.serial_file is None:
                with self._lock:
                    self.log += chunk.decode("utf-8", "replace").replace("\r", "")

    def text(self):
        if self.serial_file is not None and os.path.exists(self.serial_file):
            try:
                with open(self.serial_file, "rb") as f:
                    return f.read().decode("utf-8", "replace").replace("\r", "")
            except FileNotFoundError:
                return ""
        with self._lock:
            return self.log

    def wait_for(self, pattern, timeout, start=0):
        """Waits until regex pattern appears in the output after offset start; returns the match."""
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while True:
            m = rx.search(self.text(), start)
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)
                m = rx.search(self.text(), start)
                if m:
                    return m
                raise WaitFailed("emulator exited (rc %s%s) before /%s/"
                                 % (self.proc.returncode, self.host_triple_fault(), pattern))
            if time.time() > deadline:
                raise WaitFailed("no /%s/ within %ss" % (pattern, timeout))
            fault = self.cpu_log and int(time.time() * 20) % 20 == 0 and self.host_triple_fault()
            if fault:
                raise WaitFailed("the host triple-faulted before /%s/%s" % (pattern, fault))
            time.sleep(0.05)

    def host_triple_fault(self):
        """', a triple fault of the host' and the CPU state QEMU logged with it, when it did:
        kumo itself crashed, as opposed to kumo restarting the machine on purpose (a guest's
        triple fault is an exit to kumo and logs nothing here). The whole log is kept as
        build/test-logs/triple-fault-<time>.log."""
        try:
            with open(self.cpu_log, "rb") as f:
                # With KUMO_QEMU_DEBUG the log is large: the fault is near its end.
                f.seek(max(0, os.path.getsize(self.cpu_log) - (64 << 20)))
                text = f.read().decode("utf-8", "replace")
        except (TypeError, OSError):
            return ""
        # A reset from long mode (a 64-bit register dump) is one kumo did not ask for, or
        # kumo restarting the machine (its log says why).
        fault = re.search(r"Triple fault|CPU Reset \(CPU \d+\)\nRAX=", text)
        if not fault:
            return ""
        text = text[max(0, fault.start() - (8 << 20)):fault.start() + (1 << 20)]
        at = re.search(r"Triple fault|CPU Reset \(CPU \d+\)\nRAX=", text).start()
        keep = os.path.join(BUILD, "test-logs", "triple-fault-%d.log" % time.time())
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        with open(keep, "w") as f:
            f.write(text)
        state = [l for l in text[at:].splitlines()[:60]
                 if re.match(r"(CPU Reset|RAX|RSI|R8 |RIP|CR0|IDT|GDT|TR |EFER)=?", l)]
        return ", a reset or triple fault of the host; its CPU state (%s):\n%s" % (keep, "\n".join(state))

    def send(self, data, delay=0):
        """Types data on the serial line. QEMU's UART takes input only as fast as its guest
        drains the FIFO (the rest waits in the pipe), and kumo buffers 256 bytes for Dom0, so
        a command line goes at once; delay > 0 types a byte at a time instead."""
        if not delay:
            self.proc.stdin.write(data.encode())
            self.proc.stdin.flush()
            return
        for b in data.encode():
            self.proc.stdin.write(bytes([b]))
            self.proc.stdin.flush()
            time.sleep(delay)

    def tail(self, n=50):
        return "\n".join(self.text().splitlines()[-n:])

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.serial_file is not None and os.path.exists(self.serial_file):
            self.log = self.text()
            os.unlink(self.serial_file)
        if self.cpu_log is not None and os.path.exists(self.cpu_log):
            os.unlink(self.cpu_log)


def guest(name):
    """Path of a test kernel built from tests/guests/<name>."""
    return os.path.join(BUILD, "guests", name + ".elf")


def make_iso(cmdline=DEFAULT_CMDLINE, modules=()):
    """A GRUB ISO booting kumo with module2 lines [(path, string)]; the caller deletes it."""
    fd, iso = tempfile.mkstemp(prefix="kumo-", suffix=".iso")
    os.close(fd)
    args = [os.path.join(ROOT, "scripts", "mkiso.sh"), iso, cmdline]
    for path, string in modules:
        args += [path, string]
    subprocess.run(args, check=True)
    return iso


def qemu(ncpus=1, megs=256, iso=None, kernel=None, cmdline=DEFAULT_CMDLINE, extra=(),
         modules=(), reset_dump=False):
    """modules: [(path, string)] handed over as multiboot modules (QEMU's -initrd list).
    reset_dump: a reset does not end QEMU but is caught with the CPU state it logs (for
    machines whose tests never expect a reset; KUMO_QEMU_RESET_DUMP=1 sets it for all)."""
    argv = ["qemu-system-x86_64", "-accel", os.environ.get("KUMO_QEMU_ACCEL", "tcg"),
            "-cpu", "qemu64,+svm,+npt",
            "-smp", str(ncpus), "-m", str(megs), "-nic", "none", "-display", "none",
            "-no-reboot", "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
            "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    # QEMU's reset log says whether an exit was the host's triple fault (Machine.stop deletes it).
    # With -no-reboot QEMU stops at the fault without a register dump; KUMO_QEMU_RESET_DUMP=1
    # lets the machine reset instead, which logs the CPU state at the fault (and reboots).
    if reset_dump or os.environ.get("KUMO_QEMU_RESET_DUMP") == "1":
        argv.remove("-no-reboot")
    fd, cpu_log = tempfile.mkstemp(prefix="kumo-qemu-", suffix=".log")
    os.close(fd)
    # KUMO_QEMU_DEBUG adds QEMU log items (e.g. "int": every interrupt and exception).
    extra_items = os.environ.get("KUMO_QEMU_DEBUG")
    argv += ["-d", "cpu_reset" + ("," + extra_items if extra_items else ""), "-D", cpu_log]
    if iso:
        argv += ["-cdrom", iso, "-boot", "d"]
    else:
        argv += ["-kernel", kernel or os.path.join(BUILD, "kumo-mb1.elf"), "-append", cmdline]
        if modules:
            argv += ["-initrd", ",".join(("%s %s" % (p, s)).replace(",", ",,")
                                         for p, s in modules)]
    return Machine(argv + list(extra), cpu_log=cpu_log)


def bochs(iso, ncpus=2, megs=256, ips=2000000):
    """ips: emulated instructions per second of guest time (scripts/bochs.sh)."""
    fd, serial = tempfile.mkstemp(prefix="kumo-bochs-", suffix=".log")
    os.close(fd)
    return Machine([os.path.join(ROOT, "scripts", "bochs.sh"), iso, str(ncpus), serial, str(megs),
                    str(ips)], serial_file=serial)


class SharedBoot:
    """One boot whose checks are reported by tests of their own (a Linux Dom0 boot is the
    suite's costliest step). boot() returns the running machine; each check fn(m) then runs
    once, in order, and a test asks result(name) for its check's outcome. A test asking for
    the same check again (run.py's rerun after an emulator fault) gets a fresh boot. The
    tests may run in both of run.py's lanes: the second asker waits for the first's boot."""

    def __init__(self, boot, checks):
        self.boot, self.checks = boot, checks
        self.outcome, self.asked, self.tail = {}, set(), None
        self.lock = threading.Lock()

    def _run(self):
        m = None
        try:
            m = self.boot()
            for name, fn in self.checks:
                try:
                    fn(m)
                    self.outcome[name] = None
                except Exception as e:      # noqa: BLE001 - reported by its own test
                    self.outcome[name] = e
                    self.tail = self.tail or m.tail()
        except Exception as e:              # noqa: BLE001 - the boot failed: every check
            for name, _ in self.checks:
                self.outcome.setdefault(name, e)
            if m is not None:
                self.tail = self.tail or m.tail()
        finally:
            if m is not None:
                m.stop()

    def result(self, name):
        with self.lock:
            if name in self.asked:
                self.outcome, self.asked, self.tail = {}, set(), None
            self.asked.add(name)
            if name not in self.outcome:
                self._run()
            err, tail = self.outcome[name], self.tail
        if err is not None:
            raise AssertionError("%s%s" % (err, "\n---- console at the first failed check "
                                           "----\n" + tail if tail else ""))
