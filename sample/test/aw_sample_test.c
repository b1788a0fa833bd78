// SPDX-License-Identifier: GPL-2.0
/*
 * aw_sample_test: user-space test of /dev/atomic_waker_sample.
 *
 * Build: gcc -static -O2 -Wall -Wextra -pthread -I sample \
 *            -o aw_sample_test sample/test/aw_sample_test.c
 * Run as root with atomic_waker.ko and atomic_waker_sample.ko loaded:
 *   aw_sample_test            every test; the last one unplugs the device,
 *                             so rmmod atomic_waker_sample must follow
 *   aw_sample_test --rmmod    also remove the module at the end
 *                             (delete_module) and check that it went
 * Prints one line per check and "aw_sample_test: N passed, N failed";
 * exits 1 if any check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic_waker_sample.h"

#define MODNAME		"atomic_waker_sample"
#define WATCHDOG_S	240	/* the whole run (TCG is slow); env AW_SAMPLE_WATCHDOG */
#define NTHREADS	4
#define ROUNDS		200

static int passed, failed, skipped;
static bool have_epoll = true;	/* false: kernel without CONFIG_EPOLL */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	if (ok)
		passed++;
	else
		failed++;
	printf("aw_sample_test: %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	pthread_mutex_unlock(&out_lock);
}

static void skip(const char *what, const char *why)
{
	pthread_mutex_lock(&out_lock);
	skipped++;
	printf("aw_sample_test: skip %s: %s\n", what, why);
	pthread_mutex_unlock(&out_lock);
}

/* A syscall that should fail with @err: check it and say what it did. */
static void check_err(long ret, int err, const char *what)
{
	int e = errno;

	check(ret == -1 && e == err, "%s: want -1/%s, got %ld/%s", what,
	      strerror(err), ret, ret == -1 ? strerror(e) : "no error");
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int open_dev(int flags)
{
	int fd = open(AW_SAMPLE_DEVICE, O_RDWR | flags);

	if (fd < 0) {
		check(false, "open %s: %s", AW_SAMPLE_DEVICE, strerror(errno));
		exit(1);
	}
	return fd;
}

static int submit(int fd, uint32_t delay_us, uint32_t len, uint32_t seed)
{
	struct aw_sample_submit s = {
		.delay_us = delay_us, .len = len, .seed = seed,
	};

	return ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s);
}

static struct aw_sample_status status(int fd)
{
	struct aw_sample_status st;

	memset(&st, 0xff, sizeof(st));
	if (ioctl(fd, AW_SAMPLE_IOC_STATUS, &st))
		check(false, "STATUS: %s", strerror(errno));
	return st;
}

static bool payload_ok(const unsigned char *buf, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (unsigned char)(seed + i))
			return false;
	return true;
}

/* Submit and read back with a blocking read; true if all went right. */
static bool round_trip(int fd, uint32_t delay_us, uint32_t len, uint32_t seed)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	ssize_t n;

	if (submit(fd, delay_us, len, seed))
		return false;
	n = read(fd, buf, sizeof(buf));
	return n == (ssize_t)len && payload_ok(buf, len, seed);
}

/* Every completion ran in hard-IRQ context. */
static void check_hardirq(int fd, const char *what)
{
	struct aw_sample_status st = status(fd);

	check(st.completed > 0 && st.hardirq == st.completed,
	      "%s: %llu of %llu completions ran in hard IRQ", what,
	      (unsigned long long)st.hardirq,
	      (unsigned long long)st.completed);
}

/* ---- blocking read, O_NONBLOCK, poll, select, epoll ----------------- */

