// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker_bench: atomic_waker side by side with the kernel's own wakeup
 * primitives, in the style of kernel/rcu/refscale.c.
 *
 * Each scenario has an ops vector, one entry per primitive.  A kthread pinned
 * to the first online CPU runs every scenario: a warm-up pass, then @nruns
 * runs of @loops iterations in which the primitives are interleaved (run r
 * starts with primitive r), timed with ktime_get_mono_fast_ns() and, for the
 * single-thread scenarios, with IRQs off.  Results are printed as markdown
 * tables between "awbench: BEGIN" and "awbench: END" lines, each line
 * prefixed with "awbench: ", for bench/run.sh to extract.
 *
 * Scenarios (module parameter @scenarios lists the digits to run):
 *   1  wake with nothing registered, against the smp_mb()+load limit
 *   2  register + wake with a waker that does not sleep
 *   3  register of the waker that is already registered
 *   4  ping-pong between two kthreads, same CPU and across CPUs
 *   5  hard IRQ (hrtimer, HRTIMER_MODE_HARD) to a sleeping kthread
 *   6  every CPU wakes while one consumer re-registers and sleeps
 *   7  sizeof of each primitive
 *
 * Run it on a kernel without debug options (no lockdep, no KASAN, no
 * DEBUG_ATOMIC_SLEEP): they change what is measured.
 */

#define pr_fmt(fmt) "awbench: " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/swait.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include <linux/wait.h>

#include "atomic_waker.h"

static int nruns = 11;
module_param(nruns, int, 0444);
MODULE_PARM_DESC(nruns, "Timed runs per primitive (interleaved)");

static int loops = 20000;
module_param(loops, int, 0444);
MODULE_PARM_DESC(loops, "Iterations per run, single-thread scenarios 1-3");

static int pp_loops = 2000;
module_param(pp_loops, int, 0444);
MODULE_PARM_DESC(pp_loops, "Round trips per run, ping-pong scenario 4");

static int irq_samples = 3300;
module_param(irq_samples, int, 0444);
MODULE_PARM_DESC(irq_samples, "Hard-IRQ wakeups per primitive, scenario 5");

static int irq_delay_us = 200;
module_param(irq_delay_us, int, 0444);
MODULE_PARM_DESC(irq_delay_us, "hrtimer delay before each IRQ wakeup");

static int cont_ms = 200;
module_param(cont_ms, int, 0444);
MODULE_PARM_DESC(cont_ms, "Duration of one contention run, scenario 6");

static char *scenarios = "1234567";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "Digits of the scenarios to run (default all)");

static unsigned long awb_errors;	/* failed checks, reported at the end */

/* ---- timing helpers ------------------------------------------------- */

static int awb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void awb_sort(u64 *v, int n)
{
	sort(v, n, sizeof(*v), awb_cmp_u64, NULL);
}

/* @v in thousandths of the unit, printed with two decimals */
static const char *awb_fmt_milli(char *buf, size_t len, u64 v)
{
	snprintf(buf, len, "%llu.%02llu", div_u64(v, 1000), div_u64(v % 1000, 10));
	return buf;
}

/* "0.42x": @v relative to @ref */
static const char *awb_fmt_ratio(char *buf, size_t len, u64 v, u64 ref)
{
	u64 r;

	if (!ref) {
		snprintf(buf, len, "-");
		return buf;
	}
	r = div64_u64(v * 100 + ref / 2, ref);
	snprintf(buf, len, "%llu.%02llux", div_u64(r, 100), r % 100);
	return buf;
}

/*
 * One row of min | median | max | spread | ratio | ratio of min, @v sorted,
 * in thousandths of a nanosecond.  On a shared host the minimum is the
 * steadier figure, so both ratios are printed.
 */
static void awb_row(const char *name, const u64 *v, int n, const u64 *ref)
{
	char mn[24], md[24], mx[24], rt[24], rm[24];
	u64 med = v[n / 2];
	u64 spread = med ? div64_u64((v[n - 1] - v[0]) * 100, med) : 0;

	pr_info("| %-44s | %9s | %9s | %9s | %4llu%% | %7s | %7s |\n", name,
		awb_fmt_milli(mn, sizeof(mn), v[0]),
		awb_fmt_milli(md, sizeof(md), med),
		awb_fmt_milli(mx, sizeof(mx), v[n - 1]), spread,
		awb_fmt_ratio(rt, sizeof(rt), med, ref[n / 2]),
		awb_fmt_ratio(rm, sizeof(rm), v[0], ref[0]));
}

static void awb_row_header(const char *title, const char *unit,
			   const char *ref)
{
	pr_info("\n");
	pr_info("### %s\n", title);
	pr_info("\n");
	pr_info("%s, %d runs; ratio = median / median of \"%s\", min ratio = min / min\n",
		unit, nruns, ref);
	pr_info("\n");
	pr_info("| %-44s | %9s | %9s | %9s | %5s | %7s | %7s |\n", "primitive",
		"min", "median", "max", "sprd", "ratio", "min rt");
	pr_info("|----------------------------------------------|----------:|----------:|----------:|------:|--------:|--------:|\n");
}

/* ---- objects shared by the single-thread scenarios ------------------ */

static struct atomic_waker awb_aw = ATOMIC_WAKER_INIT;
static struct atomic_waker_wait_queue awb_aw_wq;	/* init at load */
static DECLARE_COMPLETION(awb_comp);
static DECLARE_WAIT_QUEUE_HEAD(awb_wq);
static DECLARE_SWAIT_QUEUE_HEAD(awb_swq);
static struct rcuwait awb_rw = __RCUWAIT_INITIALIZER(awb_rw);
static struct wait_queue_entry awb_wqe;
static struct swait_queue awb_sw;
static int awb_word;
static unsigned long awb_calls;		/* wakes delivered to counting wakers */

