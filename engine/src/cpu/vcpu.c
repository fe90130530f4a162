/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vCPU: segments and control registers, syscall MSRs, CPUID, XCR0 and
 * FPU state, set once per vCPU; the probe (probe.c) runs in between; and
 * the description of a guest exception.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"
#include "cpu/x86.h"


static void
user_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof *s);
	s->selector = sel | 3;
	s->limit = 0xffffffff;
	s->type = code ? 11 : 3;
	s->present = 1;
	s->dpl = 3;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* Sets the segments, descriptor tables and control registers over base,
 * the vCPU's registers as KVM last gave them (NULL: read them now). */
static int
setup_sregs(struct tkvm_vm *vm, uint64_t cr3, const struct kvm_sregs *base,
    char *err, size_t errlen)
{
	struct kvm_sregs sr;

	if (base != NULL)
		sr = *base;
	else if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		goto fail;
	if (cr3 != PML4_ADDR && vm->master == NULL)
		vm->fresh_sregs = sr;	/* for its request VMs */
	user_segment(&sr.cs, SEL_USER_CS, true);
	user_segment(&sr.ds, SEL_USER_DS, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gs.base = VCPU_INFO_ADDR;
	memset(&sr.tr, 0, sizeof sr.tr);
	sr.tr.base = TSS_ADDR;
	sr.tr.limit = TSS_LIMIT;
	sr.tr.selector = SEL_TSS;
	sr.tr.type = 11;
	sr.tr.present = 1;
	sr.ldt.unusable = 1;
	sr.gdt.base = GDT_ADDR;
	sr.gdt.limit = 0x3f;
	sr.idt.base = IDT_ADDR;
	sr.idt.limit = 32 * 16 - 1;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sr.cr3 = cr3;
	/* No CR4.FSGSBASE: the guest changes FS only through arch_prctl, so
	 * the host always knows it and can reset it. */
	sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	sr.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	sr.fs.base = vm->fs_base;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sr) != 0)
		goto fail;
	if (cr3 != PML4_ADDR)
		return 0;
	/* What KVM made of it is what every request starts from.  A request
	 * VM's vCPU got the very registers its main VM's did (both started
	 * from the same reset state and ran the same probe), FS base aside,
	 * which is never taken from this copy: it takes the main VM's copy.
	 * Were KVM ever to make something else of them, the entry after the
	 * first exit (which brings KVM's registers) would see the difference
	 * and write the copy back, counted in segment_restores. */
	if (vm->master != NULL)
		vm->clean_sregs = vm->master->clean_sregs;
	else if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &vm->clean_sregs) != 0)
		goto fail;
	vm->run->s.regs.sregs = vm->clean_sregs;
	vm->run->s.regs.sregs.fs.base = vm->fs_base;
	return 0;
fail:
	snprintf(err, errlen, "cannot set vCPU segment registers: %s",
	    strerror(errno));
	return -1;
}

static int
setup_msrs(struct tkvm_vm *vm, char *err, size_t errlen)
{
	static const uint32_t index[] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	    MSR_SFMASK, MSR_KERNEL_GS_BASE };
	const uint64_t value[] = {
		((uint64_t)SEL_USER32_CS << 48) | ((uint64_t)SEL_KERNEL_CS << 32),
		SYSCALL_STUB_ADDR + STUB_SYSCALL, SYSCALL_STUB_ADDR + STUB_SYSCALL,
		0x47700,	/* TF DF IF IOPL NT AC cleared on entry */
		0,
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[5];
	} msrs;
	unsigned i;

	memset(&msrs, 0, sizeof msrs);
	msrs.hdr.nmsrs = 5;
	for (i = 0; i < 5; i++) {
		msrs.e[i].index = index[i];
		msrs.e[i].data = value[i];
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs) != 5) {
		snprintf(err, errlen, "cannot set syscall MSRs");
		return -1;
	}
	return 0;
}

