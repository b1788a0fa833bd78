/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/tracepoint.h for user space: a TRACE_EVENT() is a trace_<name>()
 * that does nothing (../../atomic_waker_trace.h; trace/define_trace.h is
 * empty here, so the header is read once).
 */
#ifndef _KSHIM_LINUX_TRACEPOINT_H
#define _KSHIM_LINUX_TRACEPOINT_H
#include <kshim.h>

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)	\
	static inline void trace_##name(proto) { }
#endif
