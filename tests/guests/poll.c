/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Waiting on fds (tests/engine/poll.sh): each mode prints what the calls
 * return, the same under tinykvm-run as natively (stdin is empty there:
 * the test gives the native run </dev/null).
 *   basic    poll/ppoll/select/pselect6 on the console, pipes, eventfd
 *   epoll    epoll_ctl/epoll_wait: level, EPOLLET, EPOLLONESHOT, errors
 *   timerfd  timerfd_settime/gettime, read, poll and epoll wake at expiry
 *   pipe     pipe2 flags, EOF, EPIPE + SIGPIPE, fcntl O_NONBLOCK, dup
 *   limit    pipes until EMFILE (the fd table limit)
 *   timeout  poll with a timeout and nothing ready returns 0
 *   block    read from an empty pipe, nobody else: never returns
 *   forever  poll(NULL, 0, -1): never returns
 *   sigpoll  ppoll whose mask unblocks a pending signal: EINTR
 *   sigsuspend  the same with sigsuspend
 *   pause    pause() with no signal pending: never returns
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A call's result and, when it failed, errno's name. */
#define SHOW(label, expr) do { \
	long r_ = (long)(expr); \
	printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "-"); \
} while (0)

static int *volatile bad_address = (int *)8;
static volatile nfds_t too_many = 100000;	/* the compiler must not see it */

