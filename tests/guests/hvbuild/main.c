/*
 * Building a domain from Dom0, the way Xen 4.17's toolstack does (linux-dom0-abi.md 7):
 * createdomain (checked configuration, paused, rover id), max_vcpus, max_mem, populate and
 * decrease on the new domain, set_memory_map, HVM params and an unbound port for it, its
 * HVM context (HEADER/CPU/MTRR/END), and foreign mapping of its pages into this domain's
 * physmap, below and above 4 GiB. The new domain runs a few instructions written through
 * the mapping and answers through another; it is then destroyed while still mapped, and
 * its last pages come back only as the mappings are removed. With "domu" (as a DomU): every
 * one of those calls on another domain is refused.
 */
#include "guest.h"
#include <kumo/xen_ctl_abi.h>

const char test_title[] = "Domain building from Dom0";

#define LOW_MAP_GFN     0x10000UL           /* 256 MiB: free in a 32 MiB Dom0 */
#define HIGH_MAP_GFN    0x100007UL          /* 4 GiB + 28 KiB, where Linux's scratch space is */
#define GUEST_CODE_GFN  0x100UL
#define GUEST_FLAG_GFN  0x101UL
#define GUEST_FLAG      0x600DF00DU
#define E(x)            (-(long)(x))

static long domctl(struct xen_domctl *op)
{
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return HYPERCALL2(__HYPERVISOR_domctl, op, 0);
}

static long memop(unsigned int cmd, void *arg)
{
    return HYPERCALL2(__HYPERVISOR_memory_op, cmd, arg);
}

static uint64_t free_pages(void)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo,
                             .interface_version = XEN_SYSCTL_INTERFACE_VERSION };

    return HYPERCALL2(__HYPERVISOR_sysctl, &op, 0) ? 0 : op.u.physinfo.free_pages;
}

static const struct xen_domctl_createdomain pvh_config = {
    .flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, .max_vcpus = 1,
    .max_evtchn_port = 1023, .max_grant_frames = 32, .max_maptrack_frames = 128,
    .grant_opts = 2, .arch = { .emulation_flags = XEN_X86_EMU_LAPIC },
    .handle = { 0xde, 0xad, 0xbe, 0xef },
};

static long create(domid_t want, const struct xen_domctl_createdomain *c, domid_t *got)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain, .domain = want };
    long rc;

    op.u.createdomain = *c;
    rc = domctl(&op);
    if (got)
        *got = op.domain;
    return rc;
}

static long simple(unsigned int cmd, domid_t d)
{
    struct xen_domctl op = { .cmd = cmd, .domain = d };

    return domctl(&op);
}

static long getinfo(domid_t d, struct xen_domctl_getdomaininfo *i)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = d };
    long rc = domctl(&op);

    if (!rc && op.domain != d)
        rc = E(XEN_ESRCH);
    if (!rc && i)
        *i = op.u.getdomaininfo;
    return rc;
}

static void check_bad_configs(void)
{
    struct xen_domctl_createdomain c;

#define BAD(what, field, value, err) do {                                       \
        c = pvh_config;                                                         \
        c.field = value;                                                        \
        CHECK_EQ(what, create(0, &c, NULL), E(err));                            \
    } while (0)
    BAD("createdomain without HAP", flags, XEN_DOMCTL_CDF_hvm, XEN_EINVAL);
    BAD("createdomain PV", flags, XEN_DOMCTL_CDF_hap, XEN_EINVAL);
    BAD("createdomain unknown flag", flags, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | 1u << 20,
        XEN_EINVAL);
    BAD("createdomain with an IOMMU", flags,
        XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_iommu, XEN_EINVAL);
    BAD("createdomain HVM emulators", arch.emulation_flags, XEN_X86_EMU_ALL, XEN_EOPNOTSUPP);
    BAD("createdomain no emulator", arch.emulation_flags, 0, XEN_EOPNOTSUPP);
    BAD("createdomain unknown emulator", arch.emulation_flags, 1u << 20, XEN_EINVAL);
    BAD("createdomain 0 vCPUs", max_vcpus, 0, XEN_EINVAL);
    BAD("createdomain 100000 vCPUs", max_vcpus, 100000, XEN_EINVAL);
    BAD("createdomain grant frames", max_grant_frames, 100000, XEN_EINVAL);
    BAD("createdomain maptrack frames", max_maptrack_frames, 100000, XEN_EINVAL);
    BAD("createdomain grant version", grant_opts, 7, XEN_EINVAL);
    BAD("createdomain cpupool", cpupool_id, 3, XEN_ENOENT);
    BAD("createdomain vmtrace", vmtrace_size, 4096, XEN_EINVAL);
