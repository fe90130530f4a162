/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resetting a request VM to the frozen main VM: the pages written since
 * the last reset (KVM's dirty log for guest writes, our own bitmap for
 * host writes) are copied back from the main VM's memory, and the guest
 * OS state (heap layout, descriptors, signal state, FS base) is copied
 * from the main VM, which never runs again once frozen.
 *
 * Write-protecting a page to log its next write costs a fault of a few
 * microseconds when the guest writes it again, while copying a page back
 * costs a fraction of that.  With manual dirty-log protection, the first
 * HOT_MAX pages a VM writes are therefore left writable (their dirty bits
 * never cleared, so KVM keeps reporting them) and copied back at every
 * reset; only other pages are write-protected again.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest/program.h"
#include "linux/threads.h"

#define HOT_MAX 512	/* pages */

/* Records why the reset failed; the VM must not serve again as it is. */
static int
reset_failed(struct tkvm_vm *vm, const char *what)
{
	snprintf(vm->broken, sizeof vm->broken, "reset failed: %s: %s", what,
	    strerror(errno));
	return -1;
}

int
reset_init(struct tkvm_vm *vm, char *err, size_t errlen)
{
	size_t pages = vm->mem_size / PAGE_SIZE_4K;

	vm->dirty_words = (pages + 63) / 64;
	vm->dirty_kvm = calloc(vm->dirty_words, 8);
	vm->dirty_host = calloc(vm->dirty_words, 8);
	vm->dirty_ever = calloc(vm->dirty_words, 8);
	vm->dirty_hot = calloc(vm->dirty_words, 8);
	vm->dirty_sum = calloc((vm->dirty_words + 63) / 64, 8);
	if (vm->dirty_kvm == NULL || vm->dirty_host == NULL ||
	    vm->dirty_ever == NULL || vm->dirty_hot == NULL ||
	    vm->dirty_sum == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Visiting a large address space's bitmaps word by word would cost more
 * than the reset itself (16,384 words for 4 GiB).  KVM's log is read
 * eight words at a time; dirty_host's non-zero words are found through
 * dirty_sum, a bit per word; dirty_ever's bits are counted as they are
 * set (ever_pages).
 */
static bool
block_empty(const uint64_t *w)
{
	uint64_t acc = 0;

	for (unsigned i = 0; i < 8; i++)
		acc |= w[i];
	return acc == 0;
}

/* The next word at or after *w that dirty_sum marks; false at the end. */
static bool
next_marked(const struct tkvm_vm *vm, size_t *w)
{
	const size_t sum_words = (vm->dirty_words + 63) / 64;
	size_t s = *w / 64;
	uint64_t bits;

	if (s >= sum_words)
		return false;
	bits = vm->dirty_sum[s] & (~0ULL << (*w % 64));
	while (bits == 0) {
		if (++s >= sum_words)
			return false;
		bits = vm->dirty_sum[s];
	}
	*w = s * 64 + (size_t)__builtin_ctzll(bits);
	return *w < vm->dirty_words;
}

/* Every ioctl of the reset goes through here: a failure means pages
 * that may stay writable without being logged, so the caller gives the VM
 * up.  Testing: cfg.test_fail_reset_ioctl = N fails every Nth one. */
static int
reset_ioctl(struct tkvm_vm *vm, unsigned long request, void *arg)
{
	const unsigned n = vm->program->cfg.test_fail_reset_ioctl;

	vm->counters.kvm_ioctls++;
	if (n != 0 && ++vm->reset_ioctls % n == 0) {
		errno = EIO;
		return -1;
	}
	return ioctl(vm->vm_fd, request, arg) == 0 ? 0 : -1;
}

/* Write-protects again the pages set in bitmap (manual protection),
 * words first to last. */
static int
protect_again(struct tkvm_vm *vm, uint64_t *bitmap, size_t first, size_t last)
{
	const uint64_t pages = vm->mem_size / PAGE_SIZE_4K;
	struct kvm_clear_dirty_log clear = {
		.slot = 0, .first_page = first * 64,
		.num_pages = (uint32_t)((last + 1 - first) * 64),
		.dirty_bitmap = bitmap + first,
	};

	/* KVM wants whole words, or a range that ends at the slot's end. */
	if (clear.first_page + clear.num_pages > pages)
		clear.num_pages = (uint32_t)(pages - clear.first_page);
	if (reset_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear) == 0)
		return 0;
	return reset_failed(vm, "KVM_CLEAR_DIRTY_LOG");
}

/* protect_again() for every page of bitmap. */
static int
protect_all(struct tkvm_vm *vm, uint64_t *bitmap)
{
	size_t first = vm->dirty_words, last = 0;

	for (size_t i = 0; i < vm->dirty_words; i++)
		if (bitmap[i] != 0) {
			if (first == vm->dirty_words)
				first = i;
			last = i;
		}
	return first == vm->dirty_words ? 0 :
	    protect_again(vm, bitmap, first, last);
}

/* With manual protection: new dirty pages join the hot set while it has
 * room; the rest are write-protected again.  Visits the words
 * reset_collect() marked, which hold every page KVM logged. */
static int
sort_hot(struct tkvm_vm *vm)
{
	const struct tkvm_program *p = vm->program;
	unsigned max = HOT_MAX;
	size_t first = SIZE_MAX, last = 0;

	if (p->max_request_pages / 4 < max)
		max = (unsigned)(p->max_request_pages / 4);
	for (size_t i = 0; next_marked(vm, &i); i++) {
		uint64_t fresh = vm->dirty_kvm[i] & ~vm->dirty_hot[i];
		unsigned n;
		if (fresh == 0) {
			vm->dirty_kvm[i] = 0;
			continue;
		}
		n = (unsigned)__builtin_popcountll(fresh);
		if (vm->hot_pages + n <= max) {
			vm->dirty_hot[i] |= fresh;
			vm->hot_pages += n;
			fresh = 0;
		}
		vm->dirty_kvm[i] = fresh;	/* now: pages to protect again */
		if (fresh != 0) {
			if (first == SIZE_MAX)
				first = i;
			last = i;
		}
	}
	return first == SIZE_MAX ? 0 :
	    protect_again(vm, vm->dirty_kvm, first, last);
}

/* Moves KVM's dirty log into dirty_host, which then holds every page
 * that may differ from the main VM (hot pages included, written or not);
 * *pages is how many there are: the pages the reset copies back. */
int
reset_collect(struct tkvm_vm *vm, uint64_t *pages)
{
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = vm->dirty_kvm };
	uint64_t n = 0;

	*pages = 0;
	vm->uncollected = false;
	if (reset_ioctl(vm, KVM_GET_DIRTY_LOG, &log) != 0)
		return reset_failed(vm, "KVM_GET_DIRTY_LOG");
	for (size_t i = 0; i < vm->dirty_words; i += 8) {
		if (i + 8 <= vm->dirty_words && block_empty(&vm->dirty_kvm[i]))
			continue;
		for (size_t j = i; j < i + 8 && j < vm->dirty_words; j++)
			if (vm->dirty_kvm[j] != 0) {
				vm->dirty_host[j] |= vm->dirty_kvm[j];
				vm->dirty_sum[j / 64] |= 1ULL << (j % 64);
			}
	}
	for (size_t i = 0; next_marked(vm, &i); i++)
		n += (uint64_t)__builtin_popcountll(vm->dirty_host[i]);
	*pages = n;
	return vm->manual_protect ? sort_hot(vm) : 0;
}

