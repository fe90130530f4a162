/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mapping bookkeeping and the page tables behind it (memory/vma.c),
 * without KVM: a 2 GiB address space with a 64 MiB limit, its free middle
 * absent; PROT_NONE reservations, mprotect splits and joins, the table
 * pool running out, when a flush is due, and the /proc/self/maps text.
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

#define MIB (1ULL << 20)
#define RW (PROT_READ | PROT_WRITE)

static uint64_t
pde(const struct tkvm_vm *vm, uint64_t addr)
{
	uint64_t e;

	memcpy(&e, vm->mem + PD_ADDR + (addr >> 30) * 4096 + ((addr >> 21) & 511) * 8, 8);
	return e;
}

/* What the CPU does when it uses the translation of addr: sets the
 * accessed bit of the entries on the way. */
static void
accessed(struct tkvm_vm *vm, uint64_t addr)
{
	uint64_t *pd = (uint64_t *)(void *)(vm->mem + PD_ADDR +
	    (addr >> 30) * 4096) + ((addr >> 21) & 511);

	*pd |= 0x20;
	if (!(*pd & 0x80))
		((uint64_t *)(void *)(vm->mem + (*pd & 0xfffff000ULL)))[(addr >> 12) & 511] |= 0x20;
}

static unsigned
pool_used(const struct tkvm_vm *vm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof vm->mm.pt_used / 8; i++)
		n += (unsigned)__builtin_popcountll(vm->mm.pt_used[i]);
	return n;
}

static int64_t
prot(struct tkvm_vm *vm, uint64_t addr, uint64_t len, int p)
{
	const uint64_t a[6] = { addr, len, (uint64_t)p };

	return sys_mprotect(vm, a);
}

