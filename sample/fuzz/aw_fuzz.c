// SPDX-License-Identifier: GPL-2.0
/*
 * aw_fuzz: a seeded syscall fuzzer of the atomic_waker sample driver,
 * /dev/atomic_waker_sample, that checks every result against a model of the
 * driver (sample/atomic_waker_sample.h is its contract).
 *
 * sample/fuzz/README.md says what it does, which named check catches what,
 * and how to read and re-run a failure.  The runner builds and runs it
 * (make fuzz, make soak); by hand:
 *
 *   gcc -static -O2 -Wall -Wextra -Werror -pthread -I sample \
 *       -o aw_fuzz sample/fuzz/aw_fuzz.c
 *   aw_fuzz --module /modules/sample/atomic_waker_sample.ko --seed 1 \
 *           --syscalls 100000
 *
 * Layout: a coordinator process runs epochs.  Each epoch loads the module,
 * forks --procs worker processes of --threads worker threads; each worker
 * runs its own op sequence, a pure function of (seed, epoch, worker), on
 * its own files, with a helper thread for calls that block in the background
 * and fork()ed children that share its files.  Each worker follows every
 * file it has open with a set of the states the driver may be in (a file's
 * transfer may complete at any time, the device may be unplugged by another
 * worker at any time, the helper may return at any time), and prunes the
 * set with every result; a result no state admits is a failure.  The epoch
 * ends with every file closed, the device unplugged or not, and the module
 * removed, which must succeed.  A failure is printed with its seed and then
 * shrunk: the failing worker's ops are re-run alone, in a child, on a fresh
 * module, and delta debugging keeps the fewest that still fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic_waker_sample.h"

#define NAME		"aw_fuzz"
#define MODNAME		"atomic_waker_sample"
#define NSLOT		4		/* fd slots of a worker */
#define NFILE		12		/* open files a worker follows */
#define MAXW		32		/* states one file may be in */
#define NHIST		16		/* transfers a file remembers */
#define MAXWORKERS	16
#define MAXOPS		20000
#define NRING		8		/* last ops shown with a failure */
#define GOOD_LEN	(65536 + 4096)
#define PAGE		4096
#define USER_MAX	0x7ffffffff000ULL	/* TASK_SIZE_MAX, x86-64 */
#define KERN_PTR	0xffffffff81000000ULL
#define TOP_PTR		0x7fffffffe000ULL
#define RO_SEED		0x5a
#define INF		INT64_MAX
#define WATCHDOG_US	(45 * 1000000LL)	/* a worker without progress */

/* ---- output ------------------------------------------------------------ */

/* One line, one write(): no stdio, so that fork()ed children may print. */
static void __attribute__((format(printf, 1, 2))) out(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		_exit(3);
}

#define say(fmt, ...)	out(NAME ": " fmt, ##__VA_ARGS__)

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the named checks ---------------------------------------------------- */

enum check {
	C_ERRNO, C_DATA, C_ONCE, C_MASK, C_STATUS, C_WAKE, C_SIGNAL, C_FAULT,
	C_UNLOAD, C_LEAK, C_WATCHDOG, C_CRASH, C_TORTURE, NCHECK
};

static const char *const check_name[NCHECK] = {
	"errno", "data", "once", "mask", "status", "wake", "signal", "fault",
	"unload", "leak", "watchdog", "crash", "torture",
};

static const char *const check_what[NCHECK] = {
	"each return value and errno is one the model admits",
	"a read returns the bytes of the transfer it delivers",
	"a transfer is delivered at most once, and only once accepted",
	"poll, select and epoll report what the model admits",
	"STATUS agrees with the model (state, length, counters)",
	"a blocked call returns within the bound once its event happened",
	"a blocked call returns within the bound once signalled",
	"with a fault injected, a call fails with ENOMEM or works",
	"the module unloads once every file is closed",
	"kmemleak finds no new leak once the module is unloaded",
	"every worker makes progress",
	"no worker process dies",
	"the torture module ends with SUCCESS and no lost wakeup",
};

/* ---- parameters ---------------------------------------------------------- */

static struct {
	uint64_t seed;
	bool seed_random;
	long syscalls;
	int64_t seconds;
	int procs, threads, ops;
	const char *module;
	bool faults, kmemleak;
	int64_t bound_us;
	int progress;
	int expect;			/* a check that must fire, or -1 */
	const char *torture;
	char targs[600];
	int shrink_s;
	bool no_unplug;
	/* --replay E:W:i,j,... */
	bool replay;
	int rep_epoch, rep_wid, rep_n, repeat, unplug_at;
	int *rep_idx;
} P = {
	.syscalls = 100000, .procs = 2, .threads = 2, .ops = 800,
	.bound_us = 5000000, .progress = 30, .expect = -1, .shrink_s = 240,
	.repeat = 1, .unplug_at = -1,
};

/* ---- state shared by every process ------------------------------------- */

struct wshared {
	_Atomic int64_t beat;		/* last progress */
	_Atomic int idx;		/* the op it is in */
	char cur[200];			/* and what it is */
};

struct fail_rec {
	int check, epoch, wid, idx;
	int gone_at;		/* the op at which its worker saw the unplug */
};

static struct shared {
	_Atomic int phase;		/* unplug: 0 none, 1 under way, 2 done */
	_Atomic int unplug_starts, unplug_ok, stop;
	_Atomic long syscalls, ops, xfers, delivered, dropped, waits, sigs;
	_Atomic long armed, injected, forks, helpers, epochs;
	_Atomic long checked[NCHECK], failed[NCHECK];
	_Atomic int nrec;
	struct fail_rec rec[64];
	_Atomic int rep_fail;		/* checks that failed in a replay */
	bool trace;			/* print every op and its result */
	struct wshared w[MAXWORKERS];
	int epoch;
	bool prob;			/* probability-mode faults this epoch */
	uint32_t write_delay;		/* the module's write_delay_us */
	bool have_faults, have_top;
} *S;

/* ---- random numbers ------------------------------------------------------ */

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *g)
{
	g->s += 0x9e3779b97f4a7c15ULL;
	return mix(g->s);
}

static uint32_t below(struct rng *g, uint32_t n)
{
	return n ? rnd(g) % n : 0;
}

/* ---- ops ------------------------------------------------------------------ */

enum opk {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_READ, OP_WRITE, OP_SUBMIT, OP_STATUS,
	OP_BADIOC, OP_NONBLOCK, OP_POLL, OP_SELECT, OP_EPOLL, OP_BG, OP_SIGNAL,
	OP_JOIN, OP_FORK, OP_UNPLUG, OP_FAULT, OP_SLEEP, NOPK
};

static const struct {
	const char *name;
	int weight;
} opk[NOPK] = {
	[OP_OPEN] = { "open", 9 },	[OP_CLOSE] = { "close", 4 },
	[OP_DUP] = { "dup", 2 },	[OP_READ] = { "read", 18 },
	[OP_WRITE] = { "write", 8 },	[OP_SUBMIT] = { "SUBMIT", 16 },
	[OP_STATUS] = { "STATUS", 8 },	[OP_BADIOC] = { "ioctl", 4 },
	[OP_NONBLOCK] = { "nonblock", 3 }, [OP_POLL] = { "poll", 6 },
	[OP_SELECT] = { "select", 4 },	[OP_EPOLL] = { "epoll_wait", 5 },
	[OP_BG] = { "helper", 6 },	[OP_SIGNAL] = { "signal", 2 },
	[OP_JOIN] = { "join", 4 },	[OP_FORK] = { "fork", 1 },
	[OP_UNPLUG] = { "UNPLUG", 0 },	[OP_FAULT] = { "fault", 4 },
	[OP_SLEEP] = { "sleep", 2 },
};

/* One op: its kind, two slots, three class bytes and random bits. */
struct op {
	uint8_t k, s, t, a, b, c;
	uint32_t r;
};

static int nworkers(void)
{
	return P.procs * P.threads;
}

/* The epoch's unplug: which worker does it, at which op; -1 if none. */
static void epoch_unplug(int epoch, int *wid, int *at)
{
	struct rng g = { mix(P.seed ^ mix(0xa11ce + (uint64_t)epoch)) };

	*wid = -1;
	*at = 0;
	if (P.no_unplug || below(&g, 100) >= 60)
		return;
	*wid = below(&g, nworkers());
	*at = P.ops / 4 + below(&g, P.ops / 2);
}

/* The ops of worker @wid in @epoch: a function of the seed only. */
static void gen_ops(struct op *ops, int n, int epoch, int wid)
{
	struct rng g = { mix(P.seed ^ mix(((uint64_t)epoch << 20) ^ wid)) };
	int total = 0, i, k, uw, at;

	for (k = 0; k < NOPK; k++)
		if (k != OP_FAULT || P.faults)
			total += opk[k].weight;
	for (i = 0; i < n; i++) {
		int x = below(&g, total);

		for (k = 0; k < NOPK; k++) {
			if (k == OP_FAULT && !P.faults)
				continue;
			if (x < opk[k].weight)
				break;
			x -= opk[k].weight;
		}
		ops[i].k = k;
		ops[i].s = below(&g, NSLOT);
		ops[i].t = below(&g, NSLOT);
		ops[i].a = rnd(&g);
		ops[i].b = rnd(&g);
		ops[i].c = rnd(&g);
		ops[i].r = rnd(&g);
	}
	/* Open every slot first, so that the sequence starts doing things. */
	for (i = 0; i < NSLOT && i < n; i++) {
		ops[i].k = OP_OPEN;
		ops[i].s = i;
	}
	epoch_unplug(epoch, &uw, &at);
	if (uw == wid && at < n)
		ops[at].k = OP_UNPLUG;
}

/* ---- argument classes ----------------------------------------------------- */

enum { P_GOOD, P_NULL, P_LOW, P_KERN, P_NONE, P_RO, P_STRAD, P_TOP, NPTR };
static const char *const ptr_name[NPTR] = {
	"buf", "NULL", "0x10", "kernel", "unmapped", "read-only", "straddling",
	"top",
};

static int ptr_class(uint8_t a)
{
	int p = a < 190 ? P_GOOD : 1 + (a - 190) % (NPTR - 1);

	return p == P_TOP && !S->have_top ? P_NONE : p;
}

/* read()/write() counts; SZ_EXACT and SZ_SHORT follow the transfer */
static const uint64_t sizes[] = {
	0, 1, 15, 64, 100, 4095, 4096, 4097, 65536, 1ULL << 31, 1ULL << 40,
	~0ULL >> 1,
};
#define NSIZE		(sizeof(sizes) / sizeof(sizes[0]))
#define SZ_EXACT	NSIZE
#define SZ_SHORT	(NSIZE + 1)
#define SZ_RANDOM	(NSIZE + 2)

static int size_class(uint8_t b)
{
	/* mostly a whole buffer, an exact or a random size */
	if (b < 110)
		return 6;			/* 4096 */
	if (b < 150)
		return SZ_EXACT;
	if (b < 180)
		return SZ_RANDOM;
	if (b < 190)
		return SZ_SHORT;
	return (b - 190) % NSIZE;
}

static uint32_t submit_len(uint8_t b, uint32_t r)
{
	static const uint32_t tab[] = { 0, 1, 16, 64, 4096, 4097, 0xffffffff };

	if (b < 200)
		return 1 + r % AW_SAMPLE_MAX_LEN;
	return tab[(b - 200) % 7];
}

static uint32_t submit_delay(uint8_t c, uint32_t r)
{
	switch (c % 64) {
	case 0 ... 9:
		return 0;
	case 10 ... 31:
		return 1 + (r >> 8) % 100;
	case 32 ... 49:
		return 100 + (r >> 8) % 1900;
	case 50 ... 57:
		return 2000 + (r >> 8) % 18000;
	case 58 ... 59:
		return 20000 + (r >> 8) % 80000;
	case 60:
		/* the longest, 10 s, now and then */
		return (r >> 8) % 8 ? 50000 : AW_SAMPLE_MAX_DELAY_US;
	case 61:
		return AW_SAMPLE_MAX_DELAY_US + 1;
	case 62:
		return 0xffffffff;
	default:
		return 1 + (r >> 8) % 500;
	}
}

static uint32_t submit_flags(uint8_t c, uint32_t r)
{
	if (c < 244)
		return 0;
	return r & 2 ? 1 : 0x80000000;
}

static uint32_t ev_class(uint8_t a)
{
	static const uint32_t tab[] = { POLLIN, POLLOUT, POLLIN | POLLOUT, POLLIN };

	return tab[a % 4];
}

/* epoll events a file is added with at open(), 0: not added */
static uint32_t ep_class(uint8_t c)
{
	static const uint32_t tab[] = {
		0, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLET,
		EPOLLIN | EPOLLOUT | EPOLLET, EPOLLIN, 0,
	};

	return tab[c % 8];
}

enum { T_ZERO, T_1MS, T_5MS, T_LONG };
static int tmo_class(uint8_t c)
{
	static const int tab[] = { T_ZERO, T_ZERO, T_ZERO, T_1MS, T_5MS, T_LONG,
				   T_LONG, T_LONG };

	return tab[c % 8];
}

enum { HK_READ, HK_POLL, HK_SELECT, HK_EPOLL };
static const char *const hk_name[] = { "read", "poll", "select", "epoll" };

/* ---- the model of one open file ---------------------------------------- */

enum { ST_I = AW_SAMPLE_IDLE, ST_P = AW_SAMPLE_PENDING, ST_D = AW_SAMPLE_DONE };
static const char st_char[] = "IPD";
enum { H_NONE, H_WAIT, H_DONE };

/* One state the driver may be in, as far as one file can tell. */
struct world {
	uint8_t st;		/* ST_I, ST_P, ST_D */
	uint8_t gone;		/* the device was unplugged */
	uint8_t hs;		/* the helper's call on this file */
	uint8_t pad;
	int32_t hres;		/* its result: >= 0 a count or mask, < 0 -errno */
	uint32_t hxid;		/* the transfer its read returned */
};

struct xfer {
	uint32_t id, len, seed, delay_us;
	int64_t t0;		/* before the call that submitted it */
};

struct fm {
	uint32_t pad_xid;	/* f[0]'s: a fork child's next transfer id */
	bool used, bad;
	int refs;		/* our fds, and the helper's */
	int ext;		/* held by another process too (fork) */
	int acc;		/* O_RDONLY, O_WRONLY, O_RDWR */
	bool nonblock;
	uint32_t ep;		/* its events in the worker's epoll set */
	int gen;
	uint64_t submitted;	/* accepted transfers, as STATUS counts them */
	struct xfer cur;	/* the newest accepted one */
	struct xfer hist[NHIST];
	int nw;
	struct world w[MAXW];
};

