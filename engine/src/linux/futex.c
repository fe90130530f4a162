/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * futex(2) for the guest's threads (threads.c): wait and wake, with
 * bitsets, requeue, wake-op and timeouts on either clock; and robust
 * futexes at a thread's exit.  Every futex is private to the VM, so the
 * private flag changes nothing.  Waiters are woken in the order they
 * started to wait.  The priority-inheritance operations are not there
 * (-ENOSYS), as on a kernel built without them.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <time.h>

#include "linux/threads.h"

#define ROBUST_LIST_LIMIT 2048	/* as Linux: a looping list ends here */
#define TIMEOUT_SEC_MAX (1LL << 40)

static bool
valid_timespec(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

static void
ts_add(struct timespec *t, time_t sec, long nsec)
{
	t->tv_sec += sec;
	t->tv_nsec += nsec;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	} else if (t->tv_nsec < 0) {
		t->tv_sec--;
		t->tv_nsec += 1000000000L;
	}
}

/* The oldest waiter on addr that bitset selects (bitset 0: any), or NULL. */
static struct guest_thread *
first_waiter(struct thread_table *tt, uint64_t addr, uint32_t bitset)
{
	struct guest_thread *best = NULL;

	for (unsigned i = 0; i < tt->max; i++) {
		struct guest_thread *t = &tt->t[i];
		if (t->state == T_FUTEX && t->futex_addr == addr &&
		    (bitset == 0 || (t->bitset & bitset) != 0) &&
		    (best == NULL || t->seq < best->seq))
			best = t;
	}
	return best;
}

unsigned
futex_wake(struct tkvm_vm *vm, uint64_t addr, uint32_t bitset, unsigned n)
{
	struct thread_table *tt = vm->threads;
	struct guest_thread *t;
	unsigned woken = 0;

	if (tt == NULL)
		return 0;
	tt->touched = true;
	/* As Linux, a count of 0 still wakes one. */
	do {
		if ((t = first_waiter(tt, addr, bitset)) == NULL)
			break;
		threads_ready(tt, t, 0);
	} while (++woken < n);
	return woken;
}

/* The word at addr (aligned, in guest memory): 0, -EINVAL or -EFAULT. */
static int
futex_word(struct tkvm_vm *vm, uint64_t addr, uint32_t *value)
{
	if ((addr & 3) != 0)
		return -EINVAL;
	if (gmem_copy(vm, value, addr, 4) != 0)
		return -EFAULT;
	return 0;
}

/* The deadline on CLOCK_MONOTONIC from the guest's timeout: relative
 * (FUTEX_WAIT) or absolute on either clock.  0, or -errno. */
static int
read_timeout(struct tkvm_vm *vm, uint64_t addr, bool absolute, bool realtime,
    struct timespec *deadline)
{
	struct timespec ts, now;

	if (gmem_copy(vm, &ts, addr, sizeof ts) != 0)
		return -EFAULT;
	if (!valid_timespec(&ts))
		return -EINVAL;
	/* Beyond ~35,000 years: as good as never, without overflow. */
	if (ts.tv_sec > TIMEOUT_SEC_MAX)
		ts.tv_sec = TIMEOUT_SEC_MAX;
	clock_gettime(CLOCK_MONOTONIC, deadline);
	if (!absolute) {
		ts_add(deadline, ts.tv_sec, ts.tv_nsec);
		return 0;
	}
	if (realtime) {
		/* now_monotonic + (ts - now_realtime) */
		clock_gettime(CLOCK_REALTIME, &now);
		ts_add(deadline, ts.tv_sec - now.tv_sec, ts.tv_nsec - now.tv_nsec);
	} else {
		*deadline = ts;
	}
	return 0;
}

static bool
passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return deadline->tv_sec < now.tv_sec || (deadline->tv_sec == now.tv_sec &&
	    deadline->tv_nsec <= now.tv_nsec);
}

