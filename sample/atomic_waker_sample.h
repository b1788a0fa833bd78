/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-space API of the atomic_waker sample driver, /dev/atomic_waker_sample.
 *
 * Each open file is one channel of a simulated DMA engine with one transfer
 * in flight at most.  A transfer is submitted with AW_SAMPLE_IOC_SUBMIT (the
 * device produces @len bytes (@seed + i) & 0xff) or with write() (the device
 * loops the written bytes back), completes in hard-IRQ context after a delay,
 * and is collected whole by read().  poll() reports EPOLLIN when a transfer is
 * ready to read and EPOLLOUT when a new one may be submitted.
 */
#ifndef _UAPI_ATOMIC_WAKER_SAMPLE_H
#define _UAPI_ATOMIC_WAKER_SAMPLE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define AW_SAMPLE_DEVICE	"/dev/atomic_waker_sample"

/* Largest transfer, in bytes; read() needs a buffer at least this long. */
#define AW_SAMPLE_MAX_LEN	4096
/* Longest completion delay, in microseconds (10 s). */
#define AW_SAMPLE_MAX_DELAY_US	10000000

/**
 * struct aw_sample_submit - a transfer to start
 * @delay_us: completion delay, 0..AW_SAMPLE_MAX_DELAY_US microseconds
 * @len: payload length, 1..AW_SAMPLE_MAX_LEN bytes
 * @seed: payload byte i is (@seed + i) & 0xff
 * @flags: must be 0
 */
struct aw_sample_submit {
	__u32 delay_us;
	__u32 len;
	__u32 seed;
	__u32 flags;
};

/* Values of aw_sample_status.state */
#define AW_SAMPLE_IDLE		0	/* no transfer: submit one */
#define AW_SAMPLE_PENDING	1	/* in flight: wait */
#define AW_SAMPLE_DONE		2	/* complete: read() it */

/**
 * struct aw_sample_status - the state of this open file's channel
 * @state: AW_SAMPLE_IDLE, AW_SAMPLE_PENDING or AW_SAMPLE_DONE
 * @len: length of the pending or completed transfer, else 0
 * @submitted: transfers submitted on this file
 * @completed: transfers completed on this file
 * @hardirq: of those, completions that ran in hard-IRQ context
 * @woken: completions whose atomic_waker_wake() woke a sleeping reader
 */
struct aw_sample_status {
	__u32 state;
	__u32 len;
	__u64 submitted;
	__u64 completed;
	__u64 hardirq;
	__u64 woken;
};

#define AW_SAMPLE_IOC_MAGIC	0xB9

/* Start a transfer.  -EBUSY if one is pending or unread, -EINVAL, -EFAULT. */
#define AW_SAMPLE_IOC_SUBMIT	_IOW(AW_SAMPLE_IOC_MAGIC, 0, struct aw_sample_submit)
/* Read this file's channel state. */
#define AW_SAMPLE_IOC_STATUS	_IOR(AW_SAMPLE_IOC_MAGIC, 1, struct aw_sample_status)
/*
 * Simulate surprise removal (CAP_SYS_ADMIN): pending transfers are dropped,
 * every blocked reader and poller of every open file is woken and gets
 * -ENODEV (EPOLLERR | EPOLLHUP), the device node goes away, and the module
 * can be removed once the files are closed.
 */
#define AW_SAMPLE_IOC_UNPLUG	_IO(AW_SAMPLE_IOC_MAGIC, 2)

#endif /* _UAPI_ATOMIC_WAKER_SAMPLE_H */
