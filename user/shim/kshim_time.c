// SPDX-License-Identifier: GPL-2.0
/*
 * kshim_time.c - user-space stand-ins for time, timers, work items,
 * irq_work and cross calls.  See kshim_time.h for what each models.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>

#include "kshim.h"

/* ---- time -------------------------------------------------------------- */

u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(u64 ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void usleep_range(unsigned long min, unsigned long max)
{
	might_sleep();
	sleep_ns(min * NSEC_PER_USEC);
}

void msleep(unsigned int msecs)
{
	might_sleep();
	sleep_ns(msecs * NSEC_PER_MSEC);
}

void udelay(unsigned long usecs)
{
	u64 end = ktime_get_ns() + usecs * NSEC_PER_USEC;

	while (ktime_get_ns() < end)
		cpu_relax();
}

static void monotonic_deadline(struct timespec *ts, u64 ns)
{
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

static void cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* ---- timers ------------------------------------------------------------- */

void shim_timer_init(struct shim_timer *t, enum shim_ctx ctx,
		     void (*run)(struct shim_timer *t))
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	cond_init_monotonic(&t->cond);
	t->ctx = ctx;
	t->run = run;
}

/* The thread of an armed timer: wait for the expiry, run, until disarmed. */
static void *timer_thread(void *arg)
{
	struct shim_timer *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (t->pending && !t->stop && ktime_get_ns() < t->expires) {
			monotonic_deadline(&ts, t->expires);
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		}
		if (!t->pending || t->stop)
			break;
		t->pending = false;
		pthread_mutex_unlock(&t->lock);
		shim_ctx_enter(t->ctx);
		t->run(t);
		shim_ctx_exit(t->ctx);
		pthread_mutex_lock(&t->lock);
	}
	t->live = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Arm (or re-arm) @t for @expires.  Return: it was armed already. */
bool shim_timer_arm(struct shim_timer *t, u64 expires)
{
	pthread_t old = 0;
	bool was, join = false;

	pthread_mutex_lock(&t->lock);
	was = t->pending;
	if (t->shutdown) {
		pthread_mutex_unlock(&t->lock);
		return was;
	}
	t->pending = true;
	t->expires = expires;
	if (!t->live) {
		join = t->joinable;
		old = t->thread;
		t->live = true;
		t->joinable = true;
		if (pthread_create(&t->thread, NULL, timer_thread, t))
			abort();
	}
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (join)
		pthread_join(old, NULL);
	return was;
}

/* Disarm @t and wait for a running callback.  Return: it was armed. */
bool shim_timer_cancel_sync(struct shim_timer *t, bool shutdown)
{
	pthread_t th;
	bool was, join;

	pthread_mutex_lock(&t->lock);
	was = t->pending;
	t->pending = false;
	t->stop = true;
	t->shutdown |= shutdown;
	pthread_cond_broadcast(&t->cond);
	while (t->live)
		pthread_cond_wait(&t->cond, &t->lock);
	join = t->joinable;
	th = t->thread;
	t->joinable = false;
	t->stop = t->shutdown;
	pthread_mutex_unlock(&t->lock);
	if (join)
		pthread_join(th, NULL);
	return was;
}

static void hrtimer_run(struct shim_timer *core)
{
	struct hrtimer *h = container_of(core, struct hrtimer, core);

	h->next = core->expires;
	if (h->function(h) == HRTIMER_RESTART)
		shim_timer_arm(core, h->next);
}

void hrtimer_init(struct hrtimer *timer, int clock, enum hrtimer_mode mode)
{
	bool hard = (mode & HRTIMER_MODE_HARD) ||
		    (!IS_ENABLED(CONFIG_PREEMPT_RT) &&
		     !(mode & HRTIMER_MODE_SOFT));

	shim_timer_init(&timer->core, hard ? SHIM_CTX_HARDIRQ :
			SHIM_CTX_SOFTIRQ, hrtimer_run);
	timer->function = NULL;
}

void hrtimer_start(struct hrtimer *timer, ktime_t tim, enum hrtimer_mode mode)
{
	u64 expires = tim;

	if (mode & HRTIMER_MODE_REL)
		expires += ktime_get_ns();
	shim_timer_arm(&timer->core, expires);
}

int hrtimer_cancel(struct hrtimer *timer)
{
	return shim_timer_cancel_sync(&timer->core, false);
}

u64 hrtimer_forward_now(struct hrtimer *timer, ktime_t interval)
{
	timer->next = ktime_get_ns() + interval;
	return 1;
}

static void timer_list_run(struct shim_timer *core)
{
	struct timer_list *t = container_of(core, struct timer_list, core);

	t->function(t);
}

void timer_setup(struct timer_list *timer,
		 void (*fn)(struct timer_list *t), unsigned int flags)
{
	shim_timer_init(&timer->core, SHIM_CTX_SOFTIRQ, timer_list_run);
	timer->function = fn;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	timer->expires = expires;
	return shim_timer_arm(&timer->core, (u64)expires * NSEC_PER_MSEC);
}

int timer_shutdown_sync(struct timer_list *timer)
{
	return shim_timer_cancel_sync(&timer->core, true);
}

int del_timer_sync(struct timer_list *timer)
{
	return shim_timer_cancel_sync(&timer->core, false);
}

/* ---- work items: one worker thread, in queueing order ---------------- */

#define WORK_PENDING	1UL

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct list_head list;
	struct work_struct *running;
	bool started;
} wq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.list = { &wq.list, &wq.list },
};