static int
mode_basic(void)
{
	struct pollfd p[4];
	int fds[2], efd, n;
	fd_set rd, wr;
	struct timeval tv = { 0, 0 };
	struct timespec ts = { 0, 0 };
	uint64_t v;

	/* Rust's start-up check: events 0 on fds 0-2, plus a closed one. */
	for (int i = 0; i < 4; i++)
		p[i] = (struct pollfd){ .fd = i == 3 ? 40 : i, .events = 0 };
	n = poll(p, 4, 0);
	printf("poll std: n=%d revents=%d,%d,%d,%#x\n", n, p[0].revents,
	    p[1].revents, p[2].revents, p[3].revents);
	p[0] = (struct pollfd){ 1, POLLOUT, 0 };
	p[1] = (struct pollfd){ -1, POLLIN, 0 };
	n = poll(p, 2, -1);
	printf("poll stdout: n=%d revents=%#x,%d\n", n, p[0].revents, p[1].revents);

	pipe(fds);
	efd = eventfd(0, 0);
	p[0] = (struct pollfd){ fds[0], POLLIN, 0 };
	p[1] = (struct pollfd){ fds[1], POLLOUT | POLLIN, 0 };
	p[2] = (struct pollfd){ efd, POLLIN | POLLOUT, 0 };
	n = poll(p, 3, 0);
	printf("empty: n=%d %#x %#x %#x\n", n, p[0].revents, p[1].revents,
	    p[2].revents);
	write(fds[1], "abc", 3);
	v = 5;
	write(efd, &v, 8);
	n = ppoll(p, 3, &ts, NULL);
	printf("filled: n=%d %#x %#x %#x\n", n, p[0].revents, p[1].revents,
	    p[2].revents);
	p[0].events = POLLRDNORM;
	p[1].events = POLLWRNORM;
	n = poll(p, 2, 0);
	printf("normal data: n=%d %#x %#x\n", n, p[0].revents, p[1].revents);

	FD_ZERO(&rd); FD_ZERO(&wr);
	FD_SET(fds[0], &rd); FD_SET(efd, &rd); FD_SET(1, &wr);
	n = select(efd + 1, &rd, &wr, NULL, &tv);
	printf("select: n=%d rd=%d,%d wr=%d\n", n, FD_ISSET(fds[0], &rd),
	    FD_ISSET(efd, &rd), FD_ISSET(1, &wr));
	read(efd, &v, 8);
	printf("eventfd read: %llu\n", (unsigned long long)v);
	FD_ZERO(&rd);
	FD_SET(efd, &rd);
	n = pselect(efd + 1, &rd, NULL, NULL, &ts, NULL);
	printf("pselect drained: n=%d rd=%d\n", n, FD_ISSET(efd, &rd));
	FD_ZERO(&rd);
	FD_SET(45, &rd);
	n = select(46, &rd, NULL, NULL, &tv);
	printf("select closed fd: n=%d errno=%s\n", n, errno == EBADF ? "EBADF" : "?");
	/* glibc's select() is pselect6: SYS_select itself, as musl calls it. */
	FD_ZERO(&rd); FD_ZERO(&wr);
	FD_SET(fds[0], &rd); FD_SET(efd, &rd); FD_SET(1, &wr);
	tv = (struct timeval){ 1, 0 };
	n = (int)syscall(SYS_select, efd + 1, &rd, &wr, NULL, &tv);
	printf("SYS_select: n=%d rd=%d,%d wr=%d tv_left=%d\n", n,
	    FD_ISSET(fds[0], &rd), FD_ISSET(efd, &rd), FD_ISSET(1, &wr),
	    tv.tv_sec == 1 || (tv.tv_sec == 0 && tv.tv_usec > 900000));
	SHOW("SYS_select bad timeout", syscall(SYS_select, 1, NULL, NULL, NULL,
	    &(struct timeval){ 0, 2000000 }));
	tv = (struct timeval){ 0, 0 };
	SHOW("select nfds past the table", select(5000, NULL, NULL, NULL, &tv));
	SHOW("select bad timeout", select(1, NULL, NULL, NULL,
	    &(struct timeval){ 0, 2000000 }));
	SHOW("poll bad address", poll((struct pollfd *)bad_address, 1, 0));
	close(fds[1]);
	p[0] = (struct pollfd){ fds[0], POLLIN, 0 };
	n = poll(p, 1, 0);
	printf("writer closed: n=%d %#x\n", n, p[0].revents);
	errno = 0;
	n = poll(p, too_many, 0);
	printf("poll nfds too big: n=%d errno=%s\n", n, errno == EINVAL ? "EINVAL" : "?");

	int sfd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	read(sfd, &v, 8);
	printf("semaphore: %llu", (unsigned long long)v);
	read(sfd, &v, 8);
	printf(" %llu", (unsigned long long)v);
	n = (int)read(sfd, &v, 8);
	printf(" then %d %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
	return 0;
}

static int
mode_epoll(void)
{
	struct epoll_event ev, out[8];
	int ep = epoll_create1(EPOLL_CLOEXEC), fds[2], efd = eventfd(0, 0), n;
	uint64_t v = 1;
	char buf[8];

	pipe2(fds, O_NONBLOCK);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 100 };
	SHOW("add pipe", epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev));
	SHOW("add again", epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 200 };
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	ev = (struct epoll_event){ .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = 300 };
	epoll_ctl(ep, EPOLL_CTL_ADD, 1, &ev);
	SHOW("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	SHOW("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, fds[1], NULL));
	SHOW("bad op", epoll_ctl(ep, 99, fds[0], &ev));
	SHOW("not epoll", epoll_ctl(fds[0], EPOLL_CTL_ADD, efd, &ev));
	SHOW("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 50, &ev));

	n = epoll_wait(ep, out, 8, 0);
	printf("wait 1: n=%d", n);
	for (int i = 0; i < n; i++)
		printf(" %llu:%#x", (unsigned long long)out[i].data.u64, out[i].events);
	n = epoll_wait(ep, out, 8, 0);
	printf("\nwait 2 (oneshot spent): n=%d\n", n);
	write(fds[1], "xy", 2);
	write(efd, &v, 8);
	for (int round = 3; round <= 4; round++) {
		n = epoll_wait(ep, out, 8, 0);
		unsigned long long sum = 0;
		for (int i = 0; i < n; i++)
			sum += out[i].data.u64;
		printf("wait %d: n=%d sum=%llu\n", round, n, sum);
	}
	read(fds[0], buf, sizeof buf);
	n = epoll_wait(ep, out, 8, 0);
	printf("drained pipe: n=%d\n", n);
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 301 };
	epoll_ctl(ep, EPOLL_CTL_MOD, 1, &ev);
	n = epoll_pwait(ep, out, 8, 0, NULL);
	printf("re-armed: n=%d data=%llu\n", n, n ? (unsigned long long)out[0].data.u64 : 0);
	{
		/* epoll_pwait2: a timespec timeout, checked before the wait. */
		struct timespec zero = { 0, 0 }, bad = { 0, 1000000000 };
		uint64_t none = 0;
		n = (int)syscall(SYS_epoll_pwait2, ep, out, 8, &zero, &none, 8);
		printf("pwait2: n=%d data=%llu\n", n, n > 0 ?
		    (unsigned long long)out[0].data.u64 : 0);
		SHOW("pwait2 bad timespec", syscall(SYS_epoll_pwait2, ep, out, 8,
		    &bad, NULL, 8));
		SHOW("pwait2 bad pointer", syscall(SYS_epoll_pwait2, ep, out, 8,
		    (void *)16, NULL, 8));
		SHOW("pwait2 bad sigsetsize", syscall(SYS_epoll_pwait2, ep, out, 8,
		    &zero, &none, 4));
	}
	close(fds[1]);
	n = epoll_wait(ep, out, 8, 0);
	printf("hup: n=%d\n", n);
	for (uint64_t d = 0; d < 400; d++)	/* in data order: Linux's is its own */
		for (int i = 0; i < n; i++)
			if (out[i].data.u64 == d)
				printf("  %llu:%#x\n", (unsigned long long)d,
				    out[i].events);
	SHOW("bad maxevents", epoll_wait(ep, out, 0, 0));
	close(fds[0]);
	epoll_ctl(ep, EPOLL_CTL_DEL, 1, NULL);
	n = epoll_wait(ep, out, 8, 0);
	printf("after close: n=%d\n", n);
	return 0;
}

