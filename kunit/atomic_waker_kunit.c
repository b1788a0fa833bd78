// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker.
 *
 * Four suites: the API contract checked from one thread (atomic_waker), the
 * waker kinds and the contexts they are woken from (atomic_waker_context),
 * the wait_event helpers (atomic_waker_wait), and races between threads,
 * ported from the futures, tokio, spmc-waker, embassy and maitake tests
 * (atomic_waker_race).
 *
 * Rules this file keeps, because breaking them hides failures:
 *  - KUNIT_* only in the test thread: helper kthreads, timers and IRQ
 *    handlers count what went wrong in plain fields or atomic_t, and the test
 *    thread checks the counts once the helper is stopped.
 *  - Every wait is bounded (AW_TIMEOUT), so a broken atomic_waker fails a
 *    case rather than hanging the suite.
 *  - Every timer, work item and kthread is stopped by a kunit action, so a
 *    case that fails early does not leave one running into freed memory.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"

/* The bound of every wait for something that should happen promptly. */
#define AW_TIMEOUT		(5 * HZ)

/* ---- a counting waker --------------------------------------------------- */

/*
 * A callback waker that counts what atomic_waker does to it.  The ops are
 * set by AW_COUNT_INIT or aw_count_init(); the waker is &cb.
 */
struct aw_count {
	struct atomic_waker_callback cb;
	atomic_t gets;
	atomic_t puts;
	atomic_t wakes;
};

static struct aw_count *to_aw_count(struct atomic_waker_callback *cb)
{
	return container_of(cb, struct aw_count, cb);
}

static void aw_count_wake(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->wakes);
}

static void aw_count_get(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->gets);
}

static void aw_count_put(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->puts);
}

static const struct atomic_waker_callback_ops aw_count_ops = {
	.wake	= aw_count_wake,
	.get	= aw_count_get,
	.put	= aw_count_put,
};

/* The same counter without lifetime hooks: get and put are optional. */
static const struct atomic_waker_callback_ops aw_count_wake_only_ops = {
	.wake	= aw_count_wake,
};

#define AW_COUNT_INIT	{ .cb.ops = &aw_count_ops }

static struct atomic_waker_target aw_count_waker(struct aw_count *c)
{
	return atomic_waker_target_callback(&c->cb);
}

static void aw_count_reset(struct aw_count *c)
{
	atomic_set(&c->gets, 0);
	atomic_set(&c->puts, 0);
	atomic_set(&c->wakes, 0);
}

/* For a counter in allocated memory: set its ops, zero its counts. */
static void aw_count_init(struct aw_count *c,
			  const struct atomic_waker_callback_ops *ops)
{
	c->cb.ops = ops;
	aw_count_reset(c);
}

/* A macro, so that a failure names the line of the case, not of a helper. */
#define AW_EXPECT_COUNT(test, c, g, p, w)				\
do {									\
	struct kunit *__test = (test);					\
	struct aw_count *__c = (c);					\
									\
	KUNIT_EXPECT_EQ_MSG(__test, atomic_read(&__c->gets), g, "gets");\
	KUNIT_EXPECT_EQ_MSG(__test, atomic_read(&__c->puts), p, "puts");\
	KUNIT_EXPECT_EQ_MSG(__test, atomic_read(&__c->wakes), w, "wakes");\
} while (0)

/* ---- a waker that races with its own register() ------------------------ */

/*
 * register() takes its waker's reference (the get hook) between its peek
 * at the slot and its cmpxchg: the window in which a call on another CPU
 * races with it.  A racer is a counted waker whose get hook makes one such
 * call, @race, on @aw, so that each race happens on every run, in one
 * thread.  Hooks must not sleep: the outcome is kept for the test to check.
 */
struct aw_racer {
	struct aw_count c;
	struct atomic_waker *aw;
	int (*race)(struct aw_racer *r);	/* made by the next get only */
	struct atomic_waker_target other;		/* what aw_in_get_register() registers */
	struct atomic_waker_target taken;		/* what aw_in_get_take() took */
	int raced;			/* races made */
	int ret;			/* what the last one returned */
};

static void aw_racer_get(struct atomic_waker_callback *cb)
{
	struct aw_racer *r = container_of(cb, struct aw_racer, c.cb);
	int (*race)(struct aw_racer *r) = r->race;

	aw_count_get(cb);
	if (!race)
		return;
	r->race = NULL;		/* before it runs: it may register us again */
	r->raced++;
	r->ret = race(r);
}

static const struct atomic_waker_callback_ops aw_racer_ops = {
	.wake	= aw_count_wake,
	.get	= aw_racer_get,
	.put	= aw_count_put,
};

#define AW_RACER_INIT(_aw, _race)					\
	{ .c.cb.ops = &aw_racer_ops, .aw = (_aw), .race = (_race) }

static struct atomic_waker_target aw_racer_waker(struct aw_racer *r)
{
	return atomic_waker_target_callback(&r->c.cb);
}

/* Another registrant stores its waker first. */
static int aw_in_get_register(struct aw_racer *r)
{
	return atomic_waker_register(r->aw, r->other);
}

/* A producer takes and wakes the waker the registrant peeked at. */
static int aw_in_get_wake(struct aw_racer *r)
{
	return atomic_waker_wake(r->aw);
}

/* A taker takes the waker the registrant peeked at, and keeps it. */
static int aw_in_get_take(struct aw_racer *r)
{
	return atomic_waker_take(r->aw, &r->taken);
}

/* ---- kthreads, timers and work, stopped by kunit actions ---------------- */

KUNIT_DEFINE_ACTION_WRAPPER(aw_kthread_stop_action, kthread_stop_put,
			    struct task_struct *);
KUNIT_DEFINE_ACTION_WRAPPER(aw_hrtimer_cancel_action, hrtimer_cancel,
			    struct hrtimer *);
KUNIT_DEFINE_ACTION_WRAPPER(aw_timer_shutdown_action, timer_shutdown_sync,
			    struct timer_list *);
KUNIT_DEFINE_ACTION_WRAPPER(aw_dwork_cancel_action, cancel_delayed_work_sync,
			    struct delayed_work *);
KUNIT_DEFINE_ACTION_WRAPPER(aw_work_cancel_action, cancel_work_sync,
			    struct work_struct *);

/*
 * Start a kthread that the test stops with aw_kthread_stop() or, if the case
 * ends early, the action does.  The extra task reference lets kthread_stop()
 * reap a thread function that already returned.  Thread functions must
 * return on their own or when kthread_should_stop(), after bounded waits.
 */
static struct task_struct *aw_kthread_start_on(struct kunit *test,
					       int (*fn)(void *), void *arg,
					       const char *name, int cpu)
{
	struct task_struct *t;

	t = kthread_create(fn, arg, "aw_kunit_%s", name);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(t), "kthread_create: %ld",
			       PTR_ERR(t));
	if (cpu >= 0)
		kthread_bind(t, cpu);
	get_task_struct(t);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, aw_kthread_stop_action, t),
			0);
	wake_up_process(t);
	return t;
}

static struct task_struct *aw_kthread_start(struct kunit *test,
					    int (*fn)(void *), void *arg,
					    const char *name)
{
	return aw_kthread_start_on(test, fn, arg, name, -1);
}

static void aw_kthread_stop(struct kunit *test, struct task_struct *t)
{
	kunit_release_action(test, aw_kthread_stop_action, t);
}

/* How long a racing thread spins for its partner before it sleeps. */
#define AW_SPINS	20000

/*
 * Wait until @v reaches @want: spin first, to keep two racing threads in
 * step, then sleep so that more threads than CPUs still make progress.
 * The setter is aw_step().  Return: false on timeout or kthread_stop().
 */
static bool aw_wait_step(atomic_t *v, int want)
{
	unsigned int spins = num_online_cpus() > 1 ? AW_SPINS : 0;

	while (atomic_read_acquire(v) < want) {
		if (!spins--)
			return wait_var_event_timeout(v,
					atomic_read_acquire(v) >= want ||
					kthread_should_stop(), AW_TIMEOUT) &&
			       atomic_read_acquire(v) >= want;
		barrier(); /* as in aw_jitter(), no cpu_relax() */
	}
	return true;
}

static void aw_step(atomic_t *v, int val)
{
	atomic_set_release(v, val);
	smp_mb(); /* the store before wake_up_var()'s waitqueue_active() */
	wake_up_var(v);
}

/*
 * Delay a racing side by a random number of spins below @max, so that over
 * the rounds each side starts both before and after the other, and
 * sometimes with it.  The test thread, which starts the round and so runs
 * first, takes the longer delays.
 */
