/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest threads: clone/clone3 of a thread, thread exit, gettid,
 * set_tid_address, set_robust_list, sched_yield and the scheduler.
 *
 * Threads share the VM's one vCPU and run one at a time.  A thread runs
 * until its system call blocks (futex.c, nanosleep, sched_yield, exit);
 * the scheduler then saves its registers (from the kvm_run page, no
 * ioctl), its FS base and its XSAVE state (KVM_GET_XSAVE), and loads the
 * next runnable thread's (KVM_SET_XSAVE): two ioctls a switch.  Every
 * thread that does not run stopped at a system call, so its return
 * address and flags are in rcx and r11; the syscall stub returns through
 * them whichever ring SYSCALL entered (run.c, handle_syscall).
 *
 * The table is created when a program first uses it; a request VM's
 * table is a copy of its main VM's, taken again at every reset.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "linux/threads.h"

#define MAIN_TID	1
#define TID_MAX		0x3fffffff	/* FUTEX_TID_MASK */
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | \
	CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | \
	CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | \
	CLONE_DETACHED | CLONE_PTRACE | CLONE_UNTRACED | CLONE_IO | \
	CLONE_PARENT | CSIGNAL)

static void
main_thread(struct thread_table *tt)
{
	for (unsigned i = 0; i < tt->max; i++) {
		tt->t[i].state = T_FREE;
		tt->t[i].xsave_valid = false;
	}
	tt->t[0].state = T_RUN;
	tt->t[0].tid = MAIN_TID;
	tt->t[0].clear_tid = tt->t[0].robust_head = tt->t[0].robust_len = 0;
	tt->live = 1;
	tt->cur = 0;
	tt->next_tid = MAIN_TID + 1;
	tt->seq = 0;
}

struct thread_table *
threads_get(struct tkvm_vm *vm)
{
	struct thread_table *tt = vm->threads;
	unsigned max = vm->cfg.max_threads ? vm->cfg.max_threads :
	    THREADS_DEFAULT_MAX;

	if (tt != NULL)
		return tt;
	if (max > THREADS_LIMIT)
		max = THREADS_LIMIT;
	tt = calloc(1, sizeof *tt);
	if (tt == NULL || (tt->t = calloc(max, sizeof *tt->t)) == NULL) {
		free(tt);
		return NULL;
	}
	tt->max = max;
	/* KVM_GET_XSAVE fills struct kvm_xsave (4 KiB); a larger area (AMX)
	 * needs KVM_GET_XSAVE2 and the size KVM gives for it. */
	tt->xsave_bytes = sizeof(struct kvm_xsave);
	if (vm->master != NULL && vm->master->threads != NULL)
		tt->xsave_bytes = vm->master->threads->xsave_bytes;	/* a copy */
#ifdef KVM_CAP_XSAVE2
	else if (vm->xsave_size > sizeof(struct kvm_xsave)) {
		int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
		if (n > (int)tt->xsave_bytes)
			tt->xsave_bytes = (uint32_t)n;
	}
#endif
	main_thread(tt);
	tt->touched = true;
	vm->threads = tt;
	return tt;
}

struct guest_thread *
threads_current(struct tkvm_vm *vm)
{
	struct thread_table *tt = threads_get(vm);

	return tt != NULL ? &tt->t[tt->cur] : NULL;
}

bool
threads_others(const struct tkvm_vm *vm)
{
	return vm->threads != NULL && vm->threads->live > 1;
}

bool
threads_tid_alive(const struct tkvm_vm *vm, int64_t tid)
{
	const struct thread_table *tt = vm->threads;

	if (tt == NULL)
		return tid == MAIN_TID;
	for (unsigned i = 0; i < tt->max; i++)
		if (tt->t[i].state != T_FREE && tt->t[i].tid == tid)
			return true;
	return false;
}

void
threads_ready(struct thread_table *tt, struct guest_thread *t, int64_t result)
{
	t->state = T_READY;
	t->result = result;
	t->seq = ++tt->seq;
	t->futex_addr = 0;
	t->timed = false;
}

/* A KVM refusal: the run stops, and a request VM is not used again. */
static void
switch_failed(struct tkvm_vm *vm, const char *what)
{
	vm_fail(vm, TKVM_STOP_ERROR, "cannot switch guest threads: %s: %s",
	    what, strerror(errno));
	if (vm->master != NULL && vm->broken[0] == '\0')
		snprintf(vm->broken, sizeof vm->broken, "%s", vm->fault);
}

