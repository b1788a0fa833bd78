// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker.c, compiled as is against shim/, tested in user space: the
 * API's semantic cases one by one, then multi-thread stress.
 *
 * Usage: aw_test [-q] [-s SCALE] [TEST...]   (no TEST: all of them)
 * SCALE multiplies the stress iteration counts (default 1; the sanitizer
 * builds use less).  The last line is "N passed, N failed"; the exit status
 * is 1 if any test failed.
 *
 * The races are forced deterministically, in two ways.  A callback waker's
 * get hook runs between register()'s peek at the slot and its cmpxchg (A):
 * a hook that registers another waker there is a racing register(), one
 * that wakes is a racing wake().  The shim's shim_after_read hook runs right
 * after any atomic_long_read(), which reaches the windows no callback does
 * (between finish_wait()'s or take()'s load and the RMW that follows).
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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "atomic_waker.h"

/* One word, as a struct rcuwait. */
static_assert(sizeof(struct atomic_waker) == sizeof(long));

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

static int rd(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* ---- a callback waker that counts --------------------------------------- */

/*
 * A caller-owned callback waker, as a driver embeds one.  @on_get, when set,
 * runs once from the next get(): register() calls get() between its peek
 * and its cmpxchg (A), so the hook is a call racing that register().
 */
struct cb {
	struct atomic_waker_callback cb;
	int wakes;
	int gets;
	int puts;
	int refs;	/* gets - puts; never negative */
	void (*on_get)(struct cb *c);
	struct atomic_waker *hook_aw;	/* what the hook works on */
	struct cb *hook_other;		/* the waker it registers */
	int hook_ret;			/* what its call returned */
};

static struct cb *to_cb(struct atomic_waker_callback *acb)
{
	return container_of(acb, struct cb, cb);
}

/* Every callback runs preemptible: wake() calls it after preempt_enable(). */
static void cb_wake(struct atomic_waker_callback *acb)
{
	WARN_ON_ONCE(shim_preempt_count);
	__atomic_fetch_add(&to_cb(acb)->wakes, 1, __ATOMIC_RELEASE);
}

static void cb_get(struct atomic_waker_callback *acb)
{
	struct cb *c = to_cb(acb);
	void (*hook)(struct cb *c) = c->on_get;

	WARN_ON_ONCE(shim_preempt_count);
	__atomic_fetch_add(&c->gets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
	if (hook) {
		c->on_get = NULL;
		hook(c);
	}
}

static void cb_put(struct atomic_waker_callback *acb)
{
	struct cb *c = to_cb(acb);

	WARN_ON_ONCE(shim_preempt_count);
	__atomic_fetch_add(&c->puts, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_RELAXED) < 0) {
		__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "BUG: %s: reference underflow\n", __func__);
	}
}

static const struct atomic_waker_callback_ops cb_ops = {
	.wake = cb_wake, .get = cb_get, .put = cb_put,
};

#define CB_INIT	{ .cb.ops = &cb_ops }

static struct atomic_waker_target cbw(struct cb *c)
{
	return atomic_waker_target_callback(&c->cb);
}

/* Read plainly, not with atomic_long_read(): no shim_after_read hook runs. */
static unsigned long slot_word(struct atomic_waker *aw)
{
	return __atomic_load_n(&aw->slot.counter, __ATOMIC_RELAXED);
}

static bool slot_empty(struct atomic_waker *aw)
{
	return !slot_word(aw);
}

static bool slot_holds(struct atomic_waker *aw, struct atomic_waker_target w)
{
	return slot_word(aw) == w.word;
}

/* ---- semantic cases ------------------------------------------------------ */

static void t_register_wake(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT;

	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register");
	CHECK(slot_holds(&aw, cbw(&a)), "the slot holds the waker itself");
	CHECK(atomic_waker_is_registered(&aw), "registered");
	CHECK(a.gets == 1 && a.wakes == 0, "gets %d wakes %d", a.gets, a.wakes);
	CHECK(atomic_waker_wake(&aw), "wake returns true");
	CHECK(a.wakes == 1 && a.puts == 1, "wakes %d puts %d", a.wakes, a.puts);
	CHECK(slot_empty(&aw), "slot emptied");
	CHECK(!atomic_waker_wake(&aw), "second wake finds nothing");
	CHECK(a.wakes == 1, "woken once, got %d", a.wakes);

	atomic_waker_register(&aw, cbw(&a));
	CHECK((atomic_waker_is_registered(&aw) && atomic_waker_wake(&aw)) && a.wakes == 2 && a.puts == 2,
	      "is_registered() && wake() wakes a full slot");
	CHECK(!(atomic_waker_is_registered(&aw) && atomic_waker_wake(&aw)), "and returns false on an empty one");
}

