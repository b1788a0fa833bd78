// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker_torture: hand a condition from producers to a sleeping
 * consumer, over and over, from every wake context, and count what goes
 * wrong.  Modelled on kernel/locking/locktorture.c.
 *
 * Each consumer kthread owns one atomic_waker and, round after round,
 * requests a round and sleeps in atomic_waker_wait_event_timeout() until it
 * is published.  Every producer kthread serves every consumer: one producer
 * claims the round and publishes it, and all of them call
 * atomic_waker_wake() (so wakes race with wakes and with the consumer's
 * register), each from a context drawn from @wake_ctx: the kthread itself,
 * a hard-IRQ hrtimer, a softirq hrtimer or a work item.
 *
 * Every wait is bounded by @timeout_ms.  A wait that times out although
 * every producer's wake() of the round had returned half a timeout before is
 * a lost wakeup.  With @busted=1 the consumer tests its condition before it
 * registers, the textbook lost wakeup, which this test must catch.
 *
 * The module runs for @duration seconds from its init function, prints a
 * summary and fails to load if anything went wrong, so that insmod reports
 * the failure.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/torture.h>
#include <linux/workqueue.h>

#include "atomic_waker.h"

MODULE_DESCRIPTION("Torture test for atomic_waker");
MODULE_LICENSE("GPL");

torture_param(int, nproducers, 2, "Number of producer kthreads (publish, wake)");
torture_param(int, nconsumers, 1,
	      "Number of consumer kthreads, one atomic_waker each");
torture_param(int, duration, 10, "Seconds to run");
torture_param(int, wake_ctx, 0xf,
	      "Wake contexts: 1 kthread, 2 hard IRQ, 4 softirq, 8 work item");
torture_param(int, stutter, 5, "Seconds to run between producer pauses (0=off)");
torture_param(int, stat_interval, 5, "Seconds between statistics (0=end only)");
torture_param(int, timeout_ms, 2000, "Bound on every consumer wait");
torture_param(bool, busted, false,
	      "Register after testing the condition (must fail)");
torture_param(int, verbose, 1, "Enable verbose debugging printk()s");

static char *torture_type = "atomic_waker";	/* for TOROUT_STRING() */

enum awt_ctx { AWT_KTHREAD, AWT_HARDIRQ, AWT_SOFTIRQ, AWT_WORK, AWT_NCTX };

static const char * const awt_ctx_name[AWT_NCTX] = {
	"kthread", "hardirq", "softirq", "work",
};

struct awt_consumer {
	struct atomic_waker aw;
	struct task_struct *task;
	int req;			/* the round requested */
	int done;			/* the round published: the condition */
	atomic_t claimed;		/* the round a producer claimed */
	int *woke;			/* per producer: last round woken */
	unsigned long *woke_at;		/* per producer: jiffies then */
	int ncheck;			/* condition tests in this wait */
	int usage0;			/* task usage before the first round */
	atomic_long_t handoffs, lost, timeouts, spurious;
	bool imbalance;
};

struct awt_producer {
	int id;
	struct task_struct *task;
	struct hrtimer hard, soft;
	struct work_struct work;
	struct completion fired;
	struct awt_consumer *c;		/* what the armed context wakes */
	int round;
	bool claim;
	atomic_long_t wakes[AWT_NCTX];
	atomic_long_t woke;		/* wake() calls that returned true */
	struct torture_random_state trs;
};

static struct awt_consumer *awt_consumers;
static struct awt_producer *awt_producers;
static atomic_t awt_producers_gone;
static atomic_t awt_consumers_checked;

/* ---- producers ------------------------------------------------------- */

