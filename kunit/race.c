// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker, suite atomic_waker_race: threads racing on
 * one atomic_waker, ported from the futures, tokio, spmc-waker, embassy
 * and maitake tests, and from the user-space stress tests that preceded
 * this file's user-space build.
 */

#include <linux/cpumask.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/wait_bit.h>

#include "aw_kunit.h"

struct aw_fws {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count c, next;
	int x;
	bool worker_woke;
	int unsynced, double_take, failed;	/* the test thread's counts */
};

static void aw_fws_worker(struct aw_race *r)
{
	struct aw_fws *f = container_of(r, struct aw_fws, r);

	WRITE_ONCE(f->x, 1);
	f->worker_woke = atomic_waker_wake(&f->aw);
}

/* One round of aw_test_failed_wake_synchronizes(); false: a side stalled. */
static bool aw_fws_round(struct aw_fws *f, int i)
{
	int c0 = atomic_read(&f->c.wakes);
	struct atomic_waker_target out;
	bool took, seen;

	WRITE_ONCE(f->x, 0);
	atomic_waker_register(&f->aw, aw_count_waker(&f->c));
	if (!aw_race_go(&f->r, i))
		return false;
	aw_jitter(AW_JITTER_MAIN);

	took = atomic_waker_take(&f->aw, &out);
	atomic_waker_target_drop(&out);
	atomic_waker_register(&f->aw, aw_count_waker(&f->next));
	seen = READ_ONCE(f->x);

	if (!aw_wait_step(&f->r.done, i))
		return false;
	f->unsynced += !seen && !f->worker_woke;
	/* The first target went to exactly one of the two sides. */
	f->double_take += took + atomic_read(&f->c.wakes) - c0 != 1;
	f->failed += !f->worker_woke;
	atomic_waker_destroy(&f->aw);
	return true;
}

/*
 * tokio failed_wake_synchronizes: the worker stores X and wakes while the
 * test thread takes the target; if the worker's wake() failed because that
 * take was in flight, the next register() must see X (header rule 2).
 */
static void aw_test_failed_wake_synchronizes(struct kunit *test)
{
	struct aw_fws *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, f);
	atomic_waker_init(&f->aw);
	aw_count_init(&f->c, &aw_count_ops);
	aw_count_init(&f->next, &aw_count_ops);
	aw_race_start(test, &f->r, AW_RACE_MAX, aw_fws_worker);

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		if (!aw_fws_round(f, i)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(f->r.stuck));
	KUNIT_EXPECT_EQ_MSG(test, f->unsynced, 0,
			    "a failed wake's store was not seen");
	KUNIT_EXPECT_EQ(test, f->double_take, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.gets), atomic_read(&f->c.puts));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->next.gets),
			atomic_read(&f->next.puts));
	kunit_info(test, "the worker's wake() returned false in %d of %d rounds\n",
		   f->failed, i - 1);
}

/*
 * Two notifiers, each waking one of three ways, a different one each round:
 * wake(); the caller-barrier form; take() and wake.
 */
#define AW_NOTIFIERS	2

struct aw_notify {
	atomic_t ids;		/* hands each notifier its number */
	struct atomic_waker aw;
	atomic_t num;
	atomic_t go;
	atomic_t done;
	bool stuck;
};

/* Bump the counter and wake, the way @how says. */
static void aw_notify_one(struct aw_notify *n, int how)
{
	struct atomic_waker_target out;

	switch (how) {
	case 0:
		atomic_inc(&n->num);
		atomic_waker_wake(&n->aw);
		break;
	case 1:
		/* The RMW is the full barrier (F) this form relies on. */
		atomic_inc_return(&n->num);
		aw_wake_if_registered(&n->aw);
		break;
	default:
		atomic_inc(&n->num);
		if (atomic_waker_take(&n->aw, &out))
			atomic_waker_target_wake(&out);
		break;
	}
}

static int aw_notifier(void *arg)
{
	struct aw_notify *n = arg;
	int i, id = atomic_inc_return(&n->ids) - 1;

	for (i = 1; i <= AW_RACE_MAX; i++) {
		if (!aw_wait_step(&n->go, i)) {
			WRITE_ONCE(n->stuck, !kthread_should_stop());
			break;
		}
		aw_notify_one(n, (id + i) % 3);
		atomic_inc(&n->done);
	}
	return 0;
}

static bool aw_notified(struct aw_notify *n)
{
	return atomic_read(&n->num) == AW_NOTIFIERS;
}

/*
 * tokio loom basic_notification: two notifiers each bump a counter and
 * wake, both each round (a wake during a wake); the consumer, registering
 * through atomic_waker_wait_event_timeout(), must see both bumps without a
 * timeout.
 */
