// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker_context: each kind of
 * target, and the contexts wake() and register() run in.
 */

#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/wait.h>

#include "aw_kunit.h"

struct aw_kthread_basic {
	struct atomic_waker aw;
	int woken;		/* the condition */
	int pending;		/* the kthread registered and found no condition */
	int polls;		/* times the kthread went to sleep */
	bool timed_out;
	bool finished;		/* it left its loop */
};

static int aw_basic_consumer(void *arg)
{
	struct aw_kthread_basic *s = arg;

	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		atomic_waker_register(&s->aw,
				      atomic_waker_target_task(current));
		if (READ_ONCE(s->woken) || kthread_should_stop())
			break;
		s->polls++;
		WRITE_ONCE(s->pending, 1);
		if (!schedule_timeout(AW_TIMEOUT)) {
			s->timed_out = true;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(s->finished, true);
	return 0;
}

/*
 * futures basic: a kthread registers its task and sleeps; another thread
 * sets the condition and wakes; the kthread is woken once and sees it.
 */
static void aw_test_futures_basic(struct kunit *test)
{
	struct aw_kthread_basic *s = kunit_kzalloc(test, sizeof(*s),
						   GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	t = aw_kthread_start(test, aw_basic_consumer, s, "basic");
	KUNIT_ASSERT_TRUE(test, aw_poll(READ_ONCE(s->pending)));

	WRITE_ONCE(s->woken, 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw));
	/* Not kthread_stop() first: its wakeup would hide a lost one. */
	KUNIT_EXPECT_TRUE(test, aw_poll(READ_ONCE(s->finished)));
	aw_kthread_stop(test, t);

	KUNIT_EXPECT_FALSE(test, s->timed_out);
	KUNIT_EXPECT_EQ(test, s->polls, 1);
	/* It registered once more before it saw the condition. */
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&s->aw));
	atomic_waker_destroy(&s->aw);
}

/*
 * A task target keeps an exiting task alive: the kthread registers and
 * exits, and the slot's reference is the one wake() drops.
 */
static int aw_register_and_exit(void *arg)
{
	return atomic_waker_register(arg, atomic_waker_target_task(current));
}

static void aw_test_task_exits_registered(struct kunit *test)
{
	struct atomic_waker *aw = kunit_kzalloc(test, sizeof(*aw), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, aw);
	atomic_waker_init(aw);
	t = kthread_create(aw_register_and_exit, aw, "aw_kunit_exit");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wake_up_process(t);
	/* A kthread stopped before it runs never calls its function. */
	KUNIT_EXPECT_TRUE(test, aw_poll(atomic_waker_is_registered(aw)));
	KUNIT_EXPECT_EQ(test, kthread_stop(t), 0);

	/*
	 * Once the exit path's own puts (one deferred through RCU) are done,
	 * two references remain: ours and the slot's.
	 */
	KUNIT_EXPECT_TRUE(test, aw_poll((rcu_barrier(),
					 refcount_read(&t->usage) <= 2)));
	KUNIT_EXPECT_EQ(test, refcount_read(&t->usage), 2);
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(aw));
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&t->usage), 1);
	put_task_struct(t);
}

struct aw_wq_test {
	struct atomic_waker aw;
	struct atomic_waker_wait_queue wq;
	struct task_struct *consumer;
	int done;
	bool woke;
	bool saw_sleeper;
};

static int aw_wq_producer(void *arg)
{
	struct aw_wq_test *s = arg;

	s->saw_sleeper = aw_poll((wq_has_sleeper(&s->wq.head) &&
				  aw_task_asleep(s->consumer)) ||
				 kthread_should_stop());
	WRITE_ONCE(s->done, 1);
	s->woke = atomic_waker_wake(&s->aw);
	return 0;
}

/* A wait queue target: a wait_event() sleeping on the queue returns. */
static void aw_test_wait_queue_waker(struct kunit *test)
{
	struct aw_wq_test *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *t;
	long left;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	atomic_waker_wait_queue_init(&s->wq);
	s->consumer = current;
	ret = atomic_waker_register(&s->aw,
				    atomic_waker_target_wait_queue(&s->wq));
	KUNIT_EXPECT_EQ(test, ret, 0);

	t = aw_kthread_start(test, aw_wq_producer, s, "wq");
	left = wait_event_timeout(s->wq.head, READ_ONCE(s->done), AW_TIMEOUT);
	aw_kthread_stop(test, t);
	atomic_waker_wait_queue_sync(&s->wq);

	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_TRUE(test, s->saw_sleeper);
	KUNIT_EXPECT_TRUE(test, s->woke);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&s->aw));
}

struct aw_work_test {
	struct atomic_waker aw;
	struct work_struct work;
	struct completion ran;
};

static void aw_work_fn(struct work_struct *w)
{
	complete(&container_of(w, struct aw_work_test, work)->ran);
}

/* A work target: registering does not queue it, waking does. */
static void aw_test_work_waker(struct kunit *test)
{
	struct aw_work_test *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	INIT_WORK(&s->work, aw_work_fn);
	init_completion(&s->ran);
	ret = kunit_add_action_or_reset(test, aw_work_cancel_action, &s->work);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = atomic_waker_register(&s->aw,
				    atomic_waker_target_work(&s->work));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, work_pending(&s->work));
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw));
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&s->ran, AW_TIMEOUT),
			0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&s->aw));

	/* Replaced or destroyed, a work target is not queued. */
	reinit_completion(&s->ran);
	atomic_waker_register(&s->aw, atomic_waker_target_work(&s->work));
	atomic_waker_destroy(&s->aw);
	KUNIT_EXPECT_FALSE(test, work_pending(&s->work));
	KUNIT_EXPECT_FALSE(test, completion_done(&s->ran));
}