/* A waker that does not sleep: it counts. */
static void awb_count_wake(struct atomic_waker_callback *cb)
{
	awb_calls++;
}

static const struct atomic_waker_callback_ops awb_count_ops = {
	.wake	= awb_count_wake,
};

static struct atomic_waker_callback awb_count_cb = { .ops = &awb_count_ops };

/* The same for a wait queue: count and leave the queue, one-shot. */
static int awb_wq_count_func(struct wait_queue_entry *wqe, unsigned int mode,
			     int sync, void *key)
{
	awb_calls++;
	list_del_init(&wqe->entry);
	return 1;
}

static void awb_setup_nothing(void)
{
}

static void awb_setup_completion(void)
{
	reinit_completion(&awb_comp);
}

/* init_waitqueue_func_entry() leaves ->entry alone: prepare_to_wait() needs it */
static void awb_setup_wqe(void)
{
	init_waitqueue_func_entry(&awb_wqe, awb_wq_count_func);
	INIT_LIST_HEAD(&awb_wqe.entry);
}

static void awb_setup_sw(void)
{
	awb_sw.task = current;
	INIT_LIST_HEAD(&awb_sw.task_list);
}

/* ---- scenario 1: wake with nothing registered ----------------------- */

/*
 * Eight per pass: an empty wake is a barrier and a load, so the loop's own
 * decrement and branch (about 1 ns under TCG) would be a tenth of it.  @op
 * is a constant, so each call is inlined.
 */
static __always_inline void awb_x8(unsigned long n, void (*op)(void))
{
	for (; n >= 8; n -= 8) {
		op(); op(); op(); op();
		op(); op(); op(); op();
	}
	while (n--)
		op();
}

/* What rcuwait_wake_up() and any wake that orders its caller's stores pay. */
static __always_inline void awb_mb_load(void)
{
	smp_mb(); /* the limit: pairs with nothing, it is measured */
	(void)READ_ONCE(awb_word);
}

static __always_inline void awb_load(void)
{
	(void)READ_ONCE(awb_word);
}

static __always_inline void awb_aw_wake(void)
{
	atomic_waker_wake(&awb_aw);
}

static __always_inline void awb_aw_wake_caller_mb(void)
{
	if (atomic_waker_is_registered(&awb_aw))
		atomic_waker_wake(&awb_aw);
}

static __always_inline void awb_rcuwait_wake(void)
{
	rcuwait_wake_up(&awb_rw);
}

static __always_inline void awb_wake_up(void)
{
	wake_up(&awb_wq);
}

static __always_inline void awb_wq_guarded(void)
{
	if (wq_has_sleeper(&awb_wq))
		wake_up(&awb_wq);
}

static __always_inline void awb_complete(void)
{
	complete(&awb_comp);
}

static __always_inline void awb_swake(void)
{
	swake_up_one(&awb_swq);
}

/*
 * QEMU's TCG chains its translated blocks only within one guest page: a
 * timed loop that straddles a page boundary pays a block lookup per pass
 * there, which would charge a primitive for where the linker happened to
 * put its loop (11 ns per wake, measured).  So every timed loop of
 * scenarios 1-3 starts a page of its own.
 */
#define __awb_loop	__aligned(PAGE_SIZE)

/*
 * The timed loops of scenario 1.  The barrier that the atomic_waker_is_registered() test
 * leaves to its caller is outside the loop: the caller pays it anyway.
 */
#define AWB_EMPTY_LOOP(name, op)					\
static noinline __awb_loop void name(unsigned long n)			\
{									\
	awb_x8(n, op);							\
}

AWB_EMPTY_LOOP(awb_empty_mb_load, awb_mb_load)
AWB_EMPTY_LOOP(awb_empty_load, awb_load)
AWB_EMPTY_LOOP(awb_empty_aw, awb_aw_wake)
AWB_EMPTY_LOOP(awb_empty_aw_caller_mb, awb_aw_wake_caller_mb)
AWB_EMPTY_LOOP(awb_empty_rcuwait, awb_rcuwait_wake)
AWB_EMPTY_LOOP(awb_empty_wake_up, awb_wake_up)
AWB_EMPTY_LOOP(awb_empty_wq_guarded, awb_wq_guarded)
AWB_EMPTY_LOOP(awb_empty_complete, awb_complete)
AWB_EMPTY_LOOP(awb_empty_swake, awb_swake)

struct awb_op {
	const char *name;
	void (*loop)(unsigned long n);	/* the timed loop */
	void (*setup)(void);		/* before each run, not timed */
	void (*teardown)(void);		/* after each run, not timed */
	bool counted;			/* each iteration wakes a counting waker */
};

static const struct awb_op awb_empty_ops[] = {
	{ "smp_mb() + load (the limit)", awb_empty_mb_load },
	{ "load only (caller supplies the barrier)", awb_empty_load },
	{ "atomic_waker_wake()", awb_empty_aw },
	{ "is_registered() + wake() (caller's barrier)", awb_empty_aw_caller_mb },
	{ "rcuwait_wake_up()", awb_empty_rcuwait },
	{ "wq_has_sleeper() + wake_up()", awb_empty_wq_guarded },
	{ "wake_up()", awb_empty_wake_up },
	{ "complete() (reinit_completion per run)", awb_empty_complete,
	  awb_setup_completion },
	{ "swake_up_one()", awb_empty_swake },
};

/* ---- scenario 2: register + wake, a waker that does not sleep -------- */

