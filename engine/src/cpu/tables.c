/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's system area, built once per program in the main VM's
 * memory (request VMs share it copy-on-write): page tables, GDT, TSS with
 * an I/O bitmap, IDT, the stubs and the clean XSAVE image.
 */
#include <stdio.h>
#include <string.h>

#include "vm.h"
#include "cpu/x86.h"

static uint64_t *
table_at(struct tkvm_vm *vm, uint64_t addr)
{
	return (uint64_t *)(void *)(vm->mem + addr);
}

/* The entries of [0, 2 MiB) both page-table sets share; the syscall
 * stub page is left out (cpu_map_syscall_stub). */
static void
fill_system_pt(struct tkvm_vm *vm, uint64_t *pt)
{
	uint64_t addr;

	pt[GDT_ADDR >> 12] = GDT_ADDR | PTE_P | PTE_W;
	pt[IDT_ADDR >> 12] = IDT_ADDR | PTE_P;
	pt[TSS_ADDR >> 12] = TSS_ADDR | PTE_P | PTE_W;
	pt[STUB_ADDR >> 12] = STUB_ADDR | PTE_P | PTE_U;
	for (addr = IST_BOTTOM; addr < IST_TOP; addr += PAGE_SIZE_4K)
		pt[addr >> 12] = addr | PTE_P | PTE_W;
	pt[VCPU_INFO_ADDR >> 12] = VCPU_INFO_ADDR | PTE_P | PTE_U;
	for (addr = XSAVE_CLEAN_ADDR; addr < XSAVE_CLEAN_ADDR + XSAVE_CLEAN_MAX;
	    addr += PAGE_SIZE_4K)
		pt[addr >> 12] = addr | PTE_P | PTE_U;
	(void)vm;
}

/* The probe's tables: [0, 2 MiB) only, the syscall stub user-accessible
 * so that the probe reaches it whichever ring SYSCALL enters. */
static void
build_probe_tables(struct tkvm_vm *vm)
{
	uint64_t *pt = table_at(vm, PROBE_PT0_ADDR);

	table_at(vm, PROBE_PML4_ADDR)[0] = PROBE_PDPT_ADDR | PTE_P | PTE_W | PTE_U;
	table_at(vm, PROBE_PDPT_ADDR)[0] = PROBE_PD_ADDR | PTE_P | PTE_W | PTE_U;
	table_at(vm, PROBE_PD_ADDR)[0] = PROBE_PT0_ADDR | PTE_P | PTE_W | PTE_U;
	fill_system_pt(vm, pt);
	pt[SYSCALL_STUB_ADDR >> 12] = SYSCALL_STUB_ADDR | PTE_P | PTE_U;
}

static void
build_page_tables(struct tkvm_vm *vm)
{
	uint64_t *pml4 = table_at(vm, PML4_ADDR);
	uint64_t *pdpt = table_at(vm, PDPT_ADDR);
	uint64_t guard = vm_stack_guard(vm);
	const uint64_t end = vm->mem_size + vm->shm_size;
	uint64_t addr;
	unsigned gib;

	pml4[0] = PDPT_ADDR | PTE_P | PTE_W | PTE_U;
	for (gib = 0; gib * (1ULL << 30) < end; gib++)
		pdpt[gib] = (PD_ADDR + gib * PAGE_SIZE_4K) | PTE_P | PTE_W | PTE_U;
	fill_system_pt(vm, table_at(vm, PT0_ADDR));
	for (addr = 0; addr < end; addr += PAGE_SIZE_2M) {
		uint64_t *pd = table_at(vm, PD_ADDR + (addr >> 30) * PAGE_SIZE_4K);
		uint64_t idx = (addr >> 21) & 511;
		if (addr == 0)
			pd[idx] = PT0_ADDR | PTE_P | PTE_W | PTE_U;
		else if (addr < vm->user_floor)
			continue;	/* below a program linked high: absent */
		else if (addr != guard && !vma_far(vm, addr))
			pd[idx] = addr | PTE_P | PTE_W | PTE_U | PTE_PS;
	}
}

