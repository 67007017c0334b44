"""Commands typed into a Linux Dom0's shell over the serial console, for the xl system tests.

The serial line is shared: kumo's log (`(kumo) ...`, including DomUs' console_io lines), Dom0
kernel messages and init's reports land in the middle of the shell's echo of what was typed,
and the shell sends a cursor-position query after its prompt. run() takes those out before it
looks for the echo, then checks that the echo is exactly what was typed (whitespace aside, as
the terminal wraps long lines) and returns only what the command printed."""
import re
import time

from emu import WaitFailed
from test_boot import expect

CMD_TIMEOUT = 120

# Whole lines that are never a command's output: kumo's log and Dom0's kernel log.
FOREIGN_LINE = re.compile(r"^(\(kumo\)|\[ *\d+\.\d+\] )")
# Pieces that can land inside a line: a kernel message or an init report cut into the echo,
# and the terminal query busybox's shell sends after its prompt.
FOREIGN_PIECE = re.compile(r"\[ *\d+\.\d+\] [^\n]*$|init: [^\n]*(?:exited with status \d+|"
                           r"killed by signal \d+ \([^)]*\))|\x1b\[6n")


def run(m, cmd, timeout=CMD_TIMEOUT):
    """Runs cmd in Dom0's shell: (exit status, the output lines it printed)."""
    start = len(m.text())
    typed = cmd + "; echo @@END $?"
    m.send(typed + "\n")
    end = wait_or_dump(m, r"^@@END (\d+)", timeout, start)
    lines = [FOREIGN_PIECE.sub("", l) for l in m.text()[start:end.start()].splitlines()
             if not FOREIGN_LINE.match(l)]
    # Typed while the shell was busy, the line is echoed twice: by the terminal, then by the
    # shell after its prompt. The output follows the last echo.
    want, echoed, echo_end = "".join(typed.split()), "", len(lines)
    for i, l in enumerate(lines):
        echoed += "".join(l.split())
        if echoed.endswith(want):
            echo_end = i
    expect(echo_end < len(lines), "the shell did not echo `%s`" % typed)
    # Blank lines are left out: the terminal adds one where the echo wraps.
    return int(end.group(1)), [l for l in lines[echo_end + 1:] if l.strip()]


def xl_ok(m, cmd):
    rc, out = run(m, cmd)
    expect(rc == 0, "`%s` exited %d: %s" % (cmd, rc, out))
    return out


def list_rows(m):
    """{name: (id, mem, vcpus, state, time)} from `xl list`."""
    rows = {}
    for line in xl_ok(m, "xl list"):
        f = line.split()
        if len(f) == 6 and f[1].isdigit():         # not the header
            rows[f[0]] = (int(f[1]), int(f[2]), int(f[3]), f[4], float(f[5]))
    return rows


def free_mib(m):
    for line in xl_ok(m, "xl info"):
        if line.startswith("free_memory"):
            return int(line.split(":")[1])
    expect(False, "xl info has no free_memory")


def stalled(m, what):
    """Fails with what, after kumo's dump of its domains and vCPUs (debug key q: blocked or
    running, upcall pending) for the console tail the runner shows."""
    try:
        m.send("\x01\x01\x01", 0.2)
        m.send("q")
        m.send("e")
        time.sleep(3)
        m.send("\x01\x01\x01", 0.2)
    except OSError:
        pass                    # the emulator is gone: its exit says more
    expect(False, what)


def wait_or_dump(m, pattern, timeout, start=0):
    """m.wait_for, and on a timeout kumo's dump before the failure."""
    try:
        return m.wait_for(pattern, timeout, start)
    except WaitFailed as e:
        if m.proc.poll() is not None:
            raise
        stalled(m, str(e))
