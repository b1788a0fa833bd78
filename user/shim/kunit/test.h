/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kunit/test.h for user space: what ../kunit/ uses of KUnit, on the shim.
 *
 * As in the kernel, each case runs in a thread of its own (with a task of
 * its own as current); a failed KUNIT_ASSERT_*() or kunit_skip() ends that
 * thread, and the runner (kunit.c) then runs the case's actions and frees
 * its kunit_kzalloc() memory, last added first.  A parameterized case runs
 * once per parameter, each counted as a case, as kunit.py counts them.
 * The runner also fails a case during which a WARN_ON_ONCE() fired that no
 * test expected (see shim_warnings_excuse()), or the shim reported a BUG.
 */
#ifndef _KSHIM_KUNIT_TEST_H
#define _KSHIM_KUNIT_TEST_H

#include <kshim.h>

#define KUNIT_PARAM_DESC_SIZE		128
#define KUNIT_STATUS_COMMENT_SIZE	256

enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

enum kunit_speed {
	KUNIT_SPEED_UNSET,
	KUNIT_SPEED_VERY_SLOW,
	KUNIT_SPEED_SLOW,
	KUNIT_SPEED_NORMAL,
};

struct kunit_attributes {
	enum kunit_speed speed;
};

struct kunit;

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
	struct kunit_attributes attr;
};

struct kunit_suite {
	const char name[256];
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

struct kunit_resource;

struct kunit {
	void *priv;
	const char *name;		/* the case's */
	const void *param_value;
	enum kunit_status status;
	char status_comment[KUNIT_STATUS_COMMENT_SIZE];
	/* the shim's */
	struct kunit_resource *resources;	/* last added first */
	pthread_mutex_t lock;
};

typedef void (kunit_action_t)(void *ctx);

#define KUNIT_CASE(test_name)						\
	{ .run_case = test_name, .name = #test_name }
#define KUNIT_CASE_PARAM(test_name, gen_params)				\
	{ .run_case = test_name, .name = #test_name,			\
	  .generate_params = gen_params }
#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, attributes)	\
	{ .run_case = test_name, .name = #test_name,			\
	  .generate_params = gen_params, .attr = attributes }

#define KUNIT_ARRAY_PARAM(name, array, get_desc)			\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		__typeof__((array)[0]) *__next = prev ?			\
			((__typeof__(__next))prev) + 1 : (array);	\
		if (__next - (array) < (long)ARRAY_SIZE((array))) {	\
			void (*__get_desc)(__typeof__(__next), char *) = get_desc; \
			if (__get_desc)					\
				__get_desc(__next, desc);		\
			return __next;					\
		}							\
		return NULL;						\
	}

/* Suites register themselves; the runner runs them in link order. */
void __kunit_register_suites(struct kunit_suite **suites, size_t n);
#define __kunit_test_suites(array, reg, ...)				\
	static struct kunit_suite *array[] = { __VA_ARGS__ };		\
	__attribute__((constructor)) static void reg(void)		\
	{								\
		__kunit_register_suites(array, ARRAY_SIZE(array));	\
	}
#define __kunit_id(a, b)	__kunit_id2(a, b)
#define __kunit_id2(a, b)	a##b
#define kunit_test_suites(...)						\
	__kunit_test_suites(__kunit_id(__kunit_suites_, __LINE__),	\
			    __kunit_id(__kunit_register_, __LINE__),	\
			    __VA_ARGS__)
#define kunit_test_suite(suite)	kunit_test_suites(&suite)

/* ---- resources and actions -------------------------------------------------- */

int kunit_add_action(struct kunit *test, kunit_action_t *action, void *ctx);
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx);
void kunit_release_action(struct kunit *test, kunit_action_t *action,
			  void *ctx);
void kunit_remove_action(struct kunit *test, kunit_action_t *action,
			 void *ctx);

#define KUNIT_DEFINE_ACTION_WRAPPER(wrapper, orig, arg_type)		\
	static void wrapper(void *in)					\
	{								\
		orig((arg_type)in);					\
	}

void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp);
void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, gfp_t gfp);
void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp);

/* ---- logging, failing, skipping ------------------------------------------------ */

void kunit_log_line(struct kunit *test, const char *fmt, ...) __printf(2, 3);
#define kunit_info(test, fmt, ...)	kunit_log_line(test, fmt, ##__VA_ARGS__)
#define kunit_warn(test, fmt, ...)	kunit_log_line(test, fmt, ##__VA_ARGS__)
#define kunit_err(test, fmt, ...)	kunit_log_line(test, fmt, ##__VA_ARGS__)

void kunit_fail_at(struct kunit *test, bool assertion, const char *file,
		   int line, const char *fmt, ...) __printf(5, 6);
void __kunit_abort(struct kunit *test) __attribute__((__noreturn__));

#define kunit_mark_skipped(test, fmt, ...) do {				\
	WRITE_ONCE((test)->status, KUNIT_SKIPPED);			\
	scnprintf((test)->status_comment, KUNIT_STATUS_COMMENT_SIZE,	\
		  fmt, ##__VA_ARGS__);					\
} while (0)
#define kunit_skip(test, fmt, ...) do {					\
	kunit_mark_skipped((test), fmt, ##__VA_ARGS__);			\
	__kunit_abort(test);						\
} while (0)

