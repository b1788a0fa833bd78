// SPDX-License-Identifier: GPL-2.0
/*
 * hwrng_test: what a user of a virtio-rng driver does, through the hwrng
 * core's /dev/hwrng, against the original (virtio_rng) or the atomic_waker
 * conversion (virtio_rng_aw) alike.
 *
 * Needs two virtio-rng-pci devices bound to --drv: the first unthrottled,
 * the second slow (QEMU max-bytes=64,period=3000: one 64-byte buffer every 3 s), so that a reader blocks
 * in the driver's wait.
 *
 * Usage: hwrng_test --drv DRIVER [--rmmod MODULE] [--compare N]
 *                   [--only pm] [--loops N] [--keep-names] [--pm-sync]
 *   functional (default): reads small and large, O_NONBLOCK, SIGKILL and
 *   SIGUSR1 to a blocked reader, unbind/bind and rmmod under a blocked
 *   reader, suspend-to-idle through the PM test interface.
 *   --compare N: only the measurements, as "hwrng-cmp:" lines.
 *   --only pm: only the suspend-to-idle test; --loops N: N times (with the
 *   PM test interface's 5 s delay set to 0 while it loops).
 *   --keep-names: after a restore, read the hwrng names of before the
 *   suspend, whichever device they name now (a diagnostic: how the PM test
 *   behaved before it followed the names, see test_pm()).
 *   --pm-sync: resume the devices one by one, in order (/sys/power/pm_async
 *   = 0, then back), a control for the name swap.
 * Last line: "hwrng_test: N passed, N failed".
 */
#include "drv_test.h"
#include <dirent.h>

#define RNGSYS "/sys/class/misc/hw_random/"
#define SLOW_PERIOD_MS 3000

static int on_cpu = -1, keep_names, pm_sync;
static const char *drv;
static char dev_fast[32], dev_slow[32];	/* virtioN names, probe order */
static char rng_fast[40], rng_slow[40];	/* hwrng names */

static int cmp_virtio(const void *a, const void *b)
{
	return atoi(*(char **)a + 6) - atoi(*(char **)b + 6);
}

/* The virtio devices bound to drv, in probe order. */
static int find_devices(void)
{
	char path[128], *names[8];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s", drv);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < 8)
		if (!strncmp(de->d_name, "virtio", 6))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_virtio);
	if (n > 0)
		snprintf(dev_fast, sizeof(dev_fast), "%s", names[0]);
	if (n > 1)
		snprintf(dev_slow, sizeof(dev_slow), "%s", names[1]);
	return n;
}

static int rng_available(const char *name)
{
	char buf[512], *tok, *save;

	if (read_file(RNGSYS "rng_available", buf, sizeof(buf)))
		return 0;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return 1;
	return 0;
}

static int rng_is_current(const char *name)
{
	char buf[64];

	return !read_file(RNGSYS "rng_current", buf, sizeof(buf)) &&
	       !strcmp(buf, name);
}

static int select_rng(const char *name)
{
	return write_file(RNGSYS "rng_current", name) == 0 && rng_is_current(name);
}