#undef BAD
    CHECK_EQ("createdomain id past kumo's table", create(500, &pvh_config, NULL), E(XEN_EINVAL));
}

/* Waits (bounded) until domain d is gone from the table. */
static bool wait_gone(domid_t d)
{
    uint32_t a, b, khz, dx;
    uint64_t end;

    guest_cpuid(0x40000003, &a, &b, &khz, &dx);
    end = rdtsc() + (khz ? khz : 1000000) * 20000ULL;
    while (!getinfo(d, NULL)) {
        if (rdtsc() > end)
            return false;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return true;
}

static xen_pfn_t extents[2048];
static xen_ulong_t idxs[2048];
static xen_pfn_t gpfns[2048];
static int errs[2048];

static long populate(domid_t d, unsigned long nr, unsigned int order, unsigned int op)
{
    struct xen_memory_reservation r = { .nr_extents = nr, .extent_order = order, .domid = d };

    set_xen_guest_handle(r.extent_start, extents);
    return memop(op, &r);
}

/* One foreign mapping: its per-page error, or the call's. */
static long map_foreign(domid_t fd, unsigned long fgfn, unsigned long gpfn)
{
    struct xen_add_to_physmap_batch b = { .domid = DOMID_SELF,
                                          .space = XENMAPSPACE_gmfn_foreign, .size = 1,
                                          .u.foreign_domid = fd };
    long rc;

    idxs[0] = fgfn, gpfns[0] = gpfn, errs[0] = 12345;
    set_xen_guest_handle(b.idxs, idxs);
    set_xen_guest_handle(b.gpfns, gpfns);
    set_xen_guest_handle(b.errs, errs);
    rc = memop(XENMEM_add_to_physmap_batch, &b);
    return rc ? rc : errs[0];
}

static long unmap(domid_t d, unsigned long gpfn)
{
    struct xen_remove_from_physmap r = { .domid = d, .gpfn = gpfn };

    return memop(XENMEM_remove_from_physmap, &r);
}

static long param(unsigned int op, domid_t d, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = d, .index = index, .value = *value };
    long rc = HYPERCALL2(__HYPERVISOR_hvm_op, op, &p);

    *value = p.value;
    return rc;
}

static long alloc_unbound(domid_t d, domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = { .dom = d, .remote_dom = remote };
    long rc = HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &a);

    *port = a.port;
    return rc;
}


static void check_memory_map(domid_t d)
{
    static struct xen_e820_entry { uint64_t addr, size; uint32_t type; } __attribute__((packed))
        map[17] = { { 0, 0xFC000000, 1 }, { 0xFEFF8000, 0x8000, 2 } };
    struct xen_foreign_memory_map f = { .domid = d, .map.nr_entries = 2 };

    set_xen_guest_handle(f.map.buffer, map);
    CHECK_EQ("set_memory_map", memop(XENMEM_set_memory_map, &f), 0);
    f.map.nr_entries = 17;
    CHECK_EQ("set_memory_map too long", memop(XENMEM_set_memory_map, &f), E(XEN_EINVAL));
    f.map.nr_entries = 1, f.domid = 99;
    CHECK_EQ("set_memory_map unknown domain", memop(XENMEM_set_memory_map, &f), E(XEN_ESRCH));
}

/* Save records as libxenguest's vcpu_hvm() lays them out. */
static struct {
    struct hvm_save_descriptor header_d;
    struct hvm_save_header header;
    struct hvm_save_descriptor cpu_d;
    struct hvm_hw_cpu cpu;
    struct hvm_save_descriptor end_d;
} bsp;
static struct {
    struct hvm_save_descriptor header_d;
    struct hvm_save_header header;
    struct hvm_save_descriptor mtrr_d;
    struct hvm_hw_mtrr mtrr;
    struct hvm_save_descriptor end_d;
} mtrr_ctx;
static uint8_t full[4096];

static long hvmcontext(unsigned int cmd, domid_t d, void *buf, uint32_t size, uint32_t *out)
{
    struct xen_domctl op = { .cmd = cmd, .domain = d };
    long rc;

    op.u.hvmcontext.size = size;
    set_xen_guest_handle(op.u.hvmcontext.buffer, buf);
    rc = domctl(&op);
    if (out)
        *out = op.u.hvmcontext.size;
    return rc;
}

