// SPDX-License-Identifier: GPL-2.0
/*
 * crypto_test: what a user of virtio-crypto does, through AF_ALG skcipher
 * cbc(aes), against the original (virtio_crypto, algorithm driver
 * virtio_crypto_aes_cbc) or the conversion (virtio_crypto_aw,
 * virtio_crypto_aw_aes_cbc).  Keys go through the device's control queue:
 * the first setkey of a tfm creates two sessions (encrypt, decrypt), a
 * rekey closes both and creates two more, closing the tfm closes both.
 *
 * Usage: crypto_test --drv DRIVER --alg ALGDRIVER [--rmmod MODULE]
 *                    [--compare N]
 *   functional (default): known answer (SP 800-38A F.2.1), a 16 KiB round
 *   trip against the kernel's software cbc(aes-generic), a bad key length,
 *   4 processes creating and closing sessions at once, rekeys under a
 *   signal storm, unbind/bind while idle, suspend to idle through the PM
 *   test interface, rmmod while a tfm is open (refused) and after.
 *   --compare N: N rekeys (4 control requests each), as "crypto-cmp:".
 * Last line: "crypto_test: N passed, N failed".
 */
#include "drv_test.h"
#include <dirent.h>
#include <linux/if_alg.h>
#include <sys/socket.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

static int on_cpu = -1;
static const char *drv, *alg;

static const unsigned char kat_key[16] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const unsigned char kat_iv[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const unsigned char kat_pt[32] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
	0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
	0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c,
	0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51 };
static const unsigned char kat_ct[32] = {
	0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
	0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
	0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee,
	0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2 };

/* A bound skcipher tfm socket for @name, or -errno. */
static int tfm_open(const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd = socket(AF_ALG, SOCK_SEQPACKET, 0);

	if (fd < 0)
		return -errno;
	strcpy((char *)sa.salg_type, "skcipher");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int tfm_setkey(int tfm, const unsigned char *key, int len)
{
	return setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, len) < 0 ? -errno : 0;
}