static noinline __awb_loop void awb_rw_aw_cb(unsigned long n)
{
	while (n--) {
		atomic_waker_register(&awb_aw,
				      atomic_waker_target_callback(&awb_count_cb));
		atomic_waker_wake(&awb_aw);
	}
}

static noinline __awb_loop void awb_rw_aw_task(unsigned long n)
{
	while (n--) {
		atomic_waker_register(&awb_aw, atomic_waker_target_task(current));
		atomic_waker_wake(&awb_aw);
	}
}

/* A wait-queue target whose queue holds one counting entry. */
static noinline __awb_loop void awb_rw_aw_wq(unsigned long n)
{
	while (n--) {
		add_wait_queue(&awb_aw_wq.head, &awb_wqe);
		atomic_waker_register(&awb_aw,
				      atomic_waker_target_wait_queue(&awb_aw_wq));
		atomic_waker_wake(&awb_aw);
	}
}

static noinline __awb_loop void awb_rw_rcuwait(unsigned long n)
{
	while (n--) {
		prepare_to_rcuwait(&awb_rw);
		rcuwait_wake_up(&awb_rw);
		finish_rcuwait(&awb_rw);
	}
}

static noinline __awb_loop void awb_rw_wake_up(unsigned long n)
{
	while (n--) {
		add_wait_queue(&awb_wq, &awb_wqe);
		wake_up(&awb_wq);
	}
}

static noinline __awb_loop void awb_rw_wq_guarded(unsigned long n)
{
	while (n--) {
		add_wait_queue(&awb_wq, &awb_wqe);
		if (wq_has_sleeper(&awb_wq))
			wake_up(&awb_wq);
	}
}

static noinline __awb_loop void awb_rw_swait(unsigned long n)
{
	while (n--) {
		prepare_to_swait_exclusive(&awb_swq, &awb_sw, TASK_RUNNING);
		swake_up_one(&awb_swq);
		finish_swait(&awb_swq, &awb_sw);
	}
}

static noinline __awb_loop void awb_rw_completion(unsigned long n)
{
	while (n--) {
		reinit_completion(&awb_comp);
		complete(&awb_comp);
	}
}

static const struct awb_op awb_regwake_ops[] = {
	{ "wait queue: add_wait_queue + wake_up()", awb_rw_wake_up,
	  awb_setup_wqe, NULL, true },
	{ "atomic_waker: callback waker", awb_rw_aw_cb, NULL, NULL, true },
	{ "atomic_waker: task waker (current)", awb_rw_aw_task },
	{ "atomic_waker: wait queue target (one entry)", awb_rw_aw_wq,
	  awb_setup_wqe, NULL, true },
	{ "wait queue: add + wq_has_sleeper + wake_up", awb_rw_wq_guarded,
	  awb_setup_wqe, NULL, true },
	{ "rcuwait: prepare + wake_up + finish", awb_rw_rcuwait },
	{ "swait: prepare + swake_up_one + finish", awb_rw_swait,
	  awb_setup_sw },
	{ "completion: reinit + complete", awb_rw_completion },
};

/* ---- scenario 3: register the waker that is already registered ------ */

static void awb_setup_aw_cb(void)
{
	atomic_waker_register(&awb_aw, atomic_waker_target_callback(&awb_count_cb));
}

static void awb_setup_aw_task(void)
{
	atomic_waker_register(&awb_aw, atomic_waker_target_task(current));
}

static void awb_teardown_aw(void)
{
	atomic_waker_destroy(&awb_aw);
}

static void awb_teardown_rcuwait(void)
{
	finish_rcuwait(&awb_rw);
}

static void awb_teardown_wq(void)
{
	finish_wait(&awb_wq, &awb_wqe);
}

static void awb_teardown_swait(void)
{
	finish_swait(&awb_swq, &awb_sw);
}

static noinline __awb_loop void awb_rr_aw_cb(unsigned long n)
{
	while (n--)
		atomic_waker_register(&awb_aw,
				      atomic_waker_target_callback(&awb_count_cb));
}

static noinline __awb_loop void awb_rr_aw_task(unsigned long n)
{
	while (n--)
		atomic_waker_register(&awb_aw, atomic_waker_target_task(current));
}

static noinline __awb_loop void awb_rr_rcuwait(unsigned long n)
{
	while (n--)
		prepare_to_rcuwait(&awb_rw);
}

static noinline __awb_loop void awb_rr_wq(unsigned long n)
{
	while (n--)
		prepare_to_wait(&awb_wq, &awb_wqe, TASK_RUNNING);
}

static noinline __awb_loop void awb_rr_swait(unsigned long n)
{
	while (n--)
		prepare_to_swait_exclusive(&awb_swq, &awb_sw, TASK_RUNNING);
}

static noinline __awb_loop void awb_rr_completion(unsigned long n)
{
	while (n--)
		reinit_completion(&awb_comp);
}

static const struct awb_op awb_rereg_ops[] = {
	{ "wait queue: prepare_to_wait() again", awb_rr_wq, awb_setup_wqe,
	  awb_teardown_wq },
	{ "atomic_waker: same callback waker", awb_rr_aw_cb, awb_setup_aw_cb,
	  awb_teardown_aw },
	{ "atomic_waker: same task waker", awb_rr_aw_task, awb_setup_aw_task,
	  awb_teardown_aw },
	{ "rcuwait: prepare_to_rcuwait() again", awb_rr_rcuwait, NULL,
	  awb_teardown_rcuwait },
	{ "swait: prepare_to_swait_exclusive() again", awb_rr_swait,
	  awb_setup_sw, awb_teardown_swait },
	{ "completion: reinit_completion() (a store)", awb_rr_completion },
};

