"""xenstored on the host: the real daemon started with --no-domain-init --no-fork on a
temporary XENSTORED_RUNDIR, spoken to over its Unix socket in xs_wire framing, and the
`xenstore` client against it. No emulator involved."""
import os
import socket
import struct
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "dom0-tools", "bin")

(XS_CONTROL, XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH, XS_TRANSACTION_START,
 XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE, XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR, XS_RM,
 XS_SET_PERMS, XS_WATCH_EVENT, XS_ERROR, XS_IS_DOMAIN_INTRODUCED, XS_RESUME,
 XS_SET_TARGET) = range(20)
XS_RESET_WATCHES, XS_DIRECTORY_PART = 21, 22


class Daemon:
    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="xenstored-")
        self.env = dict(os.environ, XENSTORED_RUNDIR=self.dir.name)
        self.proc = subprocess.Popen([os.path.join(BIN, "xenstored"), "--no-domain-init",
                                      "--no-fork"] + list(args), env=self.env,
                                     stderr=subprocess.PIPE, text=True)
        self.path = os.path.join(self.dir.name, "socket")
        deadline = time.time() + 10
        while not os.path.exists(self.path):
            assert self.proc.poll() is None, "xenstored exited: %s" % self.proc.stderr.read()
            assert time.time() < deadline, "no socket after 10 s"
            time.sleep(0.02)

    def client(self):
        return Client(self.path)

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=10)
        finally:
            self.dir.cleanup()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.req_id = 0
        self.events = []

    def send(self, type_, payload, tx=0):
        self.req_id += 1
        self.s.sendall(struct.pack("<IIII", type_, self.req_id, tx, len(payload)) + payload)
        return self.req_id

    def recv_msg(self):
        hdr = self._recv_exact(16)
        type_, req_id, tx, length = struct.unpack("<IIII", hdr)
        return type_, req_id, tx, self._recv_exact(length)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            assert chunk, "daemon closed the connection"
            buf += chunk
        return buf

    def call(self, type_, *args, tx=0, raw=None):
        payload = raw if raw is not None else b"".join(a.encode() + b"\0" for a in args)
        rid = self.send(type_, payload, tx)
        while True:
            t, r, _, body = self.recv_msg()
            if t == XS_WATCH_EVENT:
                self.events.append(tuple(body.split(b"\0")[:2]))
                continue
            assert r == rid, "answer to request %d, expected %d" % (r, rid)
            return t, body

    def ok(self, type_, *args, tx=0, raw=None):
        t, body = self.call(type_, *args, tx=tx, raw=raw)
        assert t != XS_ERROR, "%d %r: %r" % (type_, args, body)
        return body

    def err(self, type_, *args, tx=0, raw=None):
        t, body = self.call(type_, *args, tx=tx, raw=raw)
        assert t == XS_ERROR, "%d %r gave %r, expected an error" % (type_, args, body)
        return body.rstrip(b"\0").decode()

    def write(self, path, value, tx=0):
        return self.ok(XS_WRITE, tx=tx, raw=path.encode() + b"\0" + value.encode())

    def read(self, path, tx=0):
        return self.ok(XS_READ, path, tx=tx).decode()

    def event(self, timeout=5):
        if self.events:
            return self.events.pop(0)
        self.s.settimeout(timeout)
        try:
            t, _, _, body = self.recv_msg()
        finally:
            self.s.settimeout(10)
        assert t == XS_WATCH_EVENT, "got message type %d, not a watch event" % t
        return tuple(body.split(b"\0")[:2])

    def no_event(self, wait=0.3):
        assert not self.events, "unexpected events %r" % self.events
        self.s.settimeout(wait)
        try:
            self.s.recv(1, socket.MSG_PEEK)
            raise AssertionError("an unexpected message arrived")
        except socket.timeout:
            pass
        finally:
            self.s.settimeout(10)


