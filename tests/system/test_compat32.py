"""32-bit guests (issue 9): the smoke, event/timer and argument-layout test kernels built for
i386 in each paging mode (non-PAE, PSE, PAE) run as boot-time DomUs beside 64-bit ones, on
QEMU (SVM) and Bochs (VMX). Their hypercalls use Xen's 32-bit layouts (kernel/compat.c)."""
import os
import re

from emu import BUILD, DEFAULT_CMDLINE, bochs, guest, make_iso, qemu
from test_boot import expect
from test_hvm import BOCHS_TIMEOUT, TIMEOUT, check_domus_ran_and_freed

MODES = ("nonpae", "pse", "pae")
HOSTILE_CALLS = 50000


def guest32(name, mode):
    return os.path.join(BUILD, "guests32", "%s-%s.elf" % (name, mode))


def smoke_modules():
    return [(guest32("smoke", m), "domU name=smoke-%s memory=16M cpus=%d" % (m, i % 2))
            for i, m in enumerate(MODES)]


def abi_modules():
    mods = [(guest32("abi", m), "domU name=abi-%s memory=16M cpus=%d" % (m, i % 2))
            for i, m in enumerate(MODES)]
    return mods + [(guest("abi"), "domU name=abi-64 memory=16M cpus=1")]


def events_pair(mode, rounds, first_domid=1):
    """A server in this 32-bit mode; its client is the next mode's kernel."""
    srv, cli = first_domid, first_domid + 1
    return [(guest32("events", mode), "domU name=srv-%s memory=16M cpus=0 -- role=server "
             "peer=%d rounds=%d" % (mode, cli, rounds)),
            (guest32("events", MODES[(MODES.index(mode) + 1) % 3]), "domU name=cli-%s "
             "memory=16M cpus=1 -- role=client peer=%d rounds=%d" % (mode, srv, rounds))]


def names(modules):
    return [re.search(r"name=(\S+)", s).group(1) for _, s in modules]


def check_layouts(log):
    for m in MODES:
        expect("[abi-%s] 32-bit guest" % m in log, "abi-%s did not run as a 32-bit guest" % m)
    expect("[abi-64] 64-bit guest" in log, "abi-64 did not run as a 64-bit guest")


def check_events(log, modes=MODES):
    for m in modes:
        for role in ("srv", "cli"):
            expect(re.search(r"\[%s-%s\] 20 singleshot timers: none early" % (role, m), log),
                   "%s-%s: timer line missing" % (role, m))
        expect(re.search(r"\[cli-%s\] BENCH evtchn-ping-pong-upcall-halted round-trip \d+ ns" % m,
                         log), "cli-%s: no ping-pong" % m)


def qemu_32bit_guests_hypercall_smoke_nonpae_pse_pae():
    mods = smoke_modules()
    m = qemu(ncpus=2, modules=mods)
    try:
        check_domus_ran_and_freed(m, names(mods), TIMEOUT)
    finally:
        m.stop()


def qemu_32bit_argument_and_shared_info_layouts():
    """compat_add_to_physmap_shared_info, singleshot/poll/runstate/platform_parameters in the
    32-bit layout, set_timer_op's two halves, shared_info latched by the callback's mode."""
    mods = abi_modules()
    m = qemu(ncpus=2, modules=mods)
    try:
        check_layouts(check_domus_ran_and_freed(m, names(mods), TIMEOUT))
    finally:
        m.stop()


def qemu_32bit_event_channels_timers_ping_pong():
    """One boot per pair, as the 64-bit test: more domains per pCPU make timers late."""
    for mode in MODES:
        mods = events_pair(mode, 50)
        m = qemu(ncpus=2, modules=mods)
        try:
            check_events(check_domus_ran_and_freed(m, names(mods), TIMEOUT), [mode])
        finally:
            m.stop()


def qemu_32bit_hostile_hypercalls_contained():
    """Random hypercalls through the compat layer from non-PAE and PAE guests, beside a 64-bit
    smoke test: both storms end with PASS, nothing fatal, every page back in the heap."""
    mods = [(guest32("hostile", "nonpae"), "domU name=hostile-nonpae memory=16M cpus=0 -- "
             "calls=%d" % HOSTILE_CALLS),
            (guest32("hostile", "pae"), "domU name=hostile-pae memory=16M cpus=1 -- "
             "calls=%d" % HOSTILE_CALLS),
            (guest("smoke"), "domU name=neighbour memory=16M cpus=0")]
    m = qemu(ncpus=2, modules=mods)
    try:
        log = check_domus_ran_and_freed(m, names(mods), 2 * TIMEOUT)
        for mode in ("nonpae", "pae"):
            expect(re.search(r"\[hostile-%s\] %d hypercalls survived" % (mode, HOSTILE_CALLS),
                             log), "hostile-%s: no summary" % mode)
    finally:
        m.stop()


