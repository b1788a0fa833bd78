/*
 * atomic_waker.pml - the state machine of ../atomic_waker.c (with the
 * inline atomic_waker_wake() of ../atomic_waker.h), under sequential
 * consistency.  Every atomic_t access is a step of its own; so is every
 * access to the slot.  Steps are merged only where nobody else can tell:
 * ghost bookkeeping (refs[], owner, woken[]) rides on the step it
 * describes, and the owner's read-then-clear of the slot is one step (the
 * only other access to the slot is a peek, which reads the same value
 * either way).  Memory ordering is the business of litmus/.
 *
 * Processes: NREG registrants (waker ids 1..NREG), each running rounds of
 * the atomic_waker_wait_event() loop (register, test, sleep, finish_wait
 * or, as a hand-written loop may, not),
 * and NWAKE wakers, each publishing an event and waking, round after round.
 * Each process stops after any number of rounds, so one exhaustive run
 * covers every number of rounds (the state is finite: rounds are not
 * counted); -DROUNDS=n bounds them instead.  An event sets news[i] for
 * every registrant i; a registrant tests its condition by reading and
 * consuming its news[] in one step (its own bookkeeping).  Waker 1 calls
 * atomic_waker_wake() (a peek, and if the slot looks empty (F) and a
 * second peek); the others call atomic_waker_take() ((F), one peek) and
 * aw_waker_wake().  Register peeks at the slot first (aw_slot_holds()) and
 * is done if it holds its own waker.  When all are done, init runs
 * atomic_waker_destroy().
 *
 * Properties (assertions; run.sh names the one that fails):
 *   no_lost_wakeup  a registrant whose register() returned 0, whose test
 *                   then found no news, and which went to sleep, is woken
 *                   if news comes after that test -- unless another
 *                   registrant's register() replaced its waker (the
 *                   documented "a second sleeper replaces the first").
 *                   It sleeps until woken, replaced, or every waker has
 *                   returned and every other registrant sleeps or has
 *                   finished (one in flight may owe a wake on a waker's
 *                   behalf); then, if not woken, no news may have come.
 *   exclusive       an owner of ->state is the only one: (D) and (B)
 *                   never find another owner, and only the owner reads or
 *                   writes the slot (peeks aside)
 *   no_double_put   a waker's reference is never dropped twice
 *   balanced        at the end every get has its put, the slot is empty
 *                   and ->state is WAITING
 *   delegated_wake  the API's promise: a take() that finds a register()
 *                   owning the slot returns empty-handed, and that
 *                   register() wakes its waker before it returns.  (With
 *                   (A) fully ordered, no_lost_wakeup holds without it:
 *                   the registrant's test comes after such a wake's store;
 *                   see litmus/aw-register-vs-wake+no-raced-path.)
 *   and spin's own: no invalid end state (nobody stuck).
 *
 * Mutations (-DMUT_x) each weaken one step; run.sh expects each caught.
 */

#ifndef NREG
#define NREG	2
#endif
#ifndef NWAKE
#define NWAKE	2
#endif

#define WAITING		0
#define REGISTERING	1
#define WAKING		2
#define EBUSY		1

byte state = WAITING;		/* aw->state */
byte slot;			/* aw->waker: 0 empty, else a waker id */
bool news[NREG + 1];		/* the condition, per registrant */

/* ghosts */
byte owner;			/* _pid owning ->state, 0 if none */
byte refs[NREG + 1];		/* get - put, per waker */
bool woken[NREG + 1];		/* woken since its registrant armed */
bool replaced[NREG + 1];	/* dropped by another's register() */
byte wakers_done;
byte quiet;			/* registrants asleep or finished */
bool owed[NREG + 1];		/* a take() found its register() owning */
bool no_lost_wakeup = true, balanced = true, delegated_wake = true;

#define OWN	assert(owner == 0); owner = _pid	/* exclusive */
#define MINE	assert(owner == _pid)			/* exclusive */
#define PUT(w)	assert(refs[w] > 0); refs[w]--		/* no_double_put */

inline wake_waker(w)	/* aw_waker_wake(): wake, then put */
{
	d_step { woken[w] = true; PUT(w); w = 0 }
}

