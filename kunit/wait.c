// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker_wait: the wait_event
 * helpers, and what a second consumer meets when a task sleeps in them.
 */

#include <linux/refcount.h>
#include <linux/signal.h>

#include "aw_kunit.h"

enum aw_wait_kind { AW_WAIT_PLAIN, AW_WAIT_INTERRUPTIBLE, AW_WAIT_KILLABLE };

/*
 * The untimed helpers, woken by a kthread producer.  The rescue timer makes
 * the wait end even if no wake comes; a rescued wait is a failure.
 */
static void aw_wait_woken(struct kunit *test, enum aw_wait_kind kind)
{
	unsigned int usage = refcount_read(&current->usage);
	struct aw_prod *p = aw_prod_start(test, AW_PROD_KTHREAD);
	int ret = 0;

	aw_prod_arm_rescue(p);
	switch (kind) {
	case AW_WAIT_PLAIN:
		atomic_waker_wait_event(&p->aw, aw_prod_over(p));
		break;
	case AW_WAIT_INTERRUPTIBLE:
		ret = atomic_waker_wait_event_interruptible(&p->aw,
							    aw_prod_over(p));
		break;
	case AW_WAIT_KILLABLE:
		ret = atomic_waker_wait_event_killable(&p->aw, aw_prod_over(p));
		break;
	}
	aw_prod_stop(test, p);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE_MSG(test, p->rescued, "never woken");
	KUNIT_EXPECT_TRUE(test, p->woke);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&p->aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

static void aw_test_wait_event_woken(struct kunit *test)
{
	aw_wait_woken(test, AW_WAIT_PLAIN);
}

static void aw_test_wait_interruptible_woken(struct kunit *test)
{
	aw_wait_woken(test, AW_WAIT_INTERRUPTIBLE);
}

static void aw_test_wait_killable_woken(struct kunit *test)
{
	aw_wait_woken(test, AW_WAIT_KILLABLE);
}

/* The condition of aw_test_wait_cond_true(): is current registered? */
static bool aw_cond_reg(struct atomic_waker *aw, int *tests)
{
	(*tests)++;
	return atomic_long_read(&aw->slot) == aw_sleeper_word(current);
}

/*
 * A condition already true: return at once, leaving nothing registered.
 * The helpers test it only with current registered, so that a wake()
 * between a test and the registration cannot be lost: here, once.
 */
static void aw_test_wait_cond_true(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	int t[4] = { }, ret[3];
	long left;

	atomic_waker_wait_event(&aw, aw_cond_reg(&aw, &t[0]));
	ret[0] = atomic_waker_wait_event_interruptible(&aw,
						       aw_cond_reg(&aw, &t[1]));
	ret[1] = atomic_waker_wait_event_killable(&aw,
						  aw_cond_reg(&aw, &t[2]));
	left = atomic_waker_wait_event_timeout(&aw, aw_cond_reg(&aw, &t[3]),
					       10);
	ret[2] = atomic_waker_is_registered(&aw);

	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, left, 10);
	KUNIT_EXPECT_EQ_MSG(test, t[0] + t[1] + t[2] + t[3], 4,
			    "tested before current was registered");
	KUNIT_EXPECT_FALSE(test, ret[2]);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

/* wait_event_timeout, condition true: the whole timeout, and 1 for 0. */
static void aw_test_wait_timeout_cond_true(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	int one = 1;
	long left;

	left = atomic_waker_wait_event_timeout(&aw, READ_ONCE(one), 100);
	KUNIT_EXPECT_EQ(test, left, 100);
	left = atomic_waker_wait_event_timeout(&aw, READ_ONCE(one), 0);
	KUNIT_EXPECT_EQ(test, left, 1);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
}

/* wait_event_timeout, nobody wakes: 0 after the timeout, slot left empty. */
static void aw_test_wait_timeout_expires(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	long timeout = msecs_to_jiffies(30);
	unsigned long start = jiffies;
	int zero = 0;
	long left;

	left = atomic_waker_wait_event_timeout(&aw, READ_ONCE(zero), timeout);

	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_GE(test, (long)(jiffies - start), timeout);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

/* wait_event_timeout, woken in time: the jiffies left, at least 1. */
static void aw_test_wait_timeout_woken(struct kunit *test)
{
	unsigned int usage = refcount_read(&current->usage);
	struct aw_prod *p = aw_prod_start(test, AW_PROD_KTHREAD);
	long left;

	left = atomic_waker_wait_event_timeout(&p->aw, READ_ONCE(p->done),
					       AW_TIMEOUT);
	aw_prod_stop(test, p);

	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_LE(test, left, AW_TIMEOUT);
	KUNIT_EXPECT_TRUE(test, p->woke);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&p->aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

struct aw_sig_test {
	struct atomic_waker aw;
	bool killable;
	int ret;
	struct completion returned;
};

static int aw_sig_waiter(void *arg)
{
	struct aw_sig_test *s = arg;
	int ret;

	/* kthreads ignore signals unless they allow them. */
	allow_signal(SIGUSR1);
	allow_signal(SIGKILL);
	if (s->killable)
		ret = atomic_waker_wait_event_killable(&s->aw,
						       kthread_should_stop());
	else
		ret = atomic_waker_wait_event_interruptible(&s->aw,
							    kthread_should_stop());
	s->ret = ret;
	complete(&s->returned);
	return 0;
}

static struct aw_sig_test *aw_sig_start(struct kunit *test, bool killable,
					struct task_struct **t)
{
	struct aw_sig_test *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	init_completion(&s->returned);
	s->killable = killable;
	*t = aw_kthread_start(test, aw_sig_waiter, s, "sig");
	KUNIT_ASSERT_TRUE(test, aw_poll(atomic_waker_is_registered(&s->aw)));
	return s;
}

/* The interruptible helper returns -ERESTARTSYS on a signal. */
static void aw_test_wait_interruptible_signal(struct kunit *test)
{
	struct task_struct *t;
	struct aw_sig_test *s = aw_sig_start(test, false, &t);

	send_sig(SIGUSR1, t, 1);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&s->returned,
							  AW_TIMEOUT), 0);
	aw_kthread_stop(test, t);
	KUNIT_EXPECT_EQ(test, s->ret, -ERESTARTSYS);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&s->aw));
}

