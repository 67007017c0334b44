"""How Dom0's root archive is made (issue 10 item 2), checked on the host over fabricated
inputs, no emulator: module dependencies come from the modules' own .modinfo (depends= and
softdep=, with aliases), and scripts/fetch-debs.sh follows the archive's kernel, whatever
its version, even when the apt lists are stale or the archive is out of reach."""
import lzma
import os
import stat
import struct
import subprocess
import sys
import tempfile

from emu import ROOT
from test_boot import expect

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import mkdom0  # noqa: E402

# The modules issue 10 names for Dom0.
ISSUE_MODULES = ["xenfs", "xen-privcmd", "xen-evtchn", "xen-gntdev", "xen-gntalloc",
                 "xen-blkback", "xen-netback", "bridge", "loop", "ext4"]


def fake_module(path, pairs):
    """An ELF64 relocatable with only a .modinfo section holding key=value strings."""
    info = b"".join(b"%s=%s\0" % (k.encode(), v.encode()) for k, v in pairs)
    names = b"\0.modinfo\0.shstrtab\0"
    info_off, names_off = 64, 64 + len(info)
    shoff = (names_off + len(names) + 7) & ~7
    e = bytearray(shoff + 3 * 64)
    e[0:7] = b"\x7fELF\x02\x01\x01"
    struct.pack_into("<HH", e, 16, 1, 62)                     # ET_REL, x86-64
    struct.pack_into("<Q", e, 0x28, shoff)
    struct.pack_into("<HHHH", e, 0x38, 0, 64, 3, 2)           # shentsize, shnum, shstrndx
    e[info_off:info_off + len(info)] = info
    e[names_off:names_off + len(names)] = names
    struct.pack_into("<IIQQQQ", e, shoff + 64, 1, 1, 0, 0, info_off, len(info))
    struct.pack_into("<IIQQQQ", e, shoff + 128, 10, 3, 0, 0, names_off, len(names))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = bytes(e)
    if path.endswith(".xz"):
        data = lzma.compress(data, format=lzma.FORMAT_XZ)
    open(path, "wb").write(data)


# path under kernel/ -> its .modinfo; names mix dashes and underscores as Linux's do.
FAKE_TREE = {
    "fs/ext9/ext9.ko": [("depends", "jbd9,mbc-ache"), ("softdep", "pre: crypto-crc9c")],
    "fs/jbd9/jbd9.ko.xz": [("depends", ""), ("softdep", "pre: crypto-crc9c")],
    "fs/mbc_ache.ko": [("depends", "")],
    "arch/x86/crypto/crc9c-intel.ko": [("alias", "crypto-crc9c"), ("depends", "")],
    "crypto/crc9c_generic.ko": [("alias", "crypto-crc9c"), ("depends", "")],
    "net/br9/br9.ko": [("depends", "llc9,stp9"), ("softdep", "pre: gone post: br9-helper")],
    "net/802/stp9.ko": [("depends", "llc9")],
    "net/llc9/llc9.ko": [("depends", "")],
    "net/br9/br9-helper.ko": [("depends", ""), ("softdep", "pre: crypto-inbuilt")],
    "drivers/x9.ko": [("depends", "crc99")],
    "drivers/loop_a.ko": [("depends", "loop_b")],
    "drivers/loop_b.ko": [("depends", "loop-a")],
    "drivers/lost.ko": [("depends", "nosuch")],
}


def fake_moddir(top):
    for rel, pairs in FAKE_TREE.items():
        fake_module(os.path.join(top, "kernel", rel), pairs)
    open(os.path.join(top, "modules.builtin"), "w").write("kernel/lib/crc99.ko\n")
    open(os.path.join(top, "modules.builtin.modinfo"), "wb").write(
        b"crc99.license=GPL\0inbuilt.alias=crypto-inbuilt\0")
    return mkdom0.ModuleTree(top)


def names(paths):
    base = [os.path.basename(p) for p in paths]
    return [b[:-3] if b.endswith(".ko") else b[:-6] for b in base]


def dom0_modules_resolved_from_their_own_modinfo():
    """Every module after what its depends= and softdep= pre: name, before its post: ones;
    an alias served by several modules takes the one outside arch/ (loads on any CPU);
    built-in modules, built-in aliases and soft dependencies nothing provides are skipped;
    a dependency loop or a missing module stops the build, naming it."""
    expect(all(m in mkdom0.DOM0_MODULES for m in ISSUE_MODULES),
           "Dom0's list lacks %s" % [m for m in ISSUE_MODULES if m not in mkdom0.DOM0_MODULES])
    with tempfile.TemporaryDirectory(prefix="kumo-mods-") as tmp:
        tree = fake_moddir(tmp)
        got = names(mkdom0.module_closure(["ext9", "br9", "x9"], tree))
        expect(got == ["crc9c_generic", "jbd9", "mbc_ache", "ext9", "llc9", "stp9", "br9",
                       "br9-helper", "x9"], "load order %s" % got)
        for wanted, word in ((["loop_a"], "loop"), (["lost"], "nosuch")):
            try:
                mkdom0.module_closure(wanted, tree)
                expect(False, "%s accepted" % wanted)
            except SystemExit as e:
                expect(word in str(e), "%s: %s" % (wanted, e))


