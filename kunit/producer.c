// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker: a producer that wakes a sleeping consumer
 * (the test thread) from a given context (struct aw_prod in aw_kunit.h),
 * for the atomic_waker_context and atomic_waker_wait suites.
 */

#include "aw_kunit.h"

static bool aw_prod_step(struct aw_prod *p)
{
	if (!(atomic_waker_is_registered(&p->aw) &&
	      aw_task_asleep(p->consumer)) &&
	    time_before(jiffies, p->deadline))
		return false;
	p->hardirq = in_hardirq();
	p->softirq = in_serving_softirq();
	p->task = in_task();
	WRITE_ONCE(p->done, 1);
	p->woke = atomic_waker_wake(&p->aw);
	WRITE_ONCE(p->fired, true);
	return true;
}

static enum hrtimer_restart aw_prod_hrtimer_fn(struct hrtimer *t)
{
	struct aw_prod *p = container_of(t, struct aw_prod, hrt);

	if (aw_prod_step(p))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(AW_PROD_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void aw_prod_timer_fn(struct timer_list *t)
{
	struct aw_prod *p = from_timer(p, t, tl);

	if (!aw_prod_step(p))
		mod_timer(&p->tl, jiffies + 1);
}

static void aw_prod_work_fn(struct work_struct *w)
{
	struct aw_prod *p = container_of(to_delayed_work(w), struct aw_prod,
					 dw);

	if (!aw_prod_step(p))
		schedule_delayed_work(&p->dw, 1);
}

static int aw_prod_kthread_fn(void *arg)
{
	struct aw_prod *p = arg;

	while (!aw_prod_step(p) && !kthread_should_stop())
		usleep_range(100, 200);
	return 0;
}

static enum hrtimer_restart aw_prod_rescue_fn(struct hrtimer *t)
{
	struct aw_prod *p = container_of(t, struct aw_prod, rescue);

	WRITE_ONCE(p->rescued, true);
	wake_up_process(p->consumer);
	return HRTIMER_NORESTART;
}

/* Register @stop(@arg) as the action that stops the producer. */
static void aw_prod_set_stop(struct kunit *test, struct aw_prod *p,
			     kunit_action_t *stop, void *arg)
{
	p->stop = stop;
	p->stop_arg = arg;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, stop, arg), 0);
}

static void aw_prod_start_hrtimer(struct kunit *test, struct aw_prod *p,
				  enum hrtimer_mode mode)
{
	hrtimer_init(&p->hrt, CLOCK_MONOTONIC, mode);
	p->hrt.function = aw_prod_hrtimer_fn;
	aw_prod_set_stop(test, p, aw_hrtimer_cancel_action, &p->hrt);
	hrtimer_start(&p->hrt, ns_to_ktime(AW_PROD_PERIOD_NS), mode);
}

static void aw_prod_start_timer(struct kunit *test, struct aw_prod *p)
{
	timer_setup(&p->tl, aw_prod_timer_fn, 0);
	aw_prod_set_stop(test, p, aw_timer_shutdown_action, &p->tl);
	mod_timer(&p->tl, jiffies + 1);
}

static void aw_prod_start_work(struct kunit *test, struct aw_prod *p)
{
	INIT_DELAYED_WORK(&p->dw, aw_prod_work_fn);
	aw_prod_set_stop(test, p, aw_dwork_cancel_action, &p->dw);
	schedule_delayed_work(&p->dw, 1);
}

struct aw_prod *aw_prod_start(struct kunit *test, enum aw_prod_kind kind)
{
	struct aw_prod *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, p);
	atomic_waker_init(&p->aw);
	p->deadline = jiffies + AW_TIMEOUT;
	p->consumer = current;

	/* The rescue, armed for the untimed waits only, fires after all. */
	hrtimer_init(&p->rescue, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	p->rescue.function = aw_prod_rescue_fn;
	ret = kunit_add_action_or_reset(test, aw_hrtimer_cancel_action,
					&p->rescue);
	KUNIT_ASSERT_EQ(test, ret, 0);

	switch (kind) {
	case AW_PROD_HARDIRQ:
		aw_prod_start_hrtimer(test, p, HRTIMER_MODE_REL_HARD);
		break;
	case AW_PROD_SOFTIRQ:
		aw_prod_start_hrtimer(test, p, HRTIMER_MODE_REL_SOFT);
		break;
	case AW_PROD_TIMER:
		aw_prod_start_timer(test, p);
		break;
	case AW_PROD_WORK:
		aw_prod_start_work(test, p);
		break;
	case AW_PROD_KTHREAD:
		p->stop = aw_kthread_stop_action;
		p->stop_arg = aw_kthread_start(test, aw_prod_kthread_fn, p,
					       "producer");
		break;
	}
	return p;
}

/* Stop the producer: after this, its results may be read. */
void aw_prod_stop(struct kunit *test, struct aw_prod *p)
{
	kunit_release_action(test, p->stop, p->stop_arg);
	kunit_release_action(test, aw_hrtimer_cancel_action, &p->rescue);
}

/* The condition of the untimed waits: the producer's, or the rescue's. */
bool aw_prod_over(struct aw_prod *p)
{
	return READ_ONCE(p->done) || READ_ONCE(p->rescued);
}

/* The rescue timer for waits that have no timeout of their own. */
void aw_prod_arm_rescue(struct aw_prod *p)
{
	hrtimer_start(&p->rescue, ms_to_ktime(jiffies_to_msecs(AW_TIMEOUT)),
		      HRTIMER_MODE_REL_HARD);
}