static void aw_test_basic_notification(struct kunit *test)
{
	struct aw_notify *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, lost = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, n);
	atomic_waker_init(&n->aw);
	for (i = 0; i < AW_NOTIFIERS; i++)
		aw_kthread_start(test, aw_notifier, n, "notify");

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		atomic_set(&n->num, 0);
		aw_step(&n->go, i);
		if (!atomic_waker_wait_event_timeout(&n->aw, aw_notified(n),
						     AW_TIMEOUT)) {
			lost++;
			break;
		}
		/* Every notifier is done with this round before the next. */
		if (!aw_poll(atomic_read(&n->done) == i * AW_NOTIFIERS)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ_MSG(test, lost, 0, "lost wakeup in round %d", i);
	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(n->stuck));
	KUNIT_EXPECT_FALSE(test, atomic_waker_is_registered(&n->aw));
	kunit_info(test, "%d rounds\n", i - 1);
}

enum aw_start_state { AW_START_EMPTY, AW_START_OTHER, AW_START_SAME };

static const char * const aw_start_names[] = {
	[AW_START_EMPTY] = "empty",
	[AW_START_OTHER] = "other target registered",
	[AW_START_SAME] = "same target registered",
};

static const enum aw_start_state aw_start_states[] = {
	AW_START_EMPTY, AW_START_OTHER, AW_START_SAME,
};

