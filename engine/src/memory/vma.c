/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's mappings and their protections.
 *
 * Bookkeeping: the mmap area's mappings, sorted, each with the
 * protection and flags it was given (struct mapping); vma_list() joins
 * them with the image, the brk heap and the main stack, for
 * /proc/self/maps-like listings.
 *
 * Enforcement: the page tables (built once at load with 2 MiB pages,
 * cpu/tables.c).  A protection other than read-write is written into
 * them: a 2 MiB region that is wholly one protection keeps one large
 * entry (absent for PROT_NONE), one with mixed protections gets a 4 KiB
 * table from a pool in the system area ([PT_POOL_ADDR, 2 MiB)).
 * Writable pages stay executable (the default of the whole address
 * space); read-only pages without PROT_EXEC are no-execute.
 *
 * A shadow MMU (PVM) does not see the host's writes to page tables, and
 * hardware KVM's TLB may still hold the old entries.  Moving (or
 * deleting) a KVM memslot makes KVM drop every translation of the VM on
 * both, so vma_flush() moves a one-page slot outside guest memory: one
 * ioctl, only after a system call that changed an entry the guest may
 * have cached (entry_written()), never on a path without mprotect-like
 * calls.  A request VM's table pages are
 * marked as host writes, so its reset copies the main VM's back; the
 * reset then flushes once (vma_reset()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"
#include "cpu/x86.h"

#define PTE_A		0x20ULL		/* accessed */
#define PTE_NX		(1ULL << 63)
#define PTE_PROT	(PTE_P | PTE_W | PTE_U | PTE_NX)
#define RW_BITS		(PTE_P | PTE_W | PTE_U)
#define FLUSH_SLOT	7	/* the memslot vma_flush() moves */

static uint64_t
prot_bits(int prot)
{
	if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0)
		return 0;
	if (prot & PROT_WRITE)
		return RW_BITS;
	return PTE_P | PTE_U | ((prot & PROT_EXEC) ? 0 : PTE_NX);
}

static int
bits_prot(uint64_t e)
{
	if ((e & PTE_P) == 0)
		return PROT_NONE;
	if (e & PTE_W)
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	return PROT_READ | ((e & PTE_NX) ? 0 : PROT_EXEC);
}

static uint64_t *
table(const struct tkvm_vm *vm, uint64_t addr)
{
	return (uint64_t *)(void *)(vm->mem + addr);
}

static uint64_t *
pde_of(const struct tkvm_vm *vm, uint64_t addr)
{
	return table(vm, PD_ADDR + (addr >> 30) * PAGE_SIZE_4K) +
	    ((addr >> 21) & 511);
}

/*
 * A table entry changed: the reset must copy its page back, and the
 * guest must not run on old translations.  Only an entry that was used
 * can be in a TLB or a shadow table: the CPU (and KVM's shadow MMU, which
 * emulates it and prefetches only accessed entries) sets the accessed
 * bit before it caches a translation, and entries the host writes have
 * it clear.  So an absent entry, or one the guest never used since the
 * host wrote it, changes without a flush.
 */
static void
entry_written(struct tkvm_vm *vm, uint64_t *e, uint64_t v)
{
	if (*e == v)
		return;
	if ((*e & PTE_P) && (*e & PTE_A))
		vm->tlb_stale = true;
	*e = v;
	if (vm->dirty_host != NULL)
		host_dirty(vm, (uint64_t)((uint8_t *)e - vm->mem), 8);
	if (vm->master != NULL)
		vm->pt_changed = true;
}

static bool
is_split(uint64_t pde)
{
	return (pde & PTE_P) && !(pde & PTE_PS);
}

static void
pool_free(struct tkvm_vm *vm, uint64_t pde)
{
	uint64_t i = ((pde & ~0xfffULL & ~PTE_NX) - PT_POOL_ADDR) / PAGE_SIZE_4K;

	vm->mm.pt_used[i / 64] &= ~(1ULL << (i % 64));
}

static uint64_t
pool_alloc(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < PT_POOL_PAGES; i++)
		if (!(vm->mm.pt_used[i / 64] & (1ULL << (i % 64)))) {
			vm->mm.pt_used[i / 64] |= 1ULL << (i % 64);
			return PT_POOL_ADDR + i * PAGE_SIZE_4K;
		}
	return 0;
}

/* Gives the 2 MiB region at r a 4 KiB table holding what its large
 * entry said; 0, or -ENOMEM when the pool is used up. */