static void test_blocking_read(void)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	struct aw_sample_status st;
	int fd = open_dev(0);
	int64_t t0;
	ssize_t n;
	int r;

	st = status(fd);
	check(st.state == AW_SAMPLE_IDLE && st.submitted == 0,
	      "new file: idle, nothing submitted");
	/*
	 * Time from before the submit and print nothing until the read: a
	 * line on a serial console takes milliseconds.
	 */
	t0 = now_us();
	r = submit(fd, 20000, 64, 1);
	st = status(fd);
	n = read(fd, buf, sizeof(buf));
	t0 = now_us() - t0;
	check(r == 0, "SUBMIT 20 ms, 64 bytes");
	check(st.state == AW_SAMPLE_PENDING && st.len == 64,
	      "STATUS right after: pending, 64 bytes (state %u)", st.state);
	check(n == 64 && payload_ok(buf, 64, 1),
	      "blocking read returns the 64-byte payload (%zd)", n);
	check(t0 >= 20000, "read slept until the transfer completed (%lld us)",
	      (long long)t0);
	st = status(fd);
	check(st.state == AW_SAMPLE_IDLE && st.completed == 1,
	      "after read: idle, 1 completed");
	check_hardirq(fd, "blocking read");
	check(round_trip(fd, 0, 1, 7), "0-us transfer of 1 byte");
	check(round_trip(fd, 100, AW_SAMPLE_MAX_LEN, 9),
	      "max-size transfer (%d bytes)", AW_SAMPLE_MAX_LEN);
	close(fd);
}

static void test_nonblock_poll(void)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	int fd = open_dev(O_NONBLOCK);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int64_t t0;
	ssize_t n;
	int r;

	check_err(read(fd, buf, sizeof(buf)), EAGAIN,
		  "O_NONBLOCK read, nothing submitted");
	r = poll(&p, 1, 0);
	check(r == 1 && p.revents == POLLOUT,
	      "poll idle: POLLOUT only (r=%d revents=%#x)", r, p.revents);

	check(submit(fd, 500000, 100, 3) == 0, "SUBMIT 500 ms");
	check_err(read(fd, buf, sizeof(buf)), EAGAIN,
		  "O_NONBLOCK read, transfer pending");
	p.revents = 0;
	r = poll(&p, 1, 0);
	check(r == 0, "poll pending, timeout 0: nothing ready (r=%d revents=%#x)",
	      r, p.revents);
	/*
	 * A poll() that times out tests the file once more, so POLLIN alone
	 * does not show that the completion woke it: the time does.
	 */
	t0 = now_us();
	p.events = POLLIN;
	r = poll(&p, 1, 10000);
	t0 = now_us() - t0;
	check(r == 1 && (p.revents & POLLIN) && t0 < 5000000,
	      "poll woken by the completion with POLLIN (r=%d revents=%#x, %lld us)",
	      r, p.revents, (long long)t0);
	n = read(fd, buf, sizeof(buf));
	check(n == 100 && payload_ok(buf, 100, 3),
	      "O_NONBLOCK read after POLLIN returns the payload (%zd)", n);
	check_err(read(fd, buf, sizeof(buf)), EAGAIN,
		  "O_NONBLOCK read, transfer consumed");
	p.events = POLLIN | POLLOUT;
	r = poll(&p, 1, 0);
	check(r == 1 && p.revents == POLLOUT, "poll after read: POLLOUT again");
	check_hardirq(fd, "poll");
	close(fd);
}

static void test_select(void)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	int fd = open_dev(O_NONBLOCK);
	struct timeval tv = { 0, 0 };
	int64_t t0;
	fd_set rd;
	int r;

	check(submit(fd, 500000, 10, 4) == 0, "SUBMIT 500 ms for select");
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	r = select(fd + 1, &rd, NULL, NULL, &tv);
	check(r == 0, "select, timeout 0, pending: nothing ready (%d)", r);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	tv.tv_sec = 10;
	t0 = now_us();
	r = select(fd + 1, &rd, NULL, NULL, &tv);
	t0 = now_us() - t0;
	check(r == 1 && FD_ISSET(fd, &rd) && t0 < 5000000,
	      "select woken by the completion (%d, %lld us)", r, (long long)t0);
	check(read(fd, buf, sizeof(buf)) == 10 && payload_ok(buf, 10, 4),
	      "read after select");
	close(fd);
}

