// SPDX-License-Identifier: GPL-2.0
/*
 * aw_trace_test: the atomic_waker:* trace events, seen through tracefs
 * while the sample driver runs, must match what the driver did, as its own
 * status counters (AW_SAMPLE_IOC_STATUS) tell.
 *
 * Build: gcc -static -O2 -Wall -Wextra -pthread -I sample \
 *            -o aw_trace_test sample/test/aw_trace_test.c
 * Run as root with atomic_waker.ko and atomic_waker_sample.ko loaded, on a
 * kernel with trace events (CONFIG_FTRACE + CONFIG_ENABLE_DEFAULT_TRACERS),
 * before anything else uses an atomic_waker: every event in the buffer
 * must be explained.
 *
 * With the events on and the global trace clock, three phases, each step
 * between two trace_marker lines ("aw_trace_test: begin <step>", "... end
 * <step>"):
 *   blocked  NBLOCK transfers of DELAY_US, each read() by this thread
 *            right after its submit, so that it sleeps in
 *            atomic_waker_wait_event_interruptible() until the hard-IRQ
 *            completion wakes it.  A step whose reader slept shows exactly
 *            register(sleeper, ret=0), wake(that sleeper, woken=1) in hard
 *            IRQ, register(sleeper, ret=0) (the loop registers again before
 *            it tests the condition): as many such steps as the status
 *            counter "woken" says.  A reader that came too late shows one
 *            register or none, and no wake.
 *   late     NLATE transfers read only once complete: nothing registered,
 *            the completion's wake() finds the slot empty, and the empty
 *            wake is not traced: no event at all, "woken" unchanged.
 *   poll     poll() on a second file times out: register(wait_queue,
 *            ret=0) on its poll slot; close() destroys that slot:
 *            take(the same wait queue, taken=1).
 * All sleeper events are on one slot with one target (this thread), from
 * this thread (registers) or in hard IRQ (wakes).  Prints one line per
 * check and "aw_trace_test: N passed, N failed"; exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomic_waker_sample.h"

#define TRACEFS		"/sys/kernel/tracing"
#define NBLOCK		10
#define NLATE		3
#define DELAY_US	50000	/* the reader is asleep long before this */
#define MAX_EVENTS	4096

static int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	printf("aw_trace_test: %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int tracefs_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return write_file(path, val);
}

static void marker(const char *what, int i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "aw_trace_test: %s %d\n", what, i);
	tracefs_write("trace_marker", buf);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static struct aw_sample_status status(int fd)
{
	struct aw_sample_status st;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, AW_SAMPLE_IOC_STATUS, &st))
		check(false, "STATUS: %s", strerror(errno));
	return st;
}

static int submit(int fd, uint32_t delay_us, uint32_t len)
{
	struct aw_sample_submit s = { .delay_us = delay_us, .len = len };

	return ioctl(fd, AW_SAMPLE_IOC_SUBMIT, &s);
}

/* ---- the trace buffer, parsed ------------------------------------------ */

enum kind { EV_MARK, EV_REGISTER, EV_WAKE, EV_TAKE };

struct event {
	enum kind kind;
	int pid;
	bool hardirq;
	char text[96];		/* the marker; else the target's kind */
	char aw[24], target[24];
	int result;		/* ret, woken or taken */
};

static struct event events[MAX_EVENTS];
static int nevents;
static char *raw[MAX_EVENTS];	/* the lines, printed if a check failed */
static int nraw;