struct helper {
	pthread_t th;
	pid_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int seq, done_seq;
	bool quit, active;
	/* the command */
	int kind, fd, ep, file, slot;
	uint32_t events;
	bool nonblock;
	int64_t t_issue;
	int sig;		/* the strongest signal sent to this call */
	int64_t t_sig;
	/* the result */
	long ret;
	int err;
	uint32_t revents;
	int64_t t_start, t_end;
	unsigned char buf[AW_SAMPLE_MAX_LEN];
};

/* A worker thread, or a fork()ed child of one. */
struct ctx {
	int wid, epoch;
	bool child, unpriv, replay;
	pid_t tid;
	timer_t tm[2];
	bool have_tm;
	int nth_fd, mif_fd;
	int fault_nth;		/* armed by OP_FAULT for the next allocation */
	int ep;			/* the worker's epoll instance */
	int slot_fd[NSLOT], slot_file[NSLOT];
	struct fm f[NFILE];
	uint32_t next_xid;
	struct helper *h;
	const struct op *ops;
	int nops, idx;
	int after_gone;
	int gone_at;		/* the first op that began after the unplug */
	unsigned char *good, *strad;
	char ring[NRING][220];
	int nring;
	char cur[220];
	bool injected;		/* a fault was injected into this op */
};

static unsigned char *ro_page, *none_page;

/* ---- bookkeeping of checks -------------------------------------------------- */

static void checked(int check)
{
	atomic_fetch_add_explicit(&S->checked[check], 1, memory_order_relaxed);
}

static void syscalls(struct ctx *c, int n)
{
	(void)c;
	atomic_fetch_add_explicit(&S->syscalls, n, memory_order_relaxed);
}

/* A failure: count it, print it with the seed and the worker's last ops. */
static void __attribute__((format(printf, 3, 4)))
fail(struct ctx *c, int check, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	int n, i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&S->failed[check], 1);
	atomic_fetch_or(&S->rep_fail, 1 << check);
	n = atomic_fetch_add(&S->nrec, 1);
	if (n < 64) {
		S->rec[n].check = check;
		S->rec[n].epoch = c ? c->epoch : S->epoch;
		S->rec[n].wid = c ? c->wid : -1;
		S->rec[n].idx = c ? c->idx : -1;
		S->rec[n].gone_at = !c ? -1 : c->gone_at >= 0 ? c->gone_at :
				    atomic_load(&S->phase) ? c->idx : -1;
	}
	if (n >= 20) {
		if (n == 20)
			say("(more failures: counted, not printed)");
		return;
	}
	if (!c) {
		say("FAIL %s: seed %#" PRIx64 " epoch %d: %s", check_name[check],
		    P.seed, S->epoch, msg);
		return;
	}
	say("FAIL %s: seed %#" PRIx64 " epoch %d worker %d%s op #%d: %s",
	    check_name[check], P.seed, c->epoch, c->wid,
	    c->child ? " (fork child)" : "", c->idx, msg);
	for (i = c->nring > NRING ? c->nring - NRING : 0; i < c->nring; i++)
		say("  before: %s", c->ring[i % NRING]);
	say("  in:     %s", c->cur);
}

/* ---- memory the calls point into ----------------------------------------- */

/* How many bytes at the pointer of class @pc the kernel may read or write. */
static uint64_t valid_bytes(const struct ctx *c, int pc, bool write_to, int at)
{
	(void)c;
	switch (pc) {
	case P_GOOD:
		return GOOD_LEN;
	case P_RO:
		return write_to ? 0 : PAGE;
	case P_STRAD:
		return at;
	default:
		return 0;
	}
}

/* The pointer of class @pc; @at: valid bytes for a straddling one. */
static uint64_t ptr_of(const struct ctx *c, int pc, int at)
{
	switch (pc) {
	case P_GOOD:
		return (uintptr_t)c->good;
	case P_NULL:
		return 0;
	case P_LOW:
		return 16;
	case P_KERN:
		return KERN_PTR;
	case P_NONE:
		return (uintptr_t)none_page;
	case P_RO:
		return (uintptr_t)ro_page;
	case P_STRAD:
		return (uintptr_t)c->strad + PAGE - at;
	default:
		return TOP_PTR;
	}
}

/* access_ok() of a read() or write() count (x86-64, 6.x) */
static bool access_ok_model(uint64_t p, uint64_t n)
{
	uint64_t s = p + n;

	return s >= p && s <= USER_MAX;
}

static void fill(unsigned char *b, uint64_t len, uint32_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		b[i] = seed + i;
}

static bool payload_ok(const unsigned char *b, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)(seed + i))
			return false;
	return true;
}

/* ---- signals and timers ------------------------------------------------------ */

static __thread volatile sig_atomic_t nsig1, nsig2;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		nsig1++;
	else
		nsig2++;
}

/* Forget signals sent to this thread that it has not taken yet. */
static void drain_signals(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t s, old;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Timer 0 sends SIGUSR1 (interrupts), timer 1 SIGUSR2 (SA_RESTART). */
static void timers_init(struct ctx *c)
{
	static const int sig[2] = { SIGUSR1, SIGUSR2 };

	for (int i = 0; i < 2; i++) {
		struct sigevent sev;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = sig[i];
		sev._sigev_un._tid = c->tid;	/* sigev_notify_thread_id */
		if (timer_create(CLOCK_MONOTONIC, &sev, &c->tm[i])) {
			say("timer_create: %s", strerror(errno));
			_exit(4);
		}
	}
	c->have_tm = true;
}

static void arm(struct ctx *c, int which, int64_t first_us, int64_t period_us)
{
	struct itimerspec its = {
		.it_value = { first_us / 1000000, (first_us % 1000000) * 1000 },
		.it_interval = { period_us / 1000000,
				 (period_us % 1000000) * 1000 },
	};

	if (!c->have_tm)
		timers_init(c);
	if (!first_us)
		its.it_value.tv_nsec = 1000;
	timer_settime(c->tm[which], 0, &its, NULL);
}

/* Stop both timers and forget what they sent; return SIGUSR1s taken. */
static int disarm(struct ctx *c, int before)
{
	static const struct itimerspec zero;

	if (c->have_tm) {
		timer_settime(c->tm[0], 0, &zero, NULL);
		timer_settime(c->tm[1], 0, &zero, NULL);
	}
	drain_signals();
	return nsig1 - before;
}

/* ---- fault injection --------------------------------------------------------- */

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		say("write %s %s: %s", path, val, strerror(errno));
	close(fd);
}

static void faults_setup(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/debug/failslab", "/sys/kernel/debug/fail_page_alloc",
		"/sys/kernel/debug/fail_futex", "/sys/kernel/debug/fail_function",
		"/sys/kernel/debug/fail_usercopy",
	};
	char path[128];

	S->have_faults = !access("/sys/kernel/debug/failslab", F_OK) &&
			 !access("/proc/self/fail-nth", F_OK);
	if (!S->have_faults)
		return;
	/* No report (verbose=2 prints a stack) for the failures we inject. */
	for (unsigned int i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/verbose", dirs[i]);
		write_file(path, "0");
		snprintf(path, sizeof(path), "%s/probability", dirs[i]);
		write_file(path, "0");
	}
	/* GFP_KERNEL allocations too; our tasks only; order 0 never (page
	 * faults, vmalloc), so that the driver's 8-KiB slab is what fails. */
	write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/failslab/task-filter", "Y");
	write_file("/sys/kernel/debug/failslab/interval", "1");
	write_file("/sys/kernel/debug/failslab/times", "-1");
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/min-order", "1");
	write_file("/sys/kernel/debug/fail_page_alloc/task-filter", "Y");
	write_file("/sys/kernel/debug/fail_page_alloc/interval", "1");
	write_file("/sys/kernel/debug/fail_page_alloc/times", "-1");
}

static void faults_probability(int pct)
{
	char v[16];

	if (!S->have_faults)
		return;
	snprintf(v, sizeof(v), "%d", pct);
	write_file("/sys/kernel/debug/failslab/probability", v);
	write_file("/sys/kernel/debug/fail_page_alloc/probability", v);
}

static void fault_fds(struct ctx *c)
{
	c->nth_fd = c->mif_fd = -1;
	if (!S->have_faults || c->unpriv)
		return;
	c->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	c->mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
}

/* Around a call that may allocate: fail its @nth allocation (fail-nth),
 * or let the epoch's probability fail any (make-it-fail). */
static void fault_on(struct ctx *c)
{
	char v[16];

	c->injected = false;
	if (c->fault_nth && c->nth_fd >= 0) {
		snprintf(v, sizeof(v), "%d", c->fault_nth);
		if (pwrite(c->nth_fd, v, strlen(v), 0) > 0)
			atomic_fetch_add(&S->armed, 1);
	}
	if (S->prob && c->mif_fd >= 0 && pwrite(c->mif_fd, "1", 1, 0) < 0)
		c->mif_fd = -1;
}

/* Whether a fault may have been injected since fault_on(). */
static bool fault_off(struct ctx *c)
{
	char v[16] = "";
	bool hit = false;

	if (c->fault_nth && c->nth_fd >= 0) {
		if (pread(c->nth_fd, v, sizeof(v) - 1, 0) > 0 && atoi(v) == 0)
			hit = true;
		if (pwrite(c->nth_fd, "0", 1, 0) < 0)
			c->nth_fd = -1;
		c->fault_nth = 0;
		if (hit)
			atomic_fetch_add(&S->injected, 1);
	}
	if (S->prob && c->mif_fd >= 0) {
		if (pwrite(c->mif_fd, "0", 1, 0) < 0)
			c->mif_fd = -1;
		hit = true;	/* may have been */
	}
	c->injected = hit;
	return hit;
}

/* ---- the model --------------------------------------------------------------- */

static uint32_t wmask(const struct world *w)
{
	if (w->gone)
		return POLLERR | POLLHUP;
	if (w->st == ST_D)
		return POLLIN | POLLRDNORM;
	if (w->st == ST_I)
		return POLLOUT | POLLWRNORM;
	return 0;
}

#define IN_SET	(POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define OUT_SET	(POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)

/* What a poll of @kind asking for @ev sees of mask @m: 0 is not ready. */
static uint32_t view(int kind, uint32_t m, uint32_t ev)
{
	if (kind == HK_SELECT)
		return ((ev & POLLIN) && (m & IN_SET) ? 1 : 0) |
		       ((ev & POLLOUT) && (m & OUT_SET) ? 2 : 0);
	return m & (ev | POLLERR | POLLHUP);
}

static bool w_same(const struct world *a, const struct world *b)
{
	return a->st == b->st && a->gone == b->gone && a->hs == b->hs &&
	       a->hres == b->hres && a->hxid == b->hxid;
}

static void w_add(struct fm *f, const struct world *w)
{
	for (int i = 0; i < f->nw; i++)
		if (w_same(&f->w[i], w))
			return;
	if (f->nw == MAXW) {
		f->bad = true;	/* the model gave up on this file */
		return;
	}
	f->w[f->nw++] = *w;
}

static bool readable(const struct fm *f)
{
	return f->acc != O_WRONLY;
}

static bool writable(const struct fm *f)
{
	return f->acc != O_RDONLY;
}

/* The helper's call on @f, in state @w, may return: how. */
static int h_outcomes(const struct ctx *c, const struct fm *f,
		      const struct world *w, struct world *out)
{
	const struct helper *h = c->h;
	struct world x = *w;
	int n = 0;

	x.hs = H_DONE;
	if (h->sig == SIGUSR1 || (h->sig == SIGUSR2 && h->kind != HK_READ)) {
		x.hres = -EINTR;
		out[n++] = x;
		x = *w;
		x.hs = H_DONE;
	}
	if (h->kind == HK_READ) {
		if (!readable(f)) {
			x.hres = -EBADF;
			out[n++] = x;
			return n;
		}
		if (h->nonblock) {
			/* not ready, or another reader holds read_mutex */
			x.hres = -EAGAIN;
			out[n++] = x;
			x = *w;
			x.hs = H_DONE;
		}
		if (w->st != ST_D && !w->gone) {
			;	/* it sleeps */
		} else if (w->gone) {
			x.hres = -ENODEV;
			out[n++] = x;
		} else {
			x.st = ST_I;
			x.hres = f->cur.len;
			x.hxid = f->cur.id;
			out[n++] = x;
		}
	} else {
		uint32_t v = view(h->kind, wmask(w), h->events);

		if (v) {
			x.hres = v;
			out[n++] = x;
		}
	}
	return n;
}

static int fidx(const struct ctx *c, const struct fm *f)
{
	return f - c->f;
}

/*
 * Everything that may have happened to @f by time @t without us: the
 * transfer completed (not before its delay), the device was unplugged (if
 * an unplug had started, @ph), the helper's call returned.
 */
static void closure(struct ctx *c, struct fm *f, int64_t t, int ph)
{
	struct world out[4], x;
	int i, n, j;

	for (i = 0; i < f->nw && !f->bad; i++) {
		struct world w = f->w[i];

		if (w.st == ST_P && !w.gone &&
		    t >= f->cur.t0 + (int64_t)f->cur.delay_us) {
			x = w;
			x.st = ST_D;
			w_add(f, &x);
		}
		if (!w.gone && ph >= 1) {
			x = w;
			x.gone = 1;
			if (x.st == ST_P)
				x.st = ST_I;	/* dropped: the timer is cancelled */
			w_add(f, &x);
		}
		if (w.hs == H_WAIT && c->h && c->h->active &&
		    c->h->file == fidx(c, f)) {
			n = h_outcomes(c, f, &w, out);
			for (j = 0; j < n; j++)
				w_add(f, &out[j]);
		}
	}
}

/* Only the states in which the device is gone: the unplug is over. */
static void force_gone(struct fm *f)
{
	int i, n = 0;

	for (i = 0; i < f->nw; i++)
		if (f->w[i].gone)
			f->w[n++] = f->w[i];
	f->nw = n;
}

static const struct xfer *find_xfer(const struct fm *f, uint32_t id)
{
	if (f->cur.id == id)
		return &f->cur;
	for (int i = 0; i < NHIST; i++)
		if (f->hist[i].id == id)
			return &f->hist[i];
	return NULL;
}

