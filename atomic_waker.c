// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker: a slot for one waker, registered and woken without a lock.
 *
 * A driver's completion path is "IRQ finishes the work, the sleeper must
 * wake".  completion and swait take a raw spinlock on every complete(); a bare
 * wait queue takes one on every wake_up(); rcuwait wakes only tasks.
 * atomic_waker is futures' AtomicWaker in one word: the slot holds the
 * waker itself, a tagged pointer, so register and wake are one atomic each,
 * and a wake may race with anything.
 *
 * The protocol, with the barriers named as the comments below name them:
 *
 *   register(w)                          wake() (and take())
 *   ----------------------------------   -------------------------------
 *   slot holds w already: done           slot looks empty: (F) smp_mb(),
 *   old = slot                               and if still empty, return
 *   (A) cmpxchg(slot, old -> w), full:   (B) w = xchg(slot, 0), full
 *       done: release old, unwoken       wake w (take: hand it out),
 *                                            release w
 *       slot now 0 (a take
 *         emptied it): old = 0,
 *         try (A) again
 *       slot now another waker (a
 *         racing register): -EBUSY
 *
 * The slot only ever goes from a waker to another by a register() and from
 * a waker to 0 by a take() (or by finish_wait() taking its own sleeper
 * back), each one RMW, so whoever's successful RMW reads a waker owns it:
 * it is released exactly once, and nothing waits for anything.
 *
 * The empty-slot exit (F) is store buffering between the two sides, with a
 * full barrier on each:
 *
 *   REGISTER                    WAKE
 *   [S] slot = w (A)            [S] condition = true
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
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched/task.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"

/*
 * Misuse is reported with an errno; build with ATOMIC_WAKER_DEBUG defined
 * (make AW_DEBUG=1) to also get a one-time warning with a backtrace.
 */
#ifdef ATOMIC_WAKER_DEBUG
#define AW_MISUSE(cond)	WARN_ON_ONCE(cond)
#else
#define AW_MISUSE(cond)	unlikely(cond)
#endif

/*
 * The tag bits need this much alignment: 4 bytes for every kind (not so on
 * m68k, which this refuses to build for), 8 for a task (tasks are
 * allocated L1_CACHE_BYTES aligned, see fork_init(), and init_task).
 */
static_assert(__alignof__(struct wait_queue_head) >= 4);
static_assert(__alignof__(struct work_struct) >= 4);
static_assert(__alignof__(struct aw_callback) >= 4);
static_assert(L1_CACHE_BYTES > AW_TASK_MASK);

/* ---- waker kinds ---------------------------------------------------- */

static __always_inline unsigned long aw_kind(unsigned long w)
{
	unsigned long kind = w & AW_KIND_MASK;

	return kind == AW_KIND_TASK ? w & AW_TASK_MASK : kind;
}

/* A task's pointer (AW_KIND_TASK or AW_KIND_SLEEPER): three tag bits. */
static __always_inline struct task_struct *aw_task(unsigned long w)
{
	return (struct task_struct *)(w & ~AW_TASK_MASK);
}

/* Any other kind's pointer: two tag bits. */
static __always_inline void *aw_ptr(unsigned long w)
{
	return (void *)(w & ~AW_KIND_MASK);
}

static __always_inline struct aw_callback *aw_cb(unsigned long w)
{
	return aw_ptr(w);
}

/* Does @w look like a waker: a pointer, of a kind a caller may register. */
static __always_inline bool aw_waker_valid(unsigned long w)
{
	const struct aw_callback *cb = aw_cb(w);

	if (!aw_ptr(w))
		return false;
	switch (aw_kind(w)) {
	case AW_KIND_TASK:
	case AW_KIND_WAIT_QUEUE:
	case AW_KIND_WORK:
		return true;
	case AW_KIND_CALLBACK:
		return cb->ops && cb->ops->wake;
	default:	/* AW_KIND_SLEEPER: only the sleep helpers make one */
		return false;
	}
}

static __always_inline void aw_get(unsigned long w)
{
	switch (aw_kind(w)) {
	case AW_KIND_TASK:
		get_task_struct(aw_task(w));
		break;
	case AW_KIND_CALLBACK:
		if (aw_cb(w)->ops->get)
			aw_cb(w)->ops->get(aw_cb(w));
		break;
	}
}

static __always_inline void aw_put(unsigned long w)
{
	if (!w)
		return;
	switch (aw_kind(w)) {
	case AW_KIND_TASK:
		put_task_struct(aw_task(w));
		break;
	case AW_KIND_CALLBACK:
		if (aw_cb(w)->ops->put)
			aw_cb(w)->ops->put(aw_cb(w));
		break;
	}
}

/*
 * Wake a non-empty waker, then release it: the put may free what was woken,
 * and a callback without @put may be gone once @wake returns.
 */
