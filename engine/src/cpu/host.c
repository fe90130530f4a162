/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What this host is, as the engine sees it: the CPU, the kind of KVM, and
 * what the probe finds on a bare VM (the ring SYSCALL enters, XCR0, the
 * XSAVE size, the cost of one exit).  Test logs start with it, because a
 * green run on one CPU proves nothing for another.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

#define EXIT_ROUNDS 201

static void
cpu_model(char *out, size_t outlen)
{
	unsigned regs[12], a, b, c, d, family, model;
	char brand[49];
	size_t start = 0, end;

	memset(brand, 0, sizeof brand);
	if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000004u) {
		for (unsigned i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, regs[4 * i], regs[4 * i + 1],
			    regs[4 * i + 2], regs[4 * i + 3]);
		memcpy(brand, regs, 48);
	}
	while (brand[start] == ' ')
		start++;
	end = strlen(brand);
	while (end > start && brand[end - 1] == ' ')
		brand[--end] = '\0';
	__cpuid(1, a, b, c, d);
	family = ((a >> 8) & 0xf) + ((a >> 20) & 0xff);
	model = ((a >> 4) & 0xf) | ((a >> 12) & 0xf0);
	snprintf(out, outlen, "%s (family %u, model %u, stepping %u)",
	    brand[start] ? brand + start : "unknown", family, model, a & 0xf);
}

static void
kvm_kind(int syscall_ring, char *out, size_t outlen)
{
	const char *module = access("/sys/module/kvm_pvm", F_OK) == 0 ? "kvm_pvm" :
	    access("/sys/module/kvm_intel", F_OK) == 0 ? "kvm_intel" :
	    access("/sys/module/kvm_amd", F_OK) == 0 ? "kvm_amd" : "unknown module";

	snprintf(out, outlen, "%s (%s)", syscall_ring == 3 ?
	    "software: SYSCALL stays at CPL 3" : "hardware: SYSCALL enters CPL 0",
	    module);
}

int
tkvm_host_info(struct tkvm_host_info *out, char *err, size_t errlen)
{
	struct tkvm_vm *vm = vm_create_bare(err, errlen);

	memset(out, 0, sizeof *out);
	if (vm == NULL)
		return -1;
	cpu_model(out->cpu_model, sizeof out->cpu_model);
	kvm_kind(vm->syscall_ring, out->kvm_kind, sizeof out->kvm_kind);
	out->syscall_ring = vm->syscall_ring;
	out->xcr0 = vm->xcr0;
	out->xsave_size = vm->xsave_size;
	xstate_describe(vm->xcr0, out->components, sizeof out->components);
	out->exit_us = cpu_probe_exit_us(vm, EXIT_ROUNDS, err, errlen);
	tkvm_vm_destroy(vm);
	return out->exit_us < 0 ? -1 : 0;
}
