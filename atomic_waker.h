/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOMIC_WAKER_H
#define _ATOMIC_WAKER_H
/**
 * DOC: Overview
 *
 * atomic_waker: one slot that holds who to wake, for completion-style paths.
 *
 * A consumer registers a target (a task, a wait queue, a work item or a
 * callback) and then tests its condition; a producer publishes the condition
 * and then calls atomic_waker_wake(), which takes the target out of the slot
 * and wakes it.  This is Rust's futures AtomicWaker in one atomic_long_t: no
 * lock, no list, and no lost wakeup whichever side comes first.
 *
 * ::
 *
 *   CONSUMER                              PRODUCER
 *   atomic_waker_register(aw, t);         WRITE_ONCE(done, 1);
 *   if (READ_ONCE(done))                  atomic_waker_wake(aw);
 *           return;   // else t is woken
 *
 * A wake() with nothing registered is a no-op and is not remembered: the
 * condition is the memory, the target is only who to tell.
 */

/**
 * DOC: Concurrency
 *
 * Concurrency ("-" no restriction, "S" the caller must serialize)::
 *
 *              | register | wake/take | destroy
 *   register   |    S     |     -     |    S
 *   wake/take  |          |     -     |    S
 *   destroy    |          |           |    S
 *
 * atomic_waker_prepare_wait() and atomic_waker_finish_wait(), and so the
 * wait_event helpers, count as register().  An atomic_waker has one consumer,
 * as an rcuwait has: give a reader and a poll() wait queue one each.
 */

/**
 * DOC: Contexts
 *
 * Contexts::
 *
 *   register          process, softirq or hard-IRQ context
 *   wake, take        any context, hard IRQ with IRQs off included, on every
 *                     kernel, PREEMPT_RT included; not NMI
 *   wait_event*       process context, may sleep
 *   destroy           any context but NMI, once no other call can start
 *
 * Every kind of target may be woken from any of these contexts: a wait queue
 * whose lock would sleep there (PREEMPT_RT, hard IRQ or preemption off) is
 * woken through its irq_work instead (struct atomic_waker_wait_queue).
 */

/**
 * DOC: Ordering
 *
 * Ordering, in Linux-kernel memory model terms:
 *
 *   (1) A store made before atomic_waker_wake() and a load made after an
 *       atomic_waker_register() that returned 0 cannot both miss each
 *       other: either the load sees the store, or that wake() (or one that
 *       took the target out before it) wakes the target.
 *   (2) A wake() that finds the slot emptied (by a wake(), a take() or a
 *       finish_wait()) and returns false has still ordered its earlier
 *       stores before the next register(): the next registrant sees them.
 *   (3) When a target is woken, the wake-up function (wake_up_process() and
 *       friends) orders the producer's stores before the woken party's
 *       loads; atomic_waker adds no other ordering.  A callback must give
 *       that ordering too: a release in @wake, an acquire where the woken
 *       party looks.  So a waiter that finds the condition true on its first
 *       test, before anything woke it, reads the producer's data only after
 *       an acquire (smp_load_acquire() of the condition, paired with an
 *       smp_store_release() of it); READ_ONCE() is enough for a flag that
 *       carries no data.
 */

/**
 * DOC: Lifetimes
 *
 * Lifetimes:
 *
 *   - a task target is pinned with get_task_struct() while it sits in the
 *     slot, so it may exit while registered.  The sleep helpers register
 *     current unpinned, as rcuwait does: the task takes itself out before it
 *     returns, and wake() reaches it inside an RCU read-side critical
 *     section.
 *   - wait queues, work items and callbacks belong to the caller, who keeps
 *     them alive while they may be registered or being woken; a callback may
 *     instead count itself with get/put hooks.
 *   - the hooks and the wake of a target run in the context of the wake()
 *     or register() that calls them, and must not sleep.
 */

/**
 * DOC: Teardown
 *
 * Teardown: atomic_waker_destroy() releases what the slot holds.  The memory
 * holding an atomic_waker may be freed only once no wake() can still touch
 * it: a consumer that saw the condition may be ahead of a producer that has
 * stored it but not yet returned from wake().  So either stop the producers
 * first (free_irq(), hrtimer_cancel(), cancel_work_sync(), kthread_stop()),
 * or have each producer store the condition and call wake() inside one RCU
 * read-side critical section (hard-IRQ handlers, softirqs and any region with
 * preemption or IRQs disabled are one) and free after a grace period
 * (kfree_rcu(), synchronize_rcu()).  A wait queue target also needs
 * atomic_waker_wait_queue_sync() before it is freed.
 */

