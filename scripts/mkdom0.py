#!/usr/bin/env python3
"""Dom0's root archive from Debian packages (D8): a gzip'd newc cpio with busybox and its applet
links, the kernel modules Dom0 needs with their dependencies (read from each module's own
.modinfo section, depends= and softdep=: the .deb carries no modules.dep), the dom0-tools
programs, /etc/kumo/, and optionally a directory merged at the same paths.

Usage: mkdom0.py OUT.cpio.gz --kver K --moddir D --busybox B --tools DIR --etc DIR [--files DIR]"""
import argparse
import gzip
import io
import lzma
import os
import stat
import struct
import subprocess
import sys
import tempfile

# What Dom0 loads, in this order (dependencies go first, added by module_closure). Names are
# module names as modinfo spells them (dashes and underscores are the same to the kernel).
DOM0_MODULES = [
    "xenfs", "xen-privcmd", "xen-evtchn", "xen-gntdev", "xen-gntalloc",
    "xen-blkback", "xen-netback", "bridge", "loop", "ext4", "tun",
]

# Applets Dom0's init and rc rely on; missing ones fail the build, not the boot.
REQUIRED_APPLETS = ["sh", "ip", "insmod", "mount", "mkdir", "cat", "ls"]


def canon(name):
    return name.replace("-", "_")


def modinfo(path):
    """The key=value strings of a module's .modinfo section, as a list of (key, value)."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit("mkdom0: %s is not an ELF64 module" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            pairs = []
            for s in data[off:off + size].split(b"\0"):
                if b"=" in s:
                    k, v = s.decode("utf-8", "replace").split("=", 1)
                    pairs.append((k, v))
            return pairs
    return []


class ModuleTree:
    """The package's modules: files by canonical name, the built-in ones, and aliases (read
    from every module's .modinfo only when a soft dependency names one)."""

    def __init__(self, moddir):
        self.index = {}
        for dirpath, _, files in os.walk(os.path.join(moddir, "kernel")):
            for f in files:
                for ext in (".ko", ".ko.xz"):
                    if f.endswith(ext):
                        self.index[canon(f[:-len(ext)])] = os.path.join(dirpath, f)
        self.builtin, self.builtin_aliases = set(), set()
        with open(os.path.join(moddir, "modules.builtin")) as f:
            for line in f:
                base = os.path.basename(line.strip())
                if base.endswith(".ko"):
                    self.builtin.add(canon(base[:-3]))
        path = os.path.join(moddir, "modules.builtin.modinfo")
        if os.path.exists(path):
            for s in open(path, "rb").read().split(b"\0"):
                if b".alias=" in s:
                    self.builtin_aliases.add(s.split(b"=", 1)[1].decode())
        self._aliases = None

    def provider(self, name):
        """The module (canonical name) a soft dependency means, "" when it is built in, None
        when nothing provides it. Of several modules with the alias, one outside kernel/arch/
        (modprobe would try each; a generic one loads on any CPU, and one is enough)."""
        if canon(name) in self.index or canon(name) in self.builtin:
            return canon(name)
        if name in self.builtin_aliases:
            return ""
        if self._aliases is None:
            self._aliases = {}
            for mod, path in sorted(self.index.items(), key=lambda i: ("/arch/" in i[1], i[0])):
                for k, v in modinfo(path):
                    if k == "alias":
                        self._aliases.setdefault(v, mod)
        return self._aliases.get(name)


def softdeps(pairs):
    """The pre: and post: module names of a module's softdep= entries."""
    pre, post, target = [], [], None
    for k, v in pairs:
        if k != "softdep":
            continue
        for word in v.split():
            if word in ("pre:", "post:"):
                target = pre if word == "pre:" else post
            elif target is not None:
                target.append(word)
    return pre, post


def module_closure(wanted, tree):
    """Paths to load, each after its dependencies (depends=, then softdep= pre: ones, which the
    kernel would ask modprobe for later: ext4's crc32c) and before its softdep= post: ones;
    built-in modules are skipped, as are soft dependencies nothing provides."""
    order, seen = [], set()

    def visit(name, chain):
        name = canon(name)
        if name in seen or name in tree.builtin:
            return
        if name in chain:
            raise SystemExit("mkdom0: module dependency loop through %s" % name)
        if name not in tree.index:
            raise SystemExit("mkdom0: module %s is neither built in nor in the package" % name)
        info = modinfo(tree.index[name])
        pre, post = softdeps(info)
        deps = ",".join(v for k, v in info if k == "depends").split(",")
        for dep in [d for d in deps if d] + [tree.provider(d) for d in pre]:
            if dep:
                visit(dep, chain | {name})
        seen.add(name)
        order.append(tree.index[name])
        for dep in [tree.provider(d) for d in post]:
            if dep:
                visit(dep, chain | {name})

    for w in wanted:
        visit(w, frozenset())
    return order