/* Private pages: those copied since the last trim and those written
 * since the last reset. */
uint64_t
reset_private_pages(const struct tkvm_vm *vm)
{
	uint64_t n = vm->ever_pages;

	for (size_t i = 0; next_marked(vm, &i); i++)
		n += (uint64_t)__builtin_popcountll(vm->dirty_host[i] &
		    ~vm->dirty_ever[i]);
	return n;
}

void
reset_vcpu_info(struct tkvm_vm *vm)
{
	const uint32_t info[2] = { 0, vm->index };

	memcpy(vm->mem + VCPU_INFO_ADDR, info, sizeof info);
}

static void
restore_pages(struct tkvm_vm *vm)
{
	const uint8_t *master = vm->master->mem;
	const uint64_t pages = vm->mem_size / PAGE_SIZE_4K;
	const uint64_t info_pg = VCPU_INFO_ADDR / PAGE_SIZE_4K;
	/* Hardware KVM logs the info page dirty though the guest only reads
	 * it: once it is copied back from the main VM, it is this VM's again. */
	const bool info = vm->dirty_host[info_pg / 64] & (1ULL << (info_pg % 64));

	for (size_t w = 0; next_marked(vm, &w); w++) {
		uint64_t bits = vm->dirty_host[w];
		if (bits == 0)
			continue;
		vm->ever_pages += (uint64_t)__builtin_popcountll(bits &
		    ~vm->dirty_ever[w]);
		vm->dirty_ever[w] |= bits;
		vm->dirty_host[w] = 0;
		while (bits != 0) {
			unsigned first = (unsigned)__builtin_ctzll(bits);
			uint64_t clear = ~(bits >> first);
			unsigned run = clear ? (unsigned)__builtin_ctzll(clear) :
			    64 - first;
			uint64_t page = w * 64 + first;
			if (first + run >= 64)
				bits = 0;
			else
				bits &= ~(((1ULL << run) - 1) << first);
			if (page + run > pages)
				run = (unsigned)(pages - page);
			memcpy(vm->mem + page * PAGE_SIZE_4K,
			    master + page * PAGE_SIZE_4K, run * PAGE_SIZE_4K);
		}
	}
	memset(vm->dirty_sum, 0, (vm->dirty_words + 63) / 64 * 8);
	if (info)
		reset_vcpu_info(vm);
}

