/*
 * The Xen guest ABI, from Debian's libxen-dev public headers (DESIGN.md D2): the one place
 * the hypervisor includes them. The interface version is left at the headers' default.
 */
#ifndef KUMO_XEN_ABI_H
#define KUMO_XEN_ABI_H

#include <kumo/types.h>

/*
 * Not for i386 (32-bit test kernels): there __XEN__ turns on Xen's compat-generation markers.
 * They are guests, whose headers default to interface version 0 (old hypercall numbers):
 * they ask for the latest, which is what __XEN__ gives the others.
 */
#ifndef __i386__
#define __XEN__ 1
#else
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/version.h>
#include <xen/sched.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/platform.h>
#include <xen/arch-x86/xen-mca.h>

#endif