static void aw_start_desc(const enum aw_start_state *s, char *desc)
{
	strscpy(desc, aw_start_names[*s], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(aw_start, aw_start_states, aw_start_desc);

struct aw_nmw {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count me, other;
	enum aw_start_state from;
	int flag;
	int missed, misplaced, refused;	/* the test thread's counts */
};

static void aw_nmw_worker(struct aw_race *r)
{
	struct aw_nmw *m = container_of(r, struct aw_nmw, r);

	WRITE_ONCE(m->flag, 1);
	atomic_waker_wake(&m->aw);
}

/*
 * Nor is the registration lost: the worker is done, the slot is quiet, and
 * it holds our target unless that was woken.  Nor is it kept once woken,
 * but for AW_START_SAME, where the worker may have woken the target
 * registered before the round and our register() then stored it again.
 */
static void aw_nmw_check_slot(struct aw_nmw *m, bool woken)
{
	struct atomic_waker_target me = aw_count_waker(&m->me), out;
	bool took = atomic_waker_take(&m->aw, &out);
	bool in_slot = took && atomic_waker_target_same(&out, &me);

	if (in_slot ? woken && m->from != AW_START_SAME : !woken)
		m->misplaced++;
	atomic_waker_target_drop(&out);
}

/* One round of aw_test_no_missed_wakeup(); false: a side stalled. */
static bool aw_nmw_round(struct aw_nmw *m, int i)
{
	int w0;
	bool seen, woken;

	WRITE_ONCE(m->flag, 0);
	if (m->from == AW_START_OTHER)
		atomic_waker_register(&m->aw, aw_count_waker(&m->other));
	else if (m->from == AW_START_SAME)
		atomic_waker_register(&m->aw, aw_count_waker(&m->me));
	w0 = atomic_read(&m->me.wakes);
	if (!aw_race_go(&m->r, i))
		return false;
	aw_jitter(AW_JITTER_MAIN);

	m->refused += atomic_waker_register(&m->aw,
					    aw_count_waker(&m->me)) != 0;
	seen = READ_ONCE(m->flag);

	if (!aw_wait_step(&m->r.done, i))
		return false;
	woken = atomic_read(&m->me.wakes) != w0;
	m->missed += !seen && !woken;
	aw_nmw_check_slot(m, woken);
	return true;
}

/*
 * spmc-waker no_missed_wakeup: the test thread registers and reads the flag
 * while the worker stores the flag and wakes.  From each starting state of
 * the slot, the registrant either sees the flag or is woken.
 */
static void aw_test_no_missed_wakeup(struct kunit *test)
{
	struct aw_nmw *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned long start = jiffies;
	int i, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->from = *(const enum aw_start_state *)test->param_value;
	atomic_waker_init(&m->aw);
	aw_count_init(&m->me, &aw_count_ops);
	aw_count_init(&m->other, &aw_count_ops);
	aw_race_start(test, &m->r, AW_RACE_MAX, aw_nmw_worker);

	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		if (!aw_nmw_round(m, i)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(m->r.stuck));
	KUNIT_EXPECT_EQ(test, m->refused, 0);
	KUNIT_EXPECT_EQ(test, m->missed, 0);
	KUNIT_EXPECT_EQ(test, m->misplaced, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->me.gets),
			atomic_read(&m->me.puts));
	KUNIT_EXPECT_EQ(test, atomic_read(&m->other.gets),
			atomic_read(&m->other.puts));
	kunit_info(test, "%d rounds\n", i - 1);
}

#define AW_SB_BATCH	256
#define AW_SB_MIN	50

/* One round of the store-buffering test, in memory of its own. */
struct aw_sb_round {
	struct atomic_waker aw;
	int flag;
	int seen;		/* the flag, as the registrant read it */
	atomic_t woken;
	struct atomic_waker_callback cb;	/* the registrant's target */
};

struct aw_sb {
	struct aw_race r;
	struct aw_sb_round rounds[AW_SB_BATCH];
};

static void aw_sb_wake(struct atomic_waker_callback *cb)
{
	atomic_inc(&container_of(cb, struct aw_sb_round, cb)->woken);
}

static const struct atomic_waker_callback_ops aw_sb_ops = {
	.wake	= aw_sb_wake,
};

static void aw_sb_worker(struct aw_race *r)
{
	struct aw_sb *sb = container_of(r, struct aw_sb, r);
	int j;

	for (j = 0; j < AW_SB_BATCH; j++) {
		WRITE_ONCE(sb->rounds[j].flag, 1);
		atomic_waker_wake(&sb->rounds[j].aw);
	}
}

/* One batch: false if a side stalled; else add up what it saw. */
static bool aw_sb_batch(struct aw_sb *sb, int b, int *needed, int *missed)
{
	struct aw_sb_round *rd;
	int j;

	for (j = 0; j < AW_SB_BATCH; j++) {
		atomic_waker_init(&sb->rounds[j].aw);
		sb->rounds[j].flag = 0;
		atomic_set(&sb->rounds[j].woken, 0);
	}
	if (!aw_race_go(&sb->r, b))
		return false;
	aw_jitter(AW_JITTER_MAIN);
	for (j = 0; j < AW_SB_BATCH; j++) {
		rd = &sb->rounds[j];
		atomic_waker_register(&rd->aw,
				      atomic_waker_target_callback(&rd->cb));
		rd->seen = READ_ONCE(rd->flag);
	}
	if (!aw_wait_step(&sb->r.done, b))
		return false;
	for (j = 0; j < AW_SB_BATCH; j++) {
		rd = &sb->rounds[j];
		*needed += !rd->seen;
		*missed += !rd->seen && !atomic_read(&rd->woken);
	}
	return true;
}

/*
 * Ordering rule (1) as a store-buffering litmus test, run the way litmus
 * tools run one: each round has its own memory, and the two sides run a
 * batch of rounds without meeting, so that round j of each runs at about
 * the same time.  Registrant: register, read the flag.  Waker: store the
 * flag, wake (through the empty-slot fast path when it comes first).  In
 * no round may the registrant both miss the flag and stay unwoken.
 */
static void aw_test_store_buffering(struct kunit *test)
{
	struct aw_sb *sb = kunit_kzalloc(test, sizeof(*sb), GFP_KERNEL);
	unsigned long start = jiffies;
	int b, j, missed = 0, needed = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, sb);
	for (j = 0; j < AW_SB_BATCH; j++)
		sb->rounds[j].cb.ops = &aw_sb_ops;
	aw_race_start(test, &sb->r, AW_RACE_MAX, aw_sb_worker);

	for (b = 1; aw_race_more(b, AW_SB_MIN, start); b++) {
		if (!aw_sb_batch(sb, b, &needed, &missed)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(sb->r.stuck));
	KUNIT_EXPECT_EQ_MSG(test, missed, 0, "lost wakeups");
	kunit_info(test, "%d rounds, %d where the registrant missed the flag and had to be woken\n",
		   (b - 1) * AW_SB_BATCH, needed);
}

struct aw_conflict {
	struct aw_race r;
	struct atomic_waker aw;
	struct aw_count a, b;
	int ret_b;
};

static void aw_conflict_worker(struct aw_race *r)
{
	struct aw_conflict *x = container_of(r, struct aw_conflict, r);

	x->ret_b = atomic_waker_register(&x->aw, aw_count_waker(&x->b));
}

/*
 * Is one round of two racing register() calls, and the wake() after them,
 * as the protocol says: each returned 0 or -EBUSY, not both -EBUSY; each
 * took one reference and put it back (a loser at once, a replaced winner
 * when the other replaced it); the wake() woke exactly one winner.
 */
static bool aw_conflict_ok(struct aw_conflict *x, int ret_a, bool woke)
{
	int wa = atomic_read(&x->a.wakes), wb = atomic_read(&x->b.wakes);

	return (!ret_a || ret_a == -EBUSY) &&
	       (!x->ret_b || x->ret_b == -EBUSY) && !(ret_a && x->ret_b) &&
	       atomic_read(&x->a.gets) == 1 && atomic_read(&x->a.puts) == 1 &&
	       atomic_read(&x->b.gets) == 1 && atomic_read(&x->b.puts) == 1 &&
	       woke && wa + wb == 1 && !(wa && ret_a) && !(wb && x->ret_b);
}

/*
 * spmc-waker conflicting_registrations: two register() calls at once.  The
 * one whose cmpxchg finds the other's target gets -EBUSY, warned once, and
 * its target is neither stored nor woken; the next wake() wakes exactly
 * one winner.
 */
static void aw_test_conflicting_registrations(struct kunit *test)
{
	struct aw_conflict *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned long start = jiffies, snap;
	int i, bad = 0, busy = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, x);
	atomic_waker_init(&x->aw);
	aw_count_init(&x->a, &aw_count_ops);
	aw_count_init(&x->b, &aw_count_ops);
	aw_race_start(test, &x->r, AW_RACE_MAX, aw_conflict_worker);

	snap = aw_misuse_begin(test, 1);
	for (i = 1; aw_race_more(i, AW_RACE_MIN, start); i++) {
		int ret_a;

		aw_count_reset(&x->a);
		aw_count_reset(&x->b);
		if (!aw_race_go(&x->r, i)) {
			stalls++;
			break;
		}
		aw_jitter(AW_JITTER_MAIN);
		ret_a = atomic_waker_register(&x->aw, aw_count_waker(&x->a));
		if (!aw_wait_step(&x->r.done, i)) {
			stalls++;
			break;
		}
		busy += (ret_a == -EBUSY) + (x->ret_b == -EBUSY);
		bad += !aw_conflict_ok(x, ret_a, atomic_waker_wake(&x->aw));
	}
	aw_misuse_end(test, snap, busy);

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(x->r.stuck));
	KUNIT_EXPECT_EQ(test, bad, 0);
	kunit_info(test, "%d of %d rounds had a loser (-EBUSY)\n", busy,
		   i - 1);
}

