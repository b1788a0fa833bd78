/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOMIC_WAKER_H
#define _ATOMIC_WAKER_H
/*
 * atomic_waker: one slot that holds "who to wake", for completion-style paths.
 *
 * A consumer registers a waker (a task, a wait queue, a work item, or a
 * callback) and then tests its condition; a producer publishes the condition
 * and then calls atomic_waker_wake(), which takes the waker out of the slot and
 * wakes it.  This is Rust's futures AtomicWaker in one atomic_long_t: no
 * lock, no list, and no lost wakeup whichever side comes first.
 *
 *   CONSUMER                              PRODUCER
 *   atomic_waker_register(aw, w);         WRITE_ONCE(done, 1);
 *   if (READ_ONCE(done))                  atomic_waker_wake(aw);
 *           return;   // else w is woken
 *
 * A wake() with nothing registered is a no-op and is not remembered: the
 * condition is the memory, the waker is only who to tell.
 *
 * The slot is one word: 0 when empty, else a pointer to what to wake with
 * its kind in the low bits (struct aw_waker).  register() is a cmpxchg into
 * the slot, wake() an xchg out of it: two atomics per register + wake, no
 * lock, no state to hand over, and no call ever waits for another.
 *
 * Who may run concurrently with whom ("-" no restriction, "S" the caller
 * must serialize):
 *
 *              | register | wake/take | destroy
 *   register   |    S     |     -     |    S
 *   wake/take  |          |     -     |    S
 *   destroy    |          |           |    S
 *
 * (atomic_waker_prepare_wait() and atomic_waker_finish_wait(), and so the
 * wait_event helpers, count as register().)
 *
 * Racing register() calls are a bug, which costs a wakeup but never a
 * reference: the one whose cmpxchg finds the other's waker returns -EBUSY
 * and stores nothing; one that comes just after the other replaces its
 * waker, which is released unwoken.  (A register() of the waker the slot
 * already holds only peeks at it and returns 0.)  One consumer per
 * atomic_waker, as with rcuwait: a sleeper that another register()
 * replaces is never woken through @aw, and sleeps on unless something else
 * wakes it (a warning with AW_DEBUG).
 *
 * Contexts:
 *   register          process, softirq or hard-IRQ context
 *   wake, take        any context, hard IRQ with IRQs off included; never NMI
 *                     (refused with a warning, the waker left registered:
 *                     defer through irq_work).  Under PREEMPT_RT a wait
 *                     queue waker must not be woken from hard IRQ
 *   wait_event*       process context, may sleep
 *   destroy           any context but NMI, once no other call can start
 *
 * Ordering, in Linux-kernel memory model terms:
 *   (1) A store made before atomic_waker_wake() and a load made after an
 *       atomic_waker_register() that returned 0 cannot both miss each
 *       other: either the load sees the store, or that wake() (or one that
 *       took the waker out before it) wakes the waker.
 *   (2) A wake() that finds the slot emptied (by a wake(), a take() or a
 *       finish_wait()) and returns false has still ordered its earlier
 *       stores before the next register(): the next registrant sees them
 *       (tokio's failed_wake_synchronizes).
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
 *     replaces it, by aw_waker_wake() or aw_waker_drop() after a take(), or
 *     by destroy().  Under PREEMPT_RT put_task_struct() from atomic context
 *     defers the free through RCU.
 *   - the sleep helpers register current without a reference, as rcuwait
 *     does: the task takes itself out before the wait returns, and wake()
 *     reaches it with preemption off, an RCU read-side critical section.
 *     take() hands such a waker out pinned.
 *   - wait queues and work items are not counted: the owner keeps them alive
 *     until the atomic_waker is destroyed.
 *   - a callback waker (struct aw_callback) belongs to its caller, who
 *     keeps it alive while it is registered, or gives it get/put hooks;
 *     both may run in any context wake() may run in, and must not sleep.
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
struct aw_callback;

/**
 * struct aw_callback_ops - what waking a callback waker means
 * @wake: wake @cb; must not sleep.  Required.  Called by atomic_waker_wake()
 *        once the slot is empty, so it may register again.  It orders what
 *        came before it against what the woken party does next (ordering
 *        rule 3).
 * @get: take a reference on @cb before it is stored in a slot; may be NULL.
 * @put: drop that reference; may be NULL.  Called for every @get, whether the
 *       waker is woken, replaced, refused with -EBUSY, taken and dropped, or
 *       destroyed.
 */
struct aw_callback_ops {
	void (*wake)(struct aw_callback *cb);
	void (*get)(struct aw_callback *cb);
	void (*put)(struct aw_callback *cb);
};

/**
 * struct aw_callback - a waker of the caller's own, embedded in its object
 * @ops: its callbacks; the object is found with container_of()
 *
 * Like a struct callback_head: the caller owns the memory and keeps it alive
 * while it may be in a slot (or counts it with @ops->get and @ops->put).
 * It is 4-byte aligned, for the tag bits of its waker (struct aw_waker).
 */
struct aw_callback {
	const struct aw_callback_ops *ops;
} __aligned(4);

/**
 * struct aw_waker - a waker: a tagged pointer to what to wake, passed by value
 * @word: the pointer with its kind in the low bits (AW_KIND_*); 0 is "no
 *        waker"
 *
 * Made by aw_waker_task(), aw_waker_wait_queue(), aw_waker_work() or
 * aw_waker_callback().  Two wakers are the same waker (aw_waker_same())
 * when their words are equal.
 */
