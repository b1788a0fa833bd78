/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the driver workloads (static, run in the initramfs):
 * pass/fail counting, time, percentiles, sysfs, /proc/interrupts deltas and
 * wakeups (voluntary context switches) per request.
 */
#ifndef DRV_TEST_H
#define DRV_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *t_name = "test";
static int t_pass, t_fail;

static inline void t_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s: ", t_name, cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (cond)
		t_pass++;
	else
		t_fail++;
}

static inline int t_summary(void)
{
	printf("%s: %d passed, %d failed\n", t_name, t_pass, t_fail);
	fflush(stdout);
	return t_fail ? 1 : 0;
}

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read a sysfs/proc file into buf (trailing newline cut); -1 on error. */
static inline int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Write a string to a sysfs file; 0 or -errno. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Sum of the counts of CPU @cpu (all CPUs if -1) on the /proc/interrupts
 * lines naming @pat. */
static inline long long irq_count_on(const char *pat, int cpu)
{
	char line[1024];
	long long sum = 0;
	int col;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f || !pat || !*pat)
		return f ? (fclose(f), 0) : 0;
	if (!fgets(line, sizeof(line), f)) { /* CPU header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(p, pat))
			continue;
		for (p++, col = 0;; col++) {
			char *end;
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			if (cpu < 0 || col == cpu)
				sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

static inline long long irq_count(const char *pat)
{
	return irq_count_on(pat, -1);
}

static inline long wakeups(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double pct(double *v, int n, double p)
{
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

/* Wait for @pid up to @ms; its status, or -1 if it is still running. */
static inline int wait_ms(pid_t pid, int ms)
{
	int st;
	double end = now_us() + ms * 1000.0;

	do {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		sleep_ms(5);
	} while (now_us() < end);
	return -1;
}

/* The task's state letter from /proc/<pid>/stat ('S', 'D', ...). */
static inline char task_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)))
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/* The kernel's wait channel of a task, e.g. "virtio_read". */
static inline void task_wchan(pid_t pid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	if (read_file(path, buf, len))
		snprintf(buf, len, "?");
}

/* A child that should have finished: say where it is, dump the blocked
 * tasks to the console (sysrq w), and kill it. */
static inline void report_stuck(pid_t pid)
{
	char path[64], buf[2048];

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	if (read_file(path, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	printf("%s: stuck child %d, state %c, stack:\n%s\n", t_name, pid,
	       task_state(pid), buf);
	write_file("/proc/sysrq-trigger", "w");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Suspend to idle and back through the PM test interface (devices level:
 * drivers' suspend/freeze and resume/restore run, no wakeup source needed).
 */
static inline int pm_cycle(void)
{
	int ret = write_file("/sys/power/pm_test", "devices");

	if (ret)
		return ret;
	ret = write_file("/sys/power/state", "freeze");
	write_file("/sys/power/pm_test", "none");
	return ret;
}

/* Pin the calling task (and its children) to one CPU; -1 leaves it free. */
static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

#endif /* DRV_TEST_H */
