/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim_time.h - time, timers, work items and irq_work on pthreads (the
 * test build of kshim.h).
 *
 * A timer (hrtimer, timer_list, the timer of a delayed_work) owns a thread
 * while it is armed: it sleeps until the expiry, then runs the callback in
 * the timer's context: a hard IRQ for HRTIMER_MODE_*_HARD (and plain modes
 * on !PREEMPT_RT), a softirq for HRTIMER_MODE_*_SOFT and timer_list.  A
 * callback may re-arm its timer (HRTIMER_RESTART, mod_timer()).
 * hrtimer_cancel() and timer_shutdown_sync() wait for a running callback.
 *
 * Work items run in task context on one worker thread (system_wq), in the
 * order queued; cancel_work_sync() waits for a running one.
 *
 * irq_work: irq_work_queue() claims the work as the kernel does (PENDING and
 * BUSY, one fully ordered fetch_or) and puts it on the queuing thread's
 * list, which is handed to the irq_work thread once that thread leaves its
 * atomic context (as the work waits for the IPI, or, under PREEMPT_RT, for
 * the per-CPU irq_work kthread that cannot run before the queuing CPU
 * re-enables preemption).  The irq_work thread runs each work as
 * irq_work_single() does (clear PENDING, smp_mb(), func, clear BUSY): in a
 * hard IRQ on !PREEMPT_RT; in task context, preemptible, and after a short
 * delay under PREEMPT_RT, so that a free that does not wait for it in
 * irq_work_sync() is caught by ASan.
 */
#ifndef _KSHIM_TIME_H
#define _KSHIM_TIME_H

/* ---- time ---------------------------------------------------------------- */

#define HZ		1000
#define NSEC_PER_USEC	1000L
#define NSEC_PER_MSEC	1000000L
#define NSEC_PER_SEC	1000000000L
#define USEC_PER_MSEC	1000L

typedef s64 ktime_t;

u64 ktime_get_ns(void);
#define jiffies		((unsigned long)(ktime_get_ns() / NSEC_PER_MSEC))
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)

static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return m;
}

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return j;
}

static inline ktime_t ns_to_ktime(u64 ns)
{
	return ns;
}

static inline ktime_t ms_to_ktime(u64 ms)
{
	return ms * NSEC_PER_MSEC;
}

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

void usleep_range(unsigned long min, unsigned long max);
void msleep(unsigned int msecs);
void udelay(unsigned long usecs);

/* ---- timers -------------------------------------------------------------- */

struct shim_timer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool live;		/* the thread runs */
	bool joinable;		/* a thread ran and was not joined */
	bool pending;		/* armed */
	bool stop;		/* being cancelled, or shut down */
	bool shutdown;		/* never again (timer_shutdown_sync()) */
	u64 expires;		/* ktime_get_ns() */
	enum shim_ctx ctx;
	void (*run)(struct shim_timer *t);	/* may re-arm */
};

void shim_timer_init(struct shim_timer *t, enum shim_ctx ctx,
		     void (*run)(struct shim_timer *t));
bool shim_timer_arm(struct shim_timer *t, u64 expires);
bool shim_timer_cancel_sync(struct shim_timer *t, bool shutdown);

enum hrtimer_restart { HRTIMER_NORESTART, HRTIMER_RESTART };
enum hrtimer_mode {
	HRTIMER_MODE_ABS	= 0x00,
	HRTIMER_MODE_REL	= 0x01,
	HRTIMER_MODE_SOFT	= 0x04,
	HRTIMER_MODE_HARD	= 0x08,
	HRTIMER_MODE_REL_SOFT	= HRTIMER_MODE_REL | HRTIMER_MODE_SOFT,
	HRTIMER_MODE_REL_HARD	= HRTIMER_MODE_REL | HRTIMER_MODE_HARD,
};

struct hrtimer {
	struct shim_timer core;
	enum hrtimer_restart (*function)(struct hrtimer *t);
	u64 next;		/* set by hrtimer_forward_now() */
};

void hrtimer_init(struct hrtimer *timer, int clock, enum hrtimer_mode mode);
void hrtimer_start(struct hrtimer *timer, ktime_t tim, enum hrtimer_mode mode);
int hrtimer_cancel(struct hrtimer *timer);
u64 hrtimer_forward_now(struct hrtimer *timer, ktime_t interval);

struct timer_list {
	struct shim_timer core;
	void (*function)(struct timer_list *t);
	unsigned long expires;
};

void timer_setup(struct timer_list *timer,
		 void (*fn)(struct timer_list *t), unsigned int flags);
int mod_timer(struct timer_list *timer, unsigned long expires);
int timer_shutdown_sync(struct timer_list *timer);
int del_timer_sync(struct timer_list *timer);
#define from_timer(var, callback_timer, timer_fieldname)		\
	container_of(callback_timer, __typeof__(*var), timer_fieldname)

/* ---- work items ------------------------------------------------------------ */

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	unsigned long data;	/* bit 0: pending */
	struct list_head entry;
	work_func_t func;
	int canceling;
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
};

struct workqueue_struct;
extern struct workqueue_struct *system_wq;

#define INIT_WORK(w, f) do {						\
	(w)->data = 0;							\
	INIT_LIST_HEAD(&(w)->entry);					\
	(w)->func = (f);						\
	(w)->canceling = 0;						\
} while (0)
void shim_init_delayed_work(struct delayed_work *dw, work_func_t fn);
#define INIT_DELAYED_WORK(dw, f)	shim_init_delayed_work((dw), (f))

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool schedule_work(struct work_struct *work);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay);
bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay);
bool cancel_work_sync(struct work_struct *work);
bool cancel_delayed_work_sync(struct delayed_work *dw);
#define work_pending(w)	(__atomic_load_n(&(w)->data, __ATOMIC_RELAXED) & 1)
#define to_delayed_work(w)	container_of(w, struct delayed_work, work)

/* ---- irq_work ---------------------------------------------------------------- */

#define IRQ_WORK_PENDING	BIT(0)
#define IRQ_WORK_BUSY		BIT(1)
#define IRQ_WORK_CLAIMED	(IRQ_WORK_PENDING | IRQ_WORK_BUSY)

struct irq_work {
	atomic_t flags;
	struct irq_work *next;
	void (*func)(struct irq_work *work);
};

static inline void init_irq_work(struct irq_work *work,
				 void (*func)(struct irq_work *))
{
	atomic_set(&work->flags, 0);
	work->next = NULL;
	work->func = func;
}

bool irq_work_queue(struct irq_work *work);
/* Hand the irq_work queued on @s to the irq_work thread. */
void shim_irq_work_handoff(struct shim_thread *s);
void irq_work_sync(struct irq_work *work);

static inline bool irq_work_is_pending(struct irq_work *work)
{
	return atomic_read(&work->flags) & IRQ_WORK_PENDING;
}

static inline bool irq_work_is_busy(struct irq_work *work)
{
	return atomic_read_acquire(&work->flags) & IRQ_WORK_BUSY;
}

/* ---- cross calls --------------------------------------------------------------- */

typedef void (*smp_call_func_t)(void *info);
int smp_call_function_single(int cpu, smp_call_func_t func, void *info,
			     int wait);

#endif /* _KSHIM_TIME_H */