/* One encrypt or decrypt of @len bytes; 0 or -errno. */
static int tfm_crypt(int tfm, int enc, const unsigned char *iv,
		     const unsigned char *in, unsigned char *out, size_t len)
{
	char cbuf[CMSG_SPACE(4) + CMSG_SPACE(4 + 16)] = { 0 };
	struct iovec iov = { (void *)in, len };
	struct msghdr msg = { .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	struct af_alg_iv *aiv;
	int op = accept(tfm, NULL, 0), ret = 0;
	size_t got = 0;

	if (op < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(4);
	*(__u32 *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(4 + 16);
	aiv = (void *)CMSG_DATA(c);
	aiv->ivlen = 16;
	memcpy(aiv->iv, iv, 16);
	if (sendmsg(op, &msg, 0) != (ssize_t)len) {
		ret = -errno;
		goto out;
	}
	while (got < len) {
		ssize_t n = read(op, out + got, len - got);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		got += n;
	}
out:
	close(op);
	return ret;
}

/* Is @alg registered, by @drv's module? */
static int alg_registered(void)
{
	char line[256], cur[128] = "";
	int found = 0;
	FILE *f = fopen("/proc/crypto", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "driver : %127s", cur) == 1)
			continue;
		if (!strcmp(cur, alg) && strstr(line, "module") &&
		    strstr(line, drv))
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static int kat(void)
{
	unsigned char out[32], back[32];
	int tfm = tfm_open(alg), ret;

	if (tfm < 0)
		return tfm;
	ret = tfm_setkey(tfm, kat_key, 16);
	if (!ret)
		ret = tfm_crypt(tfm, 1, kat_iv, kat_pt, out, 32);
	if (!ret && memcmp(out, kat_ct, 32))
		ret = -EBADMSG;
	if (!ret)
		ret = tfm_crypt(tfm, 0, kat_iv, out, back, 32);
	if (!ret && memcmp(back, kat_pt, 32))
		ret = -EBADMSG;
	close(tfm);
	return ret;
}

static void test_basic(void)
{
	static unsigned char in[16384], out[16384], back[16384];
	unsigned char key[32];
	int tfm, sw, ret, i;

	t_ok(alg_registered(), "/proc/crypto: %s by module %s", alg, drv);
	ret = kat();
	t_ok(ret == 0, "known answer cbc(aes) SP 800-38A F.2.1: %s",
	     ret ? strerror(-ret) : "match");

	for (i = 0; i < (int)sizeof(in); i++)
		in[i] = rand();
	for (i = 0; i < 16; i++)
		key[i] = rand();
	tfm = tfm_open(alg);
	sw = tfm_open("cbc(aes-generic)");
	ret = tfm < 0 ? tfm : sw < 0 ? sw : tfm_setkey(tfm, key, 16);
	if (!ret)
		ret = tfm_setkey(sw, key, 16);
	if (!ret)
		ret = tfm_crypt(tfm, 1, kat_iv, in, out, sizeof(in));
	if (!ret)
		ret = tfm_crypt(sw, 0, kat_iv, out, back, sizeof(in));
	t_ok(!ret && !memcmp(in, back, sizeof(in)),
	     "16 KiB encrypted by %s, decrypted by cbc(aes-generic): %s", alg,
	     ret ? strerror(-ret) : memcmp(in, back, sizeof(in)) ? "differs" : "same");
	ret = tfm < 0 ? tfm : tfm_setkey(tfm, key, 17);
	t_ok(ret == -EINVAL, "17-byte key: %s", strerror(-ret));
	close(tfm);
	close(sw);
}

/* 4 processes, each 50 times: open, setkey (2 control requests), encrypt
 * and check, rekey (4), close (2). */
static void test_concurrent(void)
{
	pid_t pids[4];
	int i, st, bad = 0;

	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			unsigned char out[32];
			int j, errs = 0;

			for (j = 0; j < 50; j++) {
				int tfm = tfm_open(alg);

				if (tfm < 0 || tfm_setkey(tfm, kat_key, 16) ||
				    tfm_crypt(tfm, 1, kat_iv, kat_pt, out, 32) ||
				    memcmp(out, kat_ct, 32) ||
				    tfm_setkey(tfm, kat_key, 16))
					errs++;
				close(tfm);
			}
			_exit(errs ? 1 : 0);
		}
	}
	for (i = 0; i < 4; i++) {
		st = wait_ms(pids[i], 60000);
		if (st == -1) {
			report_stuck(pids[i]);
			bad++;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			bad++;
		}
	}
	t_ok(!bad, "4 processes x 50 session lifecycles (400 creates, 400 closes): %d failed",
	     bad);
}

static int find_dev(char *dev, size_t len)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s", drv);
	d = opendir(path);
	dev[0] = 0;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "virtio", 6) &&
		    strlen(de->d_name) < len)
			strcpy(dev, de->d_name);
	if (d)
		closedir(d);
	return dev[0] ? 0 : -1;
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

static void test_signals(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	pid_t pid, sig;
	int st;

	sigaction(SIGUSR1, &sa, &old);	/* the child has it from its start */
	pid = fork();
	if (pid == 0) {
		int tfm = tfm_open(alg), j, errs = 0;

		for (j = 0; j < 200; j++)
			if (tfm_setkey(tfm, kat_key, 16))
				errs++;
		close(tfm);
		_exit(errs ? 1 : 0);
	}
	sig = fork();
	if (sig == 0) {
		for (;;) {
			kill(pid, SIGUSR1);
			sleep_ms(1);
		}
	}
	st = wait_ms(pid, 120000);
	kill(sig, SIGKILL);
	waitpid(sig, NULL, 0);
	sigaction(SIGUSR1, &old, NULL);
	if (st == -1)
		report_stuck(pid);
	t_ok(st != -1 && WIFEXITED(st) && !WEXITSTATUS(st),
	     "200 rekeys under a SIGUSR1 storm: no error (the control wait is uninterruptible; status 0x%x)",
	     st);
}