/* The killable helper sleeps through SIGUSR1 and returns on SIGKILL. */
static void aw_test_wait_killable_signal(struct kunit *test)
{
	struct task_struct *t;
	struct aw_sig_test *s = aw_sig_start(test, true, &t);
	unsigned long left;

	send_sig(SIGUSR1, t, 1);
	left = wait_for_completion_timeout(&s->returned, msecs_to_jiffies(100));
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&s->aw));

	send_sig(SIGKILL, t, 1);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&s->returned,
							  AW_TIMEOUT), 0);
	aw_kthread_stop(test, t);
	KUNIT_EXPECT_EQ(test, s->ret, -ERESTARTSYS);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&s->aw));
}

/* A kthread asleep in atomic_waker_wait_event_timeout() on @aw. */
struct aw_sleeping {
	struct atomic_waker aw;
	int cond;
	long left;		/* what its wait returned */
	struct task_struct *task;
	struct completion returned;
};

static int aw_sleeping_fn(void *arg)
{
	struct aw_sleeping *s = arg;

	s->left = atomic_waker_wait_event_timeout(&s->aw,
						  READ_ONCE(s->cond) ||
						  kthread_should_stop(),
						  AW_TIMEOUT);
	complete(&s->returned);
	return 0;
}

static struct aw_sleeping *aw_sleeping_start(struct kunit *test)
{
	struct aw_sleeping *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	init_completion(&s->returned);
	s->task = aw_kthread_start(test, aw_sleeping_fn, s, "sleeping");
	KUNIT_ASSERT_TRUE(test, aw_poll(atomic_long_read(&s->aw.slot) ==
					aw_sleeper_word(s->task) &&
					aw_task_asleep(s->task)));
	return s;
}

/* The sleeper is still registered, and its wake() is not lost. */
static void aw_sleeping_end(struct kunit *test, struct aw_sleeping *s)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->aw.slot),
			aw_sleeper_word(s->task));
	WRITE_ONCE(s->cond, 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw));
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&s->returned,
							  AW_TIMEOUT), 0);
	aw_kthread_stop(test, s->task);
	KUNIT_EXPECT_GT_MSG(test, s->left, 0, "the sleeper timed out");
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&s->aw));
}

/*
 * A second consumer registers while a task sleeps in the wait_event
 * helpers: -EBUSY and a warning, not a replaced sleeper that nothing would
 * wake.  Nothing is got or put; the sleeper stays, and is woken.
 */
static void aw_test_register_over_waiting_task(struct kunit *test)
{
	struct aw_sleeping *s = aw_sleeping_start(test);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target wc = aw_count_waker(&c);
	unsigned int usage = refcount_read(&s->task->usage);

	KUNIT_EXPECT_EQ(test, AW_MISUSE(test, atomic_waker_register(&s->aw, wc)),
			-EBUSY);
	AW_EXPECT_COUNT(test, &c, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&s->task->usage), usage);
	aw_sleeping_end(test, s);
}

/*
 * A second waiter's prepare_wait() over a sleeping one: -EBUSY inside, a
 * warning, and the second waiter is left running, so that its wait loop
 * tests its condition again rather than sleep unregistered.  Its
 * finish_wait() leaves the first sleeper in the slot.
 */
static void aw_test_prepare_wait_over_waiting_task(struct kunit *test)
{
	struct aw_sleeping *s = aw_sleeping_start(test);
	unsigned int state;
	int ret;

	ret = AW_MISUSE(test, atomic_waker_prepare_wait(&s->aw,
							TASK_UNINTERRUPTIBLE));
	state = READ_ONCE(current->__state);
	atomic_waker_finish_wait(&s->aw);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, state, TASK_RUNNING,
			    "left asleep with nothing to wake it");
	aw_sleeping_end(test, s);
}

static struct kunit_case aw_wait_cases[] = {
	KUNIT_CASE(aw_test_wait_event_woken),
	KUNIT_CASE(aw_test_wait_interruptible_woken),
	KUNIT_CASE(aw_test_wait_killable_woken),
	KUNIT_CASE(aw_test_wait_cond_true),
	KUNIT_CASE(aw_test_wait_timeout_cond_true),
	KUNIT_CASE(aw_test_wait_timeout_expires),
	KUNIT_CASE(aw_test_wait_timeout_woken),
	KUNIT_CASE(aw_test_wait_interruptible_signal),
	KUNIT_CASE(aw_test_wait_killable_signal),
	KUNIT_CASE(aw_test_register_over_waiting_task),
	KUNIT_CASE(aw_test_prepare_wait_over_waiting_task),
	{}
};

static struct kunit_suite aw_wait_suite = {
	.name = "atomic_waker_wait",
	.test_cases = aw_wait_cases,
};

kunit_test_suites(&aw_wait_suite);
