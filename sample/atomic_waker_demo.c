// SPDX-License-Identifier: GPL-2.0
/*
 * What `make run` shows: the insmod task sleeps on an atomic_waker until a
 * "transfer" completes in hard-IRQ context (an hrtimer in HARD mode standing
 * in for a device interrupt), for a few rounds, printing each hand-off.
 */

#include <linux/hrtimer.h>
#include <linux/module.h>

#include "atomic_waker.h"

#define DEMO_ROUNDS	5
#define DEMO_DELAY_NS	(2 * NSEC_PER_MSEC)

static struct atomic_waker demo_aw = ATOMIC_WAKER_INIT;
static struct hrtimer demo_timer;
static int demo_done;		/* the condition: the transfer completed */
static bool demo_woke;		/* what the "IRQ" saw wake() return */
static bool demo_in_hardirq;

static enum hrtimer_restart demo_irq(struct hrtimer *t)
{
	demo_in_hardirq = in_hardirq() && irqs_disabled();
	WRITE_ONCE(demo_done, 1);	/* publish, then wake */
	demo_woke = atomic_waker_wake(&demo_aw);
	return HRTIMER_NORESTART;
}

static int demo_round(int round)
{
	ktime_t start = ktime_get();
	long left;

	WRITE_ONCE(demo_done, 0);
	hrtimer_start(&demo_timer, ns_to_ktime(DEMO_DELAY_NS),
		      HRTIMER_MODE_REL_HARD);
	left = atomic_waker_wait_event_timeout(&demo_aw, READ_ONCE(demo_done),
					       HZ);
	hrtimer_cancel(&demo_timer);
	if (!left) {
		pr_err("atomic_waker_demo: round %d: no wakeup within 1 s\n",
		       round);
		return -ETIMEDOUT;
	}
	pr_info("atomic_waker_demo: round %d: slept %lld us, woken from %s, wake() returned %s\n",
		round, ktime_us_delta(ktime_get(), start),
		demo_in_hardirq ? "hard IRQ" : "another context",
		demo_woke ? "true" : "false");
	return 0;
}

static int demo_run(void)
{
	int round, passed = 0, failed = 0;

	pr_info("atomic_waker_demo: task %d (%s) sleeps until an hrtimer (HARD) completes the transfer\n",
		current->pid, current->comm);
	for (round = 1; round <= DEMO_ROUNDS; round++) {
		if (demo_round(round))
			failed++;
		else
			passed++;
	}

	/* Nothing registered: wake() is a no-op and remembers nothing. */
	if (atomic_waker_wake(&demo_aw)) {
		pr_err("atomic_waker_demo: empty wake() returned true\n");
		failed++;
	} else {
		pr_info("atomic_waker_demo: empty wake() returned false, as it should\n");
		passed++;
	}
	pr_info("atomic_waker_demo: %d passed, %d failed\n", passed, failed);
	return failed ? -EINVAL : 0;
}

static int __init demo_init(void)
{
	hrtimer_init(&demo_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	demo_timer.function = demo_irq;
	return demo_run();	/* insmod fails if the demo does */
}

static void __exit demo_exit(void)
{
	hrtimer_cancel(&demo_timer);
	atomic_waker_destroy(&demo_aw);
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_DESCRIPTION("atomic_waker demo: a task woken from hard IRQ");
MODULE_LICENSE("GPL");
