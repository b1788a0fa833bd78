// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker: a slot for one waker, registered and woken without a lock.
 *
 * A driver's completion path is "IRQ finishes the work, the sleeper must
 * wake".  completion and swait take a raw spinlock on every complete(); a bare
 * wait queue takes one on every wake_up(); rcuwait needs its waiters
 * serialized and wakes only tasks.  atomic_waker is futures' AtomicWaker: a
 * three-state atomic_t that hands the slot to whoever owns it, so register and
 * wake are a handful of atomics, any of which may race with the others.
 *
 * The protocol, with the barriers named as the comments below name them:
 *
 *   register(w)                          take() (and so wake())
 *   ----------------------------------   -------------------------------
 *   slot holds w already: done           slot empty: (F) smp_mb(), and if
 *   (D) cmpxchg_acquire WAITING ->       still empty, return; IRQs off
 *       REGISTERING, or:                 (B) cmpxchg WAITING -> WAKING,
 *       WAKING: wake w now, done             else fetch_or(WAKING); full
 *       REGISTERING: -EBUSY, done            found WAITING: we own it,
 *   slot = w                                 else the owner finishes:
 *   (A) cmpxchg REGISTERING -> WAITING,      return nothing
 *       full; or, if a take() set        w = slot; slot = empty
 *       WAKING meanwhile:                (C) xchg_release(WAITING)
 *   (E) w = slot; slot = empty;          wake w; IRQs back on
 *       xchg(WAITING), full; wake w
 *
 * A take() that finds the slot owned sets WAKING and leaves: a register()
 * sees it at (A) and wakes on take()'s behalf; another take() already owns the
 * waker.  Nothing waits for anything, so no call spins.
 *
 * The empty-slot exit (F) is store buffering between the two sides, with a
 * full barrier on each:
 *
 *   REGISTER                    WAKE
 *   [S] slot = w                [S] condition = true
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
#include <linux/indirect_call_wrapper.h>
#include <linux/irqflags.h>
#include <linux/module.h>
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

/* ---- waker kinds ---------------------------------------------------- */

static void aw_task_wake(void *data)
{
	wake_up_process(data);
}

static void aw_task_get(void *data)
{
	get_task_struct(data);
}

static void aw_task_put(void *data)
{
	put_task_struct(data);
}

static const struct aw_waker_ops aw_task_ops = {
	.wake	= aw_task_wake,
	.get	= aw_task_get,
	.put	= aw_task_put,
};

/*
 * The sleep helpers register current unpinned, as rcuwait does, which saves
 * a get and a put per wait.  This is safe because:
 *  - a sleeper is in the slot only while its task is between
 *    atomic_waker_prepare_wait() and atomic_waker_finish_wait(), and the
 *    latter takes it out (or finds it taken) before the task can go on;
 *  - whoever takes a sleeper out of the slot does so, and wakes it, with
 *    IRQs off, which is an RCU read-side critical section, and a task_struct
 *    is freed only a grace period after its task exits
 *    (delayed_put_task_struct());
 *  - atomic_waker_take() hands a sleeper out pinned, as a task waker.
 */
static const struct aw_waker_ops aw_sleeper_ops = {
	.wake	= aw_task_wake,
};

static void aw_wait_queue_wake(void *data)
{
	wake_up_all(data);
}

static const struct aw_waker_ops aw_wait_queue_ops = {
	.wake	= aw_wait_queue_wake,
};

static void aw_work_wake(void *data)
{
	queue_work(system_wq, data);
}

static const struct aw_waker_ops aw_work_ops = {
	.wake	= aw_work_wake,
};

/**
 * aw_waker_task - a waker that wakes @tsk with wake_up_process()
 * @tsk: the task; pinned with get_task_struct() while it is registered
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
struct aw_waker aw_waker_task(struct task_struct *tsk)
{
	return aw_waker_callback(&aw_task_ops, tsk);
}
EXPORT_SYMBOL_GPL(aw_waker_task);

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
struct aw_waker aw_waker_wait_queue(struct wait_queue_head *wq)
{
	return aw_waker_callback(&aw_wait_queue_ops, wq);
}
EXPORT_SYMBOL_GPL(aw_waker_wait_queue);

/**
 * aw_waker_work - a waker that queues @work on system_wq
 * @work: an initialized work item; not reference counted
 *
 * The kernel's analog of an async task being polled again.
 *
 * Context: any.
 * Return: the waker, to pass to atomic_waker_register().
 */