static void new_xfer(struct ctx *c, struct fm *f, uint32_t len, uint32_t seed,
		     uint32_t delay, int64_t t0)
{
	memmove(&f->hist[1], &f->hist[0], sizeof(f->hist[0]) * (NHIST - 1));
	f->hist[0] = f->cur;
	f->cur.id = ++c->next_xid;
	f->cur.len = len;
	f->cur.seed = seed;
	f->cur.delay_us = delay;
	f->cur.t0 = t0;
	f->submitted++;
	atomic_fetch_add(&S->xfers, 1);
}

static void w_str(const struct fm *f, char *b, size_t n)
{
	size_t len = 0;

	b[0] = '\0';
	for (int i = 0; i < f->nw && len + 24 < n; i++) {
		const struct world *w = &f->w[i];

		len += snprintf(b + len, n - len, "%s%c%s", i ? "," : "",
				st_char[w->st], w->gone ? "/gone" : "");
		if (w->hs == H_WAIT)
			len += snprintf(b + len, n - len, "+h");
		else if (w->hs == H_DONE)
			len += snprintf(b + len, n - len, "+h=%d", w->hres);
	}
}

/* ---- outcomes of a call in one state ---------------------------------- */

struct res {
	long ret;		/* the return value, or -errno */
	uint32_t xid;		/* read: the transfer returned */
};

struct outs {
	int n;
	struct res r[8];
	struct world w[8];
};

static void push(struct outs *o, long ret, uint32_t xid, const struct world *w)
{
	if (o->n < 8) {
		o->r[o->n].ret = ret;
		o->r[o->n].xid = xid;
		o->w[o->n++] = *w;
	}
}

struct rx {			/* what a read() was */
	uint64_t count, ptr, valid;
	bool nonblock, intr;	/* intr: a SIGUSR1 reached the reader */
};

static void out_read(const struct ctx *c, const struct fm *f,
		     const struct world *w, const struct rx *x, struct outs *o)
{
	/* The helper's read may hold read_mutex, even once it has taken
	 * the transfer, until it is joined. */
	bool hread = w->hs != H_NONE && c->h && c->h->active &&
		     c->h->kind == HK_READ && c->h->file == fidx(c, f);
	struct world n = *w;

	if (!readable(f))
		return push(o, -EBADF, 0, w);
	if (!access_ok_model(x->ptr, x->count))
		return push(o, -EFAULT, 0, w);
	if (!x->count)
		return push(o, 0, 0, w);
	if (x->nonblock && hread)	/* the helper holds read_mutex */
		push(o, -EAGAIN, 0, w);
	if (!x->nonblock && x->intr)
		push(o, -EINTR, 0, w);
	if (w->st != ST_D && !w->gone) {
		if (x->nonblock)
			push(o, -EAGAIN, 0, w);
		return;			/* else it sleeps */
	}
	if (w->gone)
		return push(o, -ENODEV, 0, w);
	if (x->count < f->cur.len)
		return push(o, -EINVAL, 0, w);
	if (x->valid < f->cur.len)
		return push(o, -EFAULT, 0, w);	/* the transfer stays */
	n.st = ST_I;
	push(o, f->cur.len, f->cur.id, &n);
}

struct wx {			/* what a write() was */
	uint64_t count, ptr, valid;
};

static void out_write(const struct fm *f, const struct world *w,
		      const struct wx *x, struct outs *o)
{
	struct world n = *w;

	if (!writable(f))
		return push(o, -EBADF, 0, w);
	if (!access_ok_model(x->ptr, x->count))
		return push(o, -EFAULT, 0, w);
	if (!x->count)
		return push(o, 0, 0, w);
	if (x->count > AW_SAMPLE_MAX_LEN)
		return push(o, -EINVAL, 0, w);
	if (w->gone)
		return push(o, -ENODEV, 0, w);
	if (w->st != ST_I)
		return push(o, -EBUSY, 0, w);
	if (x->valid < x->count)
		return push(o, -EFAULT, 0, w);
	n.st = ST_P;
	push(o, x->count, 0, &n);
}

struct sx {			/* what a SUBMIT was */
	bool fault;
	struct aw_sample_submit req;
};

static void out_submit(const struct world *w, const struct sx *x,
		       struct outs *o)
{
	struct world n = *w;

	if (x->fault)
		return push(o, -EFAULT, 0, w);
	if (x->req.flags || !x->req.len || x->req.len > AW_SAMPLE_MAX_LEN ||
	    x->req.delay_us > AW_SAMPLE_MAX_DELAY_US)
		return push(o, -EINVAL, 0, w);
	if (w->gone)
		return push(o, -ENODEV, 0, w);
	if (w->st != ST_I)
		return push(o, -EBUSY, 0, w);
	n.st = ST_P;
	push(o, 0, 0, &n);
}

/*
 * Run @o's outcomes against what happened: keep the states in which the
 * call could have returned @ret.  False if none could.
 */
typedef void (*outcome_fn)(const struct ctx *c, const struct fm *f,
			   const struct world *w, const void *x,
			   struct outs *o);

static bool settle(struct ctx *c, struct fm *f, long ret, uint32_t *xid,
		   outcome_fn fn, const void *x, char *admits, size_t alen)
{
	struct world keep[MAXW];
	int nk = 0, i, j;
	size_t len = 0;

	admits[0] = '\0';
	*xid = 0;
	for (i = 0; i < f->nw; i++) {
		struct outs o = { 0 };

		fn(c, f, &f->w[i], x, &o);
		for (j = 0; j < o.n; j++) {
			if (len + 32 < alen)
				len += snprintf(admits + len, alen - len,
						"%s%ld", len ? "|" : "",
						o.r[j].ret);
			if (o.r[j].ret != ret)
				continue;
			*xid = o.r[j].xid;
			if (nk < MAXW)
				keep[nk++] = o.w[j];
		}
	}
	if (!nk)
		return false;
	f->nw = 0;
	for (i = 0; i < nk; i++)
		w_add(f, &keep[i]);
	return true;
}

static void fn_read(const struct ctx *c, const struct fm *f,
		    const struct world *w, const void *x, struct outs *o)
{
	out_read(c, f, w, x, o);
}

static void fn_write(const struct ctx *c, const struct fm *f,
		     const struct world *w, const void *x, struct outs *o)
{
	(void)c;
	out_write(f, w, x, o);
}

static void fn_submit(const struct ctx *c, const struct fm *f,
		      const struct world *w, const void *x, struct outs *o)
{
	(void)c;
	(void)f;
	out_submit(w, x, o);
}

/* ---- files and slots -------------------------------------------------------- */

static struct fm *slot_fm(struct ctx *c, int s)
{
	return c->slot_fd[s] >= 0 ? &c->f[c->slot_file[s]] : NULL;
}

static struct fm *new_fm(struct ctx *c)
{
	for (int i = 0; i < NFILE; i++) {
		if (!c->f[i].used) {
			int gen = c->f[i].gen + 1;

			memset(&c->f[i], 0, sizeof(c->f[i]));
			c->f[i].used = true;
			c->f[i].gen = gen;
			return &c->f[i];
		}
	}
	return NULL;
}

/* The last reference is gone: release() drops what was in flight. */
static void put_fm(struct fm *f)
{
	if (--f->refs > 0 || f->ext)
		return;
	for (int i = 0; i < f->nw; i++) {
		if (f->w[i].st != ST_I && !f->w[i].gone) {
			atomic_fetch_add(&S->dropped, 1);
			break;
		}
	}
	f->used = false;
}

/* Before and after each call: the time, and the unplug's phase. */
struct br {
	int64_t t0, t1;
	int ph0, ph1;
};

static void br_start(struct br *b)
{
	b->ph0 = atomic_load(&S->phase);
	b->t0 = now_us();
}

static void br_end(struct br *b)
{
	b->t1 = now_us();
	b->ph1 = atomic_load(&S->phase);
}

/* Bring @f's states up to the end of the call, before judging it. */
static void advance(struct ctx *c, struct fm *f, const struct br *b)
{
	closure(c, f, b->t1, b->ph1);
	if (b->ph0 == 2)
		force_gone(f);
}

/* The earliest time by which @f surely satisfies @kind/@ev; INF: never. */
static int64_t ready_by(const struct ctx *c, const struct fm *f, int kind,
			uint32_t ev)
{
	int64_t by = 0;

	for (int i = 0; i < f->nw; i++) {
		const struct world *w = &f->w[i];
		int64_t t;

		if (kind == HK_READ)
			t = (w->st == ST_D || w->gone) ? 0 :
			    (w->st == ST_P ? f->cur.t0 + f->cur.delay_us : INF);
		else if (view(kind, wmask(w), ev))
			t = 0;
		else if (w->st == ST_P && (ev & POLLIN))
			t = f->cur.t0 + f->cur.delay_us;
		else
			t = INF;
		/* The helper may consume first, or hold read_mutex. */
		if (w->hs == H_WAIT && c->h && c->h->kind == HK_READ &&
		    c->h->file == fidx(c, f))
			t = INF;
		if (t > by)
			by = t;
	}
	return by;
}

static const char *err_name(long ret)
{
	static __thread char buf[32];

	if (ret >= 0) {
		snprintf(buf, sizeof(buf), "%ld", ret);
		return buf;
	}
	switch (-ret) {
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOTTY: return "ENOTTY";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	default:
		snprintf(buf, sizeof(buf), "errno %ld", -ret);
		return buf;
	}
}

/* A result the model did not admit: report it under the right check. */
static void mismatch(struct ctx *c, struct fm *f, int check, long ret,
		     const char *admits)
{
	char ws[200];

	w_str(f, ws, sizeof(ws));
	if (c->injected && check == C_ERRNO)
		check = C_FAULT;
	fail(c, check, "got %s, the model admits %s (states %s)", err_name(ret),
	     admits[0] ? admits : "nothing: the call should still block", ws);
	f->bad = true;	/* stop judging this file until it is closed */
}

static void note(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = snprintf(c->cur, sizeof(c->cur), "#%d ", c->idx);
	vsnprintf(c->cur + n, sizeof(c->cur) - n, fmt, ap);
	va_end(ap);
	if (!c->child && c->wid < MAXWORKERS) {
		memcpy(S->w[c->wid].cur, c->cur, sizeof(S->w[c->wid].cur));
		S->w[c->wid].cur[sizeof(S->w[c->wid].cur) - 1] = '\0';
	}
}

static void result(struct ctx *c, long ret)
{
	size_t n = strlen(c->cur);

	snprintf(c->cur + n, sizeof(c->cur) - n, " = %s", err_name(ret));
	memcpy(c->ring[c->nring++ % NRING], c->cur, sizeof(c->cur));
	if (S->trace)
		say("  %s%s", c->child ? "(child) " : "", c->cur);
}

static long sysret(long r)
{
	return r < 0 ? -errno : r;
}

/* ---- the ops ------------------------------------------------------------------ */

static void op_open(struct ctx *c, const struct op *o)
{
	static const int accs[] = { O_RDWR, O_RDWR, O_RDWR, O_RDONLY,
				    O_WRONLY };
	int s = o->s, acc = accs[o->a % 5];
	bool nb = o->b & 1;
	uint32_t ev = ep_class(o->c);
	struct epoll_event e;
	struct fm *f;
	struct br b;
	bool inj;
	long ret;
	int fd;

	if (c->slot_fd[s] >= 0)
		return;
	f = new_fm(c);
	if (!f)
		return;
	f->used = false;		/* until open() succeeds */
	note(c, "open(s%d, %s%s)", s, acc == O_RDWR ? "O_RDWR" :
	     acc == O_RDONLY ? "O_RDONLY" : "O_WRONLY",
	     nb ? "|O_NONBLOCK" : "");
	br_start(&b);
	fault_on(c);
	fd = open(AW_SAMPLE_DEVICE, acc | (nb ? O_NONBLOCK : 0) | O_CLOEXEC);
	ret = sysret(fd);
	inj = fault_off(c);
	br_end(&b);
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (c->unpriv) {
		if (ret != -EACCES &&
		    !(b.ph1 && (ret == -ENOENT || ret == -ENODEV)))
			fail(c, C_ERRNO, "open without privilege: got %s, want EACCES",
			     err_name(ret));
	} else if (ret == -ENOMEM && inj) {
		checked(C_FAULT);
	} else if (ret == -ENOENT || ret == -ENODEV) {
		if (b.ph1 == 0)
			fail(c, inj ? C_FAULT : C_ERRNO,
			     "open failed (%s) with the device there",
			     err_name(ret));
	} else if (ret < 0) {
		fail(c, inj ? C_FAULT : C_ERRNO, "open: got %s", err_name(ret));
	} else if (b.ph0 == 2) {
		fail(c, C_ERRNO, "open succeeded after the unplug had returned");
	}
	if (fd < 0)
		return;
	f->used = true;
	f->refs = 1;
	f->acc = acc;
	f->nonblock = nb;
	f->nw = 1;
	memset(&f->w[0], 0, sizeof(f->w[0]));
	f->w[0].st = ST_I;
	c->slot_fd[s] = fd;
	c->slot_file[s] = fidx(c, f);
	advance(c, f, &b);
	if (ev && c->ep >= 0) {
		e.events = ev;
		e.data.u64 = (uint64_t)f->gen << 8 | fidx(c, f);
		fault_on(c);
		ret = sysret(epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e));
		inj = fault_off(c);
		syscalls(c, 1);
		if (!ret)
			f->ep = ev;
		else if (!(ret == -ENOMEM && inj))
			fail(c, C_ERRNO, "EPOLL_CTL_ADD: %s", err_name(ret));
	}
}

static void op_close(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	long ret;

	if (!f)
		return;
	note(c, "close(s%d)", o->s);
	ret = sysret(close(c->slot_fd[o->s]));
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (ret)
		fail(c, C_ERRNO, "close: %s", err_name(ret));
	c->slot_fd[o->s] = -1;
	put_fm(f);
}

static void op_dup(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	long ret;
	bool inj;

	if (!f || c->slot_fd[o->t] >= 0)
		return;
	note(c, "dup(s%d) -> s%d", o->s, o->t);
	fault_on(c);
	ret = sysret(fcntl(c->slot_fd[o->s], F_DUPFD_CLOEXEC, 0));
	inj = fault_off(c);
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (ret < 0) {
		if (!(inj && (ret == -ENOMEM || ret == -EMFILE)))
			fail(c, C_ERRNO, "dup: %s", err_name(ret));
		return;
	}
	c->slot_fd[o->t] = ret;
	c->slot_file[o->t] = c->slot_file[o->s];
	f->refs++;
}

/* How long a blocking call may wait when nothing must wake it, before
 * SIGUSR1 interrupts it. */
static int64_t short_wait(const struct op *o)
{
	return 200 + o->r % 5000;
}

