"""Debian's own vmlinuz (a bzImage with an xz payload) as a boot module, as Xen takes it
(issue 10 item 1): kumo unpacks it with its own decoder, loads the vmlinux ELF and starts it
at its PVH entry, and Linux prints its first line. A damaged bzImage costs one log line
naming its module; the other domains still run and the unpack buffer goes back to the heap.
Debian's vmlinux repacked with gzip and with no compression loads as well. Prints how long
the unpacking took in QEMU."""
import os
import re
import struct
import subprocess
import tempfile

from emu import DEFAULT_CMDLINE, ROOT, guest, qemu
from test_boot import FATAL, expect
from test_hvm import check_domus_ran_and_freed

TIMEOUT = 300


def debian_vmlinuz():
    """Path of Debian's vmlinuz, fetched (once, cached under build/debs) by fetch-debs.sh."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "fetch-debs.sh")], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    path = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l).get("VMLINUZ")
    expect(out.returncode == 0 and path and os.path.exists(path),
           "scripts/fetch-debs.sh gave no vmlinuz: %s" % out.stderr.strip()[-300:])
    return path


def payload_span(image):
    """(offset, length) of the payload, from the setup header as the boot protocol says."""
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    return (setup_sects + 1) * 512 + offset, length


def check_debian_bzimage_unpacked(m, vmlinuz, vcpus):
    """m booted Debian's vmlinuz through GRUB as Dom0 (`module2 /boot/vmlinuz-...`, as on a
    Debian machine): kumo unpacked exactly the payload the setup header names and Linux
    started."""
    image = open(vmlinuz, "rb").read()
    off, length = payload_span(image)
    unpacked = struct.unpack_from("<I", image, off + length - 4)[0]
    line = m.wait_for(r"^\(kumo\) Domain-0: bzImage xz payload unpacked, (\d+) -> (\d+) bytes "
                      r"in (\d+) ms$", TIMEOUT)
    expect(int(line.group(1)) == length and int(line.group(2)) == unpacked,
           "unpacked %s -> %s bytes, the header says %d -> %d"
           % (line.group(1), line.group(2), length, unpacked))
    m.wait_for(r"^\(kumo\) Dom0: \d+ MiB, %d vCPUs, \d+ modules" % vcpus, TIMEOUT)
    m.wait_for(r"^\[ *0\.000000\] Linux version 6\.", TIMEOUT)
    print("    QEMU TCG: Debian's vmlinuz (%d bytes of xz) unpacked to %d bytes in %s ms"
          % (length, unpacked, line.group(3)))
    expect(not FATAL.search(m.text()), "fatal message in the log")


def qemu_debian_bzimage_from_grub_unpacked_and_started_as_dom0():
    """Checked on the 2-vCPU Dom0 boot of test_dom0.py, which boots that way (one boot
    fewer: unpacking the xz payload alone takes seconds under TCG)."""
    import test_dom0
    test_dom0.two_vcpu_boot.result("bzimage")


def damaged_copies(path, workdir):
    """A copy with one payload byte flipped mid-stream, one cut short of its payload, and one
    whose payload is zstd (Linux's CONFIG_KERNEL_ZSTD; Xen unpacks it, kumo does not)."""
    image = bytearray(open(path, "rb").read())
    off, length = payload_span(image)
    flipped, cut = os.path.join(workdir, "flipped"), os.path.join(workdir, "cut")
    zstd = os.path.join(workdir, "zstd")
    setup_end = off - struct.unpack_from("<I", image, 0x248)[0]
    open(zstd, "wb").write(image[:0x248] + struct.pack("<II", 0, 4 + 8 + 4)
                           + image[0x250:setup_end] + b"\x28\xb5\x2f\xfd" + bytes(8)
                           + struct.pack("<I", 1 << 20))
    image[off + length // 2] ^= 0x10
    open(flipped, "wb").write(image)
    open(cut, "wb").write(image[:off + length // 3])
    return flipped, cut, zstd


def qemu_damaged_bzimage_is_one_line_and_others_run():
    with tempfile.TemporaryDirectory(prefix="kumo-bz-") as tmp:
        flipped, cut, zstd = damaged_copies(debian_vmlinuz(), tmp)
        m = qemu(ncpus=1, megs=512, cmdline=DEFAULT_CMDLINE,
                 modules=[(cut, "console=hvc0"),
                          (flipped, "domU name=bad memory=128M -- console=hvc0"),
                          (zstd, "domU name=zst memory=128M -- console=hvc0"),
                          (guest("smoke"), "domU name=g1 memory=16M -- one")])
        try:
            log = check_domus_ran_and_freed(m, ["g1"], TIMEOUT)
        finally:
            m.stop()
    dom0 = re.findall(r"^\(kumo\) Dom0 not built.*$", log, re.M)
    expect(dom0 == ["(kumo) Dom0 not built from module 0: bzImage payload outside the module"],
           "Dom0's line: %s" % dom0)
    bad = re.findall(r"^.*\bbad\b.*$", log, re.M)
    expect(len(bad) == 1 and re.match(r"^\(kumo\) domU module 1 \(bad\): bzImage xz payload: "
                                      r"[^;]+; domain skipped$", bad[0]),
           "lines about 'bad': %s" % bad)
    zst = re.findall(r"^.*\bzst\b.*$", log, re.M)
    expect(zst == ["(kumo) domU module 2 (zst): bzImage payload is zstd (kumo unpacks xz and "
                   "gzip); domain skipped"], "lines about 'zst': %s" % zst)


def repacked(path, workdir):
    """Debian's vmlinux repacked as bzImages with a gzip and with an uncompressed payload."""
    image = open(path, "rb").read()
    off, length = payload_span(image)
    vmlinux = subprocess.run(["xz", "-dc"], input=image[off:off + length - 4],
                             capture_output=True, check=True).stdout
    gz = subprocess.run(["gzip", "-1", "-n"], input=vmlinux, capture_output=True,
                        check=True).stdout
    out = []
    for name, payload in (("gzip", gz), ("elf", vmlinux)):
        hdr = bytearray(5 * 512)
        hdr[0x1F1] = 4
        hdr[0x202:0x206] = b"HdrS"
        struct.pack_into("<H", hdr, 0x206, 0x020F)
        struct.pack_into("<II", hdr, 0x248, 0, len(payload))
        out.append(os.path.join(workdir, name))
        open(out[-1], "wb").write(bytes(hdr) + payload)
    return out


def qemu_gzip_and_elf_bzimage_payloads_loaded():
    with tempfile.TemporaryDirectory(prefix="kumo-bz-") as tmp:
        gz, elf = repacked(debian_vmlinuz(), tmp)
        m = qemu(ncpus=2, megs=1024, cmdline=DEFAULT_CMDLINE + " dom0_mem=256M dom0_max_vcpus=1",
                 modules=[(gz, "console=hvc0 mce=off"),
                          (elf, "domU name=elfpayload memory=128M cpus=1 -- console=hvc0")])
        try:
            line = m.wait_for(r"^\(kumo\) Domain-0: bzImage gzip payload unpacked, \d+ -> (\d+) "
                              r"bytes in (\d+) ms$", TIMEOUT)
            m.wait_for(r"^\(kumo\) d\d+ \(elfpayload\): 128 MiB, 1 vCPUs, built from module 1$",
                       TIMEOUT)
            m.wait_for(r"^\[ *0\.000000\] Linux version 6\.", TIMEOUT)
            print("    QEMU TCG: gzip payload inflated to %s bytes in %s ms"
                  % (line.group(1), line.group(2)))
            expect("elfpayload: bzImage" not in m.text(), "an ELF payload was unpacked")
        finally:
            m.stop()


# Boots Debian's kernel to its first line and measures nothing: it can run beside the QEMU lane.
qemu_debian_bzimage_from_grub_unpacked_and_started_as_dom0.SECOND_LANE = True

TESTS = [
    qemu_debian_bzimage_from_grub_unpacked_and_started_as_dom0,
    qemu_gzip_and_elf_bzimage_payloads_loaded,
    qemu_damaged_bzimage_is_one_line_and_others_run,
]