struct aw_waker aw_waker_work(struct work_struct *work)
{
	return aw_waker_callback(&aw_work_ops, work);
}
EXPORT_SYMBOL_GPL(aw_waker_work);

static __always_inline void aw_get(const struct aw_waker *w)
{
	if (w->ops->get)
		INDIRECT_CALL_1(w->ops->get, aw_task_get, w->data);
}

static __always_inline void aw_put(const struct aw_waker *w)
{
	if (w->ops && w->ops->put)
		INDIRECT_CALL_1(w->ops->put, aw_task_put, w->data);
}

/* Wake a non-empty waker, then release it: the put may free what was woken. */
static __always_inline void aw_wake_put(const struct aw_waker *w)
{
	INDIRECT_CALL_1(w->ops->wake, aw_task_wake, w->data);
	aw_put(w);
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
	if (!w->ops)
		return;
	aw_wake_put(w);
	w->ops = NULL;
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
	aw_put(w);
	w->ops = NULL;
}
EXPORT_SYMBOL_GPL(aw_waker_drop);

/* ---- the slot ------------------------------------------------------- */

/*
 * Only the owner of ->state writes the slot; atomic_waker_is_registered()
 * and aw_slot_holds() peek at it without owning it, hence the marked
 * accesses.
 */
static void aw_slot_set(struct atomic_waker *aw, struct aw_waker w)
{
	WRITE_ONCE(aw->waker.data, w.data);
	WRITE_ONCE(aw->waker.ops, w.ops);
}

static struct aw_waker aw_slot_take(struct atomic_waker *aw)
{
	struct aw_waker w = aw->waker;

	WRITE_ONCE(aw->waker.ops, NULL);
	return w;
}

/*
 * Does the slot hold @w already?  A peek, without owning the slot: only a
 * register() stores a waker, registers are serialized, and a take() only
 * empties the slot.  So if the slot reads @w, either an earlier register()
 * stored it, and that one's (A) ordered the store before the caller's loads,
 * or a take() is emptying the slot right now and wakes @w.  A take() that
 * emptied it and woke @w before this call is not missed: the wake's own
 * ordering (rule 3 in atomic_waker.h) makes the empty slot visible here
 * (model/litmus/aw-same-waker-peek+emptied.litmus).
 */
static bool aw_slot_holds(const struct atomic_waker *aw,
			  const struct aw_waker *w)
{
	return READ_ONCE(aw->waker.ops) == w->ops &&
	       READ_ONCE(aw->waker.data) == w->data;
}

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
	atomic_set(&aw->state, AW_WAITING);
	aw->waker = (struct aw_waker){ };
}
EXPORT_SYMBOL_GPL(atomic_waker_init);

/*
 * register() found the slot owned.  The failed cmpxchg is unordered, so
 * upgrade its read to acquire (E): it read AW_WAKING from a take()'s fully
 * ordered (B), and the caller's loads after we return must see what that
 * take()'s caller stored before it.
 */
static int aw_register_contended(struct aw_waker *w, int state)
{
	smp_acquire__after_ctrl_dep(); /* (E), pairs with (B) */

	if (state & AW_REGISTERING)
		return -EBUSY;

	/* A wake is in flight and may have missed @w: it is woken now. */
	w->ops->wake(w->data);
	return 0;
}

/*
 * A take() set AW_WAKING while we held the slot: it returned empty-handed and
 * left the wake to us.  Empty the slot before unlocking, as take() would.
 */
static void aw_register_raced(struct atomic_waker *aw)
{
	struct aw_waker w = aw_slot_take(aw);

	/*
	 * (E) A full RMW, not a plain store: it reads the latest AW_WAKING, so
	 * the stores made before every racing fetch_or (B) are ordered before
	 * the wake below and before the next owner, who acquires this write.
	 */
	atomic_xchg(&aw->state, AW_WAITING);
	aw_waker_wake(&w);
}

