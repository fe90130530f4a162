/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Storage calls (docs/GUEST_API.md, "Storage"): storage_callv from a
 * request VM runs a function of the storage VM (storage.c) with the
 * caller's buffers copied in, storage_return/storage_noreturn hand the
 * result back, and the allow-list says which functions may be called.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program.h"
#include "cpu/x86.h"

#define MAX_BUFFERS	64		/* per storage_callv, as published */

struct virtbuffer_abi {
	uint64_t data, len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
timespec_s(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

bool
storage_allowed(const struct storage *s, uint64_t fn)
{
	if (s->nallow == 0)
		return true;	/* no list: every function, as published */
	for (unsigned i = 0; i < s->nallow; i++)
		if (s->allow[i] == fn)
			return true;
	return false;
}

/* Copies the caller's buffers below the storage stack top: the stack
 * pointer for the call, or 0 when they do not fit. */
static uint64_t
place_buffers(struct storage *s, struct tkvm_vm *caller,
    struct virtbuffer_abi *bufs, uint64_t n)
{
	struct tkvm_vm *sv = s->vm;
	uint64_t addr = s->stack_top;
	const uint64_t floor = addr - storage_stack_room(s);

	for (uint64_t i = 0; i < n; i++) {
		const uint64_t len = bufs[i].len;
		void *dst;
		if (len > addr - floor)
			return 0;
		addr = (addr - len) & ~7ULL;
		if (addr < floor)
			return 0;
		dst = gmem_wr(sv, addr, len);
		if (len != 0)
			memcpy(dst, gmem_at(caller, bufs[i].data, len), len);
		bufs[i].data = addr;
	}
	addr = (addr - n * sizeof *bufs) & ~15ULL;
	if (addr < floor || gmem_put(sv, addr, bufs, n * sizeof *bufs) != 0)
		return 0;
	return addr;
}

/* Checks what the caller gives: 0, or -1 (the call returns -1).  As
 * published, a buffer array or buffer it cannot read ends the request
 * (vm_fail); a result buffer it cannot write makes the call return -1. */
static int
check_buffers(struct tkvm_vm *vm, const struct kvm_regs *r,
    struct virtbuffer_abi *bufs, uint64_t *total)
{
	const uint64_t n = r->rsi;

	*total = 0;
	if (n > MAX_BUFFERS || r->rcx + r->r8 < r->rcx)
		return -1;
	/* dst is checked for the bytes it gets, after the call (as
	 * published: a dstlen larger than the buffer is not an error). */
	/* Copied first: the guest's array is read once. */
	if (n != 0 && gmem_copy(vm, bufs, r->rdx, n * sizeof *bufs) != 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "storage_callv: bad buffer array");
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (bufs[i].len != 0 &&
		    gmem_at(vm, bufs[i].data, bufs[i].len) == NULL) {
			vm_fail(vm, TKVM_STOP_ERROR, "storage_callv: bad "
			    "pointer or length of buffer %u", (unsigned)i);
			return -1;
		}
		*total += bufs[i].len;	/* each below 2^48: no overflow */
	}
	return 0;
}

/* Waits for the storage VM until the caller's deadline; 0 when held. */
static int
storage_lock(struct tkvm_program *p, struct tkvm_vm *vm, double *waited)
{
	struct storage *s = p->storage;
	struct timespec until;
	const double t0 = now_s();
	int e;

	if (vm->deadline != NULL) {
		until = *vm->deadline;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)p->cfg.max_storage_time + 1;
	}
	e = pthread_mutex_clocklock(&s->lock, CLOCK_MONOTONIC, &until);
	*waited = now_s() - t0;
	return e == 0 ? 0 : -1;
}

static void
count_call(struct storage *s, double waited, double ran, uint64_t in,
    const struct storage_call *c, bool failed)
{
	pthread_mutex_lock(&s->stats_lock);
	s->stats.calls++;
	s->stats.failures += failed;
	s->stats.wait_s += waited;
	s->stats.run_s += ran;
	s->stats.bytes_in += in;
	if (c->returned && c->result > 0 && c->dst != 0)
		s->stats.bytes_out += (uint64_t)c->result;
	pthread_mutex_unlock(&s->stats_lock);
}

/* Runs the call with the lock held; 0, or -1 and the caller failed. */
static int
call_locked(struct tkvm_program *p, struct tkvm_vm *vm,
    const struct kvm_regs *r, struct virtbuffer_abi *bufs,
    struct storage_call *c, double *ran)
{
	struct storage *s = p->storage;
	double budget = p->cfg.max_storage_time, t0 = now_s(), named = 0;
	uint64_t a[CALL_ARGS] = { r->rsi, 0, r->r8, 0, 0, 0 }, rsp;
	enum tkvm_stop stop;
	char why[160];
	int rc;

