/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux system call dispatch.  The table maps a call number to its name
 * and handler; numbers without a handler return -ENOSYS (and are logged
 * in verbose mode).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "vm.h"
#include "linux/threads.h"

struct syscall_entry {
	const char *name;
	syscall_fn *fn;
};

#define ENTRY(name) [SYS_##name] = { #name, sys_##name },
static const struct syscall_entry table[] = {
	SYSCALL_HANDLERS(ENTRY)
};
#undef ENTRY

/* Names of calls we do not emulate, for verbose logs. */
static const char *const unhandled_names[] = {
	[SYS_pwrite64] = "pwrite64", [SYS_msync] = "msync",
	[SYS_mincore] = "mincore", [SYS_socket] = "socket",
	[SYS_connect] = "connect", [SYS_fork] = "fork",
	[SYS_vfork] = "vfork", [SYS_execve] = "execve", [SYS_wait4] = "wait4",
	[SYS_statfs] = "statfs", [SYS_fstatfs] = "fstatfs",
	[SYS_mkdir] = "mkdir", [SYS_unlink] = "unlink", [SYS_rename] = "rename",
	[SYS_statx] = "statx",
	[SYS_membarrier] = "membarrier",
	[SYS_getcpu] = "getcpu", [SYS_timer_create] = "timer_create",
	[SYS_sched_setaffinity] = "sched_setaffinity", [SYS_prctl] = "prctl",
	[SYS_mlock] = "mlock", [SYS_sendfile] = "sendfile",
};

const char *
syscall_name(uint64_t nr)
{
	const size_t n = sizeof table / sizeof table[0];
	const size_t u = sizeof unhandled_names / sizeof unhandled_names[0];

	if (nr < n && table[nr].name != NULL)
		return table[nr].name;
	if (nr < u && unhandled_names[nr] != NULL)
		return unhandled_names[nr];
	return "unknown";
}

void
syscall_dispatch(struct tkvm_vm *vm, struct kvm_regs *regs)
{
	const uint64_t args[6] = { regs->rdi, regs->rsi, regs->rdx,
	    regs->r10, regs->r8, regs->r9 };
	const uint64_t nr = regs->rax;

	if (nr < sizeof table / sizeof table[0] && table[nr].fn != NULL) {
		int64_t r;
		threads_call_entry(vm, nr);
		r = table[nr].fn(vm, args);
		if (r == THREADS_RESTART)	/* blocked: other threads first */
			r = threads_restart(vm, regs, nr);
		regs->rax = (uint64_t)r;
		return;
	}
	vm_verbose(vm, "unhandled system call %llu (%s)",
	    (unsigned long long)nr, syscall_name(nr));
	regs->rax = (uint64_t)-ENOSYS;
}

void
vm_exit(struct tkvm_vm *vm, int status)
{
	vm->exited = true;
	vm->exit_status = status & 0xff;
	vm->halt = HALT_EXIT;
}

void
vm_fail(struct tkvm_vm *vm, enum tkvm_stop why, const char *fmt, ...)
{
	va_list ap;

	vm->fault_stop = why;
	va_start(ap, fmt);
	vsnprintf(vm->fault, sizeof vm->fault, fmt, ap);
	va_end(ap);
}
