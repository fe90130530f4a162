/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Waiting for fds: poll, ppoll, select and pselect6 over every kind of
 * guest fd (fds.c, fdobj.c), and the waiting epoll.c shares.  Consoles and files are always
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
#include <time.h>

#include "vm.h"
#include "linux/fdobj.h"
#include "linux/threads.h"

#define NS		1000000000ULL
#define MS		1000000ULL

#define SELECT_MAX	1024	/* FD_SETSIZE */

int64_t
wait_blocked(struct tkvm_vm *vm, const char *what)
{
	/* Another thread may end it: this one waits in T_POLL, and the
	 * scheduler tells a deadlock of them all (threads_block()). */
	if (threads_others(vm))
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

/* A guest timeout in ms (negative: none) as an absolute deadline; a
 * restarted call keeps the one it had (threads_call_entry()). */
uint64_t
wait_ms_deadline(struct tkvm_vm *vm, int64_t ms)
{
	if (vm->wait_resume != 0)
		return vm->wait_resume;
	return ms < 0 ? NO_TIMEOUT : fdobj_now(CLOCK_MONOTONIC) +
	    (uint64_t)ms * MS;
}

/* A guest struct timespec (0: none) as an absolute deadline, or -errno. */
int
wait_ts_deadline(struct tkvm_vm *vm, uint64_t addr, uint64_t *out)
{
	struct timespec ts;

	*out = NO_TIMEOUT;
	if (addr == 0)
		return 0;
	if (gmem_copy(vm, &ts, addr, sizeof ts) != 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NS)
		return -EINVAL;
	if (vm->wait_resume != 0) {
		*out = vm->wait_resume;
		return 0;
	}
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
	uint64_t until = timeout, other;

	if (timer != 0 && timer < until)
		until = timer;
	if (until == NO_TIMEOUT)
		return (int)wait_blocked(vm, what);
	if (until <= fdobj_now(CLOCK_MONOTONIC))
		return until == timeout ? 0 : 1;
	if (threads_can_switch(vm)) {
		/* The others run, then it looks again, by the same deadline. */
		vm->wait_restart_until = timeout != NO_TIMEOUT ? timeout : 0;
		vm->wait_restart_wake = until;
		return THREADS_RESTART;
	}
	/* Nobody else runs now: sleep, but not past another thread's
	 * deadline (it then gets the vCPU at the next round). */
	other = threads_next_deadline(vm);
	if (other != 0 && other < until)
		until = other;
	if (!wait_until(vm, until))
		return -EINTR;
	return until == timeout && fdobj_now(CLOCK_MONOTONIC) >= timeout ? 0 : 1;
}

/* The signal mask of ppoll/pselect6/epoll_pwait during the wait: a
 * pending signal it unblocks ends the wait with -EINTR and is delivered
 * at the call's return, the caller's mask saved in its frame. */
int
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
int
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
	return do_poll(vm, a[0], (uint32_t)a[1], wait_ms_deadline(vm, (int32_t)a[2]),
	    vm->sigmask);
}

int64_t
sys_ppoll(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t timeout, saved;
	int r = wait_ts_deadline(vm, a[2], &timeout);

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
		if (vm->wait_resume != 0)
			timeout = vm->wait_resume;
		else if ((uint64_t)tv.tv_sec < (1ULL << 33) &&
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
	int r = wait_ts_deadline(vm, a[4], &timeout);

	if (r != 0)
		return r;
	/* The sixth argument: { const sigset_t *ss; size_t ss_len; }. */
	if (a[5] != 0 && gmem_copy(vm, sig, a[5], sizeof sig) != 0)
		return -EFAULT;
	if ((r = wait_mask(vm, sig[0], sig[1], &saved)) != 0)
		return r;
	return do_select(vm, a, timeout, saved);
}
