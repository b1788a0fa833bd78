// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker_misuse: what two
 * consumers on one atomic_waker get, which the contract forbids (register
 * is "S": serialized) but atomic_waker must survive: -EBUSY and one warning
 * per refused call, no reference lost, no task left in the slot.
 */

#include <linux/delay.h>
#include <linux/sched.h>

#include "aw_kunit.h"

/* How long the threads of a case race. */
#define AW_MISUSE_RUN_MS	300

/* Let the test thread sleep while the kthreads race, then stop them. */
static void aw_misuse_run(bool *stop)
{
	msleep(AW_MISUSE_RUN_MS);
	WRITE_ONCE(*stop, true);
}

struct aw_cr_registrant {
	struct aw_cr *cr;
	struct aw_count c;
	int ok, busy, bad;	/* what its register() calls returned */
};

struct aw_cr {
	struct atomic_waker aw;
	struct aw_cr_registrant reg[2];
	bool stop;
};

/* register() calls get in its window: dawdle there, so that races happen. */
static void aw_cr_get(struct atomic_waker_callback *cb)
{
	aw_count_get(cb);
	aw_jitter(64);
}

static const struct atomic_waker_callback_ops aw_cr_ops = {
	.wake	= aw_count_wake,
	.get	= aw_cr_get,
	.put	= aw_count_put,
};

static int aw_cr_register_fn(void *arg)
{
	struct aw_cr_registrant *r = arg;
	int n, ret;

	for (n = 0; !READ_ONCE(r->cr->stop) && !kthread_should_stop(); n++) {
		ret = atomic_waker_register(&r->cr->aw, aw_count_waker(&r->c));
		if (!ret)
			r->ok++;
		else if (ret == -EBUSY)
			r->busy++;
		else
			r->bad++;
		if (n % 64 == 0)
			cond_resched();
	}
	return 0;
}

static int aw_cr_wake_fn(void *arg)
{
	struct aw_cr *cr = arg;
	int n;

	for (n = 0; !READ_ONCE(cr->stop) && !kthread_should_stop(); n++) {
		atomic_waker_wake(&cr->aw);
		if (n % 64 == 0)
			cond_resched();
	}
	return 0;
}

/*
 * Two registrants and two wakers, free-running: each register() returns 0
 * or -EBUSY, each -EBUSY warned once, and every reference taken is put.
 */
static void aw_test_concurrent_register(struct kunit *test)
{
	struct aw_cr *cr = kunit_kzalloc(test, sizeof(*cr), GFP_KERNEL);
	struct task_struct *t[4];
	unsigned long snap;
	int i, busy = 0;

	KUNIT_ASSERT_NOT_NULL(test, cr);
	atomic_waker_init(&cr->aw);
	snap = aw_misuse_begin(test, 1);
	for (i = 0; i < 2; i++) {
		cr->reg[i].cr = cr;
		aw_count_init(&cr->reg[i].c, &aw_cr_ops);
		t[i] = aw_kthread_start(test, aw_cr_register_fn, &cr->reg[i],
					"register");
		t[2 + i] = aw_kthread_start(test, aw_cr_wake_fn, cr, "wake");
	}
	aw_misuse_run(&cr->stop);
	for (i = 0; i < 4; i++)
		aw_kthread_stop(test, t[i]);
	atomic_waker_destroy(&cr->aw);

	for (i = 0; i < 2; i++) {
		struct aw_cr_registrant *r = &cr->reg[i];

		busy += r->busy;
		KUNIT_EXPECT_EQ(test, r->bad, 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&r->c.gets),
				atomic_read(&r->c.puts));
		kunit_info(test, "registrant %d: %d stored, %d -EBUSY, %d woken\n",
			   i, r->ok, r->busy, atomic_read(&r->c.wakes));
	}
	aw_misuse_end(test, snap, busy);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&cr->aw));
}