/* ---- the single-thread runner --------------------------------------- */

static void awb_run_one(const struct awb_op *op, unsigned long n, u64 *ps)
{
	unsigned long flags, calls;
	u64 t0, t1;

	(op->setup ?: awb_setup_nothing)();
	calls = awb_calls;
	local_irq_save(flags);
	t0 = ktime_get_mono_fast_ns();
	op->loop(n);
	t1 = ktime_get_mono_fast_ns();
	local_irq_restore(flags);
	if (op->teardown)
		op->teardown();
	if (op->counted && awb_calls - calls != n) {
		pr_err("%s: %lu wakes delivered, %lu expected\n", op->name,
		       awb_calls - calls, n);
		awb_errors++;
	}
	if (ps)
		*ps = div64_u64((t1 - t0) * 1000, n);
}

static void awb_single(const char *title, const struct awb_op *ops, int nops,
		       int ref)
{
	u64 *res;
	int r, i;

	res = kcalloc(nops * nruns, sizeof(*res), GFP_KERNEL);
	if (!res) {
		awb_errors++;
		return;
	}
	for (i = 0; i < nops; i++)	/* warm-up */
		awb_run_one(&ops[i], loops / 10 + 1, NULL);
	for (r = 0; r < nruns; r++) {
		for (i = 0; i < nops; i++) {
			int k = (i + r) % nops;

			awb_run_one(&ops[k], loops, &res[k * nruns + r]);
			cond_resched();
		}
	}
	for (i = 0; i < nops; i++)
		awb_sort(&res[i * nruns], nruns);
	awb_row_header(title, "ns per operation, IRQs off", ops[ref].name);
	for (i = 0; i < nops; i++)
		awb_row(ops[i].name, &res[i * nruns], nruns, &res[ref * nruns]);
	kfree(res);
}

/* ---- scenarios 4 and 5: a sleeping kthread woken -------------------- */

/*
 * A two-way channel: side s sleeps until flag[s] reaches @seq; the other
 * side stores flag[s] = seq and wakes it.  Scenario 5 uses side 0 only,
 * woken from an hrtimer in hard-IRQ context.
 */
static unsigned long awb_flag[2];
static struct atomic_waker awb_ch_aw[2];
static struct completion awb_ch_comp[2];
static struct wait_queue_head awb_ch_wq[2];
static struct rcuwait awb_ch_rw[2];
static struct swait_queue_head awb_ch_swq[2];
static struct atomic_waker awb_ch_awq[2];	/* holds awb_ch_awq_wq[s] */
static struct atomic_waker_wait_queue awb_ch_awq_wq[2];

#define AWB_CH_READY(s, seq)	(READ_ONCE(awb_flag[s]) == (seq))

struct awb_ch_ops {
	const char *name;
	void (*wait)(int s, unsigned long seq);
	void (*wake)(int s, unsigned long seq);
	bool sleeping_lock;	/* a spinlock_t: not from hard IRQ on RT */
};

static void awb_ch_init(void)
{
	int s;

	for (s = 0; s < 2; s++) {
		awb_flag[s] = 0;
		atomic_waker_init(&awb_ch_aw[s]);
		init_completion(&awb_ch_comp[s]);
		init_waitqueue_head(&awb_ch_wq[s]);
		rcuwait_init(&awb_ch_rw[s]);
		init_swait_queue_head(&awb_ch_swq[s]);
		atomic_waker_init(&awb_ch_awq[s]);	/* its queue: at load */
	}
}

static void awb_ch_aw_wait(int s, unsigned long seq)
{
	atomic_waker_wait_event(&awb_ch_aw[s], AWB_CH_READY(s, seq));
}

static void awb_ch_aw_wake(int s, unsigned long seq)
{
	WRITE_ONCE(awb_flag[s], seq);
	atomic_waker_wake(&awb_ch_aw[s]);
}

/*
 * The consumer sleeps on a queue that an atomic_waker holds as its target.
 * It registers in the condition, so on the queue, as the target's contract
 * asks: a wake() of the round before, still under way, may take the target
 * and wake the queue before this round's wake() finds the slot empty.
 */
static bool awb_ch_awq_ready(int s, unsigned long seq)
{
	atomic_waker_register(&awb_ch_awq[s],
			      atomic_waker_target_wait_queue(&awb_ch_awq_wq[s]));
	return AWB_CH_READY(s, seq);
}

static void awb_ch_awq_wait(int s, unsigned long seq)
{
	wait_event(awb_ch_awq_wq[s].head, awb_ch_awq_ready(s, seq));
}

static void awb_ch_awq_wake(int s, unsigned long seq)
{
	WRITE_ONCE(awb_flag[s], seq);
	atomic_waker_wake(&awb_ch_awq[s]);
}

static void awb_ch_comp_wait(int s, unsigned long seq)
{
	wait_for_completion(&awb_ch_comp[s]);
}

static void awb_ch_comp_wake(int s, unsigned long seq)
{
	complete(&awb_ch_comp[s]);
}

static void awb_ch_wq_wait(int s, unsigned long seq)
{
	wait_event(awb_ch_wq[s], AWB_CH_READY(s, seq));
}

static void awb_ch_wq_wake(int s, unsigned long seq)
{
	WRITE_ONCE(awb_flag[s], seq);
	wake_up(&awb_ch_wq[s]);
}

static void awb_ch_rw_wait(int s, unsigned long seq)
{
	rcuwait_wait_event(&awb_ch_rw[s], AWB_CH_READY(s, seq),
			   TASK_UNINTERRUPTIBLE);
}