static void t_wake_not_remembered(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT;

	CHECK(!atomic_waker_wake(&aw), "empty wake returns false");
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register");
	CHECK(a.wakes == 0, "an earlier wake is not remembered");
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 1 && a.puts == 1 && a.wakes == 0, "destroy drops");
}

static void t_take(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT;
	struct atomic_waker_target w = { 1 }, aw_a = cbw(&a);

	CHECK(!atomic_waker_take(&aw, &w) && !w.word, "take from empty");
	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_take(&aw, &w), "take");
	CHECK(atomic_waker_target_same(&w, &aw_a), "took our waker");
	CHECK(a.wakes == 0 && a.puts == 0, "take neither wakes nor puts");
	CHECK(slot_empty(&aw), "slot emptied");
	atomic_waker_target_wake(&w);
	CHECK(a.wakes == 1 && a.puts == 1 && !w.word, "atomic_waker_target_wake");
	atomic_waker_target_wake(&w);
	CHECK(a.wakes == 1 && a.puts == 1, "waking an empty waker: no-op");

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_take(&aw, &w), "take again");
	atomic_waker_target_drop(&w);
	CHECK(a.wakes == 1 && a.puts == 2 && !w.word, "atomic_waker_target_drop");
	atomic_waker_target_drop(&w);
	CHECK(a.puts == 2, "dropping an empty waker: no-op");
}

static void t_replace(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT, b = CB_INIT;

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_register(&aw, cbw(&b)) == 0, "register b");
	CHECK(slot_holds(&aw, cbw(&b)), "b stored");
	CHECK(a.puts == 1 && a.wakes == 0, "a released, not woken");
	CHECK(b.gets == 1 && b.puts == 0, "b held");
	CHECK(atomic_waker_wake(&aw), "wake");
	CHECK(b.wakes == 1 && b.puts == 1 && a.wakes == 0, "b woken, a not");
}

static void t_same_waker(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT;

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0, "register again");
	CHECK(a.gets == 1 && a.puts == 0, "same waker: no new reference");
	atomic_waker_wake(&aw);
	CHECK(a.wakes == 1 && a.puts == 1, "woken once, released once");
	/* Once a wake() emptied the slot, the same waker is stored anew. */
	CHECK(atomic_waker_register(&aw, cbw(&a)) == 0 &&
	      slot_holds(&aw, cbw(&a)) && a.gets == 2,
	      "stored again after the wake: gets %d", a.gets);
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 2 && a.puts == 2 && a.wakes == 1, "balanced");
}

/* get hooks: a call that lands between register()'s peek and its (A) */
static void hook_register(struct cb *c)
{
	c->hook_ret = atomic_waker_register(c->hook_aw, cbw(c->hook_other));
}

static void hook_wake(struct cb *c)
{
	c->hook_ret = atomic_waker_wake(c->hook_aw);
}

static void hook_take(struct cb *c)
{
	struct atomic_waker_target w;

	c->hook_ret = atomic_waker_take(c->hook_aw, &w);
	atomic_waker_target_wake(&w);
}

