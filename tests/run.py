#!/usr/bin/env python3
"""kumo's test runner (`make test`): host unit tests, then system tests. Prints one
PASS/FAIL line per test and ends with 'N passed, N failed'; exits non-zero on any failure.
Usage: run.py [substring ...] to run only the system tests whose names contain one."""
import glob
import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "system"))
ROOT = os.path.dirname(HERE)

import emu  # noqa: E402
import emu_fault  # noqa: E402


def run_unit_tests(results):
    """Each binary's PASS/FAIL lines, printed whole through report() beside the other lane."""
    for binary in sorted(glob.glob(os.path.join(ROOT, "build", "unit", "test_*"))):
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
        name = os.path.basename(binary)
        try:
            p = subprocess.run([binary], capture_output=True, text=True, timeout=120, env=env)
            out, rc = p.stdout, p.returncode
            err = p.stderr
        except subprocess.TimeoutExpired:
            out, rc, err = "", -1, "timed out after 120 s"
        lines = [l for l in out.splitlines() if l.startswith(("PASS ", "FAIL "))]
        oks = [l.startswith("PASS") for l in lines]
        printed = ["%s unit/%s/%s" % (l[:4], name, l[5:]) for l in lines]
        if rc != 0 and all(oks):
            printed.append("FAIL unit/%s (exit %s)" % (name, rc))
            oks.append(False)
        if rc != 0:
            printed += ["    " + l for l in err.splitlines()[-30:]]
        report(results, oks, printed)


def run_fuzzer(binary, seconds):
    """One libFuzzer target, time-boxed; returns (ok, lines to print)."""
    name = os.path.basename(binary)
    corpus = os.path.join(ROOT, "build", "fuzz-corpus", name)
    os.makedirs(corpus, exist_ok=True)
    seeds = os.path.join(HERE, "unit", "seeds", name)
    dirs = [corpus] + ([seeds] if os.path.isdir(seeds) else [])
    try:
        p = subprocess.run([binary, "-max_total_time=%d" % seconds, "-rss_limit_mb=2048",
                            "-timeout=10"] + dirs, capture_output=True, text=True,
                           timeout=seconds + 120)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        rc, err = -1, "did not stop within its time box"
    out = ["%s fuzz/%s (%d s)" % ("PASS" if rc == 0 else "FAIL", name, seconds)]
    if rc != 0:
        out += ["    " + l for l in err.splitlines()[-30:]]
    return rc == 0, out


def fuzzer_queue():
    """Every libFuzzer target in build/fuzz, for the lanes to take as they come free."""
    q = queue.Queue()
    for binary in sorted(glob.glob(os.path.join(ROOT, "build", "fuzz", "fuzz_*"))):
        q.put(binary)
    return q


def run_fuzzers(results, fuzzers):
    """Takes targets off the shared queue until it is empty, each time-boxed (FUZZ_SECONDS,
    default 12: the suite stays under 10 minutes on two cores)."""
    seconds = int(os.environ.get("FUZZ_SECONDS", "12"))
    while True:
        try:
            binary = fuzzers.get_nowait()
        except queue.Empty:
            return
        ok, out = run_fuzzer(binary, seconds)
        report(results, ok, out)


def system_tests(named=False):
    """Every TESTS list of tests/system/test_*.py, in file-name order; with named, also the
    ON_DEMAND lists (tests that fail on open bugs, run only when asked for by name)."""
    import importlib
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "system", "test_*.py"))):
        module = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        tests += module.TESTS + (getattr(module, "ON_DEMAND", []) if named else [])
    return tests


_print_lock = threading.Lock()


def report(results, ok, lines):
    """One test's lines (or one unit binary's: ok is then a list), printed whole even with
    two lanes running."""
    with _print_lock:
        if lines:
            print("\n".join(lines))
        sys.stdout.flush()
        results.extend(ok if isinstance(ok, list) else [ok])


