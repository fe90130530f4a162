/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Process, identity and scheduling calls (signals are in signals.c,
 * threads and futexes in threads.c and futex.c).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "vm.h"
#include "linux/threads.h"
#include "linux/fdobj.h"

#define GUEST_PID 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

int64_t
sys_arch_prctl(struct tkvm_vm *vm, const uint64_t a[6])
{
	switch (a[0]) {
	case ARCH_SET_FS:
		return cpu_set_fs_base(vm, a[1]);
	case ARCH_GET_FS:
		return gmem_put(vm, a[1], &vm->fs_base, 8) == 0 ? 0 : -EFAULT;
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -EPERM;	/* GS belongs to the host (vcpuid data) */
	default:
		return -EINVAL;
	}
}

int64_t
sys_rseq(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint32_t cpu[2] = { 0, 0 };	/* cpu_id_start, cpu_id */

	if (a[2] & 1)	/* RSEQ_FLAG_UNREGISTER */
		return 0;
	if (a[1] < 32)
		return -EINVAL;
	if (gmem_at(vm, a[0], a[1]) == NULL)
		return -EFAULT;
	gmem_put(vm, a[0], cpu, sizeof cpu);
	return 0;
}

static void
fill_rlimit(const struct tkvm_vm *vm, uint64_t resource, struct rlimit *r)
{
	r->rlim_cur = r->rlim_max = RLIM_INFINITY;
	if (resource == RLIMIT_STACK)
		r->rlim_cur = r->rlim_max = vm_stack_size(vm);
	else if (resource == RLIMIT_AS || resource == RLIMIT_DATA)
		r->rlim_cur = r->rlim_max = vm->mem_size;
	else if (resource == RLIMIT_NOFILE)
		r->rlim_cur = r->rlim_max = TKVM_MAX_FDS;
}

int64_t
sys_prlimit64(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct rlimit old;

	if (a[0] != 0 && a[0] != GUEST_PID)
		return -ESRCH;
	if (a[1] >= RLIM_NLIMITS)
		return -EINVAL;
	if (a[2] != 0 && gmem_at(vm, a[2], sizeof(struct rlimit)) == NULL)
		return -EFAULT;
	if (a[3] != 0) {
		fill_rlimit(vm, a[1], &old);
		if (gmem_put(vm, a[3], &old, sizeof old) != 0)
			return -EFAULT;
	}
	return 0;	/* new limits are accepted and ignored */
}

int64_t
sys_getrlimit(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct rlimit out;

	if (a[0] >= RLIM_NLIMITS)
		return -EINVAL;
	fill_rlimit(vm, a[0], &out);
	return gmem_put(vm, a[1], &out, sizeof out) == 0 ? 0 : -EFAULT;
}

int64_t
sys_uname(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct utsname *u = gmem_wr(vm, a[0], sizeof *u);

	if (u == NULL)
		return -EFAULT;
	memset(u, 0, sizeof *u);
	strcpy(u->sysname, "Linux");
	strcpy(u->nodename, "tinykvm");
	strcpy(u->release, "6.1.0");
	strcpy(u->version, "#1 SMP");
	strcpy(u->machine, "x86_64");
	strcpy(u->domainname, "(none)");
	return 0;
}

#define IDENTITY(name, value) \
int64_t sys_##name(struct tkvm_vm *vm, const uint64_t a[6]) \
{ (void)vm; (void)a; return (value); }
IDENTITY(getpid, GUEST_PID)
IDENTITY(getppid, 0)
IDENTITY(getuid, 0)
IDENTITY(geteuid, 0)
IDENTITY(getgid, 0)
IDENTITY(getegid, 0)
#undef IDENTITY

int64_t
sys_sched_getaffinity(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint8_t *mask = gmem_wr(vm, a[2], a[1]);

	if (a[1] < 8 || (a[1] & 7) != 0)
		return -EINVAL;
	if (mask == NULL)
		return -EFAULT;
	memset(mask, 0, a[1]);
	mask[0] = 1;	/* CPU 0 only */
	return 8;
}

int64_t
sys_sysinfo(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct sysinfo si;
	struct timespec now;
	uint64_t used;

	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&si, 0, sizeof si);
	si.uptime = now.tv_sec;
	si.totalram = vm->mem_limit;
	/* What the limit leaves (the address space may be far larger). */
	used = mm_resident(vm);
	si.freeram = used < vm->mem_limit ? vm->mem_limit - used : 0;
	si.procs = 1;
	si.mem_unit = 1;
	return gmem_put(vm, a[0], &si, sizeof si) == 0 ? 0 : -EFAULT;
}

/* Signals a program sends itself (delivery: signals.c). */
static int64_t
signal_self(struct tkvm_vm *vm, uint64_t sig, int code)
{
	if (sig > 64)
		return -EINVAL;
	if (sig != 0)
		signals_raise(vm, (int)sig, code);
	return 0;
}

/* A signal sent to one of the program's threads: recorded for the
 * program and delivered to the thread that runs next (threads share the
 * signal state here; docs/DESIGN.md "Waiting and signals"). */
int64_t
sys_tgkill(struct tkvm_vm *vm, const uint64_t a[6])
{
	if ((int32_t)a[0] != GUEST_PID || !threads_tid_alive(vm, (int32_t)a[1]))
		return (int32_t)a[0] <= 0 || (int32_t)a[1] <= 0 ? -EINVAL : -ESRCH;
	return signal_self(vm, a[2], SI_TKILL);
}

int64_t
sys_tkill(struct tkvm_vm *vm, const uint64_t a[6])
{
	if (!threads_tid_alive(vm, (int32_t)a[0]))
		return (int32_t)a[0] <= 0 ? -EINVAL : -ESRCH;
	return signal_self(vm, a[1], SI_TKILL);
}

int64_t
sys_kill(struct tkvm_vm *vm, const uint64_t a[6])
{
	if (a[0] != GUEST_PID && a[0] != 0 && (int64_t)a[0] != -1)
		return -ESRCH;
	return signal_self(vm, a[1], SI_USER);
}

/* pause(): only a signal ends it, and only the guest can send one. */
int64_t
sys_pause(struct tkvm_vm *vm, const uint64_t a[6])
{
	(void)a;
	if ((vm->sigpending & ~vm->sigmask) != 0)
		return -EINTR;
	return wait_blocked(vm, "pause");
}
