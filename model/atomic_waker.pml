/*
 * atomic_waker.pml - the code of ../atomic_waker.c (with the inline
 * atomic_waker_wake() of ../atomic_waker.h), step by step, under
 * sequential consistency.  Every access to the slot is a step of its own,
 * and so is every get or put of a reference others can see (the put of a
 * target that -EBUSY never stored rides on the failed cmpxchg; a wake and
 * the put after it are one step, as nobody else holds that reference).
 * Ghost bookkeeping (who owns what, who was woken) rides on the step it
 * describes.  Memory ordering is the business of litmus/.
 *
 * The slot is one word: 0, or a target.  Registrant r (1..NREG) has two
 * targets, as a task has: TASK(r) = r, a counted target
 * (atomic_waker_target_task(), or a callback with get/put), and
 * SLEEPER(r) = r | SLP, the unpinned current that
 * atomic_waker_prepare_wait() registers (ATOMIC_WAKER_KIND_SLEEPER).
 * refs[r] counts the references get() took on task r and put() has not
 * dropped.  With -DWQ registrant 1 also has a wait queue target, WQT =
 * 1 | WQB (atomic_waker_target_wait_queue(): uncounted), which it sleeps
 * on, and the wait queue's irq_work is a process of its own.
 *
 *   register(t)   peek: slot == t: return 0 (the same-target peek)
 *                 slot holds a sleeper: -EBUSY, nothing got or put
 *                 get(t)       (a sleeper, a wait queue: none)
 *                 (A) cmpxchg(slot, old -> t), until:
 *                   success: put(old), replaced, not woken; return 0
 *                   failure on 0 (a take emptied it): old = 0, again
 *                   failure on a target: put(t); return -EBUSY
 *   wake()        peek; if 0: (F), peek again; if 0: return
 *                 (B) t = xchg(slot, 0); a sleeper is woken (no put),
 *                 a wait queue woken (wait_queue_wake(), no put), another
 *                 target woken and put
 *   take()        (F); peek; if 0: return; (B) t = xchg(slot, 0); a sleeper
 *                 is pinned (get) and handed out as TASK(r); the caller
 *                 then wakes it (wake + put) or drops it (put)
 *   finish_wait   if peek == SLEEPER(me): cmpxchg(slot, SLEEPER(me) -> 0)
 *   destroy       take + drop, when every other process has finished;
 *                 then atomic_waker_wait_queue_sync() and the wait queue
 *                 is freed
 *
 * The wait queue (-DWQ).  wait_queue_wake() either wakes the queue in
 * place (wake_up_all(), where its lock may be taken) or, chosen at each
 * call (PREEMPT_RT with preemption or IRQs off), hands it to its irq_work
 * as irq_work_queue() does: the claim, atomic_fetch_or(PENDING | BUSY) on
 * the work's flags, fully ordered, merges into a pending work (returns
 * false), else the work is queued for the irq_work thread.  The irq_work
 * process is that thread running irq_work_single() inside guard(rcu):
 * take the work off the list, clear PENDING (atomic_set), smp_mb(), call
 * wait_queue_irq_work() = wake_up_all(), clear BUSY by atomic_cmpxchg()
 * unless claimed again meanwhile, rcuwait_wake_up(&work->irqwait) for
 * irq_work_sync().  atomic_waker_wait_queue_sync() is irq_work_sync() for
 * such a work: wait until BUSY is clear, then synchronize_rcu().
 * wake_up_all() wakes registrant 1 if it is on the queue: it joins the
 * queue (prepare_to_wait()) before registering WQT and leaves it at the end
 * of the round.
 *
 * Processes: NREG registrants, each running rounds: pick a target -- the
 * sleeper, as the atomic_waker_wait_event() loop does (prepare_wait,
 * test, sleep, finish_wait), or its counted task target, as a hand-written
 * loop may (register, test, sleep, and leave it registered: the only way
 * the next register() meets its own target, the same-target peek), or
 * (registrant 1, -DWQ) the wait queue, also left registered; NWAKE
 * wakers (producers), each publishing an event and then, round after
 * round, waker 1 calling atomic_waker_wake() and the others
 * atomic_waker_take() followed by atomic_waker_target_wake() or
 * atomic_waker_target_drop().  Each process stops after any number of
 * rounds, so one exhaustive run covers every number of rounds (rounds are
 * not counted: the state is finite); -DROUNDS=n makes it exactly n rounds
 * instead.  An event sets news[i] for every registrant i; a registrant
 * tests its condition by reading and consuming its news[] in one step.
 * init destroys the atomic_waker when all are done.
 *
 * Properties (assertions on named booleans; run.sh names the one that
 * fails):
 *   no_lost_wakeup  a registrant whose register() returned 0, whose test
 *                   then found no news, and which went to sleep, is woken
 *                   if news comes after that test -- unless its target was
 *                   released unwoken meanwhile: a task or wait queue
 *                   target replaced by another registrant's register(), or
 *                   any target taken and dropped (atomic_waker_target_drop()
 *                   is the caller's choice).  A sleeper is never replaced:
 *                   no exception for it.  It sleeps until woken, released,
 *                   or nothing can wake it any more (every waker has
 *                   returned, every other registrant sleeps or has
 *                   finished, and the irq_work is neither queued nor
 *                   running); then, if neither woken nor released, no news
 *                   may have come.
 *   exclusive       a target in the slot is owned by the slot until ONE
 *                   read of it takes it over: the RMW (register's (A),
 *                   take's (B), finish_wait's cmpxchg) that reads it, and
 *                   then releases it.  Each takeover asserts that the
 *                   slot holds that target and that nobody took it over
 *                   already.
 *   no_double_put   a reference is never dropped that was not taken; the
 *                   irq_work is never queued while already queued (a
 *                   second llist_add of one node)
 *   balanced        at the end no sleeper is left in the slot (every wait
 *                   took itself out), and after destroy() the slot is
 *                   empty and every get has had its put; after the sync
 *                   the irq_work is idle (not pending, busy or queued)
 *   ebusy_only_if_racing
 *                   register() returns -EBUSY only if another register()
 *                   ran while it did, or it found another registrant's
 *                   sleeper in the slot
 *   wq_wake_delivered
 *                   every wake of the wait queue handed to the irq_work
 *                   (a claim, merged or not) is followed by a
 *                   wake_up_all() of the queue: at teardown none is owed
 *   sync_quiesces   after atomic_waker_wait_queue_sync() nothing touches
 *                   the wait queue or its irq_work (the memory is freed)
 *   and spin's own: no invalid end state (nobody stuck).
 *
 * Mutations (-DMUT_x) each weaken one step; run.sh expects each caught.
 * Probes (-DPROBE_x) fail an assertion (probe_reached) on a path that
 * must be reachable; run.sh expects each to fire.
 */

