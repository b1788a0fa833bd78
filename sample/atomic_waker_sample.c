// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_waker_sample: a completion-style character device on atomic_waker.
 *
 * /dev/atomic_waker_sample simulates a DMA engine.  Each open file is one
 * channel with at most one transfer in flight; the transfer completes in
 * hard-IRQ context (an hrtimer in HRTIMER_MODE_REL_HARD stands in for the
 * device interrupt) and is collected whole with read().  The user-space API
 * is in atomic_waker_sample.h.
 *
 * How atomic_waker is used:
 *
 * - An atomic_waker holds one waker, so it has one consumer.  Each open file
 *   therefore has two: @read_aw holds the task blocked in read()
 *   (atomic_waker_wait_event_interruptible()), @poll_aw holds the file's wait
 *   queue (atomic_waker_target_wait_queue()), on which poll(), select() and
 *   epoll sleep.
 *   Were read() and poll() to share one, each would evict the other.
 * - register() calls on one atomic_waker must not race (the "S" in the table
 *   of atomic_waker.h): readers of one file take @read_mutex, so a second
 *   reader waits its turn instead of replacing the first in the slot, and
 *   poll() registers under @lock.  Several pollers are fine: they share the
 *   one wait queue, and registering the same waker again is free.
 * - The interrupt publishes the condition, then calls atomic_waker_wake() on
 *   both: no lock on the completion path, and a wake() with nobody
 *   registered is a no-op.
 * - Teardown follows atomic_waker.h: release() cancels the hrtimer, the only
 *   producer, before atomic_waker_destroy() and kfree().
 *
 * Surprise removal: a module cannot be unloaded while its files are open
 * (misc_open() pins the fops owner), and a driver must not wait for user
 * space to close them.  AW_SAMPLE_IOC_UNPLUG plays the bus telling the
 * driver its device is gone: pending transfers are dropped, every blocked
 * reader and poller of every open file is woken and sees -ENODEV or
 * EPOLLERR | EPOLLHUP, and the device node is removed.  Once user space has
 * closed its files, rmmod succeeds.
 */

#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "atomic_waker.h"
#include "atomic_waker_sample.h"

/* The "interrupt" runs in hard IRQ on every kernel, PREEMPT_RT included. */
#define AWS_TIMER_MODE	HRTIMER_MODE_REL_HARD

/*
 * Bugs planted on purpose, so that the fuzzer (sample/fuzz/README.md) shows
 * it catches them: a build with KCFLAGS=-DAWS_PLANT=<n> has bug n.  None in
 * a normal build, where every aws_planted() is false.
 */
#ifndef AWS_PLANT
#define AWS_PLANT	0
#endif
#define AWS_PLANT_WAKE	1	/* read() does not wake EPOLLOUT pollers */
#define AWS_PLANT_LEAK	2	/* release() after an unplug leaks the file */
#define AWS_PLANT_ERRNO	3	/* STATUS after an unplug: -EIO, not -ENODEV */
#define aws_planted(bug)	(AWS_PLANT == (bug))

static unsigned int write_delay_us = 1000;
module_param(write_delay_us, uint, 0644);
MODULE_PARM_DESC(write_delay_us,
		 "completion delay of a transfer submitted by write(), in us (default 1000)");

/**
 * struct aws_file - one open file: a channel of the simulated device
 * @node: entry in aws_files, under aws_lock
 * @timer: the device interrupt; the only producer of @state DONE
 * @read_aw: wakes the task blocked in read()
 * @poll_aw: wakes @wq, for poll(), select() and epoll
 * @wq: where pollers sleep
 * @read_mutex: serializes readers, hence registrations in @read_aw
 * @lock: serializes submit, consume, status and registrations in @poll_aw
 * @state: AW_SAMPLE_IDLE, _PENDING or _DONE; set to DONE by @timer only
 * @len: payload length of the current transfer
 * @submitted: transfers submitted
 * @completed: transfers completed, counted by @timer
 * @hardirq: completions that ran in hard-IRQ context, counted by @timer
 * @woken: completions that woke a sleeping reader, counted by @timer
 * @buf: the payload: written at submit, complete once @state is DONE
 */