static void test_epoll(bool edge)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	int fd = open_dev(O_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 };
	const char *mode = edge ? "epoll EPOLLET" : "epoll";
	int r, i, good = 0;

	if (!have_epoll) {
		skip(mode, "kernel without CONFIG_EPOLL");
		close(fd);
		return;
	}
	if (ep < 0) {
		check(false, "epoll_create1: %s", strerror(errno));
		close(fd);
		return;
	}
	if (edge)
		ev.events |= EPOLLET;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "%s: EPOLL_CTL_ADD",
	      mode);
	r = epoll_wait(ep, &ev, 1, 0);
	check(r == 0, "%s: idle file not readable (%d)", mode, r);
	for (i = 0; i < 20; i++) {
		uint32_t delay = (i % 5) * 1000, len = 1 + i * 50;

		if (submit(fd, delay, len, i))
			break;
		memset(&ev, 0, sizeof(ev));
		r = epoll_wait(ep, &ev, 1, 5000);
		if (r != 1 || !(ev.events & EPOLLIN) || ev.data.u32 != 42)
			break;
		if (read(fd, buf, sizeof(buf)) != (ssize_t)len ||
		    !payload_ok(buf, len, i))
			break;
		good++;
	}
	check(good == 20, "%s: 20 transfers each reported EPOLLIN once ready (%d)",
	      mode, good);
	r = epoll_wait(ep, &ev, 1, 0);
	check(r == 0, "%s: nothing ready after the last read (%d)", mode, r);
	close(ep);
	close(fd);
}

/* ---- write(), the error paths ---------------------------------------- */

static void test_write_loopback(void)
{
	static const char msg[] = "hello from atomic_waker";
	char buf[AW_SAMPLE_MAX_LEN];
	int fd = open_dev(0);
	ssize_t n;

	n = write(fd, msg, sizeof(msg));
	check(n == (ssize_t)sizeof(msg), "write submits a loopback transfer (%zd)",
	      n);
	n = read(fd, buf, sizeof(buf));
	check(n == (ssize_t)sizeof(msg) && !memcmp(buf, msg, sizeof(msg)),
	      "read returns the written bytes (%zd)", n);
	check(write(fd, msg, 0) == 0, "write of 0 bytes returns 0");
	check(read(fd, buf, 0) == 0, "read of 0 bytes returns 0");
	close(fd);
}

static void test_errors(void)
{
	struct aw_sample_submit s = { .delay_us = 0, .len = 16 };
	unsigned char buf[AW_SAMPLE_MAX_LEN + 1];
	void *bad = (void *)16;	/* never mapped */
	int fd = open_dev(0);

	check_err(ioctl(fd, _IO(AW_SAMPLE_IOC_MAGIC, 0x55)), ENOTTY,
		  "unknown ioctl number");
	check_err(ioctl(fd, _IOR('T', 0x13, int), buf), ENOTTY,
		  "ioctl of another driver");
	check_err(ioctl(fd, _IOW(AW_SAMPLE_IOC_MAGIC, 0, int), buf), ENOTTY,
		  "SUBMIT with the wrong size in the command");

	s.len = 0;
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s), EINVAL, "SUBMIT len 0");
	s.len = AW_SAMPLE_MAX_LEN + 1;
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s), EINVAL,
		  "SUBMIT len > max");
	s.len = 16;
	s.delay_us = AW_SAMPLE_MAX_DELAY_US + 1;
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s), EINVAL,
		  "SUBMIT delay > max");
	s.delay_us = 0;
	s.flags = 1;
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s), EINVAL,
		  "SUBMIT unknown flags");
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, bad), EFAULT,
		  "SUBMIT bad pointer");
	check_err(ioctl(fd, AW_SAMPLE_IOC_SUBMIT, NULL), EFAULT,
		  "SUBMIT NULL pointer");
	check_err(ioctl(fd, AW_SAMPLE_IOC_STATUS, bad), EFAULT,
		  "STATUS bad pointer");
	check_err(syscall(SYS_write, fd, bad, 10), EFAULT, "write from a bad pointer");
	check_err(write(fd, buf, AW_SAMPLE_MAX_LEN + 1), EINVAL,
		  "write larger than the max transfer");
	check(status(fd).state == AW_SAMPLE_IDLE,
	      "failed submits left the file idle");

	check(submit(fd, 1000000, 64, 11) == 0, "SUBMIT 1 s");
	check_err(submit(fd, 0, 1, 0), EBUSY, "SUBMIT while one is pending");
	check_err(write(fd, buf, 1), EBUSY, "write while one is pending");
	close(fd);	/* with the 1-s transfer pending: release cancels it */

	fd = open_dev(0);
	check(submit(fd, 0, 64, 12) == 0, "SUBMIT 64 bytes");
	check_err(read(fd, buf, 10), EINVAL, "read into a 10-byte buffer");
	check_err(submit(fd, 0, 1, 0), EBUSY, "SUBMIT while one is unread");
	check_err(syscall(SYS_read, fd, bad, sizeof(buf)), EFAULT, "read into a bad pointer");
	check(read(fd, buf, sizeof(buf)) == 64 && payload_ok(buf, 64, 12),
	      "the transfer survived the failed reads");
	close(fd);
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal++;
}

