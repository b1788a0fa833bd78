/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim.h - the kernel API that atomic_waker.c and its KUnit tests use, for
 * user space.  One shim, two uses:
 *
 *  - the tests (user/Makefile): ../atomic_waker.c, unmodified, and the
 *    KUnit cases of ../kunit/, unmodified, run on pthreads under plain,
 *    ThreadSanitizer and ASan+UBSan builds, with and without
 *    CONFIG_PREEMPT_RT.  Every kernel call is checked where it can be
 *    (context, sleeping in atomic context, reference underflow).
 *  - the benchmark (bench/user): the include path puts bench/kshim_config.h
 *    first, which defines KSHIM_BENCH: the atomics are then the
 *    instructions the kernel emits on x86-64 and the rest are stubs, all in
 *    this header (bench/user/glue.c defines the few symbols it needs).
 *
 * Every header under linux/ (and kunit/test.h) includes only this file.
 *
 * The memory model, in the test build: the Linux-kernel memory model onto
 * C11 (GCC/Clang __atomic builtins, which ThreadSanitizer sees as atomics):
 *
 *   READ_ONCE/WRITE_ONCE, atomic_*_read/_set       relaxed load/store
 *   fully ordered RMW (xchg, value-returning ops)  seq_cst fence; seq_cst
 *                                                  RMW; seq_cst fence
 *   cmpxchg (full) that succeeds                   same as above
 *   _acquire/_release/_relaxed RMWs                acquire/release/relaxed
 *   any cmpxchg that fails                         relaxed load (unordered)
 *   non-returning RMW (atomic_inc)                 relaxed RMW
 *   smp_mb()                                       seq_cst fence
 *
 * In the benchmark build a fully ordered RMW is one seq_cst (lock-prefixed)
 * RMW and smp_mb() is "lock addl $0,-4(%rsp)", as the kernel's x86-64 code.
 *
 * The rest (tasks, contexts, wait queues, timers, work, irq_work, RCU) is
 * described in kshim_sched.h and kshim_time.h.
 */
#ifndef _KSHIM_H
#define _KSHIM_H

#include <kshim_config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- compiler, types -------------------------------------------------- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define barrier()	__asm__ __volatile__("" ::: "memory")
#define __aligned(x)	__attribute__((__aligned__(x)))
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has one */
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define __maybe_unused	__attribute__((__unused__))
#define __used		__attribute__((__used__))
#define fallthrough	__attribute__((__fallthrough__))
#define __printf(a, b)	__attribute__((__format__(printf, a, b)))

/* As the kernel's: the message is optional. */
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)

#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define L1_CACHE_BYTES	64

/* IS_ENABLED(CONFIG_FOO): 1 if CONFIG_FOO is defined to 1, as kconfig.h */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option)		__is_defined(option)

#define ERESTARTSYS	512
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_DESCRIPTION(s)
#define MODULE_LICENSE(s)
#define MODULE_AUTHOR(s)

/* lockdep: nothing to check here (the RT build checks the contexts). */
struct lock_class_key {
	char dummy;
};

struct lockdep_map {
	char dummy;
};

#define LD_WAIT_CONFIG	0
#define DEFINE_WAIT_OVERRIDE_MAP(_name, _wait_type)			\
	struct lockdep_map _name = { 0 }
#define lock_map_acquire_try(l)	do { (void)(l); } while (0)
#define lock_map_release(l)	do { (void)(l); } while (0)

#ifdef KSHIM_BENCH
#include "kshim_bench.h"
#else

/* ---- diagnostics ------------------------------------------------------ */

/*
 * Each WARN_ON_ONCE() site counts every hit (and prints its first, unless
 * a test that expects it set shim_warn_quiet): a test that triggers a
 * misuse on purpose checks it warned exactly once.  Hits in atomic_waker.c
 * are counted apart from every other site's (the shim's own checks).
 */
struct shim_warn_site {
	const char *file;
	int line;
	const char *cond;
	int hits;
	bool printed;
};

void shim_warn(struct shim_warn_site *site);

#define WARN_ON_ONCE(cond) ({						\
	static struct shim_warn_site __site = {				\
		__FILE__, __LINE__, #cond, 0, false };			\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_warn(&__site);					\
	__c;								\
})
#define WARN_ON(cond)	WARN_ON_ONCE(cond)

/* A kernel diagnostic (BUG:, sleeping in atomic...): fails the test. */
void shim_report(const char *fmt, ...) __printf(1, 2);

extern bool shim_warn_quiet;
/* warnings at atomic_waker.c sites; every other site's; excused so far */
unsigned long shim_warnings_aw(void);
unsigned long shim_warnings_other(void);
void shim_warnings_excuse(unsigned long n);
unsigned long shim_warnings_excused(void);