#define AW_JITTER_WORKER	256
#define AW_JITTER_MAIN		4096

static void aw_jitter(unsigned int max)
{
	unsigned int spins = get_random_u32_below(max);

	/* Not cpu_relax(): under QEMU TCG a PAUSE costs microseconds. */
	while (spins--)
		barrier();
}

/* Poll @cond, sleeping between polls, for up to AW_TIMEOUT: is it true? */
#define aw_poll(cond)							\
({									\
	unsigned long __end = jiffies + AW_TIMEOUT;			\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && time_before(jiffies, __end))		\
		usleep_range(100, 200);					\
	__ok;								\
})

/* ---- suite atomic_waker: the contract, from one thread ------------------ */

/* Both initializers give an empty slot: nothing to wake, nothing to take. */
static void aw_test_init_empty(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(sw);
	struct atomic_waker dw;
	struct atomic_waker_target out;

	memset(&dw, 0x5a, sizeof(dw));
	atomic_waker_init(&dw);

	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&sw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&dw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&sw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&dw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_take(&dw, &out));
	KUNIT_EXPECT_EQ(test, out.word, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&dw.slot), 0);
	atomic_waker_destroy(&sw);
	atomic_waker_destroy(&dw);
}

/*
 * An atomic_waker is one word, as a struct rcuwait, so that it fits where
 * one does; a waker too, so that it is passed in a register.
 */
static void aw_test_one_word(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct atomic_waker), sizeof(long));
	KUNIT_EXPECT_EQ(test, sizeof(struct atomic_waker_target), sizeof(long));
}

/* tokio basic_usage: register, wake, woken. */
static void aw_test_basic_usage(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
}

/* tokio wake_without_register: a wake on an empty slot is not remembered. */
static void aw_test_wake_without_register(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;

	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);

	/* The registration stands and the next wake reaches it. */
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* maitake wake_debounce: one registration is woken once. */
static void aw_test_wake_debounce(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* embassy register_same_waker_no_spurious_wakes: re-registering is free. */
static void aw_test_register_same_no_spurious(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	int i;

	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test,
				atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* A new waker replaces the old one, which is released without a wake. */
static void aw_test_register_replaces(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct aw_count c = { .cb.ops = &aw_count_wake_only_ops };

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&a)), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&b)), 0);
	AW_EXPECT_COUNT(test, &a, 1, 1, 0);
	AW_EXPECT_COUNT(test, &b, 1, 0, 0);

	/* A waker without hooks replaces one with them, and the other way. */
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	AW_EXPECT_COUNT(test, &b, 1, 1, 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&a)), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	AW_EXPECT_COUNT(test, &a, 2, 2, 0);

	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &a, 2, 2, 0);
	AW_EXPECT_COUNT(test, &b, 1, 1, 0);
	AW_EXPECT_COUNT(test, &c, 0, 0, 1);
}

/*
 * What is not a waker is refused with -EINVAL, and changes nothing: no
 * hook runs, no task reference is taken, and a waker already in the slot
 * stays there, unreleased.  A sleeper is only ever made by
 * atomic_waker_prepare_wait(), for current, and is not a valid argument.
 */
static void aw_test_register_bad_waker(struct kunit *test)
{
	static const struct atomic_waker_callback_ops no_wake = {
		.get	= aw_count_get,
		.put	= aw_count_put,
	};
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	struct aw_count no_ops = { }, no_wake_fn = { .cb.ops = &no_wake };
	struct aw_count c = AW_COUNT_INIT;
	const struct atomic_waker_target bad[] = {
		(struct atomic_waker_target){ 0 },
		atomic_waker_target_task(NULL),
		atomic_waker_target_wait_queue(NULL),
		atomic_waker_target_work(NULL),
		atomic_waker_target_callback(NULL),
		atomic_waker_target_callback(&no_ops.cb),
		atomic_waker_target_callback(&no_wake_fn.cb),
		{ (unsigned long)current | ATOMIC_WAKER_KIND_SLEEPER },
	};
	struct atomic_waker_target wc = aw_count_waker(&c), out;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_waker_register(&aw, bad[i]),
				    -EINVAL, "bad waker %d", i);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wc), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_waker_register(&aw, bad[i]),
				    -EINVAL, "bad waker %d over a waker", i);
	AW_EXPECT_COUNT(test, &no_wake_fn, 0, 0, 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &wc));
	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* take() hands the waker over unwoken; atomic_waker_target_wake() wakes and puts it. */
static void aw_test_take_then_wake(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target w = aw_count_waker(&c), out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &w));
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&aw));

	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
	KUNIT_EXPECT_EQ(test, out.word, 0);

	/* An emptied waker is inert: no second wake, no second put. */
	atomic_waker_target_wake(&out);
	atomic_waker_target_drop(&out);
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* atomic_waker_target_drop() releases a taken waker without waking it. */
static void aw_test_take_then_drop(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_FALSE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_EQ(test, out.word, 0);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	atomic_waker_target_drop(&out);
	AW_EXPECT_COUNT(test, &c, 2, 1, 0);
	KUNIT_EXPECT_EQ(test, out.word, 0);
	atomic_waker_target_drop(&out);
	AW_EXPECT_COUNT(test, &c, 2, 1, 0);
}

/* is_registered follows the slot through register, wake, take, destroy. */
static void aw_test_is_registered(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target out;

	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	atomic_waker_register(&aw, aw_count_waker(&c));
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&aw));
	atomic_waker_wake(&aw);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	atomic_waker_register(&aw, aw_count_waker(&c));
	atomic_waker_take(&aw, &out);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	atomic_waker_target_drop(&out);
	atomic_waker_register(&aw, aw_count_waker(&c));
	atomic_waker_destroy(&aw);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	AW_EXPECT_COUNT(test, &c, 3, 3, 1);
}

/* destroy() puts the registered waker, does not wake it, and may repeat. */
static void aw_test_destroy_releases(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;

	atomic_waker_destroy(&aw);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);

	/* A destroyed atomic_waker may be used again. */
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 2, 2, 1);
}

/*
 * atomic_waker_target_same() compares what is woken and how: one object is one waker
 * per kind.  The constructors keep the pointer and put the kind in its low
 * bits (ATOMIC_WAKER_KIND_*, in the header).
 */
static void aw_test_waker_same(struct kunit *test)
{
	union {
		struct atomic_waker_wait_queue wq;
		struct work_struct work;
		struct atomic_waker_callback cb;
	} u;
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct atomic_waker_target wa = aw_count_waker(&a), wa2 = aw_count_waker(&a);
	struct atomic_waker_target wb = aw_count_waker(&b);
	struct atomic_waker_target t1 = atomic_waker_target_task(current), t2 = atomic_waker_target_task(current);
	const struct atomic_waker_target kinds[] = {
		atomic_waker_target_wait_queue(&u.wq),
		atomic_waker_target_work(&u.work),
		atomic_waker_target_callback(&u.cb),
	};
	int i, j;

	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&wa, &wa2));
	KUNIT_EXPECT_FALSE(test, atomic_waker_target_same(&wa, &wb));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&t1, &t2));
	KUNIT_EXPECT_FALSE(test, atomic_waker_target_same(&t1, &wa));
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		for (j = 0; j < ARRAY_SIZE(kinds); j++)
			KUNIT_EXPECT_EQ_MSG(test,
					    atomic_waker_target_same(&kinds[i], &kinds[j]),
					    i == j, "kinds %d and %d", i, j);

	KUNIT_EXPECT_EQ(test, t1.word, (unsigned long)current | ATOMIC_WAKER_KIND_TASK);
	KUNIT_EXPECT_EQ(test, wa.word, (unsigned long)&a.cb | ATOMIC_WAKER_KIND_CALLBACK);
	KUNIT_EXPECT_EQ(test, kinds[0].word,
			(unsigned long)&u | ATOMIC_WAKER_KIND_WAIT_QUEUE);
	KUNIT_EXPECT_EQ(test, kinds[1].word, (unsigned long)&u | ATOMIC_WAKER_KIND_WORK);
}

/*
 * atomic_waker_is_registered() before atomic_waker_wake(), for a caller whose
 * RMW already ordered its store:
 * the same wake, once, and nothing on an empty slot.
 */
