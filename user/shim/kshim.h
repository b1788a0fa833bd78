/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim.h - the few kernel APIs atomic_waker.c uses, for user space.
 *
 * Every header under shim/linux/ includes only this file.  The mapping of the
 * Linux-kernel memory model onto C11 (GCC/Clang __atomic builtins):
 *
 *   atomic_read/atomic_set, READ_ONCE/WRITE_ONCE   relaxed load/store
 *   value-returning RMW (fully ordered)            seq_cst fence; seq_cst RMW;
 *                                                  seq_cst fence
 *   try_cmpxchg (full) that succeeds               same as above
 *   try_cmpxchg_acquire / _release that succeeds   acquire / release RMW
 *   any try_cmpxchg that fails                     relaxed load (unordered)
 *   fetch_andnot_release                           release fetch_and(~i)
 *   smp_mb()                                       seq_cst fence
 *   smp_acquire__after_ctrl_dep(), smp_rmb()       acquire fence
 *   smp_wmb()                                      release fence
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
#include <stdint.h>
#include <stdio.h>

/* ---- compiler, types ------------------------------------------------- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define ERESTARTSYS	512

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_DESCRIPTION(s)
#define MODULE_LICENSE(s)
#define MODULE_AUTHOR(s)

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
#define WARN_ON(cond)	WARN_ON_ONCE(cond)

extern __thread bool shim_in_nmi;	/* a test may pretend to be an NMI */
#define in_nmi()	(shim_in_nmi)
#define local_irq_save(flags)	((void)(flags = 0))
#define local_irq_restore(flags)	((void)(flags))
#define lockdep_assert_irqs_disabled()	do { } while (0)
#define INDIRECT_CALL_1(f, f1, ...)	((f)(__VA_ARGS__))
#define might_sleep()	do { } while (0)

/* ---- barriers and atomic_t ------------------------------------------- */

#define smp_mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()			__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()			__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_acquire__after_ctrl_dep()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb__before_atomic()		smp_mb()
#define smp_mb__after_atomic()		smp_mb()

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i)	{ (i) }

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline int atomic_read_acquire(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_set_release(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

/* A fully ordered RMW: smp_mb() on both sides of a seq_cst RMW. */
#define __AW_FULL(expr) ({						\
	__typeof__(expr) __r;						\
	smp_mb();							\
	__r = (expr);							\
	smp_mb();							\
	__r;								\
})

#define __AW_FETCH_OPS(op, builtin, xform)				\
static inline int atomic_fetch_##op(int i, atomic_t *v)			\
{ return __AW_FULL(builtin(&v->counter, xform, __ATOMIC_SEQ_CST)); }	\
static inline int atomic_fetch_##op##_acquire(int i, atomic_t *v)	\
{ return builtin(&v->counter, xform, __ATOMIC_ACQUIRE); }		\
static inline int atomic_fetch_##op##_release(int i, atomic_t *v)	\
{ return builtin(&v->counter, xform, __ATOMIC_RELEASE); }		\
static inline int atomic_fetch_##op##_relaxed(int i, atomic_t *v)	\
{ return builtin(&v->counter, xform, __ATOMIC_RELAXED); }

__AW_FETCH_OPS(add, __atomic_fetch_add, i)
__AW_FETCH_OPS(sub, __atomic_fetch_sub, i)
__AW_FETCH_OPS(or, __atomic_fetch_or, i)
__AW_FETCH_OPS(and, __atomic_fetch_and, i)
__AW_FETCH_OPS(andnot, __atomic_fetch_and, ~i)
__AW_FETCH_OPS(xor, __atomic_fetch_xor, i)

static inline int atomic_xchg(atomic_t *v, int i)
{
	return __AW_FULL(__atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST));
}

static inline int atomic_xchg_relaxed(atomic_t *v, int i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline int atomic_xchg_release(atomic_t *v, int i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_RELEASE);
}

static inline void atomic_inc(atomic_t *v) { atomic_fetch_add_relaxed(1, v); }
static inline void atomic_dec(atomic_t *v) { atomic_fetch_sub_relaxed(1, v); }
static inline void atomic_or(int i, atomic_t *v) { atomic_fetch_or_relaxed(i, v); }
static inline void atomic_andnot(int i, atomic_t *v) { atomic_fetch_andnot_relaxed(i, v); }
static inline int atomic_inc_return(atomic_t *v) { return atomic_fetch_add(1, v) + 1; }
static inline int atomic_dec_return(atomic_t *v) { return atomic_fetch_sub(1, v) - 1; }

/* A failed cmpxchg is unordered in every flavour: relaxed on failure. */
static inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new)
{
	bool ok;

	smp_mb();	/* harmless when it fails: only adds ordering */
	ok = __atomic_compare_exchange_n(&v->counter, old, new, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	if (ok)
		smp_mb();
	return ok;
}

#define __AW_TRY_CMPXCHG(sfx, order)					\
static inline bool atomic_try_cmpxchg##sfx(atomic_t *v, int *old, int new) \
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false, \
					   order, __ATOMIC_RELAXED);	\
}
__AW_TRY_CMPXCHG(_acquire, __ATOMIC_ACQUIRE)
__AW_TRY_CMPXCHG(_release, __ATOMIC_RELEASE)
__AW_TRY_CMPXCHG(_relaxed, __ATOMIC_RELAXED)

static inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	atomic_try_cmpxchg(v, &old, new);
	return old;
}

/* ---- tasks ------------------------------------------------------------ */

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_WAKEKILL		0x0100
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)

#define HZ			1000	/* a jiffy is a millisecond here */
#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))

struct task_struct {
	int usage;		/* refcount; the owner holds 1 */
	int __state;		/* TASK_* */
	int sigpending;		/* a test sets it to fake a signal */
	int wakeups;		/* wake_up_process() calls that woke it */
	int timeouts;		/* schedule_timeout() calls that timed out */
	int hangs;		/* schedule() calls that gave up */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *comm;
};

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
long schedule_timeout(long timeout);

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