static void op_read(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	int pc = ptr_class(o->a), sc = size_class(o->b), s1;
	uint32_t xid, len;
	char admits[200];
	int64_t by, kick = 0;
	struct rx x;
	struct br b;
	long ret;
	int got;

	if (!f)
		return;
	len = f->cur.len ? f->cur.len : 64;
	x.count = sc == SZ_EXACT ? len : sc == SZ_SHORT ? len - 1 :
		  sc == SZ_RANDOM ? 1 + o->r % AW_SAMPLE_MAX_LEN : sizes[sc];
	x.valid = valid_bytes(c, pc, true, 100);
	x.ptr = ptr_of(c, pc, 100);
	x.nonblock = f->nonblock;
	note(c, "read(s%d%s, %s, %" PRIu64 ")", o->s,
	     x.nonblock ? " nonblock" : "", ptr_name[pc], x.count);
	if (!f->bad)
		closure(c, f, now_us(), atomic_load(&S->phase));
	by = f->bad ? INF : ready_by(c, f, HK_READ, 0);
	s1 = nsig1;
	if (!x.nonblock) {
		/* A read that must return gets a bound, one that need not
		 * a signal; SIGUSR2 (SA_RESTART) now and then meanwhile. */
		if (by != INF) {
			kick = (by > now_us() ? by - now_us() : 0) + P.bound_us;
			arm(c, 0, kick, 10000);
		} else {
			arm(c, 0, short_wait(o), 10000);
		}
		if (o->c & 1)
			arm(c, 1, 100 + o->r % 900, 300 + o->r % 700);
	}
	br_start(&b);
	ret = sysret(syscall(SYS_read, c->slot_fd[o->s], (void *)x.ptr,
			     x.count));
	br_end(&b);
	got = x.nonblock ? 0 : disarm(c, s1);
	x.intr = got > 0;
	syscalls(c, 1);
	result(c, ret);
	if (f->bad)
		return;
	checked(C_ERRNO);
	if (kick && ret == -EINTR) {
		checked(C_WAKE);
		fail(c, C_WAKE, "blocking read not woken %" PRId64 " ms after its transfer was due",
		     P.bound_us / 1000);
		f->bad = true;
		return;
	}
	if (kick)
		checked(C_WAKE);
	advance(c, f, &b);
	if (!settle(c, f, ret, &xid, fn_read, &x, admits, sizeof(admits))) {
		bool any = false;

		for (int i = 0; i < f->nw; i++)
			any |= f->w[i].st == ST_D && !f->w[i].gone;
		mismatch(c, f, ret > 0 && !any ? C_ONCE : C_ERRNO, ret, admits);
		return;
	}
	if (ret > 0) {
		const unsigned char *data = (const unsigned char *)(uintptr_t)x.ptr;

		checked(C_DATA);
		checked(C_ONCE);
		atomic_fetch_add(&S->delivered, 1);
		if (!payload_ok(data, ret, f->cur.seed)) {
			fail(c, C_DATA, "read returned %ld bytes that are not transfer %u's (seed %#x)",
			     ret, f->cur.id, f->cur.seed);
			f->bad = true;
		}
	}
	closure(c, f, b.t1, b.ph1);
}

static void op_write(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	int pc = ptr_class(o->a), sc = size_class(o->b);
	uint32_t xid, seed = o->r;
	char admits[200];
	struct wx x;
	struct br b;
	long ret;

	if (!f)
		return;
	x.count = sc >= (int)NSIZE ? 1 + o->r % AW_SAMPLE_MAX_LEN : sizes[sc];
	x.valid = valid_bytes(c, pc, false, 100);
	x.ptr = ptr_of(c, pc, 100);
	if (pc == P_RO)
		seed = RO_SEED;
	else if (pc == P_GOOD)
		fill(c->good, x.count < GOOD_LEN ? x.count : GOOD_LEN, seed);
	else if (pc == P_STRAD)
		fill(c->strad + PAGE - 100, 100, seed);
	note(c, "write(s%d, %s, %" PRIu64 ")", o->s, ptr_name[pc], x.count);
	br_start(&b);
	ret = sysret(syscall(SYS_write, c->slot_fd[o->s], (void *)x.ptr,
			     x.count));
	br_end(&b);
	syscalls(c, 1);
	result(c, ret);
	if (f->bad)
		return;
	checked(C_ERRNO);
	advance(c, f, &b);
	if (!settle(c, f, ret, &xid, fn_write, &x, admits, sizeof(admits)))
		return mismatch(c, f, C_ERRNO, ret, admits);
	if (ret > 0) {
		new_xfer(c, f, ret, seed, S->write_delay, b.t0);
		closure(c, f, b.t1, b.ph1);
	}
}

static void op_submit(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	int pc = ptr_class(o->a);
	char admits[200];
	uint64_t p;
	uint32_t xid;
	struct sx x;
	struct br b;
	long ret;

	if (!f)
		return;
	x.req.delay_us = submit_delay(o->c, o->r);
	x.req.len = submit_len(o->b, o->r);
	x.req.seed = o->r * 2654435761u;
	x.req.flags = submit_flags(o->r >> 24, o->r);
	p = ptr_of(c, pc, 8);
	x.fault = valid_bytes(c, pc, false, 8) < sizeof(x.req);
	if (pc == P_GOOD)
		memcpy(c->good, &x.req, sizeof(x.req));
	else if (pc == P_RO)
		memcpy(&x.req, ro_page, sizeof(x.req));
	note(c, "SUBMIT(s%d, %s, delay %u us, len %u, flags %#x)", o->s,
	     ptr_name[pc], x.req.delay_us, x.req.len, x.req.flags);
	br_start(&b);
	ret = sysret(ioctl(c->slot_fd[o->s], AW_SAMPLE_IOC_SUBMIT, (void *)p));
	br_end(&b);
	syscalls(c, 1);
	result(c, ret);
	if (f->bad)
		return;
	checked(C_ERRNO);
	advance(c, f, &b);
	if (!settle(c, f, ret, &xid, fn_submit, &x, admits, sizeof(admits)))
		return mismatch(c, f, C_ERRNO, ret, admits);
	if (!ret) {
		new_xfer(c, f, x.req.len, x.req.seed, x.req.delay_us, b.t0);
		closure(c, f, b.t1, b.ph1);
	}
}

static void op_status(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	int pc = ptr_class(o->a), i, nk = 0;
	struct aw_sample_status *st = (void *)c->good;
	struct world keep[MAXW];
	bool gone_ok = false, fault_ok = false;
	uint64_t sub, cmp;
	char ws[200];
	struct br b;
	long ret;

	if (!f)
		return;
	note(c, "STATUS(s%d, %s)", o->s, ptr_name[pc]);
	memset(st, 0xa5, sizeof(*st));
	br_start(&b);
	ret = sysret(ioctl(c->slot_fd[o->s], AW_SAMPLE_IOC_STATUS,
			   (void *)ptr_of(c, pc, 24)));
	br_end(&b);
	syscalls(c, 1);
	result(c, ret);
	if (f->bad)
		return;
	checked(C_ERRNO);
	advance(c, f, &b);
	for (i = 0; i < f->nw; i++) {
		gone_ok |= f->w[i].gone;
		fault_ok |= !f->w[i].gone;
	}
	fault_ok &= valid_bytes(c, pc, true, 24) < sizeof(*st);
	if (ret == -ENODEV && gone_ok) {
		for (i = 0; i < f->nw; i++)
			if (f->w[i].gone)
				keep[nk++] = f->w[i];
	} else if (ret == -EFAULT && fault_ok) {
		for (i = 0; i < f->nw; i++)
			if (!f->w[i].gone)
				keep[nk++] = f->w[i];
	} else if (ret || valid_bytes(c, pc, true, 24) < sizeof(*st)) {
		bool ok0 = valid_bytes(c, pc, true, 24) >= sizeof(*st);
		char admits[40];

		for (i = 0; i < f->nw; i++)
			ok0 &= f->w[i].gone == 0;
		snprintf(admits, sizeof(admits), "%s%s%s%s%s",
			 gone_ok ? "ENODEV" : "", gone_ok && fault_ok ? "|" : "",
			 fault_ok ? "EFAULT" : "", ok0 ? "|0" : "", "");
		return mismatch(c, f, C_ERRNO, ret, admits);
	} else {
		/* Every accepted transfer but a pending one has completed. */
		checked(C_STATUS);
		sub = f->submitted;
		cmp = st->completed;
		for (i = 0; i < f->nw; i++) {
			const struct world *w = &f->w[i];
			bool p = st->state == ST_P;

			if (w->gone || w->st != st->state)
				continue;
			if (st->len != (st->state == ST_I ? 0 : f->cur.len) ||
			    st->submitted != sub ||
			    (p ? cmp + 1 < sub || cmp > sub : cmp != sub) ||
			    (p ? st->hardirq + 1 < cmp || st->hardirq > cmp + 1 :
				 st->hardirq != cmp) ||
			    st->woken > cmp)
				continue;
			keep[nk++] = *w;
		}
		if (!nk) {
			w_str(f, ws, sizeof(ws));
			fail(c, C_STATUS, "STATUS state %c len %u submitted %llu completed %llu hardirq %llu woken %llu; the model: submitted %llu, len %u, states %s",
			     st->state < 3 ? st_char[st->state] : '?', st->len,
			     (unsigned long long)st->submitted,
			     (unsigned long long)st->completed,
			     (unsigned long long)st->hardirq,
			     (unsigned long long)st->woken,
			     (unsigned long long)sub, f->cur.len, ws);
			f->bad = true;
			return;
		}
	}
	f->nw = 0;
	for (i = 0; i < nk; i++)
		w_add(f, &keep[i]);
	closure(c, f, b.t1, b.ph1);
}

/* ioctl numbers that the VFS or others take before the driver: avoided */
static bool vfs_ioctl_cmd(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO ||
	       cmd == FIOASYNC || cmd == FIOQSIZE || cmd == FIONREAD ||
	       cmd == 2 /* FIGETBSZ */ || type == 'X' || type == 'f' ||
	       type == 0x94 || type == 0x15 || type == 'T' ||
	       cmd == AW_SAMPLE_IOC_SUBMIT || cmd == AW_SAMPLE_IOC_STATUS ||
	       cmd == AW_SAMPLE_IOC_UNPLUG;
}

static void op_badioc(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	unsigned int cmd;
	long ret;

	if (!f)
		return;
	switch (o->a % 6) {
	case 0:		/* our magic, a number it does not have */
		cmd = _IOC(o->b % 4, AW_SAMPLE_IOC_MAGIC, 3 + o->c % 250,
			   o->r % 512);
		break;
	case 1:		/* SUBMIT or STATUS with the wrong size */
		cmd = _IOC(o->b & 1 ? _IOC_WRITE : _IOC_READ,
			   AW_SAMPLE_IOC_MAGIC, o->b & 1 ? 0 : 1,
			   o->c % 2 ? 8 : 64);
		break;
	case 2:		/* a right number, the wrong direction */
		cmd = _IOC(_IOC_READ | _IOC_WRITE, AW_SAMPLE_IOC_MAGIC, o->b % 3,
			   o->b % 3 == 1 ? sizeof(struct aw_sample_status) :
			   sizeof(struct aw_sample_submit));
		break;
	case 3:
		cmd = 0;
		break;
	default:	/* anything */
		cmd = o->r;
		break;
	}
	if (vfs_ioctl_cmd(cmd))
		cmd = _IO(AW_SAMPLE_IOC_MAGIC, 0x77);
	note(c, "ioctl(s%d, %#x)", o->s, cmd);
	ret = sysret(ioctl(c->slot_fd[o->s], cmd,
			   (void *)ptr_of(c, ptr_class(o->t * 64), 8)));
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (ret != -ENOTTY)
		fail(c, C_ERRNO, "unknown ioctl %#x: got %s, want ENOTTY", cmd,
		     err_name(ret));
}

static void op_nonblock(struct ctx *c, const struct op *o)
{
	struct fm *f = slot_fm(c, o->s);
	int on = o->a & 1, fd;
	long ret;

	if (!f || (c->h && c->h->active && c->h->file == fidx(c, f)))
		return;
	fd = c->slot_fd[o->s];
	note(c, "%s(s%d, %s)", o->b & 1 ? "FIONBIO" : "F_SETFL", o->s,
	     on ? "nonblock" : "block");
	if (o->b & 1) {
		ret = sysret(ioctl(fd, FIONBIO, &on));
	} else {
		int fl = fcntl(fd, F_GETFL);

		ret = sysret(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK :
				   fl & ~O_NONBLOCK));
	}
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (ret)
		fail(c, C_ERRNO, "setting O_NONBLOCK: %s", err_name(ret));
	f->nonblock = on;
}

/* poll, select or epoll_wait from the worker itself */
struct pw {
	int n;
	int slot[NFILE], file[NFILE];
	uint32_t ev[NFILE];
	uint32_t got[NFILE];
	bool lenient[NFILE];
};