/* Publish the round if ours to publish, then wake: in the chosen context. */
static void awt_fire(struct awt_producer *p)
{
	struct awt_consumer *c = p->c;

	if (p->claim)
		WRITE_ONCE(c->done, p->round);
	if (atomic_waker_wake(&c->aw))
		atomic_long_inc(&p->woke);
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

static enum awt_ctx awt_pick_ctx(struct awt_producer *p)
{
	int mask = wake_ctx & (BIT(AWT_NCTX) - 1);
	int n;

	if (!mask)
		mask = BIT(AWT_KTHREAD);
	do {
		n = torture_random(&p->trs) % AWT_NCTX;
	} while (!(mask & BIT(n)));
	return n;
}

static void awt_wake_from(struct awt_producer *p, enum awt_ctx ctx)
{
	/* 0-20 us, so that the wake lands anywhere in the consumer's path */
	ktime_t delay = ns_to_ktime(torture_random(&p->trs) % 20000);

	reinit_completion(&p->fired);
	switch (ctx) {
	case AWT_KTHREAD:
		awt_fire(p);
		break;
	case AWT_HARDIRQ:
		hrtimer_start(&p->hard, delay, HRTIMER_MODE_REL_HARD);
		break;
	case AWT_SOFTIRQ:
		hrtimer_start(&p->soft, delay, HRTIMER_MODE_REL_SOFT);
		break;
	default:
		queue_work(system_wq, &p->work);
		break;
	}
	wait_for_completion(&p->fired);
	atomic_long_inc(&p->wakes[ctx]);
}

/* Serve consumer @c's round @r: claim and publish it, or wait for that. */
static void awt_serve(struct awt_producer *p, struct awt_consumer *c, int r)
{
	p->c = c;
	p->round = r;
	p->claim = atomic_cmpxchg(&c->claimed, r - 1, r) == r - 1;
	while (!p->claim && READ_ONCE(c->done) < r && !torture_must_stop())
		cond_resched();
	awt_wake_from(p, awt_pick_ctx(p));
	/* Every wake of round r is done once all producers wrote r here. */
	WRITE_ONCE(c->woke_at[p->id], jiffies);
	smp_store_release(&c->woke[p->id], r); /* pairs with awt_lost() */
}

static int awt_producer_fn(void *arg)
{
	struct awt_producer *p = arg;
	int *last;
	int i, r;
	bool idle;

	last = kcalloc(nconsumers, sizeof(*last), GFP_KERNEL);
	if (!last)
		return -ENOMEM;
	VERBOSE_TOROUT_STRING("awt_producer task started");
	do {
		idle = true;
		for (i = 0; i < nconsumers; i++) {
			/* pairs with the consumer's request */
			r = smp_load_acquire(&awt_consumers[i].req);
			if (r == last[i])
				continue;
			last[i] = r;
			idle = false;
			awt_serve(p, &awt_consumers[i], r);
		}
		if (idle)
			cond_resched();
		stutter_wait("awt_producer");
	} while (!torture_must_stop());
	kfree(last);
	torture_kthread_stopping("awt_producer");
	return 0;
}

/* ---- consumers ------------------------------------------------------- */

static bool awt_cond(struct awt_consumer *c, int r)
{
	bool ret = READ_ONCE(c->done) >= r;

	/* Tests 1 and 2 come before any sleep; a later false one after it. */
	if (++c->ncheck > 2 && !ret)
		atomic_long_inc(&c->spurious);
	return ret;
}

/* busted=1: test, then register, then sleep without testing again. */
static long awt_busted_wait(struct awt_consumer *c, int r, long tmo)
{
	long ret;

	if (awt_cond(c, r))
		return tmo;
	/* A jiffy's window for the producer to publish and wake in vain. */
	schedule_timeout_uninterruptible(1);
	set_current_state(TASK_UNINTERRUPTIBLE);
	atomic_waker_register(&c->aw, atomic_waker_target_task(current));
	ret = schedule_timeout(tmo);
	atomic_waker_finish_wait(&c->aw);
	return ret;
}

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

static int awt_consumer_fn(void *arg)
{
	struct awt_consumer *c = arg;
	long tmo = max(msecs_to_jiffies(timeout_ms), 2UL);
	long ret;
	int r = 0;

	VERBOSE_TOROUT_STRING("awt_consumer task started");
	c->usage0 = refcount_read(&current->usage);
	while (!torture_must_stop()) {
		smp_store_release(&c->req, ++r); /* pairs with the producers */
		for (;;) {
			c->ncheck = 0;
			if (busted)
				ret = awt_busted_wait(c, r, tmo);
			else
				ret = atomic_waker_wait_event_timeout(&c->aw,
								      awt_cond(c, r),
								      tmo);
			if (ret > 1 && READ_ONCE(c->done) >= r)
				break;
			if (ret > 1)
				continue; /* busted: woken, but not for this */
			/* ret <= 1: the time ran out, perhaps while true */
			atomic_long_inc(&c->timeouts);
			if (awt_lost(c, r, tmo)) {
				atomic_long_inc(&c->lost);
				pr_err("lost wakeup: consumer %ld round %d\n",
				       c - awt_consumers, r);
				break;
			}
			if (READ_ONCE(c->done) >= r || torture_must_stop())
				break;
		}
		if (READ_ONCE(c->done) >= r)
			atomic_long_inc(&c->handoffs);
	}

	/* Balance: once no producer can touch the slot, all is put. */
	while (!atomic_read(&awt_producers_gone))
		schedule_timeout_uninterruptible(1);
	atomic_waker_destroy(&c->aw);
	if (refcount_read(&current->usage) != c->usage0)
		c->imbalance = true;
	atomic_inc(&awt_consumers_checked);
	torture_kthread_stopping("awt_consumer");
	return 0;
}

/* ---- statistics, init, cleanup --------------------------------------- */

struct awt_totals {
	long handoffs, lost, timeouts, spurious, woke;
	long wakes[AWT_NCTX];
	int imbalance;
};

static void awt_sum(struct awt_totals *t)
{
	int i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < nconsumers; i++) {
		struct awt_consumer *c = &awt_consumers[i];

		t->handoffs += atomic_long_read(&c->handoffs);
		t->lost += atomic_long_read(&c->lost);
		t->timeouts += atomic_long_read(&c->timeouts);
		t->spurious += atomic_long_read(&c->spurious);
		t->imbalance += c->imbalance;
	}
	for (i = 0; i < nproducers; i++) {
		t->woke += atomic_long_read(&awt_producers[i].woke);
		for (k = 0; k < AWT_NCTX; k++)
			t->wakes[k] +=
				atomic_long_read(&awt_producers[i].wakes[k]);
	}
}

