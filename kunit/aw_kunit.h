/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for atomic_waker: what the suites share.
 *
 * One source, two worlds (as tools/testing/radix-tree builds
 * lib/test_maple_tree.c): these files are the KUnit module
 * atomic_waker_kunit.ko, and, unchanged, the user-space test program of
 * ../user/, built against ../user/shim (kunit/test.h, kthreads, timers,
 * work and irq_work on pthreads) in plain, ThreadSanitizer, ASan+UBSan and
 * PREEMPT_RT builds.  The suites, one file each:
 *
 *   atomic_waker             api.c         the contract, from one thread
 *   atomic_waker_context     context.c     target kinds; where wake() runs
 *   atomic_waker_wait_queue  wait_queue.c  wait queue targets woken from
 *                                          atomic contexts (the PREEMPT_RT
 *                                          deferral through the irq_work)
 *   atomic_waker_wait        wait.c        the wait_event helpers
 *   atomic_waker_race        race.c        threads racing on one slot
 *   atomic_waker_misuse      misuse.c      racing misuse: -EBUSY, warned
 *
 * Rules the files keep, because breaking them hides failures:
 *  - KUNIT_* only in the test thread: helper kthreads, timers and IRQ
 *    handlers count what went wrong in plain fields or atomic_t, and the
 *    test thread checks the counts once the helper is stopped.
 *  - Every wait is bounded (AW_TIMEOUT), so a broken atomic_waker fails a
 *    case rather than hanging the suite.
 *  - Every timer, work item and kthread is stopped by a kunit action, so a
 *    case that fails early does not leave one running into freed memory.
 *  - A call that should warn (misuse) goes through AW_MISUSE(), which
 *    prints the marker the kernel log checker pairs with its WARNING, and
 *    in user space checks that it warned exactly once.
 */
#ifndef _AW_KUNIT_H
#define _AW_KUNIT_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"
#include "compat.h"

/* The bound of every wait for something that should happen promptly. */
#define AW_TIMEOUT		(5 * HZ)

/* ---- a counting callback target ---------------------------------------- */

/*
 * A callback target that counts what atomic_waker does to it.  The ops are
 * set by AW_COUNT_INIT or aw_count_init(); the target is &cb.
 */
struct aw_count {
	struct atomic_waker_callback cb;
	atomic_t gets;
	atomic_t puts;
	atomic_t wakes;
};

extern const struct atomic_waker_callback_ops aw_count_ops;
/* The same counter without lifetime hooks: get and put are optional. */
extern const struct atomic_waker_callback_ops aw_count_wake_only_ops;

#define AW_COUNT_INIT	{ .cb.ops = &aw_count_ops }

static inline struct atomic_waker_target aw_count_waker(struct aw_count *c)
{
	return atomic_waker_target_callback(&c->cb);
}

void aw_count_wake(struct atomic_waker_callback *cb);
void aw_count_get(struct atomic_waker_callback *cb);
void aw_count_put(struct atomic_waker_callback *cb);
void aw_count_reset(struct aw_count *c);
void aw_count_init(struct aw_count *c,
		   const struct atomic_waker_callback_ops *ops);

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

/* ---- a target that races with its own register() ------------------------ */

/*
 * register() takes its target's reference (the get hook) between its peek
 * at the slot and its cmpxchg: the window in which a call on another CPU
 * races with it.  A racer is a counted target whose get hook makes one such
 * call, @race, on @aw, so that each race happens on every run, in one
 * thread.  Hooks must not sleep: the outcome is kept for the test to check.
 */
struct aw_racer {
	struct aw_count c;
	struct atomic_waker *aw;
	int (*race)(struct aw_racer *r);	/* made by the next get only */
	struct atomic_waker_target other;	/* aw_in_get_register()'s */
	struct atomic_waker_target taken;	/* what aw_in_get_take() took */
	int raced;			/* races made */
	int ret;			/* what the last one returned */
};

extern const struct atomic_waker_callback_ops aw_racer_ops;

#define AW_RACER_INIT(_aw, _race)					\
	{ .c.cb.ops = &aw_racer_ops, .aw = (_aw), .race = (_race) }