#define AW_BALANCE_OPS	100000

struct aw_balance {
	struct atomic_waker aw;
	struct aw_count c[3];
	bool stop;
	atomic_t woke;		/* wake() returned true */
	atomic_t taken_woken;	/* take() then atomic_waker_target_wake() */
	atomic_t taken_dropped;	/* take() then atomic_waker_target_drop() */
};

/*
 * Between two calls of a kthread.  On one CPU without preemption (UML) the
 * three threads take turns only where they yield, and the scheduler may
 * then always run the taker just before the waker, which never finds a
 * target: there each kthread sleeps, so that the test thread registers
 * between any two of their calls.
 */
static void aw_balance_pause(void)
{
	if (num_online_cpus() == 1)
		usleep_range(20, 50);
	else
		cond_resched();
}

static int aw_balance_waker(void *arg)
{
	struct aw_balance *s = arg;

	while (!READ_ONCE(s->stop) && !kthread_should_stop()) {
		if (atomic_waker_wake(&s->aw))
			atomic_inc(&s->woke);
		aw_balance_pause();
	}
	return 0;
}

static int aw_balance_taker(void *arg)
{
	struct aw_balance *s = arg;
	struct atomic_waker_target out;
	unsigned int n = 0;

	while (!READ_ONCE(s->stop) && !kthread_should_stop()) {
		if (!atomic_waker_take(&s->aw, &out)) {
			aw_balance_pause();
			continue;
		}
		if (n++ & 1) {
			atomic_waker_target_wake(&out);
			atomic_inc(&s->taken_woken);
		} else {
			atomic_waker_target_drop(&out);
			atomic_inc(&s->taken_dropped);
		}
		aw_balance_pause();
	}
	return 0;
}

/* Has a kthread not yet made each of its kinds of call, with time left? */
static bool aw_balance_starved(struct aw_balance *s, unsigned long end)
{
	return (!atomic_read(&s->woke) || !atomic_read(&s->taken_woken) ||
		!atomic_read(&s->taken_dropped)) && time_before(jiffies, end);
}

/* Register until both kthreads have had their share, even on one CPU. */
static int aw_balance_register(struct aw_balance *s, int *refused)
{
	unsigned long end = jiffies + AW_TIMEOUT;
	struct atomic_waker_target w;
	int i;

	for (i = 0; i < AW_BALANCE_OPS || aw_balance_starved(s, end); i++) {
		w = aw_count_waker(&s->c[(i / 2) % 3]);
		*refused += atomic_waker_register(&s->aw, w) != 0;
		cond_resched();	/* let the kthreads run on one CPU */
	}
	return i;
}

/*
 * get/put balance under contention: the test thread registers 100 000
 * times (replacing, or the same target again) while one kthread wakes and
 * another takes.  Every get is put; every wake is accounted for.
 */