static long partial(domid_t d, uint32_t type, uint32_t instance, void *buf, uint64_t size)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_gethvmcontext_partial, .domain = d };

    op.u.hvmcontext_partial.type = type;
    op.u.hvmcontext_partial.instance = instance;
    op.u.hvmcontext_partial.bufsz = size;
    set_xen_guest_handle(op.u.hvmcontext_partial.buffer, buf);
    return domctl(&op);
}

static void flat_cpu(struct hvm_hw_cpu *c, uint64_t rip)
{
    memset(c, 0, sizeof(*c));
    c->rip = rip;
    c->rflags = 2;
    c->cr0 = 0x11;                      /* PE | ET */
    c->cs_limit = c->ds_limit = c->es_limit = c->ss_limit = ~0u;
    c->cs_arbytes = 0xc9b;
    c->ds_arbytes = c->es_arbytes = c->ss_arbytes = 0xc93;
    c->tr_arbytes = 0x8b;
    c->tr_limit = 0x67;
    c->dr6 = 0xffff0ff0;
    c->dr7 = 0x400;
}

static long set_bsp(domid_t d, const struct hvm_hw_cpu *c, uint16_t instance)
{
    bsp.cpu_d = (struct hvm_save_descriptor){ HVM_SAVE_CODE(CPU), instance, sizeof(bsp.cpu) };
    bsp.cpu = *c;
    return hvmcontext(XEN_DOMCTL_sethvmcontext, d, &bsp, sizeof(bsp), NULL);
}

static void set_start_state(domid_t d, uint64_t rip)
{
    struct xen_domctl_getdomaininfo info;
    struct hvm_hw_cpu c;

    flat_cpu(&c, rip);
    CHECK_EQ("sethvmcontext HEADER+CPU+END", set_bsp(d, &c, 0), 0);
    CHECK_EQ("getdomaininfo", getinfo(d, &info), 0);
    CHECK_EQ("vCPU 0 up after the CPU record", info.nr_online_vcpus, 1);
    memset(&c, 0, sizeof(c));
    CHECK_EQ("partial CPU 0", partial(d, HVM_SAVE_CODE(CPU), 0, &c, sizeof(c)), 0);
    CHECK_EQ("partial CPU 0 rip", c.rip, rip);
}

static void check_bad_cpu_records(domid_t d)
{
    struct hvm_hw_cpu c;

    flat_cpu(&c, 0x100000);
    c.cr0 = 0x80000010;                 /* PG without PE */
    CHECK_EQ("CPU record PG without PE", set_bsp(d, &c, 0), E(XEN_EINVAL));
    flat_cpu(&c, 0x100000);
    c.msr_efer = 1ULL << 40;
    CHECK_EQ("CPU record reserved EFER bit", set_bsp(d, &c, 0), E(XEN_EINVAL));
    flat_cpu(&c, 0x100000);
    c.cs_arbytes = 0x41b;               /* not present */
    CHECK_EQ("CPU record CS not present", set_bsp(d, &c, 0), E(XEN_EINVAL));
    flat_cpu(&c, 0x100000);
    c.pad0 = 1;
    CHECK_EQ("CPU record padding", set_bsp(d, &c, 0), E(XEN_EINVAL));
    flat_cpu(&c, 0x100000);
    CHECK_EQ("CPU record for a vCPU it lacks", set_bsp(d, &c, 3), E(XEN_EINVAL));
    flat_cpu(&c, 0x100000);
    bsp.cpu_d = (struct hvm_save_descriptor){ HVM_SAVE_CODE(CPU), 0, sizeof(bsp.cpu) };
    bsp.cpu = c;
    bsp.header.magic ^= 1;
    CHECK_EQ("bad header magic", hvmcontext(XEN_DOMCTL_sethvmcontext, d, &bsp, sizeof(bsp), NULL),
             E(XEN_EINVAL));
    bsp.header.magic ^= 1;
    CHECK_EQ("no END record", hvmcontext(XEN_DOMCTL_sethvmcontext, d, &bsp,
                                         sizeof(bsp) - sizeof(bsp.end_d), NULL), E(XEN_EINVAL));
    bsp.cpu_d.length = 16;
    CHECK_EQ("CPU record of the wrong length",
             hvmcontext(XEN_DOMCTL_sethvmcontext, d, &bsp, sizeof(bsp), NULL), E(XEN_EINVAL));
    bsp.cpu_d = (struct hvm_save_descriptor){ 3, 0, 16 };     /* a PIC record: no PIC here */
    CHECK_EQ("record kumo has no state for",
             hvmcontext(XEN_DOMCTL_sethvmcontext, d, &bsp, sizeof(bsp), NULL), E(XEN_EINVAL));
    CHECK_EQ("sethvmcontext unreadable buffer",
             hvmcontext(XEN_DOMCTL_sethvmcontext, d, (void *)0xDEAD00000000UL, 4096, NULL),
             E(XEN_EFAULT));
}

