/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads: 4 pthreads share a counter under a mutex and hand work over
 * with a condition variable; thread-local storage, floating point and SSE
 * state per thread; joins; gettid differs per thread.  The output does not
 * depend on the order threads run in, so it equals a native run's.
 * Other modes, by argv[1]: "bomb" starts threads until that fails,
 * "deadlock" joins a thread that waits for a mutex main holds, "vector"
 * checks vector registers and the rounding mode per thread across
 * switches, "mainexit" ends the main thread first, "groupexit" ends the
 * process from a thread.
 */
#include <fenv.h>
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

static void *
idle(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void *
take_lock(void *arg)
{
	pthread_mutex_lock(&lock);
	return arg;
}

/* xmm8 and ymm15 hold a pattern across a raw sched_yield, in which the
 * other threads run and load theirs; the rounding mode is per thread. */
static void *
vector(void *arg)
{
	unsigned long id = (unsigned long)arg, in[4], out[4] = { 0 };
	unsigned long ymm_in[4], ymm_out[4] = { 0 };
	long nr = SYS_sched_yield;
	const int modes[] = { FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
	int ok = 1;

	fesetround(modes[id % 3]);
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 4; k++) {
			in[k] = id * 0x1111111111111111UL + round + k;
			ymm_in[k] = ~in[k];
		}
		__asm__ volatile(
		    "movdqu (%2), %%xmm8\n\t"
		    "vmovdqu (%3), %%ymm15\n\t"
		    "syscall\n\t"
		    "movdqu %%xmm8, (%4)\n\t"
		    "vmovdqu %%ymm15, (%5)\n\t"
		    : "+a"(nr)
		    : "a"(nr), "r"(in), "r"(ymm_in), "r"(out), "r"(ymm_out)
		    : "rcx", "r11", "xmm8", "xmm15", "memory");
		nr = SYS_sched_yield;
		if (memcmp(in, out, 16) != 0 || memcmp(ymm_in, ymm_out, 32) != 0)
			ok = 0;
		if (fegetround() != modes[id % 3])
			ok = 0;
	}
	return (void *)(long)ok;
}

static void *
last_word(void *arg)
{
	struct timespec ts = { 0, 1000000L };
	nanosleep(&ts, NULL);
	printf("worker outlives main\n");
	fflush(stdout);
	exit((int)(long)arg);
}

static int
modes(const char *mode)
{
	pthread_t th[NTHREADS];
	pthread_attr_t small;
	int n = 0, r;

	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, 64 * 1024);
	if (strcmp(mode, "bomb") == 0) {
		pthread_t x;
		while ((r = pthread_create(&x, &small, idle, NULL)) == 0)
			n++;
		printf("bomb: %d threads, then %s\n", n, strerror(r));
		fflush(stdout);
		_exit(0);	/* exit_group with threads still waiting */
	}
	if (strcmp(mode, "deadlock") == 0) {
		pthread_mutex_lock(&lock);
		pthread_create(&th[0], &small, take_lock, NULL);
		pthread_join(th[0], NULL);
		printf("joined?\n");
		return 0;
	}
	if (strcmp(mode, "vector") == 0) {
		for (long i = 0; i < 3; i++)
			pthread_create(&th[i], &small, vector, (void *)(i + 1));
		for (int i = 0; i < 3; i++) {
			void *ok;
			pthread_join(th[i], &ok);
			printf("vector thread %d: %s\n", i, ok ? "kept" : "LOST");
		}
		printf("main rounding: %s\n", fegetround() == FE_TONEAREST ?
		    "nearest" : "changed");
		return 0;
	}
	if (strcmp(mode, "mainexit") == 0 || strcmp(mode, "groupexit") == 0) {
		pthread_create(&th[0], &small, last_word, (void *)7L);
		if (mode[0] == 'm')
			pthread_exit(NULL);
		pthread_join(th[0], NULL);
		return 1;
	}
	return 2;
}

int
main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	int distinct = 1;

	if (argc > 1)
		return modes(argv[1]);
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
