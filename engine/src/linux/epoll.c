/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * epoll over the emulated fds (fdobj.c): an interest list of guest fds
 * per epoll object, read for readiness as poll.c's fdobj_ready() reports
 * it; level- and edge-triggered, EPOLLONESHOT, epoll in epoll up to
 * EPOLL_DEPTH.  The waits go through poll.c's wait_step(), so they end
 * as a poll would (timeout, timerfd, signal, another thread, deadlock).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "vm.h"
#include "linux/fdobj.h"

void
epoll_forget(struct tkvm_vm *vm, int fd)
{
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++) {
		struct fd_obj *o = vm->fobj[i];
		if (o == NULL || o->kind != OBJ_EPOLL)
			continue;
		for (unsigned k = 0; k < EPOLL_MAX_ITEMS; k++)
			if (o->items[k].fd == fd)
				o->items[k].fd = -1;
	}
}


static struct fd_obj *
epoll_of(struct tkvm_vm *vm, uint64_t fd, int64_t *err)
{
	struct guest_fd *f = fds_get(vm, (int64_t)fd);
	struct fd_obj *o = f && f->obj >= 0 ? vm->fobj[f->obj] : NULL;

	*err = f == NULL ? -EBADF : -EINVAL;
	if (o == NULL || o->kind != OBJ_EPOLL)
		return NULL;
	vm->fds_changed = true;
	return o;
}

static int64_t
epoll_new(struct tkvm_vm *vm, uint64_t flags)
{
	int idx;

	if (flags & ~(uint64_t)EPOLL_CLOEXEC)
		return -EINVAL;
	idx = fdobj_new(vm, OBJ_EPOLL);
	return idx < 0 ? idx : fdobj_install(vm, idx, false, false);
}

int64_t
sys_epoll_create(struct tkvm_vm *vm, const uint64_t a[6])
{
	return (int32_t)a[0] <= 0 ? -EINVAL : epoll_new(vm, 0);
}

int64_t
sys_epoll_create1(struct tkvm_vm *vm, const uint64_t a[6])
{
	return epoll_new(vm, a[0]);
}

/* The generation of what fd refers to, for EPOLLET. */
static uint64_t
fd_gen(struct tkvm_vm *vm, int fd)
{
	struct guest_fd *f = fds_get(vm, fd);

	return f && f->obj >= 0 && vm->fobj[f->obj] ? vm->fobj[f->obj]->gen : 0;
}

unsigned
epoll_ready_items(struct tkvm_vm *vm, struct fd_obj *ep, unsigned depth,
    struct epoll_event *out, unsigned max, bool consume)
{
	unsigned n = 0;

	for (unsigned k = 0; k < EPOLL_MAX_ITEMS && n < max; k++) {
		struct epoll_item *it = &ep->items[k];
		unsigned ev;
		uint64_t gen;

		if (it->fd < 0 || it->disabled)
			continue;
		ev = fdobj_ready(vm, it->fd, depth) &
		    (it->events | POLLERR | POLLHUP);
		gen = fd_gen(vm, it->fd);
		if (ev == 0 || ((it->events & EPOLLET) && it->seen_gen == gen))
			continue;
		if (out != NULL) {
			out[n].events = ev;
			out[n].data.u64 = it->data;
		}
		n++;
		if (!consume)
			continue;
		it->seen_gen = gen;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
	}
	return n;
}

int64_t
sys_epoll_ctl(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint32_t known = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR |
	    EPOLLHUP | EPOLLRDHUP | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM |
	    EPOLLWRBAND | EPOLLMSG | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP |
	    EPOLLEXCLUSIVE;
	int64_t err;
	struct fd_obj *ep = epoll_of(vm, a[0], &err);
	struct guest_fd *f = fds_get(vm, (int64_t)a[2]);
	struct epoll_event ev = { 0, { 0 } };
	struct epoll_item *it = NULL, *free_it = NULL;

	if (ep == NULL)
		return err;
	if (f == NULL)
		return -EBADF;
	if (a[0] == a[2])
		return -EINVAL;
	if (f->obj < 0 && f->console < 0)
		return -EPERM;		/* regular files and directories */
	if (a[1] != EPOLL_CTL_DEL &&
	    gmem_copy(vm, &ev, a[3], sizeof ev) != 0)
		return -EFAULT;
	for (unsigned k = 0; k < EPOLL_MAX_ITEMS; k++) {
		if (ep->items[k].fd == (int)a[2])
			it = &ep->items[k];
		else if (ep->items[k].fd < 0 && free_it == NULL)
			free_it = &ep->items[k];
	}
	switch (a[1]) {
	case EPOLL_CTL_ADD:
		if (it != NULL)
			return -EEXIST;
		if (free_it == NULL)
			return -ENOSPC;
		it = free_it;
		it->fd = (int)a[2];
		break;
	case EPOLL_CTL_MOD:
		if (it == NULL)
			return -ENOENT;
		break;
	case EPOLL_CTL_DEL:
		if (it == NULL)
			return -ENOENT;
		it->fd = -1;
		return 0;
	default:
		return -EINVAL;
	}
	it->events = ev.events & known;
	it->data = ev.data.u64;
	it->seen_gen = UINT64_MAX;	/* report a ready fd once, even ET */
	it->disabled = false;
	return 0;
}

static int64_t
do_epoll_wait(struct tkvm_vm *vm, const uint64_t a[6], uint64_t timeout,
    uint64_t saved)
{
	struct epoll_event out[EPOLL_MAX_ITEMS];
	int64_t err;
	struct fd_obj *ep = epoll_of(vm, a[0], &err);
	const int32_t max = (int32_t)a[2];
	unsigned n;
	int r;

	/* In Linux's order: maxevents, the buffer, the epoll fd. */
	if (ep == NULL || max <= 0 || gmem_at(vm, a[1], (uint64_t)max *
	    sizeof out[0]) == NULL) {
		vm->sigmask = saved;
		return max <= 0 ? -EINVAL : gmem_at(vm, a[1], (uint64_t)max *
		    sizeof out[0]) == NULL ? -EFAULT : err;
	}
	for (;;) {
		n = epoll_ready_items(vm, ep, 1, out, (unsigned)max <
		    EPOLL_MAX_ITEMS ? (unsigned)max : EPOLL_MAX_ITEMS, true);
		if (n != 0)
			break;
		r = wait_step(vm, timeout, fdobj_next_timer(vm, (int)a[0], 0),
		    saved, "epoll_wait with no timeout and nothing ready");
		if (r <= 0) {
			if (r < 0)
				return r;
			break;
		}
	}
	vm->sigmask = saved;
	if (n != 0)
		gmem_put(vm, a[1], out, n * sizeof out[0]);
	return n;
}

int64_t
sys_epoll_wait(struct tkvm_vm *vm, const uint64_t a[6])
{
	return do_epoll_wait(vm, a, wait_ms_deadline(vm, (int32_t)a[3]), vm->sigmask);
}

int64_t
sys_epoll_pwait(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t saved;
	int r = wait_mask(vm, a[4], a[5], &saved);

	if (r != 0)
		return r;
	return do_epoll_wait(vm, a, wait_ms_deadline(vm, (int32_t)a[3]), saved);
}

/* epoll_pwait with a struct timespec timeout (NULL: none), Linux 5.11. */
int64_t
sys_epoll_pwait2(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t saved, timeout;
	int r = wait_ts_deadline(vm, a[3], &timeout);

	if (r != 0)
		return r;
	if ((r = wait_mask(vm, a[4], a[5], &saved)) != 0)
		return r;
	return do_epoll_wait(vm, a, timeout, saved);
}
