/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The run loop: turns VM exits into system calls, API calls, exceptions
 * and timeouts; and tkvm_read_file() for embedders.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vm.h"
#include "cpu/x86.h"
#include "guest/program.h"
#include "timeout.h"
#include "debug/debug.h"

static void
stop(struct tkvm_result *res, enum tkvm_stop why, const char *fmt, ...)
{
	va_list ap;

	res->stop = why;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof res->reason, fmt, ap);
	va_end(ap);
}

/* KVM refused the vCPU: a request VM must not serve again as it is
 * (tkvm_request_end() replaces it). */
static void
vm_broken(struct tkvm_vm *vm, const char *why)
{
	if (vm->master != NULL && vm->broken[0] == '\0')
		snprintf(vm->broken, sizeof vm->broken, "%s", why);
}

/* The syscall stub left the guest: emulate the call and return to it. */
static void
handle_syscall(struct tkvm_vm *vm)
{
	struct kvm_regs *regs = &vm->run->s.regs.regs;
	bool full;

	/* Only the stub may leave through this port: a guest that executes
	 * the same `out` elsewhere gets a clean failure, not a syscall. */
	if (!vm_at_syscall_stub(regs->rip)) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest used the syscall port "
		    "outside the syscall entry, at rip 0x%llx",
		    (unsigned long long)regs->rip);
		return;
	}
	vm->counters.syscalls++;
	if (regs->rax == SYS_rt_sigreturn) {
		full = signals_syscall_return(vm, regs, true);
	} else {
		syscall_dispatch(vm, regs);
		full = signals_syscall_return(vm, regs, false);
	}
	if (full) {
		/* A signal frame was restored or a handler is entered: regs
		 * hold every register, rip and rflags too.  As after a fault
		 * (cpu_exception_return), the vCPU goes straight back to CPL
		 * 3 there, whichever ring the stub ran at. */
		cpu_restore_segments(vm);
		if (vm->debug_stepping && vm->halt == HALT_NONE)
			vm->halt = HALT_DEBUG;
	} else if (vm->debug_stepping) {
		/* gdb steps over the syscall: SYSCALL masked TF and the return
		 * would set it again only after one more instruction, so the
		 * step ends here, at the instruction after the syscall. */
		regs->rip = regs->rcx;
		regs->rflags = (regs->r11 & RFLAGS_USER & ~0x100ULL) |
		    vm->user_rflags;
		cpu_restore_segments(vm);
		if (vm->halt == HALT_NONE)
			vm->halt = HALT_DEBUG;
	} else if (vm->syscall_ring == 3) {
		/* SYSCALL did not enter ring 0 (PVM): return as SYSRET would.
		 * With ring 0 the stub's sysretq does it. */
		regs->rip = regs->rcx;
		regs->rflags = (regs->r11 & RFLAGS_USER) | vm->user_rflags;
	}
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/* Handles one exit; sets vm->halt (and res) when the run must stop. */
static void
handle_exit(struct tkvm_vm *vm, struct tkvm_result *res)
{
	struct kvm_run *run = vm->run;
	const struct kvm_regs *regs = &run->s.regs.regs;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.port == PORT_SYSCALL) {
			handle_syscall(vm);
		} else if (run->io.port == PORT_API) {
			api_dispatch(vm, &run->s.regs.regs);
			run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		} else if (run->io.port == PORT_RETURN) {
			vm->halt = HALT_RETURNED;
		} else if (run->io.port >= PORT_EXCEPTION &&
		    run->io.port < PORT_EXCEPTION + 32 &&
		    !vm_at_exception_stub(regs->rip,
		    run->io.port - PORT_EXCEPTION)) {
			stop(res, TKVM_STOP_EXCEPTION, "guest wrote to exception "
			    "port 0x%x outside its stub, at rip 0x%llx",
			    run->io.port, (unsigned long long)regs->rip);
			vm->halt = HALT_FAULT;
		} else if (run->io.port == PORT_EXCEPTION + 14 &&
		    vm->program != NULL && storage_direct_call(vm)) {
			;	/* returned to the caller, or it failed */
		} else if (run->io.port >= PORT_EXCEPTION &&
		    run->io.port < PORT_EXCEPTION + 32 &&
		    signals_fault(vm, run->io.port - PORT_EXCEPTION)) {
			;	/* the guest's signal handler runs */
		} else if (run->io.port >= PORT_EXCEPTION &&
		    run->io.port < PORT_EXCEPTION + 32) {
			res->stop = TKVM_STOP_EXCEPTION;
			vm->last_exception = (int)(run->io.port - PORT_EXCEPTION);
			cpu_describe_exception(vm, run->io.port - PORT_EXCEPTION,
			    res->reason, sizeof res->reason);
			vm->halt = HALT_FAULT;
		} else {
			stop(res, TKVM_STOP_EXCEPTION,
			    "guest wrote to unexpected I/O port 0x%x", run->io.port);
			vm->halt = HALT_FAULT;
		}
		break;
	case KVM_EXIT_SHUTDOWN:
		stop(res, TKVM_STOP_EXCEPTION,
		    "guest triple fault (VM shut down) at rip 0x%llx",
		    (unsigned long long)regs->rip);
		vm->halt = HALT_FAULT;
		break;
	case KVM_EXIT_HLT:
		stop(res, TKVM_STOP_EXCEPTION, "guest halted at rip 0x%llx",
		    (unsigned long long)regs->rip);
		vm->halt = HALT_FAULT;
		break;
	case KVM_EXIT_MMIO:
		stop(res, TKVM_STOP_EXCEPTION,
		    "guest accessed unbacked memory 0x%llx",
		    (unsigned long long)run->mmio.phys_addr);
		vm->halt = HALT_FAULT;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		stop(res, TKVM_STOP_ERROR,
		    "KVM could not enter the guest (reason 0x%llx)",
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vm_broken(vm, res->reason);
		vm->halt = HALT_FAULT;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		stop(res, TKVM_STOP_ERROR,
		    "KVM internal error (suberror %u) at rip 0x%llx",
		    run->internal.suberror, (unsigned long long)regs->rip);
		vm_broken(vm, res->reason);
		vm->halt = HALT_FAULT;
		break;
	default:
		stop(res, TKVM_STOP_ERROR, "unexpected KVM exit reason %u",
		    run->exit_reason);
		vm->halt = HALT_FAULT;
		break;
	}
	if (vm->fault[0] != '\0') {
		stop(res, vm->fault_stop, "%s", vm->fault);
		vm->fault[0] = '\0';
		vm->halt = HALT_FAULT;
	} else if (vm->halt == HALT_EXIT) {
		res->stop = TKVM_STOP_EXIT;
		res->status = vm->exit_status;
	}
}

