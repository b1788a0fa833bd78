// SPDX-License-Identifier: GPL-2.0
/*
 * Repro: a wake callback that registers its waker again recurses as long as
 * register() finds a take() in flight.
 *
 * register()'s contended path (state AW_WAKING) calls w->ops->wake() while
 * the take() still owns the slot.  If that callback registers again ("poll
 * me again"), the new register() meets the same WAKING and calls the
 * callback again, for as long as the take() stays between (B) and (C).
 * Reported against 19d666b, where a take() could be preempted or
 * interrupted there, so the recursion had no bound; since 0a29eb1 take()
 * owns the slot with IRQs off and the header documents the call, so the
 * recursion lasts as long as another CPU runs a few instructions -- unless
 * that CPU is a vCPU the host preempts (lock-holder preemption), which
 * IRQs off do not prevent.  Here the take() is frozen by setting the state
 * by hand; the recursion is capped at CAP to print.
 *
 * Build and run: make -C user repro   (exit 1: the depth reached the cap)
 */
#include "atomic_waker.h"

#define CAP 1000

static struct atomic_waker aw;
static int depth, max_depth;

static void poll_again(void *data);

static const struct aw_waker_ops poll_ops = { .wake = poll_again };

static void poll_again(void *data)
{
	if (++depth > max_depth)
		max_depth = depth;
	if (depth < CAP)
		atomic_waker_register(&aw, aw_waker_callback(&poll_ops, data));
	depth--;
}

int main(void)
{
	atomic_waker_init(&aw);
	atomic_set(&aw.state, AW_WAKING);	/* a take() between (B) and (C) */
	atomic_waker_register(&aw, aw_waker_callback(&poll_ops, NULL));
	printf("contended_recursion: depth %d (stopped only by the cap %d)\n",
	       max_depth, CAP);
	return max_depth >= CAP;	/* 1: bounded only by the take() */
}
