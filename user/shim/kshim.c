// SPDX-License-Identifier: GPL-2.0
/*
 * kshim.c - user-space stand-ins for warnings, contexts, RCU, CPUs, tasks,
 * kthreads, signals, completions and wait queues.  See kshim.h and
 * kshim_sched.h for what each models.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "kshim.h"

__thread void (*shim_after_read)(const atomic_long_t *v);
__thread struct shim_thread *shim_self;
long shim_hang_ms = 20000;

/* ---- warnings ---------------------------------------------------------- */

static unsigned long warn_aw, warn_other, warn_excused;

static bool is_atomic_waker_c(const char *file)
{
	size_t n = strlen(file), m = strlen("atomic_waker.c");

	return n >= m && !strcmp(file + n - m, "atomic_waker.c") &&
	       (n == m || file[n - m - 1] == '/');
}

void shim_warn(struct shim_warn_site *site)
{
	bool aw = is_atomic_waker_c(site->file);

	__atomic_fetch_add(&site->hits, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(aw ? &warn_aw : &warn_other, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_exchange_n(&site->printed, true, __ATOMIC_RELAXED))
		fprintf(stderr, "WARNING: %s:%d: WARN_ON_ONCE(%s)%s\n",
			site->file, site->line, site->cond,
			aw ? " (counted for the test that expects it)" : "");
}

void shim_report(const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&warn_other, 1, __ATOMIC_SEQ_CST);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

unsigned long shim_warnings_aw(void)
{
	return __atomic_load_n(&warn_aw, __ATOMIC_SEQ_CST);
}

unsigned long shim_warnings_other(void)
{
	return __atomic_load_n(&warn_other, __ATOMIC_SEQ_CST);
}

void shim_warnings_excuse(unsigned long n)
{
	__atomic_fetch_add(&warn_excused, n, __ATOMIC_SEQ_CST);
}

unsigned long shim_warnings_excused(void)
{
	return __atomic_load_n(&warn_excused, __ATOMIC_SEQ_CST);
}

void __shim_might_sleep(const char *file, int line, const char *what)
{
	if (!preemptible())
		shim_report("BUG: sleeping function called from invalid context at %s:%d (%s): hardirq %d softirq %d preempt %d irqs_off %d",
			    file, line, what, shim_this()->hardirq,
			    shim_this()->softirq, shim_this()->preempt,
			    shim_this()->irqs_off);
}

/* ---- threads, contexts and RCU ----------------------------------------- */

static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_thread *threads;	/* never freed: dead ones are reused */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *arg)
{
	struct shim_thread *s = arg;
	struct task_struct *t = s->task;

	if (s->depth)
		shim_report("BUG: thread exits in atomic context (depth %d)",
			    s->depth);
	shim_irq_work_handoff(s);
	s->task = NULL;
	if (s->owns_task)
		put_task_struct(t);
	shim_self = NULL;
	__atomic_store_n(&s->dead, true, __ATOMIC_RELEASE);
}

static void make_thread_key(void)
{
	pthread_key_create(&thread_key, thread_exit);
}

struct shim_thread *shim_thread_init(void)
{
	struct shim_thread *s;

	pthread_once(&thread_key_once, make_thread_key);
	pthread_mutex_lock(&threads_lock);
	for (s = threads; s; s = s->next)
		if (__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
			break;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			abort();
		s->next = threads;
		threads = s;
	}
	s->preempt = s->softirq = s->hardirq = s->irqs_off = 0;
	s->nmi = s->rcu = s->migrate = 0;
	s->raised = NULL;
	s->task = NULL;
	s->owns_task = false;
	__atomic_store_n(&s->dead, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&threads_lock);
	shim_self = s;
	pthread_setspecific(thread_key, s);
	return s;
}

void shim_quiescent(struct shim_thread *s)
{
	__atomic_fetch_add(&s->qs, 1, __ATOMIC_RELEASE);
	if (s->raised)
		shim_irq_work_handoff(s);
}

void shim_ctx_enter(enum shim_ctx ctx)
{
	struct shim_thread *s = shim_this();

	if (ctx == SHIM_CTX_HARDIRQ)
		shim_enter(s, &s->hardirq);
	else if (ctx == SHIM_CTX_SOFTIRQ)
		shim_enter(s, &s->softirq);
}

void shim_ctx_exit(enum shim_ctx ctx)
{
	struct shim_thread *s = shim_this();

	if (ctx == SHIM_CTX_HARDIRQ)
		shim_leave(s, &s->hardirq);
	else if (ctx == SHIM_CTX_SOFTIRQ)
		shim_leave(s, &s->softirq);
}

/*
 * Wait until every thread that was in an RCU read-side critical section
 * (any atomic context) when this was called has left it.
 */
