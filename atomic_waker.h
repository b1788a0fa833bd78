/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOMIC_WAKER_H
#define _ATOMIC_WAKER_H
/*
 * atomic_waker: one slot that holds "who to wake", for completion-style paths.
 *
 * A consumer registers a waker (a task, a wait queue, a work item, or a
 * callback) and then tests its condition; a producer publishes the condition
 * and then calls atomic_waker_wake(), which takes the waker out of the slot and
 * wakes it.  This is Rust's futures AtomicWaker on an atomic_t: no lock, no
 * list, and no lost wakeup whichever side comes first.
 *
 *   CONSUMER                              PRODUCER
 *   atomic_waker_register(aw, w);         WRITE_ONCE(done, 1);
 *   if (READ_ONCE(done))                  atomic_waker_wake(aw);
 *           return;   // else w is woken
 *
 * A wake() with nothing registered is a no-op and is not remembered: the
 * condition is the memory, the waker is only who to tell.
 *
 * States of ->state (bits):
 *
 *   AW_WAITING      0  idle: the slot is empty or holds a waker
 *   AW_REGISTERING  1  a register() owns the slot
 *   AW_WAKING       2  a wake()/take() owns the slot, or asked the
 *                      registering owner to wake on its way out
 *
 * Who may run concurrently with whom ("-" no restriction, "S" the caller
 * must serialize; a racing call is detected and reported, never lost):
 *
 *              | register | wake/take | destroy
 *   register   |    S     |     -     |    S
 *   wake/take  |          |     -     |    S
 *   destroy    |          |           |    S
 *
 * Two register() calls racing: the one that finds the slot owned returns
 * -EBUSY and stores nothing; its waker is neither kept nor woken.  (A
 * register() of the waker the slot already holds only peeks at it and
 * returns 0.)  One consumer per atomic_waker, as with rcuwait: a second
 * sleeper replaces the first, which is then released, not woken.
 *
 * Contexts:
 *   register          process, softirq or hard-IRQ context
 *   wake, take        any context, hard IRQ with IRQs off included; never NMI
 *                     (refused with a warning: defer through irq_work)
 *   wait_event*       process context, may sleep
 *   destroy           any context but NMI, once no other call can start
 *
 * Ordering, in Linux-kernel memory model terms:
 *   (1) A store made before atomic_waker_wake() and a load made after an
 *       atomic_waker_register() that stored its waker cannot both miss each
 *       other: either the load sees the store, or that wake() (or an earlier
 *       one still in flight) wakes the waker.  A register() that finds a
 *       wake() in flight stores nothing and wakes its waker at once; the
 *       woken party registers and tests again, as every sleep loop does.
 *   (2) A wake() that finds another wake() in flight and returns false has
 *       still ordered its earlier stores before the next register(): the
 *       next registrant sees them (tokio's failed_wake_synchronizes).
 *   (3) When a waker is woken, the wake-up function (wake_up_process() and
 *       friends) gives the ordering between the producer's stores and the
 *       woken party's loads; atomic_waker adds no other ordering.  A
 *       callback waker must give it too: at least a release in @wake and an
 *       acquire where the woken party sees it.
 *
 * Lifetime of what is registered:
 *   - a task registered with aw_waker_task() is pinned with
 *     get_task_struct() while it sits in the slot, so it may exit while
 *     registered; the reference is dropped by wake(), by the register() that
 *     replaces it, or by destroy().  Under PREEMPT_RT put_task_struct() from
 *     atomic context defers the free through RCU.
 *   - the sleep helpers register current without a reference, as rcuwait
 *     does: the task takes itself out before the wait returns, and wake()
 *     reaches it with IRQs off, an RCU read-side critical section.  take()
 *     hands such a waker out pinned.
 *   - wait queues and work items are not counted: the owner keeps them alive
 *     until the atomic_waker is destroyed.
 *   - a callback waker may supply get/put hooks; both may run in any context
 *     wake() may run in, and must not sleep.
 *
 * Teardown: atomic_waker_destroy() releases what the slot holds.  The memory
 * holding an atomic_waker may be freed only once no wake() can still touch it.
 * A consumer that saw the condition may be ahead of a producer that has
 * stored it but not yet returned from wake(); so either stop the producers
 * first (synchronize_irq(), hrtimer_cancel(), cancel_work_sync(),
 * kthread_stop()), or have each producer store the condition and call wake()
 * inside one RCU read-side critical section (hard-IRQ handlers, softirqs and
 * any region with preemption or IRQs disabled are one) and free after a grace
 * period (kfree_rcu(), synchronize_rcu()).
 */

