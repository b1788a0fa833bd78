// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker: the contract, from one
 * thread.  The racing paths are made deterministic by a racer (struct
 * aw_racer), whose get hook makes the racing call in register()'s window.
 */

#include <linux/prandom.h>
#include <linux/refcount.h>

#include "aw_kunit.h"

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
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&out));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&dw.slot), 0);
	atomic_waker_destroy(&sw);
	atomic_waker_destroy(&dw);
}

/*
 * An atomic_waker is one word, as a struct rcuwait, so that it fits where
 * one does; a target too, so that it is passed in a register.
 */
static void aw_test_one_word(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct atomic_waker), sizeof(long));
	KUNIT_EXPECT_EQ(test, sizeof(struct atomic_waker_target),
			sizeof(long));
}

/* tokio basic_usage: register, wake, woken.  The slot holds the target. */
static void aw_test_basic_usage(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target w = aw_count_waker(&c);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, w), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&aw.slot), w.word);
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
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
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

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/*
 * The caller-barrier form, if (atomic_waker_is_registered()) wake(), for a
 * producer whose fully ordered RMW already ordered its store: the same
 * wake, once, and nothing on an empty slot.
 */
static void aw_test_wake_caller_barrier(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	atomic_t cond = ATOMIC_INIT(0);

	KUNIT_EXPECT_FALSE(test, aw_wake_if_registered(&aw));
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	atomic_inc_return(&cond);
	KUNIT_EXPECT_TRUE(test, aw_wake_if_registered(&aw));
	KUNIT_EXPECT_FALSE(test, aw_wake_if_registered(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
}

/* embassy register_same_waker_no_spurious_wakes: re-registering is free. */
static void aw_test_register_same_no_spurious(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	int i;

	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test,
				atomic_waker_register(&aw, aw_count_waker(&c)),
				0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* A new target replaces the old one, which is released without a wake. */
static void aw_test_register_replaces(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct aw_count c = { .cb.ops = &aw_count_wake_only_ops };
	struct atomic_waker_target wa = aw_count_waker(&a);
	struct atomic_waker_target wc = aw_count_waker(&c);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&b)),
			0);
	AW_EXPECT_COUNT(test, &a, 1, 1, 0);
	AW_EXPECT_COUNT(test, &b, 1, 0, 0);

	/* A target without hooks replaces one with them, and the other way. */
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wc), 0);
	AW_EXPECT_COUNT(test, &b, 1, 1, 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wc), 0);
	AW_EXPECT_COUNT(test, &a, 2, 2, 0);

	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &a, 2, 2, 0);
	AW_EXPECT_COUNT(test, &b, 1, 1, 0);
	AW_EXPECT_COUNT(test, &c, 0, 0, 1);
}

/* Each of @bad is refused with -EINVAL and a warning. */
static void aw_expect_refused(struct kunit *test, struct atomic_waker *aw,
			      const struct atomic_waker_target *bad, int n,
			      const char *over)
{
	int i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    AW_MISUSE(test,
					      atomic_waker_register(aw, bad[i])),
				    -EINVAL, "bad target %d %s", i, over);
}

/*
 * What is not a target is refused with -EINVAL and a warning, and changes
 * nothing: no hook runs, no task reference is taken, and a target already
 * in the slot stays there, unreleased.  A sleeper is only ever made by
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
		{ aw_sleeper_word(current) },
	};
	struct atomic_waker_target wc = aw_count_waker(&c), out;

	aw_expect_refused(test, &aw, bad, ARRAY_SIZE(bad), "over nothing");
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wc), 0);
	aw_expect_refused(test, &aw, bad, ARRAY_SIZE(bad), "over a target");
	AW_EXPECT_COUNT(test, &no_wake_fn, 0, 0, 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);

	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &wc));
	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* take() hands the target over unwoken; target_wake() wakes and puts it. */
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
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&out));

	/* An emptied target is inert: no second wake, no second put. */
	atomic_waker_target_wake(&out);
	atomic_waker_target_drop(&out);
	AW_EXPECT_COUNT(test, &c, 1, 1, 1);
}