/* Read exactly len bytes (or until error/EOF); bytes read, or -errno. */
static ssize_t read_all(int fd, unsigned char *buf, size_t len, size_t chunk)
{
	size_t got = 0;

	while (got < len) {
		size_t want = len - got < chunk ? len - got : chunk;
		ssize_t n = read(fd, buf + got, want);

		if (n < 0)
			return got ? (ssize_t)got : -errno;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static void test_reads(void)
{
	unsigned char buf[32], *big;
	unsigned long hist[256] = { 0 };
	int fd = open("/dev/hwrng", O_RDONLY), i, short_reads = 0, zero = 1;
	double chi = 0, e;
	const size_t big_len = 1 << 20;
	ssize_t n;

	t_ok(fd >= 0, "open /dev/hwrng (%s)", fd < 0 ? strerror(errno) : "ok");
	if (fd < 0)
		return;
	for (i = 0; i < 2000; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n != sizeof(buf))
			short_reads++;
		if (buf[0] || buf[1] || buf[2] || buf[3])
			zero = 0;
	}
	t_ok(!short_reads && !zero, "2000 small reads of 32 bytes (%d short)",
	     short_reads);

	big = malloc(big_len);
	n = read_all(fd, big, big_len, 65536);
	for (i = 0; n > 0 && i < n; i++)
		hist[big[i]]++;
	e = n / 256.0;
	for (i = 0; n > 0 && i < 256; i++)
		chi += (hist[i] - e) * (hist[i] - e) / e;
	t_ok(n == (ssize_t)big_len && chi < 400,
	     "large read: %zd of %zu bytes, chi-square %.0f (df 255)", n,
	     big_len, chi);
	free(big);
	close(fd);

	fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK);
	n = read(fd, buf, sizeof(buf));
	t_ok(n > 0 || (n < 0 && errno == EAGAIN),
	     "O_NONBLOCK read: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
	close(fd);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

/*
 * A child that reads 4096 bytes of the slow rng: it blocks in the driver.
 * It reports through its exit code: 0 = read returned data (short),
 * 1 = EINTR, 2 = ENODEV, 3 = other error, 4 = full read (the core went on
 * with the other, fast rng once the slow one was removed).
 */
static pid_t blocked_reader(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
		static unsigned char buf[4096];
		int fd = open("/dev/hwrng", O_RDONLY);
		ssize_t n;

		sigaction(SIGUSR1, &sa, NULL);
		n = read(fd, buf, sizeof(buf));	/* one read: a signal ends it */
		if (n < 0)
			n = -errno;
		if (n == sizeof(buf))
			_exit(4);
		if (n >= 0)
			_exit(0);
		_exit(n == -EINTR ? 1 : n == -ENODEV ? 2 : 3);
	}
	return pid;
}

/* Wait until the reader sleeps in the kernel (state D). */
static char wait_blocked(pid_t pid, char *wchan, size_t len)
{
	char st = '?';
	int i;

	for (i = 0; i < 100; i++) {
		sleep_ms(20);
		st = task_state(pid);
		if (st == 'D' || (i > 10 && st == 'S'))
			break;
	}
	task_wchan(pid, wchan, len);
	return st;
}

static void test_signals(void)
{
	char wchan[64];
	double t0, dt;
	pid_t pid;
	int st;
	char s;

	t_ok(select_rng(rng_slow), "select the slow rng %s", rng_slow);

	pid = blocked_reader();
	s = wait_blocked(pid, wchan, sizeof(wchan));
	t0 = now_us();
	kill(pid, SIGKILL);
	st = wait_ms(pid, 2000);
	dt = (now_us() - t0) / 1000;
	t_ok((s == 'D' || s == 'S') && st != -1 && WIFSIGNALED(st) && dt < SLOW_PERIOD_MS / 2,
	     "SIGKILL to a reader blocked in %s (state %c): dead in %.0f ms",
	     wchan, s, dt);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}

	/* A caught signal does not end a killable wait: the core stops at
	 * the next chunk and returns what it has (or EINTR). */
	pid = blocked_reader();
	s = wait_blocked(pid, wchan, sizeof(wchan));
	t0 = now_us();
	kill(pid, SIGUSR1);
	st = wait_ms(pid, SLOW_PERIOD_MS * 2 + 1000);
	dt = (now_us() - t0) / 1000;
	t_ok((s == 'D' || s == 'S') && st != -1 && WIFEXITED(st) &&
	     (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1),
	     "SIGUSR1 to a reader blocked in %s: read ended (%s) after %.0f ms",
	     wchan, st == -1 ? "hung" : WEXITSTATUS(st) ? "EINTR" : "short",
	     dt);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static void test_unbind(void)
{
	char path[128], wchan[64];
	double t0, dt;
	int ret, st;
	pid_t pid;
	char s;

	select_rng(rng_slow);
	pid = blocked_reader();
	s = wait_blocked(pid, wchan, sizeof(wchan));
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/unbind", drv);
	t0 = now_us();
	ret = write_file(path, dev_slow);
	st = wait_ms(pid, 2000);
	dt = (now_us() - t0) / 1000;
	t_ok((s == 'D' || s == 'S') && ret == 0 && st != -1 && WIFEXITED(st) &&
	     WEXITSTATUS(st) != 3 && dt < 1000,
	     "unbind %s under a reader blocked in %s: unbind %d, reader out in %.0f ms (exit %d)",
	     dev_slow, wchan, ret, dt, st == -1 ? -1 : WEXITSTATUS(st));
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	t_ok(!rng_available(rng_slow) && rng_is_current(rng_fast),
	     "%s gone, %s current again", rng_slow, rng_fast);

	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/bind", drv);
	ret = write_file(path, dev_slow);
	t_ok(ret == 0 && rng_available(rng_slow), "bind %s again: %d, %s back",
	     dev_slow, ret, rng_slow);
}

/*
 * Which device the hwrng @name reads: select it, read 20 times without
 * blocking, 5 ms apart, and count the fast device's interrupts.  Once the
 * rng is selected, only it is read (by us and by the core's hwrng
 * kthread), save one read the kthread may have begun before: the fast
 * device answers about every other read (each takes 32 of its 64 bytes),
 * and is not asked when the slow one is selected.  (A read may first wait
 * up to a slow period for the core's reading_mutex, held by the kthread in
 * the slow device.)  0: dev_fast, 1: dev_slow, -1: cannot tell.
 */
static int rng_device(const char *name)
{
	char pat_fast[40], pat_slow[40];
	long long fast0, slow0, fast, slow;
	unsigned char buf[32];
	int fd, i;

	snprintf(pat_fast, sizeof(pat_fast), "%s-", dev_fast);
	snprintf(pat_slow, sizeof(pat_slow), "%s-", dev_slow);
	if (!select_rng(name))
		return -1;
	fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	fast0 = irq_count(pat_fast);
	slow0 = irq_count(pat_slow);
	for (i = 0; i < 20; i++) {
		if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
		sleep_ms(5);
	}
	close(fd);
	fast = irq_count(pat_fast) - fast0;
	slow = irq_count(pat_slow) - slow0;
	printf("%s: %s: %lld interrupts from %s, %lld from %s\n", t_name,
	       name, fast, dev_fast, slow, dev_slow);
	return fast >= 3 ? 0 : fast <= 1 ? 1 : -1;
}

static int pm_swaps, pm_stuck;

/*
 * Suspend to idle and back, then read the fast device.  The driver frees
 * its hwrng on freeze and registers a new one on restore, named after a
 * fresh IDA index ("virtio_rng.%d", both drivers alike); the PCI devices
 * resume asynchronously, so the slow device may take index 0 and the fast
 * one index 1.  The names are found again (rng_device()): a swap is not a
 * failure, but a read of the fast device that does not end is.
 */
static void test_pm(void)
{
	unsigned char buf[32];
	int ret, fd, i, bad = 0, st, dev;
	char tmp[sizeof(rng_fast)];
	double t0;
	pid_t pid;

	select_rng(rng_fast);
	ret = pm_cycle();
	t_ok(ret == 0, "freeze/restore through pm_test=devices: %d", ret);
	t_ok(rng_available(rng_fast) && rng_available(rng_slow),
	     "both rngs registered after restore");
	dev = rng_device(rng_fast);
	if (dev < 0) {
		dev = rng_device(rng_slow);
		dev = dev < 0 ? -1 : !dev;
	}
	t_ok(dev >= 0, "after restore, %s reads %s", rng_fast,
	     dev < 0 ? "?" : dev ? dev_slow : dev_fast);
	if (dev == 1) {
		pm_swaps++;
		printf("%s: note: the restore swapped the names: %s is now %s%s\n",
		       t_name, rng_fast, dev_slow,
		       keep_names ? " (--keep-names: reading it)" : "");
		if (!keep_names) {
			memcpy(tmp, rng_fast, sizeof(tmp));
			memcpy(rng_fast, rng_slow, sizeof(tmp));
			memcpy(rng_slow, tmp, sizeof(tmp));
		}
	}
	select_rng(rng_fast);
	/* in a child, so that a hang is reported, not waited for */
	t0 = now_us();
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/hwrng", O_RDONLY);
		for (i = 0; i < 100; i++)
			if (read(fd, buf, sizeof(buf)) != sizeof(buf))
				bad++;
		_exit(fd < 0 || bad);
	}
	st = wait_ms(pid, 5000);
	if (st == -1) {
		pm_stuck++;
		report_stuck(pid);
	}
	t_ok(st != -1 && WIFEXITED(st) && !WEXITSTATUS(st),
	     "100 reads of %s after restore (%s, %.0f ms)", rng_fast,
	     st == -1 ? "stuck" : "done", (now_us() - t0) / 1000);
}