static void aw_test_wake_caller_barrier(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	atomic_t cond = ATOMIC_INIT(0);

	KUNIT_EXPECT_FALSE(test, (atomic_waker_is_registered(&aw) && atomic_waker_wake(&aw)));
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	atomic_inc_return(&cond);
	KUNIT_EXPECT_TRUE(test, (atomic_waker_is_registered(&aw) && atomic_waker_wake(&aw)));
	KUNIT_EXPECT_FALSE(test, (atomic_waker_is_registered(&aw) && atomic_waker_wake(&aw)));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
}

/* A callback waker without get/put is stored, woken and dropped too. */
static void aw_test_callback_without_get_put(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = { .cb.ops = &aw_count_wake_only_ops };
	struct atomic_waker_target w = aw_count_waker(&c), out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	atomic_waker_target_drop(&out);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &c, 0, 0, 1);
}

/*
 * A task waker pins the task once while it is in the slot, whatever
 * releases it: wake, replacement, take and drop, destroy.
 */
static void aw_test_task_ref_balance(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct atomic_waker_target me = atomic_waker_target_task(current), out;
	struct aw_count c = AW_COUNT_INIT;
	unsigned int usage = refcount_read(&current->usage);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, me), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage + 1);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, me), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage + 1);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, me), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage + 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, me), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage + 1);
	atomic_waker_target_drop(&out);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, me), 0);
	atomic_waker_destroy(&aw);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);
}

/*
 * The racing paths, made deterministic by a racer (see struct aw_racer):
 * its get hook makes the racing call in the window between register()'s
 * peek and its cmpxchg.
 *
 * Two register() calls racing: the one whose cmpxchg finds the other's
 * waker returns -EBUSY, puts its own waker once and never wakes it; the
 * other's waker stays registered.  Over an empty slot (the cmpxchg expects
 * 0) and over a registered waker (it expects that one).
 */
static void aw_test_register_busy(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, c = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_register);
	struct atomic_waker_target wb = aw_racer_waker(&b);

	b.other = aw_count_waker(&c);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), -EBUSY);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	AW_EXPECT_COUNT(test, &b.c, 1, 1, 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);

	b.race = aw_in_get_register;
	b.other = aw_count_waker(&a);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), -EBUSY);
	KUNIT_EXPECT_EQ(test, b.raced, 2);
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	AW_EXPECT_COUNT(test, &b.c, 2, 2, 0);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);	/* replaced by @a, unwoken */
	AW_EXPECT_COUNT(test, &a, 1, 0, 0);

	/* The winner is the one the next wake() wakes. */
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
	AW_EXPECT_COUNT(test, &b.c, 2, 2, 0);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);
}

/*
 * Registers must be serialized, but if two race with the same waker, the
 * loser finds its own waker in the slot: that is a success, as the
 * same-waker peek is, and it puts only the reference it took.
 */
static void aw_test_register_busy_same_waker(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_register);
	struct atomic_waker_target wb = aw_racer_waker(&b), out;

	b.other = wb;
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), 0);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	AW_EXPECT_COUNT(test, &b.c, 2, 1, 0);	/* the slot keeps one */

	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &wb));
	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &b.c, 2, 2, 1);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
}

/*
 * A wake() between register()'s peek and its cmpxchg empties the slot: the
 * cmpxchg finds 0, not the waker it peeked at, and register() tries again
 * from the empty slot.  It returns 0 with its waker stored; the old waker
 * is woken once, by that wake(), and put once.
 */
static void aw_test_register_during_wake(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_wake);
	struct atomic_waker_target wb = aw_racer_waker(&b), out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&a)), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), 0);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, true);	/* the racing wake() woke @a */
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
	AW_EXPECT_COUNT(test, &b.c, 1, 0, 0);

	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &wb));
	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &b.c, 1, 1, 1);
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
}

/*
 * A take() in the same window: register() tries again and stores its waker
 * as above, and the old waker goes to the taker, unwoken, with the
 * reference its register() took, until the taker wakes it.
 */
static void aw_test_take_during_register(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_take);
	struct atomic_waker_target wa = aw_count_waker(&a);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_racer_waker(&b)), 0);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, true);
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&b.taken, &wa));
	AW_EXPECT_COUNT(test, &a, 1, 0, 0);
	AW_EXPECT_COUNT(test, &b.c, 1, 0, 0);

	atomic_waker_target_wake(&b.taken);
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &b.c, 1, 1, 1);
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
}

/*
 * Registering the waker the slot holds is a peek: no get hook, so no
 * window a racing call could land in, and nothing replaced.  Once a take()
 * has emptied the slot, the same waker is registered again for real.
 */
static void aw_test_register_same_is_a_peek(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct aw_racer a = AW_RACER_INIT(&aw, NULL);
	struct atomic_waker_target wa = aw_racer_waker(&a), out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	AW_EXPECT_COUNT(test, &a.c, 1, 0, 0);

	/* Armed: a get would register @c, and this register() would fail. */
	a.race = aw_in_get_register;
	a.other = aw_count_waker(&c);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	KUNIT_EXPECT_EQ(test, a.raced, 0);
	AW_EXPECT_COUNT(test, &a.c, 1, 0, 0);
	AW_EXPECT_COUNT(test, &c, 0, 0, 0);

	a.race = NULL;
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	atomic_waker_target_drop(&out);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	AW_EXPECT_COUNT(test, &a.c, 2, 1, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &a.c, 2, 2, 1);
}

/* wake, take, register and destroy with IRQs off, as from a hard IRQ. */
static void aw_test_irqs_off(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct atomic_waker_target out;
	unsigned long flags;
	bool woke, took;
	int r1, r2;

	local_irq_save(flags);
	r1 = atomic_waker_register(&aw, aw_count_waker(&a));
	r2 = atomic_waker_register(&aw, aw_count_waker(&b));
	woke = atomic_waker_wake(&aw);
	atomic_waker_register(&aw, aw_count_waker(&a));
	took = atomic_waker_take(&aw, &out);
	atomic_waker_target_wake(&out);
	atomic_waker_register(&aw, aw_count_waker(&b));
	atomic_waker_destroy(&aw);
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ(test, r1, 0);
	KUNIT_EXPECT_EQ(test, r2, 0);
	KUNIT_EXPECT_TRUE(test, woke);
	KUNIT_EXPECT_TRUE(test, took);
	AW_EXPECT_COUNT(test, &a, 2, 2, 1);
	AW_EXPECT_COUNT(test, &b, 2, 2, 1);
}

/* A counted callback waker that registers itself again when first woken. */
struct aw_rearm {
	struct aw_count c;
	struct atomic_waker *aw;
	int ret;		/* what the nested register() returned */
	int puts_in_wake;	/* puts made before the first wake ended */
};

static void aw_rearm_wake(struct atomic_waker_callback *cb)
{
	struct aw_rearm *r = container_of(cb, struct aw_rearm, c.cb);

	if (atomic_inc_return(&r->c.wakes) != 1)
		return;
	r->ret = atomic_waker_register(r->aw, atomic_waker_target_callback(cb));
	r->puts_in_wake = atomic_read(&r->c.puts);
}

static const struct atomic_waker_callback_ops aw_rearm_ops = {
	.wake	= aw_rearm_wake,
	.get	= aw_count_get,
	.put	= aw_count_put,
};

/*
 * wake() releases the slot before it calls the waker, so a wake callback
 * may register again (an async task re-polled from its wakeup): the new
 * registration stands, and the old reference is put after the callback.
 */
static void aw_test_rearm_from_wake(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_rearm r = {
		.c = { .cb.ops = &aw_rearm_ops }, .aw = &aw, .ret = 1,
		.puts_in_wake = -1,
	};
	struct atomic_waker_target w = atomic_waker_target_callback(&r.c.cb);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_EQ(test, r.ret, 0);
	KUNIT_EXPECT_EQ(test, r.puts_in_wake, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&aw));
	AW_EXPECT_COUNT(test, &r.c, 2, 1, 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &r.c, 2, 2, 2);
}

/*
 * The hand-written wait loop's two halves: prepare_wait() sets the task
 * state and registers current; finish_wait() runs it again and takes it
 * out of the slot.  Nothing here sleeps, and nothing is checked until the
 * task runs again: a failed check allocates, which may sleep.
 */