static void op_wait(struct ctx *c, const struct op *o, int kind)
{
	int tc = tmo_class(o->c), i, j, tmo_ms = 0, s1, got;
	int64_t by = INF, elapsed;
	bool must = false, bad = false;
	struct epoll_event evs[NFILE + 4];
	struct pollfd pfd[2];
	fd_set rd, wr;
	struct timeval tv, *tvp = NULL;
	struct pw w = { 0 };
	bool et[NFILE] = { false };
	struct br b;
	char ws[200];
	long ret;
	int maxfd = -1;

	if (kind == HK_EPOLL) {
		if (c->ep < 0)
			return;
		for (i = 0; i < NFILE; i++) {
			if (!c->f[i].used || !c->f[i].ep)
				continue;
			w.file[w.n] = i;
			w.ev[w.n] = c->f[i].ep & (EPOLLIN | EPOLLOUT);
			/*
			 * epoll learns of readiness from wakes only: a file
			 * surely ready may still have its wake on the way
			 * (an unplug still going through the files, a
			 * completion just stored), so a call that returns for
			 * another file may leave it out.  Only what it reports
			 * is judged; and that it does not sleep out a long
			 * timeout while a level-triggered file is surely due.
			 */
			w.lenient[w.n] = true;
			et[w.n] = c->f[i].ep & EPOLLET;
			w.n++;
		}
		if (!w.n)
			return;
	} else {
		for (i = 0; i < 2; i++) {
			int s = i ? o->t : o->s;

			if (!slot_fm(c, s) || (i && o->t == o->s))
				continue;
			w.slot[w.n] = s;
			w.file[w.n] = c->slot_file[s];
			w.ev[w.n] = ev_class(i ? o->b : o->a);
			for (j = 0; j < w.n; j++)
				if (w.file[j] == w.file[w.n])
					break;
			if (j == w.n)
				w.n++;
		}
		if (!w.n)
			return;
	}
	for (i = 0; i < w.n; i++) {
		struct fm *f = &c->f[w.file[i]];
		int64_t t;

		bad |= f->bad;
		if (f->bad)
			continue;
		closure(c, f, now_us(), atomic_load(&S->phase));
		if (et[i])
			continue;
		t = ready_by(c, f, kind, w.ev[i]);
		if (t < by)
			by = t;
	}
	s1 = nsig1;
	if (tc == T_LONG) {
		if (by != INF && !bad) {
			must = true;
			tmo_ms = ((by > now_us() ? by - now_us() : 0) +
				  P.bound_us) / 1000 + 1;
		} else {
			tmo_ms = -1;
			arm(c, 0, short_wait(o), 10000);
		}
	} else {
		tmo_ms = tc == T_ZERO ? 0 : tc == T_1MS ? 1 : 5;
	}
	note(c, "%s(%d files, timeout %d ms)", hk_name[kind], w.n, tmo_ms);
	br_start(&b);
	switch (kind) {
	case HK_POLL:
		for (i = 0; i < w.n; i++) {
			pfd[i].fd = c->slot_fd[w.slot[i]];
			pfd[i].events = w.ev[i];
			pfd[i].revents = 0;
		}
		ret = sysret(poll(pfd, w.n, tmo_ms));
		for (i = 0; ret > 0 && i < w.n; i++)
			w.got[i] = pfd[i].revents;
		break;
	case HK_SELECT:
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		for (i = 0; i < w.n; i++) {
			int fd = c->slot_fd[w.slot[i]];

			if (w.ev[i] & POLLIN)
				FD_SET(fd, &rd);
			if (w.ev[i] & POLLOUT)
				FD_SET(fd, &wr);
			if (fd > maxfd)
				maxfd = fd;
		}
		if (tmo_ms >= 0) {
			tv.tv_sec = tmo_ms / 1000;
			tv.tv_usec = tmo_ms % 1000 * 1000;
			tvp = &tv;
		}
		ret = sysret(select(maxfd + 1, &rd, &wr, NULL, tvp));
		for (i = 0; ret > 0 && i < w.n; i++) {
			int fd = c->slot_fd[w.slot[i]];

			w.got[i] = ((w.ev[i] & POLLIN) && FD_ISSET(fd, &rd) ? 1 : 0) |
				   ((w.ev[i] & POLLOUT) && FD_ISSET(fd, &wr) ? 2 : 0);
		}
		break;
	default:
		ret = sysret(epoll_wait(c->ep, evs, NFILE + 4, tmo_ms));
		for (i = 0; i < ret; i++) {
			int fi = evs[i].data.u64 & 0xff;

			for (j = 0; j < w.n; j++)
				if (w.file[j] == fi)
					break;
			if (j == w.n || c->f[fi].gen != (int)(evs[i].data.u64 >> 8)) {
				/* A file we closed lives on for an instant in
				 * a fork child of a sibling thread (until it
				 * closes what is not its own). */
				if (fi < NFILE &&
				    (int)(evs[i].data.u64 >> 8) <= c->f[fi].gen)
					continue;
				fail(c, C_MASK, "epoll_wait reported a file not in its set (%#llx)",
				     (unsigned long long)evs[i].data.u64);
				continue;
			}
			w.got[j] = evs[i].events;
		}
		break;
	}
	br_end(&b);
	got = tmo_ms < 0 ? disarm(c, s1) : 0;
	syscalls(c, 1);
	result(c, ret);
	if (bad)
		return;
	checked(C_ERRNO);
	elapsed = b.t1 - b.t0;
	if (ret < 0 && !(ret == -EINTR && got > 0)) {
		fail(c, C_ERRNO, "%s: got %s", hk_name[kind], err_name(ret));
		return;
	}
	if (must) {
		checked(C_WAKE);
		/* It ran out its timeout: the event came, the wake did not. */
		if (ret == 0 || elapsed >= (int64_t)tmo_ms * 1000 - 50000) {
			struct fm *f = &c->f[w.file[0]];

			w_str(f, ws, sizeof(ws));
			fail(c, C_WAKE, "%s slept its whole timeout (%d ms, %" PRId64 " us) although a file was ready or due %" PRId64 " us after it began (states of file 0: %s)",
			     hk_name[kind], tmo_ms, elapsed,
			     by > b.t0 ? by - b.t0 : 0, ws);
			for (i = 0; i < w.n; i++)
				c->f[w.file[i]].bad = true;
			return;
		}
	}
	if (ret == -EINTR)
		return;
	for (i = 0; i < w.n; i++) {
		struct fm *f = &c->f[w.file[i]];
		struct world keep[MAXW];
		int nk = 0;
		size_t len = 0;
		char admits[120] = "";

		checked(C_MASK);
		advance(c, f, &b);
		for (j = 0; j < f->nw; j++) {
			uint32_t v = view(kind, wmask(&f->w[j]), w.ev[i]);

			if (len + 16 < sizeof(admits))
				len += snprintf(admits + len, sizeof(admits) - len,
						"%s%#x", len ? "|" : "", v);
			if (v == w.got[i] || (w.lenient[i] && !w.got[i]))
				keep[nk++] = f->w[j];
		}
		if (!nk) {
			w_str(f, ws, sizeof(ws));
			fail(c, C_MASK, "%s: file %d of %d (f%d, events %#x) reported %#x, the model admits %s (states %s)",
			     hk_name[kind], i, w.n, w.file[i], w.ev[i], w.got[i],
			     admits, ws);
			f->bad = true;
			continue;
		}
		f->nw = 0;
		for (j = 0; j < nk; j++)
			w_add(f, &keep[j]);
		closure(c, f, b.t1, b.ph1);
	}
}

/* ---- the helper: a call that blocks in the background ----------------------- */

static void *helper_main(void *arg)
{
	struct ctx *c = arg;
	struct helper *h = c->h;
	struct epoll_event ev;
	struct pollfd p;
	fd_set rd, wr;
	int seq = 0;

	h->tid = gettid();
	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (h->seq == seq && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		seq = h->seq;
		pthread_mutex_unlock(&h->mu);
		if (h->quit)
			return NULL;
		drain_signals();
		h->t_start = now_us();
		h->revents = 0;
		switch (h->kind) {
		case HK_READ:
			h->ret = read(h->fd, h->buf, sizeof(h->buf));
			break;
		case HK_POLL:
			p.fd = h->fd;
			p.events = h->events;
			p.revents = 0;
			h->ret = poll(&p, 1, -1);
			h->revents = p.revents;
			break;
		case HK_SELECT:
			FD_ZERO(&rd);
			FD_ZERO(&wr);
			if (h->events & POLLIN)
				FD_SET(h->fd, &rd);
			if (h->events & POLLOUT)
				FD_SET(h->fd, &wr);
			h->ret = select(h->fd + 1, &rd, &wr, NULL, NULL);
			if (h->ret > 0)
				h->revents = (FD_ISSET(h->fd, &rd) ? 1 : 0) |
					     (FD_ISSET(h->fd, &wr) ? 2 : 0);
			break;
		default:
			h->ret = epoll_wait(h->ep, &ev, 1, -1);
			if (h->ret > 0)
				h->revents = ev.events;
			break;
		}
		h->err = h->ret < 0 ? errno : 0;
		h->t_end = now_us();
		/* its fds are closed by op_join(): the model's reference */
		pthread_mutex_lock(&h->mu);
		h->done_seq = seq;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
}

static void helper_start(struct ctx *c)
{
	struct helper *h = c->h;
	pthread_condattr_t ca;
	pthread_attr_t at;


	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* now_us() */
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&h->th, &at, helper_main, c)) {
		say("pthread_create: out of resources");
		_exit(4);
	}
	pthread_attr_destroy(&at);
	while (!__atomic_load_n(&h->tid, __ATOMIC_ACQUIRE))
		sleep_us(100);
}