/* A register() whose cmpxchg finds another register()'s waker: -EBUSY. */
static void t_ebusy(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT, b = CB_INIT, o = CB_INIT;
	int ret;

	/* Over an empty slot: the racing register() fills it first. */
	b.on_get = hook_register;
	b.hook_aw = &aw;
	b.hook_other = &o;
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == -EBUSY, "returned %d", ret);
	CHECK(b.hook_ret == 0, "the racing register() won: %d", b.hook_ret);
	CHECK(b.gets == 1 && b.puts == 1 && b.wakes == 0,
	      "b released, not woken: gets %d puts %d wakes %d",
	      b.gets, b.puts, b.wakes);
	CHECK(slot_holds(&aw, cbw(&o)), "the winner stays stored");
	CHECK(o.gets == 1 && o.puts == 0 && o.wakes == 0, "o held");
	atomic_waker_destroy(&aw);
	CHECK(o.puts == 1, "o released by destroy");

	/* Over a full slot: the racing register() replaces a first. */
	memset(&o, 0, sizeof(o));
	o.cb.ops = &cb_ops;
	atomic_waker_register(&aw, cbw(&a));
	b.on_get = hook_register;
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == -EBUSY, "over a: returned %d", ret);
	CHECK(a.gets == 1 && a.puts == 1 && a.wakes == 0,
	      "a replaced by the winner, once");
	CHECK(b.gets == 2 && b.puts == 2 && b.wakes == 0, "b released again");
	CHECK(slot_holds(&aw, cbw(&o)), "the winner stays stored");
	CHECK(atomic_waker_wake(&aw) && o.wakes == 1 && o.puts == 1,
	      "the winner is the one woken");
	CHECK(a.wakes == 0 && b.wakes == 0, "a and b never woken");

	/* Racing a register() of its own waker: that one is in, so 0. */
	memset(&b, 0, sizeof(b));
	b.cb.ops = &cb_ops;
	b.on_get = hook_register;
	b.hook_aw = &aw;
	b.hook_other = &b;
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == 0, "lost to its own waker: returned %d", ret);
	CHECK(b.hook_ret == 0 && slot_holds(&aw, cbw(&b)), "b stored");
	CHECK(b.gets == 2 && b.puts == 1, "the loser put its own reference");
	CHECK(atomic_waker_wake(&aw) && b.wakes == 1 && b.puts == 2,
	      "b woken once, balanced");
}

/*
 * A wake() between register()'s peek and its cmpxchg empties the slot: the
 * cmpxchg fails on 0, and register() tries again over the empty slot.
 */
static void t_wake_during_register(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT, b = CB_INIT;
	int ret;

	atomic_waker_register(&aw, cbw(&a));
	b.on_get = hook_wake;
	b.hook_aw = &aw;
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == 0, "retried over the emptied slot: returned %d", ret);
	CHECK(b.hook_ret == 1, "the racing wake() took a");
	CHECK(a.wakes == 1 && a.puts == 1 && a.gets == 1,
	      "a woken once, put once: wakes %d puts %d", a.wakes, a.puts);
	CHECK(slot_holds(&aw, cbw(&b)), "b stored");
	CHECK(b.gets == 1 && b.puts == 0 && b.wakes == 0, "b held, not woken");
	CHECK(atomic_waker_wake(&aw) && b.wakes == 1 && b.puts == 1,
	      "b woken by the next wake");
	CHECK(a.wakes == 1 && a.puts == 1, "a untouched since");

	/* The same with a take() that wakes what it took itself. */
	b.on_get = hook_take;
	atomic_waker_register(&aw, cbw(&a));
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == 0 && b.hook_ret == 1 && slot_holds(&aw, cbw(&b)),
	      "take: returned %d, took %d", ret, b.hook_ret);
	CHECK(a.wakes == 2 && a.puts == 2 && a.gets == 2, "a woken, put");

	/* A wake() over an empty slot: nothing to take, nothing to retry. */
	atomic_waker_destroy(&aw);
	b.on_get = hook_wake;
	ret = atomic_waker_register(&aw, cbw(&b));
	CHECK(ret == 0 && b.hook_ret == 0 && slot_holds(&aw, cbw(&b)),
	      "empty: returned %d, woke %d", ret, b.hook_ret);
	atomic_waker_destroy(&aw);
	CHECK(b.gets == b.puts && b.refs == 0, "b: gets %d puts %d",
	      b.gets, b.puts);
}

/*
 * A register() right after a load of the slot, through the shim's
 * shim_after_read hook: the window between a peek and the RMW that acts on
 * it, which no callback reaches (finish_wait(), prepare_wait(), take()).
 * Each load of @ar.aw's slot registers the next of @ar.w, up to @ar.n.
 */
#define AR_MAX	2

static struct {
	struct atomic_waker *aw;
	struct cb w[AR_MAX];
	int n;
	int fired;
	int ret[AR_MAX];
} ar;

