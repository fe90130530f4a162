/* SPDX-License-Identifier: BSD-2-Clause */
/* Threads that wait on emulated fds: a poll and reads of a pipe and an
 * eventfd that other threads (one sleeping first, one yielding) satisfy;
 * then timed waits (poll, ppoll, select, epoll_wait) that nothing
 * satisfies while another thread waits with no timeout: each ends at
 * its own timeout, however often the threads switch meanwhile. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
static int p[2], efd, q[2], idle[2];
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
static void *blocker(void *a)
{
	struct pollfd pfd = { .fd = q[0], .events = POLLIN };
	char c;
	(void)a;
	poll(&pfd, 1, -1);	/* until main writes, after its timed waits */
	read(q[0], &c, 1);
	return NULL;
}
static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}
static void timed_waits(void)
{
	struct pollfd pfd = { .fd = idle[0], .events = POLLIN };
	struct timespec t0, ts = { 0, 80000000 };
	struct timeval tv = { 0, 80000 };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0), r;
	fd_set set;
	pthread_t b;
	epoll_ctl(ep, EPOLL_CTL_ADD, idle[0], &ev);
	pthread_create(&b, NULL, blocker, NULL);
	sched_yield();		/* the blocker is in its poll */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(&pfd, 1, 80);
	printf("poll 80 ms beside a blocked thread: %d, waited enough: %s\n", r,
	    ms_since(&t0) >= 79 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ppoll(&pfd, 1, &ts, NULL);
	printf("ppoll 80 ms: %d, waited enough: %s\n", r,
	    ms_since(&t0) >= 79 ? "yes" : "no");
	FD_ZERO(&set);
	FD_SET(idle[0], &set);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = select(idle[0] + 1, &set, NULL, NULL, &tv);
	printf("select 80 ms: %d, waited enough: %s\n", r,
	    ms_since(&t0) >= 79 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = epoll_wait(ep, &out, 1, 80);
	printf("epoll_wait 80 ms: %d, waited enough: %s\n", r,
	    ms_since(&t0) >= 79 ? "yes" : "no");
	write(q[1], "x", 1);
	pthread_join(b, NULL);
	close(ep);
}
/* Two threads that each wait on a pipe nobody writes: a deadlock. */
static void *reader(void *a)
{
	struct pollfd pfd = { .fd = *(int *)a, .events = POLLIN };
	poll(&pfd, 1, -1);
	return NULL;
}
static int deadlock_on_fds(void)
{
	pthread_t t;
	pipe(p);
	pthread_create(&t, NULL, reader, &p[0]);
	reader(&p[0]);
	return 0;
}
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "deadlock") == 0)
		return deadlock_on_fds();
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
	pipe(q);
	pipe(idle);
	timed_waits();
	printf("done\n");
	return 0;
}