static void op_bg(struct ctx *c, const struct op *o)
{
	struct helper *h = c->h;
	struct fm *f = slot_fm(c, o->s);
	struct epoll_event e;
	bool inj;
	int fd;

	if (!h || h->active || !f || f->bad)
		return;
	h->kind = o->a % 4;
	h->events = ev_class(o->b);
	h->ep = -1;
	note(c, "helper %s(s%d%s, events %#x)", hk_name[h->kind], o->s,
	     f->nonblock ? " nonblock" : "", h->events);
	fd = fcntl(c->slot_fd[o->s], F_DUPFD_CLOEXEC, 0);
	syscalls(c, 1);
	if (fd < 0)
		return result(c, -errno);
	if (h->kind == HK_EPOLL) {
		fault_on(c);
		h->ep = epoll_create1(EPOLL_CLOEXEC);
		e.events = h->events;
		e.data.u64 = 1;
		if (h->ep < 0 || epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &e)) {
			long ret = -errno;

			inj = fault_off(c);
			syscalls(c, 2);
			result(c, ret);
			if (!(inj && ret == -ENOMEM))
				fail(c, C_ERRNO, "epoll for the helper: %s",
				     err_name(ret));
			if (h->ep >= 0)
				close(h->ep);
			close(fd);
			return;
		}
		fault_off(c);
		syscalls(c, 2);
	}
	result(c, 0);
	h->fd = fd;
	h->file = fidx(c, f);
	h->slot = o->s;
	h->nonblock = f->nonblock;
	h->sig = 0;
	h->active = true;
	f->refs++;
	for (int i = 0; i < f->nw; i++) {
		f->w[i].hs = H_WAIT;
		f->w[i].hres = 0;
		f->w[i].hxid = 0;
	}
	atomic_fetch_add(&S->helpers, 1);
	pthread_mutex_lock(&h->mu);
	h->t_issue = now_us();
	h->seq++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static void op_signal(struct ctx *c, const struct op *o)
{
	struct helper *h = c->h;
	int sig = o->a & 1 ? SIGUSR2 : SIGUSR1;

	if (!h || !h->active)
		return;
	note(c, "signal helper %s", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2 (SA_RESTART)");
	if (h->sig != SIGUSR1) {
		h->sig = sig;
		h->t_sig = now_us();
	}
	tgkill(getpid(), h->tid, sig);
	atomic_fetch_add(&S->sigs, 1);
	syscalls(c, 1);
	result(c, 0);
}

static bool helper_done(struct helper *h, int64_t until)
{
	struct timespec ts;
	bool done;

	ts.tv_sec = until / 1000000;
	ts.tv_nsec = until % 1000000 * 1000;
	pthread_mutex_lock(&h->mu);
	while (h->done_seq != h->seq &&
	       pthread_cond_timedwait(&h->cv, &h->mu, &ts) != ETIMEDOUT)
		;
	done = h->done_seq == h->seq;
	pthread_mutex_unlock(&h->mu);
	return done;
}

/* Signal the helper until it returns, up to the bound. */
static bool helper_kick(struct helper *h, int sig)
{
	int64_t end = now_us() + P.bound_us;

	if (h->sig != SIGUSR1) {
		h->sig = sig;
		h->t_sig = now_us();
	}
	while (now_us() < end) {
		tgkill(getpid(), h->tid, sig);
		atomic_fetch_add(&S->sigs, 1);
		if (helper_done(h, now_us() + 10000))
			return true;
	}
	return false;
}

/* Wait for the helper, as long as the model says it may block, and judge
 * what it returned. */
static void op_join(struct ctx *c)
{
	struct helper *h = c->h;
	struct fm *f;
	int64_t by = 0, t;
	struct world keep[MAXW];
	char ws[200];
	long obs;
	int i, nk = 0;
	bool done;

	if (!h || !h->active)
		return;
	f = &c->f[h->file];
	note(c, "join helper %s(s%d)", hk_name[h->kind], h->slot);
	if (!f->bad) {
		closure(c, f, now_us(), atomic_load(&S->phase));
		for (i = 0; i < f->nw && by != INF; i++) {
			const struct world *w = &f->w[i];

			if (w->hs != H_WAIT)
				continue;
			/* A signal sent before the helper entered its call
			 * interrupts nothing: only the kick below must work. */
			t = h->kind == HK_READ && h->nonblock ? 0 :
			    ready_by(c, f, h->kind, h->events);
			if (t > by)
				by = t;
		}
		/* ready_by() is INF for a helper read on its own file */
		if (h->kind == HK_READ && !h->nonblock) {
			by = 0;
			for (i = 0; i < f->nw; i++) {
				const struct world *w = &f->w[i];

				t = w->hs != H_WAIT ? 0 :
				    w->st == ST_D || w->gone ? 0 :
				    w->st == ST_P ? f->cur.t0 + f->cur.delay_us :
				    INF;
				if (t > by)
					by = t;
			}
		}
	} else {
		by = INF;
	}
	if (by != INF) {
		checked(C_WAKE);
		done = helper_done(h, (by > now_us() ? by : now_us()) +
				   P.bound_us);
		if (!done && !f->bad) {
			w_str(f, ws, sizeof(ws));
			fail(c, C_WAKE, "helper %s(events %#x) still blocked %" PRId64 " ms after it had to return (states %s)",
			     hk_name[h->kind], h->events, P.bound_us / 1000, ws);
			f->bad = true;
		}
		if (!done)
			done = helper_kick(h, SIGUSR1);
	} else {
		checked(C_SIGNAL);
		done = helper_kick(h, SIGUSR1);
		if (!done && !f->bad) {
			fail(c, C_SIGNAL, "helper %s still blocked %" PRId64 " ms after SIGUSR1",
			     hk_name[h->kind], P.bound_us / 1000);
			f->bad = true;
		}
	}
	if (!done) {
		say("worker %d: the helper cannot be stopped; giving up", c->wid);
		_exit(5);
	}
	obs = h->ret < 0 ? -h->err : h->kind == HK_READ ? h->ret :
	      (long)h->revents;
	result(c, obs);
	close(h->fd);
	if (h->ep >= 0)
		close(h->ep);
	syscalls(c, 2);
	if (!f->bad) {
		closure(c, f, h->t_end, atomic_load(&S->phase));
		checked(h->kind == HK_READ ? C_ERRNO : C_MASK);
		for (i = 0; i < f->nw; i++) {
			const struct world *w = &f->w[i];

			if (w->hs == H_DONE && w->hres == obs)
				keep[nk++] = *w;
		}
		if (!nk) {
			w_str(f, ws, sizeof(ws));
			fail(c, h->kind == HK_READ ? C_ERRNO : C_MASK,
			     "helper %s(events %#x) returned %s, not admitted by the model (states %s)",
			     hk_name[h->kind], h->events, err_name(obs), ws);
			f->bad = true;
		} else {
			if (h->kind == HK_READ && obs > 0) {
				bool ok = false;

				checked(C_DATA);
				atomic_fetch_add(&S->delivered, 1);
				for (i = 0; i < nk && !ok; i++) {
					const struct xfer *x = find_xfer(f, keep[i].hxid);

					ok = x && payload_ok(h->buf, obs, x->seed);
				}
				if (!ok) {
					fail(c, C_DATA, "helper read returned %ld bytes that are not transfer %u's",
					     obs, keep[0].hxid);
					f->bad = true;
				}
			}
			f->nw = 0;
			for (i = 0; i < nk; i++) {
				keep[i].hs = H_NONE;
				keep[i].hres = 0;
				keep[i].hxid = 0;
				w_add(f, &keep[i]);
			}
		}
	}
	if (f->bad) {
		for (i = 0; i < f->nw; i++)
			f->w[i].hs = H_NONE;
	}
	h->active = false;
	put_fm(f);
}

/* ---- fork: a child shares the files for a few ops ---------------------------- */

static void run_op(struct ctx *c, int i);

/*
 * A fork child holds what its parent held: the sibling threads' files too,
 * which would outlive their close() in the sibling.  Keep ours only.
 */
static void close_others(const struct ctx *c, int keep_fd)
{
	int keep[NSLOT + 4], n = 0, i, j, lo = 3;

	for (i = 0; i < NSLOT; i++)
		if (c->slot_fd[i] >= 0)
			keep[n++] = c->slot_fd[i];
	if (c->ep >= 0)
		keep[n++] = c->ep;
	keep[n++] = keep_fd;
	for (i = 0; i < n; i++)		/* sort */
		for (j = i + 1; j < n; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];

				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < n; i++) {
		if (keep[i] > lo)
			close_range(lo, keep[i] - 1, 0);
		if (keep[i] + 1 > lo)
			lo = keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

static void op_fork(struct ctx *c, const struct op *o)
{
	int k = 1 + o->a % 6, p[2], st, i;
	bool unpriv = !(o->b % 4);
	struct fm saved[NFILE];
	ssize_t n, want;
	struct pollfd pf;
	pid_t pid;

	if (c->child || c->idx + k >= c->nops || pipe2(p, O_CLOEXEC))
		return;
	note(c, "fork(%d ops%s)", k, unpriv ? ", unprivileged" : "");
	result(c, 0);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (!pid) {
		close(p[0]);
		close_others(c, p[1]);
		c->child = true;
		c->unpriv = unpriv;
		c->tid = gettid();
		c->have_tm = false;
		c->fault_nth = 0;
		for (i = 0; i < NFILE; i++)
			c->f[i].ext++;
		if (unpriv && setuid(65534))
			c->unpriv = false;
		fault_fds(c);
		for (i = 1; i <= k; i++) {
			c->idx++;
			run_op(c, c->idx);
		}
		for (i = 0; i < NFILE; i++)
			c->f[i].ext--;
		c->f[0].pad_xid = c->next_xid;
		want = sizeof(c->f);
		n = write(p[1], c->f, want);
		_exit(n == want ? 0 : 6);
	}
	close(p[1]);
	syscalls(c, 1);
	atomic_fetch_add(&S->forks, 1);
	memcpy(saved, c->f, sizeof(saved));
	pf.fd = p[0];
	pf.events = POLLIN;
	n = 0;
	want = sizeof(c->f);
	while (n < want && poll(&pf, 1, 120000) == 1) {
		ssize_t r = read(p[0], (char *)c->f + n, want - n);

		if (r <= 0)
			break;
		n += r;
	}
	close(p[0]);
	if (n != want)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	checked(C_CRASH);
	if (n != want || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fail(c, C_CRASH, "fork child died (status %#x) or sent no model",
		     st);
		memcpy(c->f, saved, sizeof(saved));
		for (i = 0; i < NFILE; i++)
			if (c->f[i].used)
				c->f[i].bad = true;
	} else {
		/* Our files as the child left them; its own files died with it. */
		c->next_xid = c->f[0].pad_xid;
		for (i = 0; i < NFILE; i++) {
			if (!saved[i].used) {
				c->f[i] = saved[i];
				continue;
			}
			c->f[i].refs = saved[i].refs;
			c->f[i].ext = saved[i].ext;
			c->f[i].used = true;
		}
	}
	c->idx += k;
}

/* ---- unplug ---------------------------------------------------------------------- */

static void op_unplug(struct ctx *c, const struct op *o)
{
	int s = o->s, starts = 0, i;
	struct br b;
	long ret;

	if (c->slot_fd[s] < 0)
		for (s = 0; s < NSLOT && c->slot_fd[s] < 0; s++)
			;
	if (s == NSLOT)
		return;
	note(c, "UNPLUG(s%d)%s", s, c->unpriv ? " unprivileged" : "");
	if (!c->unpriv) {
		starts = atomic_fetch_add(&S->unplug_starts, 1);
		i = 0;
		atomic_compare_exchange_strong(&S->phase, &i, 1);
	}
	br_start(&b);
	ret = sysret(ioctl(c->slot_fd[s], AW_SAMPLE_IOC_UNPLUG));
	br_end(&b);
	syscalls(c, 1);
	result(c, ret);
	checked(C_ERRNO);
	if (c->unpriv) {
		if (ret != -EPERM)
			fail(c, C_ERRNO, "UNPLUG without CAP_SYS_ADMIN: got %s, want EPERM",
			     err_name(ret));
		return;
	}
	if (!ret) {
		if (atomic_fetch_add(&S->unplug_ok, 1))
			fail(c, C_ERRNO, "a second UNPLUG succeeded");
		if (b.ph0 == 2)
			fail(c, C_ERRNO, "UNPLUG succeeded after another had returned");
	} else if (ret == -ENODEV) {
		if (!starts && b.ph0 == 0 && atomic_load(&S->unplug_starts) == 1)
			fail(c, C_ERRNO, "UNPLUG failed with ENODEV, but none happened before");
	} else {
		fail(c, C_ERRNO, "UNPLUG: got %s", err_name(ret));
	}
	atomic_store(&S->phase, 2);
	b.ph1 = 2;
	for (i = 0; i < NFILE; i++) {
		if (c->f[i].used && !c->f[i].bad) {
			closure(c, &c->f[i], b.t1, 2);
			force_gone(&c->f[i]);
		}
	}
}

/* A replay's stand-in for another worker's unplug: on a file of its own. */
static void unplug_now(struct ctx *c)
{
	int fd, i, z = 0;
	long ret;

	note(c, "UNPLUG (another worker's, at this point of the run)");
	atomic_fetch_add(&S->unplug_starts, 1);
	atomic_compare_exchange_strong(&S->phase, &z, 1);
	fd = open(AW_SAMPLE_DEVICE, O_RDWR | O_CLOEXEC);
	ret = fd < 0 ? -errno : sysret(ioctl(fd, AW_SAMPLE_IOC_UNPLUG));
	if (fd >= 0)
		close(fd);
	result(c, ret);
	if (!ret)
		atomic_fetch_add(&S->unplug_ok, 1);
	atomic_store(&S->phase, 2);
	for (i = 0; i < NFILE; i++) {
		if (c->f[i].used && !c->f[i].bad) {
			closure(c, &c->f[i], now_us(), 2);
			force_gone(&c->f[i]);
		}
	}
}

static void op_fault(struct ctx *c, const struct op *o)
{
	if (!S->have_faults || c->unpriv)
		return;
	c->fault_nth = 1 + o->a % 12;
}

static void op_sleep(struct ctx *c, const struct op *o)
{
	static const int us[] = { 0, 100, 1000, 5000 };

	note(c, "sleep(%d us)", us[o->a % 4]);
	sleep_us(us[o->a % 4]);
	result(c, 0);
}

static void run_op(struct ctx *c, int i)
{
	const struct op *o = &c->ops[i];

	c->idx = i;
	switch (o->k) {
	case OP_OPEN: op_open(c, o); break;
	case OP_CLOSE: op_close(c, o); break;
	case OP_DUP: op_dup(c, o); break;
	case OP_READ: op_read(c, o); break;
	case OP_WRITE: op_write(c, o); break;
	case OP_SUBMIT: op_submit(c, o); break;
	case OP_STATUS: op_status(c, o); break;
	case OP_BADIOC: op_badioc(c, o); break;
	case OP_NONBLOCK: op_nonblock(c, o); break;
	case OP_POLL: op_wait(c, o, HK_POLL); break;
	case OP_SELECT: op_wait(c, o, HK_SELECT); break;
	case OP_EPOLL: op_wait(c, o, HK_EPOLL); break;
	case OP_BG: if (!c->child) op_bg(c, o); break;
	case OP_SIGNAL: if (!c->child) op_signal(c, o); break;
	case OP_JOIN: if (!c->child) op_join(c); break;
	case OP_FORK: op_fork(c, o); break;
	case OP_UNPLUG: op_unplug(c, o); break;
	case OP_FAULT: op_fault(c, o); break;
	case OP_SLEEP: op_sleep(c, o); break;
	}
	if (o->k != OP_FAULT && o->k != OP_OPEN && o->k != OP_DUP &&
	    o->k != OP_BG)
		c->fault_nth = 0;
	atomic_fetch_add_explicit(&S->ops, 1, memory_order_relaxed);
	if (c->wid < MAXWORKERS) {
		atomic_store(&S->w[c->wid].beat, now_us());
		atomic_store(&S->w[c->wid].idx, c->idx);
	}
}

/* ---- a worker ----------------------------------------------------------------------- */

struct wargs {
	int wid, epoch;
	const uint8_t *keep;	/* replay: the ops to run, else NULL */
	int unplug_at;		/* replay: unplug before this op, as another
				 * worker did in the run; -1: no */
};

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("mmap %zu: %s", len, strerror(errno));
		_exit(4);
	}
	return p;
}

static void *worker_main(void *arg)
{
	struct wargs *a = arg;
	struct ctx *c = map(sizeof(*c), PROT_READ | PROT_WRITE);
	struct op *ops = map(sizeof(*ops) * P.ops, PROT_READ | PROT_WRITE);
	int i, s;

	c->wid = a->wid;
	c->epoch = a->epoch;
	c->replay = a->keep;
	c->tid = gettid();
	c->ops = ops;
	c->nops = P.ops;
	c->good = map(GOOD_LEN, PROT_READ | PROT_WRITE);
	c->strad = map(2 * PAGE, PROT_READ | PROT_WRITE);
	mprotect(c->strad + PAGE, PAGE, PROT_NONE);
	c->h = map(sizeof(*c->h), PROT_READ | PROT_WRITE);
	for (s = 0; s < NSLOT; s++)
		c->slot_fd[s] = -1;
	c->gone_at = -1;
	gen_ops(ops, P.ops, a->epoch, a->wid);
	timers_init(c);
	fault_fds(c);
	helper_start(c);
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < c->nops; i++) {
		if (i == a->unplug_at) {
			c->idx = i;
			unplug_now(c);
		}
		if (a->keep && !a->keep[i])
			continue;
		if (atomic_load(&S->stop))
			break;
		if (c->gone_at < 0 && atomic_load(&S->phase) >= 1)
			c->gone_at = i;
		if (atomic_load(&S->phase) == 2 && !a->keep && ++c->after_gone > 50)
			break;
		run_op(c, i);
		i = c->idx;	/* a fork ran the next ops in its child */
	}
	c->idx = c->nops;	/* the end: "#<ops>" in traces */
	op_join(c);
	for (s = 0; s < NSLOT; s++) {
		struct op o = { .k = OP_CLOSE, .s = s };

		op_close(c, &o);
	}
	if (c->ep >= 0)
		close(c->ep);
	pthread_mutex_lock(&c->h->mu);
	c->h->quit = true;
	pthread_cond_broadcast(&c->h->cv);
	pthread_mutex_unlock(&c->h->mu);
	pthread_join(c->h->th, NULL);
	return NULL;
}