static int
split(struct tkvm_vm *vm, uint64_t r)
{
	uint64_t *pde = pde_of(vm, r), old = *pde, pt = pool_alloc(vm);
	uint64_t *e;

	if (pt == 0)
		return -ENOMEM;
	e = table(vm, pt);
	for (unsigned i = 0; i < 512; i++)
		e[i] = (old & PTE_P) ? (r + i * PAGE_SIZE_4K) | (old & PTE_PROT) : 0;
	if (vm->dirty_host != NULL)
		host_dirty(vm, pt, PAGE_SIZE_4K);
	entry_written(vm, pde, pt | RW_BITS);
	return 0;
}

/* A split region whose pages all have the same protection again goes
 * back to one large entry. */
static void
join(struct tkvm_vm *vm, uint64_t r)
{
	uint64_t *pde = pde_of(vm, r), old = *pde;
	const uint64_t *e = table(vm, old & ~0xfffULL & ~PTE_NX);
	const uint64_t bits = e[0] & PTE_PROT;

	for (unsigned i = 1; i < 512; i++)
		if ((e[i] & PTE_PROT) != bits)
			return;
	pool_free(vm, old);
	entry_written(vm, pde, bits ? r | bits | PTE_PS : 0);
}

/*
 * Gives [start, end) (page aligned, inside the user part of the address
 * space, not the stack guard) protection prot in the page tables.
 */
int
vma_set_prot(struct tkvm_vm *vm, uint64_t start, uint64_t end, int prot)
{
	const uint64_t bits = prot_bits(prot);

	TKVM_AN(start >= USER_BASE && start <= end && end <= vm->mem_size);
	for (uint64_t r = start & ~(PAGE_SIZE_2M - 1); r < end; r += PAGE_SIZE_2M) {
		uint64_t s = r > start ? r : start;
		uint64_t e = r + PAGE_SIZE_2M < end ? r + PAGE_SIZE_2M : end;
		uint64_t *pde = pde_of(vm, r), *pt;

		if (s == r && e == r + PAGE_SIZE_2M) {
			if (is_split(*pde))
				pool_free(vm, *pde);
			entry_written(vm, pde, bits ? r | bits | PTE_PS : 0);
			continue;
		}
		if (!is_split(*pde)) {
			if ((*pde & PTE_PROT) == bits)
				continue;	/* already so */
			if (split(vm, r) != 0)
				return -ENOMEM;
		}
		pt = table(vm, *pde & ~0xfffULL & ~PTE_NX);
		for (uint64_t a = s; a < e; a += PAGE_SIZE_4K)
			entry_written(vm, &pt[(a >> 12) & 511], bits ? a | bits : 0);
		join(vm, r);
	}
	return 0;
}

/*
 * The free part of the address space (no mapping, above the brk heap) is
 * read-write near its two ends, as it always was: within the memory
 * limit (at least 64 MiB) above where brk starts and below the stack
 * guard.  Beyond, it is absent: a wild access faults, and a large
 * address space costs nothing where nothing is mapped.  The bounds are
 * fixed at load, so a free page's protection never depends on history.
 */
static uint64_t
near_reach(const struct tkvm_vm *vm)
{
	return vm->mem_limit > (64ULL << 20) ? vm->mem_limit : 64ULL << 20;
}

bool
vma_far(const struct tkvm_vm *vm, uint64_t addr)
{
	const struct guest_mm *mm = &vm->mm;
	const uint64_t reach = near_reach(vm);
	uint64_t low_end, high_start;

	if (mm->mmap_top == 0 || mm->mmap_top - mm->brk_start <= 2 * reach)
		return false;
	low_end = (mm->brk_start + reach + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
	high_start = (mm->mmap_top - reach) & ~(PAGE_SIZE_2M - 1);
	return addr >= low_end && addr < high_start;
}

/* Gives freed pages of [start, end) what the free part has there. */
int
vma_release(struct tkvm_vm *vm, uint64_t start, uint64_t end)
{
	while (start < end) {
		const bool far = vma_far(vm, start);
		uint64_t e = (start & ~(PAGE_SIZE_2M - 1)) + PAGE_SIZE_2M;
		while (e < end && vma_far(vm, e) == far)
			e += PAGE_SIZE_2M;
		if (e > end)
			e = end;
		if (vma_set_prot(vm, start, e, far ? PROT_NONE :
		    PROT_READ | PROT_WRITE) != 0)
			return -ENOMEM;
		start = e;
	}
	return 0;
}

/* The protection the page tables give the page at addr. */
static int
page_prot(const struct tkvm_vm *vm, uint64_t addr)
{
	uint64_t pde = *pde_of(vm, addr);

	if (!is_split(pde))
		return bits_prot(pde);
	return bits_prot(table(vm, pde & ~0xfffULL & ~PTE_NX)[(addr >> 12) & 511]);
}

/*
 * Moving a memslot makes KVM drop every translation of the VM, as
 * deleting one does, in one ioctl: a one-page slot outside guest memory
 * (created at the first flush) moves between two places.
 */
int
vma_flush(struct tkvm_vm *vm)
{
	const uint64_t base = (vm->mem_size + vm->shm_size + PAGE_SIZE_2M) &
	    ~(PAGE_SIZE_2M - 1);
	struct kvm_userspace_memory_region r = {
		.slot = FLUSH_SLOT,
		.memory_size = PAGE_SIZE_4K,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};

	if (!vm->tlb_stale || vm->vm_fd < 0)
		return 0;
	vm->tlb_stale = false;
	if (vm->flush_slot == 0) {
		/* A new slot flushes nothing: create it, then move it. */
		r.guest_phys_addr = base;
		vm->counters.kvm_ioctls++;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) != 0)
			return -1;
		vm->flush_slot = base;
	}
	r.guest_phys_addr = vm->flush_slot == base ? base + PAGE_SIZE_2M : base;
	vm->counters.kvm_ioctls++;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) != 0)
		return -1;
	vm->flush_slot = r.guest_phys_addr;
	return 0;
}

