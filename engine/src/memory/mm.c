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
	if (page_up(addr) < old_end)
		mm_zero(vm, page_up(addr), old_end - page_up(addr));
	mm->brk_cur = addr;
	return addr;
}

static void
remove_at(struct guest_mm *mm, unsigned i)
{
	memmove(&mm->maps[i], &mm->maps[i + 1],
	    (mm->nmaps - i - 1) * sizeof mm->maps[0]);
	mm->nmaps--;
}

static int
insert_range(struct guest_mm *mm, uint64_t start, uint64_t end)
{
	unsigned i = 0;

	while (i < mm->nmaps && mm->maps[i].start < start)
		i++;
	/* Merge with neighbours that touch. */
	if (i > 0 && mm->maps[i - 1].end == start) {
		mm->maps[i - 1].end = end;
		if (i < mm->nmaps && mm->maps[i].start == end) {
			mm->maps[i - 1].end = mm->maps[i].end;
			remove_at(mm, i);
		}
		return 0;
	}
	if (i < mm->nmaps && mm->maps[i].start == end) {
		mm->maps[i].start = start;
		return 0;
	}
	if (mm->nmaps == TKVM_MAX_MAPPINGS)
		return -ENOMEM;
	memmove(&mm->maps[i + 1], &mm->maps[i],
	    (mm->nmaps - i) * sizeof mm->maps[0]);
	mm->maps[i].start = start;
	mm->maps[i].end = end;
	mm->nmaps++;
	return 0;
}

/* Removes [start, end) from the mapping list, splitting as needed. */
static int
remove_range(struct guest_mm *mm, uint64_t start, uint64_t end)
{
	unsigned i = 0;

	while (i < mm->nmaps) {
		struct mapping *m = &mm->maps[i];
		if (m->end <= start || m->start >= end) {
			i++;
		} else if (m->start >= start && m->end <= end) {
			remove_at(mm, i);
		} else if (m->start < start && m->end > end) {
			uint64_t tail = m->end;
			m->end = start;
			return insert_range(mm, end, tail);
		} else if (m->start < start) {
			m->end = start;
			i++;
		} else {
			m->start = end;
			i++;
		}
	}
	return 0;
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

int64_t
mm_map(struct tkvm_vm *vm, uint64_t addr, uint64_t len, bool fixed)
{
	struct guest_mm *mm = &vm->mm;
	uint64_t start;

	if (len == 0 || len > vm->mem_size)
		return -ENOMEM;
	len = page_up(len);
	if (fixed) {
		if ((addr & PAGE_MASK_4K) != 0)
			return -EINVAL;
		if (addr < page_up(mm->brk_cur) || addr > mm->mmap_top ||
		    len > mm->mmap_top - addr)
			return -ENOMEM;
		if (remove_range(mm, addr, addr + len) != 0)
			return -ENOMEM;
		mm_zero(vm, addr, len);
		start = addr;
	} else {
		start = find_gap(mm, len);
		if (start == 0)
			return -ENOMEM;
	}
	if (insert_range(mm, start, start + len) != 0)
		return -ENOMEM;
	return (int64_t)start;
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
	return remove_range(mm, addr, end) ? -ENOMEM : 0;
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
