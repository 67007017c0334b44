/*
 * The toolstack library (STYLE.md libs/toolstack): what xl's commands share above the
 * control and store libraries. Domains are named as Xen's toolstack names them, by
 * /local/domain/<id>/name in xenstore; where no xenstored answers (or it has no node),
 * by the name kumo gave the domain at boot.
 */
#ifndef TOOLSTACK_TOOLSTACK_H
#define TOOLSTACK_TOOLSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_NAME_MAX 64

/*
 * Xen's cpu-list syntax (xl vcpu-pin, cpus=): comma-separated items, each "all", N, N-M,
 * or "nodes:"/"node:" with a node list (kumo has node 0 only), any of them preceded by
 * "^" to remove those CPUs. CPUs are 0..nr_cpus-1 (at most 64). 0 and *mask, or -EINVAL.
 */
int ts_parse_cpulist(const char *s, unsigned int nr_cpus, uint64_t *mask);
/* Xen's print_bitmap(): "all", "none" or ranges such as "0-2,5". */
void ts_format_cpumap(uint64_t mask, unsigned int nr_cpus, char *buf, size_t len);

/* Name of domid into name; -ESRCH when there is no such domain. */
int ts_domain_name(uint32_t domid, char *name, size_t len);
/* A domain given by name or by number, as xl's find_domain(); -ESRCH when none is. */
int ts_find_domain(const char *name_or_id, uint32_t *domid);
/* The domain with that name only (libxl_name_to_domid); -ESRCH when none has it. */
int ts_domain_by_name(const char *name, uint32_t *domid);
/*
 * Destroys domid as libxl does: the hypervisor's destroy, then a bounded wait (10 s) until
 * the domain is gone and its memory back, then its xenstore nodes removed. 0 or -errno
 * (-ETIMEDOUT when it lingers).
 */
int ts_domain_destroy(uint32_t domid);
/* Seconds since the domain started: xenstore's /vm/<uuid>/start_time; -ENOENT without. */
long ts_domain_uptime(uint32_t domid);
/*
 * Writes the xenstore nodes Xen's toolstack writes for a domain it creates (name, domid,
 * vm, memory/static-max and target, cpu/<n>/availability, /vm/<uuid>/name, uuid,
 * start_time) for one the hypervisor built at boot, named as the hypervisor named it.
 * started: its start time (seconds since the epoch). 0, -EEXIST when the store already
 * names it, or -errno.
 */
int ts_introduce_boot_domain(uint32_t domid, long started);

/*
 * control.c: a running domain changed as libxl changes it. ts_domain_pvcontrol: 1 when
 * the guest can act on control/shutdown (it registered its event callback), 0 when not.
 * ts_domain_shutdown writes how ("poweroff", "reboot") there; -EOPNOTSUPP without PV
 * control (libxl's ERROR_NOPARAVIRT). ts_domain_rename: -EEXIST when another domain has
 * the name. ts_set_memory_target: -E2BIG above memory/static-max; ts_set_memory_max:
 * -ERANGE below memory/target (both KiB; the hypervisor's bound is set with libxl's
 * 1 MiB slack). ts_set_vcpus_online: vCPUs 0..n-1 online, the rest offline; -ERANGE
 * outside 1..max vCPUs. 0 or -errno.
 */
int ts_domain_pvcontrol(uint32_t domid);
int ts_domain_shutdown(uint32_t domid, const char *how);
int ts_domain_rename(uint32_t domid, const char *name);
int ts_set_memory_target(uint32_t domid, uint64_t target_kb);
int ts_set_memory_max(uint32_t domid, uint64_t max_kb);
int ts_set_vcpus_online(uint32_t domid, unsigned int n);

struct store;
/* The toolstack's one xenstore connection, opened on first use; NULL without xenstored. */
struct store *ts_store(void);
/* Drops the xenstore connection (tests, and programs that are done with it). */
void ts_store_close(void);

#endif