static void check_hvm_context(domid_t d)
{
    const struct hvm_save_descriptor *desc = (const void *)full;
    const struct hvm_save_header *h = (const void *)(desc + 1);
    uint32_t size = 0, off;
    bool mtrr0 = false;

    CHECK_EQ("gethvmcontext size", hvmcontext(XEN_DOMCTL_gethvmcontext, d, NULL, 0, &size), 0);
    CHECK_EQ("gethvmcontext small buffer",
             hvmcontext(XEN_DOMCTL_gethvmcontext, d, full, size - 1, NULL), E(XEN_ENOSPC));
    if (size > sizeof(full)) {
        xtf_failure("context of %u bytes", size);
        return;
    }
    CHECK_EQ("gethvmcontext", hvmcontext(XEN_DOMCTL_gethvmcontext, d, full, size, &size), 0);
    CHECK_EQ("first record HEADER", desc->typecode, HVM_SAVE_CODE(HEADER));
    CHECK_EQ("header magic", h->magic, HVM_FILE_MAGIC);
    for (off = 0; off + sizeof(*desc) <= size;) {
        desc = (const void *)(full + off);
        if (desc->typecode == HVM_SAVE_CODE(CPU))
            xtf_failure("CPU record for a vCPU that is down");
        mtrr0 |= desc->typecode == HVM_SAVE_CODE(MTRR) && desc->instance == 0;
        if (desc->typecode == 0)
            break;
        off += sizeof(*desc) + desc->length;
    }
    CHECK_EQ("MTRR record 0 present", mtrr0, 1);
    CHECK_EQ("context ends with END", off + sizeof(*desc), size);
    CHECK_EQ("partial MTRR 0", partial(d, HVM_SAVE_CODE(MTRR), 0, &mtrr_ctx.mtrr,
                                       sizeof(mtrr_ctx.mtrr)), 0);
    CHECK_EQ("partial HEADER", partial(d, HVM_SAVE_CODE(HEADER), 0, full, sizeof(full)),
             E(XEN_EINVAL));
    CHECK_EQ("partial CPU of a down vCPU", partial(d, HVM_SAVE_CODE(CPU), 0, full, sizeof(full)),
             E(XEN_ENOENT));
    CHECK_EQ("partial MTRR 5", partial(d, HVM_SAVE_CODE(MTRR), 5, full, sizeof(full)),
             E(XEN_ENOENT));
    mtrr_ctx.header_d = bsp.header_d = *(const struct hvm_save_descriptor *)full;
    mtrr_ctx.header = bsp.header = *h;
    mtrr_ctx.mtrr_d = (struct hvm_save_descriptor){ HVM_SAVE_CODE(MTRR), 0, sizeof(mtrr_ctx.mtrr) };
    mtrr_ctx.mtrr.msr_mtrr_def_type = 6 | 1 << 11;     /* WB, enabled: what libxenguest sets */
    CHECK_EQ("sethvmcontext MTRR", hvmcontext(XEN_DOMCTL_sethvmcontext, d, &mtrr_ctx,
                                              sizeof(mtrr_ctx), NULL), 0);
    check_bad_cpu_records(d);
    CHECK_EQ("gethvmcontext of oneself", hvmcontext(XEN_DOMCTL_gethvmcontext, 0, NULL, 0, NULL),
             E(XEN_EINVAL));
}

