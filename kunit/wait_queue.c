// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker_wait_queue: a wait
 * queue target (struct atomic_waker_wait_queue) woken from atomic contexts.
 *
 * Its lock is a spinlock_t, which sleeps under PREEMPT_RT: there, a wake()
 * from a hard IRQ, under a raw spinlock or with IRQs off leaves the wake to
 * the queue's irq_work, and atomic_waker_wait_queue_sync() waits for it;
 * everywhere else the queue is woken in place, before wake() returns.  The
 * waiter is a wait queue entry that counts its wakes, notes whether it saw
 * the condition, and whether it ran in a hard IRQ.
 */

#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "aw_kunit.h"

struct aw_wq_wake {
	struct atomic_waker aw;
	struct atomic_waker_wait_queue wq;
	struct wait_queue_entry wqe;	/* the waiter */
	int done;			/* the condition, set before wake() */
	atomic_t wakes;			/* times the waiter was woken */
	atomic_t blind;			/* ... before done was visible */
	bool woken_in_hardirq;
	/* what the waking context saw, right after its wake() */
	bool hardirq;
	bool woke;			/* what wake() returned */
	int wakes_at_return;		/* 1: woken in place */
	bool busy_at_return;		/* the irq_work pending or running */
	struct hrtimer hrt;
	struct completion fired;
	raw_spinlock_t lock;
};

static int aw_wqe_wake(struct wait_queue_entry *wqe, unsigned int mode,
		       int flags, void *key)
{
	struct aw_wq_wake *s = container_of(wqe, struct aw_wq_wake, wqe);

	if (!READ_ONCE(s->done))
		atomic_inc(&s->blind);
	WRITE_ONCE(s->woken_in_hardirq, in_hardirq());
	atomic_inc(&s->wakes);
	return 0;
}

/* The producer: store the condition, wake, note what is visible at once. */
static void aw_wq_wake_now(struct aw_wq_wake *s)
{
	s->hardirq = in_hardirq();
	WRITE_ONCE(s->done, 1);
	s->woke = atomic_waker_wake(&s->aw);
	s->wakes_at_return = atomic_read(&s->wakes);
	s->busy_at_return = irq_work_is_busy(&s->wq.irq_work);
}

static enum hrtimer_restart aw_wq_hrtimer_fn(struct hrtimer *t)
{
	struct aw_wq_wake *s = container_of(t, struct aw_wq_wake, hrt);

	aw_wq_wake_now(s);
	complete(&s->fired);
	return HRTIMER_NORESTART;
}

static void aw_wq_sync_action(void *wq)
{
	atomic_waker_wait_queue_sync(wq);
}

/* A queue with the counting waiter on it, registered in a fresh slot. */
static void aw_wq_init(struct kunit *test, struct aw_wq_wake *s)
{
	struct atomic_waker_target t = atomic_waker_target_wait_queue(&s->wq);

	atomic_waker_init(&s->aw);
	atomic_waker_wait_queue_init(&s->wq);
	init_waitqueue_func_entry(&s->wqe, aw_wqe_wake);
	add_wait_queue(&s->wq.head, &s->wqe);
	init_completion(&s->fired);
	raw_spin_lock_init(&s->lock);
	KUNIT_ASSERT_EQ(test, atomic_waker_register(&s->aw, t), 0);
}

static struct aw_wq_wake *aw_wq_alloc(struct kunit *test)
{
	struct aw_wq_wake *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	/* Freed after the last deferred wake, if the case ends early. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							aw_wq_sync_action,
							&s->wq), 0);
	aw_wq_init(test, s);
	return s;
}

enum aw_wq_ctx {
	AW_WQ_HARDIRQ,		/* a hard hrtimer */
	AW_WQ_RAW_SPINLOCK,	/* the test thread, holding a raw spinlock */
	AW_WQ_IRQS_OFF,		/* the test thread, IRQs off */
};

static const char * const aw_wq_ctx_names[] = {
	[AW_WQ_HARDIRQ] = "hard hrtimer",
	[AW_WQ_RAW_SPINLOCK] = "raw spinlock held",
	[AW_WQ_IRQS_OFF] = "IRQs off",
};

static const enum aw_wq_ctx aw_wq_ctxs[] = {
	AW_WQ_HARDIRQ, AW_WQ_RAW_SPINLOCK, AW_WQ_IRQS_OFF,
};

static void aw_wq_ctx_desc(const enum aw_wq_ctx *c, char *desc)
{
	strscpy(desc, aw_wq_ctx_names[*c], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(aw_wq_ctx, aw_wq_ctxs, aw_wq_ctx_desc);

/* Run the producer in @ctx and wait until it is done. */
static void aw_wq_wake_in(struct kunit *test, struct aw_wq_wake *s,
			  enum aw_wq_ctx ctx)
{
	unsigned long flags;

	switch (ctx) {
	case AW_WQ_HARDIRQ:
		aw_hrtimer_start(test, &s->hrt, aw_wq_hrtimer_fn,
				 HRTIMER_MODE_REL_HARD);
		KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&s->fired,
								  AW_TIMEOUT),
				0);
		kunit_release_action(test, aw_hrtimer_cancel_action, &s->hrt);
		KUNIT_EXPECT_TRUE(test, s->hardirq);
		break;
	case AW_WQ_RAW_SPINLOCK:
		raw_spin_lock(&s->lock);
		aw_wq_wake_now(s);
		raw_spin_unlock(&s->lock);
		break;
	case AW_WQ_IRQS_OFF:
		local_irq_save(flags);
		aw_wq_wake_now(s);
		local_irq_restore(flags);
		break;
	}
}