#define __KUNIT_FAIL(test, assertion, fmt, ...) do {			\
	kunit_fail_at((test), (assertion), __FILE__, __LINE__,		\
		      fmt, ##__VA_ARGS__);				\
	if (assertion)							\
		__kunit_abort(test);					\
} while (0)

#define KUNIT_FAIL(test, fmt, ...)	__KUNIT_FAIL(test, false, fmt, ##__VA_ARGS__)

#define __KUNIT_COND(test, assertion, cond, text, fmt, ...) do {	\
	if (!(cond)) {							\
		kunit_fail_at((test), (assertion), __FILE__, __LINE__,	\
			      "Expected %s" fmt, text, ##__VA_ARGS__);	\
		if (assertion)						\
			__kunit_abort(test);				\
	}								\
} while (0)

#define __KUNIT_BINARY(test, assertion, left, op, right, fmt, ...) do {	\
	const __typeof__(left) __left = (left);				\
	const __typeof__(right) __right = (right);			\
									\
	if (!(__left op __right)) {					\
		kunit_fail_at((test), (assertion), __FILE__, __LINE__,	\
			      "Expected %s %s %s, but %s == %lld, %s == %lld" fmt, \
			      #left, #op, #right, #left,		\
			      (long long)__left, #right,		\
			      (long long)__right, ##__VA_ARGS__);	\
		if (assertion)						\
			__kunit_abort(test);				\
	}								\
} while (0)

#define __KUNIT_MSG(fmt)	"\n    " fmt

#define KUNIT_EXPECT_TRUE_MSG(test, c, fmt, ...)			\
	__KUNIT_COND(test, false, c, #c " is true", __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_FALSE_MSG(test, c, fmt, ...)			\
	__KUNIT_COND(test, false, !(c), #c " is false", __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(test, c, fmt, ...)			\
	__KUNIT_COND(test, true, c, #c " is true", __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_ASSERT_FALSE_MSG(test, c, fmt, ...)			\
	__KUNIT_COND(test, true, !(c), #c " is false", __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE(test, c)	__KUNIT_COND(test, false, c, #c " is true", "")
#define KUNIT_EXPECT_FALSE(test, c)	__KUNIT_COND(test, false, !(c), #c " is false", "")
#define KUNIT_ASSERT_TRUE(test, c)	__KUNIT_COND(test, true, c, #c " is true", "")
#define KUNIT_ASSERT_FALSE(test, c)	__KUNIT_COND(test, true, !(c), #c " is false", "")

#define KUNIT_EXPECT_NOT_NULL(test, p)					\
	__KUNIT_COND(test, false, (p) != NULL, #p " is not NULL", "")
#define KUNIT_ASSERT_NOT_NULL(test, p)					\
	__KUNIT_COND(test, true, (p) != NULL, #p " is not NULL", "")
#define KUNIT_EXPECT_PTR_EQ(test, a, b)					\
	__KUNIT_COND(test, false, (a) == (b), #a " == " #b, "")

#define KUNIT_EXPECT_EQ(test, l, r)	__KUNIT_BINARY(test, false, l, ==, r, "")
#define KUNIT_EXPECT_NE(test, l, r)	__KUNIT_BINARY(test, false, l, !=, r, "")
#define KUNIT_EXPECT_LT(test, l, r)	__KUNIT_BINARY(test, false, l, <, r, "")
#define KUNIT_EXPECT_LE(test, l, r)	__KUNIT_BINARY(test, false, l, <=, r, "")
#define KUNIT_EXPECT_GT(test, l, r)	__KUNIT_BINARY(test, false, l, >, r, "")
#define KUNIT_EXPECT_GE(test, l, r)	__KUNIT_BINARY(test, false, l, >=, r, "")
#define KUNIT_ASSERT_EQ(test, l, r)	__KUNIT_BINARY(test, true, l, ==, r, "")
#define KUNIT_ASSERT_NE(test, l, r)	__KUNIT_BINARY(test, true, l, !=, r, "")
#define KUNIT_ASSERT_LT(test, l, r)	__KUNIT_BINARY(test, true, l, <, r, "")
#define KUNIT_ASSERT_LE(test, l, r)	__KUNIT_BINARY(test, true, l, <=, r, "")
#define KUNIT_ASSERT_GT(test, l, r)	__KUNIT_BINARY(test, true, l, >, r, "")
#define KUNIT_ASSERT_GE(test, l, r)	__KUNIT_BINARY(test, true, l, >=, r, "")
#define KUNIT_EXPECT_EQ_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, false, l, ==, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_NE_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, false, l, !=, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_GT_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, false, l, >, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_GE_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, false, l, >=, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_EXPECT_LE_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, false, l, <=, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, true, l, ==, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)
#define KUNIT_ASSERT_GT_MSG(test, l, r, fmt, ...)			\
	__KUNIT_BINARY(test, true, l, >, r, __KUNIT_MSG(fmt), ##__VA_ARGS__)

#endif /* _KSHIM_KUNIT_TEST_H */
