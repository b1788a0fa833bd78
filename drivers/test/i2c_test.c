// SPDX-License-Identifier: GPL-2.0
/*
 * i2c_test: what a user of the i801 SMBus does, through i2c-dev, against
 * the original (i801_smbus) or the atomic_waker conversion (i801_smbus_aw).
 *
 * QEMU's q35 puts eight 256-byte SPD EEPROMs (smbus_eeprom, zero-filled,
 * writable) at 0x50-0x57 of its ICH9 SMBus, and with SMBHSTCNT_INTREN it
 * runs each transaction in the START write and raises INTx at once.
 *
 * Usage: i2c_test --drv DRIVER [--rmmod MODULE] [--compare N]
 *   functional (default): byte/word/I2C-block transfers to the EEPROM at
 *   0x50 and back, reads pinned to each CPU, an absent address (error by interrupt), no interrupt at
 *   all (INTx masked in PCI_COMMAND: the timeout path), a signal during
 *   that wait, unbind and rmmod while a transfer is blocked, suspend to
 *   idle through the PM test interface.
 *   --compare N: only the measurements, as "i2c-cmp:" lines.
 * Last line: "i2c_test: N passed, N failed".
 */
#include "drv_test.h"
#include <dirent.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>

#define EEPROM 0x50
#define ABSENT 0x30

static int on_cpu = -1;
static const char *drv;
static char bdf[300], devpath[300];

static int find_bdf(void)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	bdf[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "0000:", 5))
			snprintf(bdf, sizeof(bdf), "%s", de->d_name);
	closedir(d);
	return bdf[0] ? 0 : -1;
}

/* /dev/i2c-N of the adapter under our PCI device. */
static int find_adapter(void)
{
	char path[600], buf[128];
	struct dirent *de;
	DIR *d;

	devpath[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "i2c-", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s/name",
			 bdf, de->d_name);
		if (!read_file(path, buf, sizeof(buf)) &&
		    !strncmp(buf, "SMBus I801 adapter", 18))
			snprintf(devpath, sizeof(devpath), "/dev/%s", de->d_name);
	}
	closedir(d);
	return devpath[0] ? 0 : -1;
}

static int smbus(int fd, char rw, __u8 cmd, int size, union i2c_smbus_data *data)
{
	struct i2c_smbus_ioctl_data args = { rw, cmd, size, data };

	return ioctl(fd, I2C_SMBUS, &args) < 0 ? -errno : 0;
}

static int read_byte(int fd, __u8 off)
{
	union i2c_smbus_data d;
	int ret = smbus(fd, I2C_SMBUS_READ, off, I2C_SMBUS_BYTE_DATA, &d);

	return ret ? ret : d.byte;
}

static int write_byte(int fd, __u8 off, __u8 val)
{
	union i2c_smbus_data d = { .byte = val };

	return smbus(fd, I2C_SMBUS_WRITE, off, I2C_SMBUS_BYTE_DATA, &d);
}