static const char *field(const char *s, const char *name, char *out,
			 size_t len)
{
	const char *p = strstr(s, name);
	size_t n;

	if (!p) {
		out[0] = '\0';
		return NULL;
	}
	p += strlen(name);
	n = strcspn(p, " \n");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/*
 * One line of the trace file:
 *   <comm>-<pid> [<cpu>] <flags> <time>: <event>: <fields>
 * The third flag is 'h' or 'H' in hard IRQ.
 */
static bool parse_line(const char *line, struct event *ev)
{
	const char *br = strstr(line, "] ");
	const char *dash, *name;
	char res[16];

	if (line[0] == '#' || !br)
		return false;
	for (dash = br; dash > line && *dash != '-'; dash--)
		;
	memset(ev, 0, sizeof(*ev));
	ev->pid = atoi(dash + 1);
	ev->hardirq = br[2] && br[3] && (br[4] == 'h' || br[4] == 'H');
	if ((name = strstr(br, ": tracing_mark_write: "))) {
		ev->kind = EV_MARK;
		name = strstr(name, "aw_trace_test: ");
		if (!name)
			return false;
		snprintf(ev->text, sizeof(ev->text), "%.*s",
			 (int)strcspn(name + 15, "\n"), name + 15);
		return true;
	}
	if ((name = strstr(br, ": atomic_waker_register: ")))
		ev->kind = EV_REGISTER;
	else if ((name = strstr(br, ": atomic_waker_wake: ")))
		ev->kind = EV_WAKE;
	else if ((name = strstr(br, ": atomic_waker_take: ")))
		ev->kind = EV_TAKE;
	else
		return false;
	field(name, " aw=", ev->aw, sizeof(ev->aw));
	field(name, " kind=", ev->text, sizeof(ev->text));
	field(name, " target=", ev->target, sizeof(ev->target));
	if (!field(name, " ret=", res, sizeof(res)) &&
	    !field(name, " woken=", res, sizeof(res)) &&
	    !field(name, " taken=", res, sizeof(res)))
		return false;
	ev->result = atoi(res);
	return true;
}

/* Read the buffer; false if it lost events. */
static bool read_trace(long *in_buf, long *written)
{
	FILE *f = fopen(TRACEFS "/trace", "r");
	char line[512];

	*in_buf = *written = -1;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (nraw < MAX_EVENTS)
			raw[nraw++] = strdup(line);
		if (sscanf(line, "# entries-in-buffer/entries-written: %ld/%ld",
			   in_buf, written) == 2)
			continue;
		if (nevents < MAX_EVENTS && parse_line(line, &events[nevents]))
			nevents++;
	}
	fclose(f);
	return *in_buf == *written && *in_buf >= 0;
}

/* The events between the markers "begin <what> <i>" and "end <what> <i>". */
static int window(const char *what, int i, struct event **first)
{
	char begin[64], end[64];
	int a = -1, b;

	snprintf(begin, sizeof(begin), "begin %s %d", what, i);
	snprintf(end, sizeof(end), "end %s %d", what, i);
	for (b = 0; b < nevents; b++) {
		if (events[b].kind != EV_MARK)
			continue;
		if (!strcmp(events[b].text, begin))
			a = b;
		else if (!strcmp(events[b].text, end) && a >= 0)
			break;
	}
	if (a < 0 || b == nevents) {
		*first = NULL;
		return -1;
	}
	*first = &events[a + 1];
	return b - a - 1;
}

static bool is(const struct event *ev, enum kind kind, const char *tkind,
	       int result)
{
	return ev->kind == kind && !strcmp(ev->text, tkind) &&
	       ev->result == result;
}

/* ---- the phases ---------------------------------------------------------- */

/*
 * Has %p in trace output started hashing?  6.1 may print "(____ptrval____)"
 * a while after the crng is ready: register a poll() to see.
 */
static bool pointers_hashed(void)
{
	char buf[4096];
	struct pollfd p;
	int i, f, n;

	for (i = 0; i < 50; i++) {
		tracefs_write("trace", "");
		f = open(AW_SAMPLE_DEVICE, O_RDWR);
		if (f < 0)
			return false;
		p.fd = f;
		p.events = POLLIN;
		poll(&p, 1, 0);
		close(f);
		f = open(TRACEFS "/trace", O_RDONLY);
		n = f < 0 ? 0 : read(f, buf, sizeof(buf) - 1);
		if (f >= 0)
			close(f);
		buf[n > 0 ? n : 0] = 0;
		if (strstr(buf, "atomic_waker_register") && !strstr(buf, "ptrval"))
			return true;
		usleep(100000);
	}
	return false;
}