static int
xsave_io(struct tkvm_vm *vm, struct thread_table *tt, struct guest_thread *t,
    bool get)
{
	unsigned long req = get ? KVM_GET_XSAVE : KVM_SET_XSAVE;

	if (t->xsave == NULL && (t->xsave = calloc(1, tt->xsave_bytes)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
#ifdef KVM_GET_XSAVE2
	if (get && tt->xsave_bytes > sizeof(struct kvm_xsave))
		req = KVM_GET_XSAVE2;
#endif
	vm->counters.kvm_ioctls++;
	if (ioctl(vm->vcpu_fd, req, t->xsave) != 0)
		return -1;
	t->xsave_valid = true;
	return 0;
}

/* Puts thread idx on the vCPU; returns what its system call returns. */
static int64_t
switch_to(struct tkvm_vm *vm, struct thread_table *tt, unsigned idx)
{
	struct guest_thread *cur = &tt->t[tt->cur], *next = &tt->t[idx];
	struct kvm_regs *r = &vm->run->s.regs.regs;
	const uint64_t stub_rip = r->rip;

	if (idx == tt->cur) {
		next->state = T_RUN;
		return next->result;
	}
	if (cur->state != T_FREE) {
		cur->regs = *r;
		cur->fs_base = vm->fs_base;
		if (xsave_io(vm, tt, cur, true) != 0) {
			switch_failed(vm, "KVM_GET_XSAVE");
			return -EIO;
		}
	}
	if (next->xsave_valid && xsave_io(vm, tt, next, false) != 0) {
		switch_failed(vm, "KVM_SET_XSAVE");
		return -EIO;
	}
	/* Back through the stub it entered: rcx and r11 are the thread's
	 * own return address and flags. */
	*r = next->regs;
	r->rip = stub_rip;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	if (next->fs_base != vm->fs_base)
		cpu_set_fs_base(vm, next->fs_base);
	tt->cur = idx;
	next->state = T_RUN;
	tt->switches++;
	return next->result;
}

static int
ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* The runnable thread that became runnable first, or -1. */
int
threads_pick_ready(const struct thread_table *tt)
{
	int best = -1;

	for (unsigned i = 0; i < tt->max; i++)
		if (tt->t[i].state == T_READY &&
		    (best < 0 || tt->t[i].seq < tt->t[best].seq))
			best = (int)i;
	return best;
}

struct guest_thread *
threads_earliest(struct thread_table *tt)
{
	struct guest_thread *e = NULL;

	for (unsigned i = 0; i < tt->max; i++) {
		struct guest_thread *t = &tt->t[i];
		if (t->state >= T_FUTEX && t->timed &&
		    (e == NULL || ts_cmp(&t->deadline, &e->deadline) < 0))
			e = t;
	}
	return e;
}

/* What a waiter's system call returns when its deadline passes. */
static int64_t
timed_out(const struct guest_thread *t)
{
	return t->state == T_FUTEX ? -ETIMEDOUT : t->slept;
}

/* Waiters whose deadline has passed become runnable; true if any did. */
bool
threads_expire(struct thread_table *tt)
{
	struct timespec now;
	bool woke = false;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned i = 0; i < tt->max; i++) {
		struct guest_thread *t = &tt->t[i];
		if (t->state >= T_FUTEX && t->timed &&
		    ts_cmp(&t->deadline, &now) <= 0) {
			threads_ready(tt, t, timed_out(t));
			woke = true;
		}
	}
	return woke;
}

/* Every thread waits: the host sleeps until the first deadline, never past
 * the run's own (the timer then ends the run at the next entry). */
static void
wait_for_deadline(struct tkvm_vm *vm, struct thread_table *tt,
    struct guest_thread *first)
{
	struct timespec until = first->deadline;

	if (vm->deadline != NULL && ts_cmp(vm->deadline, &until) < 0)
		until = *vm->deadline;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	    EINTR)
		;
	if (!threads_expire(tt))
		threads_ready(tt, first, timed_out(first));
}