#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>
#include <linux/wait.h>

struct work_struct;

/**
 * struct aw_waker_ops - what waking a waker means
 * @wake: wake @data; must not sleep.  Required.  Called by
 *        atomic_waker_wake() once it has released the slot, so it may
 *        register again; or by atomic_waker_register() when it meets a
 *        wake() in flight on another CPU.  It orders what came before it
 *        against what the woken party does next (ordering rule 3).
 * @get: take a reference on @data when it enters the slot; may be NULL.
 * @put: drop that reference; may be NULL.  Called for every @get, whether the
 *       waker is woken, replaced, taken and dropped, or destroyed.
 */
struct aw_waker_ops {
	void (*wake)(void *data);
	void (*get)(void *data);
	void (*put)(void *data);
};

/**
 * struct aw_waker - a waker: an ops table and its argument, passed by value
 * @ops: what to call; NULL means "no waker"
 * @data: the argument of every @ops call
 *
 * Two wakers are the same waker (aw_waker_same()) when both fields match.
 */
struct aw_waker {
	const struct aw_waker_ops *ops;
	void *data;
};

/**
 * struct atomic_waker - a slot for one waker, and the state that guards it
 * @state: AW_WAITING, or the AW_REGISTERING and AW_WAKING bits
 * @waker: the registered waker; only the owner of @state touches it
 */
struct atomic_waker {
	atomic_t state;
	struct aw_waker waker;
};

#define AW_WAITING	0
#define AW_REGISTERING	1
#define AW_WAKING	2

#define ATOMIC_WAKER_INIT	{ .state = ATOMIC_INIT(AW_WAITING) }
#define DEFINE_ATOMIC_WAKER(name) struct atomic_waker name = ATOMIC_WAKER_INIT

struct aw_waker aw_waker_task(struct task_struct *tsk);
struct aw_waker aw_waker_wait_queue(struct wait_queue_head *wq);
struct aw_waker aw_waker_work(struct work_struct *work);

/**
 * aw_waker_callback - a waker that calls @ops->wake(@data)
 * @ops: the callbacks; @ops->wake is required, @ops->get and @ops->put are
 *       optional lifetime hooks.  @ops must outlive every atomic_waker it is
 *       registered in: a module destroys those before it unloads.
 * @data: their argument
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
static inline struct aw_waker aw_waker_callback(const struct aw_waker_ops *ops,
						void *data)
{
	return (struct aw_waker){ .ops = ops, .data = data };
}

/**
 * aw_waker_same - would waking @a wake the same thing as waking @b
 * @a: a waker
 * @b: another waker
 *
 * futures' will_wake(): registering the same waker again is free.
 *
 * Context: any.
 * Return: true when @a and @b have the same ops and data.
 */
static inline bool aw_waker_same(const struct aw_waker *a,
				 const struct aw_waker *b)
{
	return a->ops == b->ops && a->data == b->data;
}

void aw_waker_wake(struct aw_waker *w);
void aw_waker_drop(struct aw_waker *w);

void atomic_waker_init(struct atomic_waker *aw);
int atomic_waker_register(struct atomic_waker *aw, struct aw_waker w);
bool atomic_waker_wake_slowpath(struct atomic_waker *aw);
bool atomic_waker_take(struct atomic_waker *aw, struct aw_waker *out);
void atomic_waker_destroy(struct atomic_waker *aw);

/**
 * atomic_waker_is_registered - is a waker in the slot right now
 * @aw: the atomic_waker
 *
 * A racy hint, like rcuwait_active(): the answer may be stale before the
 * caller reads it.  Use it for statistics and assertions, never to skip a
 * wake().
 *
 * Context: any.
 * Return: true if a waker was registered when the slot was read.
 */
static inline bool atomic_waker_is_registered(const struct atomic_waker *aw)
{
	return READ_ONCE(aw->waker.ops);
}

/**
 * __atomic_waker_wake - atomic_waker_wake() for a caller that supplies (F)
 * @aw: the atomic_waker
 *
 * Only for a caller that has executed a full barrier after storing its
 * condition: smp_mb(), a value-returning atomic RMW such as atomic_inc_return()
 * or atomic_xchg(), or smp_mb__after_atomic() after a non-returning one.
 * The empty case is then a single load.
 *
 * Context: as atomic_waker_wake().
 * Return: as atomic_waker_wake().
 */