enum vm_halt
vm_run(struct tkvm_vm *vm, double timeout_s, struct tkvm_result *res)
{
	if (debug_active(vm))
		return debug_run(vm, timeout_s, res);
	return vm_run_plain(vm, timeout_s, res);
}

enum vm_halt
vm_run_plain(struct tkvm_vm *vm, double timeout_s, struct tkvm_result *res)
{
	struct timeout tmo;

	memset(res, 0, sizeof *res);
	vm->halt = HALT_NONE;
	vm->last_exception = -1;
	vm->uncollected = true;
	if (timeout_start(&tmo, timeout_s) != 0) {
		stop(res, TKVM_STOP_ERROR, "cannot arm the execution timer: %s",
		    strerror(errno));
		return vm->halt = HALT_FAULT;
	}
	vm->deadline = tmo.armed ? &tmo.deadline : NULL;
	while (vm->halt == HALT_NONE) {
		vm->counters.kvm_run_calls++;
		vm->counters.kvm_ioctls++;
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) == 0) {
			vm->run->kvm_dirty_regs = 0;
			/* Over its memory limit, nothing more is served. */
			if (mm_check_limit(vm, res->reason,
			    sizeof res->reason) != 0) {
				res->stop = TKVM_STOP_MEMORY;
				vm->halt = HALT_FAULT;
			} else {
				handle_exit(vm, res);
			}
		} else if (errno != EINTR && errno != EAGAIN) {
			stop(res, TKVM_STOP_ERROR, "KVM_RUN failed: %s",
			    strerror(errno));
			vm_broken(vm, res->reason);
			vm->halt = HALT_FAULT;
		} else if (timeout_expired(&tmo)) {
			stop(res, TKVM_STOP_TIMEOUT,
			    "guest exceeded its %.3g s time limit at rip 0x%llx",
			    vm->limit_named > 0 ? vm->limit_named : timeout_s,
			    (unsigned long long)vm->run->s.regs.regs.rip);
			vm->halt = HALT_FAULT;
		}
	}
	vm->deadline = NULL;
	timeout_stop(&tmo);
	return vm->halt;
}

void
vm_capture_resume(const struct tkvm_vm *vm, struct kvm_regs *out)
{
	const uint8_t *code;

	*out = vm->run->s.regs.regs;
	code = gmem_at(vm, out->rip, 2);
	if (code != NULL && code[0] == 0xe7 && code[1] == 0x00)
		out->rip += 2;
	out->rax = 0;
}

void
tkvm_vm_run(struct tkvm_vm *vm, struct tkvm_result *res)
{
	enum vm_halt h;

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_AN(res);
	if (vm->exited) {
		memset(res, 0, sizeof *res);
		stop(res, TKVM_STOP_ERROR, "the program has already exited");
		return;
	}
	h = vm_run(vm, vm->cfg.timeout_s, res);
	if (h == HALT_WAITING || h == HALT_RETURNED || h == HALT_RESPONDED)
		stop(res, TKVM_STOP_ERROR, "the program waits for requests: "
		    "send it one (tinykvm-run --request)");
}

void *
tkvm_read_file(const char *path, size_t max, size_t *len, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			uint8_t *nb = ncap <= max + 1 ? realloc(buf, ncap) : NULL;
			if (nb == NULL) {
				snprintf(err, errlen, "%s: %s", path, ncap > max + 1 ?
				    "file too large" : "out of memory");
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path, n > max ? "file too large" :
		    "read error");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}