/* A worker process: P.threads workers, or one for a replay. */
static void worker_proc(int first, int n, int epoch, const uint8_t *keep,
			int unplug_at)
{
	struct wargs a[MAXWORKERS];
	pthread_t th[MAXWORKERS];
	pthread_attr_t at;
	int i;

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 * 1024);
	for (i = 0; i < n; i++) {
		a[i].wid = first + i;
		a[i].epoch = epoch;
		a[i].keep = keep;
		a[i].unplug_at = unplug_at;
		if (pthread_create(&th[i], &at, worker_main, &a[i])) {
			say("pthread_create failed");
			_exit(4);
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* ---- the module --------------------------------------------------------------------- */

static bool mod_loaded(void)
{
	return !access("/sys/module/" MODNAME, F_OK);
}

static int mod_refcnt(void)
{
	char b[32] = "";
	int fd = open("/sys/module/" MODNAME "/refcnt", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, b, sizeof(b) - 1) < 0)
		b[0] = '\0';
	close(fd);
	return atoi(b);
}

static long mod_unload(void)
{
	return sysret(syscall(SYS_delete_module, MODNAME, O_NONBLOCK));
}

static bool mod_load(uint32_t write_delay)
{
	char params[64];
	int fd;
	long r;

	if (!P.module) {
		if (mod_loaded() && !access(AW_SAMPLE_DEVICE, F_OK))
			return true;
		say("FAIL: %s is not loaded and no --module to load it from",
		    MODNAME);
		return false;
	}
	snprintf(params, sizeof(params), "write_delay_us=%u", write_delay);
	fd = open(P.module, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("FAIL: open %s: %s", P.module, strerror(errno));
		return false;
	}
	r = sysret(syscall(SYS_finit_module, fd, params, 0));
	close(fd);
	if (r) {
		say("FAIL: loading %s: %s", P.module, err_name(r));
		return false;
	}
	return true;
}

static uint32_t epoch_write_delay(int epoch)
{
	static const uint32_t tab[] = { 0, 50, 1000, 1000, 5000, 20000 };
	struct rng g = { mix(P.seed ^ mix(0xde1a7 + (uint64_t)epoch)) };

	return tab[below(&g, 6)];
}

/* A fresh module for an epoch: unload what is there, load it again. */
static bool epoch_module(int epoch)
{
	S->write_delay = epoch_write_delay(epoch);
	if (mod_loaded() && P.module) {
		long r = mod_unload();

		if (r) {
			say("FAIL: cannot unload %s before epoch %d: %s",
			    MODNAME, epoch, err_name(r));
			return false;
		}
	}
	if (!P.module) {
		char b[16] = "";
		int fd = open("/sys/module/" MODNAME "/parameters/write_delay_us",
			      O_RDONLY);

		if (fd >= 0 && read(fd, b, sizeof(b) - 1) > 0)
			S->write_delay = atoi(b);
		if (fd >= 0)
			close(fd);
	}
	return mod_load(S->write_delay);
}

/* The end of an epoch: nothing pins the module; unplug or not; unload. */
static void epoch_end(bool unload)
{
	int ref = mod_refcnt(), fd;
	long r;

	checked(C_UNLOAD);
	if (ref != 0) {
		fail(NULL, C_UNLOAD, "%d references on %s with every file closed",
		     ref, MODNAME);
	}
	if (atomic_load(&S->phase) == 0 && (S->epoch & 1) &&
	    (fd = open(AW_SAMPLE_DEVICE, O_RDWR | O_CLOEXEC)) >= 0) {
		r = sysret(ioctl(fd, AW_SAMPLE_IOC_UNPLUG));
		close(fd);
		if (r)
			fail(NULL, C_ERRNO, "UNPLUG at the end of the epoch: %s",
			     err_name(r));
	}
	if (!unload || !P.module)
		return;
	r = mod_unload();
	if (r)
		fail(NULL, C_UNLOAD, "delete_module(%s) with every file closed: %s",
		     MODNAME, err_name(r));
}

/* ---- kmemleak ---------------------------------------------------------------------- */

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/* The leaks kmemleak reports now ("unreferenced object 0x..." lines). */
static int kmemleak_read(char *buf, size_t len)
{
	int fd = open(KMEMLEAK, O_RDONLY), n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while (n < (int)len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = '\0';
	return n;
}

static char kml_before[16384];
static char printk_levels[64];

static void kmemleak_start(void)
{
	if (kmemleak_read(kml_before, sizeof(kml_before)) < 0)
		kml_before[0] = '\0';
}

/* After the last unload: scan twice (a leak shows on its second scan). */
static void kmemleak_check(void)
{
	static char now[65536];
	char *p, *e;
	int n = 0;

	if (access(KMEMLEAK, F_OK)) {
		say("no kmemleak in this kernel: check skipped");
		return;
	}
	say("leak check: waiting 6 s, then two kmemleak scans");
	sleep_us(6000000);
	if (P.expect == C_LEAK) {
		/*
		 * A planted leak: keep kmemleak's own notice of it (pr_info)
		 * off the console, where the runner would count it; warnings
		 * and worse (level 4 and below) still show.
		 */
		int fd = open("/proc/sys/kernel/printk", O_RDONLY);

		if (fd >= 0 && read(fd, printk_levels, sizeof(printk_levels) - 1) < 0)
			printk_levels[0] = '\0';
		if (fd >= 0)
			close(fd);
		write_file("/proc/sys/kernel/printk", "5");
	}
	write_file(KMEMLEAK, "scan");
	write_file(KMEMLEAK, "scan");
	if (printk_levels[0])
		write_file("/proc/sys/kernel/printk", printk_levels);
	checked(C_LEAK);
	if (kmemleak_read(now, sizeof(now)) < 0)
		return;
	for (p = strstr(now, "unreferenced object"); p;
	     p = strstr(p + 1, "unreferenced object")) {
		char obj[40] = "";

		sscanf(p, "unreferenced object %39s", obj);
		if (obj[0] && strstr(kml_before, obj))
			continue;
		n++;
		e = strstr(p + 1, "unreferenced object");
		if (n <= 3) {
			char one[1500];
			int len = e ? e - p : (int)strlen(p);

			if (len >= (int)sizeof(one))
				len = sizeof(one) - 1;
			memcpy(one, p, len);
			one[len] = '\0';
			/* a planted leak, expected: not one the runner fails */
			if (P.expect == C_LEAK)
				memcpy(strstr(one, "unreferenced object"),
				       "planted-bug  object", 19);
			for (char *l = strtok(one, "\n"); l; l = strtok(NULL, "\n"))
				say("  %s %s", P.expect == C_LEAK ?
				    "expected leak:" : "kmemleak:", l);
		}
	}
	if (n)
		fail(NULL, C_LEAK, "%d new leaks reported by kmemleak after the last unload",
		     n);
	if (n && P.expect == C_LEAK)
		write_file(KMEMLEAK, "clear");	/* caught: not the runner's */
}

/*
 * Where fail-nth lands in open(): walk N over one open() until it no longer
 * fires, each failure ENOMEM; then show, through the kmalloc trace event,
 * that the last allocation is the driver's (aws_open()).
 */
#define TRACE	"/sys/kernel/tracing"

static void fault_probe(void)
{
	static char trace[65536];
	char v[16] = "";
	int nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	int n, fd, k = 0, bad = 0;
	bool driver = false;

	if (nth < 0)
		return;
	for (n = 1; n <= 30; n++) {
		snprintf(v, sizeof(v), "%d", n);
		if (pwrite(nth, v, strlen(v), 0) < 0)
			break;
		fd = open(AW_SAMPLE_DEVICE, O_RDWR | O_CLOEXEC);
		if (pread(nth, v, sizeof(v) - 1, 0) <= 0)
			v[0] = '\0';
		if (pwrite(nth, "0", 1, 0) < 0)
			break;
		if (fd >= 0) {
			close(fd);
			if (atoi(v))	/* not consumed: no Nth allocation */
				break;
			continue;	/* consumed, and survived */
		}
		k = n;
		bad += errno != ENOMEM;
	}
	checked(C_FAULT);
	if (bad)
		fail(NULL, C_FAULT, "open() with its Nth allocation failed: not ENOMEM (%d times)",
		     bad);
	if (k && !access(TRACE "/events/kmem/kmalloc/enable", F_OK)) {
		int tfd;

		close(open(TRACE "/trace", O_WRONLY | O_TRUNC));	/* clear */
		write_file(TRACE "/events/kmem/kmalloc/enable", "1");
		snprintf(v, sizeof(v), "%d", k);
		if (pwrite(nth, v, strlen(v), 0) > 0) {
			fd = open(AW_SAMPLE_DEVICE, O_RDWR | O_CLOEXEC);
			if (pwrite(nth, "0", 1, 0) < 0 || fd >= 0)
				close(fd);
		}
		write_file(TRACE "/events/kmem/kmalloc/enable", "0");
		tfd = open(TRACE "/trace", O_RDONLY);
		n = tfd < 0 ? 0 : read(tfd, trace, sizeof(trace) - 1);
		if (tfd >= 0)
			close(tfd);
		trace[n > 0 ? n : 0] = '\0';
		for (char *l = strstr(trace, "call_site=aws_open"); l && !driver;
		     l = strstr(l + 1, "call_site=aws_open"))
			driver = !strncmp(strstr(l, "ptr=") ?: "", "ptr=0000000000000000", 20) ||
				 !strncmp(strstr(l, "ptr=") ?: "", "ptr=(null)", 10);
		close(open(TRACE "/trace", O_WRONLY | O_TRUNC));
	}
	say("fault injection: open() of the device fails for fail-nth 1..%d, with ENOMEM%s",
	    k, driver ? "; at N=that, kmalloc from aws_open() returned NULL (kmem:kmalloc trace): the driver's allocation" :
	    " (no kmalloc trace event to tell which is the driver's)");
	close(nth);
}

/* ---- the coordinator --------------------------------------------------------------- */

static struct {
	int fd;
	long handoffs, lost, reports;
	bool end;
	int64_t t_start, t_end;
	pid_t pid;
	int status;
	bool done;
} T = { .fd = -1 };

static void kmsg_poll(void)
{
	char buf[2048], *msg;
	ssize_t n;

	while (T.fd >= 0 && (n = read(T.fd, buf, sizeof(buf) - 1)) != 0) {
		long h, l;

		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		buf[n] = '\0';
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		if (strstr(msg, "WARNING:") || strstr(msg, "BUG:") ||
		    strstr(msg, "Oops") || strstr(msg, "KASAN") ||
		    strstr(msg, "KCSAN") || strstr(msg, "UBSAN") ||
		    strstr(msg, "possible circular locking") ||
		    strstr(msg, "unreferenced object") ||
		    strstr(msg, "blocked for more than"))
			T.reports++;
		if (!strstr(msg, "atomic_waker_torture: "))
			continue;
		if ((strstr(msg, "progress: ") || (strstr(msg, "end: ") && !T.end)) &&
		    sscanf(strstr(msg, "handoffs"), "handoffs %ld, lost %ld", &h,
			   &l) == 2) {
			T.handoffs = h;
			T.lost = l;
			if (strstr(msg, "end: "))
				T.end = true;
		}
	}
}

static void torture_start(void)
{
	char dur[32];
	int fd;

	T.fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (T.fd >= 0)
		lseek(T.fd, 0, SEEK_END);
	if (!strstr(P.targs, "duration=")) {
		snprintf(dur, sizeof(dur), " duration=%" PRId64, P.seconds);
		strncat(P.targs, dur, sizeof(P.targs) - strlen(P.targs) - 1);
	}
	if (!strstr(P.targs, "stat_interval="))
		strncat(P.targs, " stat_interval=60",
			sizeof(P.targs) - strlen(P.targs) - 1);
	say("soak: torture module %s%s", P.torture, P.targs);
	T.t_start = now_us();
	T.pid = fork();
	if (!T.pid) {
		fd = open(P.torture, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, P.targs, 0))
			_exit(errno ? errno : 1);
		_exit(0);
	}
}

static void progress(int64_t start, const char *tag)
{
	long fails = 0;

	for (int i = 0; i < NCHECK; i++)
		fails += atomic_load(&S->failed[i]);
	kmsg_poll();
	if (P.torture)
		say("%s: %" PRId64 " s, handoffs %ld, lost %ld, syscalls %ld, failures %ld, kernel reports %ld, epoch %d, transfers %ld",
		    tag, (now_us() - start) / 1000000, T.handoffs, T.lost,
		    atomic_load(&S->syscalls), fails, T.reports, S->epoch,
		    atomic_load(&S->xfers));
	else
		say("%s: %" PRId64 " s, epoch %d, syscalls %ld, transfers %ld (delivered %ld, dropped %ld), helpers %ld, signals %ld, forks %ld, faults armed %ld injected %ld, failures %ld",
		    tag, (now_us() - start) / 1000000, S->epoch,
		    atomic_load(&S->syscalls), atomic_load(&S->xfers),
		    atomic_load(&S->delivered), atomic_load(&S->dropped),
		    atomic_load(&S->helpers), atomic_load(&S->sigs),
		    atomic_load(&S->forks), atomic_load(&S->armed),
		    atomic_load(&S->injected), fails);
}

/* Run the workers of one epoch (or one worker's replay); watch them. */
static void run_epoch(int epoch, int first, int nproc, int nthr,
		      const uint8_t *keep, int unplug_at, int64_t start,
		      int64_t *next_prog)
{
	pid_t pid[MAXWORKERS];
	int i, alive, st, w;

	S->epoch = epoch;
	atomic_store(&S->phase, 0);
	atomic_store(&S->unplug_starts, 0);
	atomic_store(&S->unplug_ok, 0);
	S->prob = P.faults && S->have_faults && !keep && (epoch % 4 == 3);
	faults_probability(S->prob ? 10 : 0);
	for (w = 0; w < MAXWORKERS; w++) {
		atomic_store(&S->w[w].beat, now_us());
		S->w[w].cur[0] = '\0';
	}
	for (i = 0; i < nproc; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			say("fork: %s", strerror(errno));
			_exit(4);
		}
		if (!pid[i])
			worker_proc(first + i * nthr, nthr, epoch, keep,
				    unplug_at);
	}
	for (alive = nproc; alive;) {
		for (i = 0; i < nproc; i++) {
			if (pid[i] <= 0 || waitpid(pid[i], &st, WNOHANG) != pid[i])
				continue;
			pid[i] = 0;
			alive--;
			checked(C_CRASH);
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				fail(NULL, C_CRASH, "worker process %d ended with status %#x",
				     i, st);
		}
		if (!alive)
			break;
		sleep_us(20000);
		if (next_prog && now_us() >= *next_prog) {
			progress(start, P.torture ? "soak" : "progress");
			*next_prog += P.progress * 1000000LL;
		}
		if (P.torture && !T.done && waitpid(T.pid, &T.status, WNOHANG) == T.pid) {
			T.done = true;
			T.t_end = now_us();
			atomic_store(&S->stop, 1);
		}
		for (w = first; w < first + nproc * nthr; w++) {
			if (now_us() - atomic_load(&S->w[w].beat) < WATCHDOG_US)
				continue;
			checked(C_WATCHDOG);
			fail(NULL, C_WATCHDOG, "worker %d made no progress for %lld s in: %s",
			     w, WATCHDOG_US / 1000000, S->w[w].cur);
			for (i = 0; i < nproc; i++)
				if (pid[i] > 0)
					kill(pid[i], SIGKILL);
			for (int j = first; j < first + nproc * nthr; j++)
				atomic_store(&S->w[j].beat, now_us());
			break;
		}
	}
	faults_probability(0);
	atomic_fetch_add(&S->epochs, 1);
}

/* ---- shrinking ---------------------------------------------------------------------- */

/* Run @keep of worker @wid's ops alone on a fresh module: did @check fail? */
static bool replay_once(int epoch, int wid, const uint8_t *keep,
			int unplug_at, int check, bool quiet)
{
	int saved_nrec = atomic_load(&S->nrec);
	int fd_null = -1, fd_out = -1;
	bool failed;

	if (!epoch_module(epoch))
		return false;
	atomic_store(&S->rep_fail, 0);
	if (quiet) {
		/* the attempts' own failure reports are noise */
		fd_out = dup(1);
		fd_null = open("/dev/null", O_WRONLY);
		if (fd_null >= 0)
			dup2(fd_null, 1);
	}
	run_epoch(epoch, wid, 1, 1, keep, unplug_at, 0, NULL);
	epoch_end(true);
	if (quiet && fd_out >= 0) {
		dup2(fd_out, 1);
		close(fd_out);
		close(fd_null);
	}
	failed = atomic_load(&S->rep_fail) & (1 << check);
	if (quiet) {
		/* not this run's failures */
		for (int i = 0; i < NCHECK; i++)
			atomic_store(&S->failed[i], 0);
		atomic_store(&S->nrec, saved_nrec);
	}
	return failed;
}

