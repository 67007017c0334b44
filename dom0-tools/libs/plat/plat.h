/*
 * The toolstack's one door out of its process (STYLE.md: libs/plat): hypercalls through
 * Linux's privcmd, buffers the hypervisor can read and write, the event channel device and
 * /proc/xen. linux.c implements it over Linux's Xen devices; fake.c over an in-memory
 * hypervisor for host unit tests. Errors are 0 or a negative errno (Xen's errno values
 * equal Linux's on x86 for every code these calls return).
 */
#ifndef PLAT_PLAT_H
#define PLAT_PLAT_H

#include <stddef.h>
#include <stdint.h>

/* Opens the hypercall device. 0 or -errno (-ENOENT: not running on Xen or kumo). */
int plat_open(void);
void plat_close(void);

/*
 * A buffer a hypercall may point into: page-backed, zeroed, present while it lives (the
 * hypervisor walks Dom0's page tables for it). NULL on failure; freed by plat_buf_free.
 */
void *plat_buf_alloc(size_t len);
void plat_buf_free(void *buf, size_t len);

/* Issues hypercall op with its five arguments; its return value, or -errno. */
long plat_hypercall(unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5);

/*
 * Event channels (/dev/xen/evtchn): a VIRQ bound for this process, then blocking waits for
 * it. plat_evtchn_bind_virq returns the local port or -errno; plat_evtchn_wait blocks up
 * to timeout_ms (-1: forever) and returns the port that fired (unmasked again), 0 on
 * timeout, or -errno.
 */
int plat_evtchn_bind_virq(unsigned int virq);
int plat_evtchn_wait(int timeout_ms);
/*
 * The same device for daemons that poll many ports (xenconsoled): its fd (opened on first
 * use, non-blocking) for poll(); a channel bound to another domain's unbound port (the
 * local port or -errno); a notification to a peer; a port given back. plat_evtchn_pending
 * returns one fired port (unmasked again), 0 when none is waiting, or -errno.
 */
int plat_evtchn_fd(void);
int plat_evtchn_bind_interdomain(uint32_t domid, uint32_t remote_port);
int plat_evtchn_notify(uint32_t port);
int plat_evtchn_unbind(uint32_t port);
int plat_evtchn_pending(void);

/*
 * Foreign mapping (privcmd IOCTL_PRIVCMD_MMAPBATCH_V2; Dom0 is auto-translated, so the
 * hypervisor puts each page into Dom0's physmap, holding a reference until it is unmapped):
 * n pages of domain domid, its GFNs gfns[0..n-1], mapped contiguously and writable. errs
 * (n entries, may be NULL) gets each page's 0 or -errno; a page that failed is not mapped
 * (touching it faults). Without errs any failed page fails the whole call. Returns the
 * address, or NULL with errno set (nothing left mapped). Undone by plat_unmap_foreign().
 */
void *plat_map_foreign(uint32_t domid, const uint64_t *gfns, unsigned int n, int *errs);
/* Unmaps what plat_map_foreign(.., n, ..) returned; the pages' references go with it. */
void plat_unmap_foreign(void *addr, unsigned int n);

/* Reads /proc/xen/<name> (capabilities, xsd_port ...) into buf, NUL-terminated. */
int plat_read_proc_xen(const char *name, char *buf, size_t len);

#endif
