/*
 * kumo's SEDF parameters for XEN_DOMCTL_scheduler_op (scheduler id 4): the layout is part
 * of kumo's public ABI header, shared with Dom0's toolstack.
 */
#ifndef KUMO_SCHED_SEDF_ABI_H
#define KUMO_SCHED_SEDF_ABI_H

#include <public/kumo.h>

#endif