/* atomic_waker_register(aw, me); ret: 0 or EBUSY */
inline same_hook()
{
#ifdef SAME_WAKER_PROBE
	assert(false)	/* run.sh: the same-waker path is reachable */
#else
	skip
#endif
}

inline do_register(me, ret, old, st, w)
{
	/* aw_slot_holds(): a peek, unowned; arm woken[] */
#ifdef MUT_PEEK_ANY_WAKER
	d_step { woken[me] = false; same = (slot != 0) };
#else
	d_step { woken[me] = false; same = (slot == me) };
#endif
	if
	:: same -> same_hook(); ret = 0; goto registered
	:: else -> skip
	fi;
	/* (D) cmpxchg_acquire(WAITING -> REGISTERING) */
	d_step {
		st = state;
		if
		:: st == WAITING -> state = REGISTERING; OWN; owed[me] = false
		:: else -> skip
		fi
	}
	if
	:: st != WAITING ->		/* aw_register_contended() */
		if
		:: st & REGISTERING -> ret = EBUSY
		:: else ->
#ifndef MUT_CONTENDED_NO_WAKE
			woken[me] = true;	/* w->ops->wake(): no get/put */
#endif
			ret = 0
		fi
	:: else ->		/* aw_slot_take, aw_get, aw_slot_set */
		d_step { MINE; old = slot; slot = 0 };
		d_step { MINE; refs[me]++; slot = me };
#ifdef MUT_UNLOCK_PLAIN_STORE
		/* (A) a plain store: a WAKING set meanwhile is lost */
		d_step { state = WAITING; owner = 0 };
#else
		/* (A) cmpxchg(REGISTERING -> WAITING) */
		d_step {
			if
			:: state == REGISTERING -> state = WAITING; owner = 0;
				st = 0
			:: else -> st = 1
			fi
		}
		if
		:: st ->		/* aw_register_raced(), (E) */
#ifdef MUT_UNLOCK_BEFORE_TAKE
			d_step { state = WAITING; owner = 0 };
			d_step { MINE; w = slot; slot = 0 };
#else
			d_step { MINE; w = slot; slot = 0 };
			d_step { state = WAITING; owner = 0 };	/* xchg */
#endif
#ifdef MUT_RACED_NO_WAKE
			d_step { PUT(w); w = 0 }	/* dropped, not woken */
#else
			wake_waker(w)
#endif
		:: else -> skip
		fi;
#endif
		d_step {
			delegated_wake = !owed[me] || woken[me];
			assert(delegated_wake)
		};
		/* aw_waker_drop(&old) */
		if
		:: old != 0 ->
			d_step {
#ifndef MUT_NO_PUT_ON_REPLACE
				PUT(old);
#endif
				replaced[old] = true;
				old = 0
			}
		:: else -> skip
		fi;
		ret = 0
	fi;
registered:
	skip
}

/*
 * aw_take(): (B) fetch_or, take the slot, (C) xchg_release(WAITING); out: 0
 * or id.  (IRQs are off in the C code: no effect on the interleavings of
 * other CPUs, which is all there is here.)  At (C) the state must be
 * exactly WAKING, which is what makes the xchg an unlock.
 */
inline do_aw_take(out, st)
{
	/* (B) cmpxchg(WAITING -> WAKING), then, if it failed, fetch_or */
	d_step {
		st = state;
		if
		:: st == WAITING -> state = WAKING; OWN
#ifdef MUT_WAKE_NO_WAKING	/* an owned slot is not marked: */
		:: st & REGISTERING -> owed[owner] = true	/* still owed */
#endif
		:: else -> skip
		fi
	}
#ifndef MUT_WAKE_NO_WAKING
	if
	:: st != WAITING ->
		d_step {
			st = state;
			state = state | WAKING;
			if
			:: st == WAITING -> OWN
			:: st & REGISTERING -> owed[owner] = true  /* pid == id */
			:: else -> skip
			fi
		}
	:: else -> skip
	fi;
#endif
	if
	:: st == WAITING ->
		d_step { MINE; out = slot; slot = 0 };
#ifdef MUT_TAKE_UNLOCK_PLAIN
		d_step { state = WAITING; owner = 0 }	/* (C) a store */
#else
		d_step { assert(state == WAKING); state = WAITING; owner = 0 }	/* (C) xchg */
#endif
	:: else -> skip
	fi
}

