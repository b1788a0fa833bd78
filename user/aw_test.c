// SPDX-License-Identifier: GPL-2.0
/*
 * aw_test.c - atomic_waker.c, compiled as is against shim/, tested in user
 * space: the API's semantic cases one by one, then multi-thread stress.
 *
 * Usage: aw_test [-q] [-s SCALE] [TEST...]   (no TEST: all of them)
 * SCALE multiplies the stress iteration counts (default 1; the sanitizer
 * builds use less).  The last line is "N passed, N failed"; the exit status
 * is 1 if any test failed.
 *
 * A lost wakeup is counted only when it is certain, never on a timeout
 * alone: the sleeper must have tested its condition false after registering,
 * every wake() of the round must have returned, and the sleeper must still
 * not have been woken.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_waker.h"

static int failures;		/* in the current test */
static bool quiet;
static long scale = 1;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed: ",		\
			__func__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static void note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("    ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- a callback waker that counts --------------------------------------- */

struct cb {
	int wakes;
	int gets;
	int puts;
	int refs;	/* gets - puts; never negative */
};

static void cb_wake(void *data)
{
	struct cb *c = data;

	__atomic_fetch_add(&c->wakes, 1, __ATOMIC_RELEASE);
}

static void cb_get(void *data)
{
	struct cb *c = data;

	__atomic_fetch_add(&c->gets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
}

static void cb_put(void *data)
{
	struct cb *c = data;

	__atomic_fetch_add(&c->puts, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_RELAXED) < 0) {
		__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "BUG: cb_put: reference underflow\n");
	}
}

static const struct aw_waker_ops cb_ops = {
	.wake = cb_wake, .get = cb_get, .put = cb_put,
};

static struct aw_waker cbw(struct cb *c)
{
	return aw_waker_callback(&cb_ops, c);
}

static int rd(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool slot_empty(struct atomic_waker *aw)
{
	return atomic_read(&aw->state) == AW_WAITING &&
	       !atomic_waker_is_registered(aw);
}

/* ---- semantic cases ------------------------------------------------------ */

static void t_register_wake(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 };

	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register");
	CHECK(atomic_waker_is_registered(&aw), "registered");
	CHECK(a.gets == 1 && a.wakes == 0, "gets %d wakes %d", a.gets, a.wakes);
	CHECK(atomic_waker_wake(&aw), "wake returns true");
	CHECK(a.wakes == 1 && a.puts == 1, "wakes %d puts %d", a.wakes, a.puts);
	CHECK(slot_empty(&aw), "slot emptied");
	CHECK(!atomic_waker_wake(&aw), "second wake finds nothing");
	CHECK(a.wakes == 1, "woken once, got %d", a.wakes);
}

static void t_wake_not_remembered(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 };

	CHECK(!atomic_waker_wake(&aw), "empty wake returns false");
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register");
	CHECK(a.wakes == 0, "an earlier wake is not remembered");
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 1 && a.puts == 1 && a.wakes == 0, "destroy drops");
}

static void t_take(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 };
	struct aw_waker w;

	CHECK(!atomic_waker_take(&aw, &w) && !w.ops, "take from empty");
	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_take(&aw, &w), "take");
	CHECK(w.ops == &cb_ops && w.data == &a, "took our waker");
	CHECK(a.wakes == 0 && a.puts == 0, "take neither wakes nor puts");
	CHECK(slot_empty(&aw), "slot emptied");
	aw_waker_wake(&w);
	CHECK(a.wakes == 1 && a.puts == 1 && !w.ops, "aw_waker_wake");
	aw_waker_wake(&w);
	CHECK(a.wakes == 1 && a.puts == 1, "waking an empty waker: no-op");

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_take(&aw, &w), "take again");
	aw_waker_drop(&w);
	CHECK(a.wakes == 1 && a.puts == 2 && !w.ops, "aw_waker_drop");
	aw_waker_drop(&w);
	CHECK(a.puts == 2, "dropping an empty waker: no-op");
}

static void t_replace(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 }, b = { 0 };

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_register(&aw, cbw(&b)) == 0, "register b");
	CHECK(a.puts == 1 && a.wakes == 0, "a released, not woken");
	CHECK(b.gets == 1 && b.puts == 0, "b held");
	CHECK(atomic_waker_wake(&aw), "wake");
	CHECK(b.wakes == 1 && b.puts == 1 && a.wakes == 0, "b woken, a not");
}