#ifndef NREG
#define NREG	2
#endif
#ifndef NWAKE
#define NWAKE	2
#endif
#if NREG > 3
#error "SLEEPER(r) is r | 4: at most 3 registrants"
#endif

#define SLP		4		/* ATOMIC_WAKER_KIND_SLEEPER */
#define WQB		8		/* a wait queue target */
#define WQT		(1 | WQB)	/* registrant 1's wait queue */
#define REG(v)		((v) & 3)	/* the registrant (task) of a target */
#define ISSLP(v)	((v) & SLP)
#define ISWQ(v)		((v) & WQB)
#define COUNTED(v)	(((v) & (SLP | WQB)) == 0)	/* get/put: a task */
#define EBUSY		1
#define AGAIN		2		/* register(): not returned yet */

#define PENDING		1		/* IRQ_WORK_PENDING */
#define BUSY		2		/* IRQ_WORK_BUSY */

byte slot;				/* aw->slot */
bool news[NREG + 1];			/* the condition, per registrant */
byte refs[NREG + 1];			/* task r: get - put */
#ifdef WQ
byte iw;			/* the irq_work's flags: PENDING, BUSY */
bool queued;			/* on the irq_work thread's list */
bool onq;			/* registrant 1 is on the wait queue */
bool inrcu;			/* the irq_work thread inside guard(rcu) */
bool freed;			/* the wait queue was freed after the sync */
bool owed;			/* ghost: a deferred wake not yet done */
#endif

