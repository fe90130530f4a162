/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory system calls.  All of them act on the guest heap (mm.c) and
 * cannot reach beyond guest memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
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

#ifndef PROT_SEM
#define PROT_SEM	0x8
#endif
#define PROT_KNOWN	(PROT_READ | PROT_WRITE | PROT_EXEC)
#define PROT_ALLOWED	(PROT_KNOWN | PROT_GROWSDOWN | PROT_GROWSUP | PROT_SEM)

static uint64_t
pages(uint64_t len)
{
	return (len + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
}

int64_t
sys_mmap(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t len = a[1], flags = a[3], offset = a[5];
	const bool anon = (flags & MAP_ANONYMOUS) != 0;
	const int prot = (int)(a[2] & PROT_KNOWN);
	int64_t addr;

	if (len == 0 || (offset & (PAGE_SIZE_4K - 1)) != 0 ||
	    (int64_t)offset < 0 || (a[2] & ~(uint64_t)PROT_ALLOWED) != 0)
		return -EINVAL;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (flags & MAP_TYPE) != MAP_SHARED)
		return -EINVAL;
	if (!anon && (flags & MAP_TYPE) == MAP_SHARED && (a[2] & PROT_WRITE))
		return -EACCES;	/* files are read-only */
	if (!anon && fds_get(vm, (int64_t)(int32_t)a[4]) == NULL)
		return -EBADF;
	/* MAP_NORESERVE, MAP_POPULATE, MAP_STACK...: every mapping costs
	 * memory only where touched. */
	addr = mm_map_prot(vm, a[0], len, prot,
	    (int)(flags & (MAP_TYPE | MAP_ANONYMOUS | MAP_FIXED |
	    MAP_FIXED_NOREPLACE)));
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
	const uint64_t addr = a[0];
	const int prot = (int)(a[2] & PROT_KNOWN);
	uint64_t len = a[1], end;
	int r;

	if ((addr & (PAGE_SIZE_4K - 1)) != 0 ||
	    (a[2] & ~(uint64_t)PROT_ALLOWED) != 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	len = pages(len);
	if (len == 0 || addr > UINT64_MAX - len)
		return -ENOMEM;	/* wraps around: as Linux */
	end = addr + len;
	/* Only mapped memory: never the system area, the stack guard, or
	 * the free part of the mmap area. */
	if (!vma_covered(vm, addr, end))
		return -ENOMEM;
	if (vma_protect_list(&vm->mm, addr, end, prot) != 0)
		return -ENOMEM;
	r = vma_set_prot(vm, addr, end, prot);
	vma_commit(vm);
	return r;
}

static bool
range_free(const struct tkvm_vm *vm, uint64_t start, uint64_t end)
{
	const struct guest_mm *mm = &vm->mm;

	return end <= mm->mmap_top && !vma_overlaps(mm, start, end);
}

static int
mapping_of(const struct tkvm_vm *vm, uint64_t addr, struct mapping *out)
{
	for (unsigned i = 0; i < vm->mm.nmaps; i++)
		if (addr >= vm->mm.maps[i].start && addr < vm->mm.maps[i].end) {
			*out = vm->mm.maps[i];
			return 0;
		}
	return -1;
}

/* Moves [old, old + old_len) to a new mapping of new_len (at fixed_at
 * when not 0), with the same protection. */
static int64_t
remap_move(struct tkvm_vm *vm, uint64_t old, uint64_t old_len,
    uint64_t new_len, const struct mapping *m, uint64_t fixed_at)
{
	int64_t fresh;
	uint64_t keep = old_len < new_len ? old_len : new_len;

	if (fixed_at != 0 && fixed_at < old + old_len && old < fixed_at + new_len)
		return -EINVAL;	/* the ranges overlap */
	fresh = mm_map_prot(vm, fixed_at, new_len, PROT_READ | PROT_WRITE,
	    m->flags | (fixed_at ? MAP_FIXED : 0));
	if (fresh < 0)
		return fresh;
	memcpy(gmem_wr(vm, (uint64_t)fresh, keep), gmem_at(vm, old, keep), keep);
	mm_unmap(vm, old, old_len);
	if (m->prot != (PROT_READ | PROT_WRITE)) {
		vma_protect_list(&vm->mm, (uint64_t)fresh,
		    (uint64_t)fresh + pages(new_len), m->prot);
		(void)vma_set_prot(vm, (uint64_t)fresh,
		    (uint64_t)fresh + pages(new_len), m->prot);
		vma_commit(vm);
	}
	return fresh;
}

int64_t
sys_mremap(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t old = a[0], flags = a[3], target = a[4];
	struct mapping m;
	uint64_t old_len, new_len;

	/* Lengths beyond guest memory would wrap when rounded to pages. */
	if ((old & (PAGE_SIZE_4K - 1)) != 0 || a[2] == 0 ||
	    (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED)) != 0 ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    a[2] > vm->mem_size || a[1] > vm->mem_size)
		return -EINVAL;
	old_len = pages(a[1]);
	new_len = pages(a[2]);
	if (!mm_is_mapped(vm, old, old_len ? old_len : 1) ||
	    mapping_of(vm, old, &m) != 0)
		return -EFAULT;
	if (old_len == 0)
		return -EINVAL;	/* duplicating shared mappings: not here */
	if (flags & MREMAP_FIXED) {
		if ((target & (PAGE_SIZE_4K - 1)) != 0)
			return -EINVAL;
		if (target < USER_BASE)
			return -EPERM;	/* as mmap(MAP_FIXED) there */
		return remap_move(vm, old, old_len, new_len, &m, target);
	}
	if (new_len <= old_len) {
		if (old_len > new_len)
			mm_unmap(vm, old + new_len, old_len - new_len);
		return (int64_t)old;
	}
	/* Grows in place when the pages after it are free. */
	if (range_free(vm, old + old_len, old + new_len)) {
		if (vma_insert(&vm->mm, old + old_len, old + new_len, m.prot,
		    m.flags) != 0)
			return -ENOMEM;
		if (vma_set_prot(vm, old + old_len, old + new_len, m.prot) != 0) {
			vma_remove(&vm->mm, old + old_len, old + new_len);
			vma_commit(vm);
			return -ENOMEM;
		}
		vma_commit(vm);
		return (int64_t)old;
	}
	if ((flags & MREMAP_MAYMOVE) == 0)
		return -ENOMEM;
	return remap_move(vm, old, old_len, new_len, &m, 0);
}

