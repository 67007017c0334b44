/*
 * The toolstack and xl's sources, compiled into one host test over the fake platform
 * (libs/plat/fake.c), for the tests that run xl's commands.
 */
#ifndef XL_SOURCES_H
#define XL_SOURCES_H

#include "../../dom0-tools/libs/plat/fake.c"
#include "../../dom0-tools/libs/ctl/ctl.c"
#include "../../dom0-tools/libs/store/store.c"
#include "../../dom0-tools/libs/toolstack/cpulist.c"
#include "../../dom0-tools/libs/toolstack/domain.c"
#include "../../dom0-tools/libs/toolstack/introduce.c"
#include "../../dom0-tools/libs/toolstack/lifecycle.c"
#include "../../dom0-tools/libs/toolstack/control.c"
#include "../../dom0-tools/libs/toolstack/retrieve.c"
#include "../../dom0-tools/libs/toolstack/monitor.c"
#include "../../dom0-tools/libs/toolstack/config_parse.c"
#include "../../dom0-tools/libs/toolstack/config.c"
#include "../../dom0-tools/libs/toolstack/config_dev.c"
#include "../../dom0-tools/libs/toolstack/config_json.c"
#include "../../dom0-tools/libs/ctl/ctl_build.c"
#include "../../dom0-tools/libs/toolstack/kimage.c"
#include "../../dom0-tools/libs/toolstack/guest_acpi.c"
#include "../../dom0-tools/libs/toolstack/build_mem.c"
#include "../../dom0-tools/libs/toolstack/build_boot.c"
#include "../../dom0-tools/libs/toolstack/build_xs.c"
#include "../../dom0-tools/libs/toolstack/userdata.c"
#include "../../dom0-tools/libs/toolstack/create.c"
#include "../../dom0-tools/xl/cmdtable.c"
#include "../../dom0-tools/xl/create.c"
#include "../../dom0-tools/xl/format.c"
#include "../../dom0-tools/xl/domain.c"
#include "../../dom0-tools/xl/vcpu.c"
#include "../../dom0-tools/xl/sched.c"
#include "../../dom0-tools/xl/info.c"
#include "../../dom0-tools/xl/lifecycle.c"
#include "../../dom0-tools/xl/mem.c"
#include "../../dom0-tools/xl/list_json.c"
#include "../../dom0-tools/xl/top.c"
#include "../../dom0-tools/xl/console.c"

/* The usual host for xl's tests: Dom0, "web" (domid 1, 256 MiB, 2 vCPUs), "db" (domid 3,
 * 64 MiB), and no xenstored. */
static inline void setup_usual_host(void)
{
    setenv("XENSTORED_PATH", "/nonexistent/kumo-test/socket", 1);
    ts_store_close();
    fake_reset();
    fake_add_domain(1, "web", 256, 2);
    fake_add_domain(3, "db", 64, 1);
}

#endif
