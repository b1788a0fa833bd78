// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for atomic_waker: the helpers the suites share (aw_kunit.h).
 */

#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/wait_bit.h>

#include "aw_kunit.h"

/* ---- a counting callback target ---------------------------------------- */

static struct aw_count *to_aw_count(struct atomic_waker_callback *cb)
{
	return container_of(cb, struct aw_count, cb);
}

void aw_count_wake(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->wakes);
}

void aw_count_get(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->gets);
}

void aw_count_put(struct atomic_waker_callback *cb)
{
	atomic_inc(&to_aw_count(cb)->puts);
}

const struct atomic_waker_callback_ops aw_count_ops = {
	.wake	= aw_count_wake,
	.get	= aw_count_get,
	.put	= aw_count_put,
};

const struct atomic_waker_callback_ops aw_count_wake_only_ops = {
	.wake	= aw_count_wake,
};

void aw_count_reset(struct aw_count *c)
{
	atomic_set(&c->gets, 0);
	atomic_set(&c->puts, 0);
	atomic_set(&c->wakes, 0);
}

/* For a counter in allocated memory: set its ops, zero its counts. */
void aw_count_init(struct aw_count *c,
		   const struct atomic_waker_callback_ops *ops)
{
	c->cb.ops = ops;
	aw_count_reset(c);
}

/* ---- a target that races with its own register() ------------------------ */

static void aw_racer_get(struct atomic_waker_callback *cb)
{
	struct aw_racer *r = container_of(cb, struct aw_racer, c.cb);
	int (*race)(struct aw_racer *r) = r->race;

	aw_count_get(cb);
	if (!race)
		return;
	r->race = NULL;		/* before it runs: it may register us again */
	r->raced++;
	r->ret = race(r);
}

const struct atomic_waker_callback_ops aw_racer_ops = {
	.wake	= aw_count_wake,
	.get	= aw_racer_get,
	.put	= aw_count_put,
};

/* Another registrant stores its target first. */
int aw_in_get_register(struct aw_racer *r)
{
	return atomic_waker_register(r->aw, r->other);
}

/* A producer takes and wakes the target the registrant peeked at. */
int aw_in_get_wake(struct aw_racer *r)
{
	return atomic_waker_wake(r->aw);
}

/* A taker takes the target the registrant peeked at, and keeps it. */
int aw_in_get_take(struct aw_racer *r)
{
	return atomic_waker_take(r->aw, &r->taken);
}

/* ---- misuse: warned once, and an errno ------------------------------------ */

/*
 * The one place where the two worlds differ for the cases: a kernel
 * WARN_ON_ONCE() site prints once per boot and cannot be counted, so there
 * the markers are all there is (the log checker lets each one excuse one
 * WARNING block in atomic_waker.c); the user-space shim counts every hit of
 * every site, so there each misuse must have warned exactly as expected.
 */
#ifdef __KERNEL__
static unsigned long aw_warnings(void)
{
	return 0;
}

static void aw_warnings_check(struct kunit *test, unsigned long n,
			      unsigned long lo, unsigned long hi)
{
}
#else
static unsigned long aw_warnings(void)
{
	return shim_warnings_aw();
}

static void aw_warnings_check(struct kunit *test, unsigned long n,
			      unsigned long lo, unsigned long hi)
{
	KUNIT_EXPECT_GE_MSG(test, n, lo, "atomic_waker warnings, one per misuse");
	KUNIT_EXPECT_LE_MSG(test, n, hi, "atomic_waker warnings, one per misuse");
	shim_warnings_excuse(n);
}
#endif

/*
 * Announce @markers misuse warnings, right before the call (or the racing
 * loop) that makes them.  Return: what aw_misuse_end() counts from.
 */
unsigned long aw_misuse_begin(struct kunit *test, int markers)
{
	while (markers--)
		kunit_info(test, AW_MISUSE_MARKER);
	return aw_warnings();
}

/* The calls since aw_misuse_begin() warned @lo to @hi times in all. */
void aw_misuse_end_range(struct kunit *test, unsigned long snap,
			 unsigned long lo, unsigned long hi)
{
	aw_warnings_check(test, aw_warnings() - snap, lo, hi);
}

/* The calls since aw_misuse_begin() warned @n times in all. */
void aw_misuse_end(struct kunit *test, unsigned long snap, unsigned long n)
{
	aw_misuse_end_range(test, snap, n, n);
}

/* ---- kthreads, timers and work, stopped by kunit actions ---------------- */

void aw_kthread_stop_action(void *t)
{
	kthread_stop_put(t);
}

void aw_hrtimer_cancel_action(void *t)
{
	hrtimer_cancel(t);
}

void aw_timer_shutdown_action(void *t)
{
	timer_shutdown_sync(t);
}

void aw_dwork_cancel_action(void *dw)
{
	cancel_delayed_work_sync(dw);
}

void aw_work_cancel_action(void *w)
{
	cancel_work_sync(w);
}

/*
 * Start a kthread that the test stops with aw_kthread_stop() or, if the case
 * ends early, the action does.  The extra task reference lets kthread_stop()
 * reap a thread function that already returned.  Thread functions must
 * return on their own or when kthread_should_stop(), after bounded waits.
 */
