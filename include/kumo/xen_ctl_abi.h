/*
 * Xen's privileged control ABI (domctl, sysctl). Their headers pull in hypervisor-internal
 * headers when __XEN__ is set, so they are read the way the toolstack reads them.
 */
#ifndef KUMO_XEN_CTL_ABI_H
#define KUMO_XEN_CTL_ABI_H

#include <kumo/xen_abi.h>

#undef __XEN__
#define __XEN_TOOLS__ 1
#include <xen/domctl.h>
#include <xen/sysctl.h>
#undef __XEN_TOOLS__
#define __XEN__ 1

#endif
