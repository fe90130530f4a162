/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Waiting for fds: poll, ppoll, select, pselect6 and epoll over every
 * kind of guest fd (fds.c, fdobj.c).  Consoles and files are always
 * ready; objects as Linux reports them.  Nothing outside the guest
 * changes an object while it waits, so a wait with nothing ready ends
 * at its timeout, at the earliest timerfd expiry it covers or at the
 * run's time limit; with none of these it could never end and the run
 * stops (wait_blocked).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "vm.h"
#include "linux/fdobj.h"
#include "linux/threads.h"

#define NS		1000000000ULL
#define MS		1000000ULL

#define SELECT_MAX	1024	/* FD_SETSIZE */
#define NO_TIMEOUT	UINT64_MAX

int64_t
wait_blocked(struct tkvm_vm *vm, const char *what)
{
	if (threads_can_switch(vm, false))
		return THREADS_RESTART;
	vm_fail(vm, TKVM_STOP_EXCEPTION, "guest deadlocked: %s, with no other "
	    "thread", what);
	return -EDEADLK;
}

bool
wait_until(struct tkvm_vm *vm, uint64_t until)
{
	struct timespec ts, left;
	bool cut = false;

	if (vm->deadline != NULL) {
		uint64_t d = (uint64_t)vm->deadline->tv_sec * NS +
		    (uint64_t)vm->deadline->tv_nsec;
		if (until >= d) {
			until = d;
			cut = true;
		}
	}
	ts.tv_sec = (time_t)(until / NS);
	ts.tv_nsec = (long)(until % NS);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
	    &left) == EINTR)
		;
	return !cut;
}

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

static unsigned epoll_ready_items(struct tkvm_vm *vm, struct fd_obj *ep,
    unsigned depth, struct epoll_event *out, unsigned max, bool consume);

unsigned
fdobj_ready(struct tkvm_vm *vm, int fd, unsigned depth)
{
	struct guest_fd *f = fds_get(vm, fd);
	struct fd_obj *o;
	unsigned ev = 0;

	if (f == NULL || (f->obj >= 0 && vm->fobj[f->obj] == NULL))
		return POLLNVAL;
	o = f->obj >= 0 ? vm->fobj[f->obj] : NULL;
	switch (o ? o->kind : 0) {
	case 0:		/* console, file: never blocks */
		ev = f->console == 0 ? POLLIN : f->console > 0 ? POLLOUT :
		    POLLIN | POLLOUT;
		break;
	case OBJ_PIPE:
		if (f->pipe_writer) {
			ev = o->readers == 0 ? POLLERR :
			    o->len < PIPE_CAPACITY ? POLLOUT : 0;
		} else {
			ev = (o->len ? POLLIN : 0) | (o->writers ? 0 : POLLHUP);
		}
		break;
	case OBJ_EVENTFD:
		ev = (o->count ? POLLIN : 0) |
		    (o->count < 0xfffffffffffffffeULL ? POLLOUT : 0);
		break;
	case OBJ_TIMERFD:
		fdobj_update_timer(o);
		ev = o->ticks ? POLLIN : 0;
		break;
	case OBJ_EPOLL:
		if (depth < EPOLL_DEPTH &&
		    epoll_ready_items(vm, o, depth + 1, NULL, 1, false))
			ev = POLLIN;
		break;
	}
	/* Linux sets the "normal data" bits along. */
	return ev | (ev & POLLIN ? POLLRDNORM : 0) |
	    (ev & POLLOUT ? POLLWRNORM : 0);
}

/* A guest timeout in ms (negative: none) as an absolute deadline. */
static uint64_t
ms_deadline(int64_t ms)
{
	return ms < 0 ? NO_TIMEOUT : fdobj_now(CLOCK_MONOTONIC) +
	    (uint64_t)ms * MS;
}

/* A guest struct timespec (0: none) as an absolute deadline, or -errno. */
static int
ts_deadline(struct tkvm_vm *vm, uint64_t addr, uint64_t *out)
{
	struct timespec ts;

	*out = NO_TIMEOUT;
	if (addr == 0)
		return 0;
	if (gmem_copy(vm, &ts, addr, sizeof ts) != 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NS)
		return -EINVAL;
	if ((uint64_t)ts.tv_sec > (1ULL << 33))
		return 0;	/* centuries: as good as none */
	*out = fdobj_now(CLOCK_MONOTONIC) + (uint64_t)ts.tv_sec * NS +
	    (uint64_t)ts.tv_nsec;
	return 0;
}

/*
 * One round of a wait found nothing ready: sleeps to the earlier of the
 * timeout and the next timer (both absolute; 0/NO_TIMEOUT: none).  1: go
 * round again; 0: the timeout passed; <0: the run ends (deadlock, or
 * the time limit: -EINTR, which the guest never sees).
 */