static void check_foreign_hostile(domid_t d)
{
    static uint8_t victim[4096] __attribute__((aligned(4096)));
    struct xen_add_to_physmap_batch b = { .domid = DOMID_SELF,
                                          .space = XENMAPSPACE_gmfn_foreign, .size = 2000,
                                          .u.foreign_domid = d };
    struct xen_mem_acquire_resource res = { .domid = d, .type = 1 };
    struct xen_memory_domain self = { .domid = DOMID_SELF };
    unsigned long vgfn = (unsigned long)(uintptr_t)victim >> 12;
    long before, bad = 0;

    CHECK_EQ("map a page of oneself", map_foreign(0, 0x100, LOW_MAP_GFN), E(XEN_EPERM));
    CHECK_EQ("map from DOMID_SELF", map_foreign(DOMID_SELF, 0x100, LOW_MAP_GFN), E(XEN_ESRCH));
    CHECK_EQ("map from DOMID_XEN", map_foreign(DOMID_XEN, 0, LOW_MAP_GFN), E(XEN_EINVAL));
    CHECK_EQ("map from no domain", map_foreign(99, 0x100, LOW_MAP_GFN), E(XEN_ESRCH));
    CHECK_EQ("map a frame it lacks", map_foreign(d, 0x5000, LOW_MAP_GFN), E(XEN_EINVAL));
    CHECK_EQ("map a frame past the p2m", map_foreign(d, ~0UL, LOW_MAP_GFN), E(XEN_EINVAL));
    CHECK_EQ("map at a gfn past the p2m", map_foreign(d, 0x100, 1UL << 40), E(XEN_EINVAL));
    CHECK_EQ("remove an empty gfn", unmap(DOMID_SELF, LOW_MAP_GFN), E(XEN_ENOENT));
    CHECK_EQ("remove past the p2m", unmap(DOMID_SELF, ~0UL), E(XEN_ENOENT));
    for (unsigned int i = 0; i < 2000; i++)
        idxs[i] = 0x5000 + i, gpfns[i] = LOW_MAP_GFN + i, errs[i] = 0;
    set_xen_guest_handle(b.idxs, idxs);
    set_xen_guest_handle(b.gpfns, gpfns);
    set_xen_guest_handle(b.errs, errs);
    CHECK_EQ("2000 bad entries (continuations)", memop(XENMEM_add_to_physmap_batch, &b), 0);
    for (unsigned int i = 0; i < 2000; i++)
        bad += errs[i] == E(XEN_EINVAL);
    CHECK_EQ("each entry's error", bad, 2000);
    set_xen_guest_handle(b.errs, (int *)0xDEAD00000000UL);
    CHECK_EQ("errs unwritable", memop(XENMEM_add_to_physmap_batch, &b), E(XEN_EFAULT));
    b.size = 0;
    CHECK_EQ("no entry", memop(XENMEM_add_to_physmap_batch, &b), 0);
    b.space = XENMAPSPACE_gmfn_range;
    CHECK_EQ("gmfn_range in a batch", memop(XENMEM_add_to_physmap_batch, &b), E(XEN_EOPNOTSUPP));
    CHECK_EQ("acquire_resource", memop(XENMEM_acquire_resource, &res), E(XEN_EOPNOTSUPP));
    /* Xen frees a RAM page the mapping replaces. */
    before = memop(XENMEM_current_reservation, &self);
    CHECK_EQ("map over own RAM", map_foreign(d, 0x102, vgfn), 0);
    CHECK_EQ("the RAM page left", memop(XENMEM_current_reservation, &self), before - 1);
    CHECK_EQ("map over a foreign mapping", map_foreign(d, 0x103, vgfn), 0);
    CHECK_EQ("remove it", unmap(DOMID_SELF, vgfn), 0);
    CHECK_EQ("remove RAM of the new domain", unmap(d, 0x10E), 0);
    CHECK_EQ("populate an unknown domain", (extents[0] = 0x100, populate(99, 1, 0,
             XENMEM_populate_physmap)), 0);
}