static void t_same_waker(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 };

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register again");
	CHECK(a.gets == 1 && a.puts == 0, "same waker: no new reference");
	atomic_waker_wake(&aw);
	CHECK(a.wakes == 1 && a.puts == 1, "woken once, released once");
}

static void t_ebusy(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 }, b = { 0 };

	atomic_waker_register(&aw, cbw(&a));
	/* Pretend another register() owns the slot, then also a wake(). */
	atomic_set(&aw.state, AW_REGISTERING);
	CHECK(atomic_waker_register(&aw, cbw(&b)) == -EBUSY, "-EBUSY");
	atomic_set(&aw.state, AW_REGISTERING | AW_WAKING);
	CHECK(atomic_waker_register(&aw, cbw(&b)) == -EBUSY,
	      "-EBUSY with a wake pending");
	CHECK(b.gets == 0 && b.wakes == 0, "b neither kept nor woken");
	CHECK(aw.waker.data == &a, "slot untouched");
	atomic_set(&aw.state, AW_WAITING);
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 1 && a.puts == 1, "a released");
}

static void t_register_during_wake(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { 0 }, b = { 0 };

	atomic_waker_register(&aw, cbw(&a));
	/* Pretend a take() owns the slot: register() must wake b itself. */
	atomic_set(&aw.state, AW_WAKING);
	CHECK(atomic_waker_register(&aw, cbw(&b)) == 0, "returns 0");
	CHECK(b.wakes == 1 && b.gets == 0, "b woken at once, not stored");
	CHECK(aw.waker.data == &a, "slot untouched");
	atomic_set(&aw.state, AW_WAITING);
	atomic_waker_destroy(&aw);
}

/*
 * A get hook that runs a wake() while its register() owns the slot.  The
 * slot is still empty there, so wake()'s empty-slot exit would return at
 * once: call the slow path, as a wake() that saw the old waker would.
 */
static struct atomic_waker *raced_aw;
static int raced_wake_ret = -1;

static void raced_get(void *data)
{
	cb_get(data);
	raced_wake_ret = atomic_waker_wake_slowpath(raced_aw);
}

static const struct aw_waker_ops raced_ops = {
	.wake = cb_wake, .get = raced_get, .put = cb_put,
};

static void t_wake_during_register(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb b = { 0 };

	raced_aw = &aw;
	CHECK(atomic_waker_register(&aw, aw_waker_callback(&raced_ops, &b)) ==
	      0, "register");
	CHECK(raced_wake_ret == 0, "the racing wake() leaves it to register");
	CHECK(b.wakes == 1, "register woke on wake()'s behalf: %d", b.wakes);
	CHECK(b.gets == 1 && b.puts == 1, "released: gets %d puts %d",
	      b.gets, b.puts);
	CHECK(slot_empty(&aw), "slot emptied, state WAITING: state %d", atomic_read(&aw.state));
}

static void t_empty_wake_writes_nothing(void)
{
	DEFINE_ATOMIC_WAKER(aw);

	/* Even with a register() owning the slot: nothing to take yet. */
	atomic_set(&aw.state, AW_REGISTERING);
	CHECK(!atomic_waker_wake(&aw), "empty wake returns false");
	CHECK(atomic_read(&aw.state) == AW_REGISTERING, "state untouched: %d",
	      atomic_read(&aw.state));
}

static void t_einval_enotsupp(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	static const struct aw_waker_ops nowake = { .get = cb_get };
	struct cb a = { 0 };
	int warns = shim_warnings;

	CHECK(atomic_waker_register(&aw, (struct aw_waker){ }) == -EINVAL,
	      "no ops");
	CHECK(atomic_waker_register(&aw, aw_waker_callback(&nowake, &a)) ==
	      -EINVAL, "no wake callback");
	CHECK(a.gets == 0 && slot_empty(&aw), "nothing stored");

	atomic_waker_register(&aw, cbw(&a));
	shim_in_nmi = true;
	shim_warn_quiet = true;
	CHECK(atomic_waker_register(&aw, cbw(&a)) == -EOPNOTSUPP, "NMI");
	CHECK(!atomic_waker_wake(&aw), "no wake from NMI");
	shim_in_nmi = false;
	shim_warn_quiet = false;
	CHECK(shim_warnings > warns, "NMI use warns");
	shim_warnings = warns;
	CHECK(a.wakes == 0 && atomic_waker_wake(&aw) && a.wakes == 1,
	      "still registered after the NMI attempts");
}