static int
wait_round(struct tkvm_vm *vm, uint64_t timeout, uint64_t timer,
    const char *what)
{
	uint64_t until = timeout;

	if (timer != 0 && timer < until)
		until = timer;
	if (until == NO_TIMEOUT)
		return (int)wait_blocked(vm, what);
	if (until <= fdobj_now(CLOCK_MONOTONIC))
		return until == timeout ? 0 : 1;
	if (threads_can_switch(vm, true))
		return THREADS_RESTART;	/* the others run, then it looks again */
	if (!wait_until(vm, until))
		return -EINTR;
	return until == timeout && fdobj_now(CLOCK_MONOTONIC) >= timeout ? 0 : 1;
}

/* The signal mask of ppoll/pselect6/epoll_pwait during the wait: a
 * pending signal it unblocks ends the wait with -EINTR and is delivered
 * at the call's return, the caller's mask saved in its frame. */
static int
wait_mask(struct tkvm_vm *vm, uint64_t addr, uint64_t size, uint64_t *saved)
{
	uint64_t set;

	*saved = vm->sigmask;
	if (addr == 0)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (gmem_copy(vm, &set, addr, 8) != 0)
		return -EFAULT;
	vm->sigmask = set & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	return 0;
}

static bool
interrupted(struct tkvm_vm *vm, uint64_t saved)
{
	if ((vm->sigpending & ~vm->sigmask) == 0)
		return false;
	vm->sigsaved = saved;
	vm->sigsaved_on = true;
	return true;
}

/* One round of a wait that found nothing ready: 1 to look again, 0 when
 * the timeout passed, < 0 what the call returns (the caller's mask put
 * back, unless a signal interrupted it: its frame carries the mask). */
static int
wait_step(struct tkvm_vm *vm, uint64_t timeout, uint64_t timer,
    uint64_t saved, const char *what)
{
	int r;

	if (interrupted(vm, saved))
		return -EINTR;
	r = wait_round(vm, timeout, timer, what);
	if (r < 0)
		vm->sigmask = saved;
	return r;
}

static int64_t
do_poll(struct tkvm_vm *vm, uint64_t addr, uint64_t nfds, uint64_t timeout,
    uint64_t saved)
{
	struct pollfd pfd[TKVM_MAX_FDS];
	int64_t ready;
	int r;

	if (nfds > TKVM_MAX_FDS) {	/* RLIMIT_NOFILE */
		vm->sigmask = saved;
		return -EINVAL;
	}
	if (nfds != 0 && gmem_copy(vm, pfd, addr, nfds * sizeof pfd[0]) != 0) {
		vm->sigmask = saved;
		return -EFAULT;
	}
	for (;;) {
		uint64_t timer = 0;
		ready = 0;
		for (uint64_t i = 0; i < nfds; i++) {
			unsigned ev = pfd[i].fd < 0 ? 0 :
			    fdobj_ready(vm, pfd[i].fd, 0);
			uint64_t t = pfd[i].fd < 0 ? 0 :
			    fdobj_next_timer(vm, pfd[i].fd, 0);
			pfd[i].revents = (short)(ev & ((unsigned)pfd[i].events |
			    POLLERR | POLLHUP | POLLNVAL));
			if (pfd[i].revents != 0)
				ready++;
			if (t != 0 && (timer == 0 || t < timer))
				timer = t;
		}
		if (ready != 0)
			break;
		r = wait_step(vm, timeout, timer, saved,
		    "poll with no timeout and nothing ready");
		if (r <= 0) {
			if (r < 0)
				return r;
			break;
		}
	}
	vm->sigmask = saved;
	if (nfds != 0 && gmem_put(vm, addr, pfd, nfds * sizeof pfd[0]) != 0)
		return -EFAULT;
	return ready;
}

int64_t
sys_poll(struct tkvm_vm *vm, const uint64_t a[6])
{
	/* nfds is an unsigned int. */
	return do_poll(vm, a[0], (uint32_t)a[1], ms_deadline((int32_t)a[2]),
	    vm->sigmask);
}

int64_t
sys_ppoll(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t timeout, saved;
	int r = ts_deadline(vm, a[2], &timeout);

	if (r != 0)
		return r;
	if ((r = wait_mask(vm, a[3], a[4], &saved)) != 0)
		return r;
	return do_poll(vm, a[0], (uint32_t)a[1], timeout, saved);
}

/* select, pselect6: the three sets as bitmaps of SELECT_MAX fds. */
struct fdsets {
	uint64_t in[SELECT_MAX / 64], out[SELECT_MAX / 64], ex[SELECT_MAX / 64];
};

static bool
bit(const uint64_t *set, unsigned fd)
{
	return (set[fd / 64] >> (fd % 64)) & 1;
}