/* atomic_waker_target_drop() releases a taken target without waking it. */
static void aw_test_take_then_drop(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_FALSE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&out));

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	atomic_waker_target_drop(&out);
	AW_EXPECT_COUNT(test, &c, 2, 1, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&out));
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

/* destroy() puts the registered target, does not wake it, and may repeat. */
static void aw_test_destroy_releases(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count c = AW_COUNT_INIT;

	atomic_waker_destroy(&aw);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &c, 1, 1, 0);

	/* A destroyed atomic_waker may be used again. */
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &c, 2, 2, 1);
}

/*
 * atomic_waker_target_same() compares what is woken and how: one object is
 * one target per kind.  The constructors keep the pointer and put the kind
 * in its low bits (ATOMIC_WAKER_KIND_*, in the header).
 */
static void aw_test_waker_same(struct kunit *test)
{
	union {
		struct atomic_waker_wait_queue wq;
		struct work_struct work;
		struct atomic_waker_callback cb;
	} u;
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct atomic_waker_target wa = aw_count_waker(&a);
	struct atomic_waker_target wa2 = aw_count_waker(&a);
	struct atomic_waker_target wb = aw_count_waker(&b);
	struct atomic_waker_target t1 = atomic_waker_target_task(current);
	struct atomic_waker_target t2 = atomic_waker_target_task(current);
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
					    atomic_waker_target_same(&kinds[i],
								     &kinds[j]),
					    i == j, "kinds %d and %d", i, j);

	KUNIT_EXPECT_EQ(test, t1.word,
			(unsigned long)current | ATOMIC_WAKER_KIND_TASK);
	KUNIT_EXPECT_EQ(test, wa.word,
			(unsigned long)&a.cb | ATOMIC_WAKER_KIND_CALLBACK);
	KUNIT_EXPECT_EQ(test, kinds[0].word,
			(unsigned long)&u | ATOMIC_WAKER_KIND_WAIT_QUEUE);
	KUNIT_EXPECT_EQ(test, kinds[1].word,
			(unsigned long)&u | ATOMIC_WAKER_KIND_WORK);
}

/* A callback target without get/put is stored, woken and dropped too. */
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
 * A task target pins the task once while it is in the slot, whatever
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

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&c)),
			0);
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
 * Two register() calls racing: the one whose cmpxchg finds the other's
 * target returns -EBUSY and warns, puts its own target once and never
 * wakes it; the other's target stays registered.  Over an empty slot (the
 * cmpxchg expects 0) and over a registered target (it expects that one).
 */
static void aw_test_register_busy(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, c = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_register);
	struct atomic_waker_target wb = aw_racer_waker(&b);

	b.other = aw_count_waker(&c);
	KUNIT_EXPECT_EQ(test, AW_MISUSE(test, atomic_waker_register(&aw, wb)),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	AW_EXPECT_COUNT(test, &b.c, 1, 1, 0);
	AW_EXPECT_COUNT(test, &c, 1, 0, 0);

	b.race = aw_in_get_register;
	b.other = aw_count_waker(&a);
	KUNIT_EXPECT_EQ(test, AW_MISUSE(test, atomic_waker_register(&aw, wb)),
			-EBUSY);
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
 * Registers must be serialized, but if two race with the same target, the
 * loser finds its own target in the slot: that is a success, as the
 * same-target peek is, with no warning, and it puts only the reference it
 * took.
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
 * cmpxchg finds 0, not the target it peeked at, and register() tries again
 * from the empty slot.  It returns 0 with its target stored; the old target
 * is woken once, by that wake(), and put once.  Over an empty slot, such a
 * wake() finds nothing, and register() has nothing to try again.
 */
static void aw_test_register_during_wake(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_wake);
	struct atomic_waker_target wb = aw_racer_waker(&b), out;

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_count_waker(&a)),
			0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), 0);
	KUNIT_EXPECT_EQ(test, b.raced, 1);
	KUNIT_EXPECT_EQ(test, b.ret, true);	/* the racing wake() woke @a */
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
	AW_EXPECT_COUNT(test, &b.c, 1, 0, 0);

	KUNIT_EXPECT_TRUE(test, atomic_waker_take(&aw, &out));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &wb));
	atomic_waker_target_wake(&out);
	AW_EXPECT_COUNT(test, &b.c, 1, 1, 1);

	b.race = aw_in_get_wake;
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wb), 0);
	KUNIT_EXPECT_EQ(test, b.ret, false);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&aw.slot), wb.word);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &b.c, 2, 2, 1);
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
}