static void aw_test_balance_concurrent(struct kunit *test)
{
	struct aw_balance *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int k, n, refused = 0, wakes = 0, gets = 0, puts = 0, by_wake;
	struct task_struct *tw, *tt;

	KUNIT_ASSERT_NOT_NULL(test, s);
	atomic_waker_init(&s->aw);
	for (k = 0; k < ARRAY_SIZE(s->c); k++)
		aw_count_init(&s->c[k], &aw_count_ops);
	tw = aw_kthread_start(test, aw_balance_waker, s, "waker");
	tt = aw_kthread_start(test, aw_balance_taker, s, "taker");
	n = aw_balance_register(s, &refused);
	WRITE_ONCE(s->stop, true);
	aw_kthread_stop(test, tw);
	aw_kthread_stop(test, tt);
	atomic_waker_destroy(&s->aw);

	for (k = 0; k < ARRAY_SIZE(s->c); k++) {
		wakes += atomic_read(&s->c[k].wakes);
		gets += atomic_read(&s->c[k].gets);
		puts += atomic_read(&s->c[k].puts);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->c[k].gets),
				atomic_read(&s->c[k].puts));
	}
	by_wake = atomic_read(&s->woke) + atomic_read(&s->taken_woken);
	KUNIT_EXPECT_EQ(test, refused, 0);
	/* register() never wakes: each wake is a wake()'s or a taker's. */
	KUNIT_EXPECT_EQ(test, wakes, by_wake);
	/* Each taken target had its own reference. */
	KUNIT_EXPECT_GE(test, puts, by_wake + atomic_read(&s->taken_dropped));
	KUNIT_EXPECT_GT(test, atomic_read(&s->woke), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->taken_woken), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->taken_dropped), 0);
	kunit_info(test, "%d registers, %d gets, %d wakes (%d by wake(), %d by take())\n",
		   n, gets, wakes, atomic_read(&s->woke),
		   atomic_read(&s->taken_woken));
}

#define AW_TEARDOWN_ITERS	50
#define AW_TEARDOWN_HOLD_US	(100 * USEC_PER_MSEC)

struct aw_td_obj {
	struct atomic_waker aw;
	int done;
};

struct aw_teardown {
	struct aw_td_obj *obj;
	int round;
	int seen;		/* the last round whose done the consumer saw */
	struct aw_count c;
	atomic_t wakes_returned;
	bool hardirq;
	int ahead, early, unwoken;	/* the test thread's counts */
};

/* Runs in hard IRQ on another CPU: an RCU read-side critical section. */
static void aw_teardown_producer(void *arg)
{
	struct aw_teardown *t = arg;
	struct aw_td_obj *obj = READ_ONCE(t->obj);
	unsigned int us;

	t->hardirq = in_hardirq();
	WRITE_ONCE(obj->done, 1);
	/*
	 * Hold the wake until the consumer has seen done, so that it is
	 * ahead of us: from here on it may go and free @obj.
	 */
	for (us = 0; us < AW_TEARDOWN_HOLD_US; us++) {
		if (READ_ONCE(t->seen) == t->round)
			break;
		udelay(1);
	}
	atomic_waker_wake(&obj->aw);
	atomic_inc(&t->wakes_returned);
}

/* One round of aw_test_teardown_rcu(); false: the producer never ran. */
static bool aw_teardown_round(struct aw_teardown *t, int i)
{
	struct aw_td_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	unsigned long end = jiffies + AW_TIMEOUT;
	int cpu;

	if (!obj)
		return false;
	atomic_waker_init(&obj->aw);
	atomic_waker_register(&obj->aw, aw_count_waker(&t->c));
	WRITE_ONCE(t->obj, obj);
	t->round = i;

	migrate_disable();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	smp_call_function_single(cpu, aw_teardown_producer, t, 0);
	while (!READ_ONCE(obj->done) && time_before(jiffies, end))
		cpu_relax();
	t->ahead += atomic_read(&t->wakes_returned) < i;
	WRITE_ONCE(t->seen, i);
	migrate_enable();

	if (!READ_ONCE(obj->done))
		return false;	/* leaked: the producer may still run */
	/* Only now may @obj go: the producer's wake() has returned. */
	synchronize_rcu();
	t->early += atomic_read(&t->wakes_returned) != i;
	t->unwoken += atomic_read(&t->c.wakes) != i;
	atomic_waker_destroy(&obj->aw);
	kfree(obj);
	return true;
}

/*
 * The header's teardown rule: a producer in hard IRQ stores the condition
 * and wakes; the consumer sees the condition without sleeping, and may free
 * the atomic_waker after synchronize_rcu(), by which time the producer's
 * wake() has returned.
 */