struct task_struct *aw_kthread_start_on(struct kunit *test,
					int (*fn)(void *), void *arg,
					const char *name, int cpu)
{
	struct task_struct *t;

	t = kthread_create(fn, arg, "aw_kunit_%s", name);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(t), "kthread_create: %ld",
			       PTR_ERR(t));
	if (cpu >= 0)
		kthread_bind(t, cpu);
	get_task_struct(t);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, aw_kthread_stop_action,
						  t), 0);
	wake_up_process(t);
	return t;
}

struct task_struct *aw_kthread_start(struct kunit *test, int (*fn)(void *),
				     void *arg, const char *name)
{
	return aw_kthread_start_on(test, fn, arg, name, -1);
}

void aw_kthread_stop(struct kunit *test, struct task_struct *t)
{
	kunit_release_action(test, aw_kthread_stop_action, t);
}

/* Start @t, once, in @mode; a kunit action cancels it. */
void aw_hrtimer_start(struct kunit *test, struct hrtimer *t,
		      enum hrtimer_restart (*fn)(struct hrtimer *t),
		      enum hrtimer_mode mode)
{
	hrtimer_init(t, CLOCK_MONOTONIC, mode);
	t->function = fn;
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  aw_hrtimer_cancel_action, t),
			0);
	hrtimer_start(t, ns_to_ktime(100 * NSEC_PER_USEC), mode);
}

/*
 * Merely registered is not enough for a producer that must find a sleeper:
 * a consumer that has not slept yet may see the condition and leave the
 * slot before wake() looks.
 */
bool aw_task_asleep(struct task_struct *t)
{
	if (READ_ONCE(t->__state) == TASK_RUNNING)
		return false;
#ifdef CONFIG_SMP
	return !READ_ONCE(t->on_cpu);
#else
	return true;	/* it does not run while its producer does */
#endif
}

/* ---- racing threads ------------------------------------------------------- */

/*
 * Wait until @v reaches @want: spin first, to keep two racing threads in
 * step, then sleep so that more threads than CPUs still make progress.
 * The setter is aw_step().  Return: false on timeout or kthread_stop().
 */
bool aw_wait_step(atomic_t *v, int want)
{
	unsigned int spins = num_online_cpus() > 1 ? AW_SPINS : 0;

	while (atomic_read_acquire(v) < want) {
		if (!spins--)
			return wait_var_event_timeout(v,
					atomic_read_acquire(v) >= want ||
					kthread_should_stop(), AW_TIMEOUT) &&
			       atomic_read_acquire(v) >= want;
		barrier(); /* as in aw_jitter(), no cpu_relax() */
	}
	return true;
}

void aw_step(atomic_t *v, int val)
{
	atomic_set_release(v, val);
	smp_mb(); /* the store before wake_up_var()'s waitqueue_active() */
	wake_up_var(v);
}

/* As aw_step(), for a count that several threads raise. */
void aw_step_inc(atomic_t *v)
{
	atomic_inc_return(v);	/* fully ordered: before waitqueue_active() */
	wake_up_var(v);
}

/*
 * Delay a racing side by a random number of spins below @max, so that over
 * the rounds each side starts both before and after the other, and
 * sometimes with it.  The test thread, which starts the round and so runs
 * first, takes the longer delays.
 */
void aw_jitter(unsigned int max)
{
	unsigned int spins = get_random_u32_below(max);

	/* Not cpu_relax(): under QEMU TCG a PAUSE costs microseconds. */
	while (spins--)
		barrier();
}

bool aw_race_more(int round, int min, unsigned long start)
{
	return round <= min ||
	       (round <= AW_RACE_MAX &&
		time_before(jiffies, start + AW_RACE_BUDGET));
}

static int aw_race_worker(void *arg)
{
	struct aw_race *r = arg;
	int i;

	for (i = 1; i <= r->iters; i++) {
		aw_step(&r->ready, i);
		if (!aw_wait_step(&r->go, i)) {
			WRITE_ONCE(r->stuck, !kthread_should_stop());
			break;
		}
		aw_jitter(AW_JITTER_WORKER);
		r->worker_side(r);
		aw_step(&r->done, i);
	}
	return 0;
}

/*
 * Start round @i once the worker waits for it: both sides are then on a
 * CPU and spinning, so they start together even when vCPUs are scarce.
 */
bool aw_race_go(struct aw_race *r, int i)
{
	if (!aw_wait_step(&r->ready, i))
		return false;
	aw_step(&r->go, i);
	return true;
}

/*
 * With two CPUs or more, the test thread (run for this case only) and the
 * worker get a CPU each: on one CPU, the spinning side would only delay
 * the other, and the two sides would never run at once.
 */
void aw_race_start(struct kunit *test, struct aw_race *r, int iters,
		   void (*worker_side)(struct aw_race *r))
{
	int cpu = cpumask_first(cpu_online_mask);
	int other = cpumask_next(cpu, cpu_online_mask);

	r->iters = iters;
	r->worker_side = worker_side;
	if (other < nr_cpu_ids)
		KUNIT_ASSERT_EQ(test,
				set_cpus_allowed_ptr(current, cpumask_of(cpu)),
				0);
	else
		other = -1;
	aw_kthread_start_on(test, aw_race_worker, r, "race", other);
}

MODULE_DESCRIPTION("KUnit tests for atomic_waker");
MODULE_LICENSE("GPL");