FAKE_APT = r"""#!/bin/sh
# apt-get / apt-cache for fetch-debs.sh: $FAKE_APT/archive holds what the archive serves now,
# $FAKE_APT/lists the kernel the local lists name until `apt-get update`.
state=$FAKE_APT
case "$(basename "$0") $1" in
"apt-cache depends")
  k=$(cat "$state/lists")
  [ -e "$state/updated" ] && k=$(cat "$state/archive-kernel")
  [ -n "$k" ] && printf 'linux-image-amd64\n  Depends: %s\n' "$k"
  exit 0 ;;
"apt-get update")
  [ -e "$state/offline" ] && exit 100
  touch "$state/updated"; exit 0 ;;
"apt-get download")
  [ -e "$state/offline" ] && exit 100
  for a in "$@"; do p=$a; done
  ls "$state/archive/${p}"_*.deb >/dev/null 2>&1 || exit 100
  cp "$state/archive/${p}"_*.deb .; echo "$p" >> "$state/downloads"; exit 0 ;;
esac
exit 1
"""


def fake_deb(out_dir, package, version, files):
    """A .deb of files {path: bytes}, built by dpkg-deb."""
    with tempfile.TemporaryDirectory(prefix="kumo-deb-") as root:
        os.makedirs(os.path.join(root, "DEBIAN"))
        open(os.path.join(root, "DEBIAN", "control"), "w").write(
            "Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: kumo <k@example.org>\n"
            "Description: fabricated for a test\n" % (package, version))
        for path, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            open(os.path.join(root, path), "wb").write(data)
        subprocess.run(["dpkg-deb", "-Zgzip", "--root-owner-group", "--build", root,
                        os.path.join(out_dir, "%s_%s_amd64.deb" % (package, version))],
                       check=True, capture_output=True)


def kernel_deb(out_dir, abi):
    kver = "6.1.0-%d-amd64" % abi
    fake_deb(out_dir, "linux-image-" + kver, "6.1.%d-1" % abi,
             {"boot/vmlinuz-" + kver: b"bzImage " + kver.encode(),
              "lib/modules/%s/modules.builtin" % kver: b""})


def run_fetch_debs(state, build):
    fakebin = os.path.join(state, "bin")
    os.makedirs(fakebin, exist_ok=True)
    for tool in ("apt-get", "apt-cache"):
        path = os.path.join(fakebin, tool)
        open(path, "w").write(FAKE_APT)
        os.chmod(path, stat.S_IRWXU)
    env = dict(os.environ, FAKE_APT=state, PATH=fakebin + ":" + os.environ["PATH"])
    p = subprocess.run([os.path.join(ROOT, "scripts", "fetch-debs.sh"), build], env=env,
                       capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, "fetch-debs.sh failed: %s" % p.stderr.strip()[-300:])
    return dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)


def fetch_debs_follows_the_archive_kernel_unpinned():
    """Stale lists name kernel ABI 41, which the archive has replaced by 42: the lists are
    refreshed and 42 is fetched into the cache under the build directory. Later, with the
    archive out of reach, the cached kernel still builds."""
    with tempfile.TemporaryDirectory(prefix="kumo-apt-") as state:
        archive, build = os.path.join(state, "archive"), os.path.join(state, "build")
        os.makedirs(archive)
        kernel_deb(archive, 42)
        fake_deb(archive, "busybox-static", "1:1.35.0-4", {"bin/busybox": b"busybox"})
        open(os.path.join(state, "lists"), "w").write("linux-image-6.1.0-41-amd64\n")
        open(os.path.join(state, "archive-kernel"), "w").write("linux-image-6.1.0-42-amd64\n")
        env = run_fetch_debs(state, build)
        cache = os.path.join(build, "debs")
        expect(env.get("KVER") == "6.1.0-42-amd64", "fetched %s" % env)
        expect(os.path.realpath(env["VMLINUZ"]).startswith(os.path.realpath(cache) + "/")
               and os.path.exists(env["VMLINUZ"]), "vmlinuz %s" % env["VMLINUZ"])
        expect(open(env["VMLINUZ"], "rb").read() == b"bzImage 6.1.0-42-amd64", "wrong vmlinuz")
        expect(os.path.isdir(env["MODDIR"]) and os.path.exists(env["BUSYBOX"]), "layout %s" % env)
        # Offline, lists gone: the newest cached kernel serves; nothing is downloaded.
        kernel_deb(cache, 40)
        os.unlink(os.path.join(state, "updated"))
        open(os.path.join(state, "lists"), "w").write("")
        open(os.path.join(state, "offline"), "w").write("")
        downloads = open(os.path.join(state, "downloads")).read()
        env = run_fetch_debs(state, build)
        expect(env.get("KVER") == "6.1.0-42-amd64", "offline: %s" % env)
        expect(open(os.path.join(state, "downloads")).read() == downloads, "downloaded offline")


TESTS = [dom0_modules_resolved_from_their_own_modinfo,
         fetch_debs_follows_the_archive_kernel_unpinned]
