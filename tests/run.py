#!/usr/bin/env python3
"""kumo's test runner (`make test`): host unit tests, then system tests. Prints one
PASS/FAIL line per test and ends with 'N passed, N failed'; exits non-zero on any failure.
Usage: run.py [substring ...] to run only the system tests whose names contain one."""
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "system"))
ROOT = os.path.dirname(HERE)

import emu  # noqa: E402


def run_unit_tests(results):
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
        for l in lines:
            print("%s unit/%s/%s" % (l[:4], name, l[5:]))
            results.append(l.startswith("PASS"))
        if rc != 0 and all(l.startswith("PASS") for l in lines):
            print("FAIL unit/%s (exit %s)" % (name, rc))
            results.append(False)
        if rc != 0:
            print("\n".join("    " + l for l in err.splitlines()[-30:]))
        sys.stdout.flush()


def run_fuzzers(results):
    """Every libFuzzer target in build/fuzz, time-boxed (FUZZ_SECONDS each, default 20)."""
    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    for binary in sorted(glob.glob(os.path.join(ROOT, "build", "fuzz", "fuzz_*"))):
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
        ok = rc == 0
        print("%s fuzz/%s (%d s)" % ("PASS" if ok else "FAIL", name, seconds))
        if not ok:
            print("\n".join("    " + l for l in err.splitlines()[-30:]))
        results.append(ok)
        sys.stdout.flush()


def system_tests():
    """Every TESTS list of tests/system/test_*.py, in file-name order."""
    import importlib
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "system", "test_*.py"))):
        module = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        tests += module.TESTS
    return tests


def run_system_tests(results, only):
    for test in system_tests():
        name = test.__name__
        if only and not any(s in name for s in only):
            continue
        t0 = time.time()
        emu.last_machine = None
        try:
            test()
            print("PASS system/%s (%.1fs)" % (name, time.time() - t0))
            results.append(True)
        except Exception as e:              # noqa: BLE001 - a broken test fails, the run goes on
            print("FAIL system/%s (%.1fs): %s: %s" % (name, time.time() - t0,
                                                     type(e).__name__, e))
            results.append(False)
            if emu.last_machine is not None:
                print("---- last 50 console lines ----")
                print(emu.last_machine.tail())
                emu.last_machine.stop()
        sys.stdout.flush()


def main():
    only = sys.argv[1:]
    results = []
    if not only:
        run_unit_tests(results)
        run_fuzzers(results)
    run_system_tests(results, only)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