/* ghosts */
bool claimed;			/* the slot's target was taken over, not yet replaced */
bool woken[NREG + 1];		/* woken since registrant r armed */
bool released[NREG + 1];	/* released unwoken since it armed */
byte held[NWAKE + 1];		/* registrant whose target waker i holds */
bool fresh[NWAKE + 1];		/* ... taken since that registrant armed */
bool inreg[NREG + 1];		/* inside register() */
bool overlapped[NREG + 1];	/* another register() ran meanwhile */
byte wakers_done;
byte quiet;			/* registrants asleep or finished */
bool no_lost_wakeup = true, exclusive = true, no_double_put = true;
bool balanced = true, ebusy_only_if_racing = true;
bool wq_wake_delivered = true, sync_quiesces = true;
#ifdef PROBE_WQ_SLEEPER
bool asleep;			/* registrant 1 in schedule() */
#endif

bool probe_reached;		/* a probe: run.sh expects it to fail */
#define PROBE(x)	probe_reached = true; assert(!probe_reached)	/* the path x */

/* A read of the slot that takes over the target @v it holds (if any). */
#define TAKEOVER(v)							\
	if								\
	:: (v) != 0 ->							\
		exclusive = (slot == (v) && !claimed);			\
		assert(exclusive);					\
		claimed = true						\
	:: else -> skip							\
	fi
#define STORE(v)	slot = (v); claimed = false

/* put() of a counted target (a sleeper or a wait queue holds no reference) */
#define PUT(v)								\
	if								\
	:: COUNTED(v) ->						\
		no_double_put = refs[REG(v)] > 0;			\
		assert(no_double_put);					\
		refs[REG(v)]--						\
	:: else -> skip							\
	fi

/*
 * Another registrant's target left the slot without being woken: replaced
 * by register().  Only a task or a wait queue may be: a sleeper replaced
 * is not a release (no_lost_wakeup then holds it to its wake).
 */
#define RELEASE(v, me)							\
	if								\
	:: (v) != 0 && REG(v) != (me) && !ISSLP(v) ->			\
		released[REG(v)] = true					\
	:: else -> skip							\
	fi

/*
 * Registrant @me's target is in the slot from now on (stored or found):
 * what releases it from here is a release of this arm's target.  A target
 * taken before is stale: dropping it does not release this one.
 */
#define ARM(me, k)							\
	released[me] = false;						\
	for (k : 1 .. NWAKE) {						\
		if							\
		:: held[k] == (me) -> fresh[k] = false			\
		:: else -> skip						\
		fi							\
	};								\
	k = 0

/* get() of a counted target */
#define GET(v)								\
	if								\
	:: COUNTED(v) -> refs[REG(v)]++					\
	:: else -> skip							\
	fi

/*
 * register() returns @r once it no longer reads or writes the slot (what
 * it still does, put(old), is its own business): the -EBUSY check.  @why
 * is the slot's value that made it fail.
 */
#define RETURN(r, why)							\
	ret = (r);							\
	inreg[me] = false;						\
	ebusy_only_if_racing = ret != EBUSY || overlapped[me] ||	\
			       (ISSLP(why) && REG(why) != me);		\
	assert(ebusy_only_if_racing)

#ifdef WQ
/* The wait queue or its irq_work is touched: not after it was freed. */
#define QTOUCH								\
	sync_quiesces = !freed;						\
	assert(sync_quiesces)

/* wake_up_all(&wq->head): wakes registrant 1 if it waits on the queue */
#define RAISE								\
	QTOUCH;								\
	owed = false;							\
	if								\
	:: onq -> woken[1] = true					\
	:: else -> skip							\
	fi
#endif