static void awt_print_stats(const char *tag)
{
	struct awt_totals t;

	awt_sum(&t);
	pr_alert("%s: handoffs %ld lost %ld timeouts %ld spurious %ld woke %ld wakes: %s %ld %s %ld %s %ld %s %ld imbalance %d\n",
		 tag, t.handoffs, t.lost, t.timeouts, t.spurious, t.woke,
		 awt_ctx_name[0], t.wakes[0], awt_ctx_name[1], t.wakes[1],
		 awt_ctx_name[2], t.wakes[2], awt_ctx_name[3], t.wakes[3],
		 t.imbalance);
}

static void awt_print_params(void)
{
	pr_alert("nproducers=%d nconsumers=%d duration=%d wake_ctx=%#x stutter=%d timeout_ms=%d busted=%d\n",
		 nproducers, nconsumers, duration, wake_ctx, stutter,
		 timeout_ms, busted);
}

static void awt_cleanup(void)
{
	int i, n;

	torture_cleanup_begin();
	for (i = 0; awt_producers && i < nproducers; i++)
		torture_stop_kthread(awt_producer, awt_producers[i].task);
	atomic_set(&awt_producers_gone, 1);
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
	}
	kfree(awt_consumers);
	kfree(awt_producers);
	awt_consumers = NULL;
	awt_producers = NULL;
}

static int awt_alloc(void)
{
	int i;

	awt_consumers = kcalloc(nconsumers, sizeof(*awt_consumers),
				GFP_KERNEL);
	awt_producers = kcalloc(nproducers, sizeof(*awt_producers),
				GFP_KERNEL);
	if (!awt_consumers || !awt_producers)
		return -ENOMEM;
	for (i = 0; i < nconsumers; i++) {
		struct awt_consumer *c = &awt_consumers[i];

		atomic_waker_init(&c->aw);
		c->woke = kcalloc(nproducers, sizeof(*c->woke), GFP_KERNEL);
		c->woke_at = kcalloc(nproducers, sizeof(*c->woke_at),
				     GFP_KERNEL);
		if (!c->woke || !c->woke_at)
			return -ENOMEM;
	}
	for (i = 0; i < nproducers; i++) {
		struct awt_producer *p = &awt_producers[i];

		p->id = i;
		init_completion(&p->fired);
		hrtimer_init(&p->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		p->hard.function = awt_hard_fn;
		hrtimer_init(&p->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
		p->soft.function = awt_soft_fn;
		INIT_WORK(&p->work, awt_work_fn);
		torture_random_init(&p->trs);
	}
	return 0;
}

static int __init awt_init(void)
{
	struct awt_totals t;
	unsigned long end;
	int i, err;

	if (!torture_init_begin(torture_type, verbose))
		return -EBUSY;
	if (nproducers < 1 || nconsumers < 1 || duration < 1) {
		pr_alert("nproducers, nconsumers and duration must be >= 1\n");
		err = -EINVAL;
		goto unwind;
	}
	awt_print_params();
	err = awt_alloc();
	if (err)
		goto unwind;
	if (stutter > 0) {
		err = torture_stutter_init(stutter, stutter);
		if (torture_init_error(err))
			goto unwind;
	}
	for (i = 0; i < nconsumers; i++) {
		err = torture_create_kthread(awt_consumer_fn, &awt_consumers[i],
					     awt_consumers[i].task);
		if (torture_init_error(err))
			goto unwind;
	}
	for (i = 0; i < nproducers; i++) {
		err = torture_create_kthread(awt_producer_fn, &awt_producers[i],
					     awt_producers[i].task);
		if (torture_init_error(err))
			goto unwind;
	}
	torture_init_end();

	end = jiffies + duration * HZ;
	while (time_before(jiffies, end)) {
		schedule_timeout_interruptible(stat_interval > 0 ?
			min_t(long, stat_interval * HZ, end - jiffies) :
			end - jiffies);
		if (stat_interval > 0 && time_before(jiffies, end))
			awt_print_stats("running");
	}
	awt_cleanup();
	awt_sum(&t);
	awt_print_params();
	awt_print_stats("end");
	awt_free();
	if (t.lost || t.imbalance || !t.handoffs) {
		pr_alert("!!! FAILURE: %ld lost wakeups, %d unbalanced, %ld handoffs%s\n",
			 t.lost, t.imbalance, t.handoffs,
			 busted ? " (busted=1: caught, as it must be)" : "");
		return -EIO;
	}
	pr_alert("SUCCESS: %ld handoffs, no lost wakeup%s\n", t.handoffs,
		 busted ? " -- but busted=1 should have failed!" : "");
	return busted ? -EIO : 0;

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
