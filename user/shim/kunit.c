// SPDX-License-Identifier: GPL-2.0
/*
 * kunit.c - the user-space KUnit runner: runs the suites that
 * kunit_test_suites() registered (../kunit/ and ../aw_user_cases.c), each
 * case in a thread of its own, and prints KTAP-like results.
 *
 * Usage: aw_test [-x] [-q] [-l] [PATTERN...]
 *   PATTERN  a suite or suite.case glob (fnmatch); none: every case
 *   -x       stop at the first failed case (mutants.sh)
 *   -q       do not print the cases' kunit_info() lines
 *   -l       list the cases and exit
 * The last line is "<program>: N passed, N failed, N skipped"; the exit
 * status is 1 if a case failed.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <libgen.h>
#include <stdarg.h>
#include <unistd.h>

#include <kunit/test.h>

/* The longest a case may run before the whole run is given up. */
#define CASE_LIMIT_S	600

struct kunit_resource {
	kunit_action_t *action;
	void *ctx;
	struct kunit_resource *next;
};

static struct kunit_suite **suites;
static size_t nsuites;
static bool quiet;

void __kunit_register_suites(struct kunit_suite **s, size_t n)
{
	suites = realloc(suites, (nsuites + n) * sizeof(*suites));
	if (!suites)
		abort();
	memcpy(suites + nsuites, s, n * sizeof(*s));
	nsuites += n;
}

/* ---- resources and actions ---------------------------------------------- */

int kunit_add_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct kunit_resource *r = malloc(sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->action = action;
	r->ctx = ctx;
	pthread_mutex_lock(&test->lock);
	r->next = test->resources;
	test->resources = r;
	pthread_mutex_unlock(&test->lock);
	return 0;
}

int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx)
{
	int ret = kunit_add_action(test, action, ctx);

	if (ret)
		action(ctx);
	return ret;
}

static struct kunit_resource *unlink_action(struct kunit *test,
					    kunit_action_t *action, void *ctx)
{
	struct kunit_resource **p, *r = NULL;

	pthread_mutex_lock(&test->lock);
	for (p = &test->resources; *p; p = &(*p)->next) {
		if ((*p)->action == action && (*p)->ctx == ctx) {
			r = *p;
			*p = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&test->lock);
	return r;
}

void kunit_release_action(struct kunit *test, kunit_action_t *action,
			  void *ctx)
{
	struct kunit_resource *r = unlink_action(test, action, ctx);

	if (r) {
		r->action(r->ctx);
		free(r);
	}
}

void kunit_remove_action(struct kunit *test, kunit_action_t *action,
			 void *ctx)
{
	free(unlink_action(test, action, ctx));
}

static void run_actions(struct kunit *test)
{
	struct kunit_resource *r;

	for (;;) {
		pthread_mutex_lock(&test->lock);
		r = test->resources;
		if (r)
			test->resources = r->next;
		pthread_mutex_unlock(&test->lock);
		if (!r)
			break;
		r->action(r->ctx);
		free(r);
	}
}

static void free_action(void *p)
{
	free(p);
}

static void *track(struct kunit *test, void *p)
{
	if (p && kunit_add_action_or_reset(test, free_action, p))
		return NULL;
	return p;
}

void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return track(test, calloc(1, size));
}

void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	return track(test, calloc(n, size));
}

void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return track(test, malloc(size));
}

/* ---- logging, failing ------------------------------------------------------ */

static void vlog(struct kunit *test, const char *prefix, const char *fmt,
		 va_list ap)
{
	char buf[1024];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	printf("    # %s: %s%s\n", test->name, prefix, buf);
}

void kunit_log_line(struct kunit *test, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog(test, "", fmt, ap);
	va_end(ap);
}

void kunit_fail_at(struct kunit *test, bool assertion, const char *file,
		   int line, const char *fmt, ...)
{
	char where[512];
	va_list ap;

	WRITE_ONCE(test->status, KUNIT_FAILURE);
	snprintf(where, sizeof(where), "%s:%d: %s", file, line,
		 assertion ? "ASSERTION FAILED: " : "EXPECTATION FAILED: ");
	va_start(ap, fmt);
	vlog(test, where, fmt, ap);
	va_end(ap);
}

void __kunit_abort(struct kunit *test)
{
	pthread_exit(NULL);
}

/* ---- the runner ------------------------------------------------------------ */

struct case_run {
	struct kunit *test;
	struct kunit_case *c;
	struct task_struct *task;	/* the case thread's current */
};

static void *case_thread(void *arg)
{
	struct case_run *r = arg;

	r->task = current;
	get_task_struct(r->task);	/* for the runner, until the cleanup */
	r->c->run_case(r->test);
	return NULL;
}

static void run_thread(struct case_run *r)
{
	struct timespec ts;
	pthread_t th;

	if (pthread_create(&th, NULL, case_thread, r))
		abort();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CASE_LIMIT_S;
	if (pthread_timedjoin_np(th, NULL, &ts)) {
		printf("not ok %s: still running after %d s: giving up\n",
		       r->test->name, CASE_LIMIT_S);
		fflush(stdout);
		_exit(3);
	}
}