static void test_pm_loops(int loops)
{
	const char *delay = "/sys/module/suspend/parameters/pm_test_delay";
	const char *async = "/sys/power/pm_async";
	char old_delay[16] = "5", old_async[16] = "1";
	int i;

	if (loops > 1) {
		read_file(delay, old_delay, sizeof(old_delay));
		write_file(delay, "0");
	}
	if (pm_sync) {
		read_file(async, old_async, sizeof(old_async));
		t_ok(!write_file(async, "0"), "pm_async 0: devices resume in order");
	}
	for (i = 0; i < loops; i++)
		test_pm();
	if (loops > 1)
		write_file(delay, old_delay);
	if (pm_sync)
		write_file(async, old_async);
	printf("%s: pm: %d loops%s, names swapped %d, stuck %d\n", t_name,
	       loops, pm_sync ? " (pm_async 0)" : "", pm_swaps, pm_stuck);
}

static void test_rmmod(const char *mod)
{
	char cmd[128], path[128], wchan[64];
	struct stat stb;
	double t0, dt;
	int ret, st;
	pid_t pid;
	char s;

	select_rng(rng_slow);
	pid = blocked_reader();
	s = wait_blocked(pid, wchan, sizeof(wchan));
	snprintf(cmd, sizeof(cmd), "rmmod %s", mod);
	t0 = now_us();
	ret = system(cmd);
	st = wait_ms(pid, 2000);
	dt = (now_us() - t0) / 1000;
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s", drv);
	t_ok((s == 'D' || s == 'S') && ret == 0 && st != -1 && WIFEXITED(st) &&
	     WEXITSTATUS(st) != 3 && dt < 1000 && stat(path, &stb) != 0,
	     "rmmod %s under a reader blocked in %s: rmmod %d, reader out in %.0f ms (exit %d)",
	     mod, wchan, ret, dt, st == -1 ? -1 : WEXITSTATUS(st));
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Machine-readable measurements of the unthrottled device. */
static void measure(const char *test, size_t chunk, int n)
{
	char irqpat[48];
	unsigned char *buf = malloc(chunk);
	double *lat = calloc(n, sizeof(*lat)), t0, t1, total;
	long long irq0, irq1, own0, own1;
	long w0, w1;
	int fd, i, bad = 0;

	snprintf(irqpat, sizeof(irqpat), "%s-", dev_fast);
	select_rng(rng_fast);
	fd = open("/dev/hwrng", O_RDONLY);
	for (i = 0; i < 50; i++)	/* warm up */
		read(fd, buf, chunk < 64 ? chunk : 64);
	irq0 = irq_count(irqpat);
	own0 = irq_count_on(irqpat, on_cpu);
	w0 = wakeups();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		double a = now_us();

		if (read(fd, buf, chunk) != (ssize_t)chunk)
			bad++;
		lat[i] = now_us() - a;
	}
	t1 = now_us();
	w1 = wakeups();
	irq1 = irq_count(irqpat);
	own1 = irq_count_on(irqpat, on_cpu);
	close(fd);
	total = (t1 - t0) / 1e6;
	printf("hwrng-cmp: driver=%s cpu=%d test=%s n=%d bad=%d reads_per_s=%.0f MBps=%.3f p50_us=%.1f p99_us=%.1f irqs_per_req=%.3f wakeups_per_req=%.3f irqs_on_own_cpu=%.2f\n",
	       drv, on_cpu, test, n, bad, n / total, n * (double)chunk / total / 1e6,
	       pct(lat, n, 0.5), pct(lat, n, 0.99),
	       (double)(irq1 - irq0) / n, (double)(w1 - w0) / n,
	       irq1 > irq0 ? (double)(own1 - own0) / (irq1 - irq0) : 0);
	fflush(stdout);
	t_ok(!bad, "%s: %d reads of %zu bytes, %d bad", test, n, chunk, bad);
	free(lat);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *rmmod = NULL, *only = NULL;
	int compare = 0, cpu = -1, loops = 1, i, n;

	t_name = "hwrng_test";
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--drv") && i + 1 < argc)
			drv = argv[++i];
		else if (!strcmp(argv[i], "--rmmod") && i + 1 < argc)
			rmmod = argv[++i];
		else if (!strcmp(argv[i], "--compare") && i + 1 < argc)
			compare = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--loops") && i + 1 < argc)
			loops = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep-names"))
			keep_names = 1;
		else if (!strcmp(argv[i], "--pm-sync"))
			pm_sync = 1;
	}
	if (!drv || (only && strcmp(only, "pm")) || loops < 1) {
		fprintf(stderr, "usage: %s --drv DRIVER [--rmmod MODULE] [--compare N]\n"
			"       [--only pm] [--loops N] [--keep-names] [--pm-sync]\n",
			argv[0]);
		return 2;
	}
	on_cpu = cpu;
	if (pin_cpu(cpu))
		perror("sched_setaffinity");
	n = find_devices();
	/* the hwrng names: "virtio_rng.N" (original) or KBUILD_MODNAME ".N" */
	snprintf(rng_fast, sizeof(rng_fast), "%s.0", drv);
	snprintf(rng_slow, sizeof(rng_slow), "%s.1", drv);
	t_ok(n == 2 && rng_available(rng_fast) && rng_available(rng_slow),
	     "driver %s has 2 devices (%s %s), rngs %s %s", drv, dev_fast,
	     dev_slow, rng_fast, rng_slow);
	if (n != 2)
		return t_summary();
	if (compare) {
		measure("small32", 32, compare);
		measure("large4k", 4096, compare / 8 ? compare / 8 : 1);
		return t_summary();
	}
	if (only) {
		test_pm_loops(loops);
		return t_summary();
	}
	test_reads();
	test_signals();
	test_unbind();
	test_pm_loops(loops);
	if (rmmod)
		test_rmmod(rmmod);
	return t_summary();
}
