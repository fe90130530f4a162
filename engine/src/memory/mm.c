/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest heap: brk grows up from the end of the image, mmap hands out
 * ranges top-down below the stack guard.  The two never overlap, and no
 * range lies outside guest memory (the address space).  When the address
 * space is larger than the memory limit, mappings are not counted against
 * the limit: only touched pages cost memory, and mm_check_resident()
 * counts them once a program has initialized.  Freed ranges are zeroed
 * (in the main VM by punching holes, which frees the pages) so a new
 * mapping reads as zeros, as on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

#define PAGE_MASK_4K (PAGE_SIZE_4K - 1)

static uint64_t
page_up(uint64_t v)
{
	return (v + PAGE_MASK_4K) & ~PAGE_MASK_4K;
}

int
mm_init(struct tkvm_vm *vm, uint64_t image_end, char *err, size_t errlen)
{
	struct guest_mm *mm = &vm->mm;

	mm->brk_start = mm->brk_cur = page_up(image_end);
	mm->mmap_top = vm_stack_guard(vm);
	mm->mmap_floor = mm->brk_start;
	mm->nmaps = 0;
	mm->maps = calloc(TKVM_MAX_MAPPINGS, sizeof *mm->maps);
	if (mm->maps == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
mm_fini(struct tkvm_vm *vm)
{
	free(vm->mm.maps);
	vm->mm.maps = NULL;
}

/* Below this, a request VM zeroes freed memory by writing it. */
#define DROP_MIN	(64 << 10)

static void
write_zeros(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	if (len != 0)
		memset(gmem_wr(vm, addr, len), 0, len);
}

/*
 * Zeroes [start, end) of a request VM without writing (and so dirtying)
 * pages that are zero anyway: dropping the private copies makes the range
 * show the frozen main VM's pages again; those the main VM held no data
 * in when it froze (data_map) are zeros, only the others are written.  A
 * large freed mapping, mostly untouched, then costs nothing at the reset.
 */
static void
zero_forked(struct tkvm_vm *vm, uint64_t start, uint64_t end)
{
	const uint64_t *map = vm->master->data_map;

	if (map == NULL ||
	    madvise(vm->mem + start, end - start, MADV_DONTNEED) != 0) {
		write_zeros(vm, start, end - start);
		return;
	}
	for (uint64_t a = start; a < end; a += PAGE_SIZE_4K) {
		uint64_t page = a / PAGE_SIZE_4K;
		if (map[page / 64] & (1ULL << (page % 64)))
			write_zeros(vm, a, PAGE_SIZE_4K);
	}
}

/*
 * Records which pages of a frozen VM's memfd hold data (SEEK_DATA), for
 * zero_forked() in the VMs forked from it.  Without the map they zero by
 * writing, as before.
 */
void
mm_map_data(struct tkvm_vm *vm)
{
	const uint64_t words = (vm->mem_size / PAGE_SIZE_4K + 63) / 64;
	uint64_t off = 0;

	free(vm->data_map);
	vm->data_map = calloc(words, 8);
	while (vm->data_map != NULL && off < vm->mem_size) {
		off_t data = lseek(vm->memfd, (off_t)off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			return;
		if (data < 0 || (hole = lseek(vm->memfd, data, SEEK_HOLE)) < 0) {
			free(vm->data_map);
			vm->data_map = NULL;
			return;
		}
		if ((uint64_t)hole > vm->mem_size)
			hole = (off_t)vm->mem_size;
		dirty_mark(vm->data_map, (uint64_t)data, (uint64_t)(hole - data));
		off = (uint64_t)hole;
	}
}

void
mm_zero(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	uint64_t start = page_up(addr), end = (addr + len) & ~PAGE_MASK_4K;
	void *p = gmem_at(vm, addr, len);

	/* Only guest user memory, never the system area. */
	TKVM_AN(p);
	/* A request VM's pages are copy-on-write views of the main VM:
	 * zeroing is a write like any other, recorded for the reset. */
	if (vm->master != NULL && (start >= end || end - start < DROP_MIN)) {
		write_zeros(vm, addr, len);
		return;
	}
	if (vm->master != NULL) {
		write_zeros(vm, addr, start - addr);
		write_zeros(vm, end, addr + len - end);
		zero_forked(vm, start, end);
		return;
	}
	if (start >= end) {
		memset(p, 0, len);
		return;
	}
	memset(vm->mem + addr, 0, start - addr);
	memset(vm->mem + end, 0, addr + len - end);
	/* The main VM's memory is a memfd: punching a hole frees and zeroes. */
	if (madvise(vm->mem + start, end - start, MADV_REMOVE) != 0)
		memset(vm->mem + start, 0, end - start);
}

static uint64_t
lowest_mapping(const struct guest_mm *mm)
{
	return mm->nmaps ? mm->maps[0].start : mm->mmap_top;
}

uint64_t
mm_brk(struct tkvm_vm *vm, uint64_t addr)
{
	struct guest_mm *mm = &vm->mm;
	uint64_t old_end = page_up(mm->brk_cur);

	/* addr is compared before rounding: page_up() of an address near
	 * 2^64 wraps to 0, which once let brk() zero the system area. */
	if (addr < mm->brk_start || addr > lowest_mapping(mm) ||
	    page_up(addr) > lowest_mapping(mm))
		return mm->brk_cur;
	if (page_up(addr) < old_end) {
		mm_zero(vm, page_up(addr), old_end - page_up(addr));
		/* What it grows into later is fresh read-write memory. */
		(void)vma_release(vm, page_up(addr), old_end);
		vma_commit(vm);
	} else if (page_up(addr) > old_end) {
		int r = vma_set_prot(vm, old_end, page_up(addr),
		    PROT_READ | PROT_WRITE);
		vma_commit(vm);
		if (r != 0)
			return mm->brk_cur;	/* no page table left for it */
	}
	mm->brk_cur = addr;
	return addr;
}

static uint64_t
find_gap(const struct guest_mm *mm, uint64_t len)
{
	uint64_t top = mm->mmap_top, floor = page_up(mm->brk_cur);
	unsigned i = mm->nmaps;

	for (;;) {
		uint64_t bottom = i ? mm->maps[i - 1].end : floor;
		if (top >= bottom && top - bottom >= len)
			return top - len;
		if (i == 0)
			return 0;
		top = mm->maps[--i].start;
	}
}

/* Whether [start, start+len) may be mapped with MAP_FIXED: inside the
 * mmap area (above the brk heap, below the stack guard). */
static int
fixed_range(const struct tkvm_vm *vm, uint64_t start, uint64_t len)
{
	const struct guest_mm *mm = &vm->mm;

	if ((start & PAGE_MASK_4K) != 0)
		return -EINVAL;
	if (start < USER_BASE)
		return -EPERM;	/* as below Linux's mmap_min_addr */
	if (start < page_up(mm->brk_cur) || start > mm->mmap_top ||
	    len > mm->mmap_top - start)
		return -ENOMEM;
	return 0;
}

int64_t
mm_map_prot(struct tkvm_vm *vm, uint64_t addr, uint64_t len, int prot,
    int flags)
{
	struct guest_mm *mm = &vm->mm;
	const bool fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	uint64_t start;
	int r;

	if (len == 0 || len > vm->mem_size)
		return -ENOMEM;
	len = page_up(len);
	if (fixed) {
		if ((r = fixed_range(vm, addr, len)) != 0)
			return r;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
		    vma_overlaps(mm, addr, addr + len))
			return -EEXIST;
		if (vma_remove(mm, addr, addr + len) != 0)
			return -ENOMEM;
		mm_zero(vm, addr, len);
		start = addr;
	} else if (addr != 0 && fixed_range(vm, addr, len) == 0 &&
	    !vma_overlaps(mm, addr, addr + len)) {
		start = addr;	/* a free hint is taken, as Linux does */
	} else {
		start = find_gap(mm, len);
		if (start == 0)
			return -ENOMEM;
	}
	if (vma_insert(mm, start, start + len, prot,
	    flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0)
		return -ENOMEM;
	if (vma_set_prot(vm, start, start + len, prot) != 0) {
		vma_remove(mm, start, start + len);
		(void)vma_release(vm, start, start + len);
		vma_commit(vm);
		return -ENOMEM;
	}
	vma_commit(vm);
	return (int64_t)start;
}

int64_t
mm_map(struct tkvm_vm *vm, uint64_t addr, uint64_t len, bool fixed)
{
	return mm_map_prot(vm, addr, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0));
}

int
mm_unmap(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	struct guest_mm *mm = &vm->mm;
	uint64_t end;

	if ((addr & PAGE_MASK_4K) != 0 || len == 0 || len > vm->mem_size)
		return -EINVAL;
	len = page_up(len);
	if (addr > UINT64_MAX - len)
		return -EINVAL;
	end = addr + len;
	if (end > vm->mem_size)
		return -EINVAL;	/* not guest memory at all */
	/* Only the part inside the mmap area is ours to unmap. */
	if (addr < mm->mmap_floor)
		addr = mm->mmap_floor;
	if (end > mm->mmap_top)
		end = mm->mmap_top;
	if (addr >= end)
		return 0;
	for (unsigned i = 0; i < mm->nmaps; i++) {
		uint64_t s = mm->maps[i].start > addr ? mm->maps[i].start : addr;
		uint64_t e = mm->maps[i].end < end ? mm->maps[i].end : end;
		if (s < e)
			mm_zero(vm, s, e - s);
	}
	if (vma_remove(mm, addr, end) != 0)
		return -ENOMEM;
	/* The free part gets what it has there before any mapping. */
	if (vma_release(vm, addr, end) != 0)
		return -ENOMEM;
	vma_commit(vm);
	return 0;
}

bool
mm_is_mapped(const struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	const struct guest_mm *mm = &vm->mm;

	for (unsigned i = 0; i < mm->nmaps; i++)
		if (addr >= mm->maps[i].start && addr < mm->maps[i].end)
			return len <= mm->maps[i].end - addr;
	return false;
}

/* Pages held: a memfd's allocated blocks (a request VM's: its main
 * VM's, which its private copies are not in). */
uint64_t
mm_resident(const struct tkvm_vm *vm)
{
	const struct tkvm_vm *m = vm->master != NULL ? vm->master : vm;
	struct stat st;

	if (m->memfd < 0 || fstat(m->memfd, &st) != 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

int
mm_check_limit(const struct tkvm_vm *vm, char *why, size_t whylen)
{
	uint64_t used;

	if (vm->program != NULL || vm->master != NULL ||
	    vm->mem_size <= vm->mem_limit)
		return 0;
	used = mm_resident(vm);
	if (used <= vm->mem_limit)
		return 0;
	snprintf(why, whylen, "guest uses %llu KiB of memory, more than its "
	    "memory limit (%llu KiB)", (unsigned long long)(used >> 10),
	    (unsigned long long)(vm->mem_limit >> 10));
	return -1;
}

/*
 * The pages a main or storage VM holds, from its memfd's allocated blocks:
 * every page the guest or the host touched, minus those freed again.
 * Fails with a message when they exceed the memory limit.
 */
int
mm_check_resident(const struct tkvm_vm *vm, const char *which, char *err,
    size_t errlen)
{
	struct stat st;
	uint64_t used;

	if (vm->memfd < 0 || fstat(vm->memfd, &st) != 0) {
		snprintf(err, errlen, "cannot measure the memory of the %s: %s",
		    which, vm->memfd < 0 ? "no memfd" : strerror(errno));
		return -1;
	}
	used = (uint64_t)st.st_blocks * 512;
	if (used <= vm->mem_limit)
		return 0;
	snprintf(err, errlen, "%s uses %llu KiB of memory after "
	    "initialization, more than max_memory (%llu KiB)", which,
	    (unsigned long long)(used >> 10),
	    (unsigned long long)(vm->mem_limit >> 10));
	return -1;
}

/*
 * A request VM's first write to a page its main VM never touched makes
 * the kernel put a zeroed page into the main VM's memfd before copying
 * it, and those pages stay.  Once they bring the memfd above the memory
 * limit, every page outside the main VM's data (data_map) is given back:
 * those are zeros whoever maps them, and read as zeros again afterwards.
 * One fstat() per request otherwise.
 */
void
mm_trim_master(const struct tkvm_vm *vm)
{
	const struct tkvm_vm *m = vm->master;
	const uint64_t pages = m != NULL ? m->mem_size / PAGE_SIZE_4K : 0;
	struct stat st;
	uint64_t page = 0;

	/* When the address space is the limit, the memfd cannot grow past
	 * it: no system call on this per-request path. */
	if (m == NULL || m->data_map == NULL || m->mem_size <= m->mem_limit ||
	    fstat(m->memfd, &st) != 0 ||
	    (uint64_t)st.st_blocks * 512 <= m->mem_limit)
		return;
	while (page < pages) {
		uint64_t first;
		while (page < pages && (m->data_map[page / 64] >> (page % 64)) & 1)
			page++;
		first = page;
		while (page < pages && !((m->data_map[page / 64] >> (page % 64)) & 1))
			page++;
		if (page > first)
			(void)fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, (off_t)(first * PAGE_SIZE_4K),
			    (off_t)((page - first) * PAGE_SIZE_4K));
	}
}