/*
 * A take() in the same window: register() tries again and stores its
 * target as above, and the old target goes to the taker, unwoken, with the
 * reference its register() took, until the taker wakes it.
 */
static void aw_test_take_during_register(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT;
	struct aw_racer b = AW_RACER_INIT(&aw, aw_in_get_take);
	struct atomic_waker_target wa = aw_count_waker(&a);

	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, wa), 0);
	KUNIT_EXPECT_EQ(test, atomic_waker_register(&aw, aw_racer_waker(&b)),
			0);
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
 * Registering the target the slot holds is a peek: no get hook, so no
 * window a racing call could land in, and nothing replaced.  Once a take()
 * has emptied the slot, the same target is registered again for real.
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

/* A counted target that notes whether each hook ran preemptible. */
struct aw_ctx_count {
	struct aw_count c;
	atomic_t preemptible;	/* hooks that ran preemptible */
	atomic_t atomic;	/* ... and that did not */
};

static void aw_ctx_note(struct atomic_waker_callback *cb)
{
	struct aw_ctx_count *x = container_of(cb, struct aw_ctx_count, c.cb);

	atomic_inc(preemptible() ? &x->preemptible : &x->atomic);
}

static void aw_ctx_wake(struct atomic_waker_callback *cb)
{
	aw_ctx_note(cb);
	aw_count_wake(cb);
}

static void aw_ctx_get(struct atomic_waker_callback *cb)
{
	aw_ctx_note(cb);
	aw_count_get(cb);
}

static void aw_ctx_put(struct atomic_waker_callback *cb)
{
	aw_ctx_note(cb);
	aw_count_put(cb);
}

static const struct atomic_waker_callback_ops aw_ctx_ops = {
	.wake	= aw_ctx_wake,
	.get	= aw_ctx_get,
	.put	= aw_ctx_put,
};

/* register, replace, replace, wake: seven hooks (get, get+put twice, wake+put) */
static void aw_ctx_calls(struct atomic_waker *aw, struct aw_ctx_count *x,
			 struct aw_ctx_count *y)
{
	atomic_waker_register(aw, atomic_waker_target_callback(&x->c.cb));
	atomic_waker_register(aw, atomic_waker_target_callback(&y->c.cb));
	atomic_waker_register(aw, atomic_waker_target_callback(&x->c.cb));
	atomic_waker_wake(aw);
}

/*
 * The hooks and the wake of a target run in the context of the register()
 * or wake() that calls them, with preemption as the caller had it: wake()
 * takes the target with preemption off, but wakes it after.
 */
static void aw_test_hooks_in_callers_context(struct kunit *test)
{
	struct aw_ctx_count x = { .c.cb.ops = &aw_ctx_ops };
	struct aw_ctx_count y = { .c.cb.ops = &aw_ctx_ops };
	DEFINE_ATOMIC_WAKER(aw);
	unsigned long flags;

	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		kunit_skip(test, "preemptible() needs CONFIG_PREEMPT_COUNT");
	aw_ctx_calls(&aw, &x, &y);
	KUNIT_EXPECT_EQ(test, atomic_read(&x.preemptible) +
			atomic_read(&y.preemptible), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&x.atomic) +
			atomic_read(&y.atomic), 0);

	local_irq_save(flags);
	aw_ctx_calls(&aw, &x, &y);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, atomic_read(&x.atomic) +
			atomic_read(&y.atomic), 7);
	AW_EXPECT_COUNT(test, &x.c, 4, 4, 2);
	AW_EXPECT_COUNT(test, &y.c, 2, 2, 0);
}