/**
 * DOC: Misuse
 *
 * Misuse, each kind reported once with WARN_ON_ONCE() and, every time, an
 * errno, with nothing stored, woken or leaked::
 *
 *   -EINVAL       the target is not one: 0, a NULL pointer of any kind, a
 *                 callback without ops or without @wake
 *   -EOPNOTSUPP   called from NMI (defer through irq_work)
 *   -EBUSY        register() found a target it must not replace: another
 *                 register() stored its own between this one's read of the
 *                 slot and its cmpxchg (unserialized registers, the "S"
 *                 above; a register() wholly after another just replaces
 *                 its target, released unwoken), or a task asleep in the
 *                 wait_event helpers sits in the slot (a second sleeper:
 *                 it gets -EBUSY and retries, neither is lost)
 */

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/lockdep_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>
#include <linux/wait.h>

struct work_struct;
struct atomic_waker_callback;

/**
 * struct atomic_waker_callback_ops - what waking a callback target means
 * @wake: wake @cb; required.  Called once the slot is empty, so it may
 *        register again.  It orders what came before it against what the
 *        woken party does next (ordering rule 3).
 * @get: take a reference on @cb before it is stored in a slot; may be NULL.
 * @put: drop that reference; may be NULL.  Called for every @get, whether the
 *       target is woken, replaced, refused with -EBUSY, taken and dropped, or
 *       destroyed.
 *
 * Each runs in the context of the wake() or register() that calls it, hard
 * IRQ included even under PREEMPT_RT: like a HRTIMER_MODE_HARD callback, it
 * may take raw spinlocks but no spinlock_t, and must not sleep.
 */
struct atomic_waker_callback_ops {
	void (*wake)(struct atomic_waker_callback *cb);
	void (*get)(struct atomic_waker_callback *cb);
	void (*put)(struct atomic_waker_callback *cb);
};

/**
 * struct atomic_waker_callback - a callback target, embedded in its object
 * @ops: its callbacks; they find the object with container_of()
 *
 * Like a struct callback_head, its memory is the caller's.
 */
struct atomic_waker_callback {
	const struct atomic_waker_callback_ops *ops;
} __aligned(4);

/**
 * struct atomic_waker_wait_queue - a wait queue that any context may wake
 * @head: the wait queue: give it to poll_wait(), wait_event() and friends
 * @irq_work: wakes @head for a wake() that runs where @head's lock cannot
 *            be taken (PREEMPT_RT with preemption or IRQs off)
 *
 * Initialize it with atomic_waker_wait_queue_init(); before freeing it, call
 * atomic_waker_wait_queue_sync().  As the kernel's ring buffer and BPF ring
 * buffer do, it pairs the queue with the irq_work that defers its wake.
 */
struct atomic_waker_wait_queue {
	struct wait_queue_head head;
	struct irq_work irq_work;
};

/**
 * struct atomic_waker_target - who to wake: a tagged pointer, passed by value
 * @word: the pointer with its kind in the low bits; 0 is no target
 *
 * Made by atomic_waker_target_task() and its siblings; tested with
 * atomic_waker_target_is_empty() and atomic_waker_target_same().
 */
struct atomic_waker_target {
	unsigned long word;
};

/*
 * The kinds, in the low bits of a target's word: every kind is at least
 * 4-byte aligned, and a task_struct is cache-line aligned, which leaves
 * tasks a third bit to tell a pinned task from a sleeper (current,
 * registered unpinned by the sleep helpers).  atomic_waker.c checks these
 * alignments at build time.
 */
#define ATOMIC_WAKER_KIND_TASK		0UL
#define ATOMIC_WAKER_KIND_WAIT_QUEUE	1UL
#define ATOMIC_WAKER_KIND_WORK		2UL
#define ATOMIC_WAKER_KIND_CALLBACK	3UL
#define ATOMIC_WAKER_KIND_SLEEPER	4UL	/* with KIND_TASK's bits */
#define ATOMIC_WAKER_KIND_MASK		3UL
#define ATOMIC_WAKER_TASK_MASK		7UL

