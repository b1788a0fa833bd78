/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim_sched.h - contexts, tasks, kthreads, signals, locks, wait queues,
 * completions and RCU on pthreads (the test build of kshim.h).
 *
 * Contexts.  Each thread has the counts the kernel keeps in preempt_count()
 * and the IRQ flag: preempt_disable() and held spinlocks, serving a softirq,
 * a hard IRQ, IRQs off (local_irq_save()), NMI, rcu_read_lock().  A
 * "hard IRQ" is a shim thread that runs its handler with in_hardirq() true,
 * IRQs off and preemption counted off (hard hrtimers, irq_work on !RT,
 * smp_call_function_single()); a softirq is one with in_serving_softirq()
 * true (timer_list, soft hrtimers), not preemptible except under
 * CONFIG_PREEMPT_RT, where softirqs run in task context.  preemptible(),
 * in_task(), irqs_disabled() and friends read these counts.  Any count but
 * rcu_read_lock()'s makes an RCU read-side critical section too, as in the
 * kernel; synchronize_rcu() waits until every thread that was in one has
 * left it.  might_sleep(), schedule() and, under CONFIG_PREEMPT_RT, a
 * spinlock_t (a sleeping lock there) report a call from atomic context as
 * the kernel does ("BUG: sleeping function called from invalid context").
 *
 * Tasks: a task_struct is a refcount, a state word and a mutex/condvar
 * "park" token.  set_current_state() stores the state then smp_mb();
 * wake_up_process() runs smp_mb(), then under the task's lock sets a
 * sleeping task TASK_RUNNING and signals it; schedule() and
 * schedule_timeout() block while the state is not TASK_RUNNING.  Every
 * sleep is bounded: schedule() gives up after shim_hang_ms and reports a
 * hang.  A task made by kthread_create() is a pthread, freed when its last
 * reference goes; any other thread gets a task of its own on first use of
 * current.  A jiffy is a millisecond (HZ is 1000).
 */
#ifndef _KSHIM_SCHED_H
#define _KSHIM_SCHED_H

#include <signal.h>

/* ---- per-thread context ------------------------------------------------ */

struct irq_work;
struct task_struct;

struct shim_thread {
	int preempt;	/* preempt_disable(), spinlocks (raw ones under RT) */
	int softirq;	/* serving a softirq */
	int hardirq;	/* in a hard IRQ handler */
	int irqs_off;	/* local_irq_save() depth */
	int nmi;	/* a test pretends to be an NMI */
	int rcu;	/* rcu_read_lock() depth */
	int migrate;	/* migrate_disable() depth */
	int depth;	/* all but migrate: an RCU read side when > 0 */
	unsigned long qs;	/* bumped each time depth drops to 0 */
	struct irq_work *raised;	/* irq_work queued here, not yet run */
	struct task_struct *task;	/* current */
	bool owns_task;		/* made for this thread, put when it exits */
	bool dead;
	struct shim_thread *next;
};

extern __thread struct shim_thread *shim_self;
struct shim_thread *shim_thread_init(void);

static inline struct shim_thread *shim_this(void)
{
	return shim_self ? shim_self : shim_thread_init();
}

static inline void shim_enter(struct shim_thread *s, int *count)
{
	(*count)++;
	__atomic_add_fetch(&s->depth, 1, __ATOMIC_SEQ_CST);
}

void shim_quiescent(struct shim_thread *s);

static inline void shim_leave(struct shim_thread *s, int *count)
{
	if (unlikely(*count <= 0)) {
		shim_report("BUG: context count underflow");
		return;
	}
	(*count)--;
	if (!__atomic_sub_fetch(&s->depth, 1, __ATOMIC_RELEASE))
		shim_quiescent(s);
}

#define in_nmi()		(shim_this()->nmi > 0)
#define in_hardirq()		(shim_this()->hardirq > 0)
#define in_serving_softirq()	(shim_this()->softirq > 0)
#define in_task()		(!in_nmi() && !in_hardirq() && !in_serving_softirq())
#define irqs_disabled()		(shim_this()->irqs_off > 0 || in_hardirq() || in_nmi())

