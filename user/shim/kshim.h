/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim.h - the few kernel APIs atomic_waker.c uses, for user space.
 *
 * Every header under shim/linux/ includes only this file.  The mapping of the
 * Linux-kernel memory model onto C11 (GCC/Clang __atomic builtins, which
 * ThreadSanitizer sees as atomics):
 *
 *   atomic_long_read/_set, READ_ONCE/WRITE_ONCE    relaxed load/store
 *   atomic_long_xchg (fully ordered)               seq_cst fence; seq_cst RMW;
 *                                                  seq_cst fence
 *   atomic_long_try_cmpxchg (full) that succeeds   same as above
 *   _release / _relaxed RMWs                       release / relaxed RMW
 *   any cmpxchg that fails                         relaxed load (unordered)
 *   smp_mb()                                       seq_cst fence
 *
 * The _release and _relaxed flavours atomic_waker.c does not use are here
 * for mutants.sh, whose ordering mutants weaken (A) and (B) to them.
 *
 * atomic_long_read() calls the thread's shim_after_read hook, if a test set
 * one: a deterministic way to run another CPU's call between a load of the
 * slot and the RMW that follows it.
 *
 * Preemption is a per-thread counter: preempt_disable() raises it,
 * lockdep_assert_preemption_disabled() warns when it is 0, and
 * wake_up_process() counts the wakes it does with it raised (see
 * task_struct.wakes_preempt_off); wake_up_all() warns when called with it
 * raised, as a PREEMPT_RT wait queue lock would (it sleeps).
 *
 * Tasks: a task_struct is a refcount, a state word and a mutex/condvar
 * "park" token.  set_current_state() stores the state then smp_mb();
 * wake_up_process() runs smp_mb(), then under the task's mutex sets a
 * sleeping task TASK_RUNNING and signals it; schedule() and
 * schedule_timeout() block while the state is not TASK_RUNNING.  Every sleep
 * is bounded: schedule() gives up after shim_hang_ms and records a hang.
 */
#ifndef _KSHIM_H
#define _KSHIM_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- compiler, types ------------------------------------------------- */

#define unlikely(x)	__builtin_expect(!!(x), 0)
#define barrier()	__asm__ __volatile__("" ::: "memory")
#define __aligned(x)	__attribute__((__aligned__(x)))
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has one */
#define __always_inline	inline __attribute__((__always_inline__))
#endif

/* As the kernel's: the message is optional. */
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)

#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define L1_CACHE_BYTES	64

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define ERESTARTSYS	512

#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_DESCRIPTION(s)
#define MODULE_LICENSE(s)

/* ---- diagnostics ------------------------------------------------------ */

extern int shim_warnings;	/* WARN_ON_ONCE() hits, all sites together */
extern bool shim_warn_quiet;	/* a test that expects warnings: no print */

#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	bool __c = !!(cond);						\
	if (unlikely(__c)) {						\
		__atomic_fetch_add(&shim_warnings, 1, __ATOMIC_RELAXED); \
		if (!shim_warn_quiet &&					\
		    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
			fprintf(stderr, "WARNING: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);		\
	}								\
	__c;								\
})

extern __thread bool shim_in_nmi;	/* a test may pretend to be an NMI */
#define in_nmi()	(shim_in_nmi)
#define might_sleep()	do { } while (0)

/* ---- preemption: a per-thread count ----------------------------------- */

extern __thread int shim_preempt_count;

#define preempt_disable() do {						\
	shim_preempt_count++;						\
	barrier();							\
} while (0)
#define preempt_enable() do {						\
	barrier();							\
	WARN_ON_ONCE(--shim_preempt_count < 0);				\
} while (0)
#define lockdep_assert_preemption_disabled()				\
	WARN_ON_ONCE(shim_preempt_count <= 0)

/* ---- barriers and atomic_long_t --------------------------------------- */

#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_LONG_INIT(i)	{ (i) }

/*
 * A test's interleaving: if set, called on this thread right after each
 * atomic_long_read(), as if another CPU ran between that load and what the
 * caller does with the value (a register() after finish_wait()'s peek, say).
 * It is cleared while it runs, so what it calls reads plainly.
 */
extern __thread void (*shim_after_read)(const atomic_long_t *v);

static inline long atomic_long_read(const atomic_long_t *v)
{
	long r = __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
	void (*hook)(const atomic_long_t *v) = shim_after_read;

	if (unlikely(hook)) {
		shim_after_read = NULL;
		hook(v);
		shim_after_read = hook;
	}
	return r;
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

/* A fully ordered RMW: smp_mb() on both sides of a seq_cst RMW. */
static inline long atomic_long_xchg(atomic_long_t *v, long i)
{
	long r;

	smp_mb();
	r = __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);
	smp_mb();
	return r;
}

static inline long atomic_long_xchg_relaxed(atomic_long_t *v, long i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_RELAXED);
}