static inline struct atomic_waker_target aw_racer_waker(struct aw_racer *r)
{
	return atomic_waker_target_callback(&r->c.cb);
}

int aw_in_get_register(struct aw_racer *r);
int aw_in_get_wake(struct aw_racer *r);
int aw_in_get_take(struct aw_racer *r);

/* ---- misuse: warned once, and an errno ------------------------------------ */

/* The line the kernel log checker pairs with one misuse WARNING block. */
#define AW_MISUSE_MARKER	"atomic_waker: expected misuse warning"

unsigned long aw_misuse_begin(struct kunit *test, int markers);
void aw_misuse_end(struct kunit *test, unsigned long snap, unsigned long n);
void aw_misuse_end_range(struct kunit *test, unsigned long snap,
			 unsigned long lo, unsigned long hi);

/*
 * Make @call, which must warn exactly once (a misuse), and evaluate to what
 * it returned.  The marker is printed right before the call.
 */
#define AW_MISUSE(test, call) ({					\
	struct kunit *__test = (test);					\
	unsigned long __snap = aw_misuse_begin(__test, 1);		\
	typeof(call) __r = (call);					\
									\
	aw_misuse_end(__test, __snap, 1);				\
	__r;								\
})

/* The word a task asleep in the wait_event helpers leaves in the slot. */
static inline unsigned long aw_sleeper_word(struct task_struct *t)
{
	return (unsigned long)t | ATOMIC_WAKER_KIND_SLEEPER;
}

/*
 * The caller-barrier form of wake(), for a producer whose fully ordered RMW
 * already ordered its store (atomic_waker_is_registered() comment).
 */
static inline bool aw_wake_if_registered(struct atomic_waker *aw)
{
	if (atomic_waker_is_registered(aw))
		return atomic_waker_wake(aw);
	return false;
}

/* ---- kthreads, timers and work, stopped by kunit actions ---------------- */

void aw_kthread_stop_action(void *t);
void aw_hrtimer_cancel_action(void *t);
void aw_timer_shutdown_action(void *t);
void aw_dwork_cancel_action(void *dw);
void aw_work_cancel_action(void *w);

struct task_struct *aw_kthread_start_on(struct kunit *test,
					int (*fn)(void *), void *arg,
					const char *name, int cpu);
struct task_struct *aw_kthread_start(struct kunit *test, int (*fn)(void *),
				     void *arg, const char *name);
void aw_kthread_stop(struct kunit *test, struct task_struct *t);
void aw_hrtimer_start(struct kunit *test, struct hrtimer *t,
		      enum hrtimer_restart (*fn)(struct hrtimer *t),
		      enum hrtimer_mode mode);

/* Is @t asleep: in a sleeping state and off its CPU?  A racy hint. */
bool aw_task_asleep(struct task_struct *t);

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

/* ---- racing threads ------------------------------------------------------- */

/* How long a racing thread spins for its partner before it sleeps. */
#define AW_SPINS		20000
#define AW_JITTER_WORKER	256
#define AW_JITTER_MAIN		4096

bool aw_wait_step(atomic_t *v, int want);
void aw_step(atomic_t *v, int val);
void aw_step_inc(atomic_t *v);
void aw_jitter(unsigned int max);

/*
 * The racing cases run AW_RACE_MIN rounds, then more until AW_RACE_MAX or
 * until AW_RACE_BUDGET has passed: under TCG on a loaded host a round can
 * take a millisecond, and a case that runs for 30 s trips the hung task
 * check on the thread that loads the module.
 */
#define AW_RACE_MIN		1000
#define AW_RACE_MAX		50000
#define AW_RACE_BUDGET		(4 * HZ)

bool aw_race_more(int round, int min, unsigned long start);

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

void aw_race_start(struct kunit *test, struct aw_race *r, int iters,
		   void (*worker_side)(struct aw_race *r));
bool aw_race_go(struct aw_race *r, int i);

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

struct aw_prod *aw_prod_start(struct kunit *test, enum aw_prod_kind kind);
void aw_prod_stop(struct kunit *test, struct aw_prod *p);
bool aw_prod_over(struct aw_prod *p);
void aw_prod_arm_rescue(struct aw_prod *p);

#endif /* _AW_KUNIT_H */
