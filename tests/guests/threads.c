/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads: 4 pthreads share a counter under a mutex and hand work over
 * with a condition variable; thread-local storage, floating point and SSE
 * state per thread; joins; gettid differs per thread.  The output does not
 * depend on the order threads run in, so it equals a native run's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define NTHREADS 4
#define ROUNDS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;		/* whose turn it is in the relay */
static int relay[NTHREADS * 3];
static int nrelay;
static __thread int tls_value;
static long tids[NTHREADS];

static void *
worker(void *arg)
{
	int id = (int)(long)arg;
	volatile double acc = id;

	tls_value = id * 100;
	tids[id] = syscall(SYS_gettid);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter += id + 1;
		pthread_mutex_unlock(&lock);
		acc = acc * 1.5 + 0.25;
		if (i % 100 == 0)
			sched_yield();
	}
	/* A relay: each thread waits for its turn three times. */
	for (int r = 0; r < 3; r++) {
		pthread_mutex_lock(&lock);
		while (turn % NTHREADS != id)
			pthread_cond_wait(&cond, &lock);
		relay[nrelay++] = id;
		turn++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	if (tls_value != id * 100)
		return (void *)-1L;
	return (void *)(long)(acc > 0 ? id + 10 : -1);
}

int
main(void)
{
	pthread_t th[NTHREADS];
	int distinct = 1;

	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		printf("thread %d returned %ld\n", i, (long)ret);
	}
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				distinct = 0;
	printf("counter %ld\n", counter);
	printf("relay");
	for (int i = 0; i < nrelay; i++)
		printf(" %d", relay[i]);
	printf("\ntids distinct %s\n", distinct ? "yes" : "no");
	return 0;
}