/* atomic_waker_register(aw, t) by registrant @me; ret: 0 or EBUSY */
inline do_register(me, w, ret, old, cur, k)
{
	/* the peek; ghosts: arm woken[], note overlapping calls */
	d_step {
		inreg[me] = true; overlapped[me] = false;
		for (k : 1 .. NREG) {
			if
			:: k != me && inreg[k] ->
				overlapped[k] = true; overlapped[me] = true
			:: else -> skip
			fi
		};
		k = 0;
		woken[me] = false;
#ifdef WQ
		if		/* prepare_to_wait(&wq->head), just before */
		:: ISWQ(w) -> onq = true
		:: else -> skip
		fi;
#endif
		old = slot;
		ret = AGAIN;
		if
#ifdef MUT_PEEK_ANY_TARGET
		:: old != 0 ->			/* any target: "the same" */
#else
		:: old == w ->			/* the same target: done */
#endif
#ifdef PROBE_SAME
			PROBE(same);
#endif
			ARM(me, k); RETURN(0, old)
#ifndef MUT_REPLACE_SLEEPER
		:: old != w && ISSLP(old) ->	/* slot_store(): -EBUSY */
#ifdef PROBE_SLEEPER_EBUSY
			PROBE(sleeper_ebusy);
#endif
#ifdef MUT_SLEEPER_EBUSY_GET
			GET(w);			/* got, never put */
#endif
			RETURN(EBUSY, old)	/* nothing got, nothing put */
#endif
		:: else -> skip
		fi
	};
	if
	:: ret == AGAIN ->
#ifdef MUT_REGISTER_WAITS
		(slot == 0); old = 0;		/* waits for a take() */
#endif
#ifndef MUT_GET_AFTER_CMPXCHG
		d_step { GET(w) };		/* before a take can see it */
#endif
		do
		:: d_step {				/* (A) */
#ifdef MUT_REGISTER_STORE
			cur = old;			/* a plain store */
#else
			cur = slot;
#endif
			if
			:: cur == old ->
				TAKEOVER(old); STORE(w); RELEASE(old, me);
				ARM(me, k); RETURN(0, cur)
			:: cur != old && cur == 0 ->	/* a take emptied it */
#ifdef PROBE_RETRY
				PROBE(retry);
#endif
#ifdef MUT_NO_RETRY
				PUT(w); RETURN(EBUSY, cur)
#else
				old = 0			/* try again */
#endif
			:: cur != old && cur != 0 ->	/* a racing register */
#ifdef PROBE_EBUSY
				PROBE(ebusy);
#endif
#ifndef MUT_EBUSY_NO_PUT
				PUT(w);			/* never published */
#endif
				RETURN(EBUSY, cur)
			fi;
			cur = 0
		   };
		   if
		   :: ret == AGAIN -> skip
		   :: else -> break
		   fi
		od;
#ifdef MUT_GET_AFTER_CMPXCHG
		if
		:: ret == 0 -> d_step { GET(w) }	/* a take may have put it */
		:: else -> skip
		fi;
#endif
		/* target_put(old): replaced, not woken */
		if
		:: ret == 0 && old != 0 ->
#ifndef MUT_NO_PUT_OLD
			d_step { PUT(old); old = 0 }
#else
			old = 0
#endif
		:: else -> old = 0
		fi
	:: else -> old = 0
	fi
}

/* (B) t = xchg(slot, 0), by waker @id */
inline take_slot(id, w)
{
	d_step {
		w = slot; TAKEOVER(w);
#ifndef MUT_PLAIN_TAKE
		STORE(0);
#endif
		if
		:: w != 0 -> held[id] = REG(w); fresh[id] = true
		:: else -> skip
		fi
	};
#ifdef MUT_PLAIN_TAKE
	d_step { STORE(0) }		/* a load, then a store */
#endif
}

#ifdef WQ
/*
 * wait_queue_wake() of the wait queue target waker @id took (no put: a
 * wait queue is not counted).  In place, or, as under PREEMPT_RT with
 * preemption or IRQs off, by irq_work_queue(): the claim, then the work
 * queued for the irq_work thread unless it was pending (merged).
 */