/*
 * The consumer, the test thread, sleeps in atomic_waker_wait_event_timeout()
 * until a producer of @kind wakes it; check it was woken, not timed out,
 * and left nothing registered.
 */
static struct aw_prod *aw_woken_by(struct kunit *test, enum aw_prod_kind kind)
{
	unsigned int usage = refcount_read(&current->usage);
	struct aw_prod *p = aw_prod_start(test, kind);
	long left;

	left = atomic_waker_wait_event_timeout(&p->aw, READ_ONCE(p->done),
					       AW_TIMEOUT);
	aw_prod_stop(test, p);

	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_TRUE(test, p->fired);
	KUNIT_EXPECT_TRUE_MSG(test, p->woke, "wake() found nobody to wake");
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&p->aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
	return p;
}

/* Wake from a hard-IRQ hrtimer to the sleeping test kthread. */
static void aw_test_wake_from_hardirq(struct kunit *test)
{
	struct aw_prod *p = aw_woken_by(test, AW_PROD_HARDIRQ);

	KUNIT_EXPECT_TRUE(test, p->hardirq);
}

/* Wake from a softirq: an hrtimer in soft mode. */
static void aw_test_wake_from_softirq(struct kunit *test)
{
	struct aw_prod *p = aw_woken_by(test, AW_PROD_SOFTIRQ);

	KUNIT_EXPECT_TRUE(test, p->softirq);
	KUNIT_EXPECT_FALSE(test, p->hardirq);
}

/* Wake from a timer_list callback, in the timer softirq. */
static void aw_test_wake_from_timer(struct kunit *test)
{
	struct aw_prod *p = aw_woken_by(test, AW_PROD_TIMER);

	KUNIT_EXPECT_TRUE(test, p->softirq);
}

/* Wake from a work item, in process context. */
static void aw_test_wake_from_work(struct kunit *test)
{
	struct aw_prod *p = aw_woken_by(test, AW_PROD_WORK);

	KUNIT_EXPECT_TRUE(test, p->task);
}

struct aw_irq_register {
	struct hrtimer hrt;
	struct atomic_waker aw, aw_task;
	struct aw_count a, b;
	struct task_struct *tsk;
	int ret_a, ret_b, ret_task;
	bool hardirq;
	struct completion fired;
};

static enum hrtimer_restart aw_irq_register_fn(struct hrtimer *t)
{
	struct aw_irq_register *s = container_of(t, struct aw_irq_register,
						 hrt);

	s->hardirq = in_hardirq();
	s->ret_a = atomic_waker_register(&s->aw, aw_count_waker(&s->a));
	/* Replacing puts @a here, in hard IRQ. */
	s->ret_b = atomic_waker_register(&s->aw, aw_count_waker(&s->b));
	s->ret_task = atomic_waker_register(&s->aw_task,
					    atomic_waker_target_task(s->tsk));
	complete(&s->fired);
	return HRTIMER_NORESTART;
}

/* register() from a hard-IRQ hrtimer: callback and task targets. */
static void aw_test_register_from_hardirq(struct kunit *test)
{
	struct aw_irq_register *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int usage = refcount_read(&current->usage);

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	atomic_waker_init(&s->aw_task);
	aw_count_init(&s->a, &aw_count_ops);
	aw_count_init(&s->b, &aw_count_ops);
	init_completion(&s->fired);
	s->tsk = current;
	aw_hrtimer_start(test, &s->hrt, aw_irq_register_fn,
			 HRTIMER_MODE_REL_HARD);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&s->fired,
							  AW_TIMEOUT), 0);
	kunit_release_action(test, aw_hrtimer_cancel_action, &s->hrt);

	KUNIT_EXPECT_TRUE(test, s->hardirq);
	KUNIT_EXPECT_EQ(test, s->ret_a, 0);
	KUNIT_EXPECT_EQ(test, s->ret_b, 0);
	KUNIT_EXPECT_EQ(test, s->ret_task, 0);
	AW_EXPECT_COUNT(test, &s->a, 1, 1, 0);
	AW_EXPECT_COUNT(test, &s->b, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage + 1);

	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw));
	AW_EXPECT_COUNT(test, &s->b, 1, 1, 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw_task));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

static struct kunit_case aw_context_cases[] = {
	KUNIT_CASE(aw_test_futures_basic),
	KUNIT_CASE(aw_test_task_exits_registered),
	KUNIT_CASE(aw_test_wait_queue_waker),
	KUNIT_CASE(aw_test_work_waker),
	KUNIT_CASE(aw_test_wake_from_hardirq),
	KUNIT_CASE(aw_test_wake_from_softirq),
	KUNIT_CASE(aw_test_wake_from_timer),
	KUNIT_CASE(aw_test_wake_from_work),
	KUNIT_CASE(aw_test_register_from_hardirq),
	{}
};

static struct kunit_suite aw_context_suite = {
	.name = "atomic_waker_context",
	.test_cases = aw_context_cases,
};

kunit_test_suites(&aw_context_suite);
