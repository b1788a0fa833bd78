/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit and kernel APIs these suites use that Debian 12's default
 * kernel, 6.1, lacks: each shim names the release that brought the real
 * one, and is compiled only before it.
 */
#ifndef _AW_KUNIT_COMPAT_H
#define _AW_KUNIT_COMPAT_H

#ifdef __KERNEL__
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
/* kunit_add_action() and its family: 6.4 (compat.c, on kunit resources) */
typedef void (kunit_action_t)(void *);
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx);
void kunit_release_action(struct kunit *test, kunit_action_t *action,
			  void *ctx);
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
/* kthread_stop_put(): 6.6 */
static inline int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}

/* KUnit test attributes (KUNIT_CASE_PARAM_ATTR, speed): 6.6 */
#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, attributes)	\
	KUNIT_CASE_PARAM(test_name, gen_params)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* timer_shutdown_sync(): 6.2; the tests never rearm a stopped timer */
#define timer_shutdown_sync(t)	del_timer_sync(t)
#endif

#endif /* __KERNEL__ */
#endif /* _AW_KUNIT_COMPAT_H */