/*
 * After atomic_waker_wait_queue_sync(): the waiter was woken exactly once,
 * saw the condition, and nothing is left pending or registered.
 */
static void aw_wq_check(struct kunit *test, struct aw_wq_wake *s)
{
	atomic_waker_wait_queue_sync(&s->wq);
	KUNIT_EXPECT_TRUE(test, s->woke);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->wakes), 1,
			    "the waiter is woken exactly once");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->blind), 0,
			    "woken before the condition was visible");
	KUNIT_EXPECT_FALSE_MSG(test, irq_work_is_busy(&s->wq.irq_work),
			       "a deferred wake still pending after sync");
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&s->aw));
	remove_wait_queue(&s->wq.head, &s->wqe);
}

/* From a preemptible task the queue is woken in place, on every kernel. */
static void aw_test_wq_wake_in_place(struct kunit *test)
{
	struct aw_wq_wake *s = aw_wq_alloc(test);

	aw_wq_wake_now(s);
	aw_wq_check(test, s);
	KUNIT_EXPECT_EQ_MSG(test, s->wakes_at_return, 1,
			    "not woken before wake() returned");
	KUNIT_EXPECT_FALSE(test, s->busy_at_return);
	KUNIT_EXPECT_FALSE(test, s->woken_in_hardirq);
}

/*
 * From an atomic context, woken exactly once, nothing lost, nothing left
 * after sync; in place unless PREEMPT_RT (see aw_test_wq_wake_deferred).
 */
static void aw_test_wq_wake_atomic(struct kunit *test)
{
	const enum aw_wq_ctx *ctx = test->param_value;
	struct aw_wq_wake *s = aw_wq_alloc(test);

	aw_wq_wake_in(test, s, *ctx);
	aw_wq_check(test, s);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	KUNIT_EXPECT_EQ_MSG(test, s->wakes_at_return, 1,
			    "not woken in place, before wake() returned");
	KUNIT_EXPECT_FALSE(test, s->busy_at_return);
	KUNIT_EXPECT_EQ(test, s->woken_in_hardirq, *ctx == AW_WQ_HARDIRQ);
}

/*
 * PREEMPT_RT: from an atomic context the wake goes through the irq_work:
 * nobody woken yet when wake() returns, the irq_work pending, and the
 * waiter woken later, once, outside the hard IRQ.
 */
static void aw_test_wq_wake_deferred(struct kunit *test)
{
	const enum aw_wq_ctx *ctx = test->param_value;
	struct aw_wq_wake *s;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test,
			   "not PREEMPT_RT: a wait queue is always woken in place");
	s = aw_wq_alloc(test);
	aw_wq_wake_in(test, s, *ctx);
	aw_wq_check(test, s);
	KUNIT_EXPECT_EQ_MSG(test, s->wakes_at_return, 0,
			    "woken in place, where the wait queue lock sleeps");
	KUNIT_EXPECT_TRUE_MSG(test, s->busy_at_return,
			      "the irq_work was not queued");
	KUNIT_EXPECT_FALSE(test, s->woken_in_hardirq);
}

#define AW_WQ_TEARDOWN_ROUNDS	10

/* A queue woken from a hard IRQ, freed right after the sync: its wakes. */
static int aw_wq_teardown_round(struct kunit *test, bool *pending)
{
	struct aw_wq_wake *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int wakes;

	KUNIT_ASSERT_NOT_NULL(test, s);
	aw_wq_init(test, s);
	aw_hrtimer_start(test, &s->hrt, aw_wq_hrtimer_fn,
			 HRTIMER_MODE_REL_HARD);
	wait_for_completion_timeout(&s->fired, AW_TIMEOUT);
	/* hrtimer_cancel(): its callback has returned */
	kunit_release_action(test, aw_hrtimer_cancel_action, &s->hrt);
	*pending = s->busy_at_return;
	atomic_waker_wait_queue_sync(&s->wq);
	wakes = atomic_read(&s->wakes);
	remove_wait_queue(&s->wq.head, &s->wqe);
	kfree(s);
	return wakes;
}

/*
 * Teardown: a queue woken from a hard IRQ is freed right after
 * atomic_waker_wait_queue_sync(), while (under PREEMPT_RT) its deferred
 * wake was pending when the hard IRQ returned: the sync waits for it, so
 * nothing touches the freed queue (KASAN, or ASan in user space), and the
 * waiter was woken once before the free.
 */
static void aw_test_wq_sync_teardown(struct kunit *test)
{
	int i, unwoken = 0, pending = 0;
	bool p;

	for (i = 0; i < AW_WQ_TEARDOWN_ROUNDS; i++) {
		unwoken += aw_wq_teardown_round(test, &p) != 1;
		pending += p;
	}
	KUNIT_EXPECT_EQ(test, unwoken, 0);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		KUNIT_EXPECT_EQ_MSG(test, pending, AW_WQ_TEARDOWN_ROUNDS,
				    "no deferred wake was pending");
	else
		KUNIT_EXPECT_EQ(test, pending, 0);
}

static struct kunit_case aw_wait_queue_cases[] = {
	KUNIT_CASE(aw_test_wq_wake_in_place),
	KUNIT_CASE_PARAM(aw_test_wq_wake_atomic, aw_wq_ctx_gen_params),
	KUNIT_CASE_PARAM(aw_test_wq_wake_deferred, aw_wq_ctx_gen_params),
	KUNIT_CASE(aw_test_wq_sync_teardown),
	{}
};

static struct kunit_suite aw_wait_queue_suite = {
	.name = "atomic_waker_wait_queue",
	.test_cases = aw_wait_queue_cases,
};

kunit_test_suites(&aw_wait_queue_suite);