def xenstored_socket_read_write_and_errno_names():
    with Daemon() as d:
        c = d.client()
        c.write("/a/b/c", "hello")
        assert c.read("/a/b/c") == "hello"
        assert c.read("/a/b") == ""
        assert c.err(XS_READ, "/a/nope") == "ENOENT"
        assert c.err(XS_GET_DOMAIN_PATH, "1", tx=77) == "ENOENT"   # unknown transaction
        assert c.err(XS_READ, "/a//b") == "EINVAL"
        assert c.err(XS_READ, "/a/") == "EINVAL"
        assert c.err(XS_RM, "/") == "EINVAL"
        assert c.err(999, "x") == "ENOSYS"
        assert c.ok(XS_DIRECTORY, "/").split(b"\0")[:-1] == [b"tool", b"a"]
        c.ok(XS_MKDIR, "/a/d")
        c.ok(XS_MKDIR, "/a/d")
        assert c.ok(XS_DIRECTORY, "/a").split(b"\0")[:-1] == [b"b", b"d"]
        c.ok(XS_RM, "/a/b")
        c.ok(XS_RM, "/a/b")          # already gone, parent there: fine
        assert c.err(XS_RM, "/x/y") == "ENOENT"
        assert c.err(XS_READ, "/a/b/c") == "ENOENT"
        # Dom0's relative paths live under /local/domain/0.
        c.write("rel", "1")
        assert c.read("/local/domain/0/rel") == "1"
        assert c.ok(XS_GET_DOMAIN_PATH, "7") == b"/local/domain/7\0"
        assert d.stop() == 0


def xenstored_permissions_owner_acl_and_parents():
    with Daemon() as d:
        c = d.client()
        c.write("/p/node", "v")
        assert c.ok(XS_GET_PERMS, "/p/node") == b"n0\0"
        c.ok(XS_SET_PERMS, raw=b"/p/node\0n5\0r7\0b9\0")
        assert c.ok(XS_GET_PERMS, "/p/node") == b"n5\0r7\0b9\0"
        assert c.err(XS_SET_PERMS, raw=b"/p/node\0x5\0") == "EINVAL"
        assert c.err(XS_SET_PERMS, raw=b"/p/node\0") == "EINVAL"
        # Special names are not nodes: SET_PERMS changes theirs, GET_PERMS cannot read them.
        assert c.err(XS_GET_PERMS, "@releaseDomain") == "EINVAL"   # Xen 4.17: not a node
        assert c.err(XS_READ, "@releaseDomain") == "EINVAL"


def xenstored_watch_first_event_and_children():
    with Daemon() as d:
        c, other = d.client(), d.client()
        c.ok(XS_WATCH, "/w", "tok")
        assert c.event() == (b"/w", b"tok")          # the immediate first event
        assert c.err(XS_WATCH, "/w", "tok") == "EEXIST"
        other.write("/w/x/y", "1")
        assert c.event() == (b"/w/x/y", b"tok")
        other.write("/wz", "1")                        # a sibling prefix is no child
        c.no_event()
        c.ok(XS_WATCH, "rel", "r")
        assert c.event() == (b"rel", b"r")
        other.write("/local/domain/0/rel/k", "1")
        assert c.event() == (b"rel/k", b"r")
        c.ok(XS_UNWATCH, "/w", "tok")
        assert c.err(XS_UNWATCH, "/w", "tok") == "ENOENT"
        other.write("/w/x/y", "2")
        c.no_event()
        # Removing a subtree: the top fires for watchers above, each child exactly.
        c.ok(XS_WATCH, "/w/x/y", "leaf")
        assert c.event() == (b"/w/x/y", b"leaf")
        other.ok(XS_RM, "/w")
        assert c.event() == (b"/w/x/y", b"leaf")
        c.no_event()
        c.ok(XS_WATCH, "@introduceDomain", "i")
        assert c.event() == (b"@introduceDomain", b"i")
        c.ok(XS_RESET_WATCHES)
        other.write("/local/domain/0/rel/k", "2")
        c.no_event()


