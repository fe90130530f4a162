/*
 * x86-64 machine state: page tables, GDT, IDT, TSS with an I/O bitmap,
 * the user-accessible stub page, control registers, MSRs, CPUID and XSAVE.
 * Everything here is built once per VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

#define PTE_P	0x1ULL
#define PTE_W	0x2ULL
#define PTE_U	0x4ULL
#define PTE_PS	0x80ULL

#define CR0_PE	0x1ULL
#define CR0_MP	0x2ULL
#define CR0_ET	0x10ULL
#define CR0_NE	0x20ULL
#define CR0_WP	0x10000ULL
#define CR0_PG	0x80000000ULL
#define CR4_PAE	0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

#define MSR_STAR	0xC0000081
#define MSR_LSTAR	0xC0000082
#define MSR_CSTAR	0xC0000083
#define MSR_SFMASK	0xC0000084
#define MSR_KERNEL_GS_BASE 0xC0000102

#define TSS_IOMAP_OFFSET 104
#define TSS_IOMAP_BYTES	32	/* ports 0..255; above the limit is denied */
#define TSS_LIMIT	(TSS_IOMAP_OFFSET + TSS_IOMAP_BYTES)

static uint64_t *
table_at(struct tkvm_vm *vm, uint64_t addr)
{
	return (uint64_t *)(void *)(vm->mem + addr);
}

static void
build_page_tables(struct tkvm_vm *vm)
{
	uint64_t *pml4 = table_at(vm, PML4_ADDR);
	uint64_t *pdpt = table_at(vm, PDPT_ADDR);
	uint64_t *pt0 = table_at(vm, PT0_ADDR);
	uint64_t guard = vm_stack_guard(vm);
	uint64_t addr;
	unsigned gib;

	pml4[0] = PDPT_ADDR | PTE_P | PTE_W | PTE_U;
	const uint64_t end = vm->mem_size + vm->shm_size;

	for (gib = 0; gib * (1ULL << 30) < end; gib++)
		pdpt[gib] = (PD_ADDR + gib * PAGE_SIZE_4K) | PTE_P | PTE_W | PTE_U;

	/* The system area: only what the CPU needs, supervisor-only. */
	pt0[GDT_ADDR >> 12] = GDT_ADDR | PTE_P | PTE_W;
	pt0[IDT_ADDR >> 12] = IDT_ADDR | PTE_P;
	pt0[TSS_ADDR >> 12] = TSS_ADDR | PTE_P | PTE_W;
	pt0[STUB_ADDR >> 12] = STUB_ADDR | PTE_P | PTE_U;
	for (addr = IST_BOTTOM; addr < IST_TOP; addr += PAGE_SIZE_4K)
		pt0[addr >> 12] = addr | PTE_P | PTE_W;
	pt0[XSAVE_CLEAN_ADDR >> 12] = XSAVE_CLEAN_ADDR | PTE_P | PTE_U;
	pt0[VCPU_INFO_ADDR >> 12] = VCPU_INFO_ADDR | PTE_P | PTE_U;

	for (addr = 0; addr < end; addr += PAGE_SIZE_2M) {
		uint64_t *pd = table_at(vm, PD_ADDR + (addr >> 30) * PAGE_SIZE_4K);
		uint64_t idx = (addr >> 21) & 511;
		if (addr == 0)
			pd[idx] = PT0_ADDR | PTE_P | PTE_W | PTE_U;
		else if (addr != guard)
			pd[idx] = addr | PTE_P | PTE_W | PTE_U | PTE_PS;
	}
}