struct killer {
	pthread_t target;
	long delay_us;
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;

	sleep_us(k->delay_us);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void test_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	struct killer k = { pthread_self(), 100000 };
	pthread_t t;
	int fd = open_dev(0);
	int64_t t0;
	ssize_t n;

	/* No SA_RESTART: the interrupted read fails with EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	got_signal = 0;
	pthread_create(&t, NULL, killer_thread, &k);
	t0 = now_us();
	n = read(fd, buf, sizeof(buf));	/* nothing submitted: sleeps */
	t0 = now_us() - t0;
	pthread_join(t, NULL);
	check_err(n, EINTR, "signal interrupts a blocked read");
	check(got_signal == 1 && t0 < 5000000, "handler ran once (%d), after %lld us",
	      (int)got_signal, (long long)t0);
	check(round_trip(fd, 1000, 32, 5), "the file works after EINTR");

	/* SA_RESTART: the read is restarted and returns the transfer. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	got_signal = 0;
	t0 = now_us();
	check(submit(fd, 1000000, 48, 6) == 0, "SUBMIT 1 s");
	pthread_create(&t, NULL, killer_thread, &k);
	n = read(fd, buf, sizeof(buf));
	t0 = now_us() - t0;
	pthread_join(t, NULL);
	check(n == 48 && payload_ok(buf, 48, 6) && got_signal == 1,
	      "SA_RESTART: read restarted after the signal, got the payload (%zd, %d signals)",
	      n, (int)got_signal);
	check(t0 >= 1000000, "SA_RESTART: read returned after the completion (%lld us)",
	      (long long)t0);

	sa.sa_flags = 0;	/* back to what main() installed */
	sigaction(SIGUSR1, &sa, NULL);
	close(fd);
}

/*
 * Wait until *@done or @deadline (in now_us() time); then, if the thread is
 * still blocked, which is a bug the caller reports, interrupt it with SIGUSR1
 * (no SA_RESTART: its syscall fails with EINTR) so that it can be joined.
 * Return: true if it finished by itself before @deadline.
 */
static bool join_or_kick(pthread_t t, volatile int *done, int64_t deadline)
{
	bool in_time;

	while (!__atomic_load_n(done, __ATOMIC_ACQUIRE) && now_us() < deadline)
		sleep_us(10000);
	in_time = __atomic_load_n(done, __ATOMIC_ACQUIRE);
	while (!__atomic_load_n(done, __ATOMIC_ACQUIRE)) {
		pthread_kill(t, SIGUSR1);
		sleep_us(10000);
	}
	pthread_join(t, NULL);
	return in_time;
}

