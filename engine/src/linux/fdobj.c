/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The emulated objects' reads and writes, and the calls that make them:
 * pipe, pipe2, eventfd, eventfd2, timerfd_create/settime/gettime.  A
 * blocking read or write nothing could satisfy goes to wait_blocked()
 * (poll.c); a timerfd read sleeps to its expiry within the time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vm.h"
#include "linux/fdobj.h"

#define NS	1000000000ULL
#define EVENTFD_MAX	0xfffffffffffffffeULL

uint64_t
fdobj_now(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

void
fdobj_update_timer(struct fd_obj *o)
{
	uint64_t now;

	if (o->kind != OBJ_TIMERFD || o->expiry == 0)
		return;
	now = fdobj_now(o->clock);
	if (now < o->expiry)
		return;
	o->gen++;
	if (o->interval == 0) {
		o->ticks++;
		o->expiry = 0;
		return;
	}
	uint64_t n = (now - o->expiry) / o->interval + 1;
	o->ticks += n;
	o->expiry += n * o->interval;
}

uint64_t
fdobj_next_timer(struct tkvm_vm *vm, int fd, unsigned depth)
{
	struct guest_fd *f = fds_get(vm, fd);
	struct fd_obj *o = f && f->obj >= 0 ? vm->fobj[f->obj] : NULL;
	uint64_t best = 0;

	if (o == NULL)
		return 0;
	if (o->kind == OBJ_TIMERFD && o->expiry != 0) {
		uint64_t now = fdobj_now(o->clock);
		return fdobj_now(CLOCK_MONOTONIC) +
		    (o->expiry > now ? o->expiry - now : 0);
	}
	if (o->kind != OBJ_EPOLL || depth >= EPOLL_DEPTH)
		return 0;
	for (unsigned k = 0; k < EPOLL_MAX_ITEMS; k++) {
		uint64_t t;
		if (o->items[k].fd < 0 || o->items[k].disabled)
			continue;
		t = fdobj_next_timer(vm, o->items[k].fd, depth + 1);
		if (t != 0 && (best == 0 || t < best))
			best = t;
	}
	return best;
}

static int64_t
pipe_read(struct tkvm_vm *vm, struct guest_fd *f, struct fd_obj *o,
    uint8_t *dst, uint64_t len)
{
	uint64_t n, first;

	if (f->pipe_writer)
		return -EBADF;
	if (o->len == 0) {
		if (o->writers == 0)
			return 0;
		return f->nonblock ? -EAGAIN :
		    wait_blocked(vm, "read from an empty pipe");
	}
	n = len < o->len ? len : o->len;
	first = PIPE_CAPACITY - o->head;
	if (first > n)
		first = n;
	memcpy(dst, o->buf + o->head, first);
	memcpy(dst + first, o->buf, n - first);
	o->head = (uint32_t)((o->head + n) % PIPE_CAPACITY);
	o->len -= (uint32_t)n;
	o->gen++;
	return (int64_t)n;
}

static int64_t
pipe_write(struct tkvm_vm *vm, struct guest_fd *f, struct fd_obj *o,
    const uint8_t *src, uint64_t len)
{
	uint64_t space = PIPE_CAPACITY - o->len, n, tail, first;

	if (!f->pipe_writer)
		return -EBADF;
	if (o->readers == 0) {
		signals_raise(vm, SIGPIPE, 0);
		return -EPIPE;
	}
	/* Up to PIPE_BUF bytes go in at once or not at all; a blocking
	 * write waits for room for all of it, which only a reader makes. */
	if (space < len && (!f->nonblock || len <= 4096 || space == 0))
		return f->nonblock ? -EAGAIN :
		    wait_blocked(vm, "write to a full pipe");
	n = len < space ? len : space;
	tail = (o->head + o->len) % PIPE_CAPACITY;
	first = PIPE_CAPACITY - tail;
	if (first > n)
		first = n;
	memcpy(o->buf + tail, src, first);
	memcpy(o->buf, src + first, n - first);
	o->len += (uint32_t)n;
	o->gen++;
	return (int64_t)n;
}

static int64_t
timer_read(struct tkvm_vm *vm, struct guest_fd *f, struct fd_obj *o,
    void *dst)
{
	for (;;) {
		fdobj_update_timer(o);
		if (o->ticks != 0)
			break;
		if (f->nonblock)
			return -EAGAIN;
		if (o->expiry == 0)
			return wait_blocked(vm, "read from a disarmed timerfd");
		if (!wait_until(vm, o->expiry - fdobj_now(o->clock) +
		    fdobj_now(CLOCK_MONOTONIC)))
			return -EINTR;	/* the time limit: the run ends */
	}
	memcpy(dst, &o->ticks, 8);
	o->ticks = 0;
	o->gen++;
	return 8;
}

int64_t
fds_obj_read(struct tkvm_vm *vm, struct guest_fd *f, void *dst, uint64_t len)
{
	struct fd_obj *o = fdobj_of(vm, f);
	uint64_t v;

	if (o == NULL)
		return -EBADF;
	switch (o->kind) {
	case OBJ_PIPE:
		return pipe_read(vm, f, o, dst, len);
	case OBJ_EVENTFD:
		if (len < 8)
			return -EINVAL;
		if (o->count == 0)
			return f->nonblock ? -EAGAIN :
			    wait_blocked(vm, "read from an eventfd at 0");
		v = o->semaphore ? 1 : o->count;
		o->count -= v;
		o->gen++;
		memcpy(dst, &v, 8);
		return 8;
	case OBJ_TIMERFD:
		return len < 8 ? -EINVAL : timer_read(vm, f, o, dst);
	default:
		return -EINVAL;
	}
}

int64_t
fds_obj_write(struct tkvm_vm *vm, struct guest_fd *f, const void *src,
    uint64_t len)
{
	struct fd_obj *o = fdobj_of(vm, f);
	uint64_t v;

	if (o == NULL)
		return -EBADF;
	switch (o->kind) {
	case OBJ_PIPE:
		return pipe_write(vm, f, o, src, len);
	case OBJ_EVENTFD:
		if (len < 8)
			return -EINVAL;
		memcpy(&v, src, 8);
		if (v == UINT64_MAX)
			return -EINVAL;
		if (v > EVENTFD_MAX - o->count)
			return f->nonblock ? -EAGAIN :
			    wait_blocked(vm, "write to a full eventfd");
		o->count += v;
		o->gen++;
		return 8;
	default:
		return -EINVAL;
	}
}

int
fds_obj_mode(const struct tkvm_vm *vm, const struct guest_fd *f)
{
	const struct fd_obj *o = f->obj >= 0 ? vm->fobj[f->obj] : NULL;

	return o != NULL && o->kind == OBJ_PIPE ? S_IFIFO | 0600 : 0600;
}

/* pipe, pipe2, eventfd, eventfd2, timerfd_* */

static int64_t
make_pipe(struct tkvm_vm *vm, uint64_t addr, uint64_t flags)
{
	int32_t pair[2];
	int idx;

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (gmem_at(vm, addr, sizeof pair) == NULL)
		return -EFAULT;
	idx = fdobj_new(vm, OBJ_PIPE);
	if (idx < 0)
		return idx;
	pair[0] = fdobj_install(vm, idx, false, flags & O_NONBLOCK);
	if (pair[0] < 0)
		return pair[0];
	pair[1] = fdobj_install(vm, idx, true, flags & O_NONBLOCK);
	if (pair[1] < 0) {
		fds_close(vm, pair[0]);
		return pair[1];
	}
	gmem_put(vm, addr, pair, sizeof pair);
	return 0;
}

int64_t
sys_pipe(struct tkvm_vm *vm, const uint64_t a[6])
{
	return make_pipe(vm, a[0], 0);
}

int64_t
sys_pipe2(struct tkvm_vm *vm, const uint64_t a[6])
{
	return make_pipe(vm, a[0], a[1]);
}

static int64_t
make_eventfd(struct tkvm_vm *vm, uint64_t initval, uint64_t flags)
{
	const uint64_t semaphore = 1;	/* EFD_SEMAPHORE */
	int idx;

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | semaphore))
		return -EINVAL;
	initval = (uint32_t)initval;	/* an unsigned int */
	idx = fdobj_new(vm, OBJ_EVENTFD);
	if (idx < 0)
		return idx;
	vm->fobj[idx]->count = initval;
	vm->fobj[idx]->semaphore = flags & semaphore;
	return fdobj_install(vm, idx, false, flags & O_NONBLOCK);
}