void
cpu_map_syscall_stub(struct tkvm_vm *vm, int ring)
{
	table_at(vm, PT0_ADDR)[SYSCALL_STUB_ADDR >> 12] = SYSCALL_STUB_ADDR |
	    PTE_P | (ring == 3 ? PTE_U : 0);
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
put_code(struct tkvm_vm *vm, uint64_t addr, const uint8_t *code, size_t len)
{
	memcpy(vm->mem + addr, code, len);
}

static void
build_user_stubs(struct tkvm_vm *vm)
{
	const uint32_t image = (uint32_t)XSAVE_CLEAN_ADDR;

	/* The probe: xor %ecx,%ecx; xgetbv; syscall; ud2.  It leaves through
	 * the syscall stub with XCR0 in edx:eax (cpu/probe.c). */
	put_code(vm, STUB_ADDR + STUB_PROBE, (const uint8_t[]){
	    0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x0f, 0x05, 0x0f, 0x0b }, 9);
	/* A callback returning lands here: out %al,$PORT_RETURN; ud2 */
	put_code(vm, STUB_ADDR + STUB_RETURN, (const uint8_t[]){
	    0xe6, PORT_RETURN, 0x0f, 0x0b }, 4);
	/* Request entry, with edx:eax = ~0, r10 = the real rdx, r11 = target:
	 * xrstor64 XSAVE_CLEAN_ADDR; mov %r10,%rdx; xor %eax,%eax;
	 * xor %r10d,%r10d; jmp *%r11.  Every component XCR0 enables is put
	 * in its initial state; only caller-saved registers are used, so a
	 * program resumed in wait_for_requests_paused() keeps the rest. */
	put_code(vm, STUB_ADDR + STUB_ENTRY, (const uint8_t[]){
	    0x48, 0x0f, 0xae, 0x2c, 0x25,
	    image & 0xff, (image >> 8) & 0xff, (image >> 16) & 0xff, image >> 24,
	    0x4c, 0x89, 0xd2, 0x31, 0xc0, 0x45, 0x31, 0xd2, 0x41, 0xff, 0xe3 }, 20);
	/* The clean XSAVE image (standard form): default FCW and MXCSR,
	 * XSTATE_BV = 0, so every component is initialized. */
	memcpy(vm->mem + XSAVE_CLEAN_ADDR, &(uint16_t){ 0x37f }, 2);
	memcpy(vm->mem + XSAVE_CLEAN_ADDR + 24, &(uint32_t){ 0x1f80 }, 4);
}

static void
build_idt_and_syscall_stubs(struct tkvm_vm *vm)
{
	uint8_t *idt = vm->mem + IDT_ADDR;
	unsigned v;

	/* syscall entry: out %al,$PORT_SYSCALL; sysretq.  At CPL 3 (PVM) the
	 * host returns to rcx itself and sysretq is never reached. */
	put_code(vm, SYSCALL_STUB_ADDR + STUB_SYSCALL, (const uint8_t[]){
	    0xe6, PORT_SYSCALL, 0x48, 0x0f, 0x07 }, 5);
	for (v = 0; v < 32; v++) {
		uint64_t handler = SYSCALL_STUB_ADDR + STUB_EXCEPTION +
		    v * STUB_EXCEPTION_SIZE;
		uint8_t *gate = idt + v * 16;

		/* out %al,$(PORT_EXCEPTION+v); hlt; jmp .-1 */
		put_code(vm, handler, (const uint8_t[]){ 0xe6,
		    (uint8_t)(PORT_EXCEPTION + v), 0xf4, 0xeb, 0xfd }, 5);
		gate[0] = handler & 0xff; gate[1] = (handler >> 8) & 0xff;
		gate[2] = SEL_KERNEL_CS; gate[3] = 0;
		gate[4] = 1;		/* IST1 */
		/* present, interrupt gate; DPL 3 for #BP only, so that int3 at
		 * CPL 3 reaches its stub (for a debugger) instead of #GP. */
		gate[5] = v == 3 ? 0xee : 0x8e;
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
	build_probe_tables(vm);
	build_gdt(vm);
	build_tss(vm);
	build_user_stubs(vm);
	build_idt_and_syscall_stubs(vm);
	return 0;
}