static void aw_test_prepare_finish_wait(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	unsigned int state, held;
	struct atomic_waker_target me = atomic_waker_target_task(current), out;
	struct aw_count c = AW_COUNT_INIT;
	bool registered, woke;
	int ret;

	ret = atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	state = READ_ONCE(current->__state);
	registered = atomic_waker_is_registered(&aw);
	held = refcount_read(&current->usage);
	atomic_waker_finish_wait(&aw);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, state, TASK_UNINTERRUPTIBLE);
	KUNIT_EXPECT_TRUE(test, registered);
	KUNIT_EXPECT_EQ(test, held, usage);	/* a sleeper is not pinned */
	KUNIT_EXPECT_EQ(test, READ_ONCE(current->__state), TASK_RUNNING);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	/*
	 * A waker that replaced current is left registered, unwoken:
	 * finish_wait() takes only current out of the slot.
	 */
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ret = atomic_waker_register(&aw, aw_count_waker(&c));
	atomic_waker_finish_wait(&aw);
	KUNIT_EXPECT_EQ(test, ret, 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);

	/*
	 * A second prepare_wait() of the same loop finds current registered;
	 * a wake() takes it out of the slot and sets it running.
	 */
	ret = atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ret |= atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	woke = atomic_waker_wake(&aw);
	state = READ_ONCE(current->__state);
	registered = atomic_waker_is_registered(&aw);
	atomic_waker_finish_wait(&aw);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, woke);
	KUNIT_EXPECT_EQ(test, state, TASK_RUNNING);
	KUNIT_EXPECT_FALSE(test, registered);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	/* take() hands a sleeper out pinned, as a task waker. */
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	registered = atomic_waker_take(&aw, &out);
	held = refcount_read(&current->usage);
	atomic_waker_finish_wait(&aw);
	KUNIT_EXPECT_TRUE(test, registered);
	KUNIT_EXPECT_EQ(test, held, usage + 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &me));
	atomic_waker_target_drop(&out);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

#define AW_MODEL_OPS	200000
#define AW_MODEL_WAKERS	3

/*
 * 200 000 random register/wake/take/replace/destroy calls against a model
 * of the slot: every return value and every get, put and wake is predicted
 * exactly, and at the end gets == puts.
 */
static void aw_test_balance_model(struct kunit *test)
{
	struct { int gets, puts, wakes; } exp[AW_MODEL_WAKERS] = { };
	struct aw_count *c;
	struct atomic_waker_target out;
	struct rnd_state rnd;
	struct atomic_waker aw;
	int i, k, slot = -1, bad = 0, first_bad = -1;

	c = kunit_kcalloc(test, AW_MODEL_WAKERS, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (k = 0; k < AW_MODEL_WAKERS; k++)
		aw_count_init(&c[k], &aw_count_ops);
	prandom_seed_state(&rnd, 0x61775f6b756e6974ULL);
	atomic_waker_init(&aw);

	for (i = 0; i < AW_MODEL_OPS; i++) {
		u32 r = prandom_u32_state(&rnd);
		bool ok = true;

		k = (r >> 8) % AW_MODEL_WAKERS;
		switch (r % 8) {
		case 0 ... 3:	/* register, often replacing, sometimes same */
			ok = !atomic_waker_register(&aw, aw_count_waker(&c[k]));
			if (slot != k) {
				if (slot >= 0)
					exp[slot].puts++;
				exp[k].gets++;
				slot = k;
			}
			break;
		case 4:
		case 5:		/* wake */
			ok = atomic_waker_wake(&aw) == (slot >= 0);
			if (slot >= 0) {
				exp[slot].wakes++;
				exp[slot].puts++;
			}
			slot = -1;
			break;
		case 6:		/* take, then wake or drop what was taken */
			ok = atomic_waker_take(&aw, &out) == (slot >= 0);
			if (r & BIT(16))
				atomic_waker_target_wake(&out);
			else
				atomic_waker_target_drop(&out);
			if (slot >= 0) {
				if (r & BIT(16))
					exp[slot].wakes++;
				exp[slot].puts++;
			}
			slot = -1;
			break;
		case 7:		/* destroy, then reuse */
			atomic_waker_destroy(&aw);
			if (slot >= 0)
				exp[slot].puts++;
			slot = -1;
			break;
		}
		ok = ok && atomic_waker_is_registered(&aw) == (slot >= 0);
		if (!ok && !bad++)
			first_bad = i;
	}
	atomic_waker_destroy(&aw);
	if (slot >= 0)
		exp[slot].puts++;

	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "first bad op #%d", first_bad);
	for (k = 0; k < AW_MODEL_WAKERS; k++) {
		AW_EXPECT_COUNT(test, &c[k], exp[k].gets, exp[k].puts,
				exp[k].wakes);
		KUNIT_EXPECT_EQ(test, atomic_read(&c[k].gets),
				atomic_read(&c[k].puts));
	}
}

static struct kunit_case aw_api_cases[] = {
	KUNIT_CASE(aw_test_init_empty),
	KUNIT_CASE(aw_test_one_word),
	KUNIT_CASE(aw_test_basic_usage),
	KUNIT_CASE(aw_test_wake_without_register),
	KUNIT_CASE(aw_test_wake_debounce),
	KUNIT_CASE(aw_test_wake_caller_barrier),
	KUNIT_CASE(aw_test_register_same_no_spurious),
	KUNIT_CASE(aw_test_register_replaces),
	KUNIT_CASE(aw_test_register_bad_waker),
	KUNIT_CASE(aw_test_take_then_wake),
	KUNIT_CASE(aw_test_take_then_drop),
	KUNIT_CASE(aw_test_is_registered),
	KUNIT_CASE(aw_test_destroy_releases),
	KUNIT_CASE(aw_test_waker_same),
	KUNIT_CASE(aw_test_callback_without_get_put),
	KUNIT_CASE(aw_test_task_ref_balance),
	KUNIT_CASE(aw_test_register_busy),
	KUNIT_CASE(aw_test_register_busy_same_waker),
	KUNIT_CASE(aw_test_register_during_wake),
	KUNIT_CASE(aw_test_take_during_register),
	KUNIT_CASE(aw_test_register_same_is_a_peek),
	KUNIT_CASE(aw_test_irqs_off),
	KUNIT_CASE(aw_test_rearm_from_wake),
	KUNIT_CASE(aw_test_prepare_finish_wait),
	KUNIT_CASE(aw_test_balance_model),
	{}
};

static struct kunit_suite aw_api_suite = {
	.name = "atomic_waker",
	.test_cases = aw_api_cases,
};

/* ---- a producer in some context, for a consumer that sleeps ------------- */

enum aw_prod_kind {
	AW_PROD_HARDIRQ,	/* hrtimer, HRTIMER_MODE_REL_HARD */
	AW_PROD_SOFTIRQ,	/* hrtimer, HRTIMER_MODE_REL_SOFT */
	AW_PROD_TIMER,		/* timer_list: softirq */
	AW_PROD_WORK,		/* delayed work: process context */
	AW_PROD_KTHREAD,	/* kthread: process context */
};

/*
 * The producer polls until the consumer is registered and asleep, so that
 * its wake() has a sleeper to wake and must return true; then it stores the
 * condition and wakes.  It gives up polling after AW_TIMEOUT and wakes
 * anyway.
 */
struct aw_prod {
	struct atomic_waker aw;
	int done;		/* the condition the consumer waits for */
	bool fired;
	bool woke;		/* what the producer's wake() returned */
	bool hardirq, softirq, task;	/* the context it ran in */
	unsigned long deadline;
	struct hrtimer hrt;
	struct timer_list tl;
	struct delayed_work dw;
	kunit_action_t *stop;	/* stops the producer; run by aw_prod_stop() */
	void *stop_arg;
	struct task_struct *consumer;	/* the test thread */
	/* For the untimed waits: a rescue timer in case no wake comes. */
	struct hrtimer rescue;
	bool rescued;
};

#define AW_PROD_PERIOD_NS	(200 * NSEC_PER_USEC)

/*
 * Is @t asleep: in a sleeping state and off its CPU?  A racy hint for the
 * producers.  Merely registered is not enough: a consumer that has not
 * slept yet may see the condition and leave the slot before wake() looks.
 */
static bool aw_task_asleep(struct task_struct *t)
{
	if (READ_ONCE(t->__state) == TASK_RUNNING)
		return false;
#ifdef CONFIG_SMP
	return !READ_ONCE(t->on_cpu);
#else
	return true;	/* it does not run while its producer does */
#endif
}

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

