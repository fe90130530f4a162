/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest threads and the waits on emulated fds (poll.c, epoll.c, fdobj.c).
 *
 * A wait that cannot end while its thread runs gives the vCPU away: the
 * call returns THREADS_RESTART, threads_restart() puts the thread back
 * at its `syscall` and parks it in T_POLL, and the call is made again
 * when it next runs, with the absolute deadline it had.  Nothing but
 * another thread's system call can change an fd (nothing outside the
 * guest does), so a T_POLL thread becomes runnable when another thread
 * makes a system call (threads_call_entry()), or at its deadline (its
 * timeout, or the timerfd it waits on); a thread making its restarted
 * call again does not wake the others, so waiters never take turns on
 * the vCPU for nothing.  With every thread waiting and no deadline, the
 * run fails as a deadlock (threads_block()).
 */
#include <errno.h>
#include <time.h>

#include "linux/threads.h"

#define NS	1000000000ULL

bool
threads_can_switch(struct tkvm_vm *vm)
{
	struct thread_table *tt = vm->threads;

	if (tt == NULL || tt->live < 2)
		return false;
	if (threads_earliest(tt) != NULL)
		threads_expire(tt);
	return threads_pick_ready(tt) >= 0;
}

uint64_t
threads_next_deadline(struct tkvm_vm *vm)
{
	struct thread_table *tt = vm->threads;
	const struct guest_thread *t;

	if (tt == NULL || tt->live < 2 || (t = threads_earliest(tt)) == NULL)
		return 0;
	return (uint64_t)t->deadline.tv_sec * NS + (uint64_t)t->deadline.tv_nsec;
}

unsigned
threads_poll_count(const struct thread_table *tt)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tt->max; i++)
		n += tt->t[i].state == T_POLL;
	return n;
}

int64_t
threads_restart(struct tkvm_vm *vm, struct kvm_regs *regs, uint64_t nr)
{
	struct thread_table *tt = vm->threads;
	struct guest_thread *cur = &tt->t[tt->cur];
	const uint64_t wake = vm->wait_restart_wake;

	/* Saved by the switch: back at the 2-byte `syscall`, with its
	 * number, the arguments untouched. */
	regs->rcx -= 2;
	regs->rax = nr;
	cur->restart_pending = true;
	cur->restart_nr = nr;
	cur->restart_until = vm->wait_restart_until;
	cur->state = T_POLL;
	cur->slept = (int64_t)nr;	/* rax when it runs again */
	cur->timed = wake != 0;
	cur->deadline.tv_sec = (time_t)(wake / NS);
	cur->deadline.tv_nsec = (long)(wake % NS);
	cur->futex_addr = 0;
	tt->pollers = true;
	return threads_block(vm);
}

/* Another thread may have changed an fd: every T_POLL thread looks again. */
static void
wake_pollers(struct thread_table *tt)
{
	for (unsigned i = 0; i < tt->max; i++)
		if (tt->t[i].state == T_POLL)
			threads_ready(tt, &tt->t[i], tt->t[i].slept);
	tt->pollers = false;
	tt->touched = true;
}

void
threads_call_entry(struct tkvm_vm *vm, uint64_t nr)
{
	struct thread_table *tt = vm->threads;
	struct guest_thread *t;

	vm->wait_resume = vm->wait_restart_until = vm->wait_restart_wake = 0;
	if (tt == NULL)
		return;
	t = &tt->t[tt->cur];
	if (t->restart_pending && t->restart_nr == nr) {
		vm->wait_resume = t->restart_until;
		t->restart_pending = false;
		return;		/* looking again changes nothing */
	}
	t->restart_pending = false;
	if (tt->pollers)
		wake_pollers(tt);
}
