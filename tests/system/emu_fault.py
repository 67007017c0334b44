"""Recognises QEMU 7.2's lost translation at a world switch (docs/security.md, "Emulator
faults"): right after VMRUN or #VMEXIT the emulated CPU can find no translation at all --
not for the instruction it resumes at, not for the IDT entry of the fault that follows --
and triple-faults, while the tables it walks are intact. Two signatures, each checked
against kumo's own evidence so that a real kumo fault does not pass for one:

- a guest's triple fault while a page fault or an external interrupt was being delivered,
  whose report shows kumo's own walk of the guest's RIP and of the CR2 the CPU failed on
  both ending at a present entry (kumo reads the same tables through the same p2m and finds
  both mapped); a guest's deliberate triple fault (an empty IDT, an unmapped page) does not
  fit;
- a triple fault of the host at the instruction after VMRUN, before the host's VMLOAD (the
  guest's TR still loaded), on reading the #DF entry of kumo's own IDT (CR2 = IDT + 0x80):
  kumo's page tables are static and that entry was read on every interrupt before.
"""
import os
import re
import subprocess

from emu import BUILD

GUEST_WALK = re.compile(r"^\(kumo\) (d\d+ vCPU \d+) walk of (rip|cr2) (0x[0-9a-f]+):(.*)$", re.M)
GUEST_TRIPLE = re.compile(r"^\(kumo\) (d\d+ vCPU \d+): triple fault at rip", re.M)
# The event the CPU was delivering (SVM's EXITINTINFO, VT-x's IDT-vectoring information).
GUEST_EVENT = re.compile(r"^\(kumo\) (d\d+ vCPU \d+) shutdown state: .*"
                         r"(?:exitintinfo|idt-vectoring) (0x[0-9a-f]+)$", re.M)


def _lost_translation_event(info):
    """A page fault (vector 14) or an external interrupt being delivered: what the CPU
    does when it finds no translation, not a guest's own broken IDT or deliberate fault."""
    valid, kind, vector = info >> 31 & 1, info >> 8 & 7, info & 0xff
    return valid and ((kind == 3 and vector == 14) or kind == 0)


def _walk_present(levels):
    """A walk line's last entry (the one it stopped at) is present."""
    values = re.findall(r"=0x([0-9a-f]+)", levels)
    return bool(values) and int(values[-1], 16) & 1 == 1


def guest_fault(console):
    for m in GUEST_TRIPLE.finditer(console):
        walks = {w.group(2): w.group(4) for w in GUEST_WALK.finditer(console, 0, m.start())
                 if w.group(1) == m.group(1)}
        events = [int(e.group(2), 16) for e in GUEST_EVENT.finditer(console, 0, m.start())
                  if e.group(1) == m.group(1)]
        if set(walks) == {"rip", "cr2"} and all(map(_walk_present, walks.values())) and \
                events and _lost_translation_event(events[-1]):
            return "%s triple-faulted on a translation kumo's own walk finds" % m.group(1)
    return None


def _svm_vmrun_span():
    try:
        out = subprocess.run(["nm", "-n", os.path.join(BUILD, "kumo.elf")], capture_output=True,
                             text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return None
    addrs = [(int(l.split()[0], 16), l.split()[-1]) for l in out if len(l.split()) == 3]
    for i, (a, name) in enumerate(addrs):
        if name == "svm_vmrun" and i + 1 < len(addrs):
            return a, addrs[i + 1][0]
    return None


def host_fault(message):
    """message: the failure, naming the kept QEMU log of a host reset or triple fault."""
    kept = re.search(r"its CPU state \(([^)]+)\)", message)
    span = _svm_vmrun_span()
    if not kept or not span or not os.path.exists(kept.group(1)):
        return None
    with open(kept.group(1)) as f:
        text = f.read()
    at = text.find("Triple fault")
    if at < 0:
        return None
    for block in re.split(r"CPU Reset \(CPU \d+\)", text[at:])[1:3]:
        rip = re.search(r"RIP=([0-9a-f]{16})", block)
        idt = re.search(r"IDT=\s+([0-9a-f]{16})", block)
        cr2 = re.search(r"CR2=([0-9a-f]{16})", block)
        if rip and idt and cr2 and span[0] <= int(rip.group(1), 16) < span[1] and \
                int(cr2.group(1), 16) == int(idt.group(1), 16) + 8 * 16:
            return "the host triple-faulted right after VMRUN reading its own IDT"
    return None


def recognise(message, console):
    """What the emulator did, or None when the failure is not one of its known faults."""
    return guest_fault(console or "") or host_fault(message or "")