/* Zeroes the anonymous parts of [start, end): the mmap area's mappings,
 * the brk heap and the main stack, as MADV_DONTNEED does; the image is
 * left alone (Linux gives file pages back their file's content). */
static void
drop_range(struct tkvm_vm *vm, uint64_t start, uint64_t end)
{
	const struct guest_mm *mm = &vm->mm;
	const uint64_t stack = vm_stack_guard(vm) + PAGE_SIZE_2M;
	uint64_t s, e;

	for (unsigned i = 0; i < mm->nmaps; i++) {
		s = mm->maps[i].start > start ? mm->maps[i].start : start;
		e = mm->maps[i].end < end ? mm->maps[i].end : end;
		if (s < e)
			mm_zero(vm, s, e - s);
	}
	s = mm->brk_start > start ? mm->brk_start : start;
	e = pages(mm->brk_cur) < end ? pages(mm->brk_cur) : end;
	if (s < e)
		mm_zero(vm, s, e - s);
	s = stack > start ? stack : start;
	e = vm->mem_size < end ? vm->mem_size : end;
	if (s < e)
		mm_zero(vm, s, e - s);
}

int64_t
sys_madvise(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t len = a[1];

	if ((a[0] & (PAGE_SIZE_4K - 1)) != 0)
		return -EINVAL;
	switch (a[2]) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED: case MADV_DONTNEED: case MADV_FREE:
	case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
	case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_WIPEONFORK: case MADV_KEEPONFORK: case MADV_COLD:
	case MADV_PAGEOUT:
		break;
	default:
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	len = pages(len);
	if (len == 0 || gmem_at(vm, a[0], len) == NULL)
		return -ENOMEM;
	/* Anonymous private memory reads as zeros after these; shared
	 * memory (above mem_size) keeps its content, as a shared mapping. */
	if ((a[2] == MADV_DONTNEED || a[2] == MADV_FREE || a[2] == MADV_REMOVE) &&
	    a[0] < vm->mem_size)
		drop_range(vm, a[0], a[0] + len < vm->mem_size ? a[0] + len :
		    vm->mem_size);
	return 0;
}

/* RSS as the kernel counts it: the pages the guest holds (its memory's,
 * or for a request VM its main VM's), in KiB. */
int64_t
sys_getrusage(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct rusage ru;
	struct timespec now;

	if ((int)a[0] != RUSAGE_SELF && (int)a[0] != RUSAGE_THREAD &&
	    (int)a[0] != RUSAGE_CHILDREN)
		return -EINVAL;
	memset(&ru, 0, sizeof ru);
	if ((int)a[0] != RUSAGE_CHILDREN) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
		ru.ru_utime.tv_sec = now.tv_sec;
		ru.ru_utime.tv_usec = now.tv_nsec / 1000;
		ru.ru_maxrss = (long)(mm_resident(vm) >> 10);
	}
	return gmem_put(vm, a[1], &ru, sizeof ru) == 0 ? 0 : -EFAULT;
}