/* After a system call that changed protections: a failed flush would
 * leave the guest running on old ones, so the run stops. */
void
vma_commit(struct tkvm_vm *vm)
{
	if (vma_flush(vm) != 0)
		vm_fail(vm, TKVM_STOP_ERROR, "cannot flush the guest's page "
		    "translations: %s", strerror(errno));
}

int
vma_reset(struct tkvm_vm *vm)
{
	if (!vm->pt_changed)
		return 0;
	vm->pt_changed = false;
	vm->tlb_stale = true;
	return vma_flush(vm);
}

/* ---- the mmap area's list ---- */

static void
remove_at(struct guest_mm *mm, unsigned i)
{
	memmove(&mm->maps[i], &mm->maps[i + 1],
	    (mm->nmaps - i - 1) * sizeof mm->maps[0]);
	mm->nmaps--;
}

static bool
same_kind(const struct mapping *m, int prot, int flags)
{
	return m->prot == prot && m->flags == flags;
}

int
vma_insert(struct guest_mm *mm, uint64_t start, uint64_t end, int prot,
    int flags)
{
	unsigned i = 0;

	while (i < mm->nmaps && mm->maps[i].start < start)
		i++;
	/* Merge with neighbours that touch and are alike. */
	if (i > 0 && mm->maps[i - 1].end == start &&
	    same_kind(&mm->maps[i - 1], prot, flags)) {
		mm->maps[i - 1].end = end;
		if (i < mm->nmaps && mm->maps[i].start == end &&
		    same_kind(&mm->maps[i], prot, flags)) {
			mm->maps[i - 1].end = mm->maps[i].end;
			remove_at(mm, i);
		}
		return 0;
	}
	if (i < mm->nmaps && mm->maps[i].start == end &&
	    same_kind(&mm->maps[i], prot, flags)) {
		mm->maps[i].start = start;
		return 0;
	}
	if (mm->nmaps == TKVM_MAX_MAPPINGS)
		return -ENOMEM;
	memmove(&mm->maps[i + 1], &mm->maps[i],
	    (mm->nmaps - i) * sizeof mm->maps[0]);
	mm->maps[i] = (struct mapping){ start, end, prot, flags };
	mm->nmaps++;
	return 0;
}