static void ar_register(const atomic_long_t *v)
{
	if (v != &ar.aw->slot || ar.fired == ar.n)
		return;
	ar.ret[ar.fired] = atomic_waker_register(ar.aw, cbw(&ar.w[ar.fired]));
	ar.fired++;
}

static void ar_arm(struct atomic_waker *aw, int n)
{
	int i;

	memset(&ar, 0, sizeof(ar));
	for (i = 0; i < AR_MAX; i++)
		ar.w[i].cb.ops = &cb_ops;
	ar.aw = aw;
	ar.n = n;
	shim_after_read = ar_register;
}

static void ar_disarm(void)
{
	shim_after_read = NULL;
}

/* finish_wait() must not erase a waker registered after its peek. */
static void t_race_finish_wait(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct task_struct t;

	shim_task_init(&t, "t_race_finish_wait");
	shim_set_current(&t);
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ar_arm(&aw, 1);
	atomic_waker_finish_wait(&aw);
	ar_disarm();
	CHECK(ar.fired == 1 && ar.ret[0] == 0, "raced: %d, returned %d",
	      ar.fired, ar.ret[0]);
	CHECK(slot_holds(&aw, cbw(&ar.w[0])), "the racing waker stays");
	CHECK(ar.w[0].gets == 1 && ar.w[0].puts == 0 && ar.w[0].wakes == 0,
	      "held, not woken: puts %d wakes %d", ar.w[0].puts,
	      ar.w[0].wakes);
	CHECK(t.__state == TASK_RUNNING && t.usage == 1, "running, unpinned");
	atomic_waker_destroy(&aw);
	CHECK(ar.w[0].puts == 1, "released by destroy");
	shim_set_current(NULL);
	shim_task_destroy(&t);
}

/*
 * prepare_wait() whose register() meets another: -EBUSY inside, so the task
 * must stay runnable, for nothing in the slot would wake it.
 */
static void t_race_prepare_wait(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct task_struct t;
	int ret;

	shim_task_init(&t, "t_race_prepare_wait");
	shim_set_current(&t);
	ar_arm(&aw, 1);
	ret = atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	ar_disarm();
	CHECK(ret == 0 && ar.fired == 1 && ar.ret[0] == 0,
	      "returned %d, raced %d", ret, ar.fired);
	CHECK(slot_holds(&aw, cbw(&ar.w[0])), "the racing waker won");
	CHECK(t.__state == TASK_RUNNING, "left runnable: state %d", t.__state);
	atomic_waker_finish_wait(&aw);
	CHECK(slot_holds(&aw, cbw(&ar.w[0])) && ar.w[0].puts == 0,
	      "finish_wait() leaves it");
	atomic_waker_destroy(&aw);
	CHECK(t.usage == 1 && ar.w[0].gets == 1 && ar.w[0].puts == 1,
	      "balanced");
	shim_set_current(NULL);
	shim_task_destroy(&t);
}

/*
 * A register() after every load in wake() and take(): whatever replaced
 * what, exactly one waker is woken, the one replaced before the take is
 * released unwoken, and every reference is put once.
 */
static void race_take_check(struct atomic_waker *aw, struct cb *a, bool took)
{
	int woken = a->wakes, i;

	CHECK(took && ar.fired >= 1, "took %d, raced %d", took, ar.fired);
	CHECK(slot_empty(aw), "empty after destroy");
	CHECK(a->wakes == 0 && a->puts == 1, "a replaced, not woken");
	for (i = 0; i < ar.fired; i++) {
		woken += ar.w[i].wakes;
		CHECK(ar.w[i].gets == ar.w[i].puts && ar.w[i].refs == 0,
		      "racing waker %d: gets %d puts %d", i, ar.w[i].gets,
		      ar.w[i].puts);
	}
	CHECK(woken == 1, "%d woken", woken);
}

static void t_race_take(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT;
	struct atomic_waker_target w;
	bool took;

	atomic_waker_register(&aw, cbw(&a));
	ar_arm(&aw, AR_MAX);
	took = atomic_waker_wake(&aw);
	ar_disarm();
	CHECK(slot_empty(&aw), "wake: slot emptied");
	atomic_waker_destroy(&aw);
	race_take_check(&aw, &a, took);

	memset(&a, 0, sizeof(a));
	a.cb.ops = &cb_ops;
	atomic_waker_register(&aw, cbw(&a));
	ar_arm(&aw, AR_MAX);
	took = atomic_waker_take(&aw, &w);
	ar_disarm();
	CHECK(slot_empty(&aw), "take: slot emptied");
	atomic_waker_target_wake(&w);
	atomic_waker_destroy(&aw);
	race_take_check(&aw, &a, took);
}

