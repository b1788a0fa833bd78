// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the user-space benchmark: the stubs the shim declares, the
 * counting waker, and entry points for the Rust driver (src/main.rs).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "atomic_waker.h"

__thread struct task_struct awb_shim_current;
struct workqueue_struct *system_wq;

void schedule(void)
{
	while (READ_ONCE(current->state) != TASK_RUNNING)
		sched_yield();
}

long schedule_timeout(long timeout)
{
	schedule();
	return timeout;
}

/* A waker that does not sleep: it counts, like the Rust counting waker. */
struct awb_counting {
	struct atomic_waker_callback cb;
	u64 *n;
};

static void awb_count_wake(struct atomic_waker_callback *cb)
{
	u64 *n = container_of(cb, struct awb_counting, cb)->n;

	WRITE_ONCE(*n, READ_ONCE(*n) + 1);
}

static const struct atomic_waker_callback_ops awb_count_ops = {
	.wake = awb_count_wake,
};

/*
 * The C waker passed by value to atomic_waker_register() from Rust.  Its
 * callback object lives as long as the process: the benchmark makes one
 * per implementation and thread.
 */
struct atomic_waker_target awb_c_counting_waker(u64 *counter)
{
	struct awb_counting *c = malloc(sizeof(*c));

	if (!c)
		abort();
	c->cb.ops = &awb_count_ops;
	c->n = counter;
	return atomic_waker_target_callback(&c->cb);
}

size_t awb_c_sizeof(void)
{
	return sizeof(struct atomic_waker);
}

/*
 * atomic_waker_wake() and (atomic_waker_is_registered() && atomic_waker_wake()) are static inline: these
 * out-of-line copies give Rust one call per operation, as its own
 * #[inline(never)] wrappers do.
 */
bool awb_c_wake(struct atomic_waker *aw)
{
	return atomic_waker_wake(aw);
}

/* The caller's barrier: the benchmark's loop pays it once, outside. */
bool awb_c_wake_caller_mb(struct atomic_waker *aw)
{
	return atomic_waker_is_registered(aw) && atomic_waker_wake(aw);
}

/* The limit of an empty wake that orders the caller's stores itself. */
bool awb_c_limit(struct atomic_waker *aw)
{
	smp_mb();
	return atomic_long_read(&aw->slot);
}

/*
 * The same three as timed C loops, inlined and eight per pass (as the
 * kernel benchmark's scenario 1): no call, and the loop's own branch is
 * spread over eight operations.  For the ratios against the limit.
 */
#define AWB_X8(n, op)							\
	do {								\
		for (; (n) >= 8; (n) -= 8) {				\
			op; op; op; op; op; op; op; op;			\
		}							\
		while ((n)--)						\
			op;						\
	} while (0)

static inline void awb_mb_load(struct atomic_waker *aw)
{
	smp_mb();
	(void)atomic_long_read(&aw->slot);
}

void awb_c_loop_limit(struct atomic_waker *aw, u64 n)
{
	AWB_X8(n, awb_mb_load(aw));
}

void awb_c_loop_wake(struct atomic_waker *aw, u64 n)
{
	AWB_X8(n, atomic_waker_wake(aw));
}

/* A caller whose own barrier ordered its store: waitqueue_active() style. */
static inline void awb_caller_mb_wake(struct atomic_waker *aw)
{
	if (atomic_waker_is_registered(aw))
		atomic_waker_wake(aw);
}

void awb_c_loop_caller_mb(struct atomic_waker *aw, u64 n)
{
	AWB_X8(n, awb_caller_mb_wake(aw));
}

int awb_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