static void
build_gdt(struct tkvm_vm *vm)
{
	uint64_t *gdt = table_at(vm, GDT_ADDR);
	uint64_t base = TSS_ADDR, limit = TSS_LIMIT;

	gdt[SEL_KERNEL_CS >> 3] = 0x00af9b000000ffffULL;
	gdt[SEL_KERNEL_DS >> 3] = 0x00cf93000000ffffULL;
	gdt[SEL_USER32_CS >> 3] = 0x00cffb000000ffffULL;
	gdt[SEL_USER_DS >> 3] = 0x00cff3000000ffffULL;
	gdt[SEL_USER_CS >> 3] = 0x00affb000000ffffULL;
	/* 64-bit available TSS descriptor, 16 bytes. */
	gdt[SEL_TSS >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
	    (((base >> 24) & 0xff) << 56);
	gdt[(SEL_TSS >> 3) + 1] = base >> 32;
}

static void
build_tss(struct tkvm_vm *vm)
{
	uint8_t *tss = vm->mem + TSS_ADDR;
	uint64_t ist = IST_TOP;
	uint16_t iomap = TSS_IOMAP_OFFSET;

	memcpy(tss + 4, &ist, 8);		/* RSP0 */
	memcpy(tss + 36, &ist, 8);		/* IST1 */
	memcpy(tss + 102, &iomap, 2);
	/* Every port denied at CPL 3 except 0-3: the API's 32-bit `out` to
	 * port 0 covers ports 0-3, and the stubs use ports 1 and 2. */
	memset(tss + TSS_IOMAP_OFFSET, 0xff, TSS_IOMAP_BYTES + 1);
	tss[TSS_IOMAP_OFFSET] = 0xf0;
}

static void
build_idt_and_stubs(struct tkvm_vm *vm)
{
	uint8_t *stub = vm->mem + STUB_ADDR;
	uint8_t *idt = vm->mem + IDT_ADDR;
	unsigned v;

	/* syscall entry: out %al,$PORT_SYSCALL; sysretq.  At CPL 3 (PVM) the
	 * host returns to rcx itself and sysretq is never reached. */
	memcpy(stub + STUB_SYSCALL,
	    (const uint8_t[]){ 0xe6, PORT_SYSCALL, 0x48, 0x0f, 0x07 }, 5);
	/* A callback returning lands here: out %al,$PORT_RETURN; ud2 */
	memcpy(stub + STUB_RETURN,
	    (const uint8_t[]){ 0xe6, PORT_RETURN, 0x0f, 0x0b }, 4);
	/* Request entry, with edx:eax = ~0, r10 = the real rdx, r11 = target:
	 * xrstor64 XSAVE_CLEAN_ADDR; mov %r10,%rdx; xor %eax,%eax;
	 * xor %r10d,%r10d; jmp *%r11.  No vector state of an earlier
	 * request survives; only caller-saved registers are used, so a
	 * program resumed in wait_for_requests_paused() keeps the rest. */
	memcpy(stub + STUB_ENTRY, (const uint8_t[]){
	    0x48, 0x0f, 0xae, 0x2c, 0x25,
	    XSAVE_CLEAN_ADDR & 0xff, (XSAVE_CLEAN_ADDR >> 8) & 0xff,
	    (XSAVE_CLEAN_ADDR >> 16) & 0xff, 0,
	    0x4c, 0x89, 0xd2, 0x31, 0xc0, 0x45, 0x31, 0xd2, 0x41, 0xff, 0xe3 }, 20);
	/* The clean XSAVE image: default FCW and MXCSR, every component in
	 * its initial state (XSTATE_BV = 0). */
	memcpy(vm->mem + XSAVE_CLEAN_ADDR, &(uint16_t){ 0x37f }, 2);
	memcpy(vm->mem + XSAVE_CLEAN_ADDR + 24, &(uint32_t){ 0x1f80 }, 4);

	for (v = 0; v < 32; v++) {
		uint64_t handler = STUB_ADDR + STUB_EXCEPTION + v * STUB_EXCEPTION_SIZE;
		uint8_t *s = vm->mem + handler;
		uint8_t *gate = idt + v * 16;

		/* out %al,$(PORT_EXCEPTION+v); hlt; jmp .-1 */
		s[0] = 0xe6; s[1] = (uint8_t)(PORT_EXCEPTION + v);
		s[2] = 0xf4; s[3] = 0xeb; s[4] = 0xfd;

		gate[0] = handler & 0xff; gate[1] = (handler >> 8) & 0xff;
		gate[2] = SEL_KERNEL_CS; gate[3] = 0;
		gate[4] = 1;		/* IST1 */
		gate[5] = 0x8e;		/* present, DPL 0, interrupt gate */
		gate[6] = (handler >> 16) & 0xff; gate[7] = (handler >> 24) & 0xff;
		memcpy(gate + 8, &(uint32_t){ (uint32_t)(handler >> 32) }, 4);
	}
}

int
cpu_build_tables(struct tkvm_vm *vm, char *err, size_t errlen)
{
	if (vm->mem_size + vm->shm_size > PD_MAX_PAGES * (1ULL << 30)) {
		snprintf(err, errlen, "memory limit above %d GiB", PD_MAX_PAGES);
		return -1;
	}
	build_page_tables(vm);
	build_gdt(vm);
	build_tss(vm);
	build_idt_and_stubs(vm);
	return 0;
}

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

static int
setup_sregs(struct tkvm_vm *vm, char *err, size_t errlen)
{
	struct kvm_sregs sr;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		goto fail;
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
	sr.cr3 = PML4_ADDR;
	/* No CR4.FSGSBASE: the guest changes FS only through arch_prctl, so
	 * the host always knows it and can reset it. */
	sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	sr.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	sr.fs.base = vm->fs_base;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sr) == 0)
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
		STUB_ADDR + STUB_SYSCALL, STUB_ADDR + STUB_SYSCALL,
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
	struct kvm_cpuid2 *cpuid;
	struct kvm_xcrs xcrs;
	struct kvm_fpu fpu;
	uint64_t xcr0_supported = 0x3;
	unsigned i;

	cpuid = calloc(1, sizeof *cpuid + max * sizeof cpuid->entries[0]);
	if (cpuid == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cpuid->nent = max;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0) {
		snprintf(err, errlen, "cannot set CPUID: %s", strerror(errno));
		free(cpuid);
		return -1;
	}
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0xd && cpuid->entries[i].index == 0)
			xcr0_supported = cpuid->entries[i].eax |
			    ((uint64_t)cpuid->entries[i].edx << 32);
	free(cpuid);

	memset(&xcrs, 0, sizeof xcrs);
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	/* x87, SSE, AVX and the AVX-512 states when the host has them. */
	xcrs.xcrs[0].value = xcr0_supported & 0xe7;
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

	if (setup_sregs(vm, err, errlen) || setup_msrs(vm, err, errlen) ||
	    setup_cpuid_xsave(vm, err, errlen))
		return -1;
	memset(regs, 0, sizeof *regs);
	regs->rip = vm->entry;
	regs->rsp = vm->initial_rsp;
	regs->rflags = 0x2;
	vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	vm->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	return 0;
}

/* After a fault or a timeout the vCPU may be left at CPL 0 (in an
 * exception or syscall stub): put the segments back for CPL 3. */
int
cpu_reset_segments(struct tkvm_vm *vm)
{
	char err[128];

	vm->counters.kvm_ioctls += 2;
	return setup_sregs(vm, err, sizeof err);
}

int
cpu_set_fs_base(struct tkvm_vm *vm, uint64_t base)
{
	struct kvm_sregs sr;

	vm->counters.kvm_ioctls += 2;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	sr.fs.base = base;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sr) < 0)
		return -errno;
	vm->fs_base = base;
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