static inline bool preemptible(void)
{
	struct shim_thread *s = shim_this();

	if (s->preempt || s->hardirq || s->irqs_off || s->nmi)
		return false;
	/* Under PREEMPT_RT a softirq runs in a preemptible task. */
	return IS_ENABLED(CONFIG_PREEMPT_RT) || !s->softirq;
}

#define preempt_count()		(!preemptible())

#define preempt_disable() do {						\
	struct shim_thread *__s = shim_this();				\
	shim_enter(__s, &__s->preempt);					\
	barrier();							\
} while (0)
#define preempt_enable() do {						\
	struct shim_thread *__s = shim_this();				\
	barrier();							\
	shim_leave(__s, &__s->preempt);					\
} while (0)
#define lockdep_assert_preemption_disabled()				\
	WARN_ON_ONCE(preemptible())

#define local_irq_save(flags) do {					\
	struct shim_thread *__s = shim_this();				\
	(flags) = 0;							\
	shim_enter(__s, &__s->irqs_off);				\
	barrier();							\
} while (0)
#define local_irq_restore(flags) do {					\
	struct shim_thread *__s = shim_this();				\
	(void)(flags);							\
	barrier();							\
	shim_leave(__s, &__s->irqs_off);				\
} while (0)
#define local_irq_disable()	do { unsigned long __f; local_irq_save(__f); } while (0)
#define local_irq_enable()	local_irq_restore(0)

static inline void rcu_read_lock(void)
{
	struct shim_thread *s = shim_this();

	shim_enter(s, &s->rcu);
}

static inline void rcu_read_unlock(void)
{
	struct shim_thread *s = shim_this();

	shim_leave(s, &s->rcu);
}

void synchronize_rcu(void);
/* There is no call_rcu() here: nothing to wait for. */
static inline void rcu_barrier(void)
{
}

/* Runs @fn(@arg) with this thread in a hard IRQ (or softirq, task) context. */
enum shim_ctx { SHIM_CTX_TASK, SHIM_CTX_SOFTIRQ, SHIM_CTX_HARDIRQ };
void shim_ctx_enter(enum shim_ctx ctx);
void shim_ctx_exit(enum shim_ctx ctx);

/* "BUG: sleeping function called from invalid context", as the kernel. */
void __shim_might_sleep(const char *file, int line, const char *what);
#define might_sleep()	__shim_might_sleep(__FILE__, __LINE__, "might_sleep")

/* ---- CPUs -------------------------------------------------------------- */

struct cpumask {
	unsigned long bits;
};

extern const struct cpumask *cpu_online_mask;
extern unsigned int nr_cpu_ids;
unsigned int num_online_cpus(void);
const struct cpumask *cpumask_of(unsigned int cpu);
unsigned int cpumask_next(int n, const struct cpumask *m);
#define cpumask_first(m)	cpumask_next(-1, (m))
unsigned int cpumask_any_but(const struct cpumask *m, unsigned int cpu);
int smp_processor_id(void);
int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *m);
void migrate_disable(void);
void migrate_enable(void);

/* ---- locks ------------------------------------------------------------- */

typedef struct raw_spinlock {
	pthread_mutex_t m;
} raw_spinlock_t;

/* A raw spinlock everywhere but under PREEMPT_RT, where it may sleep. */
typedef struct spinlock {
	pthread_mutex_t m;
} spinlock_t;

#define __SHIM_LOCK_UNLOCKED	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __SHIM_LOCK_UNLOCKED
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SHIM_LOCK_UNLOCKED
#define raw_spin_lock_init(l)	pthread_mutex_init(&(l)->m, NULL)
#define spin_lock_init(l)	pthread_mutex_init(&(l)->m, NULL)

#define raw_spin_lock(l) do {						\
	preempt_disable();						\
	pthread_mutex_lock(&(l)->m);					\
} while (0)
#define raw_spin_unlock(l) do {						\
	pthread_mutex_unlock(&(l)->m);					\
	preempt_enable();						\
} while (0)
#define raw_spin_lock_irqsave(l, flags) do {				\
	local_irq_save(flags);						\
	raw_spin_lock(l);						\
} while (0)
#define raw_spin_unlock_irqrestore(l, flags) do {			\
	raw_spin_unlock(l);						\
	local_irq_restore(flags);					\
} while (0)