int64_t
sys_eventfd(struct tkvm_vm *vm, const uint64_t a[6])
{
	return make_eventfd(vm, a[0], 0);
}

int64_t
sys_eventfd2(struct tkvm_vm *vm, const uint64_t a[6])
{
	return make_eventfd(vm, a[0], a[1]);
}

int64_t
sys_timerfd_create(struct tkvm_vm *vm, const uint64_t a[6])
{
	int idx;

	if (a[0] != CLOCK_REALTIME && a[0] != CLOCK_MONOTONIC &&
	    a[0] != CLOCK_BOOTTIME)
		return -EINVAL;
	if (a[1] & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	idx = fdobj_new(vm, OBJ_TIMERFD);
	if (idx < 0)
		return idx;
	vm->fobj[idx]->clock = (int)a[0];
	return fdobj_install(vm, idx, false, a[1] & O_NONBLOCK);
}

static struct fd_obj *
timer_of(struct tkvm_vm *vm, uint64_t fd, int64_t *err)
{
	struct guest_fd *f = fds_get(vm, (int64_t)fd);
	struct fd_obj *o = fdobj_of(vm, f);

	*err = f == NULL ? -EBADF : -EINVAL;
	return o != NULL && o->kind == OBJ_TIMERFD ? o : NULL;
}

static struct itimerspec
timer_value(struct fd_obj *o)
{
	struct itimerspec v;
	uint64_t left = 0;

	fdobj_update_timer(o);
	if (o->expiry != 0) {
		uint64_t now = fdobj_now(o->clock);
		left = o->expiry > now ? o->expiry - now : 1;
	}
	v.it_value.tv_sec = (time_t)(left / NS);
	v.it_value.tv_nsec = (long)(left % NS);
	v.it_interval.tv_sec = (time_t)(o->interval / NS);
	v.it_interval.tv_nsec = (long)(o->interval % NS);
	return v;
}

static bool
ts_ok(const struct timespec *t)
{
	return t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < (long)NS &&
	    (uint64_t)t->tv_sec < (1ULL << 33);	/* far past any time limit */
}

int64_t
sys_timerfd_settime(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct itimerspec nv, old;
	int64_t err;
	struct fd_obj *o = timer_of(vm, a[0], &err);
	uint64_t value;

	if (o == NULL)
		return err;
	if (a[1] & ~3ULL)	/* TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET */
		return -EINVAL;
	if (gmem_copy(vm, &nv, a[2], sizeof nv) != 0 ||
	    (a[3] != 0 && gmem_at(vm, a[3], sizeof old) == NULL))
		return -EFAULT;
	if (!ts_ok(&nv.it_value) || !ts_ok(&nv.it_interval))
		return -EINVAL;
	old = timer_value(o);
	value = (uint64_t)nv.it_value.tv_sec * NS + (uint64_t)nv.it_value.tv_nsec;
	o->interval = (uint64_t)nv.it_interval.tv_sec * NS +
	    (uint64_t)nv.it_interval.tv_nsec;
	o->ticks = 0;
	o->gen++;
	if (value == 0)
		o->expiry = 0;
	else if (a[1] & 1)
		o->expiry = value;
	else
		o->expiry = fdobj_now(o->clock) + value;
	if (a[3] != 0)
		gmem_put(vm, a[3], &old, sizeof old);
	return 0;
}

int64_t
sys_timerfd_gettime(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct itimerspec v;
	int64_t err;
	struct fd_obj *o = timer_of(vm, a[0], &err);

	if (o == NULL)
		return err;
	v = timer_value(o);
	return gmem_put(vm, a[1], &v, sizeof v) == 0 ? 0 : -EFAULT;
}
