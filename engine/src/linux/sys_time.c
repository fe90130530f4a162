/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time and randomness.  Clocks come from the host; sleeps are real but
 * never outlast the run's deadline.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "vm.h"
#include "linux/threads.h"

static bool
known_clock(uint64_t id)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		return true;
	default:
		return false;
	}
}

int64_t
sys_clock_gettime(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timespec ts;

	if (!known_clock(a[0]))
		return -EINVAL;
	clock_gettime((clockid_t)a[0], &ts);
	return gmem_put(vm, a[1], &ts, sizeof ts) == 0 ? 0 : -EFAULT;
}

int64_t
sys_clock_getres(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timespec ts;

	if (!known_clock(a[0]))
		return -EINVAL;
	if (a[1] == 0)
		return 0;
	clock_getres((clockid_t)a[0], &ts);
	return gmem_put(vm, a[1], &ts, sizeof ts) == 0 ? 0 : -EFAULT;
}

int64_t
sys_gettimeofday(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timeval tv;
	struct timezone tz = { 0, 0 };

	if ((a[0] && gmem_at(vm, a[0], sizeof tv) == NULL) ||
	    (a[1] && gmem_at(vm, a[1], sizeof tz) == NULL))
		return -EFAULT;
	gettimeofday(&tv, NULL);
	if (a[0])
		gmem_put(vm, a[0], &tv, sizeof tv);
	if (a[1])
		gmem_put(vm, a[1], &tz, sizeof tz);
	return 0;
}

int64_t
sys_time(struct tkvm_vm *vm, const uint64_t a[6])
{
	int64_t now = (int64_t)time(NULL);

	if (a[0] != 0 && gmem_put(vm, a[0], &now, sizeof now) != 0)
		return -EFAULT;
	return now;
}

static bool
valid_timespec(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* Sleeps for *req, cut short at the run's deadline.  With other threads
 * alive, the thread blocks and another one runs meanwhile: the result is
 * then what that one's system call returns. */
static int64_t
bounded_sleep(struct tkvm_vm *vm, const struct timespec *req)
{
	struct timespec now, until, left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	until.tv_sec = now.tv_sec + req->tv_sec;
	until.tv_nsec = now.tv_nsec + req->tv_nsec;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (threads_others(vm))
		return threads_sleep(vm, &until);
	if (vm->deadline != NULL && (until.tv_sec > vm->deadline->tv_sec ||
	    (until.tv_sec == vm->deadline->tv_sec &&
	    until.tv_nsec > vm->deadline->tv_nsec)))
		until = *vm->deadline;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, &left) == EINTR)
		;
	return 0;
}

int64_t
sys_nanosleep(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timespec req;

	if (gmem_copy(vm, &req, a[0], sizeof req) != 0)
		return -EFAULT;
	if (!valid_timespec(&req))
		return -EINVAL;
	return bounded_sleep(vm, &req);
}

int64_t
sys_clock_nanosleep(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timespec rel, now;

	if (!known_clock(a[0]))
		return -EINVAL;
	if (gmem_copy(vm, &rel, a[2], sizeof rel) != 0)
		return -EFAULT;
	if (!valid_timespec(&rel))
		return -EINVAL;
	if (a[1] & TIMER_ABSTIME) {
		clock_gettime((clockid_t)a[0], &now);
		rel.tv_sec -= now.tv_sec;
		rel.tv_nsec -= now.tv_nsec;
		if (rel.tv_nsec < 0) {
			rel.tv_sec--;
			rel.tv_nsec += 1000000000L;
		}
		if (rel.tv_sec < 0)
			return 0;
	}
	return bounded_sleep(vm, &rel);
}

int64_t
sys_getrandom(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint8_t *dst = gmem_wr(vm, a[0], a[1]);
	uint64_t done = 0;

	if (a[1] == 0)
		return 0;
	if (dst == NULL)
		return -EFAULT;
	while (done < a[1]) {
		ssize_t n = getrandom(dst + done, a[1] - done, 0);
		if (n <= 0)
			return done ? (int64_t)done : -EIO;
		done += (uint64_t)n;
	}
	return (int64_t)done;
}
