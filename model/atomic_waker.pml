/*
 * atomic_waker.pml - the code of ../atomic_waker.c (with the inline
 * atomic_waker_wake() of ../atomic_waker.h), step by step, under
 * sequential consistency.  Every access to the slot is a step of its own,
 * and so is every get or put of a reference others can see (the put of a
 * waker that -EBUSY never stored rides on the failed cmpxchg; a wake and
 * the put after it are one step, as nobody else holds that reference).
 * Ghost bookkeeping (who owns what, who was woken) rides on the step it
 * describes.  Memory ordering is the business of litmus/.
 *
 * The slot is one word: 0, or a waker.  Registrant r (1..NREG) has two
 * wakers, as a task has: TASK(r) = r, a counted waker (atomic_waker_target_task(), or
 * a callback with get/put), and SLEEPER(r) = r | SLP, the unpinned current
 * that atomic_waker_prepare_wait() registers (ATOMIC_WAKER_KIND_SLEEPER).  refs[r]
 * counts the references get() took on task r and put() has not dropped.
 *
 *   register(w)   peek: slot == w: return 0 (the same-waker peek)
 *                 get(w)       (a sleeper: none)
 *                 (A) cmpxchg(slot, old -> w), until:
 *                   success: put(old), replaced, not woken; return 0
 *                   failure on 0 (a take emptied it): old = 0, again
 *                   failure on a waker: put(w); return -EBUSY
 *   wake()        peek; if 0: (F), peek again; if 0: return
 *                 (B) w = xchg(slot, 0); a sleeper is woken (no put),
 *                 another waker woken and put
 *   take()        (F); peek; if 0: return; (B) w = xchg(slot, 0); a sleeper
 *                 is pinned (get) and handed out as TASK(r); the caller
 *                 then wakes it (wake + put) or drops it (put)
 *   finish_wait   if peek == SLEEPER(me): cmpxchg(slot, SLEEPER(me) -> 0)
 *   destroy       take + drop, when every other process has finished
 *
 * Processes: NREG registrants, each running rounds: pick a waker -- the
 * sleeper, as the atomic_waker_wait_event() loop does (prepare_wait,
 * test, sleep, finish_wait), or its counted task waker, as a hand-written
 * loop may (register, test, sleep, and leave it registered: the only way
 * the next register() meets its own waker, the same-waker peek);
 * NWAKE wakers, each publishing an event and then, round after round,
 * waker 1 calling atomic_waker_wake() and the others atomic_waker_take()
 * followed by atomic_waker_target_wake() or atomic_waker_target_drop().  Each process stops
 * after any number of rounds, so one exhaustive run covers every number of
 * rounds (rounds are not counted: the state is finite); -DROUNDS=n makes
 * it exactly n rounds instead.  An event sets news[i] for every registrant
 * i; a registrant tests its condition by reading and consuming its news[]
 * in one step.  init destroys the atomic_waker when all are done.
 *
 * Properties (assertions on named booleans; run.sh names the one that
 * fails):
 *   no_lost_wakeup  a registrant whose register() returned 0, whose test
 *                   then found no news, and which went to sleep, is woken
 *                   if news comes after that test -- unless its waker was
 *                   released unwoken meanwhile: replaced by another
 *                   registrant's register() (the documented "a second
 *                   sleeper replaces the first") or taken and dropped
 *                   (atomic_waker_target_drop() is the caller's choice).  It sleeps
 *                   until woken, released, or every waker has returned
 *                   and every other registrant sleeps or has finished;
 *                   then, if neither woken nor released, no news may have
 *                   come.
 *   exclusive       a waker in the slot is owned by the slot until ONE
 *                   read of it takes it over: the RMW (register's (A),
 *                   take's (B), finish_wait's cmpxchg) that reads it, and
 *                   then releases it.  Each takeover asserts that the
 *                   slot holds that waker and that nobody took it over
 *                   already.
 *   no_double_put   a reference is never dropped that was not taken
 *   balanced        at the end no sleeper is left in the slot (every wait
 *                   took itself out), and after destroy() the slot is
 *                   empty and every get has had its put
 *   ebusy_only_if_racing
 *                   register() returns -EBUSY only if another register()
 *                   ran while it did
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
#define REG(v)		((v) & 3)	/* the registrant (task) of a waker */
#define ISSLP(v)	((v) & SLP)
#define EBUSY		1
#define AGAIN		2		/* register(): not returned yet */

byte slot;				/* aw->slot */
bool news[NREG + 1];			/* the condition, per registrant */
byte refs[NREG + 1];			/* task r: get - put */

/* ghosts */
bool claimed;			/* the slot's waker was taken over, not yet replaced */
bool woken[NREG + 1];		/* woken since registrant r armed */
bool released[NREG + 1];	/* released unwoken since it armed */
byte held[NWAKE + 1];		/* registrant whose waker waker i holds */
bool fresh[NWAKE + 1];		/* ... taken since that registrant armed */
bool inreg[NREG + 1];		/* inside register() */
bool overlapped[NREG + 1];	/* another register() ran meanwhile */
byte wakers_done;
byte quiet;			/* registrants asleep or finished */
bool no_lost_wakeup = true, exclusive = true, no_double_put = true;
bool balanced = true, ebusy_only_if_racing = true;