	*ran = 0;
	if (s->vm == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "storage_callv: the storage VM is "
		    "out of service: %s", s->out_of_service);
		return -1;
	}
	if (vm->deadline != NULL && timespec_s(vm->deadline) - t0 < budget) {
		budget = timespec_s(vm->deadline) - t0;
		named = vm->program->cfg.max_request_time;
	}
	if (budget <= 0) {
		vm_fail(vm, TKVM_STOP_TIMEOUT, "storage_callv: no time left "
		    "for the storage call");
		return -1;
	}
	rsp = place_buffers(s, vm, bufs, r->rsi);
	if (rsp == 0)
		return 1;	/* too large: the call returns -1 */
	a[1] = rsp;
	rc = storage_run(p, r->rdi, a, rsp, c, budget, named, &stop, why,
	    sizeof why);
	*ran = now_s() - t0;
	if (rc != 0) {
		vm_fail(vm, stop, "storage function 0x%llx failed: %s",
		    (unsigned long long)r->rdi, why);
		return -1;
	}
	return 0;
}

int64_t
api_storage_callv(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_program *p = vm->program;
	struct storage *s = p != NULL ? p->storage : NULL;
	struct virtbuffer_abi bufs[MAX_BUFFERS];
	struct storage_call c = { .caller = vm, .dst = r->rcx, .dstlen = r->r8,
	    .result = -1 };
	uint64_t total;
	double waited, ran;
	int rc;

	if (vm->is_storage)
		return -1;	/* it would wait for itself (as published) */
	if (s == NULL || !s->ready) {
		vm_fail(vm, TKVM_STOP_ERROR, "storage_callv: the program has "
		    "no storage VM (\"storage\": true in its settings)");
		return -1;
	}
	if (!storage_allowed(s, r->rdi)) {
		vm_fail(vm, TKVM_STOP_ERROR, "storage_callv: function 0x%llx "
		    "is not allowed by sys_storage_allow()",
		    (unsigned long long)r->rdi);
		return -1;
	}
	if (check_buffers(vm, r, bufs, &total) != 0)
		return -1;
	if (storage_lock(p, vm, &waited) != 0) {
		vm_fail(vm, TKVM_STOP_TIMEOUT, "storage_callv: the storage VM "
		    "stayed busy until the time limit");
		return -1;
	}
	rc = call_locked(p, vm, r, bufs, &c, &ran);
	pthread_mutex_unlock(&s->lock);
	if (rc > 0)
		return -1;
	count_call(s, waited, ran, total, &c, rc != 0);
	if (rc != 0)
		return -1;
	if (vm->deadline != NULL && now_s() >= timespec_s(vm->deadline)) {
		/* Its timer may have fired inside the storage run. */
		vm_fail(vm, TKVM_STOP_TIMEOUT, "guest exceeded its time limit "
		    "during a storage call");
		return -1;
	}
	return c.returned ? c.result : -1;
}

/* What storage_callv returns: the bytes copied to dst (at most dstlen),
 * or, without dst, the length the storage function gave (as published). */
static int64_t
give_result(struct tkvm_vm *vm, const struct storage_call *c, uint64_t data,
    uint64_t len)
{
	const uint64_t n = len < c->dstlen ? len : c->dstlen;
	const void *src;
	void *dst;

	if (c->caller == NULL)
		return 0;
	if (c->dst == 0)
		return (int64_t)len;
	if (data == 0 || n == 0)
		return (int64_t)n;
	src = gmem_at(vm, data, n);
	dst = gmem_wr(c->caller, c->dst, n);
	if (src == NULL || dst == NULL)
		return -1;
	memcpy(dst, src, n);
	return (int64_t)n;
}

static int64_t
storage_give(struct tkvm_vm *vm, const struct kvm_regs *r, bool noreturn)
{
	struct storage_call *c = vm->scall;

	if (c != NULL && c->kind != SCALL_CALL)
		return live_give(vm, c, r->rdi, r->rsi);
	if (!vm->is_storage || c == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s called outside a storage call",
		    noreturn ? "storage_noreturn" : "storage_return");
		return -1;
	}
	if (c->returned) {
		/* A second result ends the storage function there. */
		vm->halt = HALT_RETURNED;
		return 0;
	}
	c->returned = true;
	c->result = give_result(vm, c, r->rdi, r->rsi);
	if (noreturn)
		vm->halt = HALT_RETURNED;
	return 0;
}

int64_t
api_storage_return(struct tkvm_vm *vm, struct kvm_regs *r)
{
	return storage_give(vm, r, false);
}

int64_t
api_storage_noreturn(struct tkvm_vm *vm, struct kvm_regs *r)
{
	return storage_give(vm, r, true);
}

int64_t
api_is_storage(struct tkvm_vm *vm, struct kvm_regs *r)
{
	(void)r;
	return vm->is_storage ? 1 : 0;
}

