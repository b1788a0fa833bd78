// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Why
 *
 * atomic_waker: a slot for one target, registered and woken without a lock.
 *
 * A driver's completion path is "the IRQ finishes the work, the sleeper must
 * wake".  completion and swait take a raw spinlock on every complete(), a
 * wait queue takes its lock on every wake_up(), and rcuwait wakes only tasks.
 * atomic_waker is futures' AtomicWaker in one word: the slot holds the target
 * itself, a tagged pointer, so register and wake are one atomic each, and a
 * wake may race with anything.  atomic_waker.h is the contract; this file
 * explains how the code keeps it.
 */

/**
 * DOC: Protocol
 *
 * The protocol, with the barriers named as the comments below name them::
 *
 *   register(t)                          wake() (and take())
 *   ----------------------------------   -------------------------------
 *   slot holds t already: done           slot looks empty: (F) smp_mb(),
 *   old = slot                               and if still empty, return
 *   (A) cmpxchg(slot, old -> t), full:   (B) t = xchg(slot, 0), full
 *       done: release old, unwoken       wake t (take: hand it out),
 *                                            release t
 *       slot now 0 (a take
 *         emptied it): old = 0,
 *         try (A) again
 *       slot now another target (a
 *         racing register): -EBUSY
 *
 * The slot only ever goes from one target to another by a register() and
 * from a target to 0 by a take() (or by finish_wait() taking its own sleeper
 * back), each one RMW, so whoever's successful RMW reads a target owns it: it
 * is released exactly once, and nothing waits for anything.
 *
 * The empty-slot exit (F) is store buffering between the two sides, with a
 * full barrier on each::
 *
 *   REGISTER                    WAKE
 *   [S] slot = t (A)            [S] condition = true
 *       MB (A)                      MB (F)
 *   [L] condition               [L] slot
 *
 * so a wake() that reads the slot empty cannot also be missed by the
 * registrant's test of the condition.  A wake() with nothing registered thus
 * costs a barrier and two loads, and writes nothing; one that finds the slot
 * full skips (F), as (B) is a full barrier.
 */

#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched/task.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"

#define CREATE_TRACE_POINTS
#include "atomic_waker_trace.h"

/*
 * The tag bits need this much alignment: 4 bytes for every kind (so not on
 * m68k, where an int is 2-byte aligned, nor embedded __packed), 8 for a task
 * (tasks are allocated L1_CACHE_BYTES aligned, see fork_init(), as is
 * init_task).
 */
static_assert(__alignof__(struct atomic_waker_wait_queue) >= 4);
static_assert(__alignof__(struct work_struct) >= 4);
static_assert(__alignof__(struct atomic_waker_callback) >= 4);
static_assert(L1_CACHE_BYTES > ATOMIC_WAKER_TASK_MASK);

/* ---- targets -------------------------------------------------------- */

static __always_inline unsigned long target_kind(unsigned long t)
{
	unsigned long kind = t & ATOMIC_WAKER_KIND_MASK;

	return kind == ATOMIC_WAKER_KIND_TASK ?
	       t & ATOMIC_WAKER_TASK_MASK : kind;
}

/* A task's pointer (KIND_TASK or KIND_SLEEPER): three tag bits. */
static __always_inline struct task_struct *target_task(unsigned long t)
{
	return (struct task_struct *)(t & ~ATOMIC_WAKER_TASK_MASK);
}

/* Any other kind's pointer: two tag bits. */
static __always_inline void *target_ptr(unsigned long t)
{
	return (void *)(t & ~ATOMIC_WAKER_KIND_MASK);
}

static __always_inline struct atomic_waker_callback *target_cb(unsigned long t)
{
	return target_ptr(t);
}

/* Is @t a target: a pointer, of a kind a caller may register. */
static __always_inline bool target_valid(unsigned long t)
{
	const struct atomic_waker_callback *cb = target_cb(t);

	if (!target_ptr(t))
		return false;
	switch (target_kind(t)) {
	case ATOMIC_WAKER_KIND_TASK:
	case ATOMIC_WAKER_KIND_WAIT_QUEUE:
	case ATOMIC_WAKER_KIND_WORK:
		return true;
	case ATOMIC_WAKER_KIND_CALLBACK:
		return cb->ops && cb->ops->wake;
	default:	/* KIND_SLEEPER: only the sleep helpers make one */
		return false;
	}
}