int64_t
threads_block(struct tkvm_vm *vm)
{
	struct thread_table *tt = vm->threads;

	tt->touched = true;
	if (threads_earliest(tt) != NULL)
		threads_expire(tt);
	for (;;) {
		int next = threads_pick_ready(tt);
		struct guest_thread *first;

		if (next >= 0)
			return switch_to(vm, tt, (unsigned)next);
		first = threads_earliest(tt);
		if (first == NULL)
			break;
		wait_for_deadline(vm, tt, first);
	}
	if (tt->live == 1)
		vm_fail(vm, TKVM_STOP_EXCEPTION,
		    "guest deadlocked: futex wait with no other thread");
	else if (threads_poll_count(tt) == 0)
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest deadlocked: all %u "
		    "threads wait on futexes with no timeout", tt->live);
	else
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest deadlocked: all %u "
		    "threads wait with no timeout (%u on fds)", tt->live,
		    threads_poll_count(tt));
	return -EDEADLK;
}

int64_t
threads_sleep(struct tkvm_vm *vm, const struct timespec *until)
{
	struct guest_thread *t = threads_current(vm);

	t->state = T_SLEEP;
	t->timed = true;
	t->deadline = *until;
	t->slept = 0;
	return threads_block(vm);
}

int64_t
sys_sched_yield(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct thread_table *tt = vm->threads;

	(void)a;
	if (tt == NULL || tt->live == 1)
		return 0;
	if (threads_pick_ready(tt) < 0 && (threads_earliest(tt) == NULL || !threads_expire(tt)))
		return 0;
	threads_ready(tt, &tt->t[tt->cur], 0);
	return threads_block(vm);
}

static int
new_tid(struct thread_table *tt)
{
	for (;;) {
		int tid = tt->next_tid;
		tt->next_tid = tid >= TID_MAX ? MAIN_TID + 1 : tid + 1;
		for (unsigned i = 0; i < tt->max; i++)
			if (tt->t[i].state != T_FREE && tt->t[i].tid == tid)
				tid = 0;
		if (tid != 0)
			return tid;
	}
}

/* Both clone calls, once their arguments are read: a thread, or the
 * errno a process gets that may not fork. */
static int64_t
spawn(struct tkvm_vm *vm, uint64_t flags, uint64_t stack, uint64_t ptid,
    uint64_t ctid, uint64_t tls)
{
	struct thread_table *tt;
	struct guest_thread *child = NULL;
	const struct kvm_regs *r = &vm->run->s.regs.regs;

	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (!(flags & CLONE_THREAD))
		return -ENOSYS;		/* fork, vfork, posix_spawn */
	if (flags & ~(uint64_t)CLONE_THREAD_FLAGS)
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= (1ULL << 47))
		return -EPERM;
	if ((tt = threads_get(vm)) == NULL)
		return -ENOMEM;
	tt->touched = true;
	if (tt->live >= tt->max) {
		vm_verbose(vm, "clone: the thread limit (max_threads %u) is "
		    "reached", tt->max);
		return -EAGAIN;
	}
	for (unsigned i = 0; i < tt->max && child == NULL; i++)
		if (tt->t[i].state == T_FREE)
			child = &tt->t[i];
	child->tid = new_tid(tt);
	child->regs = *r;
	if (stack != 0)
		child->regs.rsp = stack;
	child->fs_base = (flags & CLONE_SETTLS) ? tls : vm->fs_base;
	child->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	child->robust_head = child->robust_len = 0;
	/* The child starts with its parent's FPU and vector state. */
	if (xsave_io(vm, tt, child, true) != 0) {
		switch_failed(vm, "KVM_GET_XSAVE");
		return -EIO;
	}
	threads_ready(tt, child, 0);
	tt->live++;
	/* As Linux, a bad address here is ignored. */
	if (flags & CLONE_PARENT_SETTID)
		gmem_put(vm, ptid, &child->tid, 4);
	if (flags & CLONE_CHILD_SETTID)
		gmem_put(vm, ctid, &child->tid, 4);
	return child->tid;
}

int64_t
sys_clone(struct tkvm_vm *vm, const uint64_t a[6])
{
	/* x86-64: flags, stack, parent_tid, child_tid, tls */
	return spawn(vm, a[0] & 0xffffffffULL, a[1], a[2], a[3], a[4]);
}