struct aws_file {
	struct list_head node;
	struct hrtimer timer;
	struct atomic_waker read_aw;
	struct atomic_waker poll_aw;
	struct atomic_waker_wait_queue wq;
	struct mutex read_mutex;	/* one reader: read_aw has one slot */
	struct mutex lock;		/* submit, consume, poll_aw register */
	int state;
	u32 len;
	u64 submitted;
	u64 completed;
	u64 hardirq;
	u64 woken;
	u8 buf[AW_SAMPLE_MAX_LEN];
};

static DEFINE_MUTEX(aws_lock);	/* protects aws_files and setting aws_gone */
static LIST_HEAD(aws_files);
static bool aws_gone;		/* the device was unplugged; read locklessly */
static unsigned long aws_flags;
#define AWS_REGISTERED	0	/* aws_misc is registered */

/* What a reader waits for: a completed transfer, or the device gone. */
static bool aws_readable(struct aws_file *f)
{
	/* Pairs with the release in aws_irq(): the payload is complete. */
	return smp_load_acquire(&f->state) == AW_SAMPLE_DONE ||
	       READ_ONCE(aws_gone);
}

/*
 * The completion interrupt.  Store the condition, then wake: atomic_waker's
 * ordering rule (1) guarantees a reader either sees DONE or is woken.
 */
static enum hrtimer_restart aws_irq(struct hrtimer *timer)
{
	struct aws_file *f = container_of(timer, struct aws_file, timer);

	WRITE_ONCE(f->completed, f->completed + 1);
	if (in_hardirq())
		WRITE_ONCE(f->hardirq, f->hardirq + 1);
	/* Pairs with aws_readable(): the payload is published with DONE. */
	smp_store_release(&f->state, AW_SAMPLE_DONE);

	if (atomic_waker_wake(&f->read_aw))
		WRITE_ONCE(f->woken, f->woken + 1);
	atomic_waker_wake(&f->poll_aw);
	return HRTIMER_NORESTART;
}

/* Can a transfer be submitted?  Called with f->lock held. */
static int aws_check_idle(struct aws_file *f)
{
	if (READ_ONCE(aws_gone))
		return -ENODEV;
	if (READ_ONCE(f->state) != AW_SAMPLE_IDLE)	/* aws_irq() may write */
		return -EBUSY;
	return 0;
}

/* Start the transfer whose payload is in f->buf.  Called with f->lock held. */
static void aws_start(struct aws_file *f, u32 delay_us, u32 len)
{
	f->len = len;
	f->submitted++;
	WRITE_ONCE(f->state, AW_SAMPLE_PENDING);
	hrtimer_start(&f->timer, ns_to_ktime((u64)delay_us * NSEC_PER_USEC),
		      AWS_TIMER_MODE);
}

static int aws_open(struct inode *inode, struct file *file)
{
	struct aws_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, AWS_TIMER_MODE);
	f->timer.function = aws_irq;
	atomic_waker_init(&f->read_aw);
	atomic_waker_init(&f->poll_aw);
	atomic_waker_wait_queue_init(&f->wq);
	mutex_init(&f->read_mutex);
	mutex_init(&f->lock);

	mutex_lock(&aws_lock);
	if (aws_gone) {
		mutex_unlock(&aws_lock);
		kfree(f);
		return -ENODEV;
	}
	list_add(&f->node, &aws_files);
	mutex_unlock(&aws_lock);

	file->private_data = f;
	return stream_open(inode, file);
}

