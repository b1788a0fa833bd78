/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What these suites use that older kernels lack, Debian 12's default 6.1
 * among them.  kunit/Kbuild looks in the headers of the kernel being built
 * for (AW_HAVE_*); each shim names the release that brought the real one.
 */
#ifndef _AW_KUNIT_COMPAT_H
#define _AW_KUNIT_COMPAT_H

#ifdef __KERNEL__
#include <linux/kthread.h>
#include <linux/sched/task.h>

#ifndef AW_HAVE_KUNIT_ACTIONS
/* kunit_add_action() and its family: 6.4 (compat.c, on kunit resources) */
typedef void (kunit_action_t)(void *);
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx);
void kunit_release_action(struct kunit *test, kunit_action_t *action,
			  void *ctx);
#endif

#ifndef AW_HAVE_KTHREAD_STOP_PUT
/* kthread_stop_put(): 6.6 */
static inline int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}
#endif

#ifndef KUNIT_CASE_PARAM_ATTR
/* KUnit test attributes (speed = slow): 6.6; older kernels run them all */
#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, ...)		\
	KUNIT_CASE_PARAM(test_name, gen_params)
#endif

#endif /* __KERNEL__ */
#endif /* _AW_KUNIT_COMPAT_H */