/*
 * A wake callback that registers again ("poll me again"): wake() calls it
 * once the slot is empty, so the new register() just stores the waker, with
 * no recursion and no second wake.
 */
static void rereg_wake(struct atomic_waker_callback *acb)
{
	struct cb *c = to_cb(acb);

	cb_wake(acb);
	c->hook_ret = atomic_waker_register(c->hook_aw, cbw(c));
}

static const struct atomic_waker_callback_ops rereg_ops = {
	.wake = rereg_wake, .get = cb_get, .put = cb_put,
};

static void t_wake_reregisters(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = { .cb.ops = &rereg_ops, .hook_aw = &aw };

	atomic_waker_register(&aw, cbw(&a));
	CHECK(atomic_waker_wake(&aw), "wake");
	CHECK(a.wakes == 1 && a.hook_ret == 0, "woken once: %d, register %d",
	      a.wakes, a.hook_ret);
	CHECK(slot_holds(&aw, cbw(&a)), "registered again");
	CHECK(a.gets == 2 && a.puts == 1, "one reference per registration");
	a.cb.ops = &cb_ops;
	atomic_waker_destroy(&aw);
	CHECK(a.gets == 2 && a.puts == 2 && a.wakes == 1, "balanced");
}

/*
 * A wake() with nothing registered writes nothing: it works on a read-only
 * atomic_waker (a store or an RMW would fault), so it does not take the
 * cache line from a registrant.
 */