static int aws_release(struct inode *inode, struct file *file)
{
	struct aws_file *f = file->private_data;

	mutex_lock(&aws_lock);
	list_del(&f->node);
	mutex_unlock(&aws_lock);
	if (aws_planted(AWS_PLANT_LEAK) && READ_ONCE(aws_gone))
		return 0;

	/* The teardown rule: stop the producer, then destroy, then free. */
	hrtimer_cancel(&f->timer);
	atomic_waker_destroy(&f->read_aw);
	atomic_waker_destroy(&f->poll_aw);
	atomic_waker_wait_queue_sync(&f->wq);	/* a deferred wake of it */
	mutex_destroy(&f->read_mutex);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

/* Hand the completed transfer to user space.  Called with f->read_mutex. */
static ssize_t aws_consume(struct aws_file *f, char __user *ubuf,
			   size_t count)
{
	ssize_t ret;

	mutex_lock(&f->lock);
	if (READ_ONCE(aws_gone))
		ret = -ENODEV;
	else if (count < f->len)
		ret = -EINVAL;
	else if (copy_to_user(ubuf, f->buf, f->len))
		ret = -EFAULT;	/* the transfer stays ready */
	else
		ret = f->len;
	if (ret > 0) {
		f->len = 0;
		WRITE_ONCE(f->state, AW_SAMPLE_IDLE);
	}
	mutex_unlock(&f->lock);

	if (ret > 0 && !aws_planted(AWS_PLANT_WAKE))
		atomic_waker_wake(&f->poll_aw);	/* EPOLLOUT */
	return ret;
}

/**
 * aws_read - wait for this file's transfer to complete and return it
 * @file: the open file
 * @ubuf: where the payload goes
 * @count: size of @ubuf; at least the payload length
 * @ppos: unused (stream)
 *
 * Context: process context; sleeps unless O_NONBLOCK.
 * Return: the payload length; -EAGAIN with O_NONBLOCK when nothing is ready
 * or another reader holds the file; -ERESTARTSYS on a signal; -EINVAL if
 * @count is too small; -EFAULT; -ENODEV once the device is gone.
 */
static ssize_t aws_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct aws_file *f = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;
	ssize_t ret;

	if (!count)
		return 0;
	if (nonblock) {
		if (!mutex_trylock(&f->read_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&f->read_mutex)) {
		return -ERESTARTSYS;
	}

	if (!aws_readable(f)) {
		ret = -EAGAIN;
		if (nonblock)
			goto out;
		/* Sleeps with current in read_aw until aws_irq() wakes it. */
		ret = atomic_waker_wait_event_interruptible(&f->read_aw,
							    aws_readable(f));
		if (ret)
			goto out;
	}
	ret = aws_consume(f, ubuf, count);
out:
	mutex_unlock(&f->read_mutex);
	return ret;
}

/* Submit a loopback transfer of the written bytes. */
static ssize_t aws_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct aws_file *f = file->private_data;
	ssize_t ret;

	if (!count)
		return 0;
	if (count > AW_SAMPLE_MAX_LEN)
		return -EINVAL;

	mutex_lock(&f->lock);
	ret = aws_check_idle(f);
	if (!ret && copy_from_user(f->buf, ubuf, count))
		ret = -EFAULT;
	if (!ret) {
		aws_start(f, min_t(u32, READ_ONCE(write_delay_us),
				   AW_SAMPLE_MAX_DELAY_US), count);
		ret = count;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static __poll_t aws_poll(struct file *file, poll_table *pt)
{
	struct aws_file *f = file->private_data;
	int state;

	/* On the wait queue first, then in the slot, then test. */
	poll_wait(file, &f->wq.head, pt);
	mutex_lock(&f->lock);
	atomic_waker_register(&f->poll_aw,
			      atomic_waker_target_wait_queue(&f->wq));
	/* Pairs with the release in aws_irq(), as in aws_readable(). */
	state = smp_load_acquire(&f->state);
	mutex_unlock(&f->lock);

	if (READ_ONCE(aws_gone))
		return EPOLLERR | EPOLLHUP;
	if (state == AW_SAMPLE_DONE)
		return EPOLLIN | EPOLLRDNORM;
	if (state == AW_SAMPLE_IDLE)
		return EPOLLOUT | EPOLLWRNORM;
	return 0;
}

static long aws_ioc_submit(struct aws_file *f,
			   struct aw_sample_submit __user *uarg)
{
	struct aw_sample_submit req;
	u32 i;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || !req.len || req.len > AW_SAMPLE_MAX_LEN ||
	    req.delay_us > AW_SAMPLE_MAX_DELAY_US)
		return -EINVAL;

	mutex_lock(&f->lock);
	ret = aws_check_idle(f);
	if (!ret) {
		for (i = 0; i < req.len; i++)
			f->buf[i] = req.seed + i;
		aws_start(f, req.delay_us, req.len);
	}
	mutex_unlock(&f->lock);
	return ret;
}

static long aws_ioc_status(struct aws_file *f,
			   struct aw_sample_status __user *uarg)
{
	struct aw_sample_status st = { };

	if (READ_ONCE(aws_gone))
		return aws_planted(AWS_PLANT_ERRNO) ? -EIO : -ENODEV;
	mutex_lock(&f->lock);
	/* Pairs with the release in aws_irq(): its counters are seen. */
	st.state = smp_load_acquire(&f->state);
	st.len = f->len;
	st.submitted = f->submitted;
	st.completed = READ_ONCE(f->completed);
	st.hardirq = READ_ONCE(f->hardirq);
	st.woken = READ_ONCE(f->woken);
	mutex_unlock(&f->lock);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static struct miscdevice aws_misc;

/*
 * Surprise removal.  aws_gone is stored before each wake(), so every reader
 * and poller either sees it or is woken to see it (ordering rule 1).
 */
static long aws_ioc_unplug(void)
{
	struct aws_file *f;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	mutex_lock(&aws_lock);
	if (aws_gone) {
		mutex_unlock(&aws_lock);
		return -ENODEV;
	}
	WRITE_ONCE(aws_gone, true);
	list_for_each_entry(f, &aws_files, node) {
		mutex_lock(&f->lock);
		hrtimer_cancel(&f->timer);	/* the transfer is lost */
		if (f->state == AW_SAMPLE_PENDING)
			WRITE_ONCE(f->state, AW_SAMPLE_IDLE);
		mutex_unlock(&f->lock);
		atomic_waker_wake(&f->read_aw);
		atomic_waker_wake(&f->poll_aw);
	}
	mutex_unlock(&aws_lock);

	/* Outside aws_lock: misc_open() calls aws_open() under misc_mtx. */
	if (test_and_clear_bit(AWS_REGISTERED, &aws_flags))
		misc_deregister(&aws_misc);
	pr_info("atomic_waker_sample: device unplugged\n");
	return 0;
}

static long aws_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct aws_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case AW_SAMPLE_IOC_SUBMIT:
		return aws_ioc_submit(f, uarg);
	case AW_SAMPLE_IOC_STATUS:
		return aws_ioc_status(f, uarg);
	case AW_SAMPLE_IOC_UNPLUG:
		return aws_ioc_unplug();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations aws_fops = {
	.owner		= THIS_MODULE,
	.open		= aws_open,
	.release	= aws_release,
	.read		= aws_read,
	.write		= aws_write,
	.poll		= aws_poll,
	.unlocked_ioctl	= aws_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice aws_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "atomic_waker_sample",
	.fops	= &aws_fops,
	.mode	= 0600,
};

static int __init aws_init(void)
{
	int ret;

	set_bit(AWS_REGISTERED, &aws_flags);
	ret = misc_register(&aws_misc);
	if (ret)
		clear_bit(AWS_REGISTERED, &aws_flags);
	return ret;
}

static void __exit aws_exit(void)
{
	/* No file is open: each one holds a reference on this module. */
	if (test_and_clear_bit(AWS_REGISTERED, &aws_flags))
		misc_deregister(&aws_misc);
}

module_init(aws_init);
module_exit(aws_exit);
MODULE_DESCRIPTION("atomic_waker sample: a completion-style device completing in hard IRQ");
MODULE_LICENSE("GPL");
