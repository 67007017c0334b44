"""Stock Debian Linux as a kumo guest, prepared on the host at test time (nothing is
committed): scripts/fetch-debs.sh fetches linux-image-amd64 and busybox-static; kumo boots the
vmlinuz as the package ships it (it unpacks the bzImage itself), and a tiny initramfs holds
busybox and an /init that writes a marker line to the kernel log."""
import os
import subprocess

from emu import BUILD, ROOT

MARKER = "kumo-linux-guest: userspace reached"
INIT = """#!/bin/sh
echo "<2>%s" > /dev/kmsg
/bin/busybox poweroff -f
""" % MARKER


def fetch_debs():
    """{KVER, VMLINUZ, MODDIR, BUSYBOX} as scripts/fetch-debs.sh prints them."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "fetch-debs.sh"), BUILD], check=True,
                         capture_output=True, text=True).stdout
    return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def cpio_newc(entries):
    """entries: [(name, mode, data, (rdev major, minor))] -> a newc archive."""
    out = bytearray()
    for ino, (name, mode, data, rdev) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))]):
        fields = [ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def initramfs(busybox):
    with open(busybox, "rb") as f:
        bb = f.read()
    d, reg, exe, lnk, chr_ = 0o40755, 0o100644, 0o100755, 0o120777, 0o20600
    return cpio_newc([("bin", d, b"", (0, 0)), ("bin/busybox", exe, bb, (0, 0)),
                      ("bin/sh", lnk, b"busybox", (0, 0)), ("dev", d, b"", (0, 0)),
                      ("dev/console", chr_, b"", (5, 1)), ("dev/kmsg", chr_, b"", (1, 11)),
                      ("init", exe, INIT.encode(), (0, 0)), ("proc", d, b"", (0, 0)),
                      ("sys", d, b"", (0, 0))])


def prepare():
    """(Debian's vmlinuz, initramfs path under build/linux-guest/)."""
    debs = fetch_debs()
    out = os.path.join(BUILD, "linux-guest")
    os.makedirs(out, exist_ok=True)
    initrd = os.path.join(out, "initramfs.cpio")
    with open(initrd + ".tmp", "wb") as f:
        f.write(initramfs(debs["BUSYBOX"]))
    os.rename(initrd + ".tmp", initrd)
    return debs["VMLINUZ"], initrd


def grub_pvh_image():
    """Debian's GRUB for Xen PVH guests (grub-xen-host's grub-i386-xen_pvh.bin: an ELF32 whose
    PVH note is in a PT_NOTE of p_memsz 0), fetched with apt into build/debs once."""
    cache = os.path.join(BUILD, "debs")
    image = os.path.join(cache, "grub-xen-host", "usr", "lib", "grub-xen", "grub-i386-xen_pvh.bin")
    if not os.path.exists(image):
        os.makedirs(cache, exist_ok=True)
        if not any(f.startswith("grub-xen-host_") for f in os.listdir(cache)):
            subprocess.run(["apt-get", "download", "-qq", "grub-xen-host"], cwd=cache, check=True,
                           capture_output=True)
        deb = sorted(f for f in os.listdir(cache) if f.startswith("grub-xen-host_"))[-1]
        subprocess.run(["dpkg-deb", "-x", os.path.join(cache, deb),
                        os.path.join(cache, "grub-xen-host")], check=True)
    return image
