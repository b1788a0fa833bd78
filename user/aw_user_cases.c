// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space-only suite, atomic_waker_user: what only the shim can
 * arrange or observe, in the style of ../kunit/ and with its helpers.
 * Every other case is ../kunit/'s, built here unchanged.
 *
 *  - races forced through shim_after_read, the hook the shim's
 *    atomic_long_read() calls right after its load: another CPU's call
 *    between a peek and the RMW that follows it, where no callback runs
 *    (the kernel has no such hook);
 *  - a wake() on a read-only page (mprotect());
 *  - calls from NMI (the shim's context counts; a kernel test cannot make
 *    an NMI on demand);
 *  - which wakes of a task ran inside an RCU read-side section (the shim's
 *    wake_up_process() counts them).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "aw_kunit.h"

/*
 * A register() (or a wake() and a register()) right after a load of @aw's
 * slot, through shim_after_read: each load of the slot runs the next of
 * up to AR_MAX such calls.
 */
#define AR_MAX	2

static struct {
	struct atomic_waker *aw;
	struct aw_count c[AR_MAX];
	bool wake_first;	/* a wake() empties the slot first */
	int n;
	int fired;
	int ret[AR_MAX];
} ar;

static void ar_register(const atomic_long_t *v)
{
	if (v != &ar.aw->slot || ar.fired == ar.n)
		return;
	if (ar.wake_first)
		atomic_waker_wake(ar.aw);
	ar.ret[ar.fired] = atomic_waker_register(ar.aw,
						 aw_count_waker(&ar.c[ar.fired]));
	ar.fired++;
}

static void ar_arm(struct atomic_waker *aw, int n, bool wake_first)
{
	int i;

	memset(&ar, 0, sizeof(ar));
	for (i = 0; i < AR_MAX; i++)
		aw_count_init(&ar.c[i], &aw_count_ops);
	ar.aw = aw;
	ar.n = n;
	ar.wake_first = wake_first;
	shim_after_read = ar_register;
}

static void ar_disarm(void)
{
	shim_after_read = NULL;
}

/*
 * A register() right after finish_wait()'s peek finds the sleeper: -EBUSY,
 * warned, and finish_wait() takes the sleeper out.
 */
static void aw_test_race_finish_wait_busy(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned long snap;

	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ar_arm(&aw, 1, false);
	snap = aw_misuse_begin(test, 1);
	atomic_waker_finish_wait(&aw);
	aw_misuse_end(test, snap, 1);
	ar_disarm();

	KUNIT_EXPECT_EQ(test, ar.fired, 1);
	KUNIT_EXPECT_EQ(test, ar.ret[0], -EBUSY);
	AW_EXPECT_COUNT(test, &ar.c[0], 0, 0, 0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	KUNIT_EXPECT_EQ(test, READ_ONCE(current->__state), TASK_RUNNING);
}

/*
 * A wake() and then a register() right after finish_wait()'s peek: the
 * registration stands; finish_wait() must not erase it.
 */
static void aw_test_race_finish_wait_emptied(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);

	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ar_arm(&aw, 1, true);
	atomic_waker_finish_wait(&aw);
	ar_disarm();

	KUNIT_EXPECT_EQ(test, ar.fired, 1);
	KUNIT_EXPECT_EQ(test, ar.ret[0], 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&aw.slot),
			aw_count_waker(&ar.c[0]).word);
	AW_EXPECT_COUNT(test, &ar.c[0], 1, 0, 0);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &ar.c[0], 1, 1, 0);
}

/*
 * prepare_wait() whose register meets another: -EBUSY inside, warned, and
 * the task stays runnable, for nothing in the slot would wake it.
 */
static void aw_test_race_prepare_wait(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	unsigned int usage = refcount_read(&current->usage);
	unsigned long snap;
	unsigned int state;
	int ret;

	ar_arm(&aw, 1, false);
	snap = aw_misuse_begin(test, 1);
	ret = atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	aw_misuse_end(test, snap, 1);
	ar_disarm();
	state = READ_ONCE(current->__state);
	atomic_waker_finish_wait(&aw);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ar.fired, 1);
	KUNIT_EXPECT_EQ(test, ar.ret[0], 0);
	KUNIT_EXPECT_EQ_MSG(test, state, TASK_RUNNING, "left asleep");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&aw.slot),
			aw_count_waker(&ar.c[0]).word);
	atomic_waker_destroy(&aw);
	AW_EXPECT_COUNT(test, &ar.c[0], 1, 1, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&current->usage), usage);
}

/*
 * After a register() after every load in wake() or take(): exactly one
 * target woken, the one replaced before the take released unwoken, and
 * every reference put once.
 */
static void ar_check_take(struct kunit *test, struct aw_count *a, bool took)
{
	int woken = atomic_read(&a->wakes), i;

	KUNIT_EXPECT_TRUE(test, took);
	KUNIT_EXPECT_GE(test, ar.fired, 1);
	AW_EXPECT_COUNT(test, a, 1, 1, 0);
	for (i = 0; i < ar.fired; i++) {
		woken += atomic_read(&ar.c[i].wakes);
		KUNIT_EXPECT_EQ(test, ar.ret[i], 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&ar.c[i].gets),
				atomic_read(&ar.c[i].puts));
	}
	KUNIT_EXPECT_EQ(test, woken, 1);
}