static void test_unbind(void)
{
	char dev[64], path[128];
	int ret;

	find_dev(dev, sizeof(dev));
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/unbind", drv);
	ret = write_file(path, dev);
	t_ok(!ret && !alg_registered(), "unbind %s (idle): %d, %s gone", dev,
	     ret, alg);
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/bind", drv);
	ret = write_file(path, dev);
	t_ok(!ret && alg_registered() && !kat(), "bind %s again: %d, known answer ok",
	     dev, ret);
}

static void test_pm(void)
{
	int ret = pm_cycle();

	t_ok(ret == 0, "freeze/restore through pm_test=devices: %d", ret);
	ret = kat();
	t_ok(ret == 0 && alg_registered(), "known answer after resume: %s",
	     ret ? strerror(-ret) : "match");
}

static void test_rmmod(const char *mod)
{
	char cmd[128];
	int tfm = tfm_open(alg), busy, ret;

	tfm_setkey(tfm, kat_key, 16);
	snprintf(cmd, sizeof(cmd), "rmmod %s 2>/dev/null", mod);
	busy = system(cmd);
	close(tfm);
	sleep_ms(100);
	ret = system(cmd);
	t_ok(tfm >= 0 && busy != 0 && ret == 0,
	     "rmmod %s with a tfm open: refused (in use); after close: %d", mod,
	     ret);
}

static void measure(int n)
{
	double *lat = calloc(n, sizeof(*lat)), t0, total;
	long long irq0, irq1, own0, own1;
	long w0, w1;
	int tfm = tfm_open(alg), i, bad = 0;
	char dev[64], irqpat[72];

	/* every interrupt of the device: the loop only uses its control queue */
	find_dev(dev, sizeof(dev));
	snprintf(irqpat, sizeof(irqpat), "%s-", dev);
	tfm_setkey(tfm, kat_key, 16);
	irq0 = irq_count(irqpat);
	own0 = irq_count_on(irqpat, on_cpu);
	w0 = wakeups();
	t0 = now_us();
	for (i = 0; i < n; i++) {
		double a = now_us();

		if (tfm_setkey(tfm, kat_key, 16))
			bad++;
		lat[i] = now_us() - a;
	}
	total = (now_us() - t0) / 1e6;
	w1 = wakeups();
	irq1 = irq_count(irqpat);
	own1 = irq_count_on(irqpat, on_cpu);
	close(tfm);
	printf("crypto-cmp: driver=%s cpu=%d test=rekey n=%d bad=%d ctrl_reqs_per_op=4 ops_per_s=%.0f p50_us=%.1f p99_us=%.1f irqs_per_req=%.3f wakeups_per_req=%.3f irqs_on_own_cpu=%.2f\n",
	       drv, on_cpu, n, bad, n / total, pct(lat, n, 0.5), pct(lat, n, 0.99),
	       (double)(irq1 - irq0) / (4.0 * n), (double)(w1 - w0) / (4.0 * n),
	       irq1 > irq0 ? (double)(own1 - own0) / (irq1 - irq0) : 0);
	t_ok(!bad, "rekey: %d, %d bad", n, bad);
	free(lat);
}

int main(int argc, char **argv)
{
	const char *rmmod = NULL;
	int compare = 0, cpu = -1, i;

	t_name = "crypto_test";
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(getpid());
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--drv") && i + 1 < argc)
			drv = argv[++i];
		else if (!strcmp(argv[i], "--alg") && i + 1 < argc)
			alg = argv[++i];
		else if (!strcmp(argv[i], "--rmmod") && i + 1 < argc)
			rmmod = argv[++i];
		else if (!strcmp(argv[i], "--compare") && i + 1 < argc)
			compare = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
	}
	if (!drv || !alg) {
		fprintf(stderr, "usage: %s --drv DRIVER --alg ALGDRIVER [--rmmod MODULE] [--compare N]\n",
			argv[0]);
		return 2;
	}
	on_cpu = cpu;
	if (pin_cpu(cpu))
		perror("sched_setaffinity");
	if (compare) {
		measure(compare);
		return t_summary();
	}
	test_basic();
	test_concurrent();
	test_signals();
	test_unbind();
	test_pm();
	if (rmmod)
		test_rmmod(rmmod);
	return t_summary();
}