static void awb_ch_rw_wake(int s, unsigned long seq)
{
	WRITE_ONCE(awb_flag[s], seq);
	rcuwait_wake_up(&awb_ch_rw[s]);
}

static void awb_ch_swait_wait(int s, unsigned long seq)
{
	swait_event_exclusive(awb_ch_swq[s], AWB_CH_READY(s, seq));
}

static void awb_ch_swait_wake(int s, unsigned long seq)
{
	WRITE_ONCE(awb_flag[s], seq);
	swake_up_one(&awb_ch_swq[s]);
}

static const struct awb_ch_ops awb_ch_ops[] = {
	{ "completion", awb_ch_comp_wait, awb_ch_comp_wake },
	{ "atomic_waker_wait_event", awb_ch_aw_wait, awb_ch_aw_wake },
	{ "atomic_waker, wait queue target", awb_ch_awq_wait, awb_ch_awq_wake },
	{ "wait queue (wait_event/wake_up)", awb_ch_wq_wait, awb_ch_wq_wake,
	  true },
	{ "rcuwait", awb_ch_rw_wait, awb_ch_rw_wake },
	{ "swait (exclusive)", awb_ch_swait_wait, awb_ch_swait_wake },
};

#define AWB_NCH ARRAY_SIZE(awb_ch_ops)

static const struct awb_ch_ops *awb_pp_cur;
static unsigned long awb_pp_total;

static void awb_wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

static int awb_pp_partner(void *unused)
{
	unsigned long seq;

	for (seq = 1; seq <= awb_pp_total; seq++) {
		awb_pp_cur->wait(1, seq);
		awb_pp_cur->wake(0, seq);
	}
	awb_wait_for_stop();
	return 0;
}

/* One ping-pong run on this CPU and @cpu; ns per round trip, thousandths. */
static int awb_pp_run(const struct awb_ch_ops *ops, int cpu, u64 *ps)
{
	unsigned long warm = pp_loops / 10 + 1, seq;
	struct task_struct *t;
	u64 t0 = 0, t1;

	awb_ch_init();
	awb_pp_cur = ops;
	awb_pp_total = warm + pp_loops;
	t = kthread_create(awb_pp_partner, NULL, "awbench-pp/%d", cpu);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	wake_up_process(t);
	for (seq = 1; seq <= awb_pp_total; seq++) {
		if (seq == warm + 1)
			t0 = ktime_get_mono_fast_ns();
		ops->wake(1, seq);
		ops->wait(0, seq);
	}
	t1 = ktime_get_mono_fast_ns();
	kthread_stop(t);
	*ps = div64_u64((t1 - t0) * 1000, pp_loops);
	return 0;
}

static void awb_pingpong(void)
{
	int me = raw_smp_processor_id(), other = cpumask_next(me, cpu_online_mask);
	int cpus[2] = { me, other }, c, r, i;
	u64 *res;

	res = kcalloc(AWB_NCH * nruns, sizeof(*res), GFP_KERNEL);
	if (!res) {
		awb_errors++;
		return;
	}
	for (c = 0; c < 2; c++) {
		if (cpus[c] >= nr_cpu_ids) {
			pr_info("\n");
			pr_info("(ping-pong across CPUs skipped: one CPU online)\n");
			break;
		}
		for (r = 0; r < nruns; r++) {
			for (i = 0; i < AWB_NCH; i++) {
				int k = (i + r) % AWB_NCH;

				if (awb_pp_run(&awb_ch_ops[k], cpus[c],
					       &res[k * nruns + r])) {
					awb_errors++;
					goto out;
				}
			}
		}
		awb_row_header(c ? "4b. ping-pong round trip, two kthreads on two CPUs" :
			       "4a. ping-pong round trip, two kthreads on one CPU",
			       "ns per round trip", awb_ch_ops[0].name);
		for (i = 0; i < AWB_NCH; i++)
			awb_sort(&res[i * nruns], nruns);
		for (i = 0; i < AWB_NCH; i++)
			awb_row(awb_ch_ops[i].name, &res[i * nruns], nruns,
				res);
	}
out:
	kfree(res);
}

static struct hrtimer awb_timer;
static const struct awb_ch_ops *awb_irq_cur;
static unsigned long awb_irq_seq;
static u64 awb_irq_t0;
static struct task_struct *awb_irq_sleeper;
static unsigned long awb_irq_asleep;	/* the sleeper was not running */

static enum hrtimer_restart awb_irq_fn(struct hrtimer *timer)
{
	if (!task_is_running(awb_irq_sleeper))
		awb_irq_asleep++;
	WRITE_ONCE(awb_irq_t0, ktime_get_mono_fast_ns());
	awb_irq_cur->wake(0, awb_irq_seq);
	return HRTIMER_NORESTART;
}

/* wake_up() of a plain wait queue takes a sleeping lock on PREEMPT_RT. */
static bool awb_irq_skip(const struct awb_ch_ops *ops)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && ops->sleeping_lock;
}