static __always_inline void aw_wake_put(unsigned long w)
{
	const struct aw_callback_ops *ops;

	switch (aw_kind(w)) {
	case AW_KIND_TASK:
		wake_up_process(aw_task(w));
		put_task_struct(aw_task(w));
		break;
	case AW_KIND_WAIT_QUEUE:
		wake_up_all(aw_ptr(w));
		break;
	case AW_KIND_WORK:
		queue_work(system_wq, aw_ptr(w));
		break;
	case AW_KIND_CALLBACK:
		ops = aw_cb(w)->ops;
		ops->wake(aw_cb(w));
		if (ops->put)
			ops->put(aw_cb(w));
		break;
	}
}

/**
 * aw_waker_wake - wake a waker and release it
 * @w: a waker returned by atomic_waker_take(); empty afterwards
 *
 * Does nothing if @w is empty.
 *
 * Context: any context atomic_waker_wake() may run in.
 */
void aw_waker_wake(struct aw_waker *w)
{
	if (!w->word)
		return;
	aw_wake_put(w->word);
	w->word = 0;
}
EXPORT_SYMBOL_GPL(aw_waker_wake);

/**
 * aw_waker_drop - release a waker without waking it
 * @w: a waker returned by atomic_waker_take(); empty afterwards
 *
 * Does nothing if @w is empty.
 *
 * Context: any context atomic_waker_wake() may run in.
 */
void aw_waker_drop(struct aw_waker *w)
{
	aw_put(w->word);
	w->word = 0;
}
EXPORT_SYMBOL_GPL(aw_waker_drop);

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
 * The same waker is a peek, without an RMW: only a register() stores a
 * waker, registers are serialized, and take() and finish_wait() only empty
 * the slot.  So if the slot reads @w, either our earlier register() stored
 * it, and its (A) ordered the store before the caller's loads, or a take()
 * is emptying the slot right now and owns @w: it wakes @w, or drops it as
 * a take() after this register() would.  A take() that emptied it and woke
 * @w before this call is not missed: the wake's own ordering (rule 3 in
 * atomic_waker.h) makes the empty slot visible here
 * (model/litmus/aw-same-waker-peek+emptied.litmus).
 */
static __always_inline bool aw_slot_holds(struct atomic_waker *aw,
					  unsigned long w, long *old)
{
	*old = atomic_long_read(&aw->slot);
	return *old == (long)w;
}

/*
 * Store @w in the slot, which read @old (not @w), releasing the waker it
 * replaces.
 */
static __always_inline int aw_store(struct atomic_waker *aw, long old,
				    unsigned long w)
{
	aw_get(w);		/* before a take() can see it in the slot */
	/*
	 * (A) Fully ordered.  Pairs with (B): a take() whose xchg reads this
	 * write sees @w, and the reference get() took.  Pairs with (F): the
	 * slot is stored before the caller loads its condition, so an
	 * empty-slot wake() cannot be missed.  A failed cmpxchg that read 0
	 * read it from a take()'s (B), so we try again, once at most: from 0,
	 * only a racing register() can make it fail, and one that read a
	 * waker read it from a racing register(): -EBUSY, with no ordering
	 * promised.
	 */
	while (!atomic_long_try_cmpxchg(&aw->slot, &old, w)) {
		if (!old)
			continue;
		aw_put(w);
		/* A racing register() of @w itself: @w is in, as if peeked. */
		return old == (long)w ? 0 : -EBUSY;
	}
	if (old) {		/* replaced, not woken: its reference is ours */
		/* A sleeper replaced is never woken through @aw: see the .h */
		AW_MISUSE(aw_kind(old) == AW_KIND_SLEEPER);
		aw_put(old);
	}
	return 0;
}

/**
 * atomic_waker_register - register the waker to wake on the next wake()
 * @aw: the atomic_waker
 * @w: the waker; see aw_waker_task() and its siblings
 *
 * The slot holds one waker: @w replaces the one there, which is released
 * without being woken.  Registering the waker the slot holds already
 * (aw_waker_same()) is a peek at the slot: it changes nothing, takes no
 * reference and returns 0.  Register, then test the condition, and a wake
 * is never lost.
 *
 * Context: process, softirq or hard-IRQ context; not NMI.
 * Return: 0 if @w is registered; -EBUSY if another register() stored its
 * waker meanwhile, in which case @w is neither stored nor woken; -EINVAL if
 * @w is not a waker (or a callback without @wake); -EOPNOTSUPP in NMI
 * context.
 */
int atomic_waker_register(struct atomic_waker *aw, struct aw_waker w)
{
	long old;

	if (aw_slot_holds(aw, w.word, &old))
		return w.word ? 0 : -EINVAL;	/* 0 is no waker */
	if (AW_MISUSE(!aw_waker_valid(w.word)))
		return -EINVAL;
	if (WARN_ON_ONCE(in_nmi()))
		return -EOPNOTSUPP;
	return aw_store(aw, old, w.word);
}
EXPORT_SYMBOL_GPL(atomic_waker_register);

/*
 * Empty the slot and return what it held, or 0.  Called with preemption
 * off, an RCU read-side critical section: that keeps an unpinned sleeper's
 * task_struct alive (it is freed a grace period after its task exits, see
 * delayed_put_task_struct()) until the caller has woken or pinned it.
 */
