/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VM under gdb: the run loop with stops.  Between stops the guest runs
 * as always (vm_run_plain); what ends a run becomes a stop gdb sees:
 * an exception (its signal), int3 (SIGTRAP, at the breakpoint), the trap
 * of a single step, sys_breakpoint().  Breakpoints are written into guest
 * memory only while the guest runs, so gdb reads the original bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "debug/debug.h"

#define RFLAGS_TF	0x100ULL
#define INT3		0xcc

bool
debug_active(const struct tkvm_vm *vm)
{
	return vm->dbg != NULL && !vm->dbg->detached;
}

/* A debug session proper (gdb is or was there, or is awaited at the
 * entry), not one that only waits for a crash. */
bool
debug_is_session(const struct tkvm_vm *vm)
{
	return debug_active(vm) && (vm->dbg->cfg.stop_at_entry ||
	    vm->dbg->connected);
}

bool
tkvm_vm_is_debug(const struct tkvm_vm *vm)
{
	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	return vm->dbg != NULL && vm->dbg->cfg.stop_at_entry;
}

int
tkvm_vm_debug(struct tkvm_vm *vm, const struct tkvm_debug_config *dc,
    char *err, size_t errlen)
{
	struct debug_session *d;

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_AN(dc);
	if (vm->dbg != NULL) {
		snprintf(err, errlen, "the VM is already being debugged");
		return -1;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->cfg = *dc;
	d->cfg.listen = NULL;		/* the caller's string */
	d->conn.wait_s = dc->wait_s;
	if (rsp_listen(&d->conn, dc->listen, err, errlen) != 0) {
		rsp_close(&d->conn);
		free(d);
		return -1;
	}
	d->entry_pending = dc->stop_at_entry;
	vm->dbg = d;
	return 0;
}

const char *
tkvm_vm_debug_target(const struct tkvm_vm *vm)
{
	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	return vm->dbg != NULL ? vm->dbg->conn.target : NULL;
}

void
debug_fini(struct tkvm_vm *vm)
{
	if (vm->dbg == NULL)
		return;
	rsp_close(&vm->dbg->conn);
	free(vm->dbg);
	vm->dbg = NULL;
}

static int
signal_of(unsigned vector)
{
	switch (vector) {
	case 0: case 7: case 16: case 19: return GDB_SIGFPE;
	case 1: case 3: return GDB_SIGTRAP;
	case 6: return GDB_SIGILL;
	case 12: case 17: return GDB_SIGBUS;
	default: return GDB_SIGSEGV;
	}
}

static struct debug_bp *
bp_at(struct debug_session *d, uint64_t addr)
{
	for (unsigned i = 0; i < d->nbp; i++)
		if (d->bp[i].addr == addr)
			return &d->bp[i];
	return NULL;
}

static void
insert_breakpoints(struct tkvm_vm *vm, struct debug_session *d)
{
	for (unsigned i = 0; i < d->nbp; i++) {
		uint8_t *p = gmem_wr(vm, d->bp[i].addr, 1);
		if (p == NULL || d->bp[i].inserted)
			continue;
		d->bp[i].saved = *p;
		*p = INT3;
		d->bp[i].inserted = true;
	}
}

static void
remove_breakpoints(struct tkvm_vm *vm, struct debug_session *d)
{
	for (unsigned i = 0; i < d->nbp; i++) {
		uint8_t *p = gmem_wr(vm, d->bp[i].addr, 1);
		if (p != NULL && d->bp[i].inserted)
			*p = d->bp[i].saved;
		d->bp[i].inserted = false;
	}
}

/* sys_breakpoint() stopped the run with rip possibly still on its
 * `out`: gdb is shown the instruction after it. */
static void
step_past_api_call(struct tkvm_vm *vm)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	const uint8_t *code = gmem_at(vm, r->rip, 2);

	if (code != NULL && code[0] == 0xe7 && code[1] == 0x00) {
		r->rip += 2;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	}
}

static void
end_session(struct debug_session *d)
{
	rsp_close(&d->conn);
	d->connected = false;
	d->detached = true;
}

/* Tells a connected gdb how the program ended, and lets it go. */
static void
report_end(struct debug_session *d, enum vm_halt h, const struct tkvm_result *res,
    int signal)
{
	char reply[16];

	if (d->connected && d->owes_reply) {
		if (h == HALT_EXIT)
			snprintf(reply, sizeof reply, "W%02x", res->status & 0xff);
		else if (h != HALT_FAULT)	/* waits for requests: done */
			snprintf(reply, sizeof reply, "W00");
		else
			snprintf(reply, sizeof reply, "X%02x", signal ? signal :
			    GDB_SIGKILL);
		rsp_send_str(&d->conn, reply);
	}
	end_session(d);
}

/*
 * A stop: waits for gdb if it is not there yet, then serves it.  Returns
 * what gdb asked for; DEBUG_KILL with why when it killed, left or never
 * came.
 */
static enum debug_action
stop(struct tkvm_vm *vm, struct debug_session *d, const char *what,
    char *why, size_t whylen)
{
	enum debug_action act;

	if (!d->connected) {
		if (d->cfg.waiting != NULL)
			d->cfg.waiting(d->cfg.opaque, d->conn.target, what);
		if (rsp_accept(&d->conn, why, whylen) != 0)
			return DEBUG_KILL;
		d->connected = true;
	} else if (d->owes_reply) {
		char reply[64];
		snprintf(reply, sizeof reply, "T%02xthread:1;%s", d->signal,
		    d->swbreak ? "swbreak:;" : "");
		rsp_send_str(&d->conn, reply);
	}
	d->owes_reply = false;
	act = gdbstub_serve(vm, d, why, whylen);
	if (act == DEBUG_CONTINUE || act == DEBUG_STEP)
		d->owes_reply = true;
	return act;
}