static void t_destroy(void)
{
	struct atomic_waker aw;
	struct cb a = { 0 };

	memset(&aw, 0x5a, sizeof(aw));
	atomic_waker_init(&aw);
	CHECK(slot_empty(&aw), "init empties");
	atomic_waker_destroy(&aw);
	atomic_waker_register(&aw, cbw(&a));
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 1 && a.puts == 1 && a.wakes == 0, "dropped, not woken");
	CHECK(slot_empty(&aw), "empty after destroy");
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0 &&
	      atomic_waker_wake(&aw) && a.wakes == 1, "usable again");
}

static void t_task_refs(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct task_struct t;

	shim_task_init(&t, "t_task_refs");
	shim_set_current(&t);
	atomic_waker_register(&aw, aw_waker_task(&t));
	CHECK(t.usage == 2, "pinned while registered: %d", t.usage);
	atomic_waker_register(&aw, aw_waker_task(&t));
	CHECK(t.usage == 2, "same task: no second reference");
	atomic_waker_destroy(&aw);
	CHECK(t.usage == 1, "destroy unpins: %d", t.usage);

	CHECK(atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE) == 0,
	      "prepare_wait");
	CHECK(t.__state == TASK_UNINTERRUPTIBLE && t.usage == 1 &&
	      !slot_empty(&aw), "sleeper registered unpinned: state %d usage %d",
	      t.__state, t.usage);
	atomic_waker_finish_wait(&aw);
	CHECK(t.__state == TASK_RUNNING && t.usage == 1 && slot_empty(&aw),
	      "finish_wait: running, slot empty");

	/* take() hands a sleeper out pinned, as a task waker. */
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	{
		struct aw_waker out, tw = aw_waker_task(&t);

		CHECK(atomic_waker_take(&aw, &out) && aw_waker_same(&out, &tw) &&
		      t.usage == 2, "take() pins a sleeper: usage %d", t.usage);
		aw_waker_drop(&out);
		CHECK(t.usage == 1, "dropped: usage %d", t.usage);
	}
	atomic_waker_finish_wait(&aw);
	CHECK(t.usage == 1 && slot_empty(&aw), "finish_wait after take()");

	t.sigpending = 1;
	CHECK(atomic_waker_prepare_wait(&aw, TASK_INTERRUPTIBLE) ==
	      -ERESTARTSYS, "signal pending");
	atomic_waker_finish_wait(&aw);
	CHECK(atomic_waker_wait_event_interruptible(&aw, false) ==
	      -ERESTARTSYS, "wait_event_interruptible sees the signal");
	CHECK(atomic_waker_wait_event_killable(&aw, true) == 0, "killable");
	t.sigpending = 0;
	CHECK(atomic_waker_wait_event_timeout(&aw, false, 5) == 0,
	      "timeout elapses");
	CHECK(atomic_waker_wait_event_timeout(&aw, true, 5) == 5,
	      "true at once: all jiffies left");
	CHECK(t.usage == 1 && slot_empty(&aw), "balanced: usage %d", t.usage);
	shim_set_current(NULL);
	shim_task_destroy(&t);
}

static void t_finish_wait_other(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb b = { 0 };

	atomic_waker_register(&aw, cbw(&b));
	atomic_waker_finish_wait(&aw);
	CHECK(b.wakes == 1 && b.puts == 1, "another's waker is woken");
}

static struct wait_queue_head t_wq;
static int work_ran;

static void work_fn(struct work_struct *w)
{
	(void)w;
	work_ran++;
}

static void t_other_kinds(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct work_struct work;
	unsigned long gen;

	init_waitqueue_head(&t_wq);
	gen = shim_wq_gen(&t_wq);
	atomic_waker_register(&aw, aw_waker_wait_queue(&t_wq));
	CHECK(atomic_waker_wake(&aw) && shim_wq_gen(&t_wq) == gen + 1,
	      "wait queue woken");
	INIT_WORK(&work, work_fn);
	atomic_waker_register(&aw, aw_waker_work(&work));
	CHECK(atomic_waker_wake(&aw) && work_ran == 1, "work queued");
	atomic_waker_register(&aw, aw_waker_work(&work));
	atomic_waker_destroy(&aw);
	CHECK(work_ran == 1, "destroy does not queue");
}

/* ---- stress 1: ping-pong, one sleeping consumer, N producers ---------- */