static int system_wq_obj;
struct workqueue_struct *system_wq = (struct workqueue_struct *)&system_wq_obj;

static void *worker_thread(void *arg)
{
	struct work_struct *w;

	pthread_mutex_lock(&wq.lock);
	for (;;) {
		while (list_empty(&wq.list))
			pthread_cond_wait(&wq.cond, &wq.lock);
		w = container_of(wq.list.next, struct work_struct, entry);
		list_del_init(&w->entry);
		wq.running = w;
		/* as set_work_pool_and_clear_pending(): clear, then smp_mb() */
		__atomic_and_fetch(&w->data, ~WORK_PENDING, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&wq.lock);
		smp_mb();
		w->func(w);
		pthread_mutex_lock(&wq.lock);
		wq.running = NULL;
		pthread_cond_broadcast(&wq.cond);
	}
	return NULL;
}

/* With wq.lock held and PENDING owned: put @w on the list. */
static void insert_work(struct work_struct *w)
{
	pthread_t th;

	if (!wq.started) {
		wq.started = true;
		if (pthread_create(&th, NULL, worker_thread, NULL))
			abort();
		pthread_detach(th);
	}
	list_add_tail(&w->entry, &wq.list);
	pthread_cond_broadcast(&wq.cond);
}

/* Take PENDING: whoever takes it queues the work (or cancels it). */
static bool grab_pending(struct work_struct *w)
{
	return !(__atomic_fetch_or(&w->data, WORK_PENDING, __ATOMIC_SEQ_CST) &
		 WORK_PENDING);
}

bool queue_work(struct workqueue_struct *q, struct work_struct *work)
{
	bool queued;

	pthread_mutex_lock(&wq.lock);
	queued = grab_pending(work);
	if (queued)
		insert_work(work);
	pthread_mutex_unlock(&wq.lock);
	return queued;
}

bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

static void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dw = container_of(t, struct delayed_work, timer);

	pthread_mutex_lock(&wq.lock);
	insert_work(&dw->work);	/* PENDING was taken when it was armed */
	pthread_mutex_unlock(&wq.lock);
}

void shim_init_delayed_work(struct delayed_work *dw, work_func_t fn)
{
	INIT_WORK(&dw->work, fn);
	timer_setup(&dw->timer, delayed_work_timer_fn, 0);
}

bool queue_delayed_work(struct workqueue_struct *q, struct delayed_work *dw,
			unsigned long delay)
{
	bool queued;

	pthread_mutex_lock(&wq.lock);
	queued = grab_pending(&dw->work);
	if (queued && !delay)
		insert_work(&dw->work);
	pthread_mutex_unlock(&wq.lock);
	if (queued && delay)
		mod_timer(&dw->timer, jiffies + delay);
	return queued;
}

bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay)
{
	return queue_delayed_work(system_wq, dw, delay);
}

/*
 * Holding PENDING, nobody can queue the work again: take it off the list,
 * wait for a running one, then let go of PENDING.
 */
static bool cancel_pending_work(struct work_struct *w, bool grabbed)
{
	bool was = !grabbed;

	pthread_mutex_lock(&wq.lock);
	if (!list_empty(&w->entry)) {
		list_del_init(&w->entry);
		was = true;
	}
	while (wq.running == w)
		pthread_cond_wait(&wq.cond, &wq.lock);
	__atomic_and_fetch(&w->data, ~WORK_PENDING, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&wq.lock);
	return was;
}

bool cancel_work_sync(struct work_struct *work)
{
	bool grabbed;

	might_sleep();
	pthread_mutex_lock(&wq.lock);
	grabbed = grab_pending(work);
	pthread_mutex_unlock(&wq.lock);
	return cancel_pending_work(work, grabbed);
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	bool grabbed;

	might_sleep();
	pthread_mutex_lock(&wq.lock);
	grabbed = grab_pending(&dw->work);
	pthread_mutex_unlock(&wq.lock);
	del_timer_sync(&dw->timer);	/* it may still queue the work */
	return cancel_pending_work(&dw->work, grabbed);
}