/* How a run ended, as a stop: true with d->signal set, false when the
 * run ended for good (exit, time out, a fault outside the guest). */
static bool
classify(struct tkvm_vm *vm, struct debug_session *d, enum vm_halt h,
    bool *fatal)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	int v = vm->last_exception;

	*fatal = false;
	d->swbreak = false;
	if (h == HALT_DEBUG) {
		d->signal = GDB_SIGTRAP;
		step_past_api_call(vm);
		return true;
	}
	if (h != HALT_FAULT || v < 0 || cpu_exception_return(vm, (unsigned)v) != 0)
		return false;
	r->rflags &= ~RFLAGS_TF;
	d->signal = signal_of((unsigned)v);
	if (v == 3 && bp_at(d, r->rip - 1) != NULL) {
		r->rip--;
		d->swbreak = true;
	}
	*fatal = v != 1 && v != 3;
	return true;
}

/* Runs the guest once for gdb's action: a continue starting on a
 * breakpoint first steps off it with the breakpoints out of memory. */
static enum vm_halt
run_for(struct tkvm_vm *vm, struct debug_session *d, enum debug_action act,
    double timeout_s, struct tkvm_result *res, bool *fatal, bool *stopped)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	enum vm_halt h;

	for (;;) {
		bool step_off = act == DEBUG_CONTINUE && bp_at(d, r->rip) != NULL;
		vm->debug_stepping = act == DEBUG_STEP || step_off;
		if (vm->debug_stepping)
			r->rflags |= RFLAGS_TF;
		else
			insert_breakpoints(vm, d);
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		h = vm_run_plain(vm, timeout_s, res);
		remove_breakpoints(vm, d);
		vm->debug_stepping = false;
		*stopped = classify(vm, d, h, fatal);
		if (step_off && *stopped && !*fatal && !d->swbreak &&
		    vm->last_exception == 1) {
			act = DEBUG_CONTINUE;	/* off the breakpoint: go on */
			continue;
		}
		return h;
	}
}

enum vm_halt
debug_run(struct tkvm_vm *vm, double timeout_s, struct tkvm_result *res)
{
	struct debug_session *d = vm->dbg;
	struct tkvm_result crash;
	enum debug_action act;
	enum vm_halt h;
	bool fatal = false, stopped;
	char why[160];

	act = DEBUG_CONTINUE;
	if (d->entry_pending) {
		d->entry_pending = false;
		d->signal = GDB_SIGTRAP;
		d->swbreak = false;
		act = stop(vm, d, "stopped at the program entry", why, sizeof why);
	}
	for (;;) {
		if (act == DEBUG_KILL || act == DEBUG_DETACH) {
			end_session(d);
			if (act == DEBUG_DETACH && !fatal)
				return vm_run_plain(vm, timeout_s, res);
			if (act == DEBUG_DETACH)
				*res = crash;
			else {
				memset(res, 0, sizeof *res);
				res->stop = TKVM_STOP_ERROR;
				snprintf(res->reason, sizeof res->reason, "%s", why);
			}
			return vm->halt = HALT_FAULT;
		}
		if (fatal && d->resume_signal != 0) {
			/* gdb passes the crash on: the program dies of it. */
			*res = crash;
			report_end(d, HALT_FAULT, res, d->signal);
			return vm->halt = HALT_FAULT;
		}
		h = run_for(vm, d, act, timeout_s, res, &fatal, &stopped);
		if (!stopped) {
			report_end(d, h, res, 0);
			return h;
		}
		if (fatal) {
			crash = *res;
			if (!d->connected && !d->cfg.on_crash && !d->cfg.stop_at_entry) {
				end_session(d);
				return h;
			}
		}
		act = stop(vm, d, fatal ? crash.reason : "stopped at a breakpoint",
		    why, sizeof why);
		if (act == DEBUG_KILL && fatal && !d->connected) {
			/* Nobody came for the crash: it ends the run as usual. */
			*res = crash;
			end_session(d);
			return vm->halt = HALT_FAULT;
		}
	}
}

void
debug_hold_crash(struct tkvm_vm *vm, const struct tkvm_debug_config *cfg,
    const struct tkvm_result *res)
{
	struct tkvm_debug_config once = *cfg;
	struct debug_session *d;
	int v = vm->last_exception;
	char err[160];

	if (v < 0 || v == 1 || v == 3 || vm->dbg != NULL)
		return;
	once.stop_at_entry = false;
	once.on_crash = true;
	if (tkvm_vm_debug(vm, &once, err, sizeof err) != 0) {
		/* Another request VM holds the address: this crash goes by. */
		vm_verbose(vm, "no debugger for this crash: %s", err);
		return;
	}
	d = vm->dbg;
	if (cpu_exception_return(vm, (unsigned)v) == 0) {
		d->signal = signal_of((unsigned)v);
		(void)stop(vm, d, res->reason, err, sizeof err);
		report_end(d, HALT_FAULT, res, d->signal);
	}
	debug_fini(vm);
}