static __always_inline void target_get(unsigned long t)
{
	switch (target_kind(t)) {
	case ATOMIC_WAKER_KIND_TASK:
		get_task_struct(target_task(t));
		break;
	case ATOMIC_WAKER_KIND_CALLBACK:
		if (target_cb(t)->ops->get)
			target_cb(t)->ops->get(target_cb(t));
		break;
	}
}

static __always_inline void target_put(unsigned long t)
{
	if (!t)
		return;
	switch (target_kind(t)) {
	case ATOMIC_WAKER_KIND_TASK:
		put_task_struct(target_task(t));
		break;
	case ATOMIC_WAKER_KIND_CALLBACK:
		if (target_cb(t)->ops->put)
			target_cb(t)->ops->put(target_cb(t));
		break;
	}
}

/*
 * A wait queue's lock is a spinlock_t, which sleeps under PREEMPT_RT: where
 * the caller cannot sleep there, the queue's irq_work wakes it from the
 * irq_work thread instead, as put_task_struct() hands such a free to RCU.
 * Everywhere else wake it here; the override tells lockdep's raw-lock
 * nesting check (PROVE_RAW_LOCK_NESTING) that this spinlock_t is taken in a
 * raw context only where it spins.
 */
static void wait_queue_wake(struct atomic_waker_wait_queue *wq)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible()) {
		static DEFINE_WAIT_OVERRIDE_MAP(wake_map, LD_WAIT_CONFIG);

		lock_map_acquire_try(&wake_map);
		wake_up_all(&wq->head);
		lock_map_release(&wake_map);
		return;
	}
	/*
	 * Fully ordered, pending or not.  Pairs with the smp_mb() that
	 * irq_work_single() executes after clearing IRQ_WORK_PENDING and
	 * before it calls wait_queue_irq_work(): the wake_up_all() there comes
	 * after our caller's stores, even when this finds the work already
	 * pending and merges into it (a second wake of a queue not yet woken
	 * is the same wake).
	 */
	irq_work_queue(&wq->irq_work);
}

static void wait_queue_irq_work(struct irq_work *work)
{
	struct atomic_waker_wait_queue *wq =
		container_of(work, struct atomic_waker_wait_queue, irq_work);

	wake_up_all(&wq->head);
}

/*
 * Wake a target, then release it: the put may free what was woken, and a
 * callback without @put may be gone once @wake returns.
 */
static __always_inline void target_wake_put(unsigned long t)
{
	const struct atomic_waker_callback_ops *ops;

	switch (target_kind(t)) {
	case ATOMIC_WAKER_KIND_TASK:
		wake_up_process(target_task(t));
		put_task_struct(target_task(t));
		break;
	case ATOMIC_WAKER_KIND_WAIT_QUEUE:
		wait_queue_wake(target_ptr(t));
		break;
	case ATOMIC_WAKER_KIND_WORK:
		queue_work(system_wq, target_ptr(t));
		break;
	case ATOMIC_WAKER_KIND_CALLBACK:
		ops = target_cb(t)->ops;
		ops->wake(target_cb(t));
		if (ops->put)
			ops->put(target_cb(t));
		break;
	}
}

/**
 * atomic_waker_target_wake - wake a target and release it
 * @t: a target that atomic_waker_take() filled in; empty afterwards
 *
 * Does nothing if @t is empty.
 *
 * Context: any context atomic_waker_wake() may run in.
 */
void atomic_waker_target_wake(struct atomic_waker_target *t)
{
	if (!t->word)
		return;
	target_wake_put(t->word);
	t->word = 0;
}
EXPORT_SYMBOL_GPL(atomic_waker_target_wake);

/**
 * atomic_waker_target_drop - release a target without waking it
 * @t: a target that atomic_waker_take() filled in; empty afterwards
 *
 * Does nothing if @t is empty.
 *
 * Context: any context atomic_waker_wake() may run in.
 */
