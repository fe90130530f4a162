/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads in a request program.  Initialization starts a pool of three
 * workers that wait on a condition variable; they are in the snapshot
 * every request VM starts from.  By URL:
 *   /pool      hands a job to the pool and waits for its result
 *   /spawn     starts four threads of its own and joins them
 *   /bomb      starts threads until clone fails, and says how many and why
 *   /spin      leaves a thread yielding in a loop when it responds
 *   /deadlock  joins a thread that waits for a mutex the joiner holds
 *   /hog       joins a thread that spins without a system call
 *   /badstack  starts a raw thread whose stack is at 0x10
 * Each response shows what a previous request could have left behind:
 * jobs done by the pool, the thread ids it hands out, thread-locals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <tinykvm/kvm_api.h>

#define POOL 3

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int job = -1, result, jobs_done, served_by;
static long pool_tid[POOL];
static __thread int mine = 0;
static volatile int stop_spinning;

static void *
pool_worker(void *arg)
{
	int id = (int)(long)arg;

	pool_tid[id] = syscall(SYS_gettid);
	pthread_mutex_lock(&lock);
	for (;;) {
		while (job < 0)
			pthread_cond_wait(&work_cv, &lock);
		mine++;
		result = job * job + mine * 1000;
		served_by = id;
		jobs_done++;
		job = -1;
		pthread_cond_broadcast(&done_cv);
	}
	return NULL;
}

static void *
square(void *arg)
{
	long v = (long)arg;
	mine = (int)v;
	return (void *)(v * v + syscall(SYS_gettid) * 1000);
}

static void *
idle(void *arg)
{
	(void)arg;
	return NULL;
}

static void *
yielder(void *arg)
{
	(void)arg;
	while (!stop_spinning)
		sched_yield();
	return NULL;
}

static void *
locker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	return NULL;
}

static void *
hog(void *arg)
{
	(void)arg;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return NULL;
}

static void
respond(const char *text)
{
	backend_response_str(200, "text/plain", text);
}

static void
on_get(const char *url, const char *arg)
{
	char out[512];
	pthread_t t[4];
	pthread_attr_t small;
	int n = 0, r = 0;

	(void)arg;
	if (strcmp(url, "/pool") == 0) {
		pthread_mutex_lock(&lock);
		job = 7;
		pthread_cond_signal(&work_cv);
		while (job >= 0)
			pthread_cond_wait(&done_cv, &lock);
		snprintf(out, sizeof out, "pool: result %d jobs %d by %d tids %ld %ld "
		    "%ld mine %d", result, jobs_done, served_by, pool_tid[0],
		    pool_tid[1], pool_tid[2], mine);
		pthread_mutex_unlock(&lock);
	} else if (strcmp(url, "/spawn") == 0) {
		long sum = 0;
		for (long i = 0; i < 4; i++)
			if ((r = pthread_create(&t[i], NULL, square,
			    (void *)(i + 1))) != 0) {
				snprintf(out, sizeof out, "spawn: %s", strerror(r));
				respond(out);
				return;
			}
		for (int i = 0; i < 4; i++) {
			void *ret;
			pthread_join(t[i], &ret);
			sum += (long)ret;
		}
		snprintf(out, sizeof out, "spawn: sum %ld mine %d", sum, mine);
	} else if (strcmp(url, "/bomb") == 0) {
		pthread_attr_init(&small);
		pthread_attr_setstacksize(&small, 64 * 1024);
		for (;;) {
			pthread_t x;
			if ((r = pthread_create(&x, &small, yielder, NULL)) != 0)
				break;
			n++;
		}
		snprintf(out, sizeof out, "bomb: %d threads, then %s", n, strerror(r));
	} else if (strcmp(url, "/spin") == 0) {
		pthread_create(&t[0], NULL, yielder, NULL);
		for (int i = 0; i < 3; i++)
			sched_yield();
		snprintf(out, sizeof out, "spin: responded");
	} else if (strcmp(url, "/deadlock") == 0) {
		pthread_mutex_lock(&lock);
		pthread_create(&t[0], NULL, locker, NULL);
		pthread_join(t[0], NULL);
		snprintf(out, sizeof out, "deadlock: joined?");
	} else if (strcmp(url, "/badstack") == 0) {
		/* A raw thread on a stack at 0x10: it faults when it runs. */
		long tid = syscall(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES |
		    CLONE_SIGHAND | CLONE_THREAD, (void *)0x10, NULL, NULL, 0);
		if (tid > 0)
			sched_yield();
		snprintf(out, sizeof out, "badstack: %ld", tid);
	} else if (strcmp(url, "/hog") == 0) {
		pthread_create(&t[0], NULL, hog, NULL);
		pthread_join(t[0], NULL);
		snprintf(out, sizeof out, "hog: joined?");
	} else {
		pthread_create(&t[0], NULL, idle, NULL);
		pthread_join(t[0], NULL);
		snprintf(out, sizeof out, "unknown %s", url);
	}
	respond(out);
}

int
main(void)
{
	pthread_t t;
	pthread_attr_t attr;

	/* Small stacks: 8 MiB ones would fill the 64 MiB of memory, and
	 * glibc zeroes most of a stack (MADV_DONTNEED) when its thread ends. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_setattr_default_np(&attr);
	for (long i = 0; i < POOL; i++)
		pthread_create(&t, NULL, pool_worker, (void *)i);
	/* Every worker waits before the snapshot. */
	for (;;) {
		pthread_mutex_lock(&lock);
		int all = pool_tid[0] && pool_tid[1] && pool_tid[2];
		pthread_mutex_unlock(&lock);
		if (all)
			break;
		sched_yield();
	}
	set_backend_get(on_get);
	wait_for_requests();
}