static struct aw_prod *aw_prod_start(struct kunit *test,
				     enum aw_prod_kind kind)
{
	struct aw_prod *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	enum hrtimer_mode mode = HRTIMER_MODE_REL_HARD;
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
	case AW_PROD_SOFTIRQ:
		mode = HRTIMER_MODE_REL_SOFT;
		fallthrough;
	case AW_PROD_HARDIRQ:
		hrtimer_init(&p->hrt, CLOCK_MONOTONIC, mode);
		p->hrt.function = aw_prod_hrtimer_fn;
		p->stop = aw_hrtimer_cancel_action;
		p->stop_arg = &p->hrt;
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p->stop,
								p->stop_arg), 0);
		hrtimer_start(&p->hrt, ns_to_ktime(AW_PROD_PERIOD_NS), mode);
		break;
	case AW_PROD_TIMER:
		timer_setup(&p->tl, aw_prod_timer_fn, 0);
		p->stop = aw_timer_shutdown_action;
		p->stop_arg = &p->tl;
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p->stop,
								p->stop_arg), 0);
		mod_timer(&p->tl, jiffies + 1);
		break;
	case AW_PROD_WORK:
		INIT_DELAYED_WORK(&p->dw, aw_prod_work_fn);
		p->stop = aw_dwork_cancel_action;
		p->stop_arg = &p->dw;
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p->stop,
								p->stop_arg), 0);
		schedule_delayed_work(&p->dw, 1);
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
static void aw_prod_stop(struct kunit *test, struct aw_prod *p)
{
	kunit_release_action(test, p->stop, p->stop_arg);
	kunit_release_action(test, aw_hrtimer_cancel_action, &p->rescue);
}

/* The condition of the untimed waits: the producer's, or the rescue's. */
static bool aw_prod_over(struct aw_prod *p)
{
	return READ_ONCE(p->done) || READ_ONCE(p->rescued);
}

/* The rescue timer for waits that have no timeout of their own. */
static void aw_prod_arm_rescue(struct aw_prod *p)
{
	hrtimer_start(&p->rescue, ms_to_ktime(jiffies_to_msecs(AW_TIMEOUT)),
		      HRTIMER_MODE_REL_HARD);
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

/* ---- suite atomic_waker_context: waker kinds, and where wake runs ------- */

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
		atomic_waker_register(&s->aw, atomic_waker_target_task(current));
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
 * A task waker keeps an exiting task alive: the kthread registers and
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

/* A wait queue waker: a wait_event() sleeping on the queue returns. */
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
	ret = atomic_waker_register(&s->aw, atomic_waker_target_wait_queue(&s->wq));
	KUNIT_EXPECT_EQ(test, ret, 0);

	t = aw_kthread_start(test, aw_wq_producer, s, "wq");
	left = wait_event_timeout(s->wq.head, READ_ONCE(s->done), AW_TIMEOUT);
	aw_kthread_stop(test, t);

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

/* A work waker: registering does not queue it, waking does. */
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

	ret = atomic_waker_register(&s->aw, atomic_waker_target_work(&s->work));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, work_pending(&s->work));
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&s->aw));
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&s->ran, AW_TIMEOUT),
			0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&s->aw));

	/* Replaced or destroyed, a work waker is not queued. */
	reinit_completion(&s->ran);
	atomic_waker_register(&s->aw, atomic_waker_target_work(&s->work));
	atomic_waker_destroy(&s->aw);
	KUNIT_EXPECT_FALSE(test, work_pending(&s->work));
	KUNIT_EXPECT_FALSE(test, completion_done(&s->ran));
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

/* register() from a hard-IRQ hrtimer: callback and task wakers. */
static void aw_test_register_from_hardirq(struct kunit *test)
{
	struct aw_irq_register *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int usage = refcount_read(&current->usage);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	atomic_waker_init(&s->aw_task);
	aw_count_init(&s->a, &aw_count_ops);
	aw_count_init(&s->b, &aw_count_ops);
	init_completion(&s->fired);
	s->tsk = current;
	hrtimer_init(&s->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	s->hrt.function = aw_irq_register_fn;
	ret = kunit_add_action_or_reset(test, aw_hrtimer_cancel_action, &s->hrt);
	KUNIT_ASSERT_EQ(test, ret, 0);
	hrtimer_start(&s->hrt, ns_to_ktime(AW_PROD_PERIOD_NS),
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

/* ---- suite atomic_waker_wait: the wait_event helpers -------------------- */

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

/* A condition already true: return at once, register nothing. */
static void aw_test_wait_cond_true(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	int one = 1, ret;

	atomic_waker_wait_event(&aw, READ_ONCE(one));
	ret = atomic_waker_wait_event_interruptible(&aw, READ_ONCE(one));
	KUNIT_EXPECT_EQ(test, ret, 0);
	ret = atomic_waker_wait_event_killable(&aw, READ_ONCE(one));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
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
	{}
};

static struct kunit_suite aw_wait_suite = {
	.name = "atomic_waker_wait",
	.test_cases = aw_wait_cases,
};

/* ---- suite atomic_waker_race: threads racing on one atomic_waker -------- */

/*
 * The racing cases run AW_RACE_MIN rounds, then more until AW_RACE_MAX or
 * until AW_RACE_BUDGET has passed: under TCG on a loaded host a round can
 * take a millisecond, and a case that runs for 30 s trips the hung task
 * check on the thread that loads the module.
 */
#define AW_RACE_MIN	1000
#define AW_RACE_MAX	50000
#define AW_RACE_BUDGET	(4 * HZ)

static bool aw_race_more(int round, int min, unsigned long start)
{
	return round <= min ||
	       (round <= AW_RACE_MAX &&
		time_before(jiffies, start + AW_RACE_BUDGET));
}

/*
 * One round of a two-sided race: the test thread sets up, starts the
 * worker with aw_race_go(), runs its own side, waits for the worker's side
 * (aw_wait_step(&done, i)) and checks.  Both spin for the start, so that
 * both sides run at once.
 */
struct aw_race {
	atomic_t ready;		/* the worker waits for round n */
	atomic_t go;
	atomic_t done;
	int iters;
	void (*worker_side)(struct aw_race *r);
	bool stuck;		/* the worker never saw a start */
};

static int aw_race_worker(void *arg)
{
	struct aw_race *r = arg;
	int i;

	for (i = 1; i <= r->iters; i++) {
		aw_step(&r->ready, i);
		if (!aw_wait_step(&r->go, i)) {
			r->stuck = !kthread_should_stop();
			break;
		}
		aw_jitter(AW_JITTER_WORKER);
		r->worker_side(r);
		aw_step(&r->done, i);
	}
	return 0;
}

/*
 * Start round @i once the worker waits for it: both sides are then on a
 * CPU and spinning, so they start together even when vCPUs are scarce.
 */
static bool aw_race_go(struct aw_race *r, int i)
{
	if (!aw_wait_step(&r->ready, i))
		return false;
	aw_step(&r->go, i);
	return true;
}

/*
 * With two CPUs or more, the test thread (run for this case only) and the
 * worker get a CPU each: on one CPU, the spinning side would only delay
 * the other, and the two sides would never run at once.
 */
static void aw_race_start(struct kunit *test, struct aw_race *r, int iters,
			  void (*worker_side)(struct aw_race *r))
{
	int cpu = cpumask_first(cpu_online_mask);
	int other = cpumask_next(cpu, cpu_online_mask);

	r->iters = iters;
	r->worker_side = worker_side;
	if (other < nr_cpu_ids)
		KUNIT_ASSERT_EQ(test,
				set_cpus_allowed_ptr(current, cpumask_of(cpu)),
				0);
	else
		other = -1;
	aw_kthread_start_on(test, aw_race_worker, r, "race", other);
}

struct aw_fws {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count c, next;
	int x;
	bool worker_woke;
};

static void aw_fws_worker(struct aw_race *r)
{
	struct aw_fws *f = container_of(r, struct aw_fws, r);

	WRITE_ONCE(f->x, 1);
	f->worker_woke = atomic_waker_wake(&f->aw);
}

/*
 * tokio failed_wake_synchronizes: the worker stores X and wakes while the
 * test thread takes the waker; if the worker's wake() failed because that
 * take was in flight, the next register() must see X (header rule 2).
 */
static void aw_test_failed_wake_synchronizes(struct kunit *test)
{
	struct aw_fws *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, unsynced = 0, double_take = 0, failed = 0, stalls = 0;
	struct atomic_waker_target out;

	KUNIT_ASSERT_NOT_NULL(test, f);
	atomic_waker_init(&f->aw);
	aw_count_init(&f->c, &aw_count_ops);
	aw_count_init(&f->next, &aw_count_ops);
	aw_race_start(test, &f->r, AW_RACE_MAX, aw_fws_worker);

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		int c0 = atomic_read(&f->c.wakes);
		bool took, seen;

		WRITE_ONCE(f->x, 0);
		atomic_waker_register(&f->aw, aw_count_waker(&f->c));
		if (!aw_race_go(&f->r, i)) {
			stalls++;
			break;
		}
		aw_jitter(AW_JITTER_MAIN);

		took = atomic_waker_take(&f->aw, &out);
		atomic_waker_target_drop(&out);
		atomic_waker_register(&f->aw, aw_count_waker(&f->next));
		seen = READ_ONCE(f->x);

		if (!aw_wait_step(&f->r.done, i)) {
			stalls++;
			break;
		}
		if (!seen && !f->worker_woke)
			unsynced++;
		/* The first waker went to exactly one of the two sides. */
		if (took + atomic_read(&f->c.wakes) - c0 != 1)
			double_take++;
		failed += !f->worker_woke;
		atomic_waker_destroy(&f->aw);
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, f->r.stuck);
	KUNIT_EXPECT_EQ_MSG(test, unsynced, 0,
			    "a failed wake's store was not seen");
	KUNIT_EXPECT_EQ(test, double_take, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.gets), atomic_read(&f->c.puts));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->next.gets),
			atomic_read(&f->next.puts));
	kunit_info(test, "the worker's wake() returned false in %d of %d rounds\n",
		   failed, i - 1);
}