class Cpio:
    """newc archive writer; every entry is owned by root."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1
        self.names = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        if name in self.names:
            return
        self.names.add(name)
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.out.write(hdr + name.encode() + b"\0")
        self.out.write(b"\0" * (-(len(hdr) + len(name) + 1) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name, mode=0o755):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | mode)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name.strip("/")) or ".")
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self.dir(os.path.dirname(name.strip("/")) or ".")
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def tree(self, top, prefix="/"):
        """A host directory at the same paths; files replace what is already there."""
        for dirpath, dirs, files in os.walk(top):
            rel = os.path.relpath(dirpath, top)
            base = prefix if rel == "." else os.path.join(prefix, rel)
            for d in sorted(dirs):
                p = os.path.join(dirpath, d)
                if os.path.islink(p):
                    self.replace(os.path.join(base, d))
                    self.symlink(os.path.join(base, d), os.readlink(p))
                else:
                    self.dir(os.path.join(base, d), stat.S_IMODE(os.stat(p).st_mode))
            for f in sorted(files):
                p, dest = os.path.join(dirpath, f), os.path.join(base, f)
                self.replace(dest)
                if os.path.islink(p):
                    self.symlink(dest, os.readlink(p))
                else:
                    with open(p, "rb") as fh:
                        self.file(dest, fh.read(), stat.S_IMODE(os.stat(p).st_mode))

    def replace(self, name):
        # The kernel's unpacker lets a later entry of a regular file or link replace an earlier one.
        self.names.discard(name.lstrip("/"))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def busybox_applets(busybox):
    out = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True)
    applets = [a for a in out.stdout.split() if a]
    names = {os.path.basename(a) for a in applets}
    missing = [a for a in REQUIRED_APPLETS if a not in names]
    if missing:
        raise SystemExit("mkdom0: busybox lacks %s" % " ".join(missing))
    return applets


def stripped(path):
    """The program without its debug sections (build/ keeps them): half the size to load."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "prog")
        subprocess.run(["strip", "--strip-debug", "-o", out, path], check=True)
        with open(out, "rb") as f:
            return f.read()


def build(args):
    a = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "usr/libexec/kumo", "etc/kumo", "proc",
              "sys", "dev", "run", "tmp", "var/log", "root", "mnt"):
        a.dir(d)
    a.chardev("dev/console", 5, 1)
    a.chardev("dev/null", 1, 3, 0o666)
    with open(args.busybox, "rb") as f:
        a.file("bin/busybox", f.read(), 0o755)
    for applet in busybox_applets(args.busybox):
        applet = applet.lstrip("/")
        if applet != "bin/busybox":
            a.symlink(applet, os.path.relpath("bin/busybox", os.path.dirname(applet)))

    load = []
    for path in module_closure(DOM0_MODULES, ModuleTree(args.moddir)):
        rel = os.path.relpath(path, args.moddir)
        with open(path, "rb") as f:
            data = f.read()
        if rel.endswith(".xz"):  # busybox insmod reads plain ELF only
            data, rel = lzma.decompress(data), rel[:-3]
        dest = "lib/modules/%s/%s" % (args.kver, rel)
        a.file(dest, data)
        load.append("/" + dest)
    a.file("etc/kumo/modules", ("".join(p + "\n" for p in load)).encode())

    tools = sorted(os.listdir(args.tools)) if os.path.isdir(args.tools) else []
    for prog in tools:
        path = os.path.join(args.tools, prog)
        if os.path.islink(path):        # xenstore-read -> xenstore: one copy, not nine
            a.symlink("usr/sbin/" + prog, os.readlink(path))
            continue
        data = stripped(path)
        if prog == "init":
            a.file("init", data, 0o755)
        elif prog == "introduce-boot-domains":
            a.file("usr/libexec/kumo/" + prog, data, 0o755)
        else:
            a.file("usr/sbin/" + prog, data, 0o755)
    if "xenstore" in tools:
        for op in ("read", "write", "ls", "rm", "list", "watch", "exists", "chmod"):
            a.symlink("usr/bin/xenstore-" + op, "../sbin/xenstore")
    if "init" not in tools:
        raise SystemExit("mkdom0: %s has no init" % args.tools)
    a.tree(args.etc, "/etc/kumo")
    if args.files:
        a.tree(args.files, "/")
    data = gzip.compress(a.finish(), compresslevel=6, mtime=0)
    with open(args.out, "wb") as f:
        f.write(data)
    print("mkdom0: %s: %d modules, %d tools, %d KiB" % (args.out, len(load), len(tools),
                                                       len(data) >> 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="?")
    for opt in ("kver", "moddir", "busybox", "tools", "etc"):
        p.add_argument("--" + opt)
    p.add_argument("--files")
    args = p.parse_args()
    if args.out:
        if not all((args.kver, args.moddir, args.busybox, args.tools, args.etc)):
            p.error("the archive needs --kver, --moddir, --busybox, --tools and --etc")
        build(args)


if __name__ == "__main__":
    sys.exit(main())