struct aw_waker {
	unsigned long word;
};

/*
 * The kinds, in the low bits of a waker's word.  Every kind is at least
 * 4-byte aligned (atomic_waker.c checks at build time: so not on m68k,
 * where an int is 2-byte aligned, nor when embedded __packed); a
 * task_struct is cache-line aligned, so tasks use a third bit to tell a
 * pinned task from a sleeper (current, registered unpinned by the sleep
 * helpers).
 */
#define AW_KIND_TASK		0UL
#define AW_KIND_WAIT_QUEUE	1UL
#define AW_KIND_WORK		2UL
#define AW_KIND_CALLBACK	3UL
#define AW_KIND_SLEEPER		4UL	/* a task, with AW_KIND_TASK's bits */
#define AW_KIND_MASK		3UL
#define AW_TASK_MASK		7UL

/**
 * struct atomic_waker - a slot for one waker
 * @slot: the registered waker's word, or 0
 *
 * One word, as a struct rcuwait.
 */
struct atomic_waker {
	atomic_long_t slot;
};

#define ATOMIC_WAKER_INIT	{ .slot = ATOMIC_LONG_INIT(0) }
#define DEFINE_ATOMIC_WAKER(name) struct atomic_waker name = ATOMIC_WAKER_INIT

/**
 * aw_waker_task - a waker that wakes @tsk with wake_up_process()
 * @tsk: the task; pinned with get_task_struct() while it is registered
 *
 * To sleep on it, set the task state before registering (as
 * atomic_waker_prepare_wait() does), then test the condition, then
 * schedule(): a wake() that lands before the sleep leaves the task
 * runnable.  A wake may also come late, after the wait is over (a take()
 * can hold the waker for a while): a sleep loop must tolerate spurious
 * wakeups, as with rcuwait or a wake_q.
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
static inline struct aw_waker aw_waker_task(struct task_struct *tsk)
{
	return (struct aw_waker){ (unsigned long)tsk | AW_KIND_TASK };
}

/**
 * aw_waker_wait_queue - a waker that wakes every waiter of @wq
 * @wq: the wait queue head, for example the one a driver's poll() method
 *      passes to poll_wait(); not reference counted
 *
 * Waking it is wake_up_all(@wq), so poll(), select() and epoll see it.  Under
 * PREEMPT_RT a wait queue lock sleeps: wake such a waker from threaded or
 * process context only.
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
static inline struct aw_waker aw_waker_wait_queue(struct wait_queue_head *wq)
{
	return (struct aw_waker){ (unsigned long)wq | AW_KIND_WAIT_QUEUE };
}

/**
 * aw_waker_work - a waker that queues @work on system_wq
 * @work: an initialized work item; not reference counted
 *
 * The kernel's analog of an async task being polled again.
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
static inline struct aw_waker aw_waker_work(struct work_struct *work)
{
	return (struct aw_waker){ (unsigned long)work | AW_KIND_WORK };
}

/**
 * aw_waker_callback - a waker that calls @cb->ops->wake(@cb)
 * @cb: the caller's callback object; @cb->ops->wake is required,
 *      @cb->ops->get and @cb->ops->put are optional lifetime hooks.  @cb and
 *      its ops must outlive every atomic_waker it is registered in: a module
 *      destroys those before it unloads.
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
static inline struct aw_waker aw_waker_callback(struct aw_callback *cb)
{
	return (struct aw_waker){ (unsigned long)cb | AW_KIND_CALLBACK };
}

/**
 * aw_waker_same - would waking @a wake the same thing as waking @b
 * @a: a waker
 * @b: another waker
 *
 * futures' will_wake(): registering the same waker again is free.
 *
 * Context: any.
 * Return: true when @a and @b are the same pointer of the same kind.
 */
static inline bool aw_waker_same(const struct aw_waker *a,
				 const struct aw_waker *b)
{
	return a->word == b->word;
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
	return atomic_long_read(&aw->slot);
}

/**
 * __atomic_waker_wake - atomic_waker_wake() for a caller that supplies (F)
 * @aw: the atomic_waker
 *
 * Only for a caller that has executed a full barrier after storing its
 * condition: smp_mb(); a fully ordered value-returning atomic RMW such as
 * atomic_inc_return() or atomic_xchg() (not a _relaxed, _acquire or
 * _release one; a cmpxchg only if it succeeded); or smp_mb__after_atomic()
 * after a non-returning one.  The empty case is then a single load.
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

/*
 * Is there a waker to take, for a caller that has just stored its
 * condition?  A peek, and only if the slot looks empty, (F) and a second
 * look.  A full slot needs no (F): the xchg (B) that takes it is a full
 * barrier.  For atomic_waker_wake() and atomic_waker_take().
 */
static inline bool __atomic_waker_may_hold(struct atomic_waker *aw)
{
	if (atomic_waker_is_registered(aw))
		return true;
	smp_mb(); /* (F), pairs with (A) in atomic_waker_register() */
	return atomic_waker_is_registered(aw);
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
 * Return: true if this call woke a waker; false if the slot was empty, or
 * a racing wake() took the waker first.
 */
static inline bool atomic_waker_wake(struct atomic_waker *aw)
{
	if (!__atomic_waker_may_hold(aw))
		return false;
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