#define AW_NOTIFIERS	2

struct aw_notify {
	atomic_t ids;		/* hands each notifier its number */
	struct atomic_waker aw;
	atomic_t num;
	atomic_t go;
	atomic_t done;
	bool stuck;
};

static int aw_notifier(void *arg)
{
	struct aw_notify *n = arg;
	int i, id = atomic_inc_return(&n->ids) - 1;

	for (i = 1; i <= AW_RACE_MAX; i++) {
		if (!aw_wait_step(&n->go, i)) {
			n->stuck = !kthread_should_stop();
			break;
		}
		/* The second notifier's RMW is its own barrier (F). */
		if (id) {
			atomic_inc_return(&n->num);
			if (atomic_waker_is_registered(&n->aw))
				atomic_waker_wake(&n->aw);
		} else {
			atomic_inc(&n->num);
			atomic_waker_wake(&n->aw);
		}
		atomic_inc(&n->done);
	}
	return 0;
}

static bool aw_notified(struct aw_notify *n)
{
	return atomic_read(&n->num) == AW_NOTIFIERS;
}

/*
 * tokio loom basic_notification: two notifiers each bump a counter and wake;
 * the consumer, registering through atomic_waker_wait_event_timeout(), must
 * see both bumps without a timeout.
 */
static void aw_test_basic_notification(struct kunit *test)
{
	struct aw_notify *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, lost = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, n);
	atomic_waker_init(&n->aw);
	for (i = 0; i < AW_NOTIFIERS; i++)
		aw_kthread_start(test, aw_notifier, n, "notify");

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		atomic_set(&n->num, 0);
		aw_step(&n->go, i);
		if (!atomic_waker_wait_event_timeout(&n->aw, aw_notified(n),
						     AW_TIMEOUT)) {
			lost++;
			break;
		}
		/* Both notifiers are done with this round before the next. */
		if (!aw_poll(atomic_read(&n->done) == i * AW_NOTIFIERS)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ_MSG(test, lost, 0, "lost wakeup in round %d", i);
	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, n->stuck);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&n->aw));
	kunit_info(test, "%d rounds\n", i - 1);
}

enum aw_start_state { AW_START_EMPTY, AW_START_OTHER, AW_START_SAME };

static const char * const aw_start_names[] = {
	[AW_START_EMPTY] = "empty",
	[AW_START_OTHER] = "other waker registered",
	[AW_START_SAME] = "same waker registered",
};

static const enum aw_start_state aw_start_states[] = {
	AW_START_EMPTY, AW_START_OTHER, AW_START_SAME,
};

static void aw_start_desc(const enum aw_start_state *s, char *desc)
{
	strscpy(desc, aw_start_names[*s], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(aw_start, aw_start_states, aw_start_desc);

struct aw_nmw {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count me, other;
	int flag;
};

static void aw_nmw_worker(struct aw_race *r)
{
	struct aw_nmw *m = container_of(r, struct aw_nmw, r);

	WRITE_ONCE(m->flag, 1);
	atomic_waker_wake(&m->aw);
}

/*
 * spmc-waker no_missed_wakeup: the test thread registers and reads the flag
 * while the worker stores the flag and wakes.  From each starting state of
 * the slot, the registrant either sees the flag or is woken.
 */
static void aw_test_no_missed_wakeup(struct kunit *test)
{
	const enum aw_start_state *from = test->param_value;
	struct aw_nmw *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, missed = 0, misplaced = 0, refused = 0, stalls = 0;
	struct atomic_waker_target me, out;

	KUNIT_ASSERT_NOT_NULL(test, m);
	atomic_waker_init(&m->aw);
	aw_count_init(&m->me, &aw_count_ops);
	aw_count_init(&m->other, &aw_count_ops);
	me = aw_count_waker(&m->me);
	aw_race_start(test, &m->r, AW_RACE_MAX, aw_nmw_worker);

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		int w0;
		bool seen, woken, took, in_slot;

		WRITE_ONCE(m->flag, 0);
		if (*from == AW_START_OTHER)
			atomic_waker_register(&m->aw, aw_count_waker(&m->other));
		else if (*from == AW_START_SAME)
			atomic_waker_register(&m->aw, aw_count_waker(&m->me));
		w0 = atomic_read(&m->me.wakes);
		if (!aw_race_go(&m->r, i)) {
			stalls++;
			break;
		}
		aw_jitter(AW_JITTER_MAIN);

		refused += atomic_waker_register(&m->aw, me) != 0;
		seen = READ_ONCE(m->flag);

		if (!aw_wait_step(&m->r.done, i)) {
			stalls++;
			break;
		}
		woken = atomic_read(&m->me.wakes) != w0;
		if (!seen && !woken)
			missed++;
		/*
		 * Nor is the registration lost: the worker is done, the slot
		 * is quiet, and it holds our waker unless that was woken.
		 * Nor is it kept once woken, but for AW_START_SAME, where the
		 * worker may have woken the waker registered before the round
		 * and our register() then stored it again.
		 */
		took = atomic_waker_take(&m->aw, &out);
		in_slot = took && atomic_waker_target_same(&out, &me);
		if (in_slot ? woken && *from != AW_START_SAME : !woken)
			misplaced++;
		atomic_waker_target_drop(&out);
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, m->r.stuck);
	KUNIT_EXPECT_EQ(test, refused, 0);
	KUNIT_EXPECT_EQ(test, missed, 0);
	KUNIT_EXPECT_EQ(test, misplaced, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->me.gets), atomic_read(&m->me.puts));
	KUNIT_EXPECT_EQ(test, atomic_read(&m->other.gets),
			atomic_read(&m->other.puts));
	kunit_info(test, "%d rounds\n", i - 1);
}

#define AW_SB_BATCH	256
#define AW_SB_MIN	50

/* One round of the store-buffering test, in memory of its own. */
struct aw_sb_round {
	struct atomic_waker aw;
	int flag;
	int seen;		/* the flag, as the registrant read it */
	atomic_t woken;
	struct atomic_waker_callback cb;	/* the registrant's waker */
};

struct aw_sb {
	struct aw_race r;
	struct aw_sb_round rounds[AW_SB_BATCH];
};

static void aw_sb_wake(struct atomic_waker_callback *cb)
{
	atomic_inc(&container_of(cb, struct aw_sb_round, cb)->woken);
}

static const struct atomic_waker_callback_ops aw_sb_ops = {
	.wake	= aw_sb_wake,
};

static void aw_sb_worker(struct aw_race *r)
{
	struct aw_sb *sb = container_of(r, struct aw_sb, r);
	int j;

	for (j = 0; j < AW_SB_BATCH; j++) {
		WRITE_ONCE(sb->rounds[j].flag, 1);
		atomic_waker_wake(&sb->rounds[j].aw);
	}
}

/*
 * Ordering rule (1) as a store-buffering litmus test, run the way litmus
 * tools run one: each round has its own memory, and the two sides run a
 * batch of rounds without meeting, so that round j of each runs at about
 * the same time.  Registrant: register, read the flag.  Waker: store the
 * flag, wake (through the empty-slot fast path when it comes first).  In
 * no round may the registrant both miss the flag and stay unwoken.
 */