#define NPROD_MAX 8

static struct {
	struct atomic_waker aw;
	int req;		/* the round the consumer waits for */
	int done;		/* the last round a producer published */
	int claimed;		/* the last round a producer claimed */
	int woke[NPROD_MAX];	/* per producer: last round its wake returned */
	int stop;
	int nprod;
	int snap;		/* min(woke[]) when the consumer timed out */
} pp;

static int pp_min_woke(void)
{
	int i, m = rd(&pp.woke[0]);

	for (i = 1; i < pp.nprod; i++)
		if (rd(&pp.woke[i]) < m)
			m = rd(&pp.woke[i]);
	return m;
}

/* Under the consumer's task lock, at the moment its sleep times out. */
static void pp_timeout_hook(struct task_struct *t)
{
	(void)t;
	pp.snap = pp_min_woke();
}

static void *pp_producer(void *arg)
{
	int id = (int)(long)arg, last = 0, r;

	while (!rd(&pp.stop)) {
		r = rd(&pp.req);
		if (r == last) {
			sched_yield();
			continue;
		}
		last = r;
		if (__atomic_compare_exchange_n(&pp.claimed, &(int){ r - 1 },
						r, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			WRITE_ONCE(pp.done, r);	/* the condition */
		else
			while (READ_ONCE(pp.done) < r && !rd(&pp.stop))
				sched_yield();
		atomic_waker_wake(&pp.aw);	/* all N: wake during wake */
		__atomic_store_n(&pp.woke[id], r, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void t_stress_pingpong(void)
{
	int rounds = 20000 * scale, r, lost = 0, slow = 0, i;
	pthread_t th[NPROD_MAX];
	struct task_struct t;
	double t0 = now_s();
	long ret;

	memset(&pp, 0, sizeof(pp));
	atomic_waker_init(&pp.aw);
	pp.nprod = 3;
	shim_task_init(&t, "pp_consumer");
	shim_set_current(&t);
	shim_timeout_hook = pp_timeout_hook;
	for (i = 0; i < pp.nprod; i++)
		pthread_create(&th[i], NULL, pp_producer, (void *)(long)i);

	for (r = 1; r <= rounds && lost < 5; r++) {
		__atomic_store_n(&pp.req, r, __ATOMIC_RELEASE);
		for (;;) {
			int timeouts = t.timeouts;

			ret = atomic_waker_wait_event_timeout(&pp.aw,
					READ_ONCE(pp.done) >= r, 100);
			/* Timed out although every wake of round r was done? */
			if (t.timeouts != timeouts && pp.snap >= r) {
				lost++;
				fprintf(stderr, "  LOST WAKEUP in round %d\n",
					r);
				break;
			}
			if (ret > 0 && READ_ONCE(pp.done) >= r)
				break;
			if (++slow > 200)
				break;	/* 20 s without progress */
		}
		if (slow > 200)
			break;
	}
	__atomic_store_n(&pp.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < pp.nprod; i++)
		pthread_join(th[i], NULL);
	shim_timeout_hook = NULL;
	atomic_waker_destroy(&pp.aw);

	note("pingpong: %d rounds, %d producers, %.2fs: lost %d, woken %d, timeouts %d",
	     r - 1, pp.nprod, now_s() - t0, lost, t.wakeups, t.timeouts);
	CHECK(lost == 0, "%d lost wakeups", lost);
	CHECK(slow <= 200, "no progress for 20 s in round %d", r);
	CHECK(t.hangs == 0, "hangs %d", t.hangs);
	CHECK(t.usage == 1, "task refcount balanced: %d", t.usage);
	shim_set_current(NULL);
	shim_task_destroy(&t);
}

/* ---- stress 2: register racing wake, in lock step, callback wakers ---- */

#define NWAKERS 2

static struct {
	struct atomic_waker aw;
	int gen;		/* the generation all threads run */
	int arrived;		/* threads done with the generation */
	int flag;		/* the condition: the generation published */
	int waked;		/* wake()s of this generation that returned */
	int ready;		/* threads at the start line */
	int stop;
	struct cb cb[2];
	struct cb decoy;	/* fills the slot before each generation */
} rw;

/* Up to @max empty loops of random delay, to slide the racing windows. */
static void jitter(unsigned int *seed, unsigned int max)
{
	unsigned int n;

	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	for (n = *seed % max; n; n--)
		__asm__ __volatile__("" ::: "memory");
}

static void rw_wait_gen(int g)
{
	while (rd(&rw.gen) < g && !rd(&rw.stop))
		sched_yield();
}

/* All three threads leave this together, as far as the CPUs allow. */
static void rw_start_line(void)
{
	int spins = 0;

	__atomic_fetch_add(&rw.ready, 1, __ATOMIC_ACQ_REL);
	while (rd(&rw.ready) < NWAKERS + 1 && !rd(&rw.stop))
		if (++spins % 256 == 0)
			sched_yield();
}

static void rw_arrive(void)
{
	__atomic_fetch_add(&rw.arrived, 1, __ATOMIC_ACQ_REL);
}

/*
 * The stress wakers' get hook dawdles: register() calls it while it owns the
 * slot, so this widens the window in which a wake() finds REGISTERING.
 * The wake hook counts the wakes done by the registrant itself, in
 * register()'s raced or contended path.
 */
static __thread unsigned int rw_seed = 1;
static __thread bool rw_is_registrant;
static int rw_self_wakes;

static void rw_get(void *data)
{
	cb_get(data);
	jitter(&rw_seed, 64);
}

static void rw_wake(void *data)
{
	cb_wake(data);
	if (rw_is_registrant)
		__atomic_fetch_add(&rw_self_wakes, 1, __ATOMIC_RELAXED);
}

static const struct aw_waker_ops rw_ops = {
	.wake = rw_wake, .get = rw_get, .put = cb_put,
};

static void *rw_waker(void *arg)
{
	int id = (int)(long)arg, g;
	unsigned int seed = 0x9e3779b9u * (id + 1);
	struct aw_waker w;

	for (g = 1; !rd(&rw.stop); g++) {
		rw_wait_gen(g);
		if (rd(&rw.stop))
			break;
		rw_start_line();
		jitter(&seed, 1024);
		if (id == 1) {
			/*
			 * First a wake with nothing new to tell, as from an
			 * earlier event: a register() that finds it in flight
			 * must wake its own waker, for the flag comes later.
			 */
			if (atomic_waker_take(&rw.aw, &w))
				aw_waker_wake(&w);
			jitter(&seed, 256);
		}
		WRITE_ONCE(rw.flag, g);
		atomic_waker_wake(&rw.aw);
		__atomic_fetch_add(&rw.waked, 1, __ATOMIC_RELEASE);
		rw_arrive();
	}
	return NULL;
}

static void t_stress_register_wake(void)
{
	int gens = 20000 * scale, g, lost = 0, seen = 0, woken = 0, i;
	unsigned int seed = 12345;
	pthread_t th[NWAKERS];
	double t0 = now_s();

	memset(&rw, 0, sizeof(rw));
	atomic_waker_init(&rw.aw);
	rw_is_registrant = true;
	rw_self_wakes = 0;
	for (i = 0; i < NWAKERS; i++)
		pthread_create(&th[i], NULL, rw_waker, (void *)(long)i);

	for (g = 1; g <= gens && lost < 5; g++) {
		/* Alternate two wakers, and re-register the same one. */
		struct cb *c = &rw.cb[(g / 3) & 1];
		int before = rd(&c->wakes), ret;
		double deadline;

		/*
		 * Most generations start with the decoy in the slot, so that the
		 * wake()s take the slow path and can hit register() while it
		 * owns the slot: the raced path (E) and the contended one.
		 */
		if (g % 4)
			atomic_waker_register(&rw.aw, cbw(&rw.decoy));
		__atomic_store_n(&rw.waked, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.ready, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.gen, g, __ATOMIC_RELEASE);

		rw_start_line();
		jitter(&seed, 64);
		ret = atomic_waker_register(&rw.aw,
					    aw_waker_callback(&rw_ops, c));
		CHECK(ret == 0, "register returned %d", ret);
		if (READ_ONCE(rw.flag) >= g) {
			seen++;
		} else {
			/* Must be woken by the time every wake returned. */
			deadline = now_s() + 20;
			while (rd(&rw.waked) < NWAKERS && now_s() < deadline)
				sched_yield();
			if (rd(&c->wakes) == before) {
				lost++;
				fprintf(stderr, "  LOST WAKEUP in generation %d\n",
					g);
			} else {
				woken++;
			}
		}
		while (rd(&rw.arrived) < NWAKERS)
			sched_yield();
	}
	__atomic_store_n(&rw.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NWAKERS; i++)
		pthread_join(th[i], NULL);
	atomic_waker_destroy(&rw.aw);

	rw_is_registrant = false;
	note("register/wake: %d generations, %.2fs: flag seen %d, woken %d (by register itself %d), lost %d",
	     g - 1, now_s() - t0, seen, woken, rw_self_wakes, lost);
	CHECK(lost == 0, "%d lost wakeups", lost);
	for (i = 0; i < 2; i++)
		CHECK(rw.cb[i].gets == rw.cb[i].puts && rw.cb[i].refs == 0,
		      "waker %d: gets %d puts %d", i, rw.cb[i].gets,
		      rw.cb[i].puts);
	CHECK(rw.decoy.gets == rw.decoy.puts && rw.decoy.refs == 0,
	      "decoy: gets %d puts %d", rw.decoy.gets, rw.decoy.puts);
}

/* ---- stress 3: two registrants racing (-EBUSY), wakers, refcounts ----- */

static struct {
	struct atomic_waker aw;
	int stop;
	int ebusy, ok, bad;
	struct cb cb[2];
} cr;

static void *cr_registrant(void *arg)
{
	int id = (int)(long)arg, n, ret;

	for (n = 0; !rd(&cr.stop); n++) {
		ret = atomic_waker_register(&cr.aw, cbw(&cr.cb[id]));
		if (ret == -EBUSY)
			__atomic_fetch_add(&cr.ebusy, 1, __ATOMIC_RELAXED);
		else if (ret == 0)
			__atomic_fetch_add(&cr.ok, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&cr.bad, 1, __ATOMIC_RELAXED);
		if (n % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void *cr_waker(void *arg)
{
	int n;

	(void)arg;
	for (n = 0; !rd(&cr.stop); n++) {
		atomic_waker_wake(&cr.aw);
		if (n % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void t_stress_concurrent_register(void)
{
	pthread_t th[4];
	int i;

	memset(&cr, 0, sizeof(cr));
	atomic_waker_init(&cr.aw);
	pthread_create(&th[0], NULL, cr_registrant, (void *)0L);
	pthread_create(&th[1], NULL, cr_registrant, (void *)1L);
	pthread_create(&th[2], NULL, cr_waker, NULL);
	pthread_create(&th[3], NULL, cr_waker, NULL);
	usleep(300000 * scale);
	__atomic_store_n(&cr.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	atomic_waker_destroy(&cr.aw);

	note("concurrent register: ok %d, -EBUSY %d, other %d; wakes %d/%d",
	     cr.ok, cr.ebusy, cr.bad, cr.cb[0].wakes, cr.cb[1].wakes);
	CHECK(cr.bad == 0, "unexpected return values: %d", cr.bad);
	CHECK(slot_empty(&cr.aw), "state %d after destroy",
	      atomic_read(&cr.aw.state));
	for (i = 0; i < 2; i++)
		CHECK(cr.cb[i].gets == cr.cb[i].puts && cr.cb[i].refs == 0,
		      "waker %d: gets %d puts %d", i, cr.cb[i].gets,
		      cr.cb[i].puts);
}

/* ---- runner ---------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
#define T(n) { #n, t_##n }
	T(register_wake), T(wake_not_remembered), T(take), T(replace),
	T(same_waker), T(ebusy), T(register_during_wake),
	T(wake_during_register), T(empty_wake_writes_nothing),
	T(einval_enotsupp), T(destroy),
	T(task_refs), T(finish_wait_other), T(other_kinds),
	T(stress_pingpong), T(stress_register_wake),
	T(stress_concurrent_register),
#undef T
};

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, i, a, warns;
	size_t n;

	while ((a = getopt(argc, argv, "qs:")) != -1) {
		if (a == 'q')
			quiet = true;
		else if (a == 's')
			scale = strtol(optarg, NULL, 0);
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (n = 0; n < sizeof(tests) / sizeof(tests[0]); n++) {
		bool run = optind == argc;

		for (i = optind; i < argc; i++)
			run |= !strcmp(argv[i], tests[n].name);
		if (!run)
			continue;
		failures = 0;
		warns = shim_warnings;
		tests[n].fn();
		if (shim_warnings != warns) {
			failures++;
			fprintf(stderr, "  %s: %d warnings\n", tests[n].name,
				shim_warnings - warns);
		}
		printf("%s %s\n", failures ? "FAIL" : "ok  ", tests[n].name);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