/**
 * atomic_waker_register - register the waker to wake on the next wake()
 * @aw: the atomic_waker
 * @w: the waker; see aw_waker_task() and its siblings
 *
 * The slot holds one waker: @w replaces the one there, which is released
 * without being woken.  Registering the waker the slot holds already
 * (aw_waker_same()) is a peek at the slot: it changes nothing, takes no
 * reference and returns 0.  If a wake() is in flight, @w is woken before
 * this returns: register, then test the condition, and a wake is never lost.
 *
 * Context: process, softirq or hard-IRQ context; not NMI.
 * Return: 0 if @w is registered or has been woken; -EBUSY if another
 * register() owned the slot, in which case @w is neither stored nor woken;
 * -EINVAL if @w has no wake callback; -EOPNOTSUPP in NMI context.
 */
int atomic_waker_register(struct atomic_waker *aw, struct aw_waker w)
{
	struct aw_waker old;
	int state = AW_WAITING;

	if (AW_MISUSE(!w.ops || !w.ops->wake))
		return -EINVAL;
	if (WARN_ON_ONCE(in_nmi()))
		return -EOPNOTSUPP;
	if (aw_slot_holds(aw, &w))
		return 0;

	/* (D) Pairs with (C) and (A): we see the slot its last owner left. */
	if (!atomic_try_cmpxchg_acquire(&aw->state, &state, AW_REGISTERING))
		return aw_register_contended(&w, state);

	old = aw_slot_take(aw);
	aw_get(&w);
	aw_slot_set(aw, w);

	/*
	 * (A) Fully ordered.  Pairs with (B): a take() whose (B) reads this
	 * write sees the slot we filled; one ordered before it made the
	 * cmpxchg fail.  Pairs with (F): the slot is stored before the caller
	 * loads its condition, so an empty-slot wake() cannot be missed.
	 */
	state = AW_REGISTERING;
	if (!atomic_try_cmpxchg(&aw->state, &state, AW_WAITING))
		aw_register_raced(aw);

	aw_put(&old);
	return 0;
}
EXPORT_SYMBOL_GPL(atomic_waker_register);

/*
 * Own the slot and empty it; the slot looked full.  Called with IRQs off:
 *  - AW_WAKING is held for a few instructions by a running CPU, never by a
 *    preempted task, nor by a task that a hard IRQ on its own CPU
 *    interrupted.  So a register() that meets AW_WAKING (and wakes its waker
 *    at once, see aw_register_contended()) meets it only briefly, and a wake
 *    callback that registers again cannot recurse on it for long;
 *  - the section is an RCU read-side critical section, which keeps an
 *    unpinned sleeper's task_struct alive (see aw_sleeper_ops) until the
 *    caller has woken it, before it enables IRQs again.
 */
static __always_inline bool aw_take(struct atomic_waker *aw,
				    struct aw_waker *out)
{
	int state = AW_WAITING;

	lockdep_assert_irqs_disabled();
	/*
	 * (B) Fully ordered: the cmpxchg if it succeeds, else the fetch_or
	 * after it.  Pairs with (A): we see the registered waker.  The
	 * caller's stores (its condition) are ordered before this write, so a
	 * register() that reads it at (D), (E) or (A) sees them even when we
	 * return empty-handed (ordering rule 2 in atomic_waker.h).
	 */
	if (!atomic_try_cmpxchg(&aw->state, &state, AW_WAKING) &&
	    atomic_fetch_or(AW_WAKING, &aw->state) != AW_WAITING)
		return false;

	*out = aw_slot_take(aw);
	/*
	 * (C) Pairs with (D): the next register() sees the slot emptied.  The
	 * state is exactly AW_WAKING here (a register() cannot lock it, other
	 * take()s only set AW_WAKING again), so an xchg is the unlock; an RMW,
	 * not a plain store, so that it reads the latest AW_WAKING and carries
	 * the ordering of every fetch_or (B) that failed meanwhile.
	 */
	atomic_xchg_release(&aw->state, AW_WAITING);
	return out->ops;
}

/*
 * aw_take() with IRQs off.  An unpinned sleeper is woken before they are
 * back on (see aw_take()), unless it is @self, and is gone from @w then;
 * any other waker is left in @w, for the caller to wake with IRQs as it had
 * them: its lock may sleep under PREEMPT_RT.
 */
static __always_inline bool aw_take_wake_sleeper(struct atomic_waker *aw,
						 struct aw_waker *w,
						 struct task_struct *self)
{
	unsigned long flags;
	bool taken;

	*w = (struct aw_waker){ };
	local_irq_save(flags);
	taken = aw_take(aw, w);
	if (taken && w->ops == &aw_sleeper_ops) {
		if (w->data != self)
			wake_up_process(w->data);
		w->ops = NULL;		/* a sleeper holds no reference */
	}
	local_irq_restore(flags);
	return taken;
}

