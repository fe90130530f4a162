/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "timeout.h"

static void
swallow_signal(int sig)
{
	(void)sig;
}

int
timeout_init(char *err, size_t errlen)
{
	struct sigaction sa, old;

	if (sigaction(TIMEOUT_SIGNAL, NULL, &old) != 0)
		goto fail;
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = swallow_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(TIMEOUT_SIGNAL, &sa, NULL) == 0)
		return 0;
fail:
	snprintf(err, errlen, "cannot install the timeout signal handler: %s",
	    strerror(errno));
	return -1;
}

int
timeout_start(struct timeout *t, double seconds)
{
	struct sigevent sev;
	struct itimerspec its;
	sigset_t block;

	memset(t, 0, sizeof *t);
	if (seconds <= 0)
		return 0;
	sigemptyset(&block);
	sigaddset(&block, TIMEOUT_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &t->saved_mask);

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = TIMEOUT_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer) != 0) {
		int e = errno;
		pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
		errno = e;
		return -1;
	}
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	t->deadline.tv_sec += its.it_value.tv_sec;
	t->deadline.tv_nsec += its.it_value.tv_nsec;
	if (t->deadline.tv_nsec >= 1000000000L) {
		t->deadline.tv_sec++;
		t->deadline.tv_nsec -= 1000000000L;
	}
	timer_settime(t->timer, 0, &its, NULL);
	t->armed = true;
	return 0;
}

bool
timeout_expired(const struct timeout *t)
{
	struct timespec now;

	if (!t->armed)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->deadline.tv_sec ||
	    (now.tv_sec == t->deadline.tv_sec && now.tv_nsec >= t->deadline.tv_nsec);
}

void
timeout_stop(struct timeout *t)
{
	if (!t->armed)
		return;
	timer_delete(t->timer);
	pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
	t->armed = false;
}