static void aw_test_store_buffering(struct kunit *test)
{
	struct aw_sb *sb = kunit_kzalloc(test, sizeof(*sb), GFP_KERNEL);
	unsigned long start = jiffies;
	int b, j, missed = 0, needed = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, sb);
	for (j = 0; j < AW_SB_BATCH; j++)
		sb->rounds[j].cb.ops = &aw_sb_ops;
	aw_race_start(test, &sb->r, AW_RACE_MAX, aw_sb_worker);

	for (b = 1; aw_race_more(b, AW_SB_MIN, start); b++) {
		for (j = 0; j < AW_SB_BATCH; j++) {
			atomic_waker_init(&sb->rounds[j].aw);
			sb->rounds[j].flag = 0;
			atomic_set(&sb->rounds[j].woken, 0);
		}
		if (!aw_race_go(&sb->r, b)) {
			stalls++;
			break;
		}
		aw_jitter(AW_JITTER_MAIN);
		for (j = 0; j < AW_SB_BATCH; j++) {
			struct aw_sb_round *rd = &sb->rounds[j];

			atomic_waker_register(&rd->aw, atomic_waker_target_callback(&rd->cb));
			rd->seen = READ_ONCE(rd->flag);
		}
		if (!aw_wait_step(&sb->r.done, b)) {
			stalls++;
			break;
		}
		for (j = 0; j < AW_SB_BATCH; j++) {
			needed += !sb->rounds[j].seen;
			missed += !sb->rounds[j].seen &&
				  !atomic_read(&sb->rounds[j].woken);
		}
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, sb->r.stuck);
	KUNIT_EXPECT_EQ_MSG(test, missed, 0, "lost wakeups");
	kunit_info(test, "%d rounds, %d where the registrant missed the flag and had to be woken\n",
		   (b - 1) * AW_SB_BATCH, needed);
}

struct aw_conflict {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count a, b;
	int ret_b;
};

static void aw_conflict_worker(struct aw_race *r)
{
	struct aw_conflict *x = container_of(r, struct aw_conflict, r);

	x->ret_b = atomic_waker_register(&x->aw, aw_count_waker(&x->b));
}

/*
 * Is one round of two racing register() calls, and the wake() after them,
 * as the protocol says: each returned 0 or -EBUSY, not both -EBUSY; each
 * took one reference and put it back (a loser at once, a replaced winner
 * when the other replaced it); the wake() woke exactly one winner.
 */
static bool aw_conflict_ok(struct aw_conflict *x, int ret_a, bool woke)
{
	int wa = atomic_read(&x->a.wakes), wb = atomic_read(&x->b.wakes);

	return (!ret_a || ret_a == -EBUSY) &&
	       (!x->ret_b || x->ret_b == -EBUSY) && !(ret_a && x->ret_b) &&
	       atomic_read(&x->a.gets) == 1 && atomic_read(&x->a.puts) == 1 &&
	       atomic_read(&x->b.gets) == 1 && atomic_read(&x->b.puts) == 1 &&
	       woke && wa + wb == 1 && !(wa && ret_a) && !(wb && x->ret_b);
}

/*
 * spmc-waker conflicting_registrations: two register() calls at once.  The
 * one whose cmpxchg finds the other's waker gets -EBUSY, and its waker is
 * neither stored nor woken; the next wake() wakes exactly one winner.
 */
static void aw_test_conflicting_registrations(struct kunit *test)
{
	struct aw_conflict *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, bad = 0, busy = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, x);
	atomic_waker_init(&x->aw);
	aw_count_init(&x->a, &aw_count_ops);
	aw_count_init(&x->b, &aw_count_ops);
	aw_race_start(test, &x->r, AW_RACE_MAX, aw_conflict_worker);

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		int ret_a;
		bool woke;

		aw_count_reset(&x->a);
		aw_count_reset(&x->b);
		if (!aw_race_go(&x->r, i)) {
			stalls++;
			break;
		}
		aw_jitter(AW_JITTER_MAIN);
		ret_a = atomic_waker_register(&x->aw, aw_count_waker(&x->a));
		if (!aw_wait_step(&x->r.done, i)) {
			stalls++;
			break;
		}
		woke = atomic_waker_wake(&x->aw);
		busy += ret_a == -EBUSY || x->ret_b == -EBUSY;
		bad += !aw_conflict_ok(x, ret_a, woke);
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, x->r.stuck);
	KUNIT_EXPECT_EQ(test, bad, 0);
	kunit_info(test, "%d of %d rounds had a loser (-EBUSY)\n", busy,
		   i - 1);
}

#define AW_BALANCE_OPS	100000

struct aw_balance {
	struct atomic_waker aw;
	struct aw_count c[3];
	bool stop;
	atomic_t woke;		/* wake() returned true */
	atomic_t taken_woken;	/* take() then atomic_waker_target_wake() */
	atomic_t taken_dropped;	/* take() then atomic_waker_target_drop() */
};

static int aw_balance_waker(void *arg)
{
	struct aw_balance *s = arg;

	while (!READ_ONCE(s->stop) && !kthread_should_stop())
		if (atomic_waker_wake(&s->aw))
			atomic_inc(&s->woke);
	return 0;
}

static int aw_balance_taker(void *arg)
{
	struct aw_balance *s = arg;
	struct atomic_waker_target out;
	unsigned int n = 0;

	while (!READ_ONCE(s->stop) && !kthread_should_stop()) {
		if (!atomic_waker_take(&s->aw, &out))
			continue;
		if (n++ & 1) {
			atomic_waker_target_wake(&out);
			atomic_inc(&s->taken_woken);
		} else {
			atomic_waker_target_drop(&out);
			atomic_inc(&s->taken_dropped);
		}
	}
	return 0;
}

/* Has a kthread not yet made each of its kinds of call, with time left? */
static bool aw_balance_starved(struct aw_balance *s, unsigned long end)
{
	return (!atomic_read(&s->woke) || !atomic_read(&s->taken_woken) ||
		!atomic_read(&s->taken_dropped)) && time_before(jiffies, end);
}

/*
 * get/put balance under contention: the test thread registers 100 000
 * times (replacing, or the same waker again) while one kthread wakes and
 * another takes.  Every get is put; every wake is accounted for.
 */
static void aw_test_balance_concurrent(struct kunit *test)
{
	struct aw_balance *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *tw, *tt;
	struct atomic_waker_target w;
	int i, k, refused = 0, wakes = 0, gets = 0, puts = 0, by_wake;
	unsigned long end;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	for (k = 0; k < ARRAY_SIZE(s->c); k++)
		aw_count_init(&s->c[k], &aw_count_ops);
	tw = aw_kthread_start(test, aw_balance_waker, s, "waker");
	tt = aw_kthread_start(test, aw_balance_taker, s, "taker");

	/* Go on until both kthreads have had their share, even on one CPU. */
	end = jiffies + AW_TIMEOUT;
	for (i = 0; i < AW_BALANCE_OPS || aw_balance_starved(s, end); i++) {
		w = aw_count_waker(&s->c[(i / 2) % 3]);
		refused += atomic_waker_register(&s->aw, w) != 0;
	}
	WRITE_ONCE(s->stop, true);
	aw_kthread_stop(test, tw);
	aw_kthread_stop(test, tt);
	atomic_waker_destroy(&s->aw);

	for (k = 0; k < 3; k++) {
		wakes += atomic_read(&s->c[k].wakes);
		gets += atomic_read(&s->c[k].gets);
		puts += atomic_read(&s->c[k].puts);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->c[k].gets),
				atomic_read(&s->c[k].puts));
	}
	by_wake = atomic_read(&s->woke) + atomic_read(&s->taken_woken);
	KUNIT_EXPECT_EQ(test, refused, 0);
	/* register() never wakes: each wake is a wake()'s or a taker's. */
	KUNIT_EXPECT_EQ(test, wakes, by_wake);
	/* Each taken waker had its own reference. */
	KUNIT_EXPECT_GE(test, puts, by_wake + atomic_read(&s->taken_dropped));
	KUNIT_EXPECT_GT(test, atomic_read(&s->woke), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->taken_woken), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->taken_dropped), 0);
	kunit_info(test, "%d registers, %d gets, %d wakes (%d by wake(), %d by take())\n",
		   i, gets, wakes, atomic_read(&s->woke),
		   atomic_read(&s->taken_woken));
}

#define AW_TEARDOWN_ITERS	50
#define AW_TEARDOWN_HOLD_US	(100 * USEC_PER_MSEC)

struct aw_td_obj {
	struct atomic_waker aw;
	int done;
};

struct aw_teardown {
	struct aw_td_obj *obj;
	int round;
	int seen;		/* the last round whose done the consumer saw */
	struct aw_count c;
	atomic_t wakes_returned;
	bool hardirq;
};