/* Gives back the private copies when more are kept than allowed. */
static int
trim_working_memory(struct tkvm_vm *vm)
{
	const struct tkvm_program *p = vm->program;

	if (p->keep_pages == 0 || vm->ever_pages <= p->keep_pages)
		return 0;
	if (madvise(vm->mem, vm->mem_size, MADV_DONTNEED) != 0)
		return reset_failed(vm, "madvise(MADV_DONTNEED)");
	memset(vm->dirty_ever, 0, vm->dirty_words * 8);
	vm->ever_pages = 0;
	reset_vcpu_info(vm);
	if (vm->hot_pages != 0) {
		vm->hot_pages = 0;
		if (protect_all(vm, vm->dirty_hot) != 0)
			return -1;
		memset(vm->dirty_hot, 0, vm->dirty_words * 8);
	}
	return 0;
}

/* Reopens the main VM's files, each with its own file offset. */
static int
copy_fds(struct tkvm_vm *vm)
{
	const struct tkvm_vm *main = vm->master;

	fds_close_all(vm);
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++) {
		struct guest_fd f = main->fds[i];
		if (f.used && f.host_fd >= 0) {
			char path[64];
			off_t off = lseek(f.host_fd, 0, SEEK_CUR);
			snprintf(path, sizeof path, "/proc/self/fd/%d", f.host_fd);
			f.host_fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
			    (f.is_dir ? O_DIRECTORY : 0));
			if (f.host_fd < 0)
				return -errno;
			f.writable = false;	/* reopened read-only */
			if (off > 0)
				lseek(f.host_fd, off, SEEK_SET);
		}
		vm->fds[i] = f;
	}
	vm->fds_changed = false;
	return fds_obj_copy(vm, main);	/* pipes, eventfds, epolls ... */
}

int
reset_os_state(struct tkvm_vm *vm)
{
	const struct tkvm_vm *main = vm->master;
	struct mapping *maps = vm->mm.maps;

	vm->mm = main->mm;
	vm->mm.maps = maps;
	memcpy(maps, main->mm.maps, main->mm.nmaps * sizeof *maps);
	signals_reset(vm, main);
	memcpy(vm->cwd, main->cwd, sizeof vm->cwd);
	vm->exited = false;
	regex_reset(vm);
	vm->fs_base = main->fs_base;	/* set at the next entry */
	if (threads_reset(vm) != 0)
		return -ENOMEM;
	if (vm->fds_changed)
		return copy_fds(vm);
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++)
		if (main->fds[i].host_fd >= 0 || main->fds[i].obj >= 0)
			return copy_fds(vm);	/* to rewind shared offsets */
	return 0;
}

int
reset_restore(struct tkvm_vm *vm)
{
	uint64_t pages;

	/* A run after the last collection (on_error, a paused program's
	 * way back to its wait) wrote pages only KVM's log knows. */
	if (vm->uncollected && reset_collect(vm, &pages) != 0)
		return -1;
	restore_pages(vm);
	/* The page tables are the main VM's again: a request that changed
	 * protections leaves no translation behind (memory/vma.c). */
	if (vma_reset(vm) != 0)
		return reset_failed(vm, "KVM_SET_USER_MEMORY_REGION");
	mm_trim_master(vm);
	if (trim_working_memory(vm) != 0)
		return -1;
	vm->stats.resets++;
	vm->ephemeral = !vm->program->cfg.persistent;
	if (reset_os_state(vm) != 0)
		return reset_failed(vm, "reopening the program's files");
	return 0;
}