static inline bool __atomic_waker_wake(struct atomic_waker *aw)
{
	if (!atomic_waker_is_registered(aw))
		return false;
	return atomic_waker_wake_slowpath(aw);
}

/**
 * atomic_waker_wake - wake the registered waker, if any, and empty the slot
 * @aw: the atomic_waker
 *
 * Call it after storing the condition the waiter tests.  With nothing
 * registered it costs a barrier and two loads, and remembers nothing.  The
 * waker is woken after the slot is released, so its callback may register
 * again.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if this call woke a waker; false if the slot was empty or a
 * racing register() or wake() does the waking.
 */
static inline bool atomic_waker_wake(struct atomic_waker *aw)
{
	/* A full slot needs no (F): the slow path's (B) is fully ordered. */
	if (!atomic_waker_is_registered(aw)) {
		smp_mb(); /* (F), pairs with (A) in atomic_waker_register() */
		if (!atomic_waker_is_registered(aw))
			return false;
	}
	return atomic_waker_wake_slowpath(aw);
}

int atomic_waker_prepare_wait(struct atomic_waker *aw, unsigned int state);
void atomic_waker_finish_wait(struct atomic_waker *aw);

/*
 * The sleep loop.  @condition is tested once before anything is registered
 * (the fast path), then after each atomic_waker_prepare_wait(), which sets
 * the task state and then registers current: a wake() from hard IRQ between
 * the test and @cmd (the sleep) leaves the task runnable.
 */
#define ___atomic_waker_wait(aw, condition, state, ret, cmd)		\
({									\
	struct atomic_waker *__aw = (aw);				\
	long __ret = ret, __err = 0;					\
	bool __armed = false;						\
									\
	might_sleep();							\
	for (;;) {							\
		if (condition)						\
			break;						\
		if (__armed) {						\
			if (__err) {					\
				__ret = __err;				\
				break;					\
			}						\
			cmd;						\
		}							\
		__err = atomic_waker_prepare_wait(__aw, state);		\
		__armed = true;						\
	}								\
	if (__armed)							\
		atomic_waker_finish_wait(__aw);				\
	__ret;								\
})

/**
 * atomic_waker_wait_event - sleep until @condition is true
 * @aw: the atomic_waker the producer wakes after making @condition true
 * @condition: a C expression, evaluated after each wakeup
 *
 * Sleeps in TASK_UNINTERRUPTIBLE with the current task registered in @aw.
 * Spurious wakeups are harmless: the condition is tested again.  On return
 * current is no longer registered.
 *
 * Context: process context; may sleep.
 */
#define atomic_waker_wait_event(aw, condition)				\
	((void)___atomic_waker_wait(aw, condition, TASK_UNINTERRUPTIBLE, \
				    0, schedule()))

/**
 * atomic_waker_wait_event_interruptible - sleep until @condition or a signal
 * @aw: the atomic_waker the producer wakes after making @condition true
 * @condition: a C expression, evaluated after each wakeup
 *
 * Context: process context; may sleep.
 * Return: 0 once @condition is true, -ERESTARTSYS if a signal came first.
 */
#define atomic_waker_wait_event_interruptible(aw, condition)		\
	((int)___atomic_waker_wait(aw, condition, TASK_INTERRUPTIBLE,	\
				   0, schedule()))

/**
 * atomic_waker_wait_event_killable - sleep until @condition or a fatal signal
 * @aw: the atomic_waker the producer wakes after making @condition true
 * @condition: a C expression, evaluated after each wakeup
 *
 * Context: process context; may sleep.
 * Return: 0 once @condition is true, -ERESTARTSYS if a fatal signal came
 * first.
 */
#define atomic_waker_wait_event_killable(aw, condition)			\
	((int)___atomic_waker_wait(aw, condition, TASK_KILLABLE,	\
				   0, schedule()))

/**
 * atomic_waker_wait_event_timeout - sleep until @condition or a timeout
 * @aw: the atomic_waker the producer wakes after making @condition true
 * @condition: a C expression, evaluated after each wakeup
 * @timeout: the limit, in jiffies
 *
 * Context: process context; may sleep.
 * Return: as wait_event_timeout(): 0 if @condition was false when @timeout
 * elapsed, 1 if it was true when @timeout elapsed, else the jiffies left.
 */
#define atomic_waker_wait_event_timeout(aw, condition, timeout)		\
	___atomic_waker_wait(aw, ___wait_cond_timeout(condition),	\
			     TASK_UNINTERRUPTIBLE, timeout,		\
			     __ret = schedule_timeout(__ret))

#endif /* _ATOMIC_WAKER_H */