static void aw_test_race_take(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct atomic_waker_target w;
	bool took;

	atomic_waker_register(&aw, aw_count_waker(&a));
	ar_arm(&aw, AR_MAX, false);
	took = atomic_waker_wake(&aw);
	ar_disarm();
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	atomic_waker_destroy(&aw);
	ar_check_take(test, &a, took);

	atomic_waker_register(&aw, aw_count_waker(&b));
	ar_arm(&aw, AR_MAX, false);
	took = atomic_waker_take(&aw, &w);
	ar_disarm();
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&aw));
	atomic_waker_target_wake(&w);
	atomic_waker_destroy(&aw);
	ar_check_take(test, &b, took);
}

/*
 * A wake() with nothing registered writes nothing: it works on a read-only
 * atomic_waker (a store or an RMW would fault), so it does not take the
 * cache line from a registrant.
 */
static void aw_test_empty_wake_read_only(struct kunit *test)
{
	long pagesz = sysconf(_SC_PAGESIZE);
	struct atomic_waker_target w;
	struct atomic_waker *aw;

	aw = mmap(NULL, pagesz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KUNIT_ASSERT_TRUE(test, aw != MAP_FAILED);
	atomic_waker_init(aw);
	KUNIT_ASSERT_EQ(test, mprotect(aw, pagesz, PROT_READ), 0);
	KUNIT_EXPECT_FALSE(test, atomic_waker_wake(aw));
	KUNIT_EXPECT_FALSE(test, aw_wake_if_registered(aw));
	KUNIT_EXPECT_FALSE(test, atomic_waker_take(aw, &w));
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&w));
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(aw));
	munmap(aw, pagesz);
}

/*
 * From NMI, register(), wake() and take() each refuse and warn
 * (-EOPNOTSUPP; false), and change nothing.
 */
static void aw_test_nmi(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct aw_count a = AW_COUNT_INIT, b = AW_COUNT_INIT;
	struct atomic_waker_target w;
	int ret;
	bool woke, took;

	atomic_waker_register(&aw, aw_count_waker(&a));
	shim_this()->nmi++;
	ret = AW_MISUSE(test, atomic_waker_register(&aw, aw_count_waker(&b)));
	woke = AW_MISUSE(test, atomic_waker_wake(&aw));
	took = AW_MISUSE(test, atomic_waker_take(&aw, &w));
	shim_this()->nmi--;

	KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, woke);
	KUNIT_EXPECT_FALSE(test, took);
	KUNIT_EXPECT_TRUE(test, atomic_waker_target_is_empty(&w));
	AW_EXPECT_COUNT(test, &b, 0, 0, 0);
	AW_EXPECT_COUNT(test, &a, 1, 0, 0);
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	AW_EXPECT_COUNT(test, &a, 1, 1, 1);
}

/*
 * wake() wakes a sleeper (registered unpinned) before its RCU read-side
 * section ends, as that keeps the task_struct alive; a pinned task target
 * is woken, and put, with preemption as the caller had it.
 */
static void aw_test_sleeper_woken_in_rcu(struct kunit *test)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct task_struct *me = current;
	int in_rcu;

	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	in_rcu = me->wakes_in_rcu;
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	KUNIT_EXPECT_EQ(test, READ_ONCE(me->__state), TASK_RUNNING);
	atomic_waker_finish_wait(&aw);
	KUNIT_EXPECT_EQ_MSG(test, me->wakes_in_rcu, in_rcu + 1,
			    "a sleeper woken outside the RCU section");

	set_current_state(TASK_UNINTERRUPTIBLE);
	atomic_waker_register(&aw, atomic_waker_target_task(me));
	in_rcu = me->wakes_in_rcu;
	KUNIT_EXPECT_TRUE(test, atomic_waker_wake(&aw));
	__set_current_state(TASK_RUNNING);
	KUNIT_EXPECT_EQ_MSG(test, me->wakes_in_rcu, in_rcu,
			    "a task target woken with preemption off");
}

static struct kunit_case aw_user_cases[] = {
	KUNIT_CASE(aw_test_race_finish_wait_busy),
	KUNIT_CASE(aw_test_race_finish_wait_emptied),
	KUNIT_CASE(aw_test_race_prepare_wait),
	KUNIT_CASE(aw_test_race_take),
	KUNIT_CASE(aw_test_empty_wake_read_only),
	KUNIT_CASE(aw_test_nmi),
	KUNIT_CASE(aw_test_sleeper_woken_in_rcu),
	{}
};

static struct kunit_suite aw_user_suite = {
	.name = "atomic_waker_user",
	.test_cases = aw_user_cases,
};

kunit_test_suites(&aw_user_suite);