struct clone_args_abi {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

int64_t
sys_clone3(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct clone_args_abi ca;
	const uint64_t size = a[1];

	memset(&ca, 0, sizeof ca);
	if (size < 64)			/* CLONE_ARGS_SIZE_VER0 */
		return -EINVAL;
	if (size > PAGE_SIZE_4K)
		return -E2BIG;
	if (gmem_copy(vm, &ca, a[0], size < sizeof ca ? size : sizeof ca) != 0)
		return -EFAULT;
	if (size > sizeof ca) {
		const uint8_t *tail = gmem_at(vm, a[0] + sizeof ca,
		    size - sizeof ca);
		if (tail == NULL)
			return -EFAULT;
		for (uint64_t i = 0; i < size - sizeof ca; i++)
			if (tail[i] != 0)
				return -E2BIG;
	}
	if ((ca.flags >> 32) != 0 || (ca.flags & (CLONE_DETACHED | CSIGNAL)) ||
	    (ca.exit_signal & ~(uint64_t)CSIGNAL) || ca.set_tid != 0 ||
	    ca.set_tid_size != 0 || (ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	return spawn(vm, ca.flags, ca.stack + ca.stack_size, ca.parent_tid,
	    ca.child_tid, ca.tls);
}

int64_t
sys_exit(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct thread_table *tt = vm->threads;
	struct guest_thread *t;
	const uint32_t zero = 0;

	if (tt == NULL || tt->live <= 1) {
		vm_exit(vm, (int)a[0]);
		return 0;
	}
	/* One thread of several: the process goes on. */
	tt->touched = true;
	t = &tt->t[tt->cur];
	futex_exit_robust(vm, t);
	if (t->clear_tid != 0 && gmem_put(vm, t->clear_tid, &zero, 4) == 0)
		futex_wake(vm, t->clear_tid, ~0u, 1);
	t->state = T_FREE;
	t->xsave_valid = false;
	tt->live--;
	return threads_block(vm);
}

int64_t
sys_exit_group(struct tkvm_vm *vm, const uint64_t a[6])
{
	vm_exit(vm, (int)a[0]);
	return 0;
}

int64_t
sys_gettid(struct tkvm_vm *vm, const uint64_t a[6])
{
	(void)a;
	return vm->threads != NULL ? vm->threads->t[vm->threads->cur].tid :
	    MAIN_TID;
}

int64_t
sys_set_tid_address(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_thread *t = threads_current(vm);

	if (t == NULL)
		return MAIN_TID;
	vm->threads->touched = true;
	t->clear_tid = a[0];
	return t->tid;
}

int64_t
sys_set_robust_list(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_thread *t;

	if (a[1] != 24)		/* sizeof(struct robust_list_head) */
		return -EINVAL;
	if ((t = threads_current(vm)) == NULL)
		return -ENOMEM;
	vm->threads->touched = true;
	t->robust_head = a[0];
	t->robust_len = a[1];
	return 0;
}

/* A request VM starts from its main VM's threads: those created while it
 * initialized, each where it stopped; nothing of a request's own. */
int
threads_reset(struct tkvm_vm *vm)
{
	const struct thread_table *m = vm->master->threads;
	struct thread_table *tt = vm->threads;

	if (tt == NULL && m == NULL)
		return 0;
	if (tt != NULL && !tt->touched)
		return 0;
	if (tt == NULL && (tt = threads_get(vm)) == NULL)
		return -1;
	if (m == NULL) {
		main_thread(tt);
		tt->touched = false;
		return 0;
	}
	for (unsigned i = 0; i < tt->max && i < m->max; i++) {
		void *xsave = tt->t[i].xsave;
		tt->t[i] = m->t[i];
		tt->t[i].xsave = xsave;
		if (!m->t[i].xsave_valid)
			continue;
		if (xsave == NULL &&
		    (tt->t[i].xsave = malloc(tt->xsave_bytes)) == NULL)
			return -1;
		memcpy(tt->t[i].xsave, m->t[i].xsave, tt->xsave_bytes);
	}
	tt->live = m->live;
	tt->cur = m->cur;
	tt->next_tid = m->next_tid;
	tt->seq = m->seq;
	tt->pollers = true;	/* threads_wake_pollers() looks */
	tt->touched = false;
	return 0;
}

void
threads_fini(struct tkvm_vm *vm)
{
	struct thread_table *tt = vm->threads;

	if (tt == NULL)
		return;
	if (vm->master == NULL)		/* the main VM, or a plain run */
		vm_verbose(vm, "threads: %llu switches",
		    (unsigned long long)tt->switches);
	for (unsigned i = 0; i < tt->max; i++)
		free(tt->t[i].xsave);
	free(tt->t);
	free(tt);
	vm->threads = NULL;
}