def xenstored_transaction_conflict_gives_eagain():
    with Daemon() as d:
        a, b = d.client(), d.client()
        a.write("/t/n", "0")
        tx = int(a.ok(XS_TRANSACTION_START, "").rstrip(b"\0"))
        assert tx != 0
        assert a.read("/t/n", tx) == "0"
        a.write("/t/n", "1", tx)
        assert a.read("/t/n", tx) == "1"
        assert b.read("/t/n") == "0"                   # invisible outside until commit
        b.write("/t/n", "2")
        assert a.err(XS_TRANSACTION_END, "T", tx=tx) == "EAGAIN"
        assert b.read("/t/n") == "2"
        # Retried without interference it commits, and its watch event comes then.
        b.ok(XS_WATCH, "/t", "w")
        assert b.event() == (b"/t", b"w")
        tx = int(a.ok(XS_TRANSACTION_START, "").rstrip(b"\0"))
        a.write("/t/n", "3", tx)
        a.write("/t/m", "4", tx)
        b.no_event()
        a.ok(XS_TRANSACTION_END, "T", tx=tx)
        assert b.read("/t/n") == "3" and b.read("/t/m") == "4"
        assert {b.event(), b.event()} == {(b"/t/n", b"w"), (b"/t/m", b"w")}
        # Aborted: nothing lands. Unknown ids: ENOENT. Nested start: EBUSY.
        tx = int(a.ok(XS_TRANSACTION_START, "").rstrip(b"\0"))
        a.write("/t/gone", "x", tx)
        assert a.err(XS_TRANSACTION_START, "", tx=tx) == "EBUSY"
        a.ok(XS_TRANSACTION_END, "F", tx=tx)
        assert a.err(XS_READ, "/t/gone") == "ENOENT"
        assert a.err(XS_READ, "/t/n", tx=tx) == "ENOENT"
        assert a.err(XS_TRANSACTION_END, "T", tx=4242) == "ENOENT"


def xenstored_directory_part_pages_a_big_directory():
    with Daemon() as d:
        c = d.client()
        names = ["child-%04d-%s" % (i, "x" * 40) for i in range(200)]
        for n in names:
            c.write("/big/" + n, "")
        assert c.err(XS_DIRECTORY, "/big") == "E2BIG"
        got, off, gen = [], 0, None
        while True:
            body = c.ok(XS_DIRECTORY_PART, "/big", str(off))
            parts = body.split(b"\0")
            gen = gen or parts[0]
            assert parts[0] == gen
            done = body.endswith(b"\0\0")
            chunk = [p.decode() for p in parts[1:] if p]
            got += chunk
            off += sum(len(p) + 1 for p in chunk)
            if done:
                break
        assert got == names


def xenstored_introduce_release_and_special_watches():
    with Daemon() as d:
        c = d.client()
        c.ok(XS_WATCH, "@introduceDomain", "in")
        c.ok(XS_WATCH, "@releaseDomain", "out")
        assert c.event() == (b"@introduceDomain", b"in")
        assert c.event() == (b"@releaseDomain", b"out")
        assert c.ok(XS_IS_DOMAIN_INTRODUCED, "5") == b"F\0"
        c.ok(XS_INTRODUCE, "5", "1234", "3")
        assert c.event() == (b"@introduceDomain", b"in")
        assert c.ok(XS_IS_DOMAIN_INTRODUCED, "5") == b"T\0"
        assert c.ok(XS_IS_DOMAIN_INTRODUCED, "0") == b"T\0"
        c.ok(XS_RESUME, "5")
        c.ok(XS_RELEASE, "5")
        assert c.event() == (b"@releaseDomain", b"out")
        assert c.err(XS_RELEASE, "5") == "ENOENT"
        assert c.err(XS_INTRODUCE, "x", "1", "2") == "EINVAL"
        # Xen atoi()s the domid and prints it unsigned.
        assert c.ok(XS_GET_DOMAIN_PATH, "-1") == b"/local/domain/4294967295\0"


def xenstored_deep_paths_do_not_exhaust_the_stack():
    with Daemon() as d:
        c = d.client()
        deep = "/" + "/".join(["a"] * 1024)      # 2048 bytes (Xen's limit), 1024 levels
        c.write(deep, "bottom")
        assert c.err(XS_WRITE, raw=deep.encode() + b"b\0x") == "EINVAL"   # one byte more
        assert c.read(deep) == "bottom"
        c.ok(XS_RM, "/a")
        assert c.err(XS_READ, deep) == "ENOENT"
        c.write("/still", "alive")


def xenstored_control_and_malformed_input():
    with Daemon() as d:
        c = d.client()
        assert c.ok(XS_CONTROL, "log", "on") == b"OK\0"
        assert c.ok(XS_CONTROL, "print", "hi") == b"OK\0"
        assert c.ok(XS_CONTROL, "quota").startswith(b"Quota settings:\n")
        c.ok(XS_CONTROL, "quota", "set", "nodes", "1200")     # xenstore-control's words
        assert b"\nnodes            :     1200 Nodes" in c.ok(XS_CONTROL, "quota")
        assert c.err(XS_CONTROL, "bogus") == "EINVAL"
        assert c.err(XS_READ, raw=b"/a") == "EINVAL"        # no NUL
        assert c.err(XS_READ, raw=b"/a\0/b\0") == "EINVAL"  # two arguments
        # A header announcing more than XENSTORE_PAYLOAD_MAX drops only that client.
        bad = d.client()
        bad.s.sendall(struct.pack("<IIII", XS_READ, 1, 0, 5000))
        bad.s.settimeout(5)
        assert bad.s.recv(16) == b""
        c.write("/still", "alive")
        assert c.read("/still") == "alive"