static int64_t
do_select(struct tkvm_vm *vm, const uint64_t a[6], uint64_t timeout,
    uint64_t saved)
{
	const uint64_t addr[3] = { a[1], a[2], a[3] };
	struct fdsets want, got;
	uint64_t *w[3] = { want.in, want.out, want.ex };
	uint64_t *g[3] = { got.in, got.out, got.ex };
	/* As Linux, a larger nfds is cut to the size of the fd table. */
	const unsigned nfds = (int32_t)a[0] < 0 ? 0 : a[0] > SELECT_MAX ?
	    SELECT_MAX : (unsigned)a[0];
	const size_t bytes = (nfds + 63) / 64 * 8;
	int64_t ready;
	int r = (int32_t)a[0] < 0 ? -EINVAL : 0;

	memset(&want, 0, sizeof want);
	for (unsigned s = 0; r == 0 && s < 3; s++)
		if (addr[s] != 0 && gmem_copy(vm, w[s], addr[s], bytes) != 0)
			r = -EFAULT;
	for (unsigned fd = 0; r == 0 && fd < nfds; fd++)
		if ((bit(want.in, fd) || bit(want.out, fd) ||
		    bit(want.ex, fd)) && fds_get(vm, fd) == NULL)
			r = -EBADF;
	if (r != 0) {
		vm->sigmask = saved;
		return r;
	}
	for (;;) {
		uint64_t timer = 0;
		memset(&got, 0, sizeof got);
		ready = 0;
		for (unsigned fd = 0; fd < nfds; fd++) {
			unsigned ev, m[3] = { POLLIN | POLLHUP | POLLERR,
			    POLLOUT | POLLERR, POLLPRI };
			if (!bit(want.in, fd) && !bit(want.out, fd) &&
			    !bit(want.ex, fd))
				continue;
			ev = fdobj_ready(vm, (int)fd, 0);
			for (unsigned s = 0; s < 3; s++)
				if (bit(w[s], fd) && (ev & m[s])) {
					g[s][fd / 64] |= 1ULL << (fd % 64);
					ready++;
				}
			uint64_t t = fdobj_next_timer(vm, (int)fd, 0);
			if (t != 0 && (timer == 0 || t < timer))
				timer = t;
		}
		if (ready != 0)
			break;
		r = wait_step(vm, timeout, timer, saved,
		    "select with no timeout and nothing ready");
		if (r <= 0) {
			if (r < 0)
				return r;
			break;
		}
	}
	vm->sigmask = saved;
	for (unsigned s = 0; s < 3; s++)
		if (addr[s] != 0 && gmem_put(vm, addr[s], g[s], bytes) != 0)
			return -EFAULT;
	return ready;
}

int64_t
sys_select(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct timeval tv;
	uint64_t timeout = NO_TIMEOUT, now;
	int64_t r;

	if (a[4] != 0) {
		if (gmem_copy(vm, &tv, a[4], sizeof tv) != 0)
			return -EFAULT;
		/* Linux carries whole seconds out of tv_usec. */
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		if ((uint64_t)tv.tv_sec < (1ULL << 33) &&
		    (uint64_t)tv.tv_usec < (1ULL << 40))
			timeout = fdobj_now(CLOCK_MONOTONIC) +
			    (uint64_t)tv.tv_sec * NS + (uint64_t)tv.tv_usec * 1000;
	}
	r = do_select(vm, a, timeout, vm->sigmask);
	if (a[4] != 0 && timeout != NO_TIMEOUT && r >= 0) {
		/* Linux leaves the time not slept in *timeout. */
		now = fdobj_now(CLOCK_MONOTONIC);
		now = now < timeout ? timeout - now : 0;
		tv.tv_sec = (time_t)(now / NS);
		tv.tv_usec = (suseconds_t)(now % NS / 1000);
		gmem_put(vm, a[4], &tv, sizeof tv);
	}
	return r;
}

int64_t
sys_pselect6(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t timeout, saved, sig[2] = { 0, 0 };
	int r = ts_deadline(vm, a[4], &timeout);

	if (r != 0)
		return r;
	/* The sixth argument: { const sigset_t *ss; size_t ss_len; }. */
	if (a[5] != 0 && gmem_copy(vm, sig, a[5], sizeof sig) != 0)
		return -EFAULT;
	if ((r = wait_mask(vm, sig[0], sig[1], &saved)) != 0)
		return r;
	return do_select(vm, a, timeout, saved);
}

/* epoll */

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

static unsigned
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
	return do_epoll_wait(vm, a, ms_deadline((int32_t)a[3]), vm->sigmask);
}

int64_t
sys_epoll_pwait(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t saved;
	int r = wait_mask(vm, a[4], a[5], &saved);

	if (r != 0)
		return r;
	return do_epoll_wait(vm, a, ms_deadline((int32_t)a[3]), saved);
}