static void aw_test_teardown_rcu(struct kunit *test)
{
	struct aw_teardown *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int i, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	aw_count_init(&t->c, &aw_count_ops);

	for (i = 1; i <= AW_TEARDOWN_ITERS; i++) {
		if (!aw_teardown_round(t, i)) {
			stalls++;
			break;
		}
	}

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_TRUE(test, t->hardirq);
	KUNIT_EXPECT_EQ_MSG(test, t->early, 0, "freed while wake() ran");
	KUNIT_EXPECT_EQ(test, t->unwoken, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->c.gets), atomic_read(&t->c.puts));
	/* The case is only worth its name if the consumer got ahead. */
	KUNIT_EXPECT_GT(test, t->ahead, 0);
	kunit_info(test, "consumer ahead of wake() in %d of %d rounds\n",
		   t->ahead, AW_TEARDOWN_ITERS);
}

/*
 * 100 000 handoffs in all, or as many as AW_STRESS_BUDGET allows, and at
 * least AW_STRESS_MIN per pair: under TCG on a PREEMPT_RT debug kernel a
 * handoff can take a millisecond, and a case longer than the hung task
 * timeout (30 s on the test kernel) would trip it on the loading thread.
 */
#define AW_STRESS_HANDOFFS	100000
#define AW_STRESS_MIN		1000
#define AW_STRESS_BUDGET	(20 * HZ)

/* A ball passed between two kthreads; each sleeps until it holds it. */
struct aw_pingpong {
	struct atomic_waker aw[2];
	atomic_t turn;		/* handoffs so far; side (turn & 1) holds it */
	int handoffs;
	bool stop;		/* the budget is spent */
	atomic_t *timeouts;
};

struct aw_pp_side {
	struct aw_pingpong *pp;
	int me;
	struct completion done;
};

static bool aw_pp_ready(struct aw_pingpong *pp, int me)
{
	int t = atomic_read(&pp->turn);

	return t >= pp->handoffs || (t & 1) == me || READ_ONCE(pp->stop) ||
	       kthread_should_stop();
}

/*
 * Pass the ball, then wake the other side, each way in turn: wake(); the
 * caller-barrier form after a fully ordered RMW; take() and wake.
 */
static void aw_pp_pass(struct aw_pingpong *pp, int t, int other)
{
	struct atomic_waker_target out;

	switch ((t / 2) % 3) {
	case 0:
		atomic_inc(&pp->turn);
		atomic_waker_wake(&pp->aw[other]);
		break;
	case 1:
		atomic_inc_return(&pp->turn);
		aw_wake_if_registered(&pp->aw[other]);
		break;
	default:
		atomic_inc(&pp->turn);
		if (atomic_waker_take(&pp->aw[other], &out))
			atomic_waker_target_wake(&out);
		break;
	}
}

static int aw_pp_fn(void *arg)
{
	struct aw_pp_side *s = arg;
	struct aw_pingpong *pp = s->pp;
	int t;

	for (;;) {
		if (!atomic_waker_wait_event_timeout(&pp->aw[s->me],
						     aw_pp_ready(pp, s->me),
						     AW_TIMEOUT)) {
			atomic_inc(pp->timeouts);
			break;
		}
		t = atomic_read(&pp->turn);
		if (t >= pp->handoffs || READ_ONCE(pp->stop) ||
		    kthread_should_stop())
			break;
		aw_pp_pass(pp, t, !s->me);
	}
	complete(&s->done);
	return 0;
}

static const int aw_stress_threads[] = { 2, 4 };

static void aw_stress_desc(const int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%d threads", *n);
}

KUNIT_ARRAY_PARAM(aw_stress, aw_stress_threads, aw_stress_desc);

/* The budget is spent: stop every pair, and wake both sides of each. */
static void aw_pp_stop(struct aw_pingpong *pp, int npairs)
{
	int i;

	for (i = 0; i < npairs; i++) {
		WRITE_ONCE(pp[i].stop, true);
		atomic_waker_wake(&pp[i].aw[0]);
		atomic_waker_wake(&pp[i].aw[1]);
	}
}

/* Start the @nthreads sides, in pairs on @pp; return: how many finished. */
static int aw_pp_run(struct kunit *test, struct aw_pingpong *pp,
		     struct aw_pp_side *sides, int nthreads)
{
	unsigned long end = jiffies + AW_STRESS_BUDGET;
	int i, finished = 0;
	bool done;

	for (i = 0; i < nthreads; i++) {
		sides[i].pp = &pp[i / 2];
		sides[i].me = i & 1;
		init_completion(&sides[i].done);
		aw_kthread_start(test, aw_pp_fn, &sides[i], "pingpong");
	}
	/* In short waits: a long D-state sleep would trip the hung task check. */
	for (i = 0; i < nthreads; i++) {
		while (!(done = wait_for_completion_timeout(&sides[i].done,
							    HZ)) &&
		       time_before(jiffies, end))
			;
		if (!done) {
			aw_pp_stop(pp, nthreads / 2);
			done = wait_for_completion_timeout(&sides[i].done,
							   AW_TIMEOUT);
		}
		finished += done;
	}
	return finished;
}