static int
setup_cpuid_xsave(struct tkvm_vm *vm, char *err, size_t errlen)
{
	const unsigned max = 256;
	/* KVM_GET_SUPPORTED_CPUID costs about 0.4 ms: a request VM takes
	 * its main VM's table, which nobody changes after the main VM's
	 * creation. */
	struct kvm_cpuid2 *cpuid = vm->master ? vm->master->cpuid : NULL;
	struct kvm_xcrs xcrs;
	struct kvm_fpu fpu;
	uint64_t xcr0_supported = 0x3;
	unsigned i;

	if (cpuid == NULL) {
		cpuid = calloc(1, sizeof *cpuid + max * sizeof cpuid->entries[0]);
		if (cpuid == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		vm->cpuid = cpuid;	/* freed with the VM */
		cpuid->nent = max;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
			snprintf(err, errlen, "cannot read KVM's CPUID: %s",
			    strerror(errno));
			return -1;
		}
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0) {
		snprintf(err, errlen, "cannot set CPUID: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0xd && cpuid->entries[i].index == 0)
			xcr0_supported = cpuid->entries[i].eax |
			    ((uint64_t)cpuid->entries[i].edx << 32);

	memset(&xcrs, 0, sizeof xcrs);
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	/* Hardware KVM runs the guest with this XCR0; software KVM keeps the
	 * host's.  The probe reads back which. */
	xcrs.xcrs[0].value = xstate_choose_xcr0(xcr0_supported);
	if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &xcrs) < 0) {
		snprintf(err, errlen, "cannot set XCR0: %s", strerror(errno));
		return -1;
	}
	memset(&fpu, 0, sizeof fpu);
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vm->vcpu_fd, KVM_SET_FPU, &fpu) < 0) {
		snprintf(err, errlen, "cannot set FPU state: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
cpu_setup_vcpu(struct tkvm_vm *vm, char *err, size_t errlen)
{
	struct kvm_regs *regs = &vm->run->s.regs.regs;

	/* A request VM's main VM has checked this host already. */
	if (vm->master == NULL && !xstate_host_has_xsave()) {
		snprintf(err, errlen, "this CPU has no XSAVE: the engine needs it "
		    "to reset vector state between requests");
		return -1;
	}
	/* The probe's exit carries the segment registers (probe.c): the
	 * final setup starts from that copy instead of reading them again.
	 * Whatever the probe's SYSCALL changed (CS, SS) is set anew there. */
	if (setup_sregs(vm, PROBE_PML4_ADDR, vm->master ?
	    &vm->master->fresh_sregs : NULL, err, errlen) ||
	    setup_msrs(vm, err, errlen) || setup_cpuid_xsave(vm, err, errlen) ||
	    cpu_probe(vm, err, errlen) ||
	    setup_sregs(vm, PML4_ADDR, &vm->run->s.regs.sregs, err, errlen))
		return -1;
	memset(regs, 0, sizeof *regs);
	regs->rip = vm->entry;
	regs->rsp = vm->initial_rsp;
	regs->rflags = vm->user_rflags;
	/* KVM copies the segments out at every exit too, so a request's
	 * changes to them can be seen and undone without an ioctl. */
	vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	vm->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	return 0;
}

static bool
same_segment(const struct kvm_segment *a, const struct kvm_segment *b)
{
	return a->selector == b->selector && a->base == b->base &&
	    a->dpl == b->dpl && a->l == b->l;
}

/* A request at CPL 3 can load FS, GS, DS, ES and SS with another selector
 * (the FS/GS base goes with it), and where the CPU allows it, write the
 * FS/GS base with WRFSBASE/WRGSBASE; a fault leaves CS and SS at CPL 0.
 * Control registers and descriptor tables are out of its reach, but are
 * compared too. */
static bool
segments_clean(const struct tkvm_vm *vm, const struct kvm_sregs *sr)
{
	const struct kvm_sregs *c = &vm->clean_sregs;

	return same_segment(&sr->cs, &c->cs) && same_segment(&sr->ss, &c->ss) &&
	    same_segment(&sr->ds, &c->ds) && same_segment(&sr->es, &c->es) &&
	    same_segment(&sr->gs, &c->gs) && sr->fs.selector == c->fs.selector &&
	    sr->fs.base == vm->fs_base && sr->cr0 == c->cr0 &&
	    sr->cr3 == c->cr3 && sr->cr4 == c->cr4 && sr->efer == c->efer &&
	    sr->gdt.base == c->gdt.base && sr->gdt.limit == c->gdt.limit &&
	    sr->idt.base == c->idt.base && sr->idt.limit == c->idt.limit &&
	    sr->tr.selector == c->tr.selector && sr->tr.base == c->tr.base &&
	    sr->ldt.selector == c->ldt.selector;
}

void
cpu_restore_segments(struct tkvm_vm *vm)
{
	struct kvm_sregs *sr = &vm->run->s.regs.sregs;

	if (segments_clean(vm, sr))
		return;
	*sr = vm->clean_sregs;
	sr->fs.base = vm->fs_base;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
	vm->counters.segment_restores++;
}

int
cpu_set_fs_base(struct tkvm_vm *vm, uint64_t base)
{
	vm->fs_base = base;
	vm->run->s.regs.sregs.fs.base = base;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
	return 0;
}

static const char *const exception_names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
	[4] = "overflow", [5] = "bound range", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault",
	[10] = "invalid TSS", [11] = "segment not present",
	[12] = "stack fault", [13] = "general protection fault",
	[14] = "page fault", [16] = "x87 floating point error",
	[17] = "alignment check", [18] = "machine check",
	[19] = "SIMD floating point error", [21] = "control protection",
};

static bool
has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

void
cpu_describe_exception(struct tkvm_vm *vm, unsigned vector, char *out,
    size_t outlen)
{
	const struct kvm_regs *regs = &vm->run->s.regs.regs;
	const char *name = vector < 32 && exception_names[vector] ?
	    exception_names[vector] : "exception";
	/* The CPU pushed [error code,] rip, cs, rflags, rsp, ss on IST1. */
	uint64_t frame = regs->rsp + (has_error_code(vector) ? 8 : 0);
	uint64_t rip = 0, code = 0;
	struct kvm_sregs sr;

	/* The exception stack is in the system area: read it directly. */
	if (frame >= IST_BOTTOM && frame + 5 * 8 <= IST_TOP) {
		memcpy(&rip, vm->mem + frame, 8);
		if (has_error_code(vector))
			memcpy(&code, vm->mem + frame - 8, 8);
	}
	vm->counters.kvm_ioctls++;
	if (vector == 14 && ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) == 0) {
		uint64_t guard = vm_stack_guard(vm);
		bool overflow = sr.cr2 >= guard && sr.cr2 < guard + PAGE_SIZE_2M;
		snprintf(out, outlen,
		    "guest %s: %s 0x%llx at rip 0x%llx%s", name,
		    (code & 0x10) ? "execute at" : (code & 2) ? "write to" :
		    "read of", (unsigned long long)sr.cr2,
		    (unsigned long long)rip, overflow ? " (stack overflow)" : "");
		return;
	}
	snprintf(out, outlen, "guest %s (vector %u) at rip 0x%llx", name,
	    vector, (unsigned long long)rip);
}

