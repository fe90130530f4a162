/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory system calls.  All of them act on the guest heap (mm.c) and
 * cannot reach beyond guest memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

int64_t
sys_brk(struct tkvm_vm *vm, const uint64_t a[6])
{
	return (int64_t)mm_brk(vm, a[0]);
}

static int64_t
map_file(struct tkvm_vm *vm, int64_t addr, uint64_t len, int64_t fd,
    uint64_t offset)
{
	struct guest_fd *f = fds_get(vm, fd);
	uint8_t *dst;
	ssize_t n;

	if (f == NULL || f->host_fd < 0)
		return -EBADF;
	if (f->is_dir)
		return -ENODEV;
	dst = gmem_wr(vm, (uint64_t)addr, len);
	n = pread(f->host_fd, dst, len, (off_t)offset);
	if (n < 0) {
		int e = errno;
		mm_unmap(vm, (uint64_t)addr, len);
		return -e;
	}
	return addr;
}

int64_t
sys_mmap(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t len = a[1], flags = a[3], offset = a[5];
	const bool anon = (flags & MAP_ANONYMOUS) != 0;
	const bool fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	int64_t addr;

	if (len == 0 || (offset & (PAGE_SIZE_4K - 1)) != 0 ||
	    (int64_t)offset < 0)
		return -EINVAL;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (flags & MAP_TYPE) != MAP_SHARED)
		return -EINVAL;
	if (!anon && (flags & MAP_TYPE) == MAP_SHARED && (a[2] & PROT_WRITE))
		return -EACCES;	/* files are read-only */
	if (!anon && fds_get(vm, (int64_t)(int32_t)a[4]) == NULL)
		return -EBADF;
	addr = mm_map(vm, a[0], len, fixed);
	if (addr < 0 || anon)
		return addr;
	return map_file(vm, addr, len, (int64_t)(int32_t)a[4], offset);
}

int64_t
sys_munmap(struct tkvm_vm *vm, const uint64_t a[6])
{
	return mm_unmap(vm, a[0], a[1]);
}

int64_t
sys_mprotect(struct tkvm_vm *vm, const uint64_t a[6])
{
	/* Protection is not enforced inside the sandbox; ranges are checked. */
	if ((a[0] & (PAGE_SIZE_4K - 1)) != 0)
		return -EINVAL;
	if (a[1] != 0 && gmem_at(vm, a[0], a[1]) == NULL)
		return -ENOMEM;
	return 0;
}

int64_t
sys_mremap(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t old = a[0], old_len = a[1], new_len = a[2], flags = a[3];
	const uint64_t page = PAGE_SIZE_4K - 1;
	int64_t fresh;

	/* Lengths beyond guest memory would wrap when rounded to pages. */
	if ((old & page) != 0 || new_len == 0 || (flags & ~3ULL) != 0 ||
	    new_len > vm->mem_size || old_len > vm->mem_size)
		return -EINVAL;
	if (!mm_is_mapped(vm, old, old_len ? old_len : 1))
		return -EFAULT;
	if (((new_len + page) & ~page) <= ((old_len + page) & ~page)) {
		uint64_t keep = (new_len + page) & ~page;
		uint64_t had = (old_len + page) & ~page;
		if (had > keep)
			mm_unmap(vm, old + keep, had - keep);
		return (int64_t)old;
	}
	if ((flags & MREMAP_MAYMOVE) == 0)
		return -ENOMEM;
	fresh = mm_map(vm, 0, new_len, false);
	if (fresh < 0)
		return fresh;
	memcpy(gmem_wr(vm, (uint64_t)fresh, old_len), gmem_at(vm, old, old_len),
	    old_len);
	mm_unmap(vm, old, old_len);
	return fresh;
}

int64_t
sys_madvise(struct tkvm_vm *vm, const uint64_t a[6])
{
	if ((a[0] & (PAGE_SIZE_4K - 1)) != 0)
		return -EINVAL;
	if (a[1] == 0)
		return 0;
	if (gmem_at(vm, a[0], a[1]) == NULL)
		return -ENOMEM;
	if (a[2] == MADV_DONTNEED && mm_is_mapped(vm, a[0], a[1]))
		mm_zero(vm, a[0], a[1]);
	return 0;
}