static void awb_irq_latency(void)
{
	int per_round = max(irq_samples / nruns, 1), n = per_round * nruns;
	unsigned long asleep[AWB_NCH] = { };
	int r, i, j, have[AWB_NCH] = { };
	u64 *lat;

	lat = kvmalloc_array(AWB_NCH * n, sizeof(*lat), GFP_KERNEL);
	if (!lat) {
		awb_errors++;
		return;
	}
	hrtimer_init(&awb_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	awb_timer.function = awb_irq_fn;
	awb_irq_sleeper = current;
	for (r = 0; r < nruns; r++) {
		for (i = 0; i < AWB_NCH; i++) {
			int k = (i + r) % AWB_NCH;

			if (awb_irq_skip(&awb_ch_ops[k]))
				continue;
			awb_ch_init();
			awb_irq_cur = &awb_ch_ops[k];
			awb_irq_asleep = 0;
			for (j = 0; j < per_round; j++) {
				u64 t1;

				awb_irq_seq = j + 1;
				hrtimer_start(&awb_timer,
					      ns_to_ktime(irq_delay_us * NSEC_PER_USEC),
					      HRTIMER_MODE_REL_PINNED_HARD);
				awb_irq_cur->wait(0, awb_irq_seq);
				t1 = ktime_get_mono_fast_ns();
				hrtimer_cancel(&awb_timer); /* the handler returned */
				lat[k * n + have[k]++] = t1 - READ_ONCE(awb_irq_t0);
			}
			asleep[k] += awb_irq_asleep;
			cond_resched();
		}
	}
	pr_info("\n");
	pr_info("### 5. hard IRQ (hrtimer, HARD) to a sleeping kthread: wakeup latency\n");
	pr_info("\n");
	pr_info("ns from the handler's clock read to the woken kthread's, %d samples each, timer %d us; ratio = p50 / p50 of \"%s\"; asleep = samples where the kthread was not running when the IRQ fired\n",
		n, irq_delay_us, awb_ch_ops[0].name);
	pr_info("\n");
	pr_info("| %-44s | %9s | %9s | %9s | %7s | %6s |\n", "primitive", "p50",
		"p99", "max", "ratio", "asleep");
	pr_info("|----------------------------------------------|----------:|----------:|----------:|--------:|-------:|\n");
	for (i = 0; i < AWB_NCH; i++)
		awb_sort(&lat[i * n], have[i]);
	for (i = 0; i < AWB_NCH; i++) {
		u64 *v = &lat[i * n];
		char rt[24];

		if (awb_irq_skip(&awb_ch_ops[i])) {
			pr_info("| %-44s | (not from hard IRQ under PREEMPT_RT) |\n",
				awb_ch_ops[i].name);
			continue;
		}
		pr_info("| %-44s | %9llu | %9llu | %9llu | %7s | %5lu%% |\n",
			awb_ch_ops[i].name, v[n / 2], v[n - 1 - n / 100],
			v[n - 1], awb_fmt_ratio(rt, sizeof(rt), v[n / 2],
						lat[n / 2]),
			asleep[i] * 100 / n);
	}
	kvfree(lat);
}

/* ---- scenario 6: every CPU wakes, one consumer re-registers --------- */

struct awb_prod {
	unsigned long events;		/* written by its producer only */
	unsigned long wakes;
	struct task_struct *task;
} ____cacheline_aligned_in_smp;

static struct awb_prod *awb_prods;
static int awb_nprod;
static atomic_long_t awb_issued;	/* wake_up_process() calls issued */
static unsigned long awb_rounds, awb_lost;
static bool awb_cont_stop;
static struct atomic_waker awb_c_aw;
static struct wait_queue_head awb_c_wq;
static struct wait_queue_entry awb_c_wqe;
static struct rcuwait awb_c_rw;

struct awb_cont_ops {
	const char *name;
	void (*prepare)(void);		/* consumer: set state, register */
	void (*finish)(void);		/* consumer: running again */
	void (*wake)(void);		/* producer */
};

/* The consumer, woken by a callback that counts the wakeups it issues. */
static struct awb_issue {
	struct atomic_waker_callback cb;
	struct task_struct *tsk;
} awb_issue;

static void awb_issue_wake(struct atomic_waker_callback *cb)
{
	atomic_long_inc(&awb_issued);
	wake_up_process(container_of(cb, struct awb_issue, cb)->tsk);
}

static const struct atomic_waker_callback_ops awb_issue_ops = {
	.wake	= awb_issue_wake,
};

static int awb_issue_wq_func(struct wait_queue_entry *wqe, unsigned int mode,
			     int sync, void *key)
{
	atomic_long_inc(&awb_issued);
	return autoremove_wake_function(wqe, mode, sync, key);
}

static void awb_c_aw_prepare(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	awb_issue.cb.ops = &awb_issue_ops;
	awb_issue.tsk = current;
	if (atomic_waker_register(&awb_c_aw, atomic_waker_target_callback(&awb_issue.cb)))
		__set_current_state(TASK_RUNNING);
}

static void awb_c_aw_finish(void)
{
	__set_current_state(TASK_RUNNING);
}

static void awb_c_aw_wake(void)
{
	atomic_waker_wake(&awb_c_aw);
}

static void awb_c_wq_prepare(void)
{
	prepare_to_wait(&awb_c_wq, &awb_c_wqe, TASK_UNINTERRUPTIBLE);
}

static void awb_c_wq_finish(void)
{
	finish_wait(&awb_c_wq, &awb_c_wqe);
}

static void awb_c_wq_wake(void)
{
	wake_up(&awb_c_wq);
}

static void awb_c_wq_guarded_wake(void)
{
	if (wq_has_sleeper(&awb_c_wq))
		wake_up(&awb_c_wq);
}

static void awb_c_rw_prepare(void)
{
	prepare_to_rcuwait(&awb_c_rw);
	set_current_state(TASK_UNINTERRUPTIBLE);
}

static void awb_c_rw_finish(void)
{
	finish_rcuwait(&awb_c_rw);
}

static void awb_c_rw_wake(void)
{
	if (rcuwait_wake_up(&awb_c_rw))
		atomic_long_inc(&awb_issued);
}

static const struct awb_cont_ops awb_cont_ops[] = {
	{ "wait queue: wq_has_sleeper() + wake_up()", awb_c_wq_prepare,
	  awb_c_wq_finish, awb_c_wq_guarded_wake },
	{ "atomic_waker", awb_c_aw_prepare, awb_c_aw_finish, awb_c_aw_wake },
	{ "wait queue: wake_up()", awb_c_wq_prepare, awb_c_wq_finish,
	  awb_c_wq_wake },
	{ "rcuwait (issued = tasks actually woken)", awb_c_rw_prepare,
	  awb_c_rw_finish, awb_c_rw_wake },
};

#define AWB_NCONT ARRAY_SIZE(awb_cont_ops)

static const struct awb_cont_ops *awb_cont_cur;

static int awb_producer(void *arg)
{
	struct awb_prod *p = arg;
	unsigned long n = 0;

	while (!READ_ONCE(awb_cont_stop)) {
		WRITE_ONCE(p->events, p->events + 1);
		awb_cont_cur->wake();
		if (!(++n & 63))
			cond_resched();
	}
	p->wakes = n;
	awb_wait_for_stop();
	return 0;
}

static unsigned long awb_events(void)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < awb_nprod; i++)
		sum += READ_ONCE(awb_prods[i].events);
	return sum;
}