/* The frame the CPU pushed on IST1 for an exception at CPL 3: rip, cs,
 * rflags, rsp, ss; -1 if it is not there or hit in ring 0. */
static int
user_frame(const struct tkvm_vm *vm, unsigned vector, uint64_t f[5],
    uint64_t *code)
{
	const struct kvm_regs *regs = &vm->run->s.regs.regs;
	uint64_t frame = regs->rsp + (has_error_code(vector) ? 8 : 0);

	if (frame < IST_BOTTOM || frame + 5 * 8 > IST_TOP)
		return -1;
	memcpy(f, vm->mem + frame, 5 * 8);
	*code = 0;
	if (has_error_code(vector))
		memcpy(code, vm->mem + frame - 8, 8);
	return (f[1] & 3) == 3 ? 0 : -1;
}

int
cpu_user_fault(struct tkvm_vm *vm, unsigned vector, struct cpu_fault *out)
{
	uint64_t f[5];
	struct kvm_sregs sr;

	memset(out, 0, sizeof *out);
	if (user_frame(vm, vector, f, &out->code) != 0)
		return -1;
	out->rip = f[0];
	out->rflags = f[2];
	out->rsp = f[3];
	if (vector == 14) {
		vm->counters.kvm_ioctls++;
		if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) != 0)
			return -1;
		out->cr2 = sr.cr2;
	}
	return 0;
}

int
cpu_exception_return(struct tkvm_vm *vm, unsigned vector)
{
	struct kvm_regs *regs = &vm->run->s.regs.regs;
	uint64_t f[5], code;

	if (user_frame(vm, vector, f, &code) != 0)
		return -1;
	regs->rip = f[0];
	regs->rflags = f[2];
	regs->rsp = f[3];
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	/* CS and SS are the stub's: back to the guest's. */
	cpu_restore_segments(vm);
	return 0;
}