def keep_console(name, text):
    """A failed test's whole console log, kept under build/test-logs; its path."""
    path = os.path.join(emu.BUILD, "test-logs", "%s-%d.console.log" % (name, time.time()))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


emulator_faults = []            # tests run again after QEMU's known fault


def attempt(test):
    """Runs test once: (ok, its lines, what the emulator did if the failure is its fault)."""
    name = test.__name__
    t0 = time.time()
    emu.forget_last_machine()
    try:
        test()
        return True, ["PASS system/%s (%.1fs)" % (name, time.time() - t0)], None
    except Exception as e:              # noqa: BLE001 - a broken test fails, the run goes on
        lines = ["FAIL system/%s (%.1fs): %s: %s" % (name, time.time() - t0,
                                                    type(e).__name__, e)]
        m = emu.last_machine()
        console = ""
        if m is not None:
            lines += ["---- last 50 console lines ----", m.tail()]
            m.stop()
            console = m.text()
            lines += ["---- whole console: %s ----" % keep_console(name, console)]
        return False, lines, emu_fault.recognise(str(e), console)


# Runs after QEMU's known fault: about 1 Linux-Dom0 boot in 8 meets it under load (two in
# one suite run has been seen), so one rerun alone would still fail ~1 suite run in 10.
EMULATOR_FAULT_RERUNS = 2


def run_system_test(test, results, times):
    """A failure that is QEMU's known fault (tests/system/emu_fault.py) is reported and the
    test run again, at most EMULATOR_FAULT_RERUNS times; any other failure fails it."""
    t0 = time.time()
    ok, lines, fault = attempt(test)
    for _ in range(EMULATOR_FAULT_RERUNS):
        if ok or not fault:
            break
        emulator_faults.append(test.__name__)
        report(results, [], ["EMULATOR FAULT system/%s: %s; running it again (docs/security.md)"
                             % (test.__name__, fault)] + lines[1:])
        ok, lines, fault = attempt(test)
    times.append((time.time() - t0, test.__name__))
    report(results, ok, lines)


def run_lane(tests, results, times, fuzzers, first=None):
    if first:
        first(results)
    for test in tests:
        run_system_test(test, results, times)
    run_fuzzers(results, fuzzers)


def run_system_tests(results, only, unit=False):
    """Two lanes: Bochs runs in a single host thread and its guests keep Bochs' own time, so
    its tests (after the host unit tests) run beside the QEMU ones without changing what
    they measure; the time-boxed fuzzers go to whichever lane is free first.
    KUMO_TEST_LANES=1 runs all in one lane."""
    tests = [t for t in system_tests(named=bool(only))
             if not only or any(s in t.__name__ for s in only)]
    # A QEMU test that measures nothing may go first in the other lane (SECOND_LANE): the
    # QEMU lane is the longer one.
    bochs_tests = [t for t in tests if getattr(t, "SECOND_LANE", False)] + \
                  [t for t in tests if t.__name__.startswith("bochs_")]
    qemu_tests = [t for t in tests if t not in bochs_tests]
    fuzzers = fuzzer_queue() if unit else queue.Queue()
    unit_tests = run_unit_tests if unit else None
    times = []
    if os.environ.get("KUMO_TEST_LANES") == "1":
        run_lane(qemu_tests + bochs_tests, results, times, fuzzers, unit_tests)
    else:
        lane = threading.Thread(target=run_lane,
                                args=(bochs_tests, results, times, fuzzers, unit_tests))
        lane.start()
        run_lane(qemu_tests, results, times, fuzzers)
        lane.join()
    return times


def main():
    only = sys.argv[1:]
    results = []
    t0 = time.time()
    times = run_system_tests(results, only, unit=not only)
    if len(times) > 1:
        print("slowest: " + ", ".join("%s %.0fs" % (n, t) for t, n in sorted(times)[::-1][:8]))
    passed = sum(results)
    if emulator_faults:
        print("emulator faults (each test run again): " + ", ".join(emulator_faults))
    print("%d passed, %d failed (%.0f s)" % (passed, len(results) - passed, time.time() - t0))
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