static void as_domu(void)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain };
    struct xen_sysctl sop = { .cmd = XEN_SYSCTL_physinfo,
                              .interface_version = XEN_SYSCTL_INTERFACE_VERSION };
    struct xen_foreign_memory_map f = { .domid = 0 };
    struct xen_mem_acquire_resource res = { .domid = 0, .type = 1 };
    struct xen_add_to_physmap_batch b = { .domid = 0, .space = XENMAPSPACE_gmfn_foreign,
                                          .size = 1, .u.foreign_domid = 0 };
    domid_t zero = 0;
    evtchn_port_t port;
    uint64_t v = 1;

    op.u.createdomain = pvh_config;
    CHECK_EQ("DomU createdomain", domctl(&op), E(XEN_EPERM));
    CHECK_EQ("DomU getdomaininfo", getinfo(0, NULL), E(XEN_EPERM));
    CHECK_EQ("DomU max_mem", simple(XEN_DOMCTL_max_mem, 0), E(XEN_EPERM));
    CHECK_EQ("DomU sethvmcontext", hvmcontext(XEN_DOMCTL_sethvmcontext, 0, full, 64, NULL),
             E(XEN_EPERM));
    CHECK_EQ("DomU physinfo", HYPERCALL2(__HYPERVISOR_sysctl, &sop, 0), E(XEN_EPERM));
    extents[0] = 0x9000;
    CHECK_EQ("DomU populate Dom0", populate(0, 1, 0, XENMEM_populate_physmap), 0);
    extents[0] = 0x100;
    CHECK_EQ("DomU decrease Dom0", populate(0, 1, 0, XENMEM_decrease_reservation), 0);
    idxs[0] = 0x100, gpfns[0] = 0x9000, errs[0] = 0;
    set_xen_guest_handle(b.idxs, idxs);
    set_xen_guest_handle(b.gpfns, gpfns);
    set_xen_guest_handle(b.errs, errs);
    CHECK_EQ("DomU batch into Dom0", memop(XENMEM_add_to_physmap_batch, &b), E(XEN_EPERM));
    b.domid = DOMID_SELF;
    CHECK_EQ("DomU foreign map call", memop(XENMEM_add_to_physmap_batch, &b), 0);
    CHECK_EQ("DomU foreign map entry", errs[0], E(XEN_EPERM));
    CHECK_EQ("DomU remove from Dom0", unmap(0, 0x100), E(XEN_EPERM));
    CHECK_EQ("DomU set Dom0's memory map", memop(XENMEM_set_memory_map, &f), E(XEN_EPERM));
    CHECK_EQ("DomU maximum_gpfn of Dom0", memop(XENMEM_maximum_gpfn, &zero), E(XEN_EPERM));
    CHECK_EQ("DomU acquire_resource", memop(XENMEM_acquire_resource, &res), E(XEN_EPERM));
    CHECK_EQ("DomU set Dom0's param", param(HVMOP_set_param, 0, HVM_PARAM_STORE_PFN, &v),
             E(XEN_EPERM));
    CHECK_EQ("DomU get Dom0's param", param(HVMOP_get_param, 0, HVM_PARAM_STORE_PFN, &v),
             E(XEN_EPERM));
    CHECK_EQ("DomU alloc_unbound for Dom0", alloc_unbound(0, 0, &port), E(XEN_EPERM));
}

static void check_pool_and_tsc(domid_t d);

static void build_and_map(domid_t d)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = d };
    struct xen_domctl_getdomaininfo info;
    uint64_t v;
    evtchn_port_t port;

    CHECK_EQ("vCPU 0 before max_vcpus", domctl(&op), E(XEN_ESRCH));
    op.u.getvcpuinfo.vcpu = 1;
    CHECK_EQ("vCPU past the limit", domctl(&op), E(XEN_EINVAL));
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_max_vcpus, .domain = d };
    op.u.max_vcpus.max = 2;
    CHECK_EQ("max_vcpus other than createdomain's", domctl(&op), E(XEN_EINVAL));
    op.u.max_vcpus.max = 1;
    CHECK_EQ("max_vcpus", domctl(&op), 0);
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_max_mem, .domain = d };
    op.u.max_mem.max_memkb = 600 * 4;
    CHECK_EQ("max_mem", domctl(&op), 0);
    for (unsigned int i = 0; i < 16; i++)
        extents[i] = 0x100 + i;
    CHECK_EQ("populate 16 pages", populate(d, 16, 0, XENMEM_populate_physmap), 16);
    extents[0] = 0x200;
    CHECK_EQ("populate 2 MiB", populate(d, 1, 9, XENMEM_populate_physmap), 1);
    extents[0] = 0x400;
    CHECK_EQ("populate past max_mem", populate(d, 1, 9, XENMEM_populate_physmap), 0);
    extents[0] = 0x10F;
    CHECK_EQ("decrease on the new domain", populate(d, 1, 0, XENMEM_decrease_reservation), 1);
    CHECK_EQ("getdomaininfo", getinfo(d, &info), 0);
    CHECK_EQ("tot_pages", info.tot_pages, 15 + 512);
    CHECK_EQ("max_pages", info.max_pages, 600);
    CHECK_EQ("paused at creation", !!(info.flags & XEN_DOMINF_paused), 1);
    CHECK_EQ("max_vcpu_id", info.max_vcpu_id, 0);
    CHECK_EQ("handle kept", info.handle[0] == 0xde && info.handle[3] == 0xef, 1);
    CHECK_EQ("maximum_gpfn", memop(XENMEM_maximum_gpfn, &d), 0x3FF);
    check_memory_map(d);
    v = GUEST_FLAG_GFN + 1;
    CHECK_EQ("set STORE_PFN", param(HVMOP_set_param, d, HVM_PARAM_STORE_PFN, &v), 0);
    CHECK_EQ("alloc_unbound for it", alloc_unbound(d, 0, &port), 0);
    v = port;
    CHECK_EQ("set STORE_EVTCHN", param(HVMOP_set_param, d, HVM_PARAM_STORE_EVTCHN, &v), 0);
    v = 0;
    CHECK_EQ("get STORE_EVTCHN", param(HVMOP_get_param, d, HVM_PARAM_STORE_EVTCHN, &v), 0);
    CHECK_EQ("STORE_EVTCHN value", v, port);
    CHECK_EQ("param index past the end", param(HVMOP_set_param, d, HVM_NR_PARAMS, &v),
             E(XEN_EINVAL));
    v = 1;
    CHECK_EQ("set TIMER_MODE", param(HVMOP_set_param, d, HVM_PARAM_TIMER_MODE, &v), 0);
    v = 9;
    CHECK_EQ("TIMER_MODE out of range", param(HVMOP_set_param, d, HVM_PARAM_TIMER_MODE, &v),
             E(XEN_EINVAL));
    v = XEN_ALTP2M_mixed;
    CHECK_EQ("altp2m", param(HVMOP_set_param, d, HVM_PARAM_ALTP2M, &v), E(XEN_EINVAL));
    check_pool_and_tsc(d);
}