struct aw_fw {
	struct atomic_waker aw;
	struct aw_count c;
	bool stop;
	/* the sleeper's counts */
	int waits;		/* prepare_wait()/finish_wait() pairs */
	int stale;		/* itself still in the slot after finish_wait() */
	int running;		/* left running by prepare_wait() */
	/* the registrant's */
	int busy;		/* -EBUSY: a sleeper in the slot, or a race */
	int stored;
};

/*
 * A consumer's wait loop that never sleeps, against a second consumer.
 * prepare_wait() leaves the task running when its register() got -EBUSY
 * inside, or when the registrant's wake() woke it at once.
 */
static int aw_fw_sleeper_fn(void *arg)
{
	struct aw_fw *fw = arg;
	unsigned long me = aw_sleeper_word(current);

	while (!READ_ONCE(fw->stop) && !kthread_should_stop()) {
		atomic_waker_prepare_wait(&fw->aw, TASK_UNINTERRUPTIBLE);
		fw->running += READ_ONCE(current->__state) == TASK_RUNNING;
		atomic_waker_finish_wait(&fw->aw);
		/* Nothing may reach the task through the slot after this. */
		fw->stale += atomic_long_read(&fw->aw.slot) == me;
		if (++fw->waits % 64 == 0)
			cond_resched();
	}
	return 0;
}

/* Registers over the sleeper, and wakes now and then. */
static int aw_fw_register_fn(void *arg)
{
	struct aw_fw *fw = arg;
	int n, ret;

	for (n = 0; !READ_ONCE(fw->stop) && !kthread_should_stop(); n++) {
		ret = atomic_waker_register(&fw->aw, aw_count_waker(&fw->c));
		fw->busy += ret == -EBUSY;
		fw->stored += !ret;
		if (n % 16 == 0)
			atomic_waker_wake(&fw->aw);
		if (n % 64 == 0)
			cond_resched();
	}
	return 0;
}

/*
 * A task looping prepare_wait()/finish_wait() against a second registrant:
 * a register() over the sleeper is refused (-EBUSY, warned), not stored
 * where finish_wait() would leave it or the sleeper would be lost; the
 * sleeper is never left in the slot after finish_wait(); the registrant's
 * target is never lost (gets == puts).  A prepare_wait() that meets the
 * registrant's racing cmpxchg warns too, and leaves the task running.
 */
static void aw_test_finish_wait_vs_register(struct kunit *test)
{
	struct aw_fw *fw = kunit_kzalloc(test, sizeof(*fw), GFP_KERNEL);
	struct task_struct *ts, *tr;
	unsigned long snap;

	KUNIT_ASSERT_NOT_NULL(test, fw);
	atomic_waker_init(&fw->aw);
	aw_count_init(&fw->c, &aw_count_ops);
	snap = aw_misuse_begin(test, 2);
	ts = aw_kthread_start(test, aw_fw_sleeper_fn, fw, "sleeper");
	tr = aw_kthread_start(test, aw_fw_register_fn, fw, "register");
	aw_misuse_run(&fw->stop);
	aw_kthread_stop(test, ts);
	aw_kthread_stop(test, tr);
	atomic_waker_destroy(&fw->aw);

	/* Each refused register() warned; so did each refused wait. */
	aw_misuse_end_range(test, snap, fw->busy, fw->busy + fw->running);
	KUNIT_EXPECT_EQ(test, fw->stale, 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&fw->c.gets),
			    atomic_read(&fw->c.puts), "a target lost");
	KUNIT_EXPECT_GT(test, fw->waits, 0);
	kunit_info(test, "%d waits (%d left running), %d registers stored, %d -EBUSY, %d woken\n",
		   fw->waits, fw->running, fw->stored, fw->busy,
		   atomic_read(&fw->c.wakes));
}

static struct kunit_case aw_misuse_cases[] = {
	KUNIT_CASE(aw_test_concurrent_register),
	KUNIT_CASE(aw_test_finish_wait_vs_register),
	{}
};

static struct kunit_suite aw_misuse_suite = {
	.name = "atomic_waker_misuse",
	.test_cases = aw_misuse_cases,
};

kunit_test_suites(&aw_misuse_suite);
