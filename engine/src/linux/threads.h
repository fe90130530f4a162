/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest threads (threads.c) and futexes (futex.c), private to the engine.
 * Threads run one at a time on the VM's one vCPU and switch only inside a
 * system call that blocks (futex wait, sched_yield, nanosleep, exit): the
 * state of a thread that does not run is therefore always the state at a
 * system call's return, with rip in rcx and rflags in r11.
 */
#ifndef TKVM_THREADS_H
#define TKVM_THREADS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <linux/kvm.h>

#include "vm.h"

#define THREADS_DEFAULT_MAX	64
#define THREADS_LIMIT		1024	/* the highest max_threads */

enum thread_state {
	T_FREE = 0,
	T_RUN,		/* the one on the vCPU */
	T_READY,	/* runnable; its system call returns result */
	T_FUTEX,	/* waits on futex_addr (bitset), maybe until deadline */
	T_SLEEP,	/* nanosleep until deadline */
	T_POLL,		/* a restarted fd wait: runnable at another thread's
			 * system call, or at deadline (thread_waits.c) */
};

struct guest_thread {
	enum thread_state state;
	int tid;
	uint64_t seq;		/* FIFO order of waiters and runnable threads */
	struct kvm_regs regs;	/* at its last system call (not in T_RUN) */
	uint64_t fs_base;
	int64_t result;		/* what its system call returns (T_READY) */
	uint64_t futex_addr;
	uint32_t bitset;
	bool timed;		/* deadline (CLOCK_MONOTONIC) is set */
	int64_t slept;		/* what a T_SLEEP's system call returns */
	struct timespec deadline;
	uint64_t clear_tid;	/* CLONE_CHILD_CLEARTID / set_tid_address */
	uint64_t robust_head, robust_len;
	bool restart_pending;	/* its system call restart_nr was restarted */
	uint64_t restart_nr, restart_until;	/* ... with that deadline */
	void *xsave;		/* FPU/SSE/AVX state, xsave_bytes; lazily */
	bool xsave_valid;
};

struct thread_table {
	struct guest_thread *t;	/* max entries */
	unsigned max;		/* cfg.max_threads */
	unsigned live;		/* threads not T_FREE */
	unsigned cur;		/* index of the T_RUN thread */
	int next_tid;
	uint64_t seq;
	uint32_t xsave_bytes;	/* size of each save area */
	bool touched;		/* changed since the last copy from the master */
	uint64_t switches;	/* thread switches, for verbose logs and tests */
	bool pollers;		/* a thread may be T_POLL */
};

/* threads.c */
struct thread_table *threads_get(struct tkvm_vm *vm);	/* creates it */
struct guest_thread *threads_current(struct tkvm_vm *vm);
/* Whether another thread than the running one is alive. */
bool threads_others(const struct tkvm_vm *vm);
/* The running thread blocks (state and its fields set by the caller);
 * switches to the next runnable thread, sleeping the host until a
 * deadline if every thread waits, failing the run on a deadlock.  Returns
 * what the system call returns to the thread that runs next. */
int64_t threads_block(struct tkvm_vm *vm);
/* Makes a waiting thread runnable with result. */
void threads_ready(struct thread_table *tt, struct guest_thread *t,
    int64_t result);
/* The scheduler's view: the runnable thread to run next (-1: none); the
 * waiter with the earliest deadline (NULL: none); waiters past their
 * deadline made runnable (true if any). */
int threads_pick_ready(const struct thread_table *tt);
struct guest_thread *threads_earliest(struct thread_table *tt);
bool threads_expire(struct thread_table *tt);
/* A request VM: back to its main VM's threads (reset.c); and the end. */
int threads_reset(struct tkvm_vm *vm);
void threads_fini(struct tkvm_vm *vm);
/* Whether tid names a live thread of the guest (tgkill, tkill). */
bool threads_tid_alive(const struct tkvm_vm *vm, int64_t tid);
/* nanosleep with other threads: blocks until the absolute CLOCK_MONOTONIC
 * time until; the run's deadline still bounds it. */
int64_t threads_sleep(struct tkvm_vm *vm, const struct timespec *until);

/* thread_waits.c.  A wait on emulated fds (poll.c, fdobj.c) that cannot
 * end while this thread runs: whether another thread can run now (a
 * waiter past its deadline included).  The wait then returns
 * THREADS_RESTART, and syscall_dispatch() calls threads_restart(): the
 * thread waits in T_POLL until another thread makes a system call or its
 * deadline (vm->wait_restart_wake) passes, then makes the call again
 * (its rip back at the `syscall`). */
#define THREADS_RESTART	(-512)	/* Linux's ERESTARTSYS: never seen by the guest */
bool threads_can_switch(struct tkvm_vm *vm);
int64_t threads_restart(struct tkvm_vm *vm, struct kvm_regs *regs, uint64_t nr);
/* At every system call's entry: vm->wait_resume is the deadline the
 * running thread's restarted call nr had (0: a new call). */
void threads_call_entry(struct tkvm_vm *vm, uint64_t nr);
/* The earliest deadline another thread waits for, CLOCK_MONOTONIC ns
 * (0: none): a wait the host sleeps through ends no later. */
uint64_t threads_next_deadline(struct tkvm_vm *vm);
unsigned threads_poll_count(const struct thread_table *tt);

/* futex.c */
/* Wakes at most n threads waiting on addr whose bitset meets bitset. */
unsigned futex_wake(struct tkvm_vm *vm, uint64_t addr, uint32_t bitset,
    unsigned n);
/* At a thread's exit: its robust futexes get FUTEX_OWNER_DIED. */
void futex_exit_robust(struct tkvm_vm *vm, struct guest_thread *t);

#endif
