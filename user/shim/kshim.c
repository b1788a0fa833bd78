// SPDX-License-Identifier: GPL-2.0
/*
 * kshim.c - user-space stand-ins for tasks, wait queues and work items.
 * See kshim.h for the memory-model mapping and the task "park" token.
 */
#include <stdlib.h>
#include <time.h>

#include "kshim.h"

int shim_warnings;
bool shim_warn_quiet;
__thread bool shim_in_nmi;
__thread int shim_preempt_count;
__thread void (*shim_after_read)(const atomic_long_t *v);
long shim_hang_ms = 20000;
void (*shim_timeout_hook)(struct task_struct *t);
struct workqueue_struct *system_wq;

static __thread struct task_struct *shim_current;
static __thread struct task_struct shim_private_task;

void shim_task_init(struct task_struct *t, const char *comm)
{
	t->usage = 1;
	t->__state = TASK_RUNNING;
	t->sigpending = 0;
	t->wakeups = 0;
	t->wakes_preempt_off = 0;
	t->timeouts = 0;
	t->hangs = 0;
	t->comm = comm;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
}

void shim_task_destroy(struct task_struct *t)
{
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}

void shim_set_current(struct task_struct *t)
{
	shim_current = t;
}

struct task_struct *shim_get_current(void)
{
	if (!shim_current) {
		shim_task_init(&shim_private_task, "private");
		shim_current = &shim_private_task;
	}
	return shim_current;
}

void put_task_struct(struct task_struct *t)
{
	/* The owner's reference is never dropped here: 0 is an underflow. */
	if (__atomic_sub_fetch(&t->usage, 1, __ATOMIC_RELEASE) <= 0) {
		__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "BUG: put_task_struct(%s): usage underflow\n",
			t->comm);
	}
}

int wake_up_process(struct task_struct *t)
{
	int woke = 0;

	smp_mb();	/* as try_to_wake_up(): order the caller's stores first */
	pthread_mutex_lock(&t->lock);
	if (shim_preempt_count > 0)
		t->wakes_preempt_off++;
	if (READ_ONCE(t->__state) != TASK_RUNNING) {
		WRITE_ONCE(t->__state, TASK_RUNNING);
		t->wakeups++;
		woke = 1;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return woke;
}

static void deadline_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static long ms_until(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (ts->tv_sec - now.tv_sec) * 1000 +
	       (ts->tv_nsec - now.tv_nsec) / 1000000L;
}

/*
 * Sleep while not TASK_RUNNING, at most @ms.  Return the milliseconds left
 * (at least 1) if woken, 0 if the time ran out; then, as the kernel's timer
 * would, set the task running and, for schedule_timeout(), call the hook.
 */
static long park(struct task_struct *t, long ms, bool timer)
{
	struct timespec ts;
	long left;

	deadline_after(&ts, ms);
	pthread_mutex_lock(&t->lock);
	while (READ_ONCE(t->__state) != TASK_RUNNING) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) ==
		    ETIMEDOUT && READ_ONCE(t->__state) != TASK_RUNNING) {
			WRITE_ONCE(t->__state, TASK_RUNNING);
			if (timer) {
				t->timeouts++;
				if (shim_timeout_hook)
					shim_timeout_hook(t);
			}
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&t->lock);
	left = ms_until(&ts);
	return left > 0 ? left : 1;
}

void schedule(void)
{
	struct task_struct *t = current;

	if (!park(t, shim_hang_ms, false)) {
		t->hangs++;
		__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "HANG: %s slept %ld ms in schedule()\n",
			t->comm, shim_hang_ms);
	}
}

long schedule_timeout(long timeout)
{
	return park(current, timeout < shim_hang_ms ? timeout : shim_hang_ms,
		    true);
}

void init_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	wq->gen = 0;
}

void wake_up_all(struct wait_queue_head *wq)
{
	/* Under PREEMPT_RT the wait queue lock sleeps. */
	WARN_ON_ONCE(shim_preempt_count > 0);
	pthread_mutex_lock(&wq->lock);
	wq->gen++;
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

unsigned long shim_wq_gen(struct wait_queue_head *wq)
{
	unsigned long gen;

	pthread_mutex_lock(&wq->lock);
	gen = wq->gen;
	pthread_mutex_unlock(&wq->lock);
	return gen;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	(void)wq;
	if (__atomic_exchange_n(&work->pending, 1, __ATOMIC_ACQ_REL))
		return false;
	/* As a worker does: clear PENDING, then run the function. */
	__atomic_store_n(&work->pending, 0, __ATOMIC_RELEASE);
	work->func(work);
	return true;
}