/**
 * atomic_waker_take - empty the slot and hand back its waker, not woken
 * @aw: the atomic_waker
 * @out: where the waker goes; empty if there was none to take
 *
 * The caller then wakes @out with aw_waker_wake() or releases it with
 * aw_waker_drop().  If a register() owns the slot, it wakes its waker on
 * this call's behalf; if another take() owns it, that one has the waker.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if a waker was taken into @out.
 */
bool atomic_waker_take(struct atomic_waker *aw, struct aw_waker *out)
{
	unsigned long flags;
	bool taken;

	*out = (struct aw_waker){ };
	smp_mb(); /* (F), pairs with (A): see the comment at the top */
	if (!atomic_waker_is_registered(aw) || WARN_ON_ONCE(in_nmi()))
		return false;

	local_irq_save(flags);
	taken = aw_take(aw, out);
	if (taken && out->ops == &aw_sleeper_ops) {
		get_task_struct(out->data);	/* it may be woken late */
		out->ops = &aw_task_ops;
	}
	local_irq_restore(flags);
	return taken;
}
EXPORT_SYMBOL_GPL(atomic_waker_take);

/**
 * atomic_waker_wake_slowpath - take and wake the waker the slot seemed to hold
 * @aw: the atomic_waker
 *
 * The out-of-line half of atomic_waker_wake(); call that instead.  The
 * waker is woken after the slot is released.
 *
 * Context: any, hard IRQ with IRQs off included; not NMI.
 * Return: true if this call woke a waker.
 */
bool atomic_waker_wake_slowpath(struct atomic_waker *aw)
{
	struct aw_waker w;
	bool woken;

	if (WARN_ON_ONCE(in_nmi()))
		return false;

	woken = aw_take_wake_sleeper(aw, &w, NULL);
	if (w.ops)		/* any waker but a sleeper, IRQs as they were */
		aw_wake_put(&w);
	return woken;
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
	AW_MISUSE(atomic_read(&aw->state) != AW_WAITING);
}
EXPORT_SYMBOL_GPL(atomic_waker_destroy);

/* ---- sleeping on an atomic_waker ------------------------------------ */

/* current, unpinned: only for the prepare_wait()/finish_wait() pair */
static struct aw_waker aw_waker_sleeper(void)
{
	return aw_waker_callback(&aw_sleeper_ops, current);
}

/**
 * atomic_waker_prepare_wait - set the task state, then register current
 * @aw: the atomic_waker
 * @state: the sleep state, e.g. TASK_INTERRUPTIBLE
 *
 * The atomic_waker_wait_event() family calls this before each test of the
 * condition; a hand-written loop does the same and then schedule()s, and
 * calls atomic_waker_finish_wait() before it leaves: current is registered
 * without a task reference (see aw_sleeper_ops).
 *
 * Context: process context.
 * Return: 0, or -ERESTARTSYS if a signal that @state lets in is pending.
 */
int atomic_waker_prepare_wait(struct atomic_waker *aw, unsigned int state)
{
	/*
	 * set_current_state() is a full barrier: the task state is stored
	 * before register() publishes current.  Pairs with the barrier that
	 * try_to_wake_up() executes before it reads the state: a wake() that
	 * lands before schedule() leaves us runnable.
	 */
	set_current_state(state);
	if (atomic_waker_register(aw, aw_waker_sleeper()) == -EBUSY)
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
 * wait.  A waker found there that is not current is woken, not dropped.
 *
 * Context: process context.
 */
void atomic_waker_finish_wait(struct atomic_waker *aw)
{
	struct aw_waker w;

	__set_current_state(TASK_RUNNING);

	/*
	 * We wrote the slot or found our waker in it, so this reads our
	 * waker or a later value; no condition is being published, so no
	 * barrier (F) is needed.
	 */
	if (!atomic_waker_is_registered(aw))
		return;
	aw_take_wake_sleeper(aw, &w, current);
	aw_waker_wake(&w);		/* anyone else who replaced us */
}
EXPORT_SYMBOL_GPL(atomic_waker_finish_wait);

MODULE_DESCRIPTION("atomic_waker: a lock-free single-waker wakeup slot");
MODULE_LICENSE("GPL");