def bochs_32bit_guests_smoke_and_layouts():
    mods = smoke_modules() + abi_modules()[:3]
    iso = make_iso(DEFAULT_CMDLINE, mods)
    try:
        m = bochs(iso, ncpus=2, megs=256)
        try:
            log = check_domus_ran_and_freed(m, names(mods), BOCHS_TIMEOUT)
            expect("HVM: VMX with EPT" in log, "not on VMX")
            for mode in MODES:
                expect("[abi-%s] 32-bit guest" % mode in log, "abi-%s missing" % mode)
        finally:
            m.stop()
    finally:
        os.unlink(iso)


def bochs_32bit_event_channels_timers_ping_pong():
    """One boot per pair; two pairs run every mode (PSE as a client)."""
    for mode in ("nonpae", "pae"):
        mods = events_pair(mode, 10)
        iso = make_iso(DEFAULT_CMDLINE, mods)
        try:
            m = bochs(iso, ncpus=2)
            try:
                check_events(check_domus_ran_and_freed(m, names(mods), BOCHS_TIMEOUT), [mode])
            finally:
                m.stop()
        finally:
            os.unlink(iso)


COMPAT_PROPS = (("balloon", "balloon_out_and_back"), ("mcall", "multicall_results_per_entry"),
                ("gnttab", "grant_table_frames_set_up_like_xen"))


def memory_modules(modes):
    """The memory test kernel's balloon, multicall and grant-table properties, built 32-bit: the same
    checks the 64-bit run (test_memops) passes, so the answers match it."""
    return [(guest32("memory", m), "domU name=%s-%s memory=16M cpus=%d -- %s" % (n, m, i % 2, p))
            for i, (m, (n, p)) in enumerate((m, np) for m in modes for np in COMPAT_PROPS)]


def check_memory(log, modes):
    for m in modes:
        for n, p in COMPAT_PROPS:
            got = re.search(r"^\(kumo\) \[%s-%s\] Test result: (\w+)$" % (n, m), log, re.M)
            expect(got and got.group(1) == "PASS",
                   "%s from a 32-bit %s guest: %s" % (p, m, got.group(1) if got else "no result"))


_memory_log = {}


def _memory_boot():
    if "qemu" not in _memory_log:
        mods = memory_modules(MODES)
        m = qemu(ncpus=2, megs=256, modules=mods)
        try:
            _memory_log["qemu"] = check_domus_ran_and_freed(m, names(mods), 2 * TIMEOUT)
        finally:
            m.stop()
    return _memory_log["qemu"]


def qemu_compat_balloon_out_and_back():
    """Decrease then populate from 32-bit guests (non-PAE, PSE, PAE): frames read zero,
    max_pages refused, start extents and bad lists as natively; pages back in the heap."""
    log = _memory_boot()
    check_memory(log, MODES)


def qemu_compat_grant_table_setup_in_the_32bit_layout():
    """setup_table's frame list in 32-bit entries behind a 32-bit handle; the rest as for
    64-bit guests (same boot as above)."""
    check_memory(_memory_boot(), MODES)


def qemu_compat_multicall_results_per_entry():
    """32-byte entries, 32-bit results per entry, nested calls translated, a 99-entry batch
    continued in the guest's own layout."""
    check_memory(_memory_boot(), MODES)


def bochs_compat_balloon_and_multicall():
    mods = memory_modules(("pae",))
    iso = make_iso(DEFAULT_CMDLINE, mods)
    try:
        m = bochs(iso, ncpus=2)
        try:
            check_memory(check_domus_ran_and_freed(m, names(mods), BOCHS_TIMEOUT), ("pae",))
        finally:
            m.stop()
    finally:
        os.unlink(iso)


TESTS = [qemu_32bit_guests_hypercall_smoke_nonpae_pse_pae,
         qemu_32bit_argument_and_shared_info_layouts, qemu_32bit_event_channels_timers_ping_pong,
         qemu_32bit_hostile_hypercalls_contained,
         bochs_32bit_guests_smoke_and_layouts, bochs_32bit_event_channels_timers_ping_pong,
         qemu_compat_balloon_out_and_back, qemu_compat_multicall_results_per_entry,
         qemu_compat_grant_table_setup_in_the_32bit_layout,
         bochs_compat_balloon_and_multicall]
