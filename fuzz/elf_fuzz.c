/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the ELF loader (engine/src/loader/elf.c).  A VM
 * is built by hand, with memory but no KVM: elf_load() only checks the
 * image and copies it into guest memory.  The last byte of e_ident (a
 * padding byte the loader ignores) picks 16 or 64 MiB of memory, which
 * changes the stack size and so the highest address a segment may use.
 * An accepted image must lie inside user memory, below the stack guard,
 * with its entry point and program headers inside what was loaded; the
 * system area below USER_BASE must stay untouched.  A refused one must
 * say why.  An accepted one then gets its heap (mm_init) and initial
 * stack (stack_build), as when a VM is created.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SMALL	(16ULL << 20)
#define MEM_LARGE	(64ULL << 20)

static struct tkvm_vm *vm;

static void
fatal(const char *what)
{
	fprintf(stderr, "elf_fuzz: %s\n", what);
	abort();
}

static void
setup(void)
{
	if ((vm = calloc(1, sizeof *vm)) == NULL ||
	    (vm->mem = calloc(1, MEM_LARGE)) == NULL)
		fatal("out of memory");
	vm->memfd = vm->shm_fd = -1;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

/* Whether the system area below USER_BASE is still all zero. */
static bool
system_area_clean(void)
{
	return vm->mem[0] == 0 &&
	    memcmp(vm->mem, vm->mem + 1, USER_BASE - 1) == 0;
}

static void
check_image(const struct elf_image *img, const Elf64_Ehdr *eh)
{
	uint64_t guard = vm_stack_guard(vm);

	if (img->end < USER_BASE || img->end > guard ||
	    img->end % PAGE_SIZE_4K != 0)
		fatal("the image ends outside user memory or unaligned");
	if (img->entry < USER_BASE || img->entry >= img->end)
		fatal("the entry point is outside the image");
	if (img->phdr_addr < USER_BASE || img->phdr_addr >= img->end)
		fatal("the program headers are outside the image");
	if (img->phnum != eh->e_phnum)
		fatal("the program header count changed");
	if (gmem_at(vm, img->entry, 1) == NULL)
		fatal("the entry point is not guest memory");
}

/* The heap above the image and the stack at the top, as at VM creation. */
static void
check_process(const struct elf_image *img)
{
	static const char *argv[] = { "prog", "arg", NULL }, *envp[] = { "K=V", NULL };
	const uint64_t *sp;
	char err[160] = "";

	vm->cfg.argv = argv;
	vm->cfg.envp = envp;
	if (mm_init(vm, img->end, err, sizeof err) != 0)
		fatal(err);
	if (mm_brk(vm, 0) != img->end || vm->mm.mmap_top != vm_stack_guard(vm))
		fatal("the heap does not start at the image's end");
	if (stack_build(vm, img, err, sizeof err) != 0)
		fatal(err);
	if (vm->initial_rsp % 16 != 0 ||
	    vm->initial_rsp < vm->mem_size - vm_stack_size(vm) ||
	    (sp = gmem_at(vm, vm->initial_rsp, 8)) == NULL || *sp != 2)
		fatal("a bad initial stack");
	mm_fini(vm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	char err[160] = "";
	uint8_t *copy;

	if (vm == NULL)
		setup();
	vm->mem_size = size > EI_NIDENT - 1 && (data[EI_NIDENT - 1] & 1) ?
	    MEM_LARGE : MEM_SMALL;
	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		fatal("out of memory");
	memcpy(copy, data, size);
	if (elf_load(vm, copy, size, &img, err, sizeof err) == 0) {
		check_image(&img, (const Elf64_Ehdr *)(const void *)copy);
		/* A PT_INTERP path lies in the file, NUL-terminated, short. */
		if (img.interp_len != 0 && (img.interp_off >= size ||
		    img.interp_len >= size - img.interp_off ||
		    img.interp_len >= ELF_INTERP_MAX ||
		    copy[img.interp_off + img.interp_len] != '\0'))
			fatal("the interpreter path runs outside the file");
		check_process(&img);
	} else if (strncmp(err, "invalid ELF: ", 13) != 0 || err[13] == '\0')
		fatal("a refusal without its reason");
	if (!system_area_clean())
		fatal("the system area was written");
	free(copy);
	return 0;
}
