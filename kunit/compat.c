// SPDX-License-Identifier: GPL-2.0
/*
 * kunit_add_action_or_reset() and kunit_release_action() for kernels before
 * 6.4 (see compat.h): an action is a kunit resource whose free runs it.
 * Empty where the kernel has them.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/slab.h>

#include "compat.h"

#ifndef AW_HAVE_KUNIT_ACTIONS
struct aw_action {
	kunit_action_t *fn;
	void *ctx;
};

static int aw_action_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void aw_action_free(struct kunit_resource *res)
{
	struct aw_action *a = res->data;

	a->fn(a->ctx);
	kfree(a);
}

int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx)
{
	struct aw_action *a = kmalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->fn = action;
		a->ctx = ctx;
		if (kunit_alloc_resource(test, aw_action_init, aw_action_free,
					 GFP_KERNEL, a))
			return 0;
		kfree(a);
	}
	action(ctx);
	return -ENOMEM;
}

static bool aw_action_match(struct kunit *test, struct kunit_resource *res,
			    void *match_data)
{
	struct aw_action *want = match_data, *a = res->data;

	return res->free == aw_action_free && a->fn == want->fn &&
	       a->ctx == want->ctx;
}

void kunit_release_action(struct kunit *test, kunit_action_t *action,
			  void *ctx)
{
	struct aw_action want = { action, ctx };

	kunit_destroy_resource(test, aw_action_match, &want);
}
#endif