inline wq_wake(id, w, pend)
{
	if
	:: d_step {		/* wake_up_all(&wq->head) in place */
		RAISE;
		held[id] = 0; fresh[id] = false; w = 0
	   }
	:: d_step {
		/*
		 * irq_work_claim(): atomic_fetch_or(PENDING | BUSY), fully
		 * ordered; not pending before: llist_add() to the thread's list
		 * (one step with the claim: in between, another claim merges
		 * and the thread cannot take the work, as after it).
		 */
		QTOUCH;
		owed = true;
#ifndef MUT_DEFER_DROP
		pend = iw & PENDING;
		iw = iw | PENDING | BUSY;
#else
		pend = PENDING;			/* the wake is dropped */
#endif
#ifdef MUT_CLAIM_IGNORES_PENDING
		pend = 0;			/* queued even if pending */
#endif
		if
		:: pend == 0 ->
			no_double_put = !queued;
			assert(no_double_put);
			queued = true
		:: else -> skip			/* pending: merged into it */
		fi;
		held[id] = 0; fresh[id] = false; w = 0
	   };
#ifdef PROBE_MERGE
		if
		:: pend != 0 -> PROBE(merge)
		:: else -> skip
		fi;
#endif
		pend = 0
	fi
}
#endif

/* wake what waker @id took, then release it: target_wake_put() */
inline wake_put(id, w, pend)
{
#ifdef WQ
	if
	:: ISWQ(w) -> wq_wake(id, w, pend)
	:: else ->
#endif
	d_step {
		woken[REG(w)] = true;
#ifdef MUT_SLEEPER_PUT
		no_double_put = refs[REG(w)] > 0; assert(no_double_put);
		refs[REG(w)]--;
#else
		PUT(w);
#endif
		held[id] = 0; fresh[id] = false; w = 0
	}
#ifdef WQ
	fi
#endif
}

/* atomic_waker_wake() by waker @id */
inline do_wake(id, w, pend)
{
	if
	:: slot == 0 ->			/* the peek; (F) */
#ifdef MUT_WAKE_NO_F
		goto wake_done		/* one peek, no barrier */
#else
		if
		:: slot == 0 -> goto wake_done	/* the second peek */
		:: else -> skip
		fi
#endif
	:: else -> skip
	fi;
	take_slot(id, w);		/* __atomic_waker_wake() */
	if
	:: w != 0 -> wake_put(id, w, pend)	/* a sleeper: woken, no put */
	:: else -> skip
	fi;
wake_done:
	skip
}