/* A counted callback target that registers itself again when first woken. */
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
	r->ret = atomic_waker_register(r->aw,
				       atomic_waker_target_callback(cb));
	r->puts_in_wake = atomic_read(&r->c.puts);
}

static const struct atomic_waker_callback_ops aw_rearm_ops = {
	.wake	= aw_rearm_wake,
	.get	= aw_count_get,
	.put	= aw_count_put,
};

/*
 * wake() releases the slot before it calls the target, so a wake callback
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
 * state and registers current, unpinned; finish_wait() runs it again and
 * takes it out of the slot.  A second prepare_wait() of the same loop finds
 * current registered; a wake() takes it out and sets it running; take()
 * hands it out pinned, as a task target.  Nothing here sleeps, and nothing
 * is checked until the task runs again: a failed check may sleep.
 */
static void aw_test_prepare_finish_wait(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	unsigned int state[2], held;
	struct atomic_waker_target me = atomic_waker_target_task(current), out;
	bool registered, woke, took;
	int ret;

	ret = atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	state[0] = READ_ONCE(current->__state);
	registered = atomic_long_read(&aw.slot) == aw_sleeper_word(current);
	ret |= atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	held = refcount_read(&current->usage);
	woke = atomic_waker_wake(&aw);
	state[1] = READ_ONCE(current->__state);
	atomic_waker_finish_wait(&aw);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, state[0], TASK_UNINTERRUPTIBLE);
	KUNIT_EXPECT_TRUE(test, registered);
	KUNIT_EXPECT_EQ(test, held, usage);	/* a sleeper is not pinned */
	KUNIT_EXPECT_TRUE(test, woke);
	KUNIT_EXPECT_EQ(test, state[1], TASK_RUNNING);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));

	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	atomic_waker_finish_wait(&aw);
	registered = atomic_waker_is_registered(&aw);
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	took = atomic_waker_take(&aw, &out);
	held = refcount_read(&current->usage);
	atomic_waker_finish_wait(&aw);
	KUNIT_EXPECT_FALSE(test, registered);
	KUNIT_EXPECT_EQ(test, READ_ONCE(current->__state), TASK_RUNNING);
	KUNIT_EXPECT_TRUE(test, took);
	KUNIT_EXPECT_EQ(test, held, usage + 1);
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_same(&out, &me));
	atomic_waker_target_drop(&out);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

/*
 * A register() that finds a sleeper in the slot would replace a task that
 * nothing would wake through @aw any more: it returns -EBUSY and warns,
 * and the slot keeps the sleeper, which got and put nothing.  (It used to
 * replace the sleeper.)  finish_wait() then takes the sleeper out.
 */
static void aw_test_register_over_sleeper(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	struct aw_count c = AW_COUNT_INIT;
	struct atomic_waker_target wc = aw_count_waker(&c);
	struct atomic_waker_target me = atomic_waker_target_task(current);
	unsigned long word;
	int ret[2];

	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ret[0] = AW_MISUSE(test, atomic_waker_register(&aw, wc));
	ret[1] = AW_MISUSE(test, atomic_waker_register(&aw, me));
	word = atomic_long_read(&aw.slot);
	atomic_waker_finish_wait(&aw);

	KUNIT_EXPECT_EQ(test, ret[0], -EBUSY);
	KUNIT_EXPECT_EQ(test, ret[1], -EBUSY);
	KUNIT_EXPECT_EQ(test, word, aw_sleeper_word(current));
	AW_EXPECT_COUNT(test, &c, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, READ_ONCE(current->__state), TASK_RUNNING);
}