static __always_inline unsigned long aw_take(struct atomic_waker *aw)
{
	lockdep_assert_preemption_disabled();
	/*
	 * (B) Fully ordered.  Pairs with (A): we see the waker, and what its
	 * register() did before storing it.  The caller's stores (its
	 * condition) are ordered before this write, so the next register(),
	 * whose (A) reads it or a later value, sees them even when we return
	 * empty-handed (ordering rule 2 in atomic_waker.h).
	 */
	return atomic_long_xchg(&aw->slot, 0);
}

/**
 * atomic_waker_take - empty the slot and hand back its waker, not woken
 * @aw: the atomic_waker
 * @out: where the waker goes; empty if there was none to take
 *
 * The caller then wakes @out with aw_waker_wake() or releases it with
 * aw_waker_drop().  Like atomic_waker_wake(), it orders the caller's
 * earlier stores before the next register().
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if a waker was taken into @out.
 */
bool atomic_waker_take(struct atomic_waker *aw, struct aw_waker *out)
{
	unsigned long w;

	out->word = 0;
	if (WARN_ON_ONCE(in_nmi()))
		return false;
	if (!__atomic_waker_may_hold(aw))
		return false;

	preempt_disable();
	w = aw_take(aw);
	if (aw_kind(w) == AW_KIND_SLEEPER) {
		get_task_struct(aw_task(w));	/* it may be woken late */
		w &= ~AW_KIND_SLEEPER;		/* now a pinned task */
	}
	preempt_enable();
	out->word = w;
	return w;
}
EXPORT_SYMBOL_GPL(atomic_waker_take);

/**
 * atomic_waker_wake_slowpath - take and wake the waker the slot seemed to hold
 * @aw: the atomic_waker
 *
 * The out-of-line half of atomic_waker_wake(); call that instead.  The
 * waker is woken after the slot is emptied.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if this call woke a waker.
 */
bool atomic_waker_wake_slowpath(struct atomic_waker *aw)
{
	unsigned long w;

	if (WARN_ON_ONCE(in_nmi()))
		return false;

	preempt_disable();
	w = aw_take(aw);
	if (aw_kind(w) == AW_KIND_SLEEPER) {
		wake_up_process(aw_task(w));	/* inside the RCU section */
		preempt_enable();
		return true;
	}
	preempt_enable();

	/*
	 * Any other kind with preemption as the caller had it: a wait queue's
	 * lock sleeps under PREEMPT_RT.
	 */
	if (!w)
		return false;
	aw_wake_put(w);
	return true;
}
EXPORT_SYMBOL_GPL(atomic_waker_wake_slowpath);

/**
 * atomic_waker_destroy - release the registered waker before @aw goes away
 * @aw: the atomic_waker
 *
 * Drops the waker in the slot without waking it, so no task reference leaks.
 * No register() or wake() may start or be in flight: see "Teardown" in
 * atomic_waker.h for when the memory of @aw may be freed.  @aw may be used
 * again afterwards.
 *
 * Context: any but NMI.
 */
void atomic_waker_destroy(struct atomic_waker *aw)
{
	struct aw_waker w;

	if (atomic_waker_take(aw, &w))
		aw_waker_drop(&w);
}
EXPORT_SYMBOL_GPL(atomic_waker_destroy);

/* ---- sleeping on an atomic_waker ------------------------------------ */

/* current, unpinned: only for the prepare_wait()/finish_wait() pair */
static unsigned long aw_sleeper(void)
{
	return (unsigned long)current | AW_KIND_SLEEPER;
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
	unsigned long me = aw_sleeper();
	long old;

	/*
	 * set_current_state() is a full barrier: the task state is stored
	 * before register() publishes current, and before the caller's test
	 * of its condition even when register() only peeks (no (A) then), so
	 * it must not become __set_current_state().  Pairs with (B) and the
	 * barrier that try_to_wake_up() executes before it reads the state: a
	 * wake() that lands before schedule() leaves us runnable.
	 */
	set_current_state(state);
	if (!aw_slot_holds(aw, me, &old) && aw_store(aw, old, me) == -EBUSY)
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
 * wait.  A waker that replaced current stays registered.
 *
 * Context: process context.
 */
void atomic_waker_finish_wait(struct atomic_waker *aw)
{
	unsigned long me = aw_sleeper();

	__set_current_state(TASK_RUNNING);

	/*
	 * We wrote the slot or found our waker in it, so this reads our
	 * waker or a later value.  Relaxed: no condition is published here
	 * and nothing is read from the slot's past.  A wake() that got us
	 * first may still wake us, within its RCU section, and a take() holds
	 * us pinned: either is a harmless spurious wakeup later.
	 */
	if (atomic_long_read(&aw->slot) == (long)me)
		atomic_long_cmpxchg_relaxed(&aw->slot, me, 0);
}
EXPORT_SYMBOL_GPL(atomic_waker_finish_wait);

MODULE_DESCRIPTION("atomic_waker: a lock-free single-waker wakeup slot");
MODULE_LICENSE("GPL");