#ifdef CONFIG_PREEMPT_RT
#define spin_lock(l) do {						\
	__shim_might_sleep(__FILE__, __LINE__, "spin_lock (PREEMPT_RT)"); \
	rcu_read_lock();						\
	pthread_mutex_lock(&(l)->m);					\
} while (0)
#define spin_unlock(l) do {						\
	pthread_mutex_unlock(&(l)->m);					\
	rcu_read_unlock();						\
} while (0)
#define spin_lock_irqsave(l, flags)	do { (flags) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { (void)(flags); spin_unlock(l); } while (0)
#else
#define spin_lock(l)			raw_spin_lock(l)
#define spin_unlock(l)			raw_spin_unlock(l)
#define spin_lock_irqsave(l, f)		raw_spin_lock_irqsave(l, f)
#define spin_unlock_irqrestore(l, f)	raw_spin_unlock_irqrestore(l, f)
#endif

/* ---- memory ------------------------------------------------------------ */

#define GFP_KERNEL	0U
#define GFP_ATOMIC	1U

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return malloc(size);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return calloc(1, size);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return calloc(n, size);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline long strscpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (n == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = 0;
		return -E2BIG;
	}
	memcpy(dst, src, n + 1);
	return n;
}

#define scnprintf(buf, size, fmt, ...) ({				\
	int __n = snprintf((buf), (size), fmt, ##__VA_ARGS__);		\
	__n < (int)(size) ? __n : (int)(size) - 1;			\
})

/* ---- random numbers ----------------------------------------------------- */

u32 get_random_u32(void);

static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}

struct rnd_state {
	u64 s;
};

static inline void prandom_seed_state(struct rnd_state *state, u64 seed)
{
	state->s = seed ? seed : 1;
}

/* xorshift64*: reproducible, not the kernel's sequence */
static inline u32 prandom_u32_state(struct rnd_state *state)
{
	u64 x = state->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state->s = x;
	return (u32)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

/* ---- tasks ------------------------------------------------------------- */

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_WAKEKILL		0x0100
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define MAX_SCHEDULE_TIMEOUT	LONG_MAX
#define CONFIG_SMP		1
#define CONFIG_PREEMPT_COUNT	1

struct shim_kthread;

/*
 * Cache-line aligned, as the kernel allocates it (fork_init()): a target
 * word keeps its kind in the three low bits of a task pointer.
 */
struct task_struct {
	refcount_t usage;
	unsigned int __state;
	int on_cpu;		/* 0 while parked in schedule() */
	char comm[16];
	unsigned long sig_pending;	/* bit n: signal n */
	unsigned long sig_allowed;	/* allow_signal(), as kthreads need */
	int wakeups;		/* wake_up_process() calls that woke it */
	int wakes_in_rcu;	/* ... made from an RCU read-side section */
	int timeouts;		/* schedule_timeout() calls that timed out */
	int hangs;		/* schedule() calls that gave up */
	pthread_mutex_t pi_lock;
	pthread_cond_t park;
	struct shim_kthread *kthread;	/* NULL: not made by kthread_create() */
} __aligned(L1_CACHE_BYTES);

struct task_struct *shim_get_current(void);
#define current	(shim_get_current())

extern long shim_hang_ms;	/* schedule() gives up after this long */

static inline void get_task_struct(struct task_struct *t)
{
	refcount_inc(&t->usage);
}

void put_task_struct(struct task_struct *t);

#define __set_current_state(s)	WRITE_ONCE(current->__state, (s))
#define set_current_state(s)	do {					\
		WRITE_ONCE(current->__state, (s));			\
		smp_mb();						\
	} while (0)

int wake_up_process(struct task_struct *t);
int wake_up_state(struct task_struct *t, unsigned int state);
void schedule(void);
long schedule_timeout(long timeout);
void cond_resched(void);

/* Signals, for kthreads that allow them. */
void allow_signal(int sig);
int send_sig(int sig, struct task_struct *p, int priv);

static inline bool signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->sig_pending);
}

static inline bool fatal_signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->sig_pending) & BIT(SIGKILL);
}

static inline int signal_pending_state(unsigned int state,
				       struct task_struct *p)
{
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return 0;
	if (!signal_pending(p))
		return 0;
	return (state & TASK_INTERRUPTIBLE) || fatal_signal_pending(p);
}