static int64_t
futex_wait(struct tkvm_vm *vm, const uint64_t a[6], uint32_t bitset,
    bool absolute, bool realtime)
{
	struct timespec deadline;
	struct guest_thread *t;
	uint32_t value;
	int r;

	if (a[3] != 0 && (r = read_timeout(vm, a[3], absolute, realtime,
	    &deadline)) != 0)
		return r;
	if (bitset == 0)
		return -EINVAL;
	if ((r = futex_word(vm, a[0], &value)) != 0)
		return r;
	if (value != (uint32_t)a[2])
		return -EAGAIN;
	if (a[3] != 0 && passed(&deadline))
		return -ETIMEDOUT;
	if ((t = threads_current(vm)) == NULL)
		return -ENOMEM;
	t->state = T_FUTEX;
	t->futex_addr = a[0];
	t->bitset = bitset;
	t->timed = a[3] != 0;
	t->deadline = deadline;
	t->seq = ++vm->threads->seq;
	return threads_block(vm);
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake a[2] waiters of a[0], move up
 * to a[3] more to a[4]; the total is returned. */
static int64_t
futex_requeue(struct tkvm_vm *vm, const uint64_t a[6], bool cmp)
{
	struct thread_table *tt = vm->threads;
	const int nr_wake = (int)a[2], nr_requeue = (int)a[3];
	struct guest_thread *t;
	uint32_t value, other;
	int r, count = 0;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if ((r = futex_word(vm, a[0], &value)) != 0 ||
	    (r = futex_word(vm, a[4], &other)) != 0)
		return r;
	if (cmp && value != (uint32_t)a[5])
		return -EAGAIN;
	if (tt == NULL)
		return 0;
	tt->touched = true;
	while (count < nr_wake && (t = first_waiter(tt, a[0], 0)) != NULL) {
		threads_ready(tt, t, 0);
		count++;
	}
	if (a[4] == a[0]) {
		/* Requeued onto itself: they stay where they are, counted. */
		for (unsigned i = 0; i < tt->max && count - nr_wake < nr_requeue;
		    i++)
			if (tt->t[i].state == T_FUTEX && tt->t[i].futex_addr == a[0])
				count++;
		return count;
	}
	while (count - nr_wake < nr_requeue &&
	    (t = first_waiter(tt, a[0], 0)) != NULL) {
		t->futex_addr = a[4];
		t->seq = ++tt->seq;
		count++;
	}
	return count;
}

/* FUTEX_WAKE_OP: *a[4] changes by the operation in a[5]; a[2] waiters of
 * a[0] wake, and a[3] of a[4] if the old value compared true. */
static int64_t
futex_wake_op(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint32_t enc = (uint32_t)a[5];
	unsigned op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
	int32_t oparg = ((int32_t)(enc << 8)) >> 20;
	const int32_t cmparg = ((int32_t)(enc << 20)) >> 20;
	uint32_t old, now, dummy;
	bool hit;
	int64_t woken;
	int r;

	if (enc & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28))
		oparg = (int32_t)(1u << (oparg & 31));
	if ((r = futex_word(vm, a[0], &dummy)) != 0 ||
	    (r = futex_word(vm, a[4], &old)) != 0)
		return r;
	switch (op) {
	case FUTEX_OP_SET: now = (uint32_t)oparg; break;
	case FUTEX_OP_ADD: now = old + (uint32_t)oparg; break;
	case FUTEX_OP_OR: now = old | (uint32_t)oparg; break;
	case FUTEX_OP_ANDN: now = old & ~(uint32_t)oparg; break;
	case FUTEX_OP_XOR: now = old ^ (uint32_t)oparg; break;
	default: return -ENOSYS;
	}
	/* As Linux: the word changes before the comparison is decoded. */
	if (gmem_put(vm, a[4], &now, 4) != 0)
		return -EFAULT;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ: hit = (int32_t)old == cmparg; break;
	case FUTEX_OP_CMP_NE: hit = (int32_t)old != cmparg; break;
	case FUTEX_OP_CMP_LT: hit = (int32_t)old < cmparg; break;
	case FUTEX_OP_CMP_LE: hit = (int32_t)old <= cmparg; break;
	case FUTEX_OP_CMP_GT: hit = (int32_t)old > cmparg; break;
	case FUTEX_OP_CMP_GE: hit = (int32_t)old >= cmparg; break;
	default: return -ENOSYS;
	}
	woken = futex_wake(vm, a[0], 0, (unsigned)a[2]);
	if (hit)
		woken += futex_wake(vm, a[4], 0, (unsigned)a[3]);
	return woken;
}

static int64_t
futex_wake_call(struct tkvm_vm *vm, uint64_t addr, uint32_t count,
    uint32_t bitset)
{
	uint32_t value;
	int r;

	if (bitset == 0)
		return -EINVAL;
	if ((r = futex_word(vm, addr, &value)) != 0)
		return r;
	return futex_wake(vm, addr, bitset, count);
}

int64_t
sys_futex(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t cmd = a[1] & ~(uint64_t)(FUTEX_PRIVATE_FLAG |
	    FUTEX_CLOCK_REALTIME);
	const bool realtime = (a[1] & FUTEX_CLOCK_REALTIME) != 0;

	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(vm, a, ~0u, false, false);
	case FUTEX_WAIT_BITSET:
		return futex_wait(vm, a, (uint32_t)a[5], true, realtime);
	case FUTEX_WAKE:
		return futex_wake_call(vm, a[0], (uint32_t)a[2], ~0u);
	case FUTEX_WAKE_BITSET:
		return futex_wake_call(vm, a[0], (uint32_t)a[2], (uint32_t)a[5]);
	case FUTEX_REQUEUE:
		return futex_requeue(vm, a, false);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(vm, a, true);
	case FUTEX_WAKE_OP:
		return futex_wake_op(vm, a);
	default:
		return -ENOSYS;
	}
}

/* One robust futex of a thread that exits: marked FUTEX_OWNER_DIED if it
 * still holds it, one waiter woken. */
static void
robust_release(struct tkvm_vm *vm, uint64_t addr, int tid)
{
	uint32_t value, now;

	if ((addr & 3) != 0 || gmem_copy(vm, &value, addr, 4) != 0 ||
	    (value & FUTEX_TID_MASK) != (uint32_t)tid)
		return;
	now = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (gmem_put(vm, addr, &now, 4) == 0 && (value & FUTEX_WAITERS))
		futex_wake(vm, addr, ~0u, 1);
}

void
futex_exit_robust(struct tkvm_vm *vm, struct guest_thread *t)
{
	struct { uint64_t next; int64_t offset; uint64_t pending; } head;
	uint64_t entry;
	unsigned limit = ROBUST_LIST_LIMIT;

	if (t->robust_head == 0 ||
	    gmem_copy(vm, &head, t->robust_head, sizeof head) != 0)
		return;
	entry = head.next & ~1ULL;
	while (entry != t->robust_head && entry != 0 && limit-- > 0) {
		uint64_t next;
		if (gmem_copy(vm, &next, entry, 8) != 0)
			break;
		if (entry != (head.pending & ~1ULL))
			robust_release(vm, entry + (uint64_t)head.offset, t->tid);
		entry = next & ~1ULL;
	}
	if ((head.pending & ~1ULL) != 0)
		robust_release(vm, (head.pending & ~1ULL) + (uint64_t)head.offset,
		    t->tid);
	t->robust_head = 0;
}