/* atomic_waker_wake(): the empty-slot exit, then the slow path */
inline do_wake(st, w)
{
	if
	:: slot == 0 ->		/* peek; smp_mb() (F); peek again */
		if
		:: slot == 0 -> skip
		:: else -> do_aw_take(w, st)
		fi
	:: else -> do_aw_take(w, st)
	fi;
	if
	:: w != 0 -> wake_waker(w)
	:: else -> skip
	fi
}

/* atomic_waker_take() ((F), one peek) then aw_waker_wake() */
inline do_take_wake(st, w)
{
	if
	:: slot != 0 -> do_aw_take(w, st)
	:: else -> skip
	fi;
	if
	:: w != 0 -> wake_waker(w)
	:: else -> skip
	fi
}

/* atomic_waker_finish_wait() by registrant @me */
inline do_finish_wait(me, st, w)
{
	if
	:: slot != 0 ->		/* atomic_waker_is_registered() */
#ifdef MUT_FINISH_WAIT_NO_LOCK
		d_step { w = slot; slot = 0 }	/* takes it unowned */
#else
		do_aw_take(w, st)
#endif
	:: else -> skip
	fi;
	if
	:: w == me -> d_step { PUT(w); w = 0 }	/* aw_waker_drop() */
	:: w != 0 && w != me -> wake_waker(w)
	:: else -> skip
	fi
}

proctype registrant(byte me)
{
	byte ret, old, st, w;
	bool t, same;
#ifdef ROUNDS
	byte round;

	for (round : 1 .. ROUNDS) {
#else
	do
	:: break
	:: true ->
#endif
		do_register(me, ret, old, st, w);
		d_step { t = news[me]; news[me] = false }	/* test */
		if
		:: ret == EBUSY -> skip	/* prepare_wait: stays running */
		:: ret == 0 && t -> skip	/* news: no sleep */
		:: ret == 0 && !t ->
			/* schedule() */
			atomic {
				quiet++;
				(woken[me] || replaced[me] ||
				 (wakers_done == NWAKE && quiet == NREG))
			}
			d_step {
				quiet--;
				/* not woken: no news may have come since */
				no_lost_wakeup = woken[me] || replaced[me] ||
						 !news[me];
				assert(no_lost_wakeup)
			}
		fi;
		replaced[me] = false;
		/*
		 * The wait_event loop ends with finish_wait(); a hand-written
		 * one may leave its waker registered, and register it again
		 * next round: the same-waker skip.
		 */
		if
		:: do_finish_wait(me, st, w)
		:: skip
		fi;
		d_step { t = 0; ret = 0; old = 0; st = 0; w = 0; same = 0 }
#ifdef ROUNDS
	}
#else
	od;
#endif
	quiet++
}

inline publish()
{
	d_step {
		for (i : 1 .. NREG) {
			news[i] = true
		};
		i = 0
	}
}

proctype waker(byte id)
{
	byte st, w, i;
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
		:: slot == 0 -> publish()
		:: else -> publish(); do_aw_take(w, st);
			if
			:: w != 0 -> wake_waker(w)
			:: else -> skip
			fi
		fi;
#else
		publish();		/* WRITE_ONCE(condition) */
		if
		:: id == 1 -> do_wake(st, w)
		:: else -> do_take_wake(st, w)
		fi;
#endif
		d_step { st = 0; w = 0 }
#ifdef ROUNDS
	}
#else
	od;
#endif
	wakers_done++
}

init {
	byte i, st, w;

	atomic {
		/* registrant i gets _pid i: owner doubles as a waker id */
		for (i : 1 .. NREG) {
			run registrant(i)
		}
		for (i : 1 .. NWAKE) {
			run waker(i)
		}
	}
	_nr_pr == 1;
	/* atomic_waker_destroy(): take (one peek), drop */
	if
	:: slot != 0 -> do_aw_take(w, st)
	:: else -> skip
	fi;
	if
	:: w != 0 -> d_step { PUT(w) }
	:: else -> skip
	fi;
	d_step {
		balanced = (state == WAITING && slot == 0);
		for (i : 1 .. NREG) {
			balanced = balanced && refs[i] == 0
		};
		assert(balanced)
	}
}
