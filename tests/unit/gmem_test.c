/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The checked guest-memory accessor and the guest heap: ranges that wrap,
 * leave memory or touch the system area are refused; mmap/munmap/brk keep
 * their ranges apart and inside guest memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

int
main(void)
{
	struct tkvm_vm vm;
	char err[128];
	const uint64_t size = 16ULL << 20;

	memset(&vm, 0, sizeof vm);
	vm.mem_size = size;
	vm.mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(vm.mem != MAP_FAILED);

	CHECK(gmem_at(&vm, USER_BASE, 1) == vm.mem + USER_BASE);
	CHECK(gmem_at(&vm, size - 1, 1) == vm.mem + size - 1);
	CHECK(gmem_at(&vm, size - 4096, 4096) != NULL);
	CHECK(gmem_at(&vm, size - 4096, 4097) == NULL);
	CHECK(gmem_at(&vm, size, 0) == NULL);
	CHECK(gmem_at(&vm, 0, 1) == NULL);			/* NULL page */
	CHECK(gmem_at(&vm, STUB_ADDR, 1) == NULL);		/* system area */
	CHECK(gmem_at(&vm, USER_BASE - 1, 2) == NULL);
	CHECK(gmem_at(&vm, UINT64_MAX, 2) == NULL);		/* wraps */
	CHECK(gmem_at(&vm, USER_BASE, UINT64_MAX) == NULL);
	CHECK(gmem_at(&vm, 0xfffffffffffff000ULL, 0x2000) == NULL);
	CHECK(gmem_at(&vm, USER_BASE, 1ULL << 62) == NULL);

	strcpy((char *)vm.mem + USER_BASE, "guest");
	CHECK(gmem_string(&vm, USER_BASE, err, sizeof err) == 5 && !strcmp(err, "guest"));
	CHECK(gmem_string(&vm, USER_BASE, err, 3) == -1);	/* too long */
	memset(vm.mem + size - 8, 'x', 8);
	CHECK(gmem_string(&vm, size - 8, err, sizeof err) == -1);	/* no NUL */

	CHECK(mm_init(&vm, USER_BASE + 0x10000, err, sizeof err) == 0);
	int64_t a = mm_map(&vm, 0, 1 << 20, false);
	int64_t b = mm_map(&vm, 0, 4096, false);
	CHECK(a > 0 && b > 0 && (uint64_t)b + 4096 <= (uint64_t)a);
	CHECK((uint64_t)a + (1 << 20) <= vm_stack_guard(&vm));
	CHECK(mm_is_mapped(&vm, (uint64_t)a, 1 << 20));
	CHECK(mm_unmap(&vm, (uint64_t)a + 4096, 4096) == 0);	/* split */
	CHECK(!mm_is_mapped(&vm, (uint64_t)a + 4096, 1));
	CHECK(mm_is_mapped(&vm, (uint64_t)a, 4096));
	CHECK(mm_map(&vm, 0, size, false) == -12);		/* ENOMEM */
	CHECK(mm_map(&vm, 0, 0, false) == -12);
	CHECK(mm_unmap(&vm, 0xffffffffffff0000ULL, 4096) == -22);
	uint64_t brk0 = mm_brk(&vm, 0);
	CHECK(mm_brk(&vm, brk0 + 8192) == brk0 + 8192);
	CHECK(mm_brk(&vm, (uint64_t)b + 1) == brk0 + 8192);	/* into mmap: refused */
	CHECK(mm_brk(&vm, USER_BASE) == brk0 + 8192);		/* below start */
	mm_fini(&vm);
	munmap(vm.mem, size);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