/**
 * struct atomic_waker - a slot for one target
 * @slot: the registered target's word, or 0
 *
 * One word, as a struct rcuwait.
 */
struct atomic_waker {
	atomic_long_t slot;
};

#define ATOMIC_WAKER_INIT	{ .slot = ATOMIC_LONG_INIT(0) }
#define DEFINE_ATOMIC_WAKER(name) struct atomic_waker name = ATOMIC_WAKER_INIT

/**
 * atomic_waker_target_task - a target that wake_up_process() wakes
 * @tsk: the task; pinned with get_task_struct() while it is registered
 *
 * To sleep on it, set the task state before registering (as
 * atomic_waker_prepare_wait() does), then test the condition, then
 * schedule().  A wake may come late, after the wait is over (a take() can
 * hold the target for a while): a sleep loop must tolerate spurious
 * wakeups, as with rcuwait.
 *
 * Context: any.
 * Return: the target, for atomic_waker_register().
 */
static inline struct atomic_waker_target
atomic_waker_target_task(struct task_struct *tsk)
{
	return (struct atomic_waker_target){
		(unsigned long)tsk | ATOMIC_WAKER_KIND_TASK };
}

/**
 * atomic_waker_target_wait_queue - a target that wakes every waiter of @wq
 * @wq: the wait queue, for example the one a driver's poll() method gives
 *      to poll_wait(); not reference counted
 *
 * Waking it is wake_up_all(&@wq->head), so poll(), select() and epoll see
 * it; from a context where that lock cannot be taken, its irq_work does it.
 *
 * A wake only reaches waiters already on @wq, so wait on @wq before each
 * register(): poll_wait() does so in a poll() method; with wait_event(),
 * register in the condition.  Registered once before wait_event(), a wake()
 * of an earlier round still under way can take @wq and wake an empty queue,
 * and this round's wake() then finds the slot empty: a lost wakeup.
 *
 * Context: any.
 * Return: the target, for atomic_waker_register().
 */
static inline struct atomic_waker_target
atomic_waker_target_wait_queue(struct atomic_waker_wait_queue *wq)
{
	return (struct atomic_waker_target){
		(unsigned long)wq | ATOMIC_WAKER_KIND_WAIT_QUEUE };
}

/**
 * atomic_waker_target_work - a target that queues @work on system_wq
 * @work: an initialized work item; not reference counted
 *
 * Context: any.
 * Return: the target, for atomic_waker_register().
 */
static inline struct atomic_waker_target
atomic_waker_target_work(struct work_struct *work)
{
	return (struct atomic_waker_target){
		(unsigned long)work | ATOMIC_WAKER_KIND_WORK };
}

/**
 * atomic_waker_target_callback - a target that calls @cb->ops->wake(@cb)
 * @cb: the caller's callback object (struct atomic_waker_callback_ops says
 *      what its hooks may do).  @cb and its ops outlive every atomic_waker it
 *      is registered in: a module destroys those before it unloads.
 *
 * Context: any.
 * Return: the target, for atomic_waker_register().
 */
static inline struct atomic_waker_target
atomic_waker_target_callback(struct atomic_waker_callback *cb)
{
	return (struct atomic_waker_target){
		(unsigned long)cb | ATOMIC_WAKER_KIND_CALLBACK };
}

/**
 * atomic_waker_target_is_empty - is @t no target at all
 * @t: a target, for example one that atomic_waker_take() filled in
 *
 * Context: any.
 * Return: true if @t holds nothing to wake.
 */
static inline bool
atomic_waker_target_is_empty(const struct atomic_waker_target *t)
{
	return !t->word;
}

/**
 * atomic_waker_target_same - would waking @a wake the same thing as @b
 * @a: a target
 * @b: another target
 *
 * futures' will_wake(): registering the same target again is free.
 *
 * Context: any.
 * Return: true when @a and @b are the same pointer of the same kind.
 */
static inline bool atomic_waker_target_same(const struct atomic_waker_target *a,
					    const struct atomic_waker_target *b)
{
	return a->word == b->word;
}

void atomic_waker_target_wake(struct atomic_waker_target *t);
void atomic_waker_target_drop(struct atomic_waker_target *t);

void __atomic_waker_wait_queue_init(struct atomic_waker_wait_queue *wq,
				    const char *name,
				    struct lock_class_key *key);

