/* SPDX-License-Identifier: BSD-2-Clause */
/* Threads that wait on emulated fds: a poll and reads of a pipe and an
 * eventfd that other threads (one sleeping first, one yielding) satisfy. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
static int p[2], efd;
static void *writer(void *a)
{
	struct timespec ts = { 0, 20000000 };
	(void)a;
	nanosleep(&ts, NULL);
	write(p[1], "hello", 5);
	for (int i = 0; i < 3; i++) {
		sched_yield();
		uint64_t one = 1;
		write(efd, &one, 8);
	}
	return NULL;
}
static void *spinner(void *a)
{
	volatile unsigned long n = 0;
	(void)a;
	for (int i = 0; i < 5; i++) { n++; sched_yield(); }
	return NULL;
}
int main(void)
{
	pthread_t w, s;
	char buf[16] = { 0 };
	pipe(p);
	efd = eventfd(0, 0);
	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&s, NULL, spinner, NULL);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	int r = poll(&pfd, 1, -1);
	printf("poll=%d revents=%x\n", r, pfd.revents);
	printf("read=%zd %s\n", read(p[0], buf, sizeof buf), buf);
	uint64_t total = 0, v;
	while (total < 3) { read(efd, &v, 8); total += v; }
	printf("eventfd total=%llu\n", (unsigned long long)total);
	pthread_join(w, NULL);
	pthread_join(s, NULL);
	printf("done\n");
	return 0;
}
