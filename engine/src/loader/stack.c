/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The initial process stack, as Linux builds it for a new program:
 * argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL, then the strings
 * and the 16 random bytes of AT_RANDOM above them.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "vm.h"

#define MAX_STRINGS 1024

struct stack_builder {
	struct tkvm_vm *vm;
	uint64_t sp;
	uint64_t floor;
	bool overflow;
};

static uint64_t
push_bytes(struct stack_builder *b, const void *data, size_t len)
{
	if (b->sp - b->floor < len) {
		b->overflow = true;
		return 0;
	}
	b->sp -= len;
	memcpy(gmem_at(b->vm, b->sp, len), data, len);
	return b->sp;
}

static uint64_t
push_string(struct stack_builder *b, const char *s)
{
	return push_bytes(b, s, strlen(s) + 1);
}

static unsigned
count(const char *const *list)
{
	unsigned n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

int
stack_build(struct tkvm_vm *vm, const struct elf_image *img, char *err,
    size_t errlen)
{
	struct stack_builder b = { vm, vm->mem_size,
	    vm->mem_size - vm_stack_size(vm) / 2, false };
	const char *const *argv = vm->cfg.argv, *const *envp = vm->cfg.envp;
	unsigned argc = count(argv), envc = count(envp), i, n = 0;
	uint64_t table[2 * MAX_STRINGS + 64];
	uint8_t random[16];
	uint64_t at_random, at_platform, at_execfn;

	if (argc + envc > MAX_STRINGS) {
		snprintf(err, errlen, "too many arguments and environment entries");
		return -1;
	}
	if (getrandom(random, sizeof random, 0) != sizeof random)
		memset(random, 0x5a, sizeof random);
	at_random = push_bytes(&b, random, sizeof random);
	at_platform = push_string(&b, "x86_64");
	at_execfn = push_string(&b, argc ? argv[0] : vm->program_name);

	table[n++] = argc;
	for (i = 0; i < argc; i++)
		table[n++] = push_string(&b, argv[i]);
	table[n++] = 0;
	for (i = 0; i < envc; i++)
		table[n++] = push_string(&b, envp[i]);
	table[n++] = 0;

#define AUX(type, value) do { table[n++] = (type); table[n++] = (value); } while (0)
	AUX(AT_PHDR, img->phdr_addr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, img->phnum);
	AUX(AT_PAGESZ, PAGE_SIZE_4K);
	AUX(AT_BASE, img->interp_len ? img->interp_base : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, img->entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_CLKTCK, 100);
	AUX(AT_HWCAP, 0x178bfbff);
	AUX(AT_HWCAP2, 0);
	AUX(AT_RANDOM, at_random);
	AUX(AT_PLATFORM, at_platform);
	AUX(AT_EXECFN, at_execfn);
	AUX(AT_NULL, 0);
#undef AUX

	b.sp &= ~15ULL;
	if ((n & 1) != 0)
		b.sp -= 8;	/* argc ends up 16-byte aligned */
	push_bytes(&b, table, n * sizeof table[0]);
	if (b.overflow) {
		snprintf(err, errlen, "arguments and environment do not fit the stack");
		return -1;
	}
	vm->initial_rsp = b.sp;
	return 0;
}