void synchronize_rcu(void)
{
	struct { struct shim_thread *s; unsigned long qs; } *snap;
	struct shim_thread *s;
	size_t n = 0, max = 0, i;

	might_sleep();
	smp_mb();
	pthread_mutex_lock(&threads_lock);
	for (s = threads; s; s = s->next)
		max++;
	snap = calloc(max, sizeof(*snap));
	if (!snap)
		abort();
	for (s = threads; s; s = s->next) {
		if (s == shim_self ||
		    !__atomic_load_n(&s->depth, __ATOMIC_SEQ_CST))
			continue;
		snap[n].s = s;
		snap[n++].qs = __atomic_load_n(&s->qs, __ATOMIC_ACQUIRE);
	}
	pthread_mutex_unlock(&threads_lock);
	for (i = 0; i < n; i++)
		while (__atomic_load_n(&snap[i].s->depth, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&snap[i].s->qs, __ATOMIC_ACQUIRE) ==
		       snap[i].qs)
			usleep(20);
	free(snap);
	smp_mb();
}

/* ---- CPUs -------------------------------------------------------------- */

#define SHIM_MAX_CPUS	(8 * (int)sizeof(unsigned long))

static struct cpumask online, one_cpu[SHIM_MAX_CPUS];
const struct cpumask *cpu_online_mask = &online;
unsigned int nr_cpu_ids;

__attribute__((constructor)) static void shim_cpus_init(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	for (cpu = 0; cpu < SHIM_MAX_CPUS; cpu++) {
		one_cpu[cpu].bits = BIT(cpu);
		if (CPU_ISSET(cpu, &set)) {
			online.bits |= BIT(cpu);
			nr_cpu_ids = cpu + 1;
		}
	}
	if (!online.bits) {
		online.bits = 1;
		nr_cpu_ids = 1;
	}
}

unsigned int num_online_cpus(void)
{
	return __builtin_popcountl(online.bits);
}

const struct cpumask *cpumask_of(unsigned int cpu)
{
	return &one_cpu[cpu % SHIM_MAX_CPUS];
}

unsigned int cpumask_next(int n, const struct cpumask *m)
{
	int cpu;

	for (cpu = n + 1; cpu < (int)nr_cpu_ids; cpu++)
		if (m->bits & BIT(cpu))
			return cpu;
	return nr_cpu_ids;
}

unsigned int cpumask_any_but(const struct cpumask *m, unsigned int cpu)
{
	unsigned int i = cpumask_first(m);

	return i == cpu ? cpumask_next(i, m) : i;
}

int smp_processor_id(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu;
}

static int set_affinity(unsigned long bits)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < SHIM_MAX_CPUS; cpu++)
		if (bits & BIT(cpu))
			CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Only current can be moved here: enough for the tests. */
int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *m)
{
	if (p != current || !(m->bits & online.bits))
		return -EINVAL;
	return set_affinity(m->bits & online.bits) ? -EINVAL : 0;
}

void migrate_disable(void)
{
	if (!shim_this()->migrate++)
		set_affinity(BIT(smp_processor_id()));
}

void migrate_enable(void)
{
	if (!--shim_this()->migrate)
		set_affinity(online.bits);
}

/* ---- random numbers ------------------------------------------------------ */