bool probe_reached;		/* a probe: run.sh expects it to fail */
#define PROBE(x)	probe_reached = true; assert(!probe_reached)	/* the path x */

/* A read of the slot that takes over the waker @v it holds (if any). */
#define TAKEOVER(v)							\
	if								\
	:: (v) != 0 ->							\
		exclusive = (slot == (v) && !claimed);			\
		assert(exclusive);					\
		claimed = true						\
	:: else -> skip							\
	fi
#define STORE(v)	slot = (v); claimed = false

/* put() of a counted waker (a sleeper holds no reference) */
#define PUT(v)								\
	if								\
	:: !ISSLP(v) ->							\
		no_double_put = refs[REG(v)] > 0;			\
		assert(no_double_put);					\
		refs[REG(v)]--						\
	:: else -> skip							\
	fi

/* Another registrant's waker left the slot without being woken. */
#define RELEASE(v, me)							\
	if								\
	:: (v) != 0 && REG(v) != (me) -> released[REG(v)] = true	\
	:: else -> skip							\
	fi

/*
 * Registrant @me's waker is in the slot from now on (stored or found):
 * what releases it from here is a release of this arm's waker.  A waker
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

/* get() of a counted waker */
#define GET(v)								\
	if								\
	:: !ISSLP(v) -> refs[REG(v)]++					\
	:: else -> skip							\
	fi

/*
 * register() returns @r once it no longer reads or writes the slot (what
 * it still does, put(old), is its own business): the -EBUSY check.
 */
#define RETURN(r)							\
	ret = (r);							\
	inreg[me] = false;						\
	ebusy_only_if_racing = ret != EBUSY || overlapped[me];		\
	assert(ebusy_only_if_racing)

/* atomic_waker_register(aw, w) by registrant @me; ret: 0 or EBUSY */
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
		old = slot;
		ret = AGAIN;
		if
#ifdef MUT_PEEK_ANY_WAKER
		:: old != 0 ->			/* any waker: "the same" */
#else
		:: old == w ->			/* the same waker: done */
#endif
#ifdef PROBE_SAME
			PROBE(same);
#endif
			ARM(me, k); RETURN(0)
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
				ARM(me, k); RETURN(0)
			:: cur != old && cur == 0 ->	/* a take emptied it */
#ifdef PROBE_RETRY
				PROBE(retry);
#endif
#ifdef MUT_NO_RETRY
				PUT(w); RETURN(EBUSY)
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
				RETURN(EBUSY)
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
		/* aw_put(old): replaced, not woken */
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

/* (B) w = xchg(slot, 0), by waker @id */
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

/* wake what waker @id took, then release it: aw_wake_put(), atomic_waker_target_wake() */
inline wake_put(id, w)
{
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
}

/* atomic_waker_wake() by waker @id */
inline do_wake(id, w)
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
	take_slot(id, w);		/* __AWSLOW__() */
	if
	:: w != 0 -> wake_put(id, w)	/* a sleeper: woken, no put */
	:: else -> skip
	fi;
wake_done:
	skip
}

/* atomic_waker_take(), then atomic_waker_target_wake() or atomic_waker_target_drop(), by waker @id */
inline do_take(id, w)
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
		:: w != 0 -> wake_put(id, w)	/* atomic_waker_target_wake() */
		:: w != 0 ->			/* atomic_waker_target_drop() */
			d_step {
				if
				:: fresh[id] -> released[w] = true
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
		:: w = me | SLP		/* wait_event: prepare_wait() */
		:: w = me		/* a hand-written loop: a task waker */
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
				(woken[me] || released[me] ||
				 (wakers_done == NWAKE && quiet == NREG))
			}
			d_step {
				quiet--;
				/* neither woken nor released: no news since */
				no_lost_wakeup = woken[me] || released[me] ||
						 !news[me];
				assert(no_lost_wakeup)
			}
		fi;
		if
		:: ISSLP(w) -> do_finish_wait(me, cur)
		:: else -> skip		/* a task waker stays registered */
		fi;
		d_step { t = 0; w = 0 }
#ifdef ROUNDS
	}
#else
	od;
#endif
	quiet++
}

proctype waker(byte id)
{
	byte w, i;
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
			:: w != 0 -> wake_put(id, w)
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
		:: id == 1 -> do_wake(id, w)
		:: else -> do_take(id, w)
		fi
#endif
#ifdef ROUNDS
	}
#else
	od;
#endif
	wakers_done++
}

init {
	byte i, w;

	atomic {
		/* registrant i gets _pid i, waker i gets _pid NREG + i */
		for (i : 1 .. NREG) {
			run registrant(i)
		}
		for (i : 1 .. NWAKE) {
			run waker(i)
		}
		i = 0
	}
	_nr_pr == 1;
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
	}
}