/* Warnings that no test expected fail the case that saw them. */
static void check_warnings(struct kunit *test, unsigned long aw,
			   unsigned long other, unsigned long excused)
{
	long unexpected = (long)(shim_warnings_aw() - aw) -
			  (long)(shim_warnings_excused() - excused);
	long bugs = shim_warnings_other() - other;

	if (unexpected || bugs)
		kunit_fail_at(test, false, __FILE__, __LINE__,
			      "%ld atomic_waker warning(s) no test expected, %ld shim report(s)",
			      unexpected, bugs);
}

static enum kunit_status run_one(struct kunit_case *c, const void *param,
				 char *comment)
{
	unsigned long aw = shim_warnings_aw(), other = shim_warnings_other();
	unsigned long excused = shim_warnings_excused();
	struct kunit test = {
		.name = c->name, .param_value = param,
		.status = KUNIT_SUCCESS,
	};
	struct case_run r = { .test = &test, .c = c };

	pthread_mutex_init(&test.lock, NULL);
	run_thread(&r);
	run_actions(&test);
	if (r.task)
		put_task_struct(r.task);
	check_warnings(&test, aw, other, excused);
	pthread_mutex_destroy(&test.lock);
	strscpy(comment, test.status_comment, KUNIT_STATUS_COMMENT_SIZE);
	return test.status;
}

struct totals {
	int passed, failed, skipped;
};

static void count(struct totals *t, enum kunit_status s)
{
	if (s == KUNIT_SUCCESS)
		t->passed++;
	else if (s == KUNIT_FAILURE)
		t->failed++;
	else
		t->skipped++;
}

static void result(const char *indent, int n, const char *name,
		   enum kunit_status s, const char *comment, double secs)
{
	if (s == KUNIT_SKIPPED)
		printf("%sok %d %s # SKIP %s\n", indent, n, name, comment);
	else
		printf("%s%s %d %s # %.2f s\n", indent,
		       s == KUNIT_FAILURE ? "not ok" : "ok", n, name, secs);
}

static double now_s(void)
{
	return ktime_get_ns() / 1e9;
}

static enum kunit_status run_case(struct kunit_case *c, struct totals *t,
				  char *comment)
{
	enum kunit_status all = KUNIT_SKIPPED, s;
	char desc[KUNIT_PARAM_DESC_SIZE];
	const void *param = NULL;
	double t0 = now_s();
	int n = 0;

	if (!c->generate_params) {
		s = run_one(c, NULL, comment);
		count(t, s);
		return s;
	}
	printf("    # Subtest: %s\n", c->name);
	for (;;) {
		desc[0] = 0;
		param = c->generate_params(param, desc);
		if (!param)
			break;
		s = run_one(c, param, comment);
		count(t, s);
		result("    ", ++n, desc, s, comment, now_s() - t0);
		if (s == KUNIT_FAILURE || (s == KUNIT_SUCCESS && all != KUNIT_FAILURE))
			all = s;
	}
	return all;
}

static bool selected(const char *suite, const char *name, int argc,
		     char **argv)
{
	char full[512];
	int i;

	if (!argc)
		return true;
	snprintf(full, sizeof(full), "%s.%s", suite, name);
	for (i = 0; i < argc; i++)
		if (!fnmatch(argv[i], suite, 0) || !fnmatch(argv[i], full, 0))
			return true;
	return false;
}

static bool run_suite(struct kunit_suite *suite, int argc, char **argv,
		      bool stop, struct totals *t)
{
	char comment[KUNIT_STATUS_COMMENT_SIZE];
	struct kunit_case *c;
	int n = 0;

	printf("# Subtest: %s\n", suite->name);
	for (c = suite->test_cases; c->run_case; c++) {
		enum kunit_status s;
		double t0;

		if (!selected(suite->name, c->name, argc, argv))
			continue;
		t0 = now_s();
		s = run_case(c, t, comment);
		result("", ++n, c->name, s, comment, now_s() - t0);
		fflush(stdout);
		if (stop && s == KUNIT_FAILURE)
			return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	bool stop = false, list = false;
	struct totals t = { 0 };
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "xql")) != -1) {
		if (opt == 'x')
			stop = true;
		else if (opt == 'q')
			quiet = true;
		else if (opt == 'l')
			list = true;
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nsuites; i++) {
		struct kunit_case *c;

		if (list) {
			for (c = suites[i]->test_cases; c->run_case; c++)
				printf("%s.%s\n", suites[i]->name, c->name);
			continue;
		}
		if (!run_suite(suites[i], argc - optind, argv + optind, stop,
			       &t))
			break;
	}
	if (list)
		return 0;
	printf("%s: %d passed, %d failed, %d skipped\n", basename(argv[0]),
	       t.passed, t.failed, t.skipped);
	return t.failed ? 1 : 0;
}