/* Only the storage VM, only during its initialization: else -1. */
int64_t
api_storage_allow(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct storage *s = vm->program ? vm->program->storage : NULL;

	if (!vm->is_storage || s == NULL || s->ready ||
	    s->nallow >= STORAGE_MAX_ALLOW)
		return -1;
	s->allow[s->nallow++] = r->rdi;
	return 0;
}

/* Runs the direct call with the lock held: 0 and its result, or -1 and
 * the caller failed. */
static int
direct_locked(struct tkvm_program *p, struct tkvm_vm *vm, uint64_t fn,
    const uint64_t args[CALL_ARGS], struct storage_call *c,
    uint64_t *result, double *ran)
{
	struct storage *s = p->storage;
	double budget = p->cfg.max_storage_time, t0 = now_s(), named = 0;
	enum tkvm_stop stop;
	char why[160];

	*ran = 0;
	if (s->vm == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "direct storage call to 0x%llx: the "
		    "storage VM is out of service: %s", (unsigned long long)fn,
		    s->out_of_service);
		return -1;
	}
	if (vm->deadline != NULL && timespec_s(vm->deadline) - t0 < budget) {
		budget = timespec_s(vm->deadline) - t0;
		named = vm->program->cfg.max_request_time;
	}
	if (budget <= 0) {
		vm_fail(vm, TKVM_STOP_TIMEOUT, "direct storage call to 0x%llx: "
		    "no time left", (unsigned long long)fn);
		return -1;
	}
	if (storage_run(p, fn, args, s->stack_top, c, budget, named, &stop,
	    why, sizeof why) != 0) {
		*ran = now_s() - t0;
		vm_fail(vm, stop, "direct storage call to 0x%llx failed: %s",
		    (unsigned long long)fn, why);
		return -1;
	}
	*ran = now_s() - t0;
	*result = s->vm->run->s.regs.regs.rax;
	return 0;
}

/*
 * A request VM executed an address of the separate storage program, which
 * its page tables do not map: a direct call (docs/DESIGN.md, "Direct
 * storage calls").  The function runs in the storage VM with the caller's
 * six argument registers, serialized and limited like storage_callv, and
 * the caller goes on at its return address with the result in rax, as if
 * the call had returned there.
 */
bool
storage_direct_call(struct tkvm_vm *vm)
{
	struct tkvm_program *p = vm->program;
	struct storage *s = p->storage;
	struct kvm_regs *r = &vm->run->s.regs.regs;
	struct storage_call c = { .caller = vm, .result = -1 };
	struct cpu_fault f;
	uint64_t ret, result = 0;
	double waited, ran;
	int rc;

	if (s == NULL || s->direct_hi == 0 || vm->is_storage ||
	    cpu_user_fault(vm, 14, &f) != 0 || (f.code & 0x10) == 0 ||
	    f.cr2 != f.rip || f.rip < s->direct_lo || f.rip >= s->direct_hi)
		return false;
	const uint64_t args[CALL_ARGS] = { r->rdi, r->rsi, r->rdx, r->rcx,
	    r->r8, r->r9 };
	if (gmem_copy(vm, &ret, f.rsp, sizeof ret) != 0) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "direct storage call to 0x%llx: "
		    "no return address on the caller's stack (rsp 0x%llx)",
		    (unsigned long long)f.rip, (unsigned long long)f.rsp);
		return true;
	}
	if (!storage_allowed(s, f.rip)) {
		vm_fail(vm, TKVM_STOP_ERROR, "direct storage call to 0x%llx: not "
		    "a function allowed by sys_storage_allow()",
		    (unsigned long long)f.rip);
		return true;
	}
	if (storage_lock(p, vm, &waited) != 0) {
		vm_fail(vm, TKVM_STOP_TIMEOUT, "direct storage call to 0x%llx: "
		    "the storage VM stayed busy until the time limit",
		    (unsigned long long)f.rip);
		return true;
	}
	rc = direct_locked(p, vm, f.rip, args, &c, &result, &ran);
	pthread_mutex_unlock(&s->lock);
	count_call(s, waited, ran, 0, &c, rc != 0);
	if (rc != 0)
		return true;
	if (vm->deadline != NULL && now_s() >= timespec_s(vm->deadline)) {
		vm_fail(vm, TKVM_STOP_TIMEOUT, "guest exceeded its time limit "
		    "during a direct storage call");
		return true;
	}
	/* As the function's `ret` would have: pop the return address. */
	r->rax = result;
	r->rip = ret;
	r->rsp = f.rsp + 8;
	/* The flags a user program may hold, as the syscall return does:
	 * the frame is the CPU's, but a guest can enter the fault stub. */
	r->rflags = (f.rflags & RFLAGS_USER) | vm->user_rflags;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	cpu_restore_segments(vm);
	return true;
}