static void check_pool_and_tsc(domid_t d)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_set_paging_mempool_size, .domain = d };

    op.u.paging_mempool.size = 4ULL << 20;
    CHECK_EQ("set_paging_mempool_size", domctl(&op), 0);
    op.u.paging_mempool.size = 4097;
    CHECK_EQ("paging pool not in pages", domctl(&op), E(XEN_EINVAL));
    op.u.paging_mempool.size = 1ULL << 50;
    CHECK_EQ("paging pool beyond the heap", domctl(&op), E(XEN_ENOMEM));
    op.cmd = XEN_DOMCTL_get_paging_mempool_size;
    CHECK_EQ("get_paging_mempool_size", domctl(&op), 0);
    CHECK_EQ("paging pool size kept", op.u.paging_mempool.size, 4ULL << 20);
    op = (struct xen_domctl){ .cmd = XEN_DOMCTL_settscinfo, .domain = d };
    CHECK_EQ("settscinfo default", domctl(&op), 0);
    op.u.tsc_info.tsc_mode = 1;
    CHECK_EQ("settscinfo always-emulate", domctl(&op), E(XEN_EOPNOTSUPP));
    op.u.tsc_info.tsc_mode = 7;
    CHECK_EQ("settscinfo unknown mode", domctl(&op), E(XEN_EINVAL));
}

/* max_evtchn_port bounds the new domain's ports: 1 and 2, then none. */
static void check_port_bound(void)
{
    struct xen_domctl_createdomain c = pvh_config;
    evtchn_port_t port;
    domid_t d;

    c.max_evtchn_port = 2;
    if (create(0, &c, &d)) {
        xtf_failure("createdomain with 2 ports");
        return;
    }
    CHECK_EQ("port 1", alloc_unbound(d, 0, &port) || port != 1, 0);
    CHECK_EQ("port 2", alloc_unbound(d, 0, &port) || port != 2, 0);
    CHECK_EQ("past max_evtchn_port", alloc_unbound(d, 0, &port), E(XEN_ENOSPC));
    CHECK_EQ("destroy it", simple(XEN_DOMCTL_destroydomain, d), 0);
    wait_gone(d);
}

static volatile uint32_t *map_high(void)
{
    static uint64_t pd[512] __attribute__((aligned(4096)));
    uint64_t cr3, *pml4, *pdpt;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    pml4 = (uint64_t *)(cr3 & ~0xFFFULL);
    pdpt = (uint64_t *)(pml4[0] & 0xFFFFFFFFF000ULL);
    pd[0] = (HIGH_MAP_GFN << 12 & ~0x1FFFFFULL) | 0x83;   /* present, writable, 2 MiB */
    pdpt[4] = (uint64_t)(uintptr_t)pd | 3;
    __asm__ volatile("mov %0, %%cr3" :: "r"(cr3) : "memory");
    return (volatile uint32_t *)(uintptr_t)(HIGH_MAP_GFN << 12);
}