void atomic_waker_target_drop(struct atomic_waker_target *t)
{
	target_put(t->word);
	t->word = 0;
}
EXPORT_SYMBOL_GPL(atomic_waker_target_drop);

/**
 * __atomic_waker_wait_queue_init - initialize a wait queue target
 * @wq: the wait queue
 * @name: its lockdep name
 * @key: its lockdep class
 *
 * Call atomic_waker_wait_queue_init() instead.
 *
 * Context: any; nothing else may use @wq yet.
 */
void __atomic_waker_wait_queue_init(struct atomic_waker_wait_queue *wq,
				    const char *name,
				    struct lock_class_key *key)
{
	__init_waitqueue_head(&wq->head, name, key);
	init_irq_work(&wq->irq_work, wait_queue_irq_work);
}
EXPORT_SYMBOL_GPL(__atomic_waker_wait_queue_init);

/**
 * atomic_waker_wait_queue_sync - wait for a deferred wake of @wq to finish
 * @wq: the wait queue
 *
 * Call it before freeing @wq, once no wake() can reach it any more (see
 * "Teardown" in atomic_waker.h): a wake() may have left @wq's wake to its
 * irq_work, which runs after that wake() has returned.
 *
 * Context: process context; may sleep.
 */
void atomic_waker_wait_queue_sync(struct atomic_waker_wait_queue *wq)
{
	irq_work_sync(&wq->irq_work);
}
EXPORT_SYMBOL_GPL(atomic_waker_wait_queue_sync);

/* ---- the slot ------------------------------------------------------- */

/**
 * atomic_waker_init - initialize an atomic_waker with an empty slot
 * @aw: the atomic_waker
 *
 * Same as ATOMIC_WAKER_INIT, for atomic_wakers that are not static.
 *
 * Context: any; nothing else may use @aw yet.
 */
void atomic_waker_init(struct atomic_waker *aw)
{
	atomic_long_set(&aw->slot, 0);
}
EXPORT_SYMBOL_GPL(atomic_waker_init);

/*
 * Store @t in the slot, which read @old (not @t), releasing the target it
 * replaces.
 */
static __always_inline int slot_store(struct atomic_waker *aw, long old,
				      unsigned long t)
{
	/*
	 * A sleeper replaced would never be woken through @aw.  unlikely():
	 * an empty slot, the common case, then runs straight to the get.
	 */
	if (unlikely(old) &&
	    WARN_ON_ONCE(target_kind(old) == ATOMIC_WAKER_KIND_SLEEPER))
		return -EBUSY;

	target_get(t);		/* before a take() can see it in the slot */
	/*
	 * (A) Fully ordered.  Pairs with (B): a take() whose xchg reads this
	 * write sees @t, and the reference get() took.  Pairs with (F): the
	 * slot is stored before the caller loads its condition, so an
	 * empty-slot wake() cannot be missed.  A failed cmpxchg that read 0
	 * read it from a take()'s (B), so we try again, once at most: from 0,
	 * only a racing register() can make it fail.  One that read a target
	 * read it from a racing register(): -EBUSY, with no ordering promised.
	 */
	while (!atomic_long_try_cmpxchg(&aw->slot, &old, t)) {
		if (!old)
			continue;
		target_put(t);
		/* A racing register() of @t itself: @t is in, as if peeked. */
		return WARN_ON_ONCE(old != (long)t) ? -EBUSY : 0;
	}
	target_put(old);	/* replaced, not woken: its reference is ours */
	return 0;
}

/**
 * atomic_waker_register - register the target to wake on the next wake()
 * @aw: the atomic_waker
 * @t: the target; see atomic_waker_target_task() and its siblings
 *
 * The slot holds one target: @t replaces the one there, which is released
 * without being woken.  Registering the target the slot already holds is a
 * peek: it changes nothing, takes no reference and returns 0.  Register,
 * then test the condition, and a wake is never lost.
 *
 * Context: process, softirq or hard-IRQ context; not NMI.
 * Return: 0 if @t is registered; -EBUSY if the slot holds a target that
 * must not be replaced (a racing register()'s, or a task asleep in the
 * wait_event helpers); -EINVAL if @t is not a target; -EOPNOTSUPP in NMI.
 * On an error @t is neither stored nor woken, and the slot is unchanged.
 */