static long saved_failed[NCHECK], saved_checked[NCHECK];

static void shrink(int check, int epoch, int wid, int idx, int gone_at)
{
	int uw, ua, uat;

	int64_t end = now_us() + P.shrink_s * 1000000LL;
	uint8_t *keep = calloc(P.ops, 1), *trial = calloc(P.ops, 1);
	int *list = calloc(P.ops, sizeof(int)), n, chunk, i, j, tries = 0, ok;
	char buf[1024];
	size_t len;

	for (i = 0; i < NCHECK; i++) {
		saved_failed[i] = atomic_load(&S->failed[i]);
		saved_checked[i] = atomic_load(&S->checked[i]);
	}
	n = idx < P.ops ? idx + 1 : P.ops;
	/* another worker's unplug, where this one saw it */
	epoch_unplug(epoch, &uw, &uat);
	ua = uw != wid && gone_at >= 0 ? gone_at : -1;
	for (i = 0; i < n; i++)
		list[i] = i;
	say("shrinking the %s failure of worker %d, epoch %d: its %d ops alone%s, on a fresh module (budget %d s)",
	    check_name[check], wid, epoch, n,
	    ua >= 0 ? " and the unplug it saw" : "", P.shrink_s);
	for (i = 0; i < n; i++)
		keep[list[i]] = 1;
	ok = replay_once(epoch, wid, keep, ua, check, true);
	if (!ok)
		ok = replay_once(epoch, wid, keep, ua, check, true);
	tries = 2;
	if (!ok) {
		say("does not fail alone (twice; the epoch's unplug: worker %d at op %d, seen by this one at op %d): it needs the other workers; re-run the whole: aw_fuzz --seed %#" PRIx64 " (same options)",
		    uw, uat, gone_at, P.seed);
		goto out;
	}
	/* ddmin: drop chunks while it still fails */
	chunk = n / 2;
	while (chunk >= 1 && now_us() < end) {
		bool progress_made = false;

		for (i = 0; i < n && now_us() < end; i += chunk) {
			int m = 0;

			memset(trial, 0, P.ops);
			for (j = 0; j < n; j++)
				if (j < i || j >= i + chunk)
					trial[list[j]] = 1, m++;
			if (!m)
				continue;
			tries++;
			if (replay_once(epoch, wid, trial, ua, check, true)) {
				int k = 0;

				for (j = 0; j < n; j++)
					if (j < i || j >= i + chunk)
						list[k++] = list[j];
				n = k;
				progress_made = true;
				i -= chunk;
			}
		}
		if (!progress_made)
			chunk /= 2;
		else if (chunk > n / 2)
			chunk = n / 2 ? n / 2 : 1;
	}
	memset(keep, 0, P.ops);
	for (i = 0; i < n; i++)
		keep[list[i]] = 1;
	ok = replay_once(epoch, wid, keep, ua, check, true) +
	     replay_once(epoch, wid, keep, ua, check, true);
	say("reproducer for %s: %d ops of worker %d's %d (%d tries%s), fails %d of 2 re-runs alone; one more, traced:",
	    check_name[check], n, wid, idx + 1, tries,
	    now_us() >= end ? ", budget spent" : "", ok);
	S->trace = true;
	replay_once(epoch, wid, keep, ua, check, false);
	S->trace = false;
	len = snprintf(buf, sizeof(buf), "re-run: aw_fuzz --seed %#" PRIx64 " --ops %d --procs %d --threads %d%s%s%s --unplug-at %d --replay %d:%d:",
		       P.seed, P.ops, P.procs, P.threads,
		       P.faults ? " --faults" : "", P.module ? " --module " : "",
		       P.module ? P.module : "", ua, epoch, wid);
	for (i = 0; i < n && len + 12 < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "",
				list[i]);
	say("%s", buf);
out:
	for (i = 0; i < NCHECK; i++) {
		atomic_store(&S->failed[i], saved_failed[i]);
		atomic_store(&S->checked[i], saved_checked[i]);
	}
	free(keep);
	free(trial);
	free(list);
}

/* ---- main --------------------------------------------------------------------------- */

static void usage(void)
{
	out("usage: aw_fuzz [--seed N|random] [--syscalls N] [--seconds N | --minutes N]\n"
	    "               [--procs N] [--threads N] [--ops N] [--module PATH.ko]\n"
	    "               [--faults] [--kmemleak] [--bound-ms N] [--progress S]\n"
	    "               [--expect CHECK] [--shrink-seconds N] [--no-unplug]\n"
	    "               [--torture PATH.ko [-- PARAM=VALUE...]]\n"
	    "               [--replay EPOCH:WORKER:I,J,... [--unplug-at I] [--repeat N]]");
	exit(2);
}

static int check_index(const char *name)
{
	for (int i = 0; i < NCHECK; i++)
		if (!strcmp(name, check_name[i]))
			return i;
	say("unknown check %s", name);
	exit(2);
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++) {
				strncat(P.targs, " ", sizeof(P.targs) - strlen(P.targs) - 1);
				strncat(P.targs, argv[i],
					sizeof(P.targs) - strlen(P.targs) - 1);
			}
			break;
		}
		if (!strcmp(a, "--faults")) {
			P.faults = true;
			continue;
		}
		if (!strcmp(a, "--kmemleak")) {
			P.kmemleak = true;
			continue;
		}
		if (!strcmp(a, "--no-unplug")) {
			P.no_unplug = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--seed")) {
			if (!strcmp(v, "random")) {
				P.seed_random = true;
			} else {
				P.seed = strtoull(v, NULL, 0);
			}
		} else if (!strcmp(a, "--syscalls")) {
			P.syscalls = atol(v);
		} else if (!strcmp(a, "--seconds")) {
			P.seconds = atol(v);
		} else if (!strcmp(a, "--minutes")) {
			P.seconds = atof(v) * 60;
		} else if (!strcmp(a, "--procs")) {
			P.procs = atoi(v);
		} else if (!strcmp(a, "--threads")) {
			P.threads = atoi(v);
		} else if (!strcmp(a, "--ops")) {
			P.ops = atoi(v);
		} else if (!strcmp(a, "--module")) {
			P.module = v;
		} else if (!strcmp(a, "--bound-ms")) {
			P.bound_us = atol(v) * 1000;
		} else if (!strcmp(a, "--progress")) {
			P.progress = atoi(v);
		} else if (!strcmp(a, "--expect")) {
			P.expect = check_index(v);
		} else if (!strcmp(a, "--shrink-seconds")) {
			P.shrink_s = atoi(v);
		} else if (!strcmp(a, "--torture")) {
			P.torture = v;
		} else if (!strcmp(a, "--unplug-at")) {
			P.unplug_at = atoi(v);
		} else if (!strcmp(a, "--repeat")) {
			P.repeat = atoi(v);
		} else if (!strcmp(a, "--replay")) {
			char *s = strdup(v), *p;

			P.replay = true;
			P.rep_epoch = strtol(s, &p, 0);
			if (*p++ != ':')
				usage();
			P.rep_wid = strtol(p, &p, 0);
			if (*p++ != ':')
				usage();
			P.rep_idx = calloc(MAXOPS, sizeof(int));
			while (*p && P.rep_n < MAXOPS) {
				P.rep_idx[P.rep_n++] = strtol(p, &p, 0);
				if (*p == ',')
					p++;
			}
		} else {
			usage();
		}
	}
	if (P.procs < 1 || P.threads < 1 || nworkers() > MAXWORKERS ||
	    P.ops < 8 || P.ops > MAXOPS)
		usage();
}

static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_sig };
	void *top;

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		say("mmap: %s", strerror(errno));
		exit(4);
	}
	memset(S, 0, sizeof(*S));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* interrupts: no SA_RESTART */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);	/* restarts read() */
	signal(SIGPIPE, SIG_IGN);
	ro_page = map(PAGE, PROT_READ | PROT_WRITE);
	fill(ro_page, PAGE, RO_SEED);
	mprotect(ro_page, PAGE, PROT_READ);
	none_page = map(PAGE, PROT_NONE);
	/* Nothing ours must fault in during a call: no allocation to fail. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		say("mlockall: %s (going on)", strerror(errno));
	top = mmap((void *)TOP_PTR, PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	S->have_top = top == (void *)TOP_PTR;
	if (P.faults)
		faults_setup();
}

static int summary(int64_t start)
{
	int passed = 0, failed = 0, i;
	bool expected = P.expect >= 0 && atomic_load(&S->failed[P.expect]);

	progress(start, "end");
	for (i = 0; i < NCHECK; i++) {
		long n = atomic_load(&S->checked[i]), f = atomic_load(&S->failed[i]);

		if (!n && !f)
			continue;
		say("check %-8s %9ld checked, %ld failed: %s", check_name[i], n, f,
		    check_what[i]);
		if (f)
			failed++;
		else
			passed++;
	}
	if (P.faults && !S->have_faults)
		say("check fault: skipped: no fault injection (failslab, fail-nth) in this kernel");
	if (P.expect >= 0) {
		if (expected)
			say("the planted bug was caught by check %s, as it must be",
			    check_name[P.expect]);
		else
			say("FAIL: the planted bug was NOT caught by check %s",
			    check_name[P.expect]);
	}
	say("seed %#" PRIx64 "%s, %" PRId64 " s", P.seed,
	    P.seed_random ? " (random)" : "", (now_us() - start) / 1000000);
	say("%d passed, %d failed", passed, failed);
	/* --expect: exit 0 (a passing step, which xfail rejects) unless the
	 * named check caught the planted bug */
	if (P.expect >= 0)
		return expected ? 1 : 0;
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	int64_t start = now_us(), next_prog;
	bool module_ok = true;
	int epoch;

	parse(argc, argv);
	if (P.seed_random || !P.seed) {
		int fd = open("/dev/urandom", O_RDONLY);

		if (fd < 0 || read(fd, &P.seed, sizeof(P.seed)) != sizeof(P.seed))
			P.seed = now_us();
		if (fd >= 0)
			close(fd);
		P.seed_random = true;
	}
	setup();
	say("seed %#" PRIx64 "%s: %d processes x %d threads, %d ops per worker and epoch, bound %" PRId64 " ms%s%s",
	    P.seed, P.seed_random ? " (random: re-run with --seed this)" : "",
	    P.procs, P.threads, P.ops, P.bound_us / 1000,
	    P.faults ? (S->have_faults ? ", fault injection" :
			", fault injection not in this kernel") : "",
	    P.torture ? ", soak with the torture module" : "");
	if (P.kmemleak)
		kmemleak_start();

	if (P.replay) {
		uint8_t *keep = calloc(P.ops, 1);
		int fails = 0;

		for (int i = 0; i < P.rep_n; i++)
			if (P.rep_idx[i] >= 0 && P.rep_idx[i] < P.ops)
				keep[P.rep_idx[i]] = 1;
		for (int r = 0; r < P.repeat; r++) {
			if (!epoch_module(P.rep_epoch))
				return 1;
			atomic_store(&S->rep_fail, 0);
			run_epoch(P.rep_epoch, P.rep_wid, 1, 1, keep,
				  P.unplug_at, start, NULL);
			epoch_end(true);
			fails += !!atomic_load(&S->rep_fail);
		}
		say("replay: failed %d of %d runs", fails, P.repeat);
		return summary(start);
	}

	if (P.torture) {
		if (!P.seconds)
			P.seconds = 600;
		torture_start();
		P.syscalls = LONG_MAX;
	}
	/* in a soak, a little after the torture module's own progress lines */
	next_prog = start + (P.progress + (P.torture ? 5 : 0)) * 1000000LL;
	for (epoch = 0;; epoch++) {
		if (!epoch_module(epoch)) {
			module_ok = false;
			break;
		}
		if (!epoch && P.faults && S->have_faults)
			fault_probe();
		run_epoch(epoch, 0, P.procs, P.threads, NULL, -1, start,
			  &next_prog);
		epoch_end(true);
		if (P.expect >= 0 && atomic_load(&S->failed[P.expect]))
			break;
		if (atomic_load(&S->stop))
			break;
		if (!P.torture && atomic_load(&S->syscalls) >= P.syscalls)
			break;
		if (P.seconds && !P.torture && now_us() - start >= P.seconds * 1000000LL)
			break;
		if (P.torture && T.done)
			break;
	}
	if (P.torture) {
		if (!T.done) {
			waitpid(T.pid, &T.status, 0);
			T.done = true;
			T.t_end = now_us();
		}
		sleep_us(200000);
		kmsg_poll();
		if (!WEXITSTATUS(T.status))	/* it ran in its init */
			syscall(SYS_delete_module, "atomic_waker_torture",
				O_NONBLOCK);
		checked(C_TORTURE);
		if (!WIFEXITED(T.status) || WEXITSTATUS(T.status) || T.lost ||
		    !T.end)
			fail(NULL, C_TORTURE, "torture module: %s (exit %d), %ld lost wakeups",
			     T.end ? "ended" : "no end line",
			     WIFEXITED(T.status) ? WEXITSTATUS(T.status) : -1,
			     T.lost);
		int64_t ts = (T.t_end - T.t_start) / 1000000;
		long fails = 0;

		for (int i = 0; i < NCHECK; i++)
			fails += atomic_load(&S->failed[i]);
		say("soak: %" PRId64 " s, handoffs %ld, lost %ld, syscalls %ld, failures %ld, kernel reports %ld; torture ran %" PRId64 " s: %ld handoffs/s, 10^7 in %.1f h",
		    (now_us() - start) / 1000000, T.handoffs, T.lost,
		    atomic_load(&S->syscalls), fails, T.reports, ts,
		    ts ? T.handoffs / ts : 0,
		    T.handoffs ? 1e7 * ts / T.handoffs / 3600 : 0.0);
	}
	if (module_ok && P.kmemleak)
		kmemleak_check();
	/* Shrink the first failure of each check found in a worker's ops. */
	if (module_ok && P.module && !P.torture) {
		int done_mask = 0, n = atomic_load(&S->nrec);

		for (int i = 0; i < n && i < 64; i++) {
			struct fail_rec *r = &S->rec[i];

			if (r->wid < 0 || (done_mask & (1 << r->check)) ||
			    r->check == C_CRASH || r->check == C_WATCHDOG ||
			    (P.expect >= 0 && r->check != P.expect))
				continue;
			done_mask |= 1 << r->check;
			shrink(r->check, r->epoch, r->wid, r->idx, r->gone_at);
		}
		if (mod_loaded())
			mod_unload();
	}
	return summary(start);
}
