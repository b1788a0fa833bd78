// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker_torture: hand a condition from producers to consumers, over
 * and over, through every kind of target and from every wake context, and
 * count what goes wrong.  Modelled on kernel/locking/locktorture.c.
 *
 * Each consumer kthread owns one atomic_waker.  Round after round it picks a
 * target kind from @target, requests a round and waits until it is
 * published, bounded by @timeout_ms:
 *
 *   task      atomic_waker_target_task(current), pinned: set the task state,
 *             register, test, schedule_timeout()
 *   wq        a struct atomic_waker_wait_queue: wait_event_timeout() on its
 *             head, whose condition registers the queue before each test
 *   work      a work item whose function completes a completion that the
 *             consumer waits on
 *   callback  a callback whose @wake completes a completion and whose @get
 *             and @put count its references
 *   sleeper   atomic_waker_wait_event_timeout()
 *
 * Every producer kthread serves every consumer: one producer claims the
 * round and publishes it, and all of them call atomic_waker_wake() (so wakes
 * race with wakes and with the consumer's register), each from a context
 * drawn from @wake_ctx: the kthread itself, a hard-IRQ hrtimer, a softirq
 * hrtimer, a work item, the kthread with IRQs off, or the kthread under a
 * raw spinlock.
 *
 * A wait that times out although every producer's wake() of the round had
 * returned half a timeout before is a lost wakeup.  At the end, with the
 * producers stopped, each consumer destroys its atomic_waker and checks that
 * its task's reference count is back where it started and that the
 * callback's gets and puts balance.  With @busted=1 the consumer tests its
 * condition before it registers, the textbook lost wakeup, which this test
 * must catch for every kind of target.
 *
 * The module runs for @duration seconds, or until @handoffs rounds were
 * handed off, from its init function, prints a progress line every
 * @stat_interval seconds and a summary, and fails to load if anything went
 * wrong, so that insmod reports the failure.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/torture.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"

MODULE_DESCRIPTION("Torture test for atomic_waker");
MODULE_LICENSE("GPL");

torture_param(int, nproducers, 2,
	      "Number of producer kthreads (publish, wake)");
torture_param(int, nconsumers, 2,
	      "Number of consumer kthreads, one atomic_waker each");
torture_param(int, duration, 10, "Seconds to run");
torture_param(long, handoffs, 0,
	      "Stop after this many handoffs, or duration if sooner (0=off)");
torture_param(int, target, 0x1f,
	      "Target kinds: 1 task, 2 wait queue, 4 work item, 8 callback, 16 sleeper");
torture_param(int, wake_ctx, 0x3f,
	      "Wake contexts: 1 kthread, 2 hard IRQ, 4 softirq, 8 work item, 16 IRQs off, 32 raw spinlock");
torture_param(int, stutter, 5,
	      "Jiffies of each producer pause, about as many between (0=off)");
torture_param(int, stutter_gap, 0,
	      "Jiffies between producer pauses (0=as long as a pause)");
torture_param(int, stat_interval, 60,
	      "Seconds between progress lines (0=end only)");
torture_param(int, timeout_ms, 2000, "Bound on every consumer wait");
torture_param(bool, busted, false,
	      "Register after testing the condition (must fail)");
torture_param(int, verbose, 1, "Enable verbose debugging printk()s");

static char *torture_type = "atomic_waker";	/* for TOROUT_STRING() */

enum awt_kind {
	AWT_TASK, AWT_WAIT_QUEUE, AWT_WORK, AWT_CALLBACK, AWT_SLEEPER,
	AWT_NKIND
};

static const char * const awt_kind_name[AWT_NKIND] = {
	"task", "wq", "work", "callback", "sleeper",
};

enum awt_ctx {
	AWT_KTHREAD, AWT_HARDIRQ, AWT_SOFTIRQ, AWT_WORKITEM, AWT_IRQSOFF,
	AWT_RAWLOCK, AWT_NCTX
};

static const char * const awt_ctx_name[AWT_NCTX] = {
	"kthread", "hardirq", "softirq", "work", "irqsoff", "rawlock",
};

/* A request: the round, with the kind of target it waits on in 3 bits. */
#define AWT_KIND_BITS		3
#define AWT_REQ(r, kind)	((unsigned long)(r) << AWT_KIND_BITS | (kind))
#define AWT_REQ_ROUND(req)	((int)((req) >> AWT_KIND_BITS))
#define AWT_REQ_KIND(req)	((req) & (BIT(AWT_KIND_BITS) - 1))
static_assert(BIT(AWT_KIND_BITS) >= AWT_NKIND);

struct awt_consumer {
	struct atomic_waker aw;
	struct task_struct *task;
	int id;
	unsigned long req;		/* the round requested, and its kind */
	int done;			/* the round published: the condition */
	atomic_t claimed;		/* the round a producer claimed */
	int *woke;			/* per producer: last round woken */
	unsigned long *woke_at;		/* per producer: jiffies then */
	u8 *woke_ctx;			/* per producer: from which context */
	int ncheck;			/* condition tests in this wait */
	int nfree;			/* how many of them precede any sleep */
	int usage0;			/* task usage before the first round */
	struct torture_random_state trs;
	/* the targets, but for the task itself */
	struct atomic_waker_wait_queue wq;
	struct work_struct work;
	struct completion work_done;	/* completed by the work function */
	struct atomic_waker_callback cb;
	struct completion cb_done;	/* completed by the callback's @wake */
	atomic_t cb_refs;		/* the callback's gets minus puts */
	/* statistics */
	atomic_long_t handoffs[AWT_NKIND], lost[AWT_NKIND];
	atomic_long_t timeouts[AWT_NKIND];
	atomic_long_t spurious, regerr, work_runs, cb_wakes, cb_gets;
	bool imbalance;
};

struct awt_producer {
	int id;
	struct task_struct *task;
	unsigned long *last;		/* per consumer: last request served */
	struct hrtimer hard, soft;
	struct work_struct work;
	raw_spinlock_t lock;		/* the raw spinlock context's */
	struct completion fired;
	struct awt_consumer *c;		/* what the armed context wakes */
	int round;
	bool claim;
	enum awt_ctx ctx;
	/* wake() calls, by the kind of the round served and by context */
	atomic_long_t wakes[AWT_NKIND][AWT_NCTX];
	atomic_long_t woke[AWT_NCTX];	/* those that woke a target */
	struct torture_random_state trs;
};

static struct awt_consumer *awt_consumers;
static struct awt_producer *awt_producers;
static u8 awt_kinds[AWT_NKIND];		/* the kinds @target enables */
static int awt_nkinds;
static u8 awt_ctxs[AWT_NCTX];		/* the contexts @wake_ctx enables */
static int awt_nctxs;
static atomic_t awt_producers_gone;
static atomic_t awt_consumers_checked;
static atomic_long_t awt_handoffs;	/* all consumers' */
static DECLARE_COMPLETION(awt_enough);	/* @handoffs reached */

/* ---- the targets' wake functions ------------------------------------ */

static struct awt_consumer *awt_cb_consumer(struct atomic_waker_callback *cb)
{
	return container_of(cb, struct awt_consumer, cb);
}

/*
 * complete() takes a raw spinlock, so any wake context may call it, and its
 * lock orders the producer's stores before the woken consumer's loads, as
 * rule 3 of atomic_waker.h asks of a callback.
 */
static void awt_cb_wake(struct atomic_waker_callback *cb)
{
	struct awt_consumer *c = awt_cb_consumer(cb);

	atomic_long_inc(&c->cb_wakes);
	complete(&c->cb_done);
}

static void awt_cb_get(struct atomic_waker_callback *cb)
{
	struct awt_consumer *c = awt_cb_consumer(cb);

	atomic_inc(&c->cb_refs);
	atomic_long_inc(&c->cb_gets);
}

/* A put without its get drives the count negative: caught right here. */
static void awt_cb_put(struct atomic_waker_callback *cb)
{
	struct awt_consumer *c = awt_cb_consumer(cb);

	/* Relaxed: a count; the teardown reads it after the producers stop. */
	if (atomic_dec_return_relaxed(&c->cb_refs) < 0)
		WRITE_ONCE(c->imbalance, true);
}

static const struct atomic_waker_callback_ops awt_cb_ops = {
	.wake = awt_cb_wake,
	.get = awt_cb_get,
	.put = awt_cb_put,
};

static void awt_work_target_fn(struct work_struct *w)
{
	struct awt_consumer *c = container_of(w, struct awt_consumer, work);

	atomic_long_inc(&c->work_runs);
	complete(&c->work_done);
}

/* ---- producers ------------------------------------------------------- */

/* Publish the round if ours to publish, then wake: in the chosen context. */
static void awt_fire(struct awt_producer *p)
{
	struct awt_consumer *c = p->c;

	if (p->claim)
		WRITE_ONCE(c->done, p->round);
	if (atomic_waker_wake(&c->aw))
		atomic_long_inc(&p->woke[p->ctx]);
	complete(&p->fired);
}

static enum hrtimer_restart awt_hard_fn(struct hrtimer *t)
{
	awt_fire(container_of(t, struct awt_producer, hard));
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart awt_soft_fn(struct hrtimer *t)
{
	awt_fire(container_of(t, struct awt_producer, soft));
	return HRTIMER_NORESTART;
}

static void awt_work_fn(struct work_struct *w)
{
	awt_fire(container_of(w, struct awt_producer, work));
}

static void awt_wake_from(struct awt_producer *p, enum awt_ctx ctx)
{
	/* 0-20 us, so that the wake lands anywhere in the consumer's path */
	ktime_t delay = ns_to_ktime(torture_random(&p->trs) % 20000);
	unsigned long flags;

	p->ctx = ctx;
	reinit_completion(&p->fired);
	switch (ctx) {
	case AWT_HARDIRQ:
		hrtimer_start(&p->hard, delay, HRTIMER_MODE_REL_HARD);
		break;
	case AWT_SOFTIRQ:
		hrtimer_start(&p->soft, delay, HRTIMER_MODE_REL_SOFT);
		break;
	case AWT_WORKITEM:
		queue_work(system_wq, &p->work);
		break;
	case AWT_IRQSOFF:
		local_irq_save(flags);
		awt_fire(p);
		local_irq_restore(flags);
		break;
	case AWT_RAWLOCK:
		raw_spin_lock(&p->lock);
		awt_fire(p);
		raw_spin_unlock(&p->lock);
		break;
	default:
		awt_fire(p);
		break;
	}
	wait_for_completion(&p->fired);
}

/* Serve consumer @c's request: claim and publish it, or wait for that. */
static void awt_serve(struct awt_producer *p, struct awt_consumer *c,
		      unsigned long req)
{
	enum awt_ctx ctx = awt_ctxs[torture_random(&p->trs) % awt_nctxs];
	int r = AWT_REQ_ROUND(req);

	p->c = c;
	p->round = r;
	/*
	 * Relaxed: it only elects the one producer that publishes round r.
	 * The round's order comes from the request, read with an acquire.
	 */
	p->claim = atomic_cmpxchg_relaxed(&c->claimed, r - 1, r) == r - 1;
	while (!p->claim && READ_ONCE(c->done) < r && !torture_must_stop())
		cond_resched();
	awt_wake_from(p, ctx);
	atomic_long_inc(&p->wakes[AWT_REQ_KIND(req)][ctx]);
	/* Every wake of round r is done once all producers wrote r here. */
	WRITE_ONCE(c->woke_at[p->id], jiffies);
	WRITE_ONCE(c->woke_ctx[p->id], ctx);
	smp_store_release(&c->woke[p->id], r); /* pairs with awt_lost() */
}

static int awt_producer_fn(void *arg)
{
	struct awt_producer *p = arg;
	unsigned long req;
	bool idle;
	int i;

	VERBOSE_TOROUT_STRING("awt_producer task started");
	do {
		idle = true;
		for (i = 0; i < nconsumers; i++) {
			/* pairs with the release in awt_round() */
			req = smp_load_acquire(&awt_consumers[i].req);
			if (req == p->last[i])
				continue;
			p->last[i] = req;
			idle = false;
			awt_serve(p, &awt_consumers[i], req);
		}
		if (idle)
			cond_resched();
		stutter_wait("awt_producer");
	} while (!torture_must_stop());
	torture_kthread_stopping("awt_producer");
	return 0;
}

/* ---- consumers: one wait per kind of target --------------------------- */

/* The condition; a false test after the ones before any sleep is spurious. */
static bool awt_cond(struct awt_consumer *c, int r)
{
	bool ret = READ_ONCE(c->done) >= r;

	if (++c->ncheck > c->nfree && !ret)
		atomic_long_inc(&c->spurious);
	return ret;
}

static void awt_register(struct awt_consumer *c, struct atomic_waker_target t)
{
	if (atomic_waker_register(&c->aw, t))
		atomic_long_inc(&c->regerr);
}

/* The target of @kind; a task target is current, the consumer. */
static struct atomic_waker_target awt_target(struct awt_consumer *c,
					     enum awt_kind kind)
{
	switch (kind) {
	case AWT_WAIT_QUEUE:
		return atomic_waker_target_wait_queue(&c->wq);
	case AWT_WORK:
		return atomic_waker_target_work(&c->work);
	case AWT_CALLBACK:
		return atomic_waker_target_callback(&c->cb);
	default:
		return atomic_waker_target_task(current);
	}
}

/* What the work item and the callback complete. */
static struct completion *awt_kick(struct awt_consumer *c, enum awt_kind kind)
{
	return kind == AWT_WORK ? &c->work_done : &c->cb_done;
}

/*
 * Forget the completions that wakes of targets registered before now left
 * behind.  Done before registering, it eats none that this wait is owed.
 */
static void awt_drain(struct completion *x)
{
	while (try_wait_for_completion(x))
		;
}

/*
 * Each wait returns as wait_event_timeout() does: 0 if the condition was
 * false when the time ran out, 1 if it was true then, else the jiffies left.
 */

/* task: what atomic_waker_prepare_wait() does, with a pinned target. */
static long awt_wait_task(struct awt_consumer *c, int r, long tmo)
{
	long left = tmo;
	bool ok;

	c->nfree = 1;
	for (;;) {
		/*
		 * A full barrier, before the register: pairs with the wake's
		 * try_to_wake_up(), as in atomic_waker_prepare_wait().
		 */
		set_current_state(TASK_UNINTERRUPTIBLE);
		awt_register(c, atomic_waker_target_task(current));
		ok = awt_cond(c, r);
		if (ok || !left)
			break;
		left = schedule_timeout(left);
	}
	__set_current_state(TASK_RUNNING);
	return ok ? max(left, 1L) : 0;
}

/*
 * wq: register the queue before each test of the condition, not once per
 * round: a wake() of an earlier round still under way may take the target
 * and wake the queue just before this round's wake() finds the slot empty.
 */
static bool awt_wq_cond(struct awt_consumer *c, int r)
{
	awt_register(c, atomic_waker_target_wait_queue(&c->wq));
	return awt_cond(c, r);
}

static long awt_wait_wq(struct awt_consumer *c, int r, long tmo)
{
	c->nfree = 2;	/* wait_event_timeout() tests once before queueing */
	return wait_event_timeout(c->wq.head, awt_wq_cond(c, r), tmo);
}

/* work, callback: register, test, wait for what the target completes. */
static long awt_wait_completion(struct awt_consumer *c, int r,
				enum awt_kind kind, long tmo)
{
	struct completion *x = awt_kick(c, kind);
	long left = tmo;
	bool ok;

	awt_drain(x);
	c->nfree = 1;
	for (;;) {
		awt_register(c, awt_target(c, kind));
		ok = awt_cond(c, r);
		if (ok || !left)
			break;
		left = wait_for_completion_timeout(x, left);
	}
	return ok ? max(left, 1L) : 0;
}

static long awt_wait(struct awt_consumer *c, int r, enum awt_kind kind,
		     long tmo)
{
	c->ncheck = 0;
	switch (kind) {
	case AWT_TASK:
		return awt_wait_task(c, r, tmo);
	case AWT_WAIT_QUEUE:
		return awt_wait_wq(c, r, tmo);
	case AWT_SLEEPER:
		c->nfree = 1;
		return atomic_waker_wait_event_timeout(&c->aw, awt_cond(c, r),
						       tmo);
	default:
		return awt_wait_completion(c, r, kind, tmo);
	}
}

/* ---- consumers: busted=1 ---------------------------------------------- */

/*
 * The window between the test and the register, made wide: until every
 * wake() of round @r has returned, a quarter timeout at most.
 */
static void awt_busted_window(struct awt_consumer *c, int r, long tmo)
{
	unsigned long end = jiffies + max(tmo / 4, 1L);
	int i = 0;

	while (i < nproducers && time_before(jiffies, end)) {
		if (READ_ONCE(c->woke[i]) >= r)
			i++;
		else
			schedule_timeout_uninterruptible(1);
	}
}

static long awt_busted_sleep_wq(struct awt_consumer *c, long tmo)
{
	DEFINE_WAIT(entry);
	long ret;

	prepare_to_wait(&c->wq.head, &entry, TASK_UNINTERRUPTIBLE);
	awt_register(c, atomic_waker_target_wait_queue(&c->wq));
	ret = schedule_timeout(tmo);
	finish_wait(&c->wq.head, &entry);
	return ret;
}

/* Register and sleep until woken, without testing the condition again. */
static long awt_busted_sleep(struct awt_consumer *c, enum awt_kind kind,
			     long tmo)
{
	long ret;

	switch (kind) {
	case AWT_SLEEPER:
		atomic_waker_prepare_wait(&c->aw, TASK_UNINTERRUPTIBLE);
		ret = schedule_timeout(tmo);
		atomic_waker_finish_wait(&c->aw);
		return ret;
	case AWT_WAIT_QUEUE:
		return awt_busted_sleep_wq(c, tmo);
	case AWT_WORK:
	case AWT_CALLBACK:
		awt_drain(awt_kick(c, kind));
		awt_register(c, awt_target(c, kind));
		return wait_for_completion_timeout(awt_kick(c, kind), tmo);
	default:
		set_current_state(TASK_UNINTERRUPTIBLE);
		awt_register(c, atomic_waker_target_task(current));
		return schedule_timeout(tmo);
	}
}

/* busted=1: test, then register, then sleep without testing again. */
static long awt_busted_wait(struct awt_consumer *c, int r, enum awt_kind kind,
			    long tmo)
{
	c->ncheck = 0;
	c->nfree = 1;
	if (awt_cond(c, r))
		return tmo;
	awt_busted_window(c, r, tmo);
	return awt_busted_sleep(c, kind, tmo);
}

/* ---- consumers: rounds -------------------------------------------------- */

/* Did every producer's wake of round @r return well before now? */
static bool awt_lost(struct awt_consumer *c, int r, long tmo)
{
	unsigned long last = 0;
	int i;

	for (i = 0; i < nproducers; i++) {
		/* pairs with awt_serve(): then woke_at[i] is r's */
		if (smp_load_acquire(&c->woke[i]) < r)
			return false;
		if (!last || time_after(READ_ONCE(c->woke_at[i]), last))
			last = READ_ONCE(c->woke_at[i]);
	}
	return time_before(last + tmo / 2, jiffies);
}

static void awt_report_lost(struct awt_consumer *c, int r, enum awt_kind kind)
{
	char ctxs[64];
	int i, len = 0;

	/* After awt_lost(): every woke_ctx[i] is round r's. */
	for (i = 0; i < nproducers; i++)
		len += scnprintf(ctxs + len, sizeof(ctxs) - len, "%s%s",
				 i ? "," : "",
				 awt_ctx_name[READ_ONCE(c->woke_ctx[i])]);
	pr_err_ratelimited("lost wakeup: consumer %d round %d target %s, the round's wakes from %s\n",
			   c->id, r, awt_kind_name[kind], ctxs);
}

static void awt_count_handoff(struct awt_consumer *c, enum awt_kind kind)
{
	atomic_long_inc(&c->handoffs[kind]);
	/* Relaxed: a count; complete() orders what awt_run() reads next. */
	if (atomic_long_inc_return_relaxed(&awt_handoffs) == handoffs)
		complete(&awt_enough);
}

/* Each kind once first, the consumers staggered; then kinds at random. */
static enum awt_kind awt_pick_kind(struct awt_consumer *c, int r)
{
	int n = awt_nkinds;

	if (r <= n)
		return awt_kinds[(c->id * n / nconsumers + r - 1) % n];
	return awt_kinds[torture_random(&c->trs) % n];
}

/* Round @r: request it, wait until it is published, count what happened. */
static void awt_round(struct awt_consumer *c, int r, long tmo)
{
	enum awt_kind kind = awt_pick_kind(c, r);
	bool lost = false;
	long ret;

	/* pairs with the acquire in awt_producer_fn() */
	smp_store_release(&c->req, AWT_REQ(r, kind));
	for (;;) {
		ret = busted ? awt_busted_wait(c, r, kind, tmo) :
			       awt_wait(c, r, kind, tmo);
		if (ret > 1 && READ_ONCE(c->done) >= r)
			break;
		if (ret > 1)
			continue; /* busted: woken, but not for this */
		/* ret <= 1: the time ran out, perhaps while true */
		lost = awt_lost(c, r, tmo);
		if (lost || !torture_must_stop()) /* not the producers' end */
			atomic_long_inc(&c->timeouts[kind]);
		if (lost) {
			atomic_long_inc(&c->lost[kind]);
			awt_report_lost(c, r, kind);
		}
		if (lost || READ_ONCE(c->done) >= r || torture_must_stop())
			break;
	}
	if (!lost && READ_ONCE(c->done) >= r)
		awt_count_handoff(c, kind);
}

/* Balance: once no producer can touch the slot, every reference is put. */
static void awt_consumer_teardown(struct awt_consumer *c)
{
	/* pairs with the release in awt_cleanup(): their wakes are over */
	while (!atomic_read_acquire(&awt_producers_gone))
		schedule_timeout_uninterruptible(1);
	atomic_waker_destroy(&c->aw);
	cancel_work_sync(&c->work);
	atomic_waker_wait_queue_sync(&c->wq);
	if (refcount_read(&current->usage) != c->usage0 ||
	    atomic_read(&c->cb_refs))
		WRITE_ONCE(c->imbalance, true);
	atomic_inc(&awt_consumers_checked);
}

static int awt_consumer_fn(void *arg)
{
	struct awt_consumer *c = arg;
	long tmo = max(msecs_to_jiffies(timeout_ms), 2UL);
	int r = 0;

	VERBOSE_TOROUT_STRING("awt_consumer task started");
	c->usage0 = refcount_read(&current->usage);
	while (!torture_must_stop())
		awt_round(c, ++r, tmo);
	awt_consumer_teardown(c);
	torture_kthread_stopping("awt_consumer");
	return 0;
}

/* ---- statistics ---------------------------------------------------------- */

struct awt_totals {
	long handoffs, lost, timeouts, spurious, regerr;
	long kind_handoffs[AWT_NKIND], kind_lost[AWT_NKIND];
	long kind_timeouts[AWT_NKIND];
	long wakes[AWT_NKIND][AWT_NCTX], ctx_wakes[AWT_NCTX], woke[AWT_NCTX];
	long work_runs, cb_wakes, cb_gets;
	int imbalance;
};

static struct awt_totals awt_totals;	/* the main thread's */

static void awt_sum_consumer(struct awt_totals *t, struct awt_consumer *c)
{
	int k;

	for (k = 0; k < AWT_NKIND; k++) {
		t->kind_handoffs[k] += atomic_long_read(&c->handoffs[k]);
		t->kind_lost[k] += atomic_long_read(&c->lost[k]);
		t->kind_timeouts[k] += atomic_long_read(&c->timeouts[k]);
	}
	t->spurious += atomic_long_read(&c->spurious);
	t->regerr += atomic_long_read(&c->regerr);
	t->work_runs += atomic_long_read(&c->work_runs);
	t->cb_wakes += atomic_long_read(&c->cb_wakes);
	t->cb_gets += atomic_long_read(&c->cb_gets);
	t->imbalance += READ_ONCE(c->imbalance);
}

static void awt_sum_producer(struct awt_totals *t, struct awt_producer *p)
{
	long n;
	int k, x;

	for (x = 0; x < AWT_NCTX; x++) {
		t->woke[x] += atomic_long_read(&p->woke[x]);
		for (k = 0; k < AWT_NKIND; k++) {
			n = atomic_long_read(&p->wakes[k][x]);
			t->wakes[k][x] += n;
			t->ctx_wakes[x] += n;
		}
	}
}

static struct awt_totals *awt_sum(void)
{
	struct awt_totals *t = &awt_totals;
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < nconsumers; i++)
		awt_sum_consumer(t, &awt_consumers[i]);
	for (i = 0; i < nproducers; i++)
		awt_sum_producer(t, &awt_producers[i]);
	for (i = 0; i < AWT_NKIND; i++) {
		t->handoffs += t->kind_handoffs[i];
		t->lost += t->kind_lost[i];
		t->timeouts += t->kind_timeouts[i];
	}
	return t;
}

/* "name value name value ...", in @buf */
static char *awt_fmt(char *buf, size_t size, const char * const *names,
		     const long *v, int n)
{
	int i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += scnprintf(buf + len, size - len, "%s%s %ld",
				 i ? " " : "", names[i], v[i]);
	return buf;
}

/* Handoffs per kind of target, wakes that woke a target per context. */
static void awt_print_line(const char *tag, unsigned long secs,
			   struct awt_totals *t)
{
	char kinds[192], ctxs[192];

	pr_alert("%s: %lu s, handoffs %ld, lost %ld, timeouts %ld, per kind %s, per context %s\n",
		 tag, secs, t->handoffs, t->lost, t->timeouts,
		 awt_fmt(kinds, sizeof(kinds), awt_kind_name,
			 t->kind_handoffs, AWT_NKIND),
		 awt_fmt(ctxs, sizeof(ctxs), awt_ctx_name, t->woke, AWT_NCTX));
}

static void awt_print_end(unsigned long secs, struct awt_totals *t)
{
	char buf[192];
	int k;

	awt_print_line("end", secs, t);
	for (k = 0; k < AWT_NKIND; k++)
		pr_alert("end: %s: handoffs %ld, timeouts %ld, lost %ld, wake() calls %s\n",
			 awt_kind_name[k], t->kind_handoffs[k],
			 t->kind_timeouts[k], t->kind_lost[k],
			 awt_fmt(buf, sizeof(buf), awt_ctx_name, t->wakes[k],
				 AWT_NCTX));
	pr_alert("end: all kinds: wake() calls %s\n",
		 awt_fmt(buf, sizeof(buf), awt_ctx_name, t->ctx_wakes,
			 AWT_NCTX));
	pr_alert("end: spurious %ld, register errors %ld, work runs %ld, callback wakes %ld gets %ld, unbalanced %d\n",
		 t->spurious, t->regerr, t->work_runs, t->cb_wakes, t->cb_gets,
		 t->imbalance);
}

static void awt_print_params(void)
{
	pr_alert("nproducers=%d nconsumers=%d duration=%d handoffs=%ld target=%#x wake_ctx=%#x stutter=%d stutter_gap=%d stat_interval=%d timeout_ms=%d busted=%d\n",
		 nproducers, nconsumers, duration, handoffs, target, wake_ctx,
		 stutter, stutter_gap, stat_interval, timeout_ms, busted);
}

/* ---- init, run, cleanup ------------------------------------------------- */

/* The set bits of @mask below @n, as a list; false if none or others. */
static bool awt_bits(int mask, int n, u8 *list, int *len)
{
	int i;

	*len = 0;
	for (i = 0; i < n; i++)
		if (mask & BIT(i))
			list[(*len)++] = i;
	return *len && !(mask & ~(BIT(n) - 1));
}

static int awt_check_params(void)
{
	if (nproducers < 1 || nconsumers < 1 || duration < 1 ||
	    timeout_ms < 1 || handoffs < 0 || stutter_gap < 0) {
		pr_alert("nproducers, nconsumers, duration and timeout_ms must be >= 1, handoffs and stutter_gap >= 0\n");
		return -EINVAL;
	}
	if (!awt_bits(target, AWT_NKIND, awt_kinds, &awt_nkinds) ||
	    !awt_bits(wake_ctx, AWT_NCTX, awt_ctxs, &awt_nctxs)) {
		pr_alert("target must be a nonzero mask of %#lx, wake_ctx of %#lx\n",
			 BIT(AWT_NKIND) - 1, BIT(AWT_NCTX) - 1);
		return -EINVAL;
	}
	return 0;
}

static void awt_cleanup(void)
{
	int i, n;

	torture_cleanup_begin();
	for (i = 0; awt_producers && i < nproducers; i++) {
		struct awt_producer *p = &awt_producers[i];

		torture_stop_kthread(awt_producer, p->task);
		/* Its last wake is done, but the context may be returning. */
		hrtimer_cancel(&p->hard);
		hrtimer_cancel(&p->soft);
		cancel_work_sync(&p->work);
	}
	/* pairs with the acquire in awt_consumer_teardown() */
	atomic_set_release(&awt_producers_gone, 1);
	/* Let the consumers check their balance before kthread_stop() pins. */
	for (i = 0, n = 0; awt_consumers && i < nconsumers; i++)
		n += !!awt_consumers[i].task;
	while (atomic_read(&awt_consumers_checked) < n)
		schedule_timeout_uninterruptible(1);
	for (i = 0; awt_consumers && i < nconsumers; i++)
		torture_stop_kthread(awt_consumer, awt_consumers[i].task);
	torture_cleanup_end();
}

static void awt_free(void)
{
	int i;

	for (i = 0; awt_consumers && i < nconsumers; i++) {
		kfree(awt_consumers[i].woke);
		kfree(awt_consumers[i].woke_at);
		kfree(awt_consumers[i].woke_ctx);
	}
	for (i = 0; awt_producers && i < nproducers; i++)
		kfree(awt_producers[i].last);
	kfree(awt_consumers);
	kfree(awt_producers);
	awt_consumers = NULL;
	awt_producers = NULL;
}

static void awt_init_producer(struct awt_producer *p, int id)
{
	p->id = id;
	init_completion(&p->fired);
	hrtimer_init(&p->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	p->hard.function = awt_hard_fn;
	hrtimer_init(&p->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	p->soft.function = awt_soft_fn;
	INIT_WORK(&p->work, awt_work_fn);
	raw_spin_lock_init(&p->lock);
	torture_random_init(&p->trs);
}

static void awt_init_consumer(struct awt_consumer *c, int id)
{
	c->id = id;
	atomic_waker_init(&c->aw);
	atomic_waker_wait_queue_init(&c->wq);
	INIT_WORK(&c->work, awt_work_target_fn);
	init_completion(&c->work_done);
	c->cb.ops = &awt_cb_ops;
	init_completion(&c->cb_done);
	torture_random_init(&c->trs);
}

/* Everything awt_cleanup() may touch is initialized before any can fail. */
static int awt_alloc(void)
{
	int i;

	awt_consumers = kcalloc(nconsumers, sizeof(*awt_consumers),
				GFP_KERNEL);
	awt_producers = kcalloc(nproducers, sizeof(*awt_producers),
				GFP_KERNEL);
	if (!awt_consumers || !awt_producers) {
		awt_free();
		return -ENOMEM;
	}
	for (i = 0; i < nproducers; i++)
		awt_init_producer(&awt_producers[i], i);
	for (i = 0; i < nconsumers; i++)
		awt_init_consumer(&awt_consumers[i], i);
	for (i = 0; i < nproducers; i++) {
		struct awt_producer *p = &awt_producers[i];

		p->last = kcalloc(nconsumers, sizeof(*p->last), GFP_KERNEL);
		if (!p->last)
			return -ENOMEM;
	}
	for (i = 0; i < nconsumers; i++) {
		struct awt_consumer *c = &awt_consumers[i];

		c->woke = kcalloc(nproducers, sizeof(*c->woke), GFP_KERNEL);
		c->woke_at = kcalloc(nproducers, sizeof(*c->woke_at),
				     GFP_KERNEL);
		c->woke_ctx = kcalloc(nproducers, sizeof(*c->woke_ctx),
				      GFP_KERNEL);
		if (!c->woke || !c->woke_at || !c->woke_ctx)
			return -ENOMEM;
	}
	return 0;
}

static int awt_start(void)
{
	int i, err;

	if (stutter > 0) {
		err = torture_stutter_init(stutter, stutter_gap > 0 ?
					   stutter_gap : stutter);
		if (torture_init_error(err))
			return err;
	}
	for (i = 0; i < nconsumers; i++) {
		err = torture_create_kthread(awt_consumer_fn, &awt_consumers[i],
					     awt_consumers[i].task);
		if (torture_init_error(err))
			return err;
	}
	for (i = 0; i < nproducers; i++) {
		err = torture_create_kthread(awt_producer_fn, &awt_producers[i],
					     awt_producers[i].task);
		if (torture_init_error(err))
			return err;
	}
	return 0;
}

/*
 * Until @duration is over, or @handoffs were handed off, or insmod is
 * killed, with a progress line every @stat_interval seconds.  Killable, so
 * that the hung task detector leaves a long soak alone.
 */
static unsigned long awt_run(void)
{
	unsigned long start = jiffies, next = start;
	unsigned long end = start + (unsigned long)duration * HZ;
	long left;

	while (time_before(jiffies, end)) {
		next = stat_interval > 0 ?
		       next + (unsigned long)stat_interval * HZ : end;
		if (time_after(next, end))
			next = end;
		left = max_t(long, next - jiffies, 1);
		if (wait_for_completion_killable_timeout(&awt_enough, left))
			break;
		if (time_before(jiffies, end))
			awt_print_line("progress", (jiffies - start) / HZ,
				       awt_sum());
	}
	return (jiffies - start) / HZ;
}

/* busted=1 must lose a wakeup in every kind: list those it did not. */
static bool awt_uncaught(struct awt_totals *t, char *buf, size_t size)
{
	int i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < awt_nkinds; i++)
		if (!t->kind_lost[awt_kinds[i]])
			len += scnprintf(buf + len, size - len, " %s",
					 awt_kind_name[awt_kinds[i]]);
	return len;
}

static int awt_verdict(struct awt_totals *t)
{
	char missed[64];

	if (busted && awt_uncaught(t, missed, sizeof(missed))) {
		pr_alert("SUCCESS: %ld handoffs, %ld lost wakeups -- but busted=1 lost none with target%s: a planted bug went uncaught\n",
			 t->handoffs, t->lost, missed);
		return -EIO;
	}
	if (t->lost || t->imbalance || t->regerr || !t->handoffs) {
		pr_alert("!!! FAILURE: %ld lost wakeups, %d unbalanced, %ld register errors, %ld handoffs%s\n",
			 t->lost, t->imbalance, t->regerr, t->handoffs,
			 busted ? " (busted=1: caught with every target, as it must be)" : "");
		return -EIO;
	}
	pr_alert("SUCCESS: %ld handoffs, no lost wakeup\n", t->handoffs);
	return 0;
}

static int __init awt_init(void)
{
	unsigned long secs;
	int err;

	if (!torture_init_begin(torture_type, verbose))
		return -EBUSY;
	err = awt_check_params();
	if (err)
		goto unwind;
	awt_print_params();
	err = awt_alloc();
	if (!err)
		err = awt_start();
	if (err)
		goto unwind;
	torture_init_end();

	secs = awt_run();
	awt_cleanup();
	awt_print_params();
	awt_print_end(secs, awt_sum());
	err = awt_verdict(&awt_totals);
	awt_free();
	return err;

unwind:
	torture_init_end();
	awt_cleanup();
	awt_free();
	return err;
}

/* Everything ran and was torn down in awt_init(). */
static void __exit awt_exit(void)
{
}

module_init(awt_init);
module_exit(awt_exit);