int atomic_waker_register(struct atomic_waker *aw,
			  struct atomic_waker_target t)
{
	/*
	 * The same target is a peek, without an RMW: only a register() stores
	 * a target, registers are serialized, and take() and finish_wait()
	 * only empty the slot.  So if the slot reads @t, either our earlier
	 * register() stored it, and its (A) ordered the store before the
	 * caller's loads, or a take() is emptying the slot right now and owns
	 * @t: it wakes @t, or drops it as a take() after this register() would.
	 * A take() that emptied it and woke @t before this call is not missed:
	 * the wake's own ordering (rule 3) makes the empty slot visible here
	 * (model/litmus/aw-same-target-peek+emptied.litmus).
	 */
	long old = atomic_long_read(&aw->slot);
	int ret;

	if (old == (long)t.word && t.word)
		ret = 0;
	else if (WARN_ON_ONCE(!target_valid(t.word)))
		ret = -EINVAL;
	else if (WARN_ON_ONCE(in_nmi()))
		ret = -EOPNOTSUPP;
	else
		ret = slot_store(aw, old, t.word);
	trace_atomic_waker_register(aw, t.word, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(atomic_waker_register);

/*
 * Empty the slot and return what it held, or 0.  Called with preemption
 * off, an RCU read-side critical section: that keeps an unpinned sleeper's
 * task_struct alive (it is freed a grace period after its task exits, see
 * delayed_put_task_struct()) until the caller has woken or pinned it.
 */
static __always_inline unsigned long slot_take(struct atomic_waker *aw)
{
	lockdep_assert_preemption_disabled();
	/*
	 * (B) Fully ordered.  Pairs with (A): we see the target, and what its
	 * register() did before storing it.  The caller's stores (its
	 * condition) are ordered before this write, so the next register(),
	 * whose (A) reads it or a later value, sees them even when we return
	 * empty-handed (ordering rule 2).
	 */
	return atomic_long_xchg(&aw->slot, 0);
}

/**
 * atomic_waker_take - empty the slot and hand back its target, not woken
 * @aw: the atomic_waker
 * @out: where the target goes; empty if there was none to take
 *
 * The caller then wakes @out with atomic_waker_target_wake() or releases it
 * with atomic_waker_target_drop().  Like atomic_waker_wake(), it orders the
 * caller's earlier stores before the next register().
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if a target was taken into @out.
 */
bool atomic_waker_take(struct atomic_waker *aw,
		       struct atomic_waker_target *out)
{
	unsigned long t;

	out->word = 0;
	if (WARN_ON_ONCE(in_nmi()))
		return false;
	if (!__atomic_waker_may_hold(aw))
		return false;

	preempt_disable();
	t = slot_take(aw);
	trace_atomic_waker_take(aw, t);
	if (target_kind(t) == ATOMIC_WAKER_KIND_SLEEPER) {
		get_task_struct(target_task(t));   /* it may be woken late */
		t &= ~ATOMIC_WAKER_KIND_SLEEPER;   /* now a pinned task */
	}
	preempt_enable();
	out->word = t;
	return t;
}
EXPORT_SYMBOL_GPL(atomic_waker_take);

/**
 * __atomic_waker_wake - take and wake the target the slot seemed to hold
 * @aw: the atomic_waker
 *
 * The out-of-line half of atomic_waker_wake(); call that instead.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if this call woke a target.
 */
bool __atomic_waker_wake(struct atomic_waker *aw)
{
	unsigned long t;

	if (WARN_ON_ONCE(in_nmi()))
		return false;

	preempt_disable();
	t = slot_take(aw);
	if (target_kind(t) == ATOMIC_WAKER_KIND_SLEEPER) {
		trace_atomic_waker_wake(aw, t);
		wake_up_process(target_task(t));	/* inside the RCU section */
		preempt_enable();
		return true;
	}
	preempt_enable();

	/*
	 * Any other kind with preemption as the caller had it.  Traced here,
	 * not under preempt_disable(): there, the disabled tracepoint alone
	 * made register+wake of a task ~40% slower in QEMU (make bench-ab).
	 */
	trace_atomic_waker_wake(aw, t);
	if (!t)
		return false;
	target_wake_put(t);
	return true;
}
EXPORT_SYMBOL_GPL(__atomic_waker_wake);

/**
 * atomic_waker_destroy - release the registered target before @aw goes away
 * @aw: the atomic_waker
 *
 * Drops the target in the slot without waking it, so no reference leaks.
 * No register() or wake() may start or be in flight: see "Teardown" in
 * atomic_waker.h for when the memory of @aw may be freed.  @aw may be used
 * again afterwards.
 *
 * Context: any but NMI.
 */
void atomic_waker_destroy(struct atomic_waker *aw)
{
	struct atomic_waker_target t;

	if (atomic_waker_take(aw, &t))
		atomic_waker_target_drop(&t);
}
EXPORT_SYMBOL_GPL(atomic_waker_destroy);

/* ---- sleeping on an atomic_waker ------------------------------------ */

/* current, unpinned: only for the prepare_wait()/finish_wait() pair */
static unsigned long current_sleeper(void)
{
	return (unsigned long)current | ATOMIC_WAKER_KIND_SLEEPER;
}

/**
 * atomic_waker_prepare_wait - set the task state, then register current
 * @aw: the atomic_waker
 * @state: the sleep state, e.g. TASK_INTERRUPTIBLE
 *
 * The atomic_waker_wait_event() family calls this before each test of the
 * condition; a hand-written loop does the same and then schedule()s, and
 * calls atomic_waker_finish_wait() before it leaves: current is registered
 * without a task reference.
 *
 * Context: process context.
 * Return: 0, or -ERESTARTSYS if a signal that @state lets in is pending.
 */
int atomic_waker_prepare_wait(struct atomic_waker *aw, unsigned int state)
{
	unsigned long me = current_sleeper();
	long old;
	int ret;

	/*
	 * set_current_state() is a full barrier: the task state is stored
	 * before register() publishes current, and before the caller's test
	 * of its condition even when register() only peeks (no (A) then), so
	 * it must not become __set_current_state().  Pairs with (B) and the
	 * barrier that try_to_wake_up() executes before it reads the state: a
	 * wake() that lands before schedule() leaves us runnable.
	 */
	set_current_state(state);
	old = atomic_long_read(&aw->slot);
	ret = old == (long)me ? 0 : slot_store(aw, old, me);
	trace_atomic_waker_register(aw, me, ret);
	if (ret)
		__set_current_state(TASK_RUNNING); /* nobody would wake us */
	if (signal_pending_state(state, current))
		return -ERESTARTSYS;
	return 0;
}
EXPORT_SYMBOL_GPL(atomic_waker_prepare_wait);

/**
 * atomic_waker_finish_wait - end a wait: run, and leave the slot
 * @aw: the atomic_waker
 *
 * Sets current running and, unless a wake() already emptied the slot, takes
 * current back out of it: nothing may reach the task through @aw after the
 * wait.
 *
 * Context: process context.
 */
void atomic_waker_finish_wait(struct atomic_waker *aw)
{
	unsigned long me = current_sleeper();

	__set_current_state(TASK_RUNNING);

	/*
	 * We wrote the slot or found our sleeper in it, so this reads it or a
	 * later value.  Relaxed: no condition is published here and nothing is
	 * read from the slot's past.  A wake() that got us first may still
	 * wake us, within its RCU section, and a take() holds us pinned:
	 * either is a harmless spurious wakeup later.
	 */
	if (atomic_long_read(&aw->slot) == (long)me)
		atomic_long_cmpxchg_relaxed(&aw->slot, me, 0);
}
EXPORT_SYMBOL_GPL(atomic_waker_finish_wait);

MODULE_DESCRIPTION("atomic_waker: a lock-free single-target wakeup slot");
MODULE_LICENSE("GPL");