static int
mode_timerfd(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, 0), ep = epoll_create1(0), n;
	struct itimerspec its = { { 0, 0 }, { 0, 30000000 } }, cur;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out;
	struct pollfd p = { t, POLLIN, 0 };
	uint64_t ticks;

	timerfd_gettime(t, &cur);
	printf("disarmed: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	timerfd_settime(t, 0, &its, NULL);
	timerfd_gettime(t, &cur);
	printf("armed: %d\n", cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30000000);
	printf("poll now: %d\n", poll(&p, 1, 0));
	n = poll(&p, 1, -1);		/* wakes at the expiry */
	printf("poll waited: n=%d revents=%#x\n", n, p.revents);
	read(t, &ticks, 8);
	printf("ticks: %llu\n", (unsigned long long)ticks);
	its.it_value.tv_nsec = 20000000;
	its.it_interval.tv_nsec = 20000000;
	timerfd_settime(t, 0, &its, NULL);
	epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
	n = epoll_wait(ep, &out, 1, -1);
	printf("epoll waited: n=%d data=%llu\n", n, (unsigned long long)out.data.u64);
	read(t, &ticks, 8);
	printf("periodic read: %d\n", ticks >= 1);
	read(t, &ticks, 8);		/* blocks to the next period */
	printf("blocking read: %d\n", ticks >= 1);
	its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
	timerfd_settime(t, 0, &its, NULL);
	fcntl(t, F_SETFL, O_NONBLOCK);
	n = (int)read(t, &ticks, 8);
	printf("disarmed read: %d %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
	SHOW("bad clock", timerfd_create(12345, 0));
	SHOW("write timerfd", write(t, &ticks, 8));
	SHOW("gettime not timerfd", timerfd_gettime(0, &cur));
	return 0;
}

static volatile int sigpipes;

static void
on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int
mode_pipe(void)
{
	int fds[2], d, n, fl;
	char buf[16];
	struct stat st;
	static char big[70000];

	SHOW("pipe2 bad flags", pipe2(fds, 0x1234));
	SHOW("pipe2 bad address", pipe2(bad_address, 0));
	pipe2(fds, O_CLOEXEC);
	fl = fcntl(fds[0], F_GETFL);
	printf("fds: %d %d getfl=%#x,%#x\n", fds[0], fds[1], fl & O_ACCMODE,
	    fcntl(fds[1], F_GETFL) & O_ACCMODE);
	fstat(fds[0], &st);
	printf("fifo: %d\n", S_ISFIFO(st.st_mode));
	write(fds[1], "hello", 5);
	d = dup(fds[0]);
	n = (int)read(d, buf, 3);
	printf("dup read: %d [%.*s]\n", n, n, buf);
	close(d);
	/* readv: the first buffer takes all there is, the second none. */
	struct iovec iov[2] = { { buf, 2 }, { buf + 2, 8 } };
	n = (int)readv(fds[0], iov, 2);
	printf("readv: %d [%.*s]\n", n, n, buf);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	n = (int)read(fds[0], buf, sizeof buf);
	printf("nonblock empty: %d %s getfl_nonblock=%d\n", n,
	    errno == EAGAIN ? "EAGAIN" : "?",
	    (fcntl(fds[0], F_GETFL) & O_NONBLOCK) != 0);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	n = (int)write(fds[1], big, sizeof big);
	printf("fill: %d\n", n);
	n = (int)write(fds[1], big, 10);
	printf("full: %d %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
	SHOW("lseek", lseek(fds[0], 0, SEEK_SET));
	SHOW("pread", pread(fds[0], buf, 1, 0));
	SHOW("read write end", read(fds[1], buf, 1));
	close(fds[1]);
	while ((n = (int)read(fds[0], big, sizeof big)) > 0)
		;
	printf("eof: %d\n", n);
	pipe(fds);
	close(fds[0]);
	signal(SIGPIPE, on_pipe);
	n = (int)write(fds[1], "x", 1);
	printf("no reader: %d %s sigpipes=%d\n", n, errno == EPIPE ? "EPIPE" : "?",
	    sigpipes);
	signal(SIGPIPE, SIG_IGN);
	n = (int)write(fds[1], "x", 1);
	printf("ignored: %d %s sigpipes=%d\n", n, errno == EPIPE ? "EPIPE" : "?",
	    sigpipes);
	fflush(stdout);
	signal(SIGPIPE, SIG_DFL);
	write(fds[1], "x", 1);		/* SIGPIPE ends the program */
	puts("not reached");
	return 1;
}

static int
mode_limit(void)
{
	int fds[2], pipes = 0;

	while (pipe(fds) == 0)
		pipes++;
	printf("pipes: %d errno=%s\n", pipes, errno == EMFILE ? "EMFILE" : "?");
	return 0;
}

static void
on_usr1(int sig)
{
	(void)sig;
	puts("handler ran");
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int fds[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "basic"))
		return mode_basic();
	if (!strcmp(m, "epoll"))
		return mode_epoll();
	if (!strcmp(m, "timerfd"))
		return mode_timerfd();
	if (!strcmp(m, "pipe"))
		return mode_pipe();
	if (!strcmp(m, "limit"))
		return mode_limit();
	if (!strcmp(m, "timeout")) {
		pipe(fds);
		struct pollfd p = { fds[0], POLLIN, 0 };
		printf("timeout: %d\n", poll(&p, 1, 20));
		return 0;
	}
	if (!strcmp(m, "block")) {
		char c;
		pipe(fds);
		puts("reading");
		return (int)read(fds[0], &c, 1);
	}
	if (!strcmp(m, "forever")) {
		puts("waiting");
		return poll(NULL, 0, -1);
	}
	if (!strcmp(m, "pause")) {
		puts("pausing");
		return pause();
	}
	if (!strcmp(m, "sigsuspend")) {
		sigset_t set, none;
		signal(SIGUSR1, on_usr1);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR1);
		sigemptyset(&none);
		int n = sigsuspend(&none);
		printf("sigsuspend: %d %s\n", n, errno == EINTR ? "EINTR" : "?");
		sigprocmask(SIG_SETMASK, NULL, &none);
		printf("mask restored: %d\n", sigismember(&none, SIGUSR1));
		return 0;
	}
	if (!strcmp(m, "sigpoll")) {
		sigset_t set, none;
		signal(SIGUSR1, on_usr1);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR1);
		puts("pending");
		sigemptyset(&none);
		pipe(fds);
		struct pollfd p = { fds[0], POLLIN, 0 };
		int n = ppoll(&p, 1, NULL, &none);
		printf("ppoll: %d %s\n", n, errno == EINTR ? "EINTR" : "?");
		sigprocmask(SIG_SETMASK, NULL, &none);
		printf("mask restored: %d\n", sigismember(&none, SIGUSR1));
		return 0;
	}
	fprintf(stderr, "usage: poll MODE\n");
	return 2;
}