static void t_empty_wake_writes_nothing(void)
{
	long pagesz = sysconf(_SC_PAGESIZE);
	struct atomic_waker *aw;
	struct atomic_waker_target w;

	aw = mmap(NULL, pagesz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(aw != MAP_FAILED, "mmap");
	if (aw == MAP_FAILED)
		return;
	atomic_waker_init(aw);
	CHECK(mprotect(aw, pagesz, PROT_READ) == 0, "mprotect");
	CHECK(!atomic_waker_wake(aw), "empty wake returns false");
	CHECK(!(atomic_waker_is_registered(aw) && atomic_waker_wake(aw)), "the is_registered() test too");
	CHECK(!atomic_waker_take(aw, &w) && !w.word, "take from empty");
	CHECK(!atomic_waker_is_registered(aw), "still empty");
	munmap(aw, pagesz);
}

static void t_einval(void)
{
	static const struct atomic_waker_callback_ops nowake = {
		.get = cb_get, .put = cb_put,
	};
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT, n = { .cb.ops = &nowake }, z = { 0 };
	struct task_struct t;
	struct atomic_waker_target bad[] = {
		{ 0 },					/* no waker */
		atomic_waker_target_task(NULL),
		atomic_waker_target_wait_queue(NULL),
		atomic_waker_target_work(NULL),
		atomic_waker_target_callback(NULL),
		cbw(&n),				/* no wake callback */
		cbw(&z),				/* no ops at all */
		/* a sleeper: only the sleep helpers make one */
		{ (unsigned long)&t | ATOMIC_WAKER_KIND_SLEEPER },
	};
	size_t i;

	shim_task_init(&t, "t_einval");
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(atomic_waker_register(&aw, bad[i]) == -EINVAL,
		      "bad waker %zu (word %#lx)", i, bad[i].word);
	CHECK(slot_empty(&aw) && n.gets == 0 && t.usage == 1,
	      "nothing stored, no reference taken");

	/* A bad waker leaves the registered one alone. */
	atomic_waker_register(&aw, cbw(&a));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(atomic_waker_register(&aw, bad[i]) == -EINVAL,
		      "over a: bad waker %zu", i);
	CHECK(slot_holds(&aw, cbw(&a)) && a.puts == 0 && a.wakes == 0,
	      "a still registered");
	atomic_waker_destroy(&aw);
	shim_task_destroy(&t);
}

static void t_enotsupp(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb a = CB_INIT, b = CB_INIT;
	struct atomic_waker_target w;
	int warns = shim_warnings;

	atomic_waker_register(&aw, cbw(&a));
	shim_in_nmi = true;
	shim_warn_quiet = true;
	CHECK(atomic_waker_register(&aw, cbw(&b)) == -EOPNOTSUPP, "NMI");
	CHECK(!atomic_waker_wake(&aw), "no wake from NMI");
	CHECK(!atomic_waker_take(&aw, &w) && !w.word, "no take from NMI");
	shim_in_nmi = false;
	shim_warn_quiet = false;
	CHECK(shim_warnings > warns, "NMI use warns");
	shim_warnings = warns;
	CHECK(b.gets == 0 && a.wakes == 0 && a.puts == 0 &&
	      slot_holds(&aw, cbw(&a)), "a still registered");
	CHECK(atomic_waker_wake(&aw) && a.wakes == 1, "and woken after");
}

static void t_destroy(void)
{
	struct atomic_waker aw;
	struct cb a = CB_INIT;

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

static struct atomic_waker_target sleeper(struct task_struct *t)
{
	return (struct atomic_waker_target){ (unsigned long)t | ATOMIC_WAKER_KIND_SLEEPER };
}

static void t_task_refs(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct task_struct t;
	int offs;

	shim_task_init(&t, "t_task_refs");
	shim_set_current(&t);
	atomic_waker_register(&aw, atomic_waker_target_task(&t));
	CHECK(t.usage == 2, "pinned while registered: %d", t.usage);
	atomic_waker_register(&aw, atomic_waker_target_task(&t));
	CHECK(t.usage == 2, "same task: no second reference");
	atomic_waker_destroy(&aw);
	CHECK(t.usage == 1, "destroy unpins: %d", t.usage);

	/* A pinned task is woken, then unpinned, with preemption on. */
	atomic_waker_register(&aw, atomic_waker_target_task(&t));
	offs = t.wakes_preempt_off;
	CHECK(atomic_waker_wake(&aw) && t.usage == 1 &&
	      t.wakes_preempt_off == offs, "task woken preemptible, unpinned");

	CHECK(atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE) == 0,
	      "prepare_wait");
	CHECK(t.__state == TASK_UNINTERRUPTIBLE && t.usage == 1 &&
	      slot_holds(&aw, sleeper(&t)),
	      "sleeper registered unpinned: state %d usage %d",
	      t.__state, t.usage);
	atomic_waker_finish_wait(&aw);
	CHECK(t.__state == TASK_RUNNING && t.usage == 1 && slot_empty(&aw),
	      "finish_wait: running, slot empty");

	/* wake() wakes a sleeper before preemption (the RCU section) ends. */
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	offs = t.wakes_preempt_off;
	CHECK(atomic_waker_wake(&aw) && t.__state == TASK_RUNNING &&
	      t.wakes_preempt_off == offs + 1 && t.usage == 1,
	      "sleeper woken with preemption off: %d", t.wakes_preempt_off);
	atomic_waker_finish_wait(&aw);
	CHECK(slot_empty(&aw), "finish_wait after the wake");

	/* take() hands a sleeper out pinned, as a task waker. */
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	{
		struct atomic_waker_target out, tw = atomic_waker_target_task(&t);

		CHECK(atomic_waker_take(&aw, &out) && atomic_waker_target_same(&out, &tw) &&
		      t.usage == 2, "take() pins a sleeper: usage %d", t.usage);
		atomic_waker_target_drop(&out);
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

/* A waker that replaced the sleeper stays registered after finish_wait(). */
static void t_finish_wait_replaced(void)
{
	DEFINE_ATOMIC_WAKER(aw);
	struct cb b = CB_INIT;
	struct task_struct t;

	shim_task_init(&t, "t_finish_wait_replaced");
	shim_set_current(&t);
	atomic_waker_prepare_wait(&aw, TASK_UNINTERRUPTIBLE);
	CHECK(atomic_waker_register(&aw, cbw(&b)) == 0, "b replaces current");
	CHECK(t.usage == 1 && t.wakeups == 0, "the sleeper: no put, no wake");
	atomic_waker_finish_wait(&aw);
	CHECK(t.__state == TASK_RUNNING, "running");
	CHECK(slot_holds(&aw, cbw(&b)), "b still registered");
	CHECK(b.gets == 1 && b.puts == 0 && b.wakes == 0,
	      "b neither woken nor released: wakes %d puts %d",
	      b.wakes, b.puts);
	atomic_waker_finish_wait(&aw);	/* without prepare_wait: no-op */
	CHECK(slot_holds(&aw, cbw(&b)), "b still registered");
	CHECK(atomic_waker_wake(&aw) && b.wakes == 1 && b.puts == 1,
	      "b woken by the next wake");
	shim_set_current(NULL);
	shim_task_destroy(&t);
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
	struct atomic_waker_target wq_w = atomic_waker_target_wait_queue(&t_wq);
	struct atomic_waker_target wq_as_work = atomic_waker_target_work((void *)&t_wq);
	unsigned long gen;

	CHECK(!atomic_waker_target_same(&wq_w, &wq_as_work), "the kind is in the word");
	/* shim's wake_up_all() warns with preemption off, as under RT. */
	init_waitqueue_head(&t_wq);
	gen = shim_wq_gen(&t_wq);
	atomic_waker_register(&aw, atomic_waker_target_wait_queue(&t_wq));
	CHECK(atomic_waker_wake(&aw) && shim_wq_gen(&t_wq) == gen + 1,
	      "wait queue woken");
	INIT_WORK(&work, work_fn);
	atomic_waker_register(&aw, atomic_waker_target_work(&work));
	CHECK(atomic_waker_wake(&aw) && work_ran == 1, "work queued");
	atomic_waker_register(&aw, atomic_waker_target_work(&work));
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
							      READ_ONCE(pp.done) >= r,
							      100);
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
	int emptied;		/* slot emptied inside a get(): a retry */
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
		barrier();
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
 * The stress wakers' get hook dawdles: register() calls it between its peek
 * and its cmpxchg (A), so this widens the window in which a wake() empties
 * the slot under it and (A) must try again.  Counted when seen.
 */
static __thread unsigned int rw_seed = 1;

static void rw_get(struct atomic_waker_callback *acb)
{
	long before = atomic_long_read(&rw.aw.slot);

	cb_get(acb);
	jitter(&rw_seed, 64);
	if (before && !atomic_long_read(&rw.aw.slot))
		__atomic_fetch_add(&rw.emptied, 1, __ATOMIC_RELAXED);
}

static const struct atomic_waker_callback_ops rw_ops = {
	.wake = cb_wake, .get = rw_get, .put = cb_put,
};

static void *rw_waker(void *arg)
{
	int id = (int)(long)arg, g;
	unsigned int seed = 0x9e3779b9u * (id + 1);
	struct atomic_waker_target w;

	for (g = 1; !rd(&rw.stop); g++) {
		rw_wait_gen(g);
		if (rd(&rw.stop))
			break;
		rw_start_line();
		jitter(&seed, 1024);
		if (id == 1) {
			/*
			 * First a wake with nothing new to tell, as from an
			 * earlier event: it may empty the slot under a
			 * register() (which then stores its waker over 0), or
			 * wake the new waker early, a spurious wakeup.
			 */
			if (atomic_waker_take(&rw.aw, &w))
				atomic_waker_target_wake(&w);
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
	rw.cb[0].cb.ops = &rw_ops;
	rw.cb[1].cb.ops = &rw_ops;
	rw.decoy.cb.ops = &cb_ops;
	for (i = 0; i < NWAKERS; i++)
		pthread_create(&th[i], NULL, rw_waker, (void *)(long)i);

	for (g = 1; g <= gens && lost < 5; g++) {
		/* Alternate two wakers, and re-register the same one. */
		struct cb *c = &rw.cb[(g / 3) & 1];
		int before = rd(&c->wakes), ret;
		double deadline;

		/*
		 * Most generations start with the decoy in the slot, so that the
		 * wake()s take the slow path and can empty the slot between
		 * register()'s peek and its cmpxchg.
		 */
		if (g % 4)
			atomic_waker_register(&rw.aw, cbw(&rw.decoy));
		__atomic_store_n(&rw.waked, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.ready, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&rw.gen, g, __ATOMIC_RELEASE);

		rw_start_line();
		jitter(&seed, 64);
		/* The only registrant: never -EBUSY, whatever wake() does. */
		ret = atomic_waker_register(&rw.aw, cbw(c));
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

	note("register/wake: %d generations, %.2fs: flag seen %d, woken %d, lost %d",
	     g - 1, now_s() - t0, seen, woken, lost);
	note("register/wake: slot emptied under a register() %d times",
	     rw.emptied);
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
	cr.cb[0].cb.ops = &cb_ops;
	cr.cb[1].cb.ops = &cb_ops;
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
	CHECK(slot_empty(&cr.aw), "slot %#lx after destroy",
	      atomic_long_read(&cr.aw.slot));
	for (i = 0; i < 2; i++)
		CHECK(cr.cb[i].gets == cr.cb[i].puts && cr.cb[i].refs == 0,
		      "waker %d: gets %d puts %d", i, cr.cb[i].gets,
		      cr.cb[i].puts);
}

/* ---- stress 4: finish_wait() racing a register() that replaces it ----- */

static struct {
	struct atomic_waker aw;
	int stop;
	int waits;	/* prepare/finish_wait pairs */
	int stale;	/* current still in the slot after finish_wait() */
	int replaced;	/* a register() that found the sleeper there */
	int ebusy;
	struct cb cb;
	struct task_struct sleeper;
} fw;

static void *fw_sleeper(void *arg)
{
	struct atomic_waker_target me = sleeper(&fw.sleeper);

	(void)arg;
	shim_set_current(&fw.sleeper);
	while (!rd(&fw.stop)) {
		atomic_waker_prepare_wait(&fw.aw, TASK_UNINTERRUPTIBLE);
		atomic_waker_finish_wait(&fw.aw);
		/* Nothing may reach the task through the slot after this. */
		if (slot_holds(&fw.aw, me))
			fw.stale++;
		fw.waits++;
	}
	shim_set_current(NULL);
	return NULL;
}

/* Registers over the sleeper, wakes now and then: a second consumer. */
static void *fw_registrant(void *arg)
{
	struct atomic_waker_target me = sleeper(&fw.sleeper);
	int n, ret;

	(void)arg;
	for (n = 0; !rd(&fw.stop); n++) {
		bool over = slot_holds(&fw.aw, me);

		ret = atomic_waker_register(&fw.aw, cbw(&fw.cb));
		if (ret == -EBUSY)
			fw.ebusy++;
		else if (over)
			fw.replaced++;
		if (n % 16 == 0)
			atomic_waker_wake(&fw.aw);
	}
	return NULL;
}

static void t_stress_finish_wait_replace(void)
{
	pthread_t th[2];

	memset(&fw, 0, sizeof(fw));
	atomic_waker_init(&fw.aw);
	fw.cb.cb.ops = &cb_ops;
	shim_task_init(&fw.sleeper, "fw_sleeper");
	pthread_create(&th[0], NULL, fw_sleeper, NULL);
	pthread_create(&th[1], NULL, fw_registrant, NULL);
	usleep(300000 * scale);
	__atomic_store_n(&fw.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	atomic_waker_destroy(&fw.aw);

	note("finish_wait/replace: %d waits, %d registers over the sleeper, -EBUSY %d, wakes %d",
	     fw.waits, fw.replaced, fw.ebusy, fw.cb.wakes);
	CHECK(fw.stale == 0, "current left in the slot %d times", fw.stale);
	CHECK(fw.cb.gets == fw.cb.puts && fw.cb.refs == 0,
	      "a replacing waker lost: gets %d puts %d",
	      fw.cb.gets, fw.cb.puts);
	CHECK(fw.sleeper.usage == 1, "sleeper usage %d", fw.sleeper.usage);
	shim_task_destroy(&fw.sleeper);
}

/* ---- runner ---------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
#define T(n) { #n, t_##n }
	T(register_wake), T(wake_not_remembered), T(take), T(replace),
	T(same_waker), T(ebusy), T(wake_during_register),
	T(race_finish_wait), T(race_prepare_wait), T(race_take),
	T(wake_reregisters), T(empty_wake_writes_nothing),
	T(einval), T(enotsupp), T(destroy),
	T(task_refs), T(finish_wait_replaced), T(other_kinds),
	T(stress_pingpong), T(stress_register_wake),
	T(stress_concurrent_register), T(stress_finish_wait_replace),
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
	for (n = 0; n < ARRAY_SIZE(tests); n++) {
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
