/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal poll(2), for the start-up check of Rust's standard library
 * (are fds 0-2 open?) that the thread tests need.  Every descriptor the
 * guest can have (the console, read-only files) is always ready, so
 * nothing here waits for one; a poll with nothing ready sleeps out its
 * timeout.  Temporary: the poll/epoll work (linux/poll.c) replaces it.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "linux/threads.h"

#define POLL_MAX TKVM_MAX_FDS	/* RLIMIT_NOFILE */

int64_t
sys_poll(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct pollfd p[POLL_MAX];
	const uint64_t n = a[1];
	const int timeout = (int)a[2];
	int64_t ready = 0;
	struct timespec until;

	if (n > POLL_MAX)
		return -EINVAL;
	if (n != 0 && gmem_copy(vm, p, a[0], n * sizeof p[0]) != 0)
		return -EFAULT;
	for (uint64_t i = 0; i < n; i++) {
		const struct guest_fd *f = p[i].fd >= 0 ? fds_get(vm, p[i].fd) : NULL;
		p[i].revents = 0;
		if (p[i].fd < 0)
			continue;
		if (f == NULL)
			p[i].revents = POLLNVAL;
		else if (f->console == 0 || f->console < 0)
			p[i].revents = p[i].events & (POLLIN | POLLRDNORM);
		if (f != NULL && f->console != 0)
			p[i].revents |= p[i].events & (POLLOUT | POLLWRNORM);
		ready += p[i].revents != 0;
	}
	if (n != 0 && gmem_put(vm, a[0], p, n * sizeof p[0]) != 0)
		return -EFAULT;
	if (ready != 0 || timeout == 0)
		return ready;
	if (timeout < 0) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest deadlocked: poll with "
		    "nothing to wait for and no timeout");
		return -EDEADLK;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout / 1000;
	until.tv_nsec += (long)(timeout % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (threads_others(vm))
		return threads_sleep(vm, &until);
	if (vm->deadline != NULL && (vm->deadline->tv_sec < until.tv_sec ||
	    (vm->deadline->tv_sec == until.tv_sec &&
	    vm->deadline->tv_nsec < until.tv_nsec)))
		until = *vm->deadline;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	    EINTR)
		;
	return 0;
}
