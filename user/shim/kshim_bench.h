/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim_bench.h - the benchmark's half of kshim.h (KSHIM_BENCH): each
 * kernel atomic is the instruction the kernel itself emits on x86-64 (a
 * fully ordered RMW is one seq_cst, lock-prefixed RMW; smp_mb() is "lock
 * addl $0,-4(%rsp)"; acquire and release are compiler-ordered accesses),
 * with no test hook, so the timings are the kernel code's.  Tasks, wait
 * queues, work items and irq_work are stubs: the benchmark registers
 * callback targets only.  bench/user/glue.c defines awb_shim_current,
 * system_wq, schedule() and schedule_timeout().
 */
#ifndef _KSHIM_BENCH_H
#define _KSHIM_BENCH_H

#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define WARN_ON_ONCE(cond)	unlikely(!!(cond))
#define WARN_ON(cond)		unlikely(!!(cond))
#define in_nmi()		0
#define in_task()		1
#define preemptible()		1
#define preempt_disable()	barrier()
#define preempt_enable()	barrier()
#define lockdep_assert_preemption_disabled()	do { } while (0)
#define might_sleep()		do { } while (0)

/* ---- barriers ---------------------------------------------------------- */

#if defined(__x86_64__)
#define smp_mb()	__asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#define smp_rmb()	barrier()
#define smp_wmb()	barrier()
#else
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#define smp_mb__before_atomic()		barrier()
#define smp_mb__after_atomic()		barrier()
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* ---- atomic_long_t: what atomic_waker.c uses ---------------------------- */

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_LONG_INIT(i)	{ (i) }

#define atomic_long_read(v)	READ_ONCE((v)->counter)
#define atomic_long_set(v, i)	WRITE_ONCE((v)->counter, (i))

static inline long atomic_long_xchg(atomic_long_t *v, long i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old,
					   long new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static inline long atomic_long_cmpxchg_relaxed(atomic_long_t *v, long old,
					       long new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return old;
}

/* ---- tasks, wait queues, work, irq_work: stubs -------------------------- */

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_WAKEKILL		0x0100
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))

/* Cache-line aligned, as the kernel allocates it (fork_init()). */
struct task_struct {
	int state;		/* the name bench/user/glue.c uses */
	int usage;
} __aligned(L1_CACHE_BYTES);

extern __thread struct task_struct awb_shim_current;
#define current	(&awb_shim_current)

static inline void set_current_state(int s)
{
	WRITE_ONCE(current->state, s);
	smp_mb();
}

#define __set_current_state(s)	WRITE_ONCE(current->state, (s))

static inline int wake_up_process(struct task_struct *t)
{
	smp_mb();
	return __atomic_exchange_n(&t->state, TASK_RUNNING,
				   __ATOMIC_RELAXED) != TASK_RUNNING;
}

static inline void get_task_struct(struct task_struct *t)
{
	__atomic_fetch_add(&t->usage, 1, __ATOMIC_RELAXED);
}

static inline void put_task_struct(struct task_struct *t)
{
	__atomic_fetch_sub(&t->usage, 1, __ATOMIC_RELEASE);
}

static inline int signal_pending_state(unsigned int state,
				       struct task_struct *t)
{
	return 0;
}

void schedule(void);
long schedule_timeout(long timeout);

struct wait_queue_head {
	int dummy;
};

static inline void __init_waitqueue_head(struct wait_queue_head *wq,
					 const char *name,
					 struct lock_class_key *key)
{
}

static inline void wake_up_all(struct wait_queue_head *wq)
{
}

struct work_struct {
	int dummy;
};

struct workqueue_struct;
extern struct workqueue_struct *system_wq;

static inline bool queue_work(struct workqueue_struct *wq,
			      struct work_struct *w)
{
	return true;
}

struct irq_work {
	void (*func)(struct irq_work *work);
};

static inline void init_irq_work(struct irq_work *work,
				 void (*func)(struct irq_work *))
{
	work->func = func;
}

static inline bool irq_work_queue(struct irq_work *work)
{
	return true;
}

static inline void irq_work_sync(struct irq_work *work)
{
}

#endif /* _KSHIM_BENCH_H */
