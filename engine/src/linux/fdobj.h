/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The emulated objects behind guest fds (fds.c), shared with the waits
 * of poll.c.  They live in host memory of the VM, never as host fds: a
 * pipe is a 64 KiB ring, an eventfd a counter, a timerfd an expiry the
 * host compares with its clock, an epoll an interest list of guest fds.
 */
#ifndef TKVM_FDOBJ_H
#define TKVM_FDOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

enum fdobj_kind { OBJ_PIPE = 1, OBJ_EVENTFD, OBJ_EPOLL, OBJ_TIMERFD };

#define PIPE_CAPACITY	65536
#define EPOLL_MAX_ITEMS	TKVM_MAX_FDS	/* one per guest fd at most */
#define EPOLL_DEPTH	4		/* epoll in epoll, at most */

struct epoll_item {
	int fd;			/* -1: a free slot */
	uint32_t events;	/* EPOLLIN ... | EPOLLET | EPOLLONESHOT */
	uint64_t data;
	uint64_t seen_gen;	/* EPOLLET: the object's gen last reported */
	bool disabled;		/* EPOLLONESHOT fired; EPOLL_CTL_MOD re-arms */
};

struct fd_obj {
	enum fdobj_kind kind;
	unsigned refs;		/* guest fds on it (a pipe: both ends) */
	unsigned readers, writers;	/* a pipe's read and write ends */
	uint64_t gen;		/* counts state changes, for EPOLLET */
	/* pipe */
	uint8_t *buf;		/* PIPE_CAPACITY bytes */
	uint32_t head, len;
	/* eventfd */
	uint64_t count;
	bool semaphore;
	/* timerfd: expiry in ns of its clock, 0 = disarmed */
	int clock;
	uint64_t expiry, interval, ticks;
	/* epoll */
	struct epoll_item *items;	/* EPOLL_MAX_ITEMS */
};

/* A new object of kind in a free slot; its index or -ENFILE/-ENOMEM. */
int fdobj_new(struct tkvm_vm *vm, enum fdobj_kind kind);
/* Installs a guest fd on object idx (taking a reference); the fd or
 * -EMFILE (then the object loses that reference). */
int fdobj_install(struct tkvm_vm *vm, int idx, bool writer, bool nonblock);
struct fd_obj *fdobj_of(struct tkvm_vm *vm, const struct guest_fd *f);
/* Readiness of a guest fd as poll(2) reports it (POLLIN, POLLOUT,
 * POLLHUP, POLLERR); depth bounds epoll in epoll. */
unsigned fdobj_ready(struct tkvm_vm *vm, int fd, unsigned depth);
/* The earliest timerfd expiry fd waits on, in CLOCK_MONOTONIC ns; 0 if
 * none. */
uint64_t fdobj_next_timer(struct tkvm_vm *vm, int fd, unsigned depth);
/* Expired timerfd periods counted in ticks (called before readiness). */
void fdobj_update_timer(struct fd_obj *o);
uint64_t fdobj_now(int clock);

/* poll.c: a blocking wait nothing can end.  With another guest thread
 * that can run, it switches to it (THREADS_RESTART: the call runs again
 * when this thread is resumed, threads.c); with none, it ends the run
 * ("guest deadlocked: WHAT, with no other thread") and returns -EDEADLK. */
int64_t wait_blocked(struct tkvm_vm *vm, const char *what);
/* Sleeps until the CLOCK_MONOTONIC ns until, no later than the run's
 * deadline; false when the deadline cut it short. */
bool wait_until(struct tkvm_vm *vm, uint64_t until);

/* poll.c, for epoll.c: deadlines in CLOCK_MONOTONIC ns (NO_TIMEOUT:
 * none) from a timeout in ms (negative: none) or a guest timespec (0:
 * none; -EFAULT, -EINVAL), or the deadline a restarted call had; a call's temporary signal mask (the caller's
 * in *saved); one round of a wait that found nothing ready (1: look
 * again, 0: timed out, < 0: what the call returns). */
#define NO_TIMEOUT	UINT64_MAX
uint64_t wait_ms_deadline(struct tkvm_vm *vm, int64_t ms);
int wait_ts_deadline(struct tkvm_vm *vm, uint64_t addr, uint64_t *out);
int wait_mask(struct tkvm_vm *vm, uint64_t addr, uint64_t size,
    uint64_t *saved);
int wait_step(struct tkvm_vm *vm, uint64_t timeout, uint64_t timer,
    uint64_t saved, const char *what);

/* epoll.c: drops fd from every epoll's interest list (it was closed);
 * the ready items of an epoll (up to max, into out unless NULL; consume:
 * as epoll_wait, edge and one-shot items then reported). */
void epoll_forget(struct tkvm_vm *vm, int fd);
struct epoll_event;
unsigned epoll_ready_items(struct tkvm_vm *vm, struct fd_obj *ep,
    unsigned depth, struct epoll_event *out, unsigned max, bool consume);

#endif