/* ---- completions --------------------------------------------------------- */

struct completion {
	unsigned int done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout);
void wait_for_completion(struct completion *x);
bool completion_done(struct completion *x);

/* ---- kthreads ------------------------------------------------------------ */

struct task_struct *kthread_create(int (*fn)(void *data), void *data,
				   const char *namefmt, ...) __printf(3, 4);
void kthread_bind(struct task_struct *t, unsigned int cpu);
int kthread_stop(struct task_struct *t);
int kthread_stop_put(struct task_struct *t);
bool kthread_should_stop(void);

/* ---- lists and wait queues ----------------------------------------------- */

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	WRITE_ONCE(list->prev, list);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	struct list_head *prev = head->prev;

	new->next = head;
	new->prev = prev;
	WRITE_ONCE(head->prev, new);
	WRITE_ONCE(prev->next, new);
}

static inline void list_del_init(struct list_head *entry)
{
	WRITE_ONCE(entry->prev->next, entry->next);
	WRITE_ONCE(entry->next->prev, entry->prev);
	INIT_LIST_HEAD(entry);
}

static inline bool list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry,
				 unsigned int mode, int flags, void *key);

struct wait_queue_entry {
	unsigned int flags;
	void *private;
	wait_queue_func_t func;
	struct list_head entry;
};

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name,
			   struct lock_class_key *key);
#define init_waitqueue_head(wq) do {					\
	static struct lock_class_key __key;				\
									\
	__init_waitqueue_head((wq), #wq, &__key);			\
} while (0)

int default_wake_function(struct wait_queue_entry *wq_entry,
			  unsigned int mode, int flags, void *key);
int autoremove_wake_function(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int flags, void *key);

static inline void init_waitqueue_func_entry(struct wait_queue_entry *wqe,
					     wait_queue_func_t func)
{
	wqe->flags = 0;
	wqe->private = NULL;
	wqe->func = func;
	INIT_LIST_HEAD(&wqe->entry);
}

void init_wait_entry(struct wait_queue_entry *wqe, int flags);
void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wqe);
void remove_wait_queue(struct wait_queue_head *wq,
		       struct wait_queue_entry *wqe);
long prepare_to_wait_event(struct wait_queue_head *wq,
			   struct wait_queue_entry *wqe, int state);
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe);
void __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr,
	       void *key);
#define wake_up(wq)		__wake_up((wq), TASK_NORMAL, 1, NULL)
#define wake_up_all(wq)		__wake_up((wq), TASK_NORMAL, 0, NULL)

static inline bool waitqueue_active(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}

static inline bool wq_has_sleeper(struct wait_queue_head *wq)
{
	smp_mb();	/* as the kernel's: pairs with the waiter's barrier */
	return waitqueue_active(wq);
}

#define ___wait_cond_timeout(condition)					\
({									\
	bool __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

#define __shim_wait_event_timeout(wq, condition, timeout) ({		\
	long __ret = (timeout);						\
	struct wait_queue_entry __wqe;					\
									\
	init_wait_entry(&__wqe, 0);					\
	for (;;) {							\
		prepare_to_wait_event(&(wq), &__wqe,			\
				      TASK_UNINTERRUPTIBLE);		\
		if (___wait_cond_timeout(condition))			\
			break;						\
		__ret = schedule_timeout(__ret);			\
	}								\
	finish_wait(&(wq), &__wqe);					\
	__ret;								\
})

#define wait_event_timeout(wq, condition, timeout) ({			\
	long __ret = (timeout);						\
									\
	might_sleep();							\
	if (!___wait_cond_timeout(condition))				\
		__ret = __shim_wait_event_timeout(wq, condition,	\
						  timeout);		\
	__ret;								\
})

/* wait_var_event(): one queue for every variable; wakeups are broadcast. */
extern struct wait_queue_head shim_var_wq;
#define wait_var_event_timeout(var, condition, timeout)			\
	((void)(var), wait_event_timeout(shim_var_wq, condition, timeout))
#define wake_up_var(var)	((void)(var), wake_up_all(&shim_var_wq))

#endif /* _KSHIM_SCHED_H */