/* Removes [start, end) from the list, splitting as needed. */
int
vma_remove(struct guest_mm *mm, uint64_t start, uint64_t end)
{
	unsigned i = 0;

	while (i < mm->nmaps) {
		struct mapping *m = &mm->maps[i];
		if (m->end <= start || m->start >= end) {
			i++;
		} else if (m->start >= start && m->end <= end) {
			remove_at(mm, i);
		} else if (m->start < start && m->end > end) {
			struct mapping tail = *m;
			m->end = start;
			return vma_insert(mm, end, tail.end, tail.prot, tail.flags);
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

/* Whether any mapping of the list overlaps [start, end). */
bool
vma_overlaps(const struct guest_mm *mm, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < mm->nmaps; i++)
		if (mm->maps[i].start < end && mm->maps[i].end > start)
			return true;
	return false;
}

/* Whether every page of [start, end) is mapped: the image and brk heap,
 * a mapping of the list, or the main stack. */
bool
vma_covered(const struct tkvm_vm *vm, uint64_t start, uint64_t end)
{
	const struct guest_mm *mm = &vm->mm;
	const uint64_t lo = vm->user_floor ? vm->user_floor : USER_BASE;
	const uint64_t heap_end = (mm->brk_cur + PAGE_SIZE_4K - 1) &
	    ~(PAGE_SIZE_4K - 1);
	const uint64_t stack = vm_stack_guard(vm) + PAGE_SIZE_2M;
	uint64_t a = start;

	if (start < lo || end > vm->mem_size || start >= end)
		return false;
	while (a < end) {
		if (a < heap_end) {
			a = heap_end;
		} else if (a >= stack) {
			a = vm->mem_size;
		} else {
			unsigned i;
			for (i = 0; i < mm->nmaps; i++)
				if (a >= mm->maps[i].start && a < mm->maps[i].end)
					break;
			if (i == mm->nmaps)
				return false;
			a = mm->maps[i].end;
		}
	}
	return true;
}

/* Sets the protection of the list's mappings inside [start, end). */
int
vma_protect_list(struct guest_mm *mm, uint64_t start, uint64_t end, int prot)
{
	for (unsigned i = 0; i < mm->nmaps; i++) {
		struct mapping m = mm->maps[i];
		uint64_t s = m.start > start ? m.start : start;
		uint64_t e = m.end < end ? m.end : end;
		if (s >= e || m.prot == prot)
			continue;
		if (vma_remove(mm, s, e) != 0 ||
		    vma_insert(mm, s, e, prot, m.flags) != 0)
			return -ENOMEM;
		i = 0;	/* the list moved: start over (it is short) */
	}
	return 0;
}

/* Appends [start, end) of kind to out, split where the page tables'
 * protections change. */
static unsigned
add_region(const struct tkvm_vm *vm, struct vma_info *out, unsigned n,
    unsigned max, uint64_t start, uint64_t end, enum vma_kind kind)
{
	uint64_t a = start;

	while (a < end && n < max) {
		int prot = page_prot(vm, a);
		uint64_t b = a + PAGE_SIZE_4K;
		while (b < end && page_prot(vm, b) == prot)
			b += is_split(*pde_of(vm, b)) || (b & (PAGE_SIZE_2M - 1)) ?
			    PAGE_SIZE_4K : PAGE_SIZE_2M;
		if (b > end)
			b = end;
		out[n++] = (struct vma_info){ a, b, prot, kind };
		a = b;
	}
	return n;
}

unsigned
vma_list(const struct tkvm_vm *vm, struct vma_info *out, unsigned max)
{
	const struct guest_mm *mm = &vm->mm;
	const uint64_t lo = vm->user_floor ? vm->user_floor : USER_BASE;
	const uint64_t heap_end = (mm->brk_cur + PAGE_SIZE_4K - 1) &
	    ~(PAGE_SIZE_4K - 1);
	unsigned n = 0;

	n = add_region(vm, out, n, max, lo, mm->brk_start, VMA_IMAGE);
	n = add_region(vm, out, n, max, mm->brk_start, heap_end, VMA_HEAP);
	for (unsigned i = 0; i < mm->nmaps && n < max; i++)
		out[n++] = (struct vma_info){ mm->maps[i].start, mm->maps[i].end,
		    mm->maps[i].prot, VMA_MMAP };
	return add_region(vm, out, n, max, vm_stack_guard(vm) + PAGE_SIZE_2M,
	    vm->mem_size, VMA_STACK);
}

/* /proc/self/maps lines for vma_list()'s regions; returns the length
 * written (at most len - 1, NUL-terminated), cut at a whole line. */
size_t
vma_format_maps(const struct tkvm_vm *vm, char *buf, size_t len)
{
	static const char *const names[] = { "", "[heap]", "", "[stack]" };
	struct vma_info v[64];
	unsigned n = vma_list(vm, v, 64);
	size_t used = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *name = v[i].kind == VMA_IMAGE && vm->program_name ?
		    vm->program_name : names[v[i].kind];
		char line[128];
		int w = snprintf(line, sizeof line, "%08llx-%08llx %c%c%cp "
		    "00000000 00:00 0 %s\n", (unsigned long long)v[i].start,
		    (unsigned long long)v[i].end,
		    (v[i].prot & PROT_READ) ? 'r' : '-',
		    (v[i].prot & PROT_WRITE) ? 'w' : '-',
		    (v[i].prot & PROT_EXEC) ? 'x' : '-', name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		memcpy(buf + used, line, (size_t)w + 1);
		used += (size_t)w;
	}
	return used;
}