int main(void)
{
	char slot[24] = "", sleeper[24] = "", pslot[24] = "", wq[24] = "";
	struct aw_sample_status st0, st1, st2;
	int blocked = 0, late_reader = 0, unexplained = 0, bad_ctx = 0;
	int regs = 0, wakes = 0;
	int pid = (int)syscall(SYS_gettid);
	unsigned char buf[AW_SAMPLE_MAX_LEN];
	long in_buf, written;
	struct event *ev;
	struct pollfd pfd;
	int fd, fd2, i, n, r, polled, pregs = 0, takes = 0, stray = 0;
	unsigned int seed;
	struct stat sb;

	if (stat(TRACEFS "/events", &sb))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	check(!stat(TRACEFS "/events/atomic_waker/atomic_waker_register/format", &sb) &&
	      !stat(TRACEFS "/events/atomic_waker/atomic_waker_wake/format", &sb) &&
	      !stat(TRACEFS "/events/atomic_waker/atomic_waker_take/format", &sb),
	      "tracefs has atomic_waker:atomic_waker_register, _wake, _take");
	if (failed) {
		printf("aw_trace_test: %d passed, %d failed\n", passed, failed);
		return 1;
	}
	tracefs_write("tracing_on", "0");
	tracefs_write("trace_clock", "global");
	/*
	 * %p prints a hash, the same for one pointer once the crng is ready
	 * (before, "(____ptrval____)" for all): getrandom() waits for it.
	 * hash-ptr stays on: with it off, 6.1's trace string verifier
	 * (trace_check_vprintf()) truncates each %s of the event's format.
	 */
	check(getrandom(&seed, sizeof(seed), 0) == sizeof(seed),
	      "crng ready (pointers hash consistently)");
	tracefs_write("trace", "");
	check(!tracefs_write("events/atomic_waker/enable", "1") &&
	      !tracefs_write("tracing_on", "1"), "events enabled");
	check(pointers_hashed(), "trace output hashes pointers (no ptrval)");
	tracefs_write("trace", "");

	fd = open(AW_SAMPLE_DEVICE, O_RDWR);
	fd2 = open(AW_SAMPLE_DEVICE, O_RDWR);
	if (fd < 0 || fd2 < 0) {
		check(false, "open %s: %s", AW_SAMPLE_DEVICE, strerror(errno));
		printf("aw_trace_test: %d passed, %d failed\n", passed, failed);
		return 1;
	}

	st0 = status(fd);
	for (i = 0; i < NBLOCK; i++) {
		marker("begin blocked", i);
		r = submit(fd, DELAY_US, 16);
		n = read(fd, buf, sizeof(buf));
		marker("end blocked", i);
		if (r || n != 16)
			check(false, "blocked transfer %d: submit %d, read %d",
			      i, r, n);
	}
	st1 = status(fd);
	for (i = 0; i < NLATE; i++) {
		marker("begin late", i);
		r = submit(fd, 1000, 16);
		sleep_us(100000);	/* complete before the read */
		n = read(fd, buf, sizeof(buf));
		marker("end late", i);
		if (r || n != 16)
			check(false, "late transfer %d: submit %d, read %d",
			      i, r, n);
	}
	st2 = status(fd);
	marker("begin close", 1);
	close(fd);
	marker("end close", 1);

	marker("begin poll", 0);
	pfd.fd = fd2;
	pfd.events = POLLIN;
	polled = poll(&pfd, 1, 20);
	marker("end poll", 0);
	marker("begin close", 2);
	close(fd2);
	marker("end close", 2);

	tracefs_write("tracing_on", "0");
	tracefs_write("events/atomic_waker/enable", "0");
	r = read_trace(&in_buf, &written);
	check(r, "trace buffer complete: %ld of %ld entries", in_buf, written);
	tracefs_write("trace_clock", "local");

	check(st1.completed - st0.completed == NBLOCK &&
	      st2.completed - st1.completed == NLATE,
	      "status: %llu + %llu transfers completed",
	      (unsigned long long)(st1.completed - st0.completed),
	      (unsigned long long)(st2.completed - st1.completed));

	/* blocked: register, wake, register; or a late reader's one or none */
	for (i = 0; i < NBLOCK; i++) {
		n = window("blocked", i, &ev);
		for (r = 0; r < n; r++) {
			regs += is(&ev[r], EV_REGISTER, "sleeper", 0);
			wakes += is(&ev[r], EV_WAKE, "sleeper", 1);
		}
		if (n == 3 && is(&ev[0], EV_REGISTER, "sleeper", 0) &&
		    is(&ev[1], EV_WAKE, "sleeper", 1) &&
		    is(&ev[2], EV_REGISTER, "sleeper", 0)) {
			blocked++;
			if (!slot[0]) {
				strcpy(slot, ev[0].aw);
				strcpy(sleeper, ev[0].target);
			}
			for (r = 0; r < 3; r++)
				if (strcmp(ev[r].aw, slot) ||
				    strcmp(ev[r].target, sleeper))
					unexplained++;
			if (ev[0].pid != pid || ev[2].pid != pid ||
			    !ev[1].hardirq)
				bad_ctx++;
		} else if (n == 1 && is(&ev[0], EV_REGISTER, "sleeper", 0)) {
			late_reader++;
		} else if (n) {
			unexplained++;
			printf("aw_trace_test: transfer %d: %d events, not "
			       "register/wake/register\n", i, n);
		}
	}
	printf("aw_trace_test: %d transfers with a blocked reader: %d of %d "
	       "reads slept and were woken, %d came late; driver's woken "
	       "counter %llu; slot aw=%s, sleeper target=%s\n", NBLOCK,
	       blocked, NBLOCK, late_reader,
	       (unsigned long long)(st1.woken - st0.woken), slot, sleeper);
	check(wakes == (int)(st1.woken - st0.woken) && wakes > 0,
	      "wake events (kind=sleeper, woken=1) = the driver's woken "
	      "counter: %d = %llu", wakes,
	      (unsigned long long)(st1.woken - st0.woken));
	check(regs == 2 * wakes + late_reader,
	      "register events of the reader's sleeper (ret=0): %d = 2 per "
	      "woken read (before the sleep, after the wake) + %d late", regs,
	      late_reader);
	check(!unexplained && blocked == wakes,
	      "each transfer: register, wake, register on one slot with one "
	      "target (or a late reader's lone register): %d unexplained",
	      unexplained);
	check(!bad_ctx, "registers from this thread (pid %d), wakes in hard IRQ",
	      pid);

	/* late: the empty wake is not traced */
	for (i = 0, n = 0; i < NLATE; i++) {
		r = window("late", i, &ev);
		n += r < 0 ? 1000 : r;
	}
	check(n == 0 && st2.woken == st1.woken,
	      "reads of completed transfers: %d events (want 0: the wake "
	      "found the slot empty), woken +%llu", n,
	      (unsigned long long)(st2.woken - st1.woken));
	n = window("close", 1, &ev);
	check(n == 0, "close of the first file: %d events (want 0: both "
	      "slots empty)", n);

	/* poll: register(wait_queue) ..., then take(it) at close */
	n = window("poll", 0, &ev);
	for (i = 0; i < n; i++) {
		if (is(&ev[i], EV_REGISTER, "wait_queue", 0) &&
		    ev[i].pid == pid && strcmp(ev[i].aw, slot) &&
		    (!pslot[0] || (!strcmp(ev[i].aw, pslot) &&
				   !strcmp(ev[i].target, wq)))) {
			strcpy(pslot, ev[i].aw);
			strcpy(wq, ev[i].target);
			pregs++;
		} else {
			stray++;
		}
	}
	check(polled == 0 && pregs >= 1 && !stray,
	      "poll() that timed out: %d register events of its wait queue "
	      "(ret=0) on the poll slot, %d others", pregs, stray);
	n = window("close", 2, &ev);
	for (i = 0; i < n; i++) {
		if (is(&ev[i], EV_TAKE, "wait_queue", 1) &&
		    !strcmp(ev[i].aw, pslot) && !strcmp(ev[i].target, wq))
			takes++;
		else
			stray++;
	}
	check(takes == 1 && !stray,
	      "close of the polled file: destroy() takes its wait queue "
	      "(%d take events, taken=1; %d others)", takes, stray);

	/* and nothing outside the steps */
	for (i = 0, n = 0, r = 0; i < nevents; i++) {
		if (events[i].kind == EV_MARK)
			r = !strncmp(events[i].text, "begin", 5);
		else if (!r)
			n++;
	}
	check(n == 0, "events outside the steps: %d", n);

	if (failed) {
		printf("aw_trace_test: the trace buffer:\n");
		for (i = 0; i < nraw; i++)
			printf("aw_trace_test: | %s", raw[i]);
	}
	printf("aw_trace_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