int
main(void)
{
	struct tkvm_vm vm;
	char err[128], maps[4096], want[4096];
	const uint64_t size = 2048 * MIB;

	memset(&vm, 0, sizeof vm);
	vm.mem_size = size;
	vm.mem_limit = 64 * MIB;
	vm.vm_fd = -1;
	vm.program_name = "prog";
	vm.mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(vm.mem != MAP_FAILED);
	CHECK(mm_init(&vm, 0x410000, err, sizeof err) == 0);
	CHECK(cpu_build_tables(&vm, err, sizeof err) == 0);
	const uint64_t top = vm_stack_guard(&vm);	/* 2 GiB - 10 MiB */

	/* The free middle is absent, its ends read-write. */
	CHECK(!vma_far(&vm, 0x400000) && !vma_far(&vm, 0x410000 + 60 * MIB));
	CHECK(vma_far(&vm, 1024 * MIB) && !vma_far(&vm, top - 60 * MIB));
	CHECK(pde(&vm, 1024 * MIB) == 0 && (pde(&vm, top - MIB) & 1));
	CHECK((pde(&vm, 0x400000) & 0x87) == 0x87);	/* P W U PS */

	/* 1 GiB reserved PROT_NONE: from the top down, its far part was
	 * absent anyway; the near part loses its entries and needs a flush. */
	int64_t r = mm_map_prot(&vm, 0, 1024 * MIB, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS);
	CHECK(r == (int64_t)(top - 1024 * MIB));
	CHECK(pde(&vm, top - MIB) == 0 && pde(&vm, (uint64_t)r) == 0);
	CHECK(pool_used(&vm) == 0);
	vm.tlb_stale = false;
	/* A page of it read-write: absent to present, a table, no flush. */
	CHECK(prot(&vm, (uint64_t)r + 4096, 4096, RW) == 0);
	CHECK(pool_used(&vm) == 1 && !vm.tlb_stale);
	/* Taking it away before the guest used it needs no flush either... */
	CHECK(prot(&vm, (uint64_t)r + 4096, 4096, PROT_NONE) == 0);
	CHECK(pool_used(&vm) == 0 && !vm.tlb_stale && pde(&vm, (uint64_t)r) == 0);
	/* ...once used (the CPU set the accessed bits), it does; the table
	 * goes back to the pool. */
	CHECK(prot(&vm, (uint64_t)r + 4096, 4096, RW) == 0);
	accessed(&vm, (uint64_t)r + 4096);
	CHECK(prot(&vm, (uint64_t)r + 4096, 4096, PROT_NONE) == 0);
	CHECK(pool_used(&vm) == 0 && vm.tlb_stale && pde(&vm, (uint64_t)r) == 0);
	vm.tlb_stale = false;
	/* A whole 2 MiB region read-only: one large no-execute entry. */
	CHECK(prot(&vm, (uint64_t)r, 2 * MIB, PROT_READ) == 0);
	CHECK(pool_used(&vm) == 0 && pde(&vm, (uint64_t)r) ==
	    ((uint64_t)r | 0x85 | (1ULL << 63)));

	/* The listing: image, heap (empty), the reservation in three, stack. */
	uint64_t b = mm_brk(&vm, 0x410000 + 8192);
	CHECK(b == 0x412000);
	CHECK(prot(&vm, (uint64_t)r + 8 * MIB, 3 * 4096, RW | PROT_EXEC) == 0);
	vma_format_maps(&vm, maps, sizeof maps);
	snprintf(want, sizeof want,
	    "00200000-00410000 rwxp 00000000 00:00 0 prog\n"
	    "00410000-00412000 rwxp 00000000 00:00 0 [heap]\n"
	    "%08llx-%08llx r--p 00000000 00:00 0 \n"
	    "%08llx-%08llx ---p 00000000 00:00 0 \n"
	    "%08llx-%08llx rwxp 00000000 00:00 0 \n"
	    "%08llx-%08llx ---p 00000000 00:00 0 \n"
	    "%08llx-%08llx rwxp 00000000 00:00 0 [stack]\n",
	    (unsigned long long)r, (unsigned long long)r + 2 * MIB,
	    (unsigned long long)r + 2 * MIB, (unsigned long long)r + 8 * MIB,
	    (unsigned long long)r + 8 * MIB, (unsigned long long)r + 8 * MIB + 3 * 4096,
	    (unsigned long long)r + 8 * MIB + 3 * 4096, (unsigned long long)top,
	    (unsigned long long)top + 2 * MIB, (unsigned long long)size);
	CHECK(strcmp(maps, want) == 0);
	if (strcmp(maps, want) != 0)
		fprintf(stderr, "got:\n%swant:\n%s", maps, want);
	/* Cut at a whole line. */
	CHECK(vma_format_maps(&vm, maps, 60) == strlen(maps) &&
	    strchr(maps, '\n') == maps + strlen(maps) - 1);

	/* One page read-write in each of 449 regions: the pool holds 448. */
	unsigned i;
	for (i = 0; i < PT_POOL_PAGES + 1; i++)
		if (prot(&vm, (uint64_t)r + 16 * MIB + i * 2 * MIB, 4096, RW) != 0)
			break;
	CHECK(i == PT_POOL_PAGES - 1);	/* one table is the 8 MiB one's */
	CHECK(pool_used(&vm) == PT_POOL_PAGES);
	/* Unmapping all of it gives every table back; the near top is
	 * read-write again, the rest absent. */
	CHECK(mm_unmap(&vm, (uint64_t)r, 1024 * MIB) == 0);
	CHECK(pool_used(&vm) == 0 && vm.mm.nmaps == 0);
	CHECK((pde(&vm, top - MIB) & 0x87) == 0x87 && pde(&vm, (uint64_t)r) == 0);

	/* Hostile ranges. */
	CHECK(prot(&vm, 0x4000, 4096, RW) == -12);
	CHECK(prot(&vm, top, 4096, RW) == -12);		/* the stack guard */
	CHECK(prot(&vm, 1024 * MIB, 4096, RW) == -12);	/* free */
	CHECK(prot(&vm, 0x400000, (uint64_t)-4096, RW) == -12);
	CHECK(prot(&vm, 0x400001, 4096, RW) == -22);
	CHECK(mm_map_prot(&vm, 0x4000, 4096, RW, MAP_PRIVATE | MAP_FIXED) == -1);
	CHECK(mm_map_prot(&vm, 0x4000, 4096, RW, MAP_PRIVATE) >= (int64_t)USER_BASE);

	mm_fini(&vm);
	munmap(vm.mem, size);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