/* Code written through one mapping runs in the new domain; its answer comes back through another. */
static void run_it(domid_t d)
{
    static const uint8_t code[] = { 0xC7, 0x05, 0x00, 0x10, 0x10, 0x00,     /* movl $FLAG, 0x101000 */
                                    0x0D, 0xF0, 0x0D, 0x60, 0xF3, 0x90, 0xEB, 0xFC };
    volatile uint32_t *flag = (volatile uint32_t *)(LOW_MAP_GFN << 12);
    uint8_t *code_page = (uint8_t *)((LOW_MAP_GFN + 1) << 12);
    volatile uint32_t *high;
    uint32_t a, b, khz, dx;
    uint64_t end;

    CHECK_EQ("map its flag page", map_foreign(d, GUEST_FLAG_GFN, LOW_MAP_GFN), 0);
    CHECK_EQ("map its code page", map_foreign(d, GUEST_CODE_GFN, LOW_MAP_GFN + 1), 0);
    CHECK_EQ("map a page above 4 GiB", map_foreign(d, GUEST_FLAG_GFN, HIGH_MAP_GFN), 0);
    memcpy(code_page, code, sizeof(code));
    high = map_high();
    flag[1] = 0x1234;
    CHECK_EQ("one page seen at two gfns", high[1], 0x1234);
    set_start_state(d, GUEST_CODE_GFN << 12);
    CHECK_EQ("unpause", simple(XEN_DOMCTL_unpausedomain, d), 0);
    guest_cpuid(0x40000003, &a, &b, &khz, &dx);
    end = rdtsc() + (khz ? khz : 1000000) * 20000ULL;
    while (flag[0] != GUEST_FLAG && rdtsc() < end)
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    CHECK_EQ("the built domain ran and wrote its page", flag[0], GUEST_FLAG);
    CHECK_EQ("its write seen above 4 GiB", high[0], GUEST_FLAG);
}

/* The reaper frees a domain just after unlisting it: free memory once it stops moving. */
static uint64_t settled_free_pages(void)
{
    uint64_t last = free_pages();

    for (unsigned int same = 0, n = 0; same < 200 && n < 100000; n++) {
        uint64_t now = free_pages();

        same = now == last ? same + 1 : 0;
        last = now;
        HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    return last;
}

/* Destroyed while three mappings hold its pages: each comes back at its own removal. */
static void destroy_while_mapped(domid_t d)
{
    uint64_t before, after;

    CHECK_EQ("destroydomain", simple(XEN_DOMCTL_destroydomain, d), 0);
    if (!wait_gone(d)) {
        xtf_failure("destroyed domain never went");
        return;
    }
    before = settled_free_pages();
    CHECK_EQ("remove the low mapping", unmap(DOMID_SELF, LOW_MAP_GFN), 0);
    CHECK_EQ("remove the code mapping", unmap(DOMID_SELF, LOW_MAP_GFN + 1), 0);
    after = free_pages();
    CHECK_EQ("code page freed, flag page still mapped high", after - before, 1);
    CHECK_EQ("remove the high mapping", unmap(DOMID_SELF, HIGH_MAP_GFN), 0);
    CHECK_EQ("the last mapping frees the flag page", free_pages() - after, 1);
    printk("destroyed while mapped: %lu pages free, +1 and +1 at the two last removals\n",
           (unsigned long)free_pages());
    CHECK_EQ("remove again", unmap(DOMID_SELF, HIGH_MAP_GFN), E(XEN_ENOENT));
}

static void as_dom0(void)
{
    struct xen_domctl_getdomaininfo info;
    domid_t d, d2;

    wait_gone(1);                       /* the hostile DomU beside us has finished */
    check_bad_configs();
    CHECK_EQ("createdomain", create(0, &pvh_config, &d), 0);
    CHECK_EQ("createdomain reserved id picks", create(DOMID_SELF, &pvh_config, &d2), 0);
    CHECK_EQ("rover moves on", d2 != d && d2 != 0, 1);
    CHECK_EQ("createdomain used id", create(d, &pvh_config, NULL), E(XEN_EEXIST));
    CHECK_EQ("new domain has no memory", getinfo(d2, &info) || info.tot_pages, 0);
    CHECK_EQ("destroy the second", simple(XEN_DOMCTL_destroydomain, d2), 0);
    check_port_bound();
    build_and_map(d);
    check_hvm_context(d);
    check_foreign_hostile(d);
    run_it(d);
    destroy_while_mapped(d);
    printk("built d%u, created and destroyed d%u\n", d, d2);
}

void test_main(void)
{
    if (guest_is_dom0())
        as_dom0();
    else
        as_domu();
    xtf_success();
}