u32 get_random_u32(void)
{
	static __thread u64 x;

	if (!x)
		x = (u64)(uintptr_t)&x ^ ktime_get_ns() ^ 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return (u32)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

/* ---- tasks --------------------------------------------------------------- */

struct shim_kthread {
	int (*fn)(void *data);
	void *data;
	int result;
	int should_stop;
	int cpu;
	pthread_t thread;
	struct completion exited;
};

static struct task_struct *task_alloc(const char *comm)
{
	struct task_struct *t = aligned_alloc(L1_CACHE_BYTES, sizeof(*t));

	if (!t)
		abort();
	memset(t, 0, sizeof(*t));
	refcount_set(&t->usage, 1);
	t->on_cpu = 1;
	strscpy(t->comm, comm, sizeof(t->comm));
	pthread_mutex_init(&t->pi_lock, NULL);
	pthread_cond_init(&t->park, NULL);
	return t;
}

struct task_struct *shim_get_current(void)
{
	struct shim_thread *s = shim_this();

	if (!s->task) {
		s->task = task_alloc("thread");
		s->owns_task = true;
	}
	return s->task;
}

void put_task_struct(struct task_struct *t)
{
	if (!refcount_dec_and_test(&t->usage))
		return;
	pthread_mutex_destroy(&t->pi_lock);
	pthread_cond_destroy(&t->park);
	free(t->kthread);
	free(t);
}

int wake_up_state(struct task_struct *t, unsigned int state)
{
	int woke = 0;

	smp_mb();	/* as try_to_wake_up(): order the caller's stores first */
	pthread_mutex_lock(&t->pi_lock);
	if (__atomic_load_n(&shim_this()->depth, __ATOMIC_RELAXED))
		t->wakes_in_rcu++;
	if (READ_ONCE(t->__state) & state) {
		WRITE_ONCE(t->__state, TASK_RUNNING);
		t->wakeups++;
		woke = 1;
		pthread_cond_signal(&t->park);
	}
	pthread_mutex_unlock(&t->pi_lock);
	return woke;
}

int wake_up_process(struct task_struct *t)
{
	return wake_up_state(t, TASK_NORMAL);
}

static void deadline_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static long ms_until(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (ts->tv_sec - now.tv_sec) * 1000 +
	       (ts->tv_nsec - now.tv_nsec) / 1000000L;
}

/*
 * Sleep while not TASK_RUNNING, at most @ms.  Return the milliseconds left
 * (at least 1) if woken, 0 if the time ran out; then, as the kernel's timer
 * would, set the task running.
 */
static long park(struct task_struct *t, long ms, bool timer)
{
	struct timespec ts;
	long left;

	deadline_after(&ts, ms);
	pthread_mutex_lock(&t->pi_lock);
	WRITE_ONCE(t->on_cpu, 0);
	while (READ_ONCE(t->__state) != TASK_RUNNING) {
		if (pthread_cond_timedwait(&t->park, &t->pi_lock, &ts) ==
		    ETIMEDOUT && READ_ONCE(t->__state) != TASK_RUNNING) {
			WRITE_ONCE(t->__state, TASK_RUNNING);
			if (timer)
				t->timeouts++;
			WRITE_ONCE(t->on_cpu, 1);
			pthread_mutex_unlock(&t->pi_lock);
			return 0;
		}
	}
	WRITE_ONCE(t->on_cpu, 1);
	pthread_mutex_unlock(&t->pi_lock);
	left = ms_until(&ts);
	return left > 0 ? left : 1;
}

static void check_schedule(const char *what)
{
	if (!preemptible())
		shim_report("BUG: %s while atomic", what);
}

void schedule(void)
{
	struct task_struct *t = current;

	check_schedule("schedule()");
	if (!park(t, shim_hang_ms, false)) {
		t->hangs++;
		shim_report("HANG: %s slept %ld ms in schedule()", t->comm,
			    shim_hang_ms);
	}
}

long schedule_timeout(long timeout)
{
	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	check_schedule("schedule_timeout()");
	return park(current, timeout < shim_hang_ms ? timeout : shim_hang_ms,
		    true);
}

void cond_resched(void)
{
	might_sleep();
	sched_yield();
}

void allow_signal(int sig)
{
	__atomic_fetch_or(&current->sig_allowed, BIT(sig), __ATOMIC_RELAXED);
}

/* As the kernel's for a kthread: only an allowed signal is delivered. */
int send_sig(int sig, struct task_struct *p, int priv)
{
	unsigned int state = TASK_INTERRUPTIBLE;

	if (!(__atomic_load_n(&p->sig_allowed, __ATOMIC_RELAXED) & BIT(sig)))
		return 0;
	__atomic_fetch_or(&p->sig_pending, BIT(sig), __ATOMIC_RELAXED);
	if (sig == SIGKILL)
		state |= TASK_WAKEKILL;
	wake_up_state(p, state);
	return 0;
}

/* ---- completions ----------------------------------------------------------- */

void init_completion(struct completion *x)
{
	x->done = 0;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
}

void reinit_completion(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = 0;
	pthread_mutex_unlock(&x->lock);
}

void complete(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->done != UINT_MAX)
		x->done++;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

void complete_all(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = UINT_MAX;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout)
{
	struct timespec ts;
	long left;

	might_sleep();
	deadline_after(&ts, timeout);
	pthread_mutex_lock(&x->lock);
	while (!x->done)
		if (pthread_cond_timedwait(&x->cond, &x->lock, &ts) ==
		    ETIMEDOUT && !x->done) {
			pthread_mutex_unlock(&x->lock);
			return 0;
		}
	if (x->done != UINT_MAX)
		x->done--;
	pthread_mutex_unlock(&x->lock);
	left = ms_until(&ts);
	return left > 0 ? left : 1;
}

void wait_for_completion(struct completion *x)
{
	while (!wait_for_completion_timeout(x, shim_hang_ms))
		shim_report("HANG: %s waited %ld ms for a completion",
			    current->comm, shim_hang_ms);
}

bool completion_done(struct completion *x)
{
	bool done;

	pthread_mutex_lock(&x->lock);
	done = x->done;
	pthread_mutex_unlock(&x->lock);
	return done;
}

/* ---- kthreads ---------------------------------------------------------------- */

/* As kthread(): sleep until the first wake_up_process(), then run. */
static void *kthread_main(void *arg)
{
	struct task_struct *t = arg;
	struct shim_kthread *k = t->kthread;
	struct shim_thread *s = shim_this();

	s->task = t;		/* the kthread's own reference: put at exit */
	s->owns_task = true;
	pthread_mutex_lock(&t->pi_lock);
	WRITE_ONCE(t->on_cpu, 0);
	while (READ_ONCE(t->__state) != TASK_RUNNING)
		pthread_cond_wait(&t->park, &t->pi_lock);
	WRITE_ONCE(t->on_cpu, 1);
	pthread_mutex_unlock(&t->pi_lock);
	if (k->cpu >= 0)
		set_affinity(BIT(k->cpu) & online.bits);
	if (__atomic_load_n(&k->should_stop, __ATOMIC_ACQUIRE))
		k->result = -EINTR;
	else
		k->result = k->fn(k->data);
	complete(&k->exited);
	return NULL;
}

struct task_struct *kthread_create(int (*fn)(void *data), void *data,
				   const char *namefmt, ...)
{
	struct shim_kthread *k = calloc(1, sizeof(*k));
	struct task_struct *t;
	char comm[16];
	va_list ap;

	if (!k)
		return ERR_PTR(-ENOMEM);
	va_start(ap, namefmt);
	vsnprintf(comm, sizeof(comm), namefmt, ap);
	va_end(ap);
	t = task_alloc(comm);
	t->__state = TASK_UNINTERRUPTIBLE;
	t->kthread = k;
	k->fn = fn;
	k->data = data;
	k->cpu = -1;
	init_completion(&k->exited);
	if (pthread_create(&k->thread, NULL, kthread_main, t)) {
		t->kthread = NULL;
		free(k);
		put_task_struct(t);
		return ERR_PTR(-EAGAIN);
	}
	return t;
}

void kthread_bind(struct task_struct *t, unsigned int cpu)
{
	t->kthread->cpu = cpu;
}

bool kthread_should_stop(void)
{
	struct task_struct *t = current;

	return t->kthread &&
	       __atomic_load_n(&t->kthread->should_stop, __ATOMIC_ACQUIRE);
}

int kthread_stop(struct task_struct *t)
{
	struct shim_kthread *k = t->kthread;
	int ret;

	get_task_struct(t);
	/* ordered after what came before, as by the kernel's barriers */
	__atomic_store_n(&k->should_stop, 1, __ATOMIC_RELEASE);
	wake_up_process(t);
	wait_for_completion(&k->exited);
	ret = k->result;
	pthread_join(k->thread, NULL);
	put_task_struct(t);
	return ret;
}

int kthread_stop_put(struct task_struct *t)
{
	int ret = kthread_stop(t);

	put_task_struct(t);
	return ret;
}

/* ---- wait queues ------------------------------------------------------------- */

struct wait_queue_head shim_var_wq = {
	.lock = __SHIM_LOCK_UNLOCKED,
	.head = { &shim_var_wq.head, &shim_var_wq.head },
};

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name,
			   struct lock_class_key *key)
{
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->head);
}