/* ---- several openers ------------------------------------------------- */

enum wait_how { BY_READ, BY_POLL, BY_EPOLL };

struct opener {
	int id;
	enum wait_how how;
	int bad;
	unsigned long long woken;
};

static void *opener_thread(void *arg)
{
	struct opener *o = arg;
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	int fd = open_dev(o->how == BY_READ ? 0 : O_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	unsigned int rnd = o->id * 7919 + 1;
	int ep = -1;

	if (o->how == BY_EPOLL) {
		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			o->bad++;
	}
	for (int i = 0; i < ROUNDS && !o->bad; i++) {
		uint32_t delay = rand_r(&rnd) % 300;
		uint32_t len = 1 + rand_r(&rnd) % AW_SAMPLE_MAX_LEN;
		uint32_t seed = o->id * 1000 + i;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t t0;
		ssize_t n;

		if (submit(fd, delay, len, seed)) {
			o->bad++;
			break;
		}
		t0 = now_us();
		/* A timed-out poll() still reports POLLIN: time it too. */
		if (o->how == BY_POLL && (poll(&p, 1, 10000) != 1 ||
					  now_us() - t0 > 5000000))
			o->bad++;
		if (o->how == BY_EPOLL && epoll_wait(ep, &ev, 1, 10000) != 1)
			o->bad++;
		n = read(fd, buf, sizeof(buf));
		if (n != (ssize_t)len || !payload_ok(buf, len, seed))
			o->bad++;
	}
	{
		struct aw_sample_status st = status(fd);

		if (st.completed != ROUNDS || st.hardirq != ROUNDS)
			o->bad++;
		o->woken = st.woken;
	}
	if (ep >= 0)
		close(ep);
	close(fd);
	return NULL;
}

static void test_concurrent_openers(void)
{
	static const char *const how[] = { "read", "poll", "epoll" };
	struct opener o[NTHREADS];
	pthread_t t[NTHREADS];
	unsigned long long woken = 0;
	int i;

	for (i = 0; i < NTHREADS; i++) {
		o[i] = (struct opener){ .id = i, .how = i % 3 };
		if (o[i].how == BY_EPOLL && !have_epoll)
			o[i].how = BY_POLL;
		pthread_create(&t[i], NULL, opener_thread, &o[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		check(!o[i].bad, "opener %d (%s): %d transfers, each its own payload, all in hard IRQ",
		      i, how[o[i].how], ROUNDS);
		if (o[i].how == BY_READ)
			woken += o[i].woken;
	}
	check(woken > 0, "blocking readers were woken by the IRQ's wake() (%llu times)",
	      woken);
}

struct reader {
	int fd;
	ssize_t n;
	int err;
	volatile int done;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[AW_SAMPLE_MAX_LEN];

	r->n = read(r->fd, buf, sizeof(buf));
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* How many of @r are done, once @want are or after @timeout_us. */
static int count_done(struct reader *r, int n, int want, long timeout_us)
{
	int64_t end = now_us() + timeout_us;
	int i, done;

	for (;;) {
		done = 0;
		for (i = 0; i < n; i++)
			done += __atomic_load_n(&r[i].done, __ATOMIC_ACQUIRE);
		if (done >= want || now_us() >= end)
			return done;
		sleep_us(10000);
	}
}

/* Two readers of one file: the second waits its turn, neither is lost. */
static void test_shared_file(void)
{
	int fd = open_dev(0);
	struct reader r[2] = { { .fd = fd }, { .fd = fd } };
	pthread_t t[2];
	int i, done;

	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, reader_thread, &r[i]);
	sleep_us(100000);
	check(count_done(r, 2, 0, 0) == 0, "two readers of one file both block");
	check(submit(fd, 1000, 20, 1) == 0, "SUBMIT for the first reader");
	count_done(r, 2, 1, 5000000);
	sleep_us(100000);	/* would a second reader return too? */
	done = count_done(r, 2, 0, 0);
	check(done == 1, "one transfer completes exactly one reader (%d)", done);
	check(submit(fd, 1000, 30, 2) == 0, "SUBMIT for the second reader");
	done = count_done(r, 2, 2, 5000000);
	check(done == 2, "the second reader is not lost (%d done)", done);
	for (i = 0; i < 2; i++)
		join_or_kick(t[i], &r[i].done, 0);
	check((r[0].n == 20 && r[1].n == 30) || (r[0].n == 30 && r[1].n == 20),
	      "each reader got one whole transfer (%zd, %zd)", r[0].n, r[1].n);
	close(fd);
}

/* ---- unload, unplug ---------------------------------------------------- */

static long delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

static void test_privileges(void)
{
	int fd = open_dev(0);
	int st;
	pid_t pid;

	if (geteuid() != 0) {
		printf("aw_sample_test: skip privilege checks: not root\n");
		close(fd);
		return;
	}
	check_err(delete_module(MODNAME), EWOULDBLOCK,
		  "rmmod while a file is open");
	pid = fork();
	if (pid == 0) {
		/* An unprivileged process with the file open may not unplug. */
		if (setuid(65534))
			_exit(errno == ENOSYS ? 3 : 2);
		_exit(ioctl(fd, AW_SAMPLE_IOC_UNPLUG) == -1 && errno == EPERM ?
		      0 : 1);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		skip("UNPLUG without CAP_SYS_ADMIN",
		     "kernel without CONFIG_MULTIUSER (no setuid)");
	else
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "UNPLUG without CAP_SYS_ADMIN fails with EPERM");
	check(round_trip(fd, 0, 8, 1), "device still works");
	close(fd);
}

struct waiter {
	int fd;
	int ep;
	enum wait_how how;
	long ret;
	int err;
	unsigned int events;
	volatile int done;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	struct epoll_event ev = { 0 };

	switch (w->how) {
	case BY_READ:
		w->ret = read(w->fd, buf, sizeof(buf));
		break;
	case BY_POLL:
		w->ret = poll(&p, 1, 20000);
		w->events = p.revents;
		break;
	case BY_EPOLL:
		w->ret = epoll_wait(w->ep, &ev, 1, 20000);
		w->events = ev.events;
		break;
	}
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_unplug(bool rmmod)
{
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	struct waiter w[4] = {
		{ .how = BY_READ }, { .how = BY_READ },
		{ .how = BY_POLL }, { .how = BY_EPOLL },
	};
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t t[4];
	int ctl = open_dev(0);
	int i, done, fd;
	int64_t t0;

	if (!have_epoll)
		w[3].how = BY_POLL;	/* a second poller instead */
	for (i = 0; i < 4; i++) {
		w[i].fd = open_dev(w[i].how == BY_READ ? 0 : O_NONBLOCK);
		w[i].ep = -1;
	}
	/* Reader 0 waits on a pending 5-s transfer, reader 1 on nothing. */
	check(submit(w[0].fd, 5000000, 16, 0) == 0, "SUBMIT 5 s before unplug");
	if (w[3].how == BY_EPOLL) {
		w[3].ep = epoll_create1(0);
		epoll_ctl(w[3].ep, EPOLL_CTL_ADD, w[3].fd, &ev);
	}
	/* The poller's and epoller's files are busy: not even EPOLLOUT. */
	submit(w[2].fd, 5000000, 16, 0);
	submit(w[3].fd, 5000000, 16, 0);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, waiter_thread, &w[i]);
	sleep_us(200000);
	done = 0;
	for (i = 0; i < 4; i++)
		done += w[i].done;
	check(done == 0, "2 readers, a poller and an %s are blocked",
	      have_epoll ? "epoller" : "other poller");

	t0 = now_us();
	check(ioctl(ctl, AW_SAMPLE_IOC_UNPLUG) == 0, "UNPLUG");
	done = 0;
	for (i = 0; i < 4; i++)
		done += join_or_kick(t[i], &w[i].done, t0 + 5000000);
	t0 = now_us() - t0;
	check(done == 4, "%d of 4 woke up after the unplug (%lld us)", done,
	      (long long)t0);
	check(w[0].ret == -1 && w[0].err == ENODEV,
	      "reader with a pending transfer: ENODEV (%ld/%s)", w[0].ret,
	      strerror(w[0].err));
	check(w[1].ret == -1 && w[1].err == ENODEV,
	      "reader with nothing submitted: ENODEV (%ld/%s)", w[1].ret,
	      strerror(w[1].err));
	check(w[2].ret == 1 && (w[2].events & (POLLERR | POLLHUP)) ==
	      (POLLERR | POLLHUP), "poller: POLLERR|POLLHUP (%ld, %#x)",
	      w[2].ret, w[2].events);
	check(w[3].ret == 1 && (w[3].events & (EPOLLERR | EPOLLHUP)) ==
	      (EPOLLERR | EPOLLHUP), "%s: EPOLLERR|EPOLLHUP (%ld, %#x)",
	      have_epoll ? "epoller" : "second poller", w[3].ret, w[3].events);

	check_err(read(ctl, buf, sizeof(buf)), ENODEV, "read after unplug");
	check_err(write(ctl, buf, 1), ENODEV, "write after unplug");
	check_err(submit(ctl, 0, 1, 0), ENODEV, "SUBMIT after unplug");
	check_err(ioctl(ctl, AW_SAMPLE_IOC_UNPLUG), ENODEV, "UNPLUG twice");
	check_err(ioctl(ctl, 0), ENOTTY, "bad ioctl after unplug");
	fd = open(AW_SAMPLE_DEVICE, O_RDWR);
	check(fd == -1 && (errno == ENOENT || errno == ENODEV),
	      "open after unplug fails: the node is gone (%s)",
	      fd == -1 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);

	if (geteuid() == 0)
		check_err(delete_module(MODNAME), EWOULDBLOCK,
			  "rmmod with files still open after unplug");
	for (i = 0; i < 4; i++) {
		if (w[i].ep >= 0)
			close(w[i].ep);
		close(w[i].fd);
	}
	close(ctl);
	if (rmmod) {
		long ret = delete_module(MODNAME);

		check(ret == 0, "rmmod once the files are closed (%s)",
		      ret ? strerror(errno) : "removed");
		check_err(delete_module(MODNAME), ENOENT, "module is gone");
	}
}

static void on_watchdog(int sig)
{
	static const char msg[] =
		"aw_sample_test: FAIL watchdog: the test hung\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int main(int argc, char **argv)
{
	bool rmmod = argc > 1 && !strcmp(argv[1], "--rmmod");
	struct stat st;
	int fd;

	struct sigaction sa = { .sa_handler = on_signal };
	const char *wd = getenv("AW_SAMPLE_WATCHDOG");

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_watchdog);
	alarm(wd ? atoi(wd) : WATCHDOG_S);
	/* SIGUSR1 interrupts blocked syscalls: see join_or_kick(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	if (stat(AW_SAMPLE_DEVICE, &st) || !S_ISCHR(st.st_mode)) {
		printf("aw_sample_test: FAIL %s missing: is %s loaded?\n",
		       AW_SAMPLE_DEVICE, MODNAME);
		printf("aw_sample_test: 0 passed, 1 failed\n");
		return 1;
	}

	fd = epoll_create1(0);
	if (fd >= 0)
		close(fd);
	else if (errno == ENOSYS)
		have_epoll = false;

	test_blocking_read();
	test_nonblock_poll();
	test_select();
	test_epoll(false);
	test_epoll(true);
	test_write_loopback();
	test_errors();
	test_signals();
	test_concurrent_openers();
	test_shared_file();
	test_privileges();
	test_unplug(rmmod);	/* last: the device is gone afterwards */

	if (skipped)
		printf("aw_sample_test: %d skipped (missing kernel features)\n",
		       skipped);
	printf("aw_sample_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