#define pr_info(fmt, ...)	printf(fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)	fprintf(stderr, fmt, ##__VA_ARGS__)

/* ---- barriers and atomics --------------------------------------------- */

#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb__before_atomic()	smp_mb()
#define smp_mb__after_atomic()	smp_mb()
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define cpu_relax()		__builtin_ia32_pause()

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/*
 * A fully ordered RMW of any width: smp_mb() on both sides of a seq_cst
 * RMW.  A cmpxchg that fails is a relaxed load.
 */
#define __shim_full(rmw) ({						\
	__typeof__(rmw) __r;						\
	smp_mb();							\
	__r = (rmw);							\
	smp_mb();							\
	__r;								\
})
#define __shim_try_cmpxchg(p, oldp, new) ({				\
	bool __ok;							\
	smp_mb();	/* harmless when it fails: only adds ordering */ \
	__ok = __atomic_compare_exchange_n((p), (oldp), (new), false,	\
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_RELAXED);		\
	if (__ok)							\
		smp_mb();						\
	__ok;								\
})

typedef struct {
	long counter;
} atomic_long_t;

typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_LONG_INIT(i)	{ (i) }
#define ATOMIC_INIT(i)		{ (i) }

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

static inline long atomic_long_xchg(atomic_long_t *v, long i)
{
	return __shim_full(__atomic_exchange_n(&v->counter, i,
					       __ATOMIC_SEQ_CST));
}

static inline long atomic_long_xchg_relaxed(atomic_long_t *v, long i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_RELAXED);
}

/* It still writes what it read to *@old when it fails, as the kernel's. */
static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old,
					   long new)
{
	return __shim_try_cmpxchg(&v->counter, old, new);
}

static inline bool atomic_long_try_cmpxchg_release(atomic_long_t *v,
						   long *old, long new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static inline long atomic_long_cmpxchg(atomic_long_t *v, long old, long new)
{
	__shim_try_cmpxchg(&v->counter, &old, new);
	return old;
}

static inline long atomic_long_cmpxchg_relaxed(atomic_long_t *v, long old,
					       long new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return old;
}

#define atomic_read(v)		__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_read_acquire(v)	__atomic_load_n(&(v)->counter, __ATOMIC_ACQUIRE)
#define atomic_set(v, i)	__atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_set_release(v, i) \
	__atomic_store_n(&(v)->counter, (i), __ATOMIC_RELEASE)
#define atomic_inc(v)	((void)__atomic_fetch_add(&(v)->counter, 1, __ATOMIC_RELAXED))
#define atomic_dec(v)	((void)__atomic_fetch_sub(&(v)->counter, 1, __ATOMIC_RELAXED))
#define atomic_add(i, v) ((void)__atomic_fetch_add(&(v)->counter, (i), __ATOMIC_RELAXED))
#define atomic_inc_return(v) \
	__shim_full(__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_dec_return(v) \
	__shim_full(__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_fetch_or(i, v) \
	__shim_full(__atomic_fetch_or(&(v)->counter, (i), __ATOMIC_SEQ_CST))
#define atomic_xchg(v, i) \
	__shim_full(__atomic_exchange_n(&(v)->counter, (i), __ATOMIC_SEQ_CST))
#define atomic_try_cmpxchg(v, oldp, new) \
	__shim_try_cmpxchg(&(v)->counter, (oldp), (new))
#define atomic_cmpxchg(v, old, new) ({					\
	int __old = (old);						\
	__shim_try_cmpxchg(&(v)->counter, &__old, (new));		\
	__old;								\
})

/* refcount_t: the checks the kernel makes, reported as it would be. */
typedef struct {
	atomic_t refs;
} refcount_t;

#define REFCOUNT_INIT(n)	{ .refs = ATOMIC_INIT(n) }

static inline unsigned int refcount_read(const refcount_t *r)
{
	return atomic_read(&r->refs);
}

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static inline void refcount_inc(refcount_t *r)
{
	if (unlikely(__atomic_fetch_add(&r->refs.counter, 1,
					__ATOMIC_RELAXED) <= 0))
		shim_report("refcount_t: addition on 0; use-after-free");
}

/* Release, and acquire when it reaches 0, as the kernel's. */
static inline bool refcount_dec_and_test(refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, 1, __ATOMIC_RELEASE);

	if (unlikely(old <= 0))
		shim_report("refcount_t: underflow; use-after-free");
	if (old == 1) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	return false;
}

#include "kshim_sched.h"
#include "kshim_time.h"

#endif /* KSHIM_BENCH */
#endif /* _KSHIM_H */