/*
 * Sleep until the producers' event count moves.  A producer that counts an
 * event after our test must wake us, so a sleep that times out while the
 * count moved is a lost wakeup.
 */
static int awb_consumer(void *unused)
{
	unsigned long seen = awb_events(), now;
	long left;

	while (!kthread_should_stop()) {
		awb_cont_cur->prepare();
		now = awb_events();
		if (now != seen || kthread_should_stop()) {
			awb_cont_cur->finish();
			seen = now;
			awb_rounds++;
			continue;
		}
		left = schedule_timeout(HZ);
		awb_cont_cur->finish();
		if (!left && awb_events() != seen && !READ_ONCE(awb_cont_stop))
			awb_lost++;
	}
	return 0;
}

struct awb_cont_res {
	u64 rate[16];			/* wakes per second, per run */
	unsigned long wakes, issued, rounds, lost;
};

static int awb_cont_run(const struct awb_cont_ops *ops,
			struct awb_cont_res *res, int r)
{
	int ncpu = num_online_cpus(), cons_cpu, cpu, i = 0;
	struct task_struct *cons;
	unsigned long wakes = 0;
	u64 t0, t1;

	awb_cont_cur = ops;
	awb_cont_stop = false;
	awb_rounds = 0;
	awb_lost = 0;
	atomic_long_set(&awb_issued, 0);
	atomic_waker_init(&awb_c_aw);
	init_waitqueue_head(&awb_c_wq);
	init_waitqueue_func_entry(&awb_c_wqe, awb_issue_wq_func);
	INIT_LIST_HEAD(&awb_c_wqe.entry);
	awb_c_wqe.private = NULL;
	rcuwait_init(&awb_c_rw);
	memset(awb_prods, 0, sizeof(*awb_prods) * ncpu);

	cons_cpu = cpumask_last(cpu_online_mask);
	cons = kthread_create(awb_consumer, NULL, "awbench-cons");
	if (IS_ERR(cons))
		return PTR_ERR(cons);
	kthread_bind(cons, cons_cpu);
	awb_c_wqe.private = cons;
	wake_up_process(cons);

	for_each_online_cpu(cpu) {
		struct task_struct *t;

		t = kthread_create(awb_producer, &awb_prods[i],
				   "awbench-prod/%d", cpu);
		if (IS_ERR(t))
			break;
		kthread_bind(t, cpu);
		awb_prods[i++].task = t;
	}
	awb_nprod = i;
	t0 = ktime_get_mono_fast_ns();
	for (i = 0; i < awb_nprod; i++)
		wake_up_process(awb_prods[i].task);
	msleep(cont_ms);
	WRITE_ONCE(awb_cont_stop, true);
	for (i = 0; i < awb_nprod; i++) {
		kthread_stop(awb_prods[i].task);
		wakes += awb_prods[i].wakes;
	}
	t1 = ktime_get_mono_fast_ns();
	kthread_stop(cons);
	atomic_waker_destroy(&awb_c_aw);

	if (r < (int)ARRAY_SIZE(res->rate))
		res->rate[r] = div64_u64((u64)wakes * NSEC_PER_SEC, t1 - t0);
	res->wakes += wakes;
	res->issued += atomic_long_read(&awb_issued);
	res->rounds += awb_rounds;
	res->lost += awb_lost;
	if (awb_lost) {
		pr_err("%s: %lu lost wakeups\n", ops->name, awb_lost);
		awb_errors++;
	}
	return awb_nprod == ncpu ? 0 : -ENOMEM;
}

