/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one checked accessor for guest memory.  Every guest pointer and
 * length the engine touches goes through gmem_at(), which refuses ranges
 * that wrap around, leave guest memory or reach into the system area.
 * gmem_wr() is the same for ranges the host is about to write: in a
 * request VM it records them, since KVM's dirty log sees guest writes only.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

void *
gmem_at(const struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	const uint64_t end = vm->mem_size + vm->shm_size;

	if (addr < USER_BASE || addr >= end)
		return NULL;
	if (len > end - addr)	/* also catches addr + len wrapping */
		return NULL;
	return vm->mem + addr;
}

long
gmem_string(const struct tkvm_vm *vm, uint64_t addr, char *buf, size_t max)
{
	const char *src, *nul;
	uint64_t avail;

	if (max == 0 || gmem_at(vm, addr, 1) == NULL)
		return -1;
	avail = vm->mem_size + vm->shm_size - addr;
	if (avail > max)
		avail = max;
	src = gmem_at(vm, addr, avail);
	nul = memchr(src, '\0', avail);
	if (nul == NULL)
		return -1;
	memcpy(buf, src, (size_t)(nul - src) + 1);
	return nul - src;
}

void *
gmem_wr(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	void *p = gmem_at(vm, addr, len);

	/* Shared memory is never reset: only main memory is tracked. */
	if (p != NULL && len != 0 && vm->dirty_host != NULL && addr < vm->mem_size)
		host_dirty(vm, addr,
		    len < vm->mem_size - addr ? len : vm->mem_size - addr);
	return p;
}

int
gmem_put(struct tkvm_vm *vm, uint64_t addr, const void *src, uint64_t len)
{
	void *dst = gmem_wr(vm, addr, len);

	if (dst == NULL)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

int
gmem_copy(const struct tkvm_vm *vm, void *dst, uint64_t addr, uint64_t len)
{
	const void *src = gmem_at(vm, addr, len);

	if (src == NULL)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

const void *
gmem_stable(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	const void *src = gmem_at(vm, addr, len);
	void *copy;

	if (src == NULL || addr + len <= vm->mem_size)
		return src;	/* private memory: nobody else writes it */
	if (vm->stable == NULL && (vm->stable = malloc(GMEM_STABLE_MAX)) == NULL)
		return NULL;
	if (len > GMEM_STABLE_MAX - vm->stable_used)
		return NULL;
	copy = vm->stable + vm->stable_used;
	memcpy(copy, src, len);
	vm->stable_used += (len + 15) & ~(size_t)15;
	if (vm->cfg.test_flip_shared)
		memset((void *)(uintptr_t)src, '\n', len);
	return copy;
}