#define AW_MODEL_OPS	200000
#define AW_MODEL_WAKERS	3

/* The slot as the model sees it, and what each target should have seen. */
struct aw_model {
	struct atomic_waker aw;
	struct aw_count *c;
	struct { int gets, puts, wakes; } exp[AW_MODEL_WAKERS];
	int slot;		/* the target in the slot, or -1 */
};

/* The model's slot is emptied: its target is put, and maybe woken. */
static void aw_model_release(struct aw_model *m, bool woken)
{
	if (m->slot >= 0) {
		m->exp[m->slot].wakes += woken;
		m->exp[m->slot].puts++;
	}
	m->slot = -1;
}

/* One random call, @r, on both; return: it returned what the model says. */
static bool aw_model_op(struct aw_model *m, u32 r)
{
	int k = (r >> 8) % AW_MODEL_WAKERS;
	struct atomic_waker_target out;
	bool ok = true, wake = r & BIT(16);

	switch (r % 8) {
	case 0 ... 3:	/* register, often replacing, sometimes same */
		ok = !atomic_waker_register(&m->aw, aw_count_waker(&m->c[k]));
		if (m->slot != k) {
			aw_model_release(m, false);
			m->exp[k].gets++;
			m->slot = k;
		}
		break;
	case 4 ... 5:	/* wake */
		ok = atomic_waker_wake(&m->aw) == (m->slot >= 0);
		aw_model_release(m, true);
		break;
	case 6:		/* take, then wake or drop what was taken */
		ok = atomic_waker_take(&m->aw, &out) == (m->slot >= 0);
		if (wake)
			atomic_waker_target_wake(&out);
		else
			atomic_waker_target_drop(&out);
		aw_model_release(m, wake);
		break;
	case 7:		/* destroy, then reuse */
		atomic_waker_destroy(&m->aw);
		aw_model_release(m, false);
		break;
	}
	return ok && atomic_waker_is_registered(&m->aw) == (m->slot >= 0);
}

/*
 * 200 000 random register/wake/take/replace/destroy calls against a model
 * of the slot: every return value and every get, put and wake is predicted
 * exactly, and at the end gets == puts.
 */
static void aw_test_balance_model(struct kunit *test)
{
	struct aw_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	int i, k, bad = 0, first_bad = -1;
	struct rnd_state rnd;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->c = kunit_kcalloc(test, AW_MODEL_WAKERS, sizeof(*m->c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->c);
	for (k = 0; k < AW_MODEL_WAKERS; k++)
		aw_count_init(&m->c[k], &aw_count_ops);
	prandom_seed_state(&rnd, 0x61775f6b756e6974ULL);
	atomic_waker_init(&m->aw);
	m->slot = -1;

	for (i = 0; i < AW_MODEL_OPS; i++)
		if (!aw_model_op(m, prandom_u32_state(&rnd)) && !bad++)
			first_bad = i;
	atomic_waker_destroy(&m->aw);
	aw_model_release(m, false);

	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "first bad op #%d", first_bad);
	for (k = 0; k < AW_MODEL_WAKERS; k++) {
		AW_EXPECT_COUNT(test, &m->c[k], m->exp[k].gets,
				m->exp[k].puts, m->exp[k].wakes);
		KUNIT_EXPECT_EQ(test, atomic_read(&m->c[k].gets),
				atomic_read(&m->c[k].puts));
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
	KUNIT_CASE(aw_test_hooks_in_callers_context),
	KUNIT_CASE(aw_test_rearm_from_wake),
	KUNIT_CASE(aw_test_prepare_finish_wait),
	KUNIT_CASE(aw_test_register_over_sleeper),
	KUNIT_CASE(aw_test_balance_model),
	{}
};

static struct kunit_suite aw_api_suite = {
	.name = "atomic_waker",
	.test_cases = aw_api_cases,
};

kunit_test_suites(&aw_api_suite);