static int open_at(int addr)
{
	int fd = open(devpath, O_RDWR);

	if (fd >= 0 && ioctl(fd, I2C_SLAVE_FORCE, addr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Mask or unmask the device's INTx (PCI_COMMAND bit 10) from user space:
 * QEMU then never raises the interrupt, as a lost interrupt would. */
static int intx_disable(int on)
{
	char path[sizeof("/sys/bus/pci/devices//config") + sizeof(bdf)];
	unsigned short cmd;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (pread(fd, &cmd, 2, 4) == 2) {
		cmd = on ? cmd | 0x400 : cmd & ~0x400;
		ret = pwrite(fd, &cmd, 2, 4) == 2 ? 0 : -1;
	}
	close(fd);
	return ret;
}

static unsigned char pattern(int i, int seed) { return (i * 37 + seed) & 0xff; }

static int check_bytes(int fd, int from, int n, int seed)
{
	int i, bad = 0;

	for (i = 0; i < n; i++)
		if (read_byte(fd, from + i) != pattern(from + i, seed))
			bad++;
	return bad;
}

static void test_transfers(int seed)
{
	union i2c_smbus_data d;
	unsigned long funcs = 0;
	int fd = open_at(EEPROM), i, bad = 0, ret, first = -1;

	ret = fd < 0 ? -1 : ioctl(fd, I2C_FUNCS, &funcs);
	t_ok(!ret && (funcs & I2C_FUNC_SMBUS_BYTE_DATA) &&
	     (funcs & I2C_FUNC_SMBUS_I2C_BLOCK),
	     "%s at 0x%02x, functionality 0x%lx", devpath, EEPROM, funcs);
	if (fd < 0)
		return;
	for (i = 0; i < 32; i++)
		if (write_byte(fd, i, pattern(i, seed)))
			bad++;
	bad += check_bytes(fd, 0, 32, seed);
	t_ok(!bad, "write and read back 32 bytes (byte data): %d bad", bad);

	ret = smbus(fd, I2C_SMBUS_READ, 4, I2C_SMBUS_WORD_DATA, &d);
	t_ok(!ret && d.word == (pattern(4, seed) | pattern(5, seed) << 8),
	     "word data at 4: %d 0x%04x", ret, d.word);

	memset(&d, 0, sizeof(d));
	d.block[0] = 16;
	ret = smbus(fd, I2C_SMBUS_READ, 8, I2C_SMBUS_I2C_BLOCK_DATA, &d);
	/*
	 * QEMU 7.2's pm_smbus latches the last byte with INTR but without
	 * BYTE_DONE, so i801_isr() never copies it (the same with either
	 * driver): check bytes 0-14 and report byte 15.
	 */
	for (i = 0, bad = 0; i < 15; i++) {
		if (d.block[i + 1] != pattern(8 + i, seed) && first < 0)
			first = i;
		bad += d.block[i + 1] != pattern(8 + i, seed);
	}
	t_ok(!ret && d.block[0] == 16 && !bad,
	     "I2C block read of 16 (an interrupt per byte): %d, bytes 0-14: %d bad (first %d); byte 15 0x%02x (EEPROM has 0x%02x: QEMU drops it)",
	     ret, bad, first, d.block[16], pattern(8 + 15, seed));

	d.block[0] = 8;
	for (i = 0; i < 8; i++)
		d.block[i + 1] = pattern(64 + i, seed);
	ret = smbus(fd, I2C_SMBUS_WRITE, 64, I2C_SMBUS_I2C_BLOCK_DATA, &d);
	bad = check_bytes(fd, 64, 8, seed);
	t_ok(!ret && !bad, "I2C block write of 8, read back: %d, %d bad", ret, bad);
	close(fd);

	fd = open_at(ABSENT);
	{
		double t0 = now_us(), dt;

		ret = read_byte(fd, 0);
		dt = (now_us() - t0) / 1000;
		t_ok(ret == -ENXIO && dt < 150,
		     "absent address 0x%02x: %s in %.1f ms (a DEV_ERR interrupt, not the 200 ms timeout)",
		     ABSENT, strerror(-ret), dt);
	}
	close(fd);
}

/* A transfer whose interrupt never comes: it must time out, and the bus
 * must work again afterwards. */
static void test_timeout(int seed)
{
	int fd = open_at(EEPROM), ret, bad;
	double t0, dt;

	ioctl(fd, I2C_TIMEOUT, 10);	/* 100 ms */
	t_ok(!intx_disable(1), "INTx masked in PCI_COMMAND of %s", bdf);
	t0 = now_us();
	ret = read_byte(fd, 0);
	dt = (now_us() - t0) / 1000;
	intx_disable(0);
	t_ok(ret == -ETIMEDOUT && dt >= 90 && dt < 1000,
	     "no interrupt: %s after %.0f ms (timeout 100 ms)",
	     ret < 0 ? strerror(-ret) : "data", dt);
	ioctl(fd, I2C_TIMEOUT, 20);
	bad = check_bytes(fd, 0, 32, seed);
	t_ok(!bad, "32 reads after the timeout: %d bad", bad);
	close(fd);
}

/* Every transfer is woken by its interrupt on every CPU: pinned to each
 * CPU in turn (the one that takes the interrupt finds the condition true
 * before it sleeps, the others sleep), 200 reads each with a 1 s timeout
 * must each take far less than the timeout. */
static void test_wake(int seed)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = open_at(EEPROM), cpu, i, bad = 0;
	double worst = 0;

	ioctl(fd, I2C_TIMEOUT, 100);
	for (cpu = 0; cpu < ncpu; cpu++) {
		pin_cpu(cpu);
		for (i = 0; i < 200; i++) {
			double t0 = now_us(), dt;

			if (read_byte(fd, i & 31) != pattern(i & 31, seed))
				bad++;
			dt = (now_us() - t0) / 1000;
			if (dt > worst)
				worst = dt;
		}
	}
	ioctl(fd, I2C_TIMEOUT, 20);
	close(fd);
	pin_cpu(on_cpu);
	if (on_cpu < 0) {
		cpu_set_t all;

		CPU_ZERO(&all);
		for (cpu = 0; cpu < ncpu; cpu++)
			CPU_SET(cpu, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
	t_ok(!bad && worst < 500,
	     "200 reads pinned to each of %ld CPUs: %d bad, slowest %.1f ms (timeout 1 s)",
	     ncpu, bad, worst);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

/* Child: one transfer with INTx masked and a 1 s timeout; exit code 0 for
 * ETIMEDOUT, 1 for anything else; holds the fd hold_ms after. */
static pid_t blocked_transfer(int hold_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		int fd = open_at(EEPROM), ret;

		sigaction(SIGUSR1, &sa, NULL);
		ioctl(fd, I2C_TIMEOUT, 100);
		ret = read_byte(fd, 0);
		sleep_ms(hold_ms);
		close(fd);
		_exit(ret == -ETIMEDOUT ? 0 : 1);
	}
	return pid;
}

static void test_signal(void)
{
	double t0, dt;
	pid_t pid;
	int st;

	intx_disable(1);
	t0 = now_us();
	pid = blocked_transfer(0);
	sleep_ms(200);
	kill(pid, SIGUSR1);
	st = wait_ms(pid, 3000);
	dt = (now_us() - t0) / 1000;
	intx_disable(0);
	t_ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && dt >= 900,
	     "SIGUSR1 during an uninterruptible transfer: ETIMEDOUT after %.0f ms (timeout 1 s)",
	     dt);
}

static void test_unbind(int seed)
{
	char path[128];
	double t0, dt;
	pid_t pid, ub;
	int st, ust, fd, bad;

	intx_disable(1);
	pid = blocked_transfer(300);
	sleep_ms(200);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	t0 = now_us();
	ub = fork();
	if (ub == 0)
		_exit(write_file(path, bdf) ? 1 : 0);
	st = wait_ms(pid, 3000);
	ust = wait_ms(ub, 3000);
	dt = (now_us() - t0) / 1000;
	intx_disable(0);
	t_ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	     ust != -1 && WIFEXITED(ust) && WEXITSTATUS(ust) == 0,
	     "unbind %s during a blocked transfer: transfer ETIMEDOUT, unbind done after %.0f ms (once the fd closed)",
	     bdf, dt);
	t_ok(find_adapter() != 0, "adapter gone after unbind");
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	t_ok(!write_file(path, bdf) && !find_adapter(), "bind %s again: %s",
	     bdf, devpath);
	fd = open_at(EEPROM);
	bad = check_bytes(fd, 0, 32, seed);
	close(fd);
	t_ok(!bad, "32 reads after rebind: %d bad", bad);
}

static void test_pm(int seed)
{
	int ret = pm_cycle(), fd, bad;

	t_ok(ret == 0, "freeze/restore through pm_test=devices: %d", ret);
	fd = open_at(EEPROM);
	bad = check_bytes(fd, 0, 32, seed);
	close(fd);
	t_ok(fd >= 0 && !bad, "32 reads after resume: %d bad", bad);
}

static void test_rmmod(const char *mod)
{
	char cmd[128], path[128];
	struct stat stb;
	int busy, ret, st;
	pid_t pid;

	intx_disable(1);
	pid = blocked_transfer(0);
	sleep_ms(200);
	snprintf(cmd, sizeof(cmd), "rmmod %s 2>/dev/null", mod);
	busy = system(cmd);	/* i2c-dev's open holds the module */
	st = wait_ms(pid, 3000);
	intx_disable(0);
	ret = system(cmd);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	t_ok(busy != 0 && st != -1 && WIFEXITED(st) && !WEXITSTATUS(st) &&
	     ret == 0 && stat(path, &stb) != 0,
	     "rmmod %s during a blocked transfer: refused (in use), transfer ETIMEDOUT, rmmod after close: %d",
	     mod, ret);
}

static void measure(const char *test, int size, int n)
{
	union i2c_smbus_data d;
	double *lat = calloc(n, sizeof(*lat)), t0, total;
	long long irq0, irq1, own0, own1;
	long w0, w1;
	int fd = open_at(EEPROM), i, bad = 0;

	irq0 = irq_count(drv);
	own0 = irq_count_on(drv, on_cpu);
	w0 = wakeups();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		double a = now_us();

		d.block[0] = 32;
		if (smbus(fd, I2C_SMBUS_READ, i & 0x7f, size, &d))
			bad++;
		lat[i] = now_us() - a;
	}
	total = (now_us() - t0) / 1e6;
	w1 = wakeups();
	irq1 = irq_count(drv);
	own1 = irq_count_on(drv, on_cpu);
	close(fd);
	printf("i2c-cmp: driver=%s cpu=%d test=%s n=%d bad=%d xfers_per_s=%.0f p50_us=%.1f p99_us=%.1f irqs_per_req=%.3f wakeups_per_req=%.3f irqs_on_own_cpu=%.2f\n",
	       drv, on_cpu, test, n, bad, n / total, pct(lat, n, 0.5),
	       pct(lat, n, 0.99), (double)(irq1 - irq0) / n,
	       (double)(w1 - w0) / n,
	       irq1 > irq0 ? (double)(own1 - own0) / (irq1 - irq0) : 0);
	t_ok(!bad, "%s: %d transfers, %d bad", test, n, bad);
	free(lat);
}

int main(int argc, char **argv)
{
	const char *rmmod = NULL;
	int compare = 0, cpu = -1, i, seed = getpid() & 0xff;

	t_name = "i2c_test";
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
	}
	if (!drv) {
		fprintf(stderr, "usage: %s --drv DRIVER [--rmmod MODULE] [--compare N]\n",
			argv[0]);
		return 2;
	}
	on_cpu = cpu;
	if (pin_cpu(cpu))
		perror("sched_setaffinity");
	t_ok(!find_bdf() && !find_adapter(), "driver %s bound to %s, adapter %s",
	     drv, bdf, devpath);
	if (!devpath[0])
		return t_summary();
	if (compare) {
		measure("byte_data", I2C_SMBUS_BYTE_DATA, compare);
		measure("i2c_block32", I2C_SMBUS_I2C_BLOCK_DATA, compare / 8);
		return t_summary();
	}
	test_transfers(seed);
	test_wake(seed);
	test_timeout(seed);
	test_signal();
	test_unbind(seed);
	test_pm(seed);
	if (rmmod)
		test_rmmod(rmmod);
	return t_summary();
}