/* atomic_waker_take(), then atomic_waker_target_wake() or atomic_waker_target_drop(), by waker @id */
inline do_take(id, w, pend)
{
	if
	:: slot != 0 ->			/* the peek, (F), the peek: one peek under SC */
		take_slot(id, w);
		if
		:: ISSLP(w) ->		/* pinned, handed out as a task */
#ifdef PROBE_PIN
			PROBE(pin);
#endif
#ifndef MUT_TAKE_NO_PIN
			d_step { refs[REG(w)]++; w = REG(w) }
#else
			w = REG(w)
#endif
		:: else -> skip
		fi;
		if
		:: w != 0 -> wake_put(id, w, pend)	/* atomic_waker_target_wake() */
		:: w != 0 ->			/* atomic_waker_target_drop() */
			d_step {
				if
				:: fresh[id] -> released[REG(w)] = true
				:: else -> skip
				fi;
				PUT(w);
				held[id] = 0; fresh[id] = false; w = 0
			}
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/* atomic_waker_finish_wait() by registrant @me */
inline do_finish_wait(me, cur)
{
	if
	:: slot == (me | SLP) ->	/* the peek */
#ifdef MUT_FINISH_PLAIN
		d_step { TAKEOVER(me | SLP); STORE(0) }	/* a plain store */
#else
		d_step {		/* cmpxchg_relaxed(me -> 0) */
			cur = slot;
			if
			:: cur == (me | SLP) -> TAKEOVER(me | SLP); STORE(0)
			:: else -> skip
			fi
		};
#ifdef PROBE_FINISH_RACE
		if
		:: cur != (me | SLP) -> PROBE(finish_race)
		:: else -> skip
		fi;
#endif
		cur = 0
#endif
	:: else -> skip
	fi
}

/* Nothing can wake a sleeping registrant any more. */
#ifdef WQ
#define NOBODY_LEFT							\
	(wakers_done == NWAKE && quiet == NREG && !queued && !inrcu)
#else
#define NOBODY_LEFT	(wakers_done == NWAKE && quiet == NREG)
#endif

proctype registrant(byte me)
{
	byte ret, old, cur, w, k;
	bool t;
#ifdef ROUNDS
	byte round;

	for (round : 1 .. ROUNDS) {
#else
	do
	:: break
	:: true ->
#endif
		if
#ifdef WQ
		:: me == 1 -> w = WQT	/* a loop on the wait queue */
		:: me != 1 -> w = me | SLP
#else
		:: w = me | SLP		/* wait_event: prepare_wait() */
		:: w = me		/* a hand-written loop: a task target */
#endif
		fi;
		do_register(me, w, ret, old, cur, k);
		/*
		 * The test.  -EBUSY: prepare_wait() set the task running, so
		 * it does not sleep.  t: it sleeps.
		 */
#ifdef MUT_EBUSY_SLEEPS	/* prepare_wait: -EBUSY leaves it TASK_*INTERRUPTIBLE */
		d_step {
			t = (ret == 0 || ISSLP(w)) && !news[me];
			news[me] = false; ret = 0
		};
#else
		d_step { t = ret == 0 && !news[me]; news[me] = false; ret = 0 };
#endif
		if
		:: !t -> skip
		:: t ->
			/* schedule() */
			atomic {
				quiet++;
#ifdef PROBE_WQ_SLEEPER
				asleep = ISWQ(w) != 0;
#endif
				(woken[me] || released[me] || NOBODY_LEFT)
			}
			d_step {
				quiet--;
#ifdef PROBE_WQ_SLEEPER
				asleep = false;
#endif
				/* neither woken nor released: no news since */
				no_lost_wakeup = woken[me] || released[me] ||
						 !news[me];
				assert(no_lost_wakeup)
			}
		fi;
		if
		:: ISSLP(w) -> do_finish_wait(me, cur)
		:: else -> skip		/* a task or wait queue stays registered */
		fi;
		d_step {
#ifdef WQ
			if		/* finish_wait(&wq->head) */
			:: ISWQ(w) -> onq = false
			:: else -> skip
			fi;
#endif
			t = 0; w = 0
		}
#ifdef ROUNDS
	}
#else
	od;
#endif
	quiet++
}

proctype waker(byte id)
{
	byte w, i, pend;
#ifdef ROUNDS
	byte round;

	for (round : 1 .. ROUNDS) {
#else
	do
	:: break
	:: true ->
#endif
#ifdef MUT_PEEK_BEFORE_STORE
		/* wake()'s empty-slot test made before the condition store */
		if
		:: slot == 0 ->
			d_step { for (i : 1 .. NREG) { news[i] = true }; i = 0 }
		:: else ->
			d_step { for (i : 1 .. NREG) { news[i] = true }; i = 0 };
			take_slot(id, w);
			if
			:: w != 0 -> wake_put(id, w, pend)
			:: else -> skip
			fi
		fi
#else
		d_step {		/* WRITE_ONCE(condition) */
			for (i : 1 .. NREG) {
				news[i] = true
			};
			i = 0
		};
		if
		:: id == 1 -> do_wake(id, w, pend)
		:: else -> do_take(id, w, pend)
		fi
#endif
#ifdef ROUNDS
	}
#else
	od;
#endif
	wakers_done++
}

#ifdef WQ
/*
 * The irq_work thread (PREEMPT_RT: irq_work/N) running the wait queue's
 * irq_work: run_irq_workd() in guard(rcu), irq_work_single().
 */
proctype irq_work_thread()
{
	byte flags;

end_idle:
	do
	:: d_step {
		/*
		 * llist_del_all(), in guard(rcu); irq_work_single(): flags =
		 * atomic_read() & ~PENDING; atomic_set(flags).  One step: a claim
		 * in between finds PENDING set and merges, as before it.  Then
		 * smp_mb(), which pairs with the claim's fetch_or (litmus/).
		 */
		queued; QTOUCH; queued = false; inrcu = true;
#ifndef MUT_RUNNER_WAKE_FIRST
		flags = iw & ~PENDING; iw = flags
#else
		flags = iw
#endif
	   };
#ifdef MUT_RUNNER_WAKE_FIRST
		d_step { RAISE };	/* wait_queue_irq_work(), too early */
		d_step { flags = iw & ~PENDING; iw = flags };
#else
		d_step {		/* wait_queue_irq_work(): wake_up_all() */
			RAISE;
#ifdef PROBE_WQ_SLEEPER
			if
			:: asleep && onq -> PROBE(wq_sleeper)
			:: else -> skip
			fi
#endif
		};
#endif
		d_step {		/* atomic_cmpxchg(flags -> flags & ~BUSY) */
			QTOUCH;
			if
			:: iw == flags -> iw = flags & ~BUSY
			:: else ->		/* claimed again: runs again */
#ifdef PROBE_RECLAIM
				PROBE(reclaim);
#endif
				skip
			fi;
			flags = 0
		};
		d_step {		/* rcuwait_wake_up(&work->irqwait), rcu unlock */
			QTOUCH; inrcu = false
		}
	od
}
#endif

init {
	byte i, w;

	atomic {
#ifdef WQ
		/*
		 * First: a process is reaped only once every later one is, and
		 * this one never ends.
		 */
		run irq_work_thread();
#endif
		for (i : 1 .. NREG) {
			run registrant(i)
		}
		for (i : 1 .. NWAKE) {
			run waker(i)
		}
		i = 0
	}
#ifdef WQ
	_nr_pr == 2;		/* all but the irq_work thread have finished */
#else
	_nr_pr == 1;
#endif
	/* every wait took its sleeper out: nothing reaches an exited task */
	d_step { balanced = !ISSLP(slot); assert(balanced) };
	/* atomic_waker_destroy(): take ((F), a peek, (B)), then drop */
	if
	:: slot != 0 ->
		d_step { w = slot; TAKEOVER(w); STORE(0) };
		if
		:: ISSLP(w) -> d_step { refs[REG(w)]++; w = REG(w) }
		:: else -> skip
		fi;
#ifndef MUT_DESTROY_NO_DROP
		d_step { PUT(w); w = 0 }
#else
		w = 0				/* taken, forgotten */
#endif
	:: else -> skip
	fi;
	d_step {
		balanced = slot == 0;
		for (i : 1 .. NREG) {
			balanced = balanced && refs[i] == 0
		};
		assert(balanced)
	};
#ifdef WQ
	/* atomic_waker_wait_queue_sync(): irq_work_sync() */
#ifdef PROBE_SYNC_WAITS
	if
	:: iw & BUSY -> PROBE(sync_waits)
	:: else -> skip
	fi;
#endif
#ifndef MUT_SYNC_NO_WAIT
	(!(iw & BUSY));		/* rcuwait_wait_event(!irq_work_is_busy()) */
#ifndef MUT_SYNC_NO_RCU
	(!inrcu);		/* synchronize_rcu() */
#endif
#endif
	freed = true;		/* kfree() of the wait queue */
	/*
	 * What the sync promised is checked when the irq_work thread is idle
	 * (at once, if it kept its promise); until then any touch of the
	 * freed queue fails sync_quiesces.
	 */
	(!queued && !inrcu);
	d_step {
		balanced = iw == 0;
		assert(balanced);
		wq_wake_delivered = !owed;
		assert(wq_wake_delivered)
	}
#endif
}