def xenstored_client_tools_read_write_ls_rm_watch():
    with Daemon() as d:
        def xs(*args, **kw):
            return subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), env=d.env,
                                  capture_output=True, text=True, timeout=20, **kw)
        assert xs("xenstore-write", "/vm/name", "guest", "/vm/id", "3").returncode == 0
        r = xs("xenstore-read", "/vm/name")
        assert r.returncode == 0 and r.stdout == "guest\n", r
        assert xs("xenstore-list", "/vm").stdout.split() == ["name", "id"]
        ls = xs("xenstore-ls", "/vm").stdout
        assert ls == 'name = "guest"\nid = "3"\n', ls
        assert 'vm = ""' in xs("xenstore-ls").stdout
        assert xs("xenstore-exists", "/vm/id").returncode == 0
        assert xs("xenstore-chmod", "/vm/id", "n0", "r3").returncode == 0
        assert xs("xenstore", "ls", "-p", "/vm").stdout.splitlines()[1].endswith("(n0,r3)")
        r = xs("xenstore-read", "/vm/nope")
        assert r.returncode == 1 and "ENOENT" in r.stderr, r
        w = subprocess.Popen([os.path.join(BIN, "xenstore-watch"), "-n", "2", "/vm"],
                             env=d.env, stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        assert xs("xenstore-rm", "/vm/id").returncode == 0
        out, _ = w.communicate(timeout=20)
        assert out.split() == ["/vm", "/vm/id"], out
        assert xs("xenstore-exists", "/vm/id").returncode == 1


def xenstored_daemonizes_with_pid_file_and_quota_option():
    with tempfile.TemporaryDirectory(prefix="xenstored-") as rundir:
        env = dict(os.environ, XENSTORED_RUNDIR=rundir)
        pidfile = os.path.join(rundir, "xenstored.pid")
        # Without --no-fork the command returns once the daemon serves its socket.
        p = subprocess.run([os.path.join(BIN, "xenstored"), "--no-domain-init", "-F", pidfile,
                            "-Q", "nodes=7"], env=env, timeout=20, capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
        # Once the command returns, the socket and the pid file are there (Dom0's init reads
        # the pid at once to watch the daemon).
        assert os.path.exists(os.path.join(rundir, "socket"))
        pid = int(open(pidfile).read())
        assert os.readlink("/proc/%d/exe" % pid).endswith("xenstored")
        try:
            c = Client(os.path.join(rundir, "socket"))
            assert b"nodes            :        7" in c.ok(XS_CONTROL, "quota")
        finally:
            os.kill(pid, 15)
        deadline = time.time() + 10
        while os.path.exists(pidfile):
            assert time.time() < deadline, "daemon did not clean up on SIGTERM"
            time.sleep(0.02)
        # Without --no-domain-init it needs Xen's devices, and says so.
        if not os.path.exists("/dev/xen/evtchn"):
            p = subprocess.run([os.path.join(BIN, "xenstored"), "--no-fork"], env=env,
                               timeout=20, capture_output=True, text=True)
            assert p.returncode == 1 and "/dev/xen/evtchn" in p.stderr, p
            assert not os.path.exists(os.path.join(rundir, "socket"))


def xenstored_accepts_every_option_of_xens_init_scripts():
    """Xen 4.17's options all parse (launch-xenstore passes --pid-file and XENSTORED_ARGS);
    those for what kumo lacks are accepted and ignored, -M is capped at Xen's maximum."""
    with tempfile.TemporaryDirectory(prefix="xenstored-") as tmp:
        pidfile = os.path.join(tmp, "xenstored.pid")
        with Daemon("--pid-file", pidfile, "-T", os.path.join(tmp, "trace"), "-K", "-R",
                    "-Ioff", "--internal-db", "-w", "watch-event=20", "-q", "memory=100000",
                    "-Q", "memory=200000", "-Q", "outstanding=30", "-e", "1", "-m", "0",
                    "-p", "0", "-M", "99999") as d:
            c = d.client()
            quota = c.ok(XS_CONTROL, "quota")
            assert b"\noutstanding      :       30 " in quota, quota
            assert b"\nmemory           :   200000 " in quota, quota
            assert b"\npath-max         :     2048 " in quota, quota
            assert b"\nmemory           :   100000 " in c.ok(XS_CONTROL, "quota-soft")
            assert int(open(pidfile).read()) == d.proc.pid
        h = subprocess.run([os.path.join(BIN, "xenstored"), "-H"], capture_output=True,
                           text=True, timeout=20)
        assert h.returncode == 0 and "--no-domain-init" in h.stdout, h


def xenstored_listens_on_xenstored_path_like_xens():
    """Xen's daemon binds $XENSTORED_PATH when it is set, as its clients connect there."""
    with tempfile.TemporaryDirectory(prefix="xenstored-") as tmp:
        alt = os.path.join(tmp, "alt.sock")
        env = dict(os.environ, XENSTORED_RUNDIR=tmp, XENSTORED_PATH=alt)
        p = subprocess.Popen([os.path.join(BIN, "xenstored"), "--no-domain-init", "--no-fork"],
                             env=env, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 10
            while not os.path.exists(alt):
                assert p.poll() is None and time.time() < deadline, "no socket at $XENSTORED_PATH"
                time.sleep(0.02)
            assert not os.path.exists(os.path.join(tmp, "socket"))
            Client(alt).write("/via", "path")
            r = subprocess.run([os.path.join(BIN, "xenstore-read"), "/via"], env=env,
                               capture_output=True, text=True, timeout=20)
            assert r.stdout == "path\n", r
        finally:
            p.terminate()
            p.wait(timeout=10)


def xenstored_answers_linux_dom0_xenbus_first_requests():
    """The 14 requests Linux 6.1's xenbus sends first as Dom0 (linux-dom0-abi.md section 2),
    relative paths under /local/domain/0, with Linux's pointer-like tokens."""
    with Daemon() as d:
        c = d.client()
        tokens = {}
        for i, path in enumerate(["memory/target", "control/shutdown", "control/sysrq"]):
            tokens[path] = "FFFF8880%08X" % i
            assert c.ok(XS_WATCH, path, tokens[path]) == b"OK\0"
            assert c.event() == (path.encode(), tokens[path].encode())
        for f in ("poweroff", "reboot", "suspend"):
            c.write("control/feature-" + f, "1")
        assert c.err(XS_DIRECTORY, "backend") == "ENOENT"
        c.ok(XS_WATCH, "backend", "B")
        assert c.event() == (b"backend", b"B")
        assert c.err(XS_DIRECTORY, "device") == "ENOENT"
        assert c.err(XS_DIRECTORY, "device") == "ENOENT"
        c.ok(XS_WATCH, "device", "D")
        assert c.event() == (b"device", b"D")
        c.ok(XS_WATCH, "cpu", "C")
        assert c.event() == (b"cpu", b"C")
        assert c.err(XS_READ, "cpu/0/availability") == "ENOENT"
        assert c.err(XS_READ, "cpu/1/availability") == "ENOENT"
        assert c.read("/local/domain/0/control/feature-poweroff") == "1"
        # The toolstack's balloon target reaches the kernel's relative watch.
        d.client().write("/local/domain/0/memory/target", "524288")
        assert c.event() == (b"memory/target", tokens["memory/target"].encode())
        c.no_event()


TESTS = [xenstored_answers_linux_dom0_xenbus_first_requests,
         xenstored_accepts_every_option_of_xens_init_scripts,
         xenstored_listens_on_xenstored_path_like_xens,
         xenstored_daemonizes_with_pid_file_and_quota_option,
         xenstored_socket_read_write_and_errno_names,
         xenstored_permissions_owner_acl_and_parents,
         xenstored_watch_first_event_and_children,
         xenstored_transaction_conflict_gives_eagain,
         xenstored_directory_part_pages_a_big_directory,
         xenstored_introduce_release_and_special_watches,
         xenstored_deep_paths_do_not_exhaust_the_stack,
         xenstored_control_and_malformed_input,
         xenstored_client_tools_read_write_ls_rm_watch]