/* ---- irq_work ------------------------------------------------------------- */

/* Under PREEMPT_RT the irq_work thread runs a batch this much later. */
#define SHIM_IRQ_WORK_DELAY_NS	(10 * NSEC_PER_MSEC)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* work to run */
	pthread_cond_t done;	/* a work is no longer BUSY */
	struct irq_work *head, **tail;
	bool started;
} iw = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.tail = &iw.head,
};

/* As the kernel's irq_work_single(). */
static void irq_work_single(struct irq_work *w)
{
	int flags = atomic_read(&w->flags) & ~IRQ_WORK_PENDING;

	/* from here the work may be queued again */
	__atomic_store_n(&w->flags.counter, flags, __ATOMIC_RELEASE);
	smp_mb();	/* see irq_work_claim(): pairs with its fetch_or */
	w->func(w);
	atomic_cmpxchg(&w->flags, flags, flags & ~IRQ_WORK_BUSY);
	/* @w may be freed from here: irq_work_sync() returned */
	pthread_mutex_lock(&iw.lock);
	pthread_cond_broadcast(&iw.done);
	pthread_mutex_unlock(&iw.lock);
}

static void *irq_work_thread(void *arg)
{
	enum shim_ctx ctx = IS_ENABLED(CONFIG_PREEMPT_RT) ? SHIM_CTX_TASK :
			    SHIM_CTX_HARDIRQ;
	struct irq_work *w, *next;

	pthread_mutex_lock(&iw.lock);
	for (;;) {
		while (!iw.head)
			pthread_cond_wait(&iw.cond, &iw.lock);
		w = iw.head;
		iw.head = NULL;
		iw.tail = &iw.head;
		pthread_mutex_unlock(&iw.lock);
		if (IS_ENABLED(CONFIG_PREEMPT_RT))
			sleep_ns(SHIM_IRQ_WORK_DELAY_NS);
		for (; w; w = next) {
			next = w->next;
			shim_ctx_enter(ctx);
			irq_work_single(w);
			shim_ctx_exit(ctx);
		}
		pthread_mutex_lock(&iw.lock);
	}
	return NULL;
}

void shim_irq_work_handoff(struct shim_thread *s)
{
	struct irq_work *w = s->raised;
	pthread_t th;

	if (!w)
		return;
	s->raised = NULL;
	pthread_mutex_lock(&iw.lock);
	if (!iw.started) {
		iw.started = true;
		if (pthread_create(&th, NULL, irq_work_thread, NULL))
			abort();
		pthread_detach(th);
	}
	for (; w; w = w->next) {
		*iw.tail = w;
		iw.tail = &w->next;
	}
	pthread_cond_broadcast(&iw.cond);
	pthread_mutex_unlock(&iw.lock);
}

bool irq_work_queue(struct irq_work *work)
{
	struct shim_thread *s = shim_this();

	/* irq_work_claim(): fully ordered, pairs with irq_work_single() */
	if (atomic_fetch_or(IRQ_WORK_CLAIMED, &work->flags) & IRQ_WORK_PENDING)
		return false;
	work->next = s->raised;
	s->raised = work;
	if (!__atomic_load_n(&s->depth, __ATOMIC_RELAXED))
		shim_irq_work_handoff(s);
	return true;
}

void irq_work_sync(struct irq_work *work)
{
	might_sleep();
	pthread_mutex_lock(&iw.lock);
	while (irq_work_is_busy(work))
		pthread_cond_wait(&iw.done, &iw.lock);
	pthread_mutex_unlock(&iw.lock);
}

/* ---- cross calls ---------------------------------------------------------- */

struct shim_call {
	smp_call_func_t func;
	void *info;
	int cpu;
};

static void *call_thread(void *arg)
{
	struct shim_call c = *(struct shim_call *)arg;
	cpu_set_t set;

	free(arg);
	CPU_ZERO(&set);
	CPU_SET(c.cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	shim_ctx_enter(SHIM_CTX_HARDIRQ);
	c.func(c.info);
	shim_ctx_exit(SHIM_CTX_HARDIRQ);
	return NULL;
}

/* @func runs in a hard IRQ on a thread of its own, bound to @cpu. */
int smp_call_function_single(int cpu, smp_call_func_t func, void *info,
			     int wait)
{
	struct shim_call *c = malloc(sizeof(*c));
	pthread_t th;

	if (!c)
		return -ENOMEM;
	c->func = func;
	c->info = info;
	c->cpu = cpu;
	if (pthread_create(&th, NULL, call_thread, c)) {
		free(c);
		return -EAGAIN;
	}
	if (wait)
		pthread_join(th, NULL);
	else
		pthread_detach(th);
	return 0;
}