/*
 * A failed cmpxchg is unordered in every flavour: relaxed on failure.  It
 * still writes what it read to *@old, as the kernel's does.
 */
static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old,
					   long new)
{
	bool ok;

	smp_mb();	/* harmless when it fails: only adds ordering */
	ok = __atomic_compare_exchange_n(&v->counter, old, new, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	if (ok)
		smp_mb();
	return ok;
}

static inline bool atomic_long_try_cmpxchg_release(atomic_long_t *v,
						   long *old, long new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static inline long atomic_long_cmpxchg_relaxed(atomic_long_t *v, long old,
					       long new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return old;
}

/* ---- tasks ------------------------------------------------------------ */

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_WAKEKILL		0x0100
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)

/*
 * Cache-line aligned, as the kernel allocates it (fork_init()): the waker
 * word keeps its kind in the three low bits of a task pointer.
 */
struct task_struct {
	int usage;		/* refcount; the owner holds 1 */
	int __state;		/* TASK_* */
	int sigpending;		/* a test sets it to fake a signal */
	int wakeups;		/* wake_up_process() calls that woke it */
	int wakes_preempt_off;	/* wake_up_process() calls, preemption off */
	int timeouts;		/* schedule_timeout() calls that timed out */
	int hangs;		/* schedule() calls that gave up */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *comm;
} __attribute__((__aligned__(L1_CACHE_BYTES)));

void shim_task_init(struct task_struct *t, const char *comm);
void shim_task_destroy(struct task_struct *t);
void shim_set_current(struct task_struct *t);	/* NULL: a private task */
struct task_struct *shim_get_current(void);
#define current	(shim_get_current())

extern long shim_hang_ms;	/* schedule() gives up after this long */
/* Called, under the task's lock, when schedule_timeout() times out. */
extern void (*shim_timeout_hook)(struct task_struct *t);

static inline void get_task_struct(struct task_struct *t)
{
	__atomic_fetch_add(&t->usage, 1, __ATOMIC_RELAXED);
}

void put_task_struct(struct task_struct *t);	/* reports an underflow */

#define __set_current_state(s)	WRITE_ONCE(current->__state, (s))
#define set_current_state(s)	do {					\
		WRITE_ONCE(current->__state, (s));			\
		smp_mb();						\
	} while (0)

int wake_up_process(struct task_struct *t);
void schedule(void);
long schedule_timeout(long timeout);	/* a jiffy is a millisecond here */

static inline int signal_pending_state(unsigned int state,
				       struct task_struct *p)
{
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return 0;
	return READ_ONCE(p->sigpending);
}

/* ---- wait queues ------------------------------------------------------ */

struct wait_queue_head {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long gen;	/* bumped by every wake_up_all() */
};
typedef struct wait_queue_head wait_queue_head_t;

void init_waitqueue_head(struct wait_queue_head *wq);
void wake_up_all(struct wait_queue_head *wq);
unsigned long shim_wq_gen(struct wait_queue_head *wq);

#define ___wait_cond_timeout(condition)					\
({									\
	bool __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

/* ---- work items: queue_work() runs the function at once ------------- */

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct {
	int pending;
	work_func_t func;
};
struct workqueue_struct;
extern struct workqueue_struct *system_wq;

#define INIT_WORK(w, f)	do { (w)->pending = 0; (w)->func = (f); } while (0)
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);

#endif /* _KSHIM_H */
