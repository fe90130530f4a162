/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * futex(2), clone and thread calls at their edges, by raw system calls.
 * Part 1 (no threads) prints what Linux gives, errno for errno.  Part 2
 * needs threads to wait at known points: threads run only where another
 * blocks (docs/DESIGN.md), so its output is exact under tinykvm-run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint32_t word, word2;

static long
fx(void *addr, long op, long val, const void *ts_or_val2, void *addr2, long val3)
{
	long r = syscall(SYS_futex, addr, op, val, ts_or_val2, addr2, val3);
	return r < 0 ? -errno : r;
}

static const char *
err(long r)
{
	static char buf[32];
	switch (r) {
	case -EAGAIN: return "EAGAIN";
	case -EINVAL: return "EINVAL";
	case -EFAULT: return "EFAULT";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case -ENOSYS: return "ENOSYS";
	case -ESRCH: return "ESRCH";
	case -E2BIG: return "E2BIG";
	}
	snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

static double
now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
abs_in(clockid_t c, long ms, struct timespec *ts)
{
	clock_gettime(c, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static void
part1(void)
{
	struct timespec rel = { 0, 50 * 1000000L }, bad = { 0, 1000000000L };
	struct timespec abs;
	double t0;
	long r;

	word = 7;
	printf("wait changed: %s\n", err(fx(&word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0)));
	printf("wait unaligned: %s\n", err(fx((char *)&word + 1, FUTEX_WAIT, 7, NULL, NULL, 0)));
	printf("wait null: %s\n", err(fx(NULL, FUTEX_WAIT, 0, NULL, NULL, 0)));
	printf("wait high: %s\n", err(fx((void *)(1UL << 46), FUTEX_WAIT, 0, NULL, NULL, 0)));
	printf("wait bad timeout pointer: %s\n", err(fx(&word, FUTEX_WAIT, 7, (void *)16, NULL, 0)));
	printf("wait bad timeout: %s\n", err(fx(&word, FUTEX_WAIT, 7, &bad, NULL, 0)));
	t0 = now_s(CLOCK_MONOTONIC);
	r = fx(&word, FUTEX_WAIT_PRIVATE, 7, &rel, NULL, 0);
	printf("wait 50 ms: %s, waited enough: %s\n", err(r),
	    now_s(CLOCK_MONOTONIC) - t0 >= 0.05 ? "yes" : "no");
	abs_in(CLOCK_MONOTONIC, 30, &abs);
	r = fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset monotonic: %s, until the deadline: %s\n", err(r),
	    now_s(CLOCK_MONOTONIC) >= abs.tv_sec + abs.tv_nsec / 1e9 ? "yes" : "no");
	abs_in(CLOCK_REALTIME, 30, &abs);
	r = fx(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &abs, NULL,
	    FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset realtime: %s, until the deadline: %s\n", err(r),
	    now_s(CLOCK_REALTIME) >= abs.tv_sec + abs.tv_nsec / 1e9 ? "yes" : "no");
	abs.tv_sec = 1; abs.tv_nsec = 0;
	printf("wait_bitset in the past: %s\n", err(fx(&word, FUTEX_WAIT_BITSET, 7, &abs, NULL, ~0L)));
	printf("wait_bitset 0: %s\n", err(fx(&word, FUTEX_WAIT_BITSET, 7, NULL, NULL, 0)));
	printf("wake nobody: %s\n", err(fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
	printf("wake unaligned: %s\n", err(fx((char *)&word + 2, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("wake_bitset 0: %s\n", err(fx(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0)));
	printf("wake realtime: %s\n", err(fx(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
	printf("op 99: %s\n", err(fx(&word, 99, 0, NULL, NULL, 0)));
	printf("cmp_requeue changed: %s\n", err(fx(&word, FUTEX_CMP_REQUEUE, 1, (void *)1, &word2, 8)));
	printf("cmp_requeue negative: %s\n", err(fx(&word, FUTEX_CMP_REQUEUE, -1, (void *)1, &word2, 7)));
	printf("cmp_requeue bad second: %s\n", err(fx(&word, FUTEX_CMP_REQUEUE, 1, (void *)1, NULL, 7)));
	printf("requeue nobody: %s\n", err(fx(&word, FUTEX_REQUEUE, 1, (void *)1, &word2, 0)));
	word2 = 5;
	r = fx(&word, FUTEX_WAKE_OP, 1, (void *)1, &word2,
	    FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5));
	printf("wake_op add: %s, word2 %u\n", err(r), word2);
	r = fx(&word, FUTEX_WAKE_OP, 1, (void *)1, &word2,
	    FUTEX_OP((FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR), 4, FUTEX_OP_CMP_GT, 1));
	printf("wake_op or shifted: %s, word2 %u\n", err(r), word2);
	printf("wake_op bad op: %s\n", err(fx(&word, FUTEX_WAKE_OP, 1, (void *)1, &word2, (long)(6u << 28))));
	r = fx(&word, FUTEX_WAKE_OP, 1, (void *)1, &word2,
	    FUTEX_OP(FUTEX_OP_SET, 3, 9, 0));
	printf("wake_op bad cmp: %s, word2 %u\n", err(r), word2);
	printf("wake_op bad second: %s\n", err(fx(&word, FUTEX_WAKE_OP, 1, (void *)1, NULL, 0)));
	r = syscall(SYS_clone, CLONE_THREAD | CLONE_VM, NULL, NULL, NULL, 0);
	printf("clone thread without sighand: %s\n", err(r < 0 ? -errno : r));
	r = syscall(SYS_clone3, &abs, 8);
	printf("clone3 size 8: %s\n", err(r < 0 ? -errno : r));
	printf("tgkill no such thread: %s\n", err(syscall(SYS_tgkill, getpid(), 99999, 0) < 0 ? -errno : 0));
	printf("tgkill self 0: %s\n", err(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) < 0 ? -errno : 0));
	printf("tkill bad: %s\n", err(syscall(SYS_tkill, -5, 0) < 0 ? -errno : 0));
	printf("gettid is pid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
}

static uint32_t wa, wb, bitword;
static volatile int ready;

static void *
bit_waiter(void *arg)
{
	long r = fx(&bitword, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, (long)arg);
	printf("bit waiter %ld woke: %s\n", (long)arg, err(r));
	return NULL;
}

static void *
a_waiter(void *arg)
{
	long r = fx(&wa, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	printf("waiter %ld woke: %s\n", (long)arg, err(r));
	return NULL;
}

static void *
forever_waiter(void *arg)
{
	struct timespec huge = { 0x7fffffffffffffffL, 999999999L };
	(void)arg;
	printf("forever waiter woke: %s\n",
	    err(fx(&wb, FUTEX_WAIT_PRIVATE, 0, &huge, NULL, 0)));
	return NULL;
}

static void *
timed_waker(void *arg)
{
	struct timespec rel = { 0, 20 * 1000000L };
	(void)arg;
	/* Every other thread waits without a timeout meanwhile. */
	printf("timed waiter: %s\n", err(fx(&wb, FUTEX_WAIT, 0, &rel, NULL, 0)));
	wb = 1;
	fx(&wb, FUTEX_WAKE, 1, NULL, NULL, 0);
	return NULL;
}

static pthread_mutex_t robust;

static void *
robust_owner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL;	/* exits holding it */
}

static void *
sleeper(void *arg)
{
	struct timespec ts = { 0, 10 * 1000000L };
	(void)arg;
	nanosleep(&ts, NULL);
	ready = 1;
	return NULL;
}

static void
part2(void)
{
	pthread_t t[4];
	pthread_mutexattr_t ma;
	long r;

	printf("fork: %s\n", fork() < 0 ? strerror(errno) : "forked");
	/* Bitsets: waiters with bitsets 1 and 2. */
	pthread_create(&t[0], NULL, bit_waiter, (void *)1L);
	pthread_create(&t[1], NULL, bit_waiter, (void *)2L);
	sched_yield();		/* both wait now */
	printf("wake bitset 4: %s\n", err(fx(&bitword, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, 4)));
	printf("wake bitset 2: %s\n", err(fx(&bitword, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, 2)));
	pthread_join(t[1], NULL);
	printf("wake bitset 3: %s\n", err(fx(&bitword, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, 3)));
	pthread_join(t[0], NULL);

	/* Requeue: three waiters on wa, one woken, two moved to wb. */
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, a_waiter, (void *)i);
	sched_yield();
	r = fx(&wa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &wb, 0);
	printf("cmp_requeue: %s\n", err(r));
	sched_yield();		/* the woken one runs */
	printf("wake on wa after requeue: %s\n", err(fx(&wa, FUTEX_WAKE, 9, NULL, NULL, 0)));
	printf("wake on wb: %s\n", err(fx(&wb, FUTEX_WAKE, 9, NULL, NULL, 0)));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	/* Requeued onto the same futex, with a huge count: counted, kept. */
	for (long i = 3; i < 5; i++)
		pthread_create(&t[i - 3], NULL, a_waiter, (void *)i);
	sched_yield();
	r = fx(&wa, FUTEX_REQUEUE, 0, (void *)0x7fffffffL, &wa, 0);
	printf("requeue onto itself: %s\n", err(r));
	printf("wake them: %s\n", err(fx(&wa, FUTEX_WAKE, 9, NULL, NULL, 0)));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* A timeout of ~2^63 s is no timeout, and a wake ends it. */
	pthread_create(&t[0], NULL, forever_waiter, NULL);
	sched_yield();
	printf("wake the forever waiter: %s\n", err(fx(&wb, FUTEX_WAKE, 1, NULL, NULL, 0)));
	pthread_join(t[0], NULL);

	/* Main waits with no timeout; the other thread's timeout wakes it. */
	wb = 0;
	pthread_create(&t[0], NULL, timed_waker, NULL);
	while (wb == 0)
		fx(&wb, FUTEX_WAIT, 0, NULL, NULL, 0);
	pthread_join(t[0], NULL);
	printf("main woken by the timed thread\n");

	/* A robust mutex whose owner exits. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	pthread_create(&t[0], NULL, robust_owner, NULL);
	pthread_join(t[0], NULL);
	r = pthread_mutex_lock(&robust);
	printf("robust lock: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror((int)r));
	pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);

	/* nanosleep in a thread while main yields. */
	pthread_create(&t[0], NULL, sleeper, NULL);
	while (!ready)
		sched_yield();
	pthread_join(t[0], NULL);
	printf("sleeper done\n");
	printf("tgkill other thread 0: ");
	pthread_create(&t[0], NULL, a_waiter, (void *)9L);
	sched_yield();
	printf("%s\n", err(pthread_kill(t[0], 0) ? -ESRCH : 0));
	fx(&wa, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_join(t[0], NULL);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || strcmp(argv[1], "2") != 0)
		part1();
	if (argc < 2 || strcmp(argv[1], "1") != 0)
		part2();
	return 0;
}
