/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The probe.  Before any guest instruction runs, every new vCPU runs a
 * host-owned three-instruction program (xgetbv; syscall) that leaves
 * through the syscall stub.  Its exit tells the host two things it must
 * not learn from the guest:
 *   - the ring SYSCALL enters: 0 on hardware KVM, 3 on software KVM (PVM),
 *     which fixes how every later syscall returns and whether the
 *     syscall stub may be user-accessible;
 *   - XCR0 as the guest really runs with it (PVM keeps the host's), which
 *     sizes the clean XSAVE image every request restores.
 * Request VMs must find the same as their main VM.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vm.h"
#include "cpu/x86.h"
#include "timeout.h"

#define PROBE_TIME_LIMIT 1.0	/* seconds; the probe takes microseconds */

/* Runs the probe once; 0 with the exit in vm->run, or -1 and err.
 * With sregs, KVM copies the segment registers out at the exit too
 * (KVM_SYNC_X86_SREGS), which saves a KVM_GET_SREGS afterwards; the exit
 * timing (cpu_probe_exit_us) goes without, as a bare exit. */
static int
run_probe(struct tkvm_vm *vm, bool sregs, char *err, size_t errlen)
{
	struct kvm_regs *regs = &vm->run->s.regs.regs;
	struct timeout tmo;
	int r;

	memset(regs, 0, sizeof *regs);
	regs->rip = STUB_ADDR + STUB_PROBE;
	regs->rflags = 0x2;
	vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS |
	    (sregs ? KVM_SYNC_X86_SREGS : 0);
	vm->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	if (timeout_start(&tmo, PROBE_TIME_LIMIT) != 0) {
		snprintf(err, errlen, "cannot arm the probe timer: %s",
		    strerror(errno));
		return -1;
	}
	do {
		vm->counters.kvm_run_calls++;
		r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	} while (r < 0 && (errno == EINTR || errno == EAGAIN) &&
	    !timeout_expired(&tmo));
	timeout_stop(&tmo);
	vm->run->kvm_dirty_regs = 0;
	if (r < 0) {
		snprintf(err, errlen, "the CPU probe did not run: %s",
		    strerror(errno));
		return -1;
	}
	if (vm->run->exit_reason != KVM_EXIT_IO ||
	    vm->run->io.port != PORT_SYSCALL ||
	    !vm_at_syscall_stub(regs->rip)) {
		snprintf(err, errlen, "the CPU probe did not reach the syscall "
		    "entry (KVM exit %u, port 0x%x, rip 0x%llx)",
		    vm->run->exit_reason, vm->run->io.port,
		    (unsigned long long)regs->rip);
		return -1;
	}
	return 0;
}

static int
check_xstate(struct tkvm_vm *vm, char *err, size_t errlen)
{
	unsigned largest;
	uint32_t size = xstate_size(vm->xcr0, &largest);

	if ((vm->xcr0 & 0x3) != 0x3) {
		snprintf(err, errlen, "the guest runs with XCR0 0x%llx, without "
		    "x87 and SSE state", (unsigned long long)vm->xcr0);
		return -1;
	}
	if (size > XSAVE_CLEAN_MAX) {
		unsigned lsize, loff, c, d;
		__cpuid_count(0xd, largest, lsize, loff, c, d);
		snprintf(err, errlen, "this CPU's XSAVE area is %u bytes with "
		    "XCR0 0x%llx (largest component: %s, %u bytes), more than "
		    "the %llu bytes the engine reserves for it", size,
		    (unsigned long long)vm->xcr0, xstate_component_name(largest),
		    lsize, (unsigned long long)XSAVE_CLEAN_MAX);
		return -1;
	}
	vm->xsave_size = size;
	return 0;
}

int
cpu_probe(struct tkvm_vm *vm, char *err, size_t errlen)
{
	const struct kvm_regs *regs = &vm->run->s.regs.regs;
	const struct kvm_sregs *sr = &vm->run->s.regs.sregs;

	if (run_probe(vm, true, err, errlen) != 0)
		return -1;
	vm->syscall_ring = sr->cs.selector & 3;
	vm->xcr0 = (regs->rdx << 32) | (uint32_t)regs->rax;
	/* Hardware KVM: user code reaches the API port with IOPL 3, as the
	 * TSS I/O bitmap is not honoured everywhere (QEMU's emulator checks
	 * it only for an available TSS, and VT-x needs TR busy).  PVM drops
	 * IOPL, and there the bitmap does it. */
	vm->user_rflags = RFLAGS_FIXED | (vm->syscall_ring == 0 ? RFLAGS_IOPL3 : 0);
	if (vm->syscall_ring != 0 && vm->syscall_ring != 3) {
		snprintf(err, errlen, "SYSCALL entered ring %d", vm->syscall_ring);
		return -1;
	}
	if (vm->master == NULL) {
		if (check_xstate(vm, err, errlen) != 0)
			return -1;
		cpu_map_syscall_stub(vm, vm->syscall_ring);
		return 0;
	}
	if (vm->syscall_ring != vm->master->syscall_ring ||
	    vm->xcr0 != vm->master->xcr0) {
		snprintf(err, errlen, "a request VM's CPU differs from its main "
		    "VM's (syscall ring %d vs %d, XCR0 0x%llx vs 0x%llx)",
		    vm->syscall_ring, vm->master->syscall_ring,
		    (unsigned long long)vm->xcr0,
		    (unsigned long long)vm->master->xcr0);
		return -1;
	}
	/* The main VM's XCR0, so its XSAVE size: no CPUID again (each one
	 * traps to the hypervisor when this host is itself a VM, 6 us here,
	 * and sizing takes one per enabled component). */
	vm->xsave_size = vm->master->xsave_size;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
cpu_probe_exit_us(struct tkvm_vm *vm, unsigned rounds, char *err,
    size_t errlen)
{
	double t[257];

	if (rounds > 257)
		rounds = 257;
	for (unsigned i = 0; i < rounds; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (run_probe(vm, false, err, errlen) != 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(t, rounds, sizeof t[0], cmp_double);
	return t[rounds / 2];
}