/*
 * N kthreads in N/2 ping-pong pairs pass up to 100 000 handoffs in all,
 * each thread sleeping in atomic_waker_wait_event_timeout() for its turn:
 * a lost wakeup is a 5 s timeout, counted.
 */
static void aw_test_stress_pingpong(struct kunit *test)
{
	int nthreads = *(const int *)test->param_value, npairs = nthreads / 2;
	struct aw_pingpong *pp;
	struct aw_pp_side *sides;
	atomic_t *timeouts;
	int i, finished, handoffs = 0, short_pairs = 0;
	u64 t0;

	pp = kunit_kcalloc(test, npairs, sizeof(*pp), GFP_KERNEL);
	sides = kunit_kcalloc(test, nthreads, sizeof(*sides), GFP_KERNEL);
	timeouts = kunit_kzalloc(test, sizeof(*timeouts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	KUNIT_ASSERT_NOT_NULL(test, sides);
	KUNIT_ASSERT_NOT_NULL(test, timeouts);

	t0 = ktime_get_ns();
	for (i = 0; i < npairs; i++) {
		atomic_waker_init(&pp[i].aw[0]);
		atomic_waker_init(&pp[i].aw[1]);
		pp[i].handoffs = DIV_ROUND_UP(AW_STRESS_HANDOFFS, npairs);
		pp[i].timeouts = timeouts;
	}
	finished = aw_pp_run(test, pp, sides, nthreads);
	/* The kthreads are stopped by their actions, before pp is freed. */
	for (i = 0; i < npairs; i++) {
		handoffs += atomic_read(&pp[i].turn);
		short_pairs += atomic_read(&pp[i].turn) < AW_STRESS_MIN;
	}

	KUNIT_EXPECT_EQ(test, finished, nthreads);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(timeouts), 0, "lost wakeups");
	KUNIT_EXPECT_EQ(test, short_pairs, 0);
	kunit_info(test, "%d threads: %d of %d handoffs in %llu ms\n",
		   nthreads, handoffs, npairs * pp[0].handoffs,
		   div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
}

/*
 * Two wakers against one registrant, generation by generation: three
 * threads that meet twice a generation, so fewer rounds than AW_RACE_MIN
 * are enough (under TCG on two vCPUs a generation can take 10 ms).
 */
#define AW_RW_WAKERS	2
#define AW_RW_MIN	250

struct aw_rw;

/* A counted target whose get hook dawdles in register()'s window. */
struct aw_rw_target {
	struct aw_count c;
	struct aw_rw *rw;
};

struct aw_rw {
	struct atomic_waker aw;
	struct aw_rw_target t[2];
	struct aw_count decoy;	/* fills the slot before most generations */
	atomic_t ready;		/* wakers at the start line, in all */
	atomic_t go;		/* the generation the wakers run */
	atomic_t waked;		/* wake()s that returned, in all */
	int flag;		/* the condition: the generation published */
	atomic_t emptied;	/* the slot emptied inside a get: a retry */
	atomic_t ids;
	bool stuck;
	int seen, woken, lost;	/* the test thread's counts */
};

/*
 * register() calls get between its peek and its cmpxchg (A): dawdling
 * there widens the window in which a wake() empties the slot and (A) must
 * try again.  Counted when seen.
 */
static void aw_rw_get(struct atomic_waker_callback *cb)
{
	struct aw_rw_target *t = container_of(cb, struct aw_rw_target, c.cb);
	long before = atomic_long_read(&t->rw->aw.slot);

	aw_count_get(cb);
	aw_jitter(64);
	if (before && !atomic_long_read(&t->rw->aw.slot))
		atomic_inc(&t->rw->emptied);
}

static const struct atomic_waker_callback_ops aw_rw_ops = {
	.wake	= aw_count_wake,
	.get	= aw_rw_get,
	.put	= aw_count_put,
};

/*
 * Waker 1 first makes a wake with nothing new to tell, as from an earlier
 * event: it may empty the slot under a register() (which then stores its
 * target over 0), or wake the new target early, a spurious wakeup.
 */
static int aw_rw_waker(void *arg)
{
	struct aw_rw *rw = arg;
	struct atomic_waker_target out;
	int g, id = atomic_inc_return(&rw->ids) - 1;

	for (g = 1; g <= AW_RACE_MAX; g++) {
		aw_step_inc(&rw->ready);
		if (!aw_wait_step(&rw->go, g)) {
			WRITE_ONCE(rw->stuck, !kthread_should_stop());
			break;
		}
		aw_jitter(AW_JITTER_MAIN / 4);
		if (id == 1) {
			if (atomic_waker_take(&rw->aw, &out))
				atomic_waker_target_wake(&out);
			aw_jitter(AW_JITTER_WORKER);
		}
		WRITE_ONCE(rw->flag, g);
		atomic_waker_wake(&rw->aw);
		aw_step_inc(&rw->waked);
	}
	return 0;
}

/* Generation @g: false if a waker stalled; else a refused register. */
static bool aw_rw_generation(struct aw_rw *rw, int g, int *refused)
{
	/* Alternate two targets, and re-register the same one. */
	struct aw_rw_target *t = &rw->t[(g / 3) & 1];
	int before = atomic_read(&t->c.wakes);

	if (g % 4)
		atomic_waker_register(&rw->aw, aw_count_waker(&rw->decoy));
	if (!aw_wait_step(&rw->ready, AW_RW_WAKERS * g))
		return false;
	aw_step(&rw->go, g);
	aw_jitter(AW_JITTER_WORKER);
	/* The only registrant: never -EBUSY, whatever wake() does. */
	*refused += atomic_waker_register(&rw->aw, aw_count_waker(&t->c)) != 0;
	if (READ_ONCE(rw->flag) >= g) {
		rw->seen++;
	} else {
		/* It must be woken by the time every wake() returned. */
		if (!aw_wait_step(&rw->waked, AW_RW_WAKERS * g))
			return false;
		if (atomic_read(&t->c.wakes) == before)
			rw->lost++;
		else
			rw->woken++;
	}
	return aw_wait_step(&rw->waked, AW_RW_WAKERS * g);
}

/*
 * register() racing wake() in lock step: most generations start with a
 * decoy in the slot, so that the wake()s take the slow path and can empty
 * the slot between register()'s peek and its cmpxchg (the retry), and one
 * waker first wakes with nothing new.  register() must return 0, and a
 * registrant that did not see the flag must have been woken once every
 * wake() returned.
 */
static void aw_test_register_wake_retry(struct kunit *test)
{
	struct aw_rw *rw = kunit_kzalloc(test, sizeof(*rw), GFP_KERNEL);
	unsigned long start = jiffies;
	int g, i, refused = 0, stalls = 0;

	KUNIT_ASSERT_NOT_NULL(test, rw);
	atomic_waker_init(&rw->aw);
	for (i = 0; i < ARRAY_SIZE(rw->t); i++) {
		aw_count_init(&rw->t[i].c, &aw_rw_ops);
		rw->t[i].rw = rw;
	}
	aw_count_init(&rw->decoy, &aw_count_ops);
	for (i = 0; i < AW_RW_WAKERS; i++)
		aw_kthread_start(test, aw_rw_waker, rw, "rw");

	for (g = 1; aw_race_more(g, AW_RW_MIN, start); g++) {
		if (!aw_rw_generation(rw, g, &refused)) {
			stalls++;
			break;
		}
	}
	atomic_waker_destroy(&rw->aw);

	KUNIT_EXPECT_EQ(test, stalls, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(rw->stuck));
	KUNIT_EXPECT_EQ(test, refused, 0);
	KUNIT_EXPECT_EQ_MSG(test, rw->lost, 0, "lost wakeups");
	for (i = 0; i < ARRAY_SIZE(rw->t); i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&rw->t[i].c.gets),
				atomic_read(&rw->t[i].c.puts));
	KUNIT_EXPECT_EQ(test, atomic_read(&rw->decoy.gets),
			atomic_read(&rw->decoy.puts));
	kunit_info(test, "%d generations: flag seen %d, woken %d; slot emptied under a register() %d times\n",
		   g - 1, rw->seen, rw->woken, atomic_read(&rw->emptied));
}

static struct kunit_case aw_race_cases[] = {
	KUNIT_CASE(aw_test_failed_wake_synchronizes),
	KUNIT_CASE(aw_test_basic_notification),
	KUNIT_CASE_PARAM(aw_test_no_missed_wakeup, aw_start_gen_params),
	KUNIT_CASE(aw_test_conflicting_registrations),
	KUNIT_CASE(aw_test_store_buffering),
	KUNIT_CASE(aw_test_balance_concurrent),
	KUNIT_CASE(aw_test_teardown_rcu),
	KUNIT_CASE_PARAM_ATTR(aw_test_stress_pingpong, aw_stress_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE(aw_test_register_wake_retry),
	{}
};

static struct kunit_suite aw_race_suite = {
	.name = "atomic_waker_race",
	.test_cases = aw_race_cases,
};

kunit_test_suites(&aw_race_suite);