/* Runs in hard IRQ on another CPU: an RCU read-side critical section. */
static void aw_teardown_producer(void *arg)
{
	struct aw_teardown *t = arg;
	struct aw_td_obj *obj = READ_ONCE(t->obj);
	unsigned int us;

	t->hardirq = in_hardirq();
	WRITE_ONCE(obj->done, 1);
	/*
	 * Hold the wake until the consumer has seen done, so that it is
	 * ahead of us: from here on it may go and free @obj.
	 */
	for (us = 0; us < AW_TEARDOWN_HOLD_US; us++) {
		if (READ_ONCE(t->seen) == t->round)
			break;
		udelay(1);
	}
	atomic_waker_wake(&obj->aw);
	atomic_inc(&t->wakes_returned);
}

/*
 * The header's teardown rule: a producer in hard IRQ stores the condition
 * and wakes; the consumer sees the condition without sleeping, and may free
 * the atomic_waker after synchronize_rcu(), by which time the producer's
 * wake() has returned.
 */
static void aw_test_teardown_rcu(struct kunit *test)
{
	struct aw_teardown *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int i, cpu, ahead = 0, early = 0, unwoken = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	aw_count_init(&t->c, &aw_count_ops);

	for (i = 1; i <= AW_TEARDOWN_ITERS; i++) {
		struct aw_td_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		unsigned long end = jiffies + AW_TIMEOUT;

		KUNIT_ASSERT_NOT_NULL(test, obj);
		atomic_waker_init(&obj->aw);
		atomic_waker_register(&obj->aw, aw_count_waker(&t->c));
		WRITE_ONCE(t->obj, obj);
		t->round = i;

		migrate_disable();
		cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
		smp_call_function_single(cpu, aw_teardown_producer, t, 0);
		while (!READ_ONCE(obj->done) && time_before(jiffies, end))
			cpu_relax();
		ahead += atomic_read(&t->wakes_returned) < i;
		WRITE_ONCE(t->seen, i);
		migrate_enable();

		if (!READ_ONCE(obj->done)) {
			stalls++;
			break;
		}
		synchronize_rcu();
		early += atomic_read(&t->wakes_returned) != i;
		unwoken += atomic_read(&t->c.wakes) != i;
		atomic_waker_destroy(&obj->aw);
		kfree(obj);
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_TRUE(test, t->hardirq);
	KUNIT_EXPECT_EQ_MSG(test, early, 0, "freed while wake() ran");
	KUNIT_EXPECT_EQ(test, unwoken, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->c.gets), atomic_read(&t->c.puts));
	/* The case is only worth its name if the consumer got ahead. */
	KUNIT_EXPECT_GT(test, ahead, 0);
	kunit_info(test, "consumer ahead of wake() in %d of %d rounds\n",
		   ahead, AW_TEARDOWN_ITERS);
}

#define AW_STRESS_HANDOFFS	100000
#define AW_STRESS_BOUND		(120 * HZ)

/* A ball passed between two kthreads; each sleeps until it holds it. */
struct aw_pingpong {
	struct atomic_waker aw[2];
	atomic_t turn;		/* handoffs so far; side (turn & 1) holds it */
	int handoffs;
	atomic_t *timeouts;
};

struct aw_pp_side {
	struct aw_pingpong *pp;
	int me;
	struct completion done;
};

static bool aw_pp_ready(struct aw_pingpong *pp, int me)
{
	int t = atomic_read(&pp->turn);

	return t >= pp->handoffs || (t & 1) == me || kthread_should_stop();
}

static int aw_pp_fn(void *arg)
{
	struct aw_pp_side *s = arg;
	struct aw_pingpong *pp = s->pp;
	struct atomic_waker_target out;
	int t;

	for (;;) {
		if (!atomic_waker_wait_event_timeout(&pp->aw[s->me],
						     aw_pp_ready(pp, s->me),
						     AW_TIMEOUT)) {
			atomic_inc(pp->timeouts);
			break;
		}
		t = atomic_read(&pp->turn);
		if (t >= pp->handoffs || kthread_should_stop())
			break;
		/*
		 * Pass the ball, then wake the other side, each way in turn:
		 * wake(); __wake() after a fully ordered RMW; take() and wake.
		 */
		switch ((t / 2) % 3) {
		case 0:
			atomic_inc(&pp->turn);
			atomic_waker_wake(&pp->aw[!s->me]);
			break;
		case 1:
			atomic_inc_return(&pp->turn);
			if (atomic_waker_is_registered(&pp->aw[!s->me]))
				atomic_waker_wake(&pp->aw[!s->me]);
			break;
		default:
			atomic_inc(&pp->turn);
			if (atomic_waker_take(&pp->aw[!s->me], &out))
				atomic_waker_target_wake(&out);
			break;
		}
	}
	complete(&s->done);
	return 0;
}

static const int aw_stress_threads[] = { 2, 4 };

static void aw_stress_desc(const int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%d threads", *n);
}

KUNIT_ARRAY_PARAM(aw_stress, aw_stress_threads, aw_stress_desc);

/*
 * N kthreads in N/2 ping-pong pairs pass 100 000 handoffs in all, each
 * thread sleeping in atomic_waker_wait_event_timeout() for its turn: a lost
 * wakeup is a 5 s timeout, counted.
 */
static void aw_test_stress_pingpong(struct kunit *test)
{
	int nthreads = *(const int *)test->param_value, npairs = nthreads / 2;
	unsigned long end = jiffies + AW_STRESS_BOUND;
	struct aw_pingpong *pp;
	struct aw_pp_side *sides;
	atomic_t *timeouts;
	int i, unfinished = 0, short_pairs = 0;
	u64 t0;

	pp = kunit_kcalloc(test, npairs, sizeof(*pp), GFP_KERNEL);
	sides = kunit_kcalloc(test, nthreads, sizeof(*sides), GFP_KERNEL);
	timeouts = kunit_kzalloc(test, sizeof(*timeouts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	KUNIT_ASSERT_NOT_NULL(test, sides);
	KUNIT_ASSERT_NOT_NULL(test, timeouts);

	t0 = ktime_get_ns();
	for (i = 0; i < npairs; i++) {
		atomic_waker_init(&pp[i].aw[0]);
		atomic_waker_init(&pp[i].aw[1]);
		pp[i].handoffs = DIV_ROUND_UP(AW_STRESS_HANDOFFS, npairs);
		pp[i].timeouts = timeouts;
	}
	for (i = 0; i < nthreads; i++) {
		sides[i].pp = &pp[i / 2];
		sides[i].me = i & 1;
		init_completion(&sides[i].done);
		aw_kthread_start(test, aw_pp_fn, &sides[i], "pingpong");
	}
	/* In short waits: a long D-state sleep would trip the hung task check. */
	for (i = 0; i < nthreads; i++) {
		bool done;

		while (!(done = wait_for_completion_timeout(&sides[i].done, HZ)) &&
		       time_before(jiffies, end))
			;
		unfinished += !done;
	}
	/* The kthreads are stopped by their actions, before pp is freed. */
	for (i = 0; i < npairs; i++)
		short_pairs += atomic_read(&pp[i].turn) != pp[i].handoffs;

	KUNIT_EXPECT_EQ(test, unfinished, 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(timeouts), 0, "lost wakeups");
	KUNIT_EXPECT_EQ(test, short_pairs, 0);
	kunit_info(test, "%d threads: %d handoffs in %llu ms\n", nthreads,
		   npairs * pp[0].handoffs,
		   div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
}

static struct kunit_case aw_race_cases[] = {
	KUNIT_CASE(aw_test_failed_wake_synchronizes),
	KUNIT_CASE(aw_test_basic_notification),
	KUNIT_CASE_PARAM(aw_test_no_missed_wakeup, aw_start_gen_params),
	KUNIT_CASE(aw_test_conflicting_registrations),
	KUNIT_CASE(aw_test_store_buffering),
	KUNIT_CASE(aw_test_balance_concurrent),
	KUNIT_CASE(aw_test_teardown_rcu),
	KUNIT_CASE_PARAM_ATTR(aw_test_stress_pingpong, aw_stress_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite aw_race_suite = {
	.name = "atomic_waker_race",
	.test_cases = aw_race_cases,
};

kunit_test_suites(&aw_api_suite, &aw_context_suite, &aw_wait_suite,
		  &aw_race_suite);

MODULE_DESCRIPTION("KUnit tests for atomic_waker");
MODULE_LICENSE("GPL");