int default_wake_function(struct wait_queue_entry *wqe, unsigned int mode,
			  int flags, void *key)
{
	return wake_up_state(wqe->private, mode);
}

int autoremove_wake_function(struct wait_queue_entry *wqe, unsigned int mode,
			     int flags, void *key)
{
	int ret = default_wake_function(wqe, mode, flags, key);

	if (ret)
		list_del_init(&wqe->entry);
	return ret;
}

void init_wait_entry(struct wait_queue_entry *wqe, int flags)
{
	wqe->flags = flags;
	wqe->private = current;
	wqe->func = autoremove_wake_function;
	INIT_LIST_HEAD(&wqe->entry);
}

void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wqe)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_add_tail(&wqe->entry, &wq->head);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void remove_wait_queue(struct wait_queue_head *wq,
		       struct wait_queue_entry *wqe)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&wqe->entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

long prepare_to_wait_event(struct wait_queue_head *wq,
			   struct wait_queue_entry *wqe, int state)
{
	unsigned long flags;
	long ret = 0;

	spin_lock_irqsave(&wq->lock, flags);
	if (signal_pending_state(state, current)) {
		list_del_init(&wqe->entry);
		ret = -ERESTARTSYS;
	} else {
		if (list_empty(&wqe->entry))
			list_add_tail(&wqe->entry, &wq->head);
		set_current_state(state);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	return ret;
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&wqe->entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr,
	       void *key)
{
	struct list_head *pos, *next;
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	for (pos = wq->head.next; pos != &wq->head; pos = next) {
		struct wait_queue_entry *wqe =
			container_of(pos, struct wait_queue_entry, entry);

		next = pos->next;
		if (wqe->func(wqe, mode, 0, key) < 0)
			break;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}