/**
 * atomic_waker_wait_queue_init - initialize a struct atomic_waker_wait_queue
 * @wq: the wait queue
 *
 * As init_waitqueue_head(), with a lockdep class per call site.
 *
 * Context: any; nothing else may use @wq yet.
 */
#define atomic_waker_wait_queue_init(wq)				\
	do {								\
		static struct lock_class_key __key;			\
									\
		__atomic_waker_wait_queue_init((wq), #wq, &__key);	\
	} while (0)

void atomic_waker_wait_queue_sync(struct atomic_waker_wait_queue *wq);

void atomic_waker_init(struct atomic_waker *aw);
int atomic_waker_register(struct atomic_waker *aw,
			  struct atomic_waker_target t);
bool __atomic_waker_wake(struct atomic_waker *aw);
bool atomic_waker_take(struct atomic_waker *aw,
		       struct atomic_waker_target *out);
void atomic_waker_destroy(struct atomic_waker *aw);

/**
 * atomic_waker_is_registered - is a target in the slot right now
 * @aw: the atomic_waker
 *
 * A racy hint, as waitqueue_active() is, with the same one use beyond
 * statistics: a producer that has executed a full barrier after storing
 * its condition may skip atomic_waker_wake() when this returns false.  Such
 * a barrier is smp_mb(), a fully ordered value-returning atomic (such as
 * atomic_inc_return() or atomic_xchg(); not a _relaxed, _acquire or
 * _release one, and a cmpxchg only if it succeeded), or
 * smp_mb__after_atomic() after a non-returning one.
 *
 * Context: any.
 * Return: true if a target was registered when the slot was read.
 */
static inline bool atomic_waker_is_registered(const struct atomic_waker *aw)
{
	return atomic_long_read(&aw->slot);
}

/*
 * Is there a target to take, for a caller that has just stored its
 * condition?  A peek, and only if the slot looks empty, (F) and a second
 * look: a full slot needs no (F), as the xchg (B) that takes it is a full
 * barrier.  The out-of-line half of atomic_waker_wake() and take().
 */
static inline bool __atomic_waker_may_hold(struct atomic_waker *aw)
{
	if (atomic_waker_is_registered(aw))
		return true;
	smp_mb(); /* (F), pairs with (A) in atomic_waker.c: see there */
	return atomic_waker_is_registered(aw);
}

/**
 * atomic_waker_wake - wake the registered target, if any, and empty the slot
 * @aw: the atomic_waker
 *
 * Call it after storing the condition the consumer tests.  With nothing
 * registered it costs a barrier and two loads, and remembers nothing.  The
 * target is woken after the slot is emptied, so a callback may register
 * again.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if this call woke a target; false if the slot was empty, or
 * a racing wake() took the target first.
 */
static inline bool atomic_waker_wake(struct atomic_waker *aw)
{
	if (!__atomic_waker_may_hold(aw))
		return false;
	return __atomic_waker_wake(aw);
}

int atomic_waker_prepare_wait(struct atomic_waker *aw, unsigned int state);
void atomic_waker_finish_wait(struct atomic_waker *aw);

/*
 * The sleep loop, in the shape of ___wait_event(): set the task state and
 * register current, test the condition, sleep.  A wake() that lands between
 * the test and @cmd leaves the task runnable, so @cmd returns at once.
 */
#define ___atomic_waker_wait(aw, condition, state, ret, cmd)		\
({									\
	struct atomic_waker *__aw = (aw);				\
	long __ret = ret;						\
									\
	might_sleep();							\
	for (;;) {							\
		long __int = atomic_waker_prepare_wait(__aw, state);	\
									\
		if (condition)						\
			break;						\
		if (__int) {						\
			__ret = __int;					\
			break;						\
		}							\
		cmd;							\
	}								\
	atomic_waker_finish_wait(__aw);					\
	__ret;								\
})

/**
 * atomic_waker_wait_event - sleep until @condition is true
 * @aw: the atomic_waker the producer wakes after making @condition true
 * @condition: a C expression, evaluated after each wakeup
 *
 * Sleeps in TASK_UNINTERRUPTIBLE with the current task registered in @aw.
 * Spurious wakeups are harmless: the condition is tested again.  On return
 * current is no longer registered.  @condition is first tested with current
 * registered, so that a wake() between the two cannot be lost: a caller
 * that often finds it true already may test it first.
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