static void awb_contention(void)
{
	int runs = min_t(int, nruns, ARRAY_SIZE(((struct awb_cont_res *)0)->rate));
	struct awb_cont_res *res;
	u64 refmed = 0;
	int r, i;

	res = kcalloc(AWB_NCONT, sizeof(*res), GFP_KERNEL);
	awb_prods = kcalloc(num_online_cpus(), sizeof(*awb_prods), GFP_KERNEL);
	if (!res || !awb_prods) {
		awb_errors++;
		goto out;
	}
	for (r = 0; r < runs; r++) {
		for (i = 0; i < AWB_NCONT; i++) {
			int k = (i + r) % AWB_NCONT;

			if (awb_cont_run(&awb_cont_ops[k], &res[k], r)) {
				awb_errors++;
				goto out;
			}
		}
	}
	pr_info("\n");
	pr_info("### 6. contention: a producer kthread per CPU (%u) wakes in a loop, one consumer re-registers and sleeps\n",
		num_online_cpus());
	pr_info("\n");
	pr_info("median wakes/s of %d runs of %d ms; wake calls, wakeups (wake_up_process() calls issued), consumer rounds and lost wakeups summed over the runs; ratio = wakes/s / wakes/s of \"%s\"\n",
		runs, cont_ms, awb_cont_ops[0].name);
	pr_info("\n");
	pr_info("| %-44s | %11s | %11s | %11s | %9s | %4s | %7s |\n",
		"primitive", "wakes/s", "wake calls", "wakeups", "rounds",
		"lost", "ratio");
	pr_info("|----------------------------------------------|------------:|------------:|------------:|----------:|-----:|--------:|\n");
	for (i = 0; i < AWB_NCONT; i++) {
		awb_sort(res[i].rate, runs);
		if (!i)
			refmed = res[0].rate[runs / 2];
	}
	for (i = 0; i < AWB_NCONT; i++) {
		char rt[24];

		pr_info("| %-44s | %11llu | %11lu | %11lu | %9lu | %4lu | %7s |\n",
			awb_cont_ops[i].name, res[i].rate[runs / 2],
			res[i].wakes, res[i].issued, res[i].rounds,
			res[i].lost, awb_fmt_ratio(rt, sizeof(rt),
						   res[i].rate[runs / 2],
						   refmed));
	}
out:
	kfree(awb_prods);
	awb_prods = NULL;
	kfree(res);
}

/* ---- scenario 7: sizes ---------------------------------------------- */

static void awb_sizes(void)
{
	pr_info("\n");
	pr_info("### 7. sizeof (bytes)\n");
	pr_info("\n");
	pr_info("| %-44s | %7s | %-28s |\n", "type", "bytes", "what");
	pr_info("|----------------------------------------------|--------:|------------------------------|\n");
#define AWB_SIZE(t, what) \
	pr_info("| %-44s | %7zu | %-28s |\n", #t, sizeof(t), what)
	AWB_SIZE(struct atomic_waker, "the slot");
	AWB_SIZE(struct atomic_waker_target, "a waker (a tagged pointer)");
	AWB_SIZE(struct rcuwait, "the slot");
	AWB_SIZE(struct completion, "the object");
	AWB_SIZE(struct wait_queue_head, "the queue");
	AWB_SIZE(struct wait_queue_entry, "per waiter, on its stack");
	AWB_SIZE(struct swait_queue_head, "the queue");
	AWB_SIZE(struct swait_queue, "per waiter, on its stack");
#undef AWB_SIZE
}

/* ---- driver --------------------------------------------------------- */

static DECLARE_COMPLETION(awb_done);

static bool awb_want(int n)
{
	return strchr(scenarios, '0' + n);
}

static int awb_main(void *unused)
{
	pr_info("BEGIN\n");
	pr_info("## atomic_waker in-kernel benchmark\n");
	pr_info("\n");
	pr_info("kernel %s %s, %u CPUs online, HZ=%d, nruns=%d loops=%d pp_loops=%d irq_samples=%d cont_ms=%d, main kthread on CPU %d\n",
		utsname()->release, utsname()->version, num_online_cpus(), HZ,
		nruns, loops, pp_loops, irq_samples, cont_ms,
		raw_smp_processor_id());
	pr_info("Absolute numbers under QEMU TCG are inflated: compare the ratios within one run.\n");

	if (awb_want(1))
		awb_single("1. wake with nothing registered", awb_empty_ops,
			   ARRAY_SIZE(awb_empty_ops), 0);
	if (awb_want(2))
		awb_single("2. register + wake, a waker that does not sleep",
			   awb_regwake_ops, ARRAY_SIZE(awb_regwake_ops), 0);
	if (awb_want(3))
		awb_single("3. register the waker already registered",
			   awb_rereg_ops, ARRAY_SIZE(awb_rereg_ops), 0);
	if (awb_want(4))
		awb_pingpong();
	if (awb_want(5))
		awb_irq_latency();
	if (awb_want(6))
		awb_contention();
	if (awb_want(7))
		awb_sizes();

	pr_info("\n");
	pr_info("errors: %lu\n", awb_errors);
	pr_info("END\n");
	complete(&awb_done);
	awb_wait_for_stop();
	return 0;
}

static struct task_struct *awb_task;

static int __init awb_init(void)
{
	if (nruns < 1 || loops < 1 || pp_loops < 1 || irq_samples < 1 ||
	    cont_ms < 1 || irq_delay_us < 1)
		return -EINVAL;
	awb_task = kthread_create(awb_main, NULL, "awbench");
	if (IS_ERR(awb_task))
		return PTR_ERR(awb_task);
	atomic_waker_wait_queue_init(&awb_aw_wq);
	atomic_waker_wait_queue_init(&awb_ch_awq_wq[0]);
	atomic_waker_wait_queue_init(&awb_ch_awq_wq[1]);
	kthread_bind(awb_task, cpumask_first(cpu_online_mask));
	wake_up_process(awb_task);
	/* Killable: not reported as a hung task while the benchmark runs. */
	if (wait_for_completion_killable(&awb_done))
		wait_for_completion(&awb_done);
	return 0;
}

static void __exit awb_exit(void)
{
	kthread_stop(awb_task);
	atomic_waker_wait_queue_sync(&awb_ch_awq_wq[0]);
	atomic_waker_wait_queue_sync(&awb_ch_awq_wq[1]);
}

module_init(awb_init);
module_exit(awb_exit);

MODULE_DESCRIPTION("atomic_waker benchmark against completion, wait queues, rcuwait and swait");
MODULE_LICENSE("GPL");
