/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of atomic_waker: what register(), wake() and take() did to
 * a slot.  Each shows the slot (aw), the target's kind and pointer (the
 * target registered, or the one taken out; "none" and a NULL pointer if the
 * slot was empty), and the result.  wake and take are traced only once the
 * slot looked full: the empty-slot exit of atomic_waker_wake() is inline in
 * its caller and stays a barrier and two loads.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM atomic_waker

#if !defined(_TRACE_ATOMIC_WAKER_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_ATOMIC_WAKER_H

#include <linux/tracepoint.h>

#include "atomic_waker.h"

#ifndef _TRACE_ATOMIC_WAKER_TARGET
#define _TRACE_ATOMIC_WAKER_TARGET
/* Not a kind: the event's kind of an empty slot */
#define ATOMIC_WAKER_TRACE_NONE		7UL

/* The kind of a target word, as atomic_waker.c decodes it */
static inline unsigned long atomic_waker_trace_kind(unsigned long t)
{
	unsigned long kind = t & ATOMIC_WAKER_KIND_MASK;

	if (!t)
		return ATOMIC_WAKER_TRACE_NONE;
	return kind == ATOMIC_WAKER_KIND_TASK ? t & ATOMIC_WAKER_TASK_MASK : kind;
}

/* Its pointer: a task's kinds take three tag bits, the others two */
static inline const void *atomic_waker_trace_ptr(unsigned long t)
{
	unsigned long mask = t & ATOMIC_WAKER_KIND_MASK ?
			     ATOMIC_WAKER_KIND_MASK : ATOMIC_WAKER_TASK_MASK;

	return (const void *)(t & ~mask);
}

/* The values TP_printk() names: its format is read by user-space tools. */
static_assert(ATOMIC_WAKER_KIND_TASK == 0 &&
	      ATOMIC_WAKER_KIND_WAIT_QUEUE == 1 &&
	      ATOMIC_WAKER_KIND_WORK == 2 &&
	      ATOMIC_WAKER_KIND_CALLBACK == 3 &&
	      ATOMIC_WAKER_KIND_SLEEPER == 4 &&
	      ATOMIC_WAKER_TRACE_NONE == 7);
#endif /* _TRACE_ATOMIC_WAKER_TARGET */

#define show_atomic_waker_kind(kind)					\
	__print_symbolic(kind,						\
			 { 0, "task" },					\
			 { 1, "wait_queue" },				\
			 { 2, "work" },					\
			 { 3, "callback" },				\
			 { 4, "sleeper" },				\
			 { 7, "none" })

/*
 * atomic_waker_register: a register() or prepare_wait(), and its result
 * @aw: the atomic_waker
 * @target: the target's word (a sleeper for prepare_wait())
 * @ret: 0, -EBUSY, -EINVAL or -EOPNOTSUPP
 */
TRACE_EVENT(atomic_waker_register,
	    TP_PROTO(const struct atomic_waker *aw, unsigned long target,
		     int ret),
	    TP_ARGS(aw, target, ret),
	    TP_STRUCT__entry(__field(const void *, aw)
			     __field(const void *, target)
			     __field(unsigned int, kind)
			     __field(int, ret)),
	    TP_fast_assign(__entry->aw = aw;
			   __entry->target = atomic_waker_trace_ptr(target);
			   __entry->kind = atomic_waker_trace_kind(target);
			   __entry->ret = ret;),
	    TP_printk("aw=%p kind=%s target=%p ret=%d",
		      __entry->aw, show_atomic_waker_kind(__entry->kind),
		      __entry->target, __entry->ret)
);

/*
 * atomic_waker_wake: a wake() that found the slot full, about to wake
 * @aw: the atomic_waker
 * @target: the target it took out to wake, or 0: a racing wake() or
 *          take() emptied the slot first
 */
TRACE_EVENT(atomic_waker_wake,
	    TP_PROTO(const struct atomic_waker *aw, unsigned long target),
	    TP_ARGS(aw, target),
	    TP_STRUCT__entry(__field(const void *, aw)
			     __field(const void *, target)
			     __field(unsigned int, kind)
			     __field(bool, woken)),
	    TP_fast_assign(__entry->aw = aw;
			   __entry->target = atomic_waker_trace_ptr(target);
			   __entry->kind = atomic_waker_trace_kind(target);
			   __entry->woken = target;),
	    TP_printk("aw=%p kind=%s target=%p woken=%d",
		      __entry->aw, show_atomic_waker_kind(__entry->kind),
		      __entry->target, __entry->woken)
);

/*
 * atomic_waker_take: a take() (or destroy()) that found the slot full
 * @aw: the atomic_waker
 * @target: the target it took out, not woken, or 0: a racing wake() or
 *          take() emptied the slot first
 */
TRACE_EVENT(atomic_waker_take,
	    TP_PROTO(const struct atomic_waker *aw, unsigned long target),
	    TP_ARGS(aw, target),
	    TP_STRUCT__entry(__field(const void *, aw)
			     __field(const void *, target)
			     __field(unsigned int, kind)
			     __field(bool, taken)),
	    TP_fast_assign(__entry->aw = aw;
			   __entry->target = atomic_waker_trace_ptr(target);
			   __entry->kind = atomic_waker_trace_kind(target);
			   __entry->taken = target;),
	    TP_printk("aw=%p kind=%s target=%p taken=%d",
		      __entry->aw, show_atomic_waker_kind(__entry->kind),
		      __entry->target, __entry->taken)
);

#endif /* _TRACE_ATOMIC_WAKER_H */

/* Out of tree only: this header sits in Kbuild's $(src), see Kbuild */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE atomic_waker_trace

/* This part must be outside protection */
#include <trace/define_trace.h>
