/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the engine: the VM object and the functions the engine's
 * files share.  Guest virtual addresses equal guest physical addresses
 * (identity mapping built once at load), so one checked accessor,
 * gmem_at(), turns any guest address range into a host pointer.
 */
#ifndef TKVM_VM_H
#define TKVM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <time.h>

#include "tinykvm/engine.h"
#include "layout.h"
#include "check.h"

#define TKVM_MAX_FDS		64
#define TKVM_MAX_MAPPINGS	4096
#define TKVM_MAX_ALLOWED	64

/* One guest file descriptor: a console stream, a read-only host fd or
 * an emulated object (pipe, eventfd, epoll, timerfd: linux/fds.c). */
struct guest_fd {
	bool used;
	int console;		/* 0 stdin, 1 stdout, 2 stderr; -1 a file */
	int host_fd;		/* -1 unless a file */
	bool is_dir;
	bool writable;		/* the "state" file opened for writing */
	int obj;		/* index in tkvm_vm.fobj, or -1 */
	bool pipe_writer;	/* the write end of the pipe obj */
	bool nonblock;		/* O_NONBLOCK */
};
struct fd_obj;

/* A mapped range of the guest's mmap area: [start, end), with the
 * PROT_* and MAP_* flags it was given (memory/vma.c). */
struct mapping {
	uint64_t start, end;
	int prot, flags;
};

/* The guest's heap: brk grows up, mmap grows down below the stack guard. */
struct guest_mm {
	uint64_t brk_start, brk_cur;
	uint64_t mmap_floor;	/* lowest address mmap may hand out */
	uint64_t mmap_top;	/* exclusive */
	struct mapping *maps;	/* sorted by start */
	unsigned nmaps;
	/* Page-table pages of the pool in use (memory/vma.c). */
	uint64_t pt_used[(PT_POOL_PAGES + 63) / 64];
};

struct allowed_path {
	char *path;		/* normalized, absolute */
	char *real;		/* realpath() of it on the host */
	bool prefix;		/* a directory: everything below is allowed */
};

/* Why the run loop stopped. */
enum vm_halt {
	HALT_NONE = 0,
	HALT_EXIT,		/* exit/exit_group */
	HALT_FAULT,		/* exception, timeout or vm_fail(): see result */
	HALT_WAITING,		/* wait_for_requests(_paused): init is over */
	HALT_RESPONDED,		/* sys_backend_response */
	HALT_RETURNED,		/* a request callback returned */
	HALT_DEBUG,		/* under gdb: sys_breakpoint, a step's end */
};

struct debug_session;

struct request_ctx;

/* A regex handle of the guest (guest/regex.c).  A request VM borrows its
 * main VM's handles and owns those it compiles itself. */
struct regex_slot {
	void *re;		/* the embedder's; NULL: a free slot */
	char *pattern;		/* NUL-terminated, for reuse */
	bool owned;
};

struct tkvm_vm {
	unsigned magic;
#define TKVM_VM_MAGIC	0x6b766d31
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;

	uint8_t *mem;		/* host mapping of guest physical memory */
	uint64_t mem_size;	/* the guest address space */
	uint64_t user_floor;	/* user pages start here (elf_user_floor),
				 * or at USER_BASE when 0 */
	uint64_t mem_limit;	/* memory_mib in bytes: at most mem_size */
	uint64_t *data_map;	/* frozen VM: pages its memfd holds data in */
	int memfd;		/* backs the main VM's memory; -1 in a fork */
	uint64_t shm_size;	/* shared memory, right above mem_size */
	int shm_fd;		/* backs it, in the main VM; -1 elsewhere */
	int exe_fd;		/* a dynamic program's image, for
				 * /proc/self/exe (interp.c); -1 */

	/* Serving requests (program.c, request.c, reset.c, api.c). */
	struct tkvm_program *program;	/* NULL for a plain run */
	struct tkvm_vm *master;		/* the main VM, in a request VM */
	struct kvm_cpuid2 *cpuid;	/* KVM's supported CPUID, fetched once
					 * per main VM; its forks use it */
	unsigned index;			/* request VM number */
	uint64_t *dirty_kvm;		/* request VM: KVM's dirty log */
	uint64_t *dirty_host;		/* request VM: pages the host wrote */
	uint64_t *dirty_ever;		/* request VM: private pages so far */
	uint64_t *dirty_hot;		/* request VM: never write-protected */
	uint64_t *dirty_sum;		/* request VM: a bit per dirty_host word
					 * that may be non-zero (reset.c) */
	size_t dirty_words;
	uint64_t ever_pages;		/* request VM: bits set in dirty_ever */
	unsigned hot_pages;
	bool manual_protect;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on */
	uint64_t pages_dirtied;		/* by the last request */
	bool needs_reset;
	bool tlb_stale;		/* page tables changed since the last flush */
	bool pt_changed;	/* request VM: since the last reset */
	uint64_t flush_slot;	/* where vma_flush()'s memslot is, 0: none */
	bool uncollected;	/* ran since the last reset_collect() */
	char broken[160];	/* why this request VM must be replaced, or "" */
	uint64_t reset_ioctls;	/* for cfg.test_fail_reset_ioctl */
	uint64_t prng_state;
	bool resumable;			/* persistent, paused: resume, not reset */
	struct kvm_regs paused_regs;	/* where it waits for the next request */
	uint64_t req_area, req_area_len;	/* request data in the guest */
	bool ephemeral;
	struct request_ctx *req;	/* the request being served */
	struct {			/* begin_streaming_response (stream.c) */
		bool on, failed;
		uint64_t fn, arg, rsp;	/* callback, its argument, its stack */
		uint64_t total, written; /* total 0: length unknown */
	} stream;
	bool is_storage;		/* a storage VM (guest/storage.c) */
	struct storage_call *scall;	/* storage VM: the call it runs */
	uint8_t *stable;		/* gmem_stable() copies, this request */
	size_t stable_used;
	enum vm_halt halt;
	struct tkvm_reqvm_stats stats;
	struct regex_slot regex[TKVM_MAX_REGEX];
	unsigned nregex;		/* slots handed out so far */

	struct tkvm_config cfg;
	struct allowed_path allowed[TKVM_MAX_ALLOWED];
	unsigned nallowed;
	char *program_name;
	char *state_file;	/* cfg.state_file, owned; NULL = none */

	struct guest_mm mm;
	struct guest_fd fds[TKVM_MAX_FDS];
	bool fds_changed;
	struct thread_table *threads;	/* linux/threads.c; NULL: never used */	/* table or a file offset changed */
	uint64_t entry;
	uint64_t initial_rsp;
	uint64_t fs_base;
	struct kvm_sregs clean_sregs;	/* segments and system registers at entry */
	/* A new vCPU's registers as KVM reset them: a request VM's vCPU
	 * starts the same, so it takes its main VM's copy (cpu/vcpu.c). */
	struct kvm_sregs fresh_sregs;

	/* Found by the probe before any guest code runs (cpu/probe.c). */
	int syscall_ring;	/* CPL the syscall stub runs at: 0 or 3 */
	uint64_t xcr0;		/* XSAVE components the guest runs with */
	uint32_t xsave_size;	/* their standard-form save area, bytes */
	/* The RFLAGS every user entry gets: IOPL 3 where SYSCALL enters
	 * ring 0 (hardware KVM), else IOPL 0 (PVM drops IOPL); see
	 * docs/DESIGN.md "I/O permission". */
	uint64_t user_rflags;
	char cwd[256];			/* guest path of the working directory */
	uint64_t sigactions[65][4];	/* struct k_sigaction per signal */
	uint64_t sigmask;
	uint64_t altstack[3];		/* stack_t */
	uint64_t sigpending;		/* bit sig-1: raised, not delivered */
	uint64_t sigpending_user;	/* ... by kill(): si_code SI_USER */
	uint64_t sigsaved;		/* ppoll/pselect6: the mask to restore */
	bool sigsaved_on;		/* ... after the handler's frame holds it */
	struct fd_obj *fobj[TKVM_MAX_FDS];	/* emulated fd objects */
	const struct timespec *deadline; /* of the current run, or NULL */
	/* A wait that gave the vCPU to other threads (THREADS_RESTART) is
	 * made again later, and keeps the absolute deadline it had: set
	 * by the wait when it restarts, taken back at the call's next entry
	 * (threads.c, threads_call_entry()).  0: none. */
	uint64_t wait_restart_until, wait_resume;
	uint64_t wait_restart_wake;	/* ... and when it may end by itself */
	/* The limit a time-out message names when a run was given what is
	 * left of a longer one (a request's, for a storage call or a stream
	 * chunk); 0: the run's own.  Set by the caller around vm_run(). */
	double limit_named;

	bool exited;
	int exit_status;
	enum tkvm_stop fault_stop;
	char fault[160];	/* set by vm_fail(): the run stops */
	int last_exception;	/* vector that ended the last run, or -1 */
	struct debug_session *dbg;	/* under gdb (debug/), or NULL */
	bool debug_stepping;	/* gdb single-steps: stop after a syscall */
	struct tkvm_counters counters;
};

/* The main stack sits at the top of memory, a 2 MiB unmapped guard below. */
static inline uint64_t
vm_stack_size(const struct tkvm_vm *vm)
{
	return vm->mem_size >= (64ULL << 20) ? GUEST_STACK_SIZE_MAX : PAGE_SIZE_2M;
}

static inline uint64_t
vm_stack_guard(const struct tkvm_vm *vm)
{
	return vm->mem_size - vm_stack_size(vm) - PAGE_SIZE_2M;
}

/* gmem.c: the one checked accessor.  NULL unless [addr, addr+len) lies
 * entirely in guest user memory; never overflows. */
void *gmem_at(const struct tkvm_vm *vm, uint64_t addr, uint64_t len);
/* Copies a NUL-terminated guest string of at most max-1 bytes into buf;
 * returns its length, or -1 if unreadable or too long. */
long gmem_string(const struct tkvm_vm *vm, uint64_t addr, char *buf,
    size_t max);
void *gmem_wr(struct tkvm_vm *vm, uint64_t addr, uint64_t len);
/* Copies [addr, addr+len) of guest memory to dst; -1 if not readable.
 * A guest structure is copied before any of its fields is checked: a
 * field read twice could change in between (shared memory is written by
 * other VMs while this one is stopped). */
int gmem_copy(const struct tkvm_vm *vm, void *dst, uint64_t addr, uint64_t len);
/* The way back: a structure built by the host is copied out whole (guest
 * pointers need not be aligned); -1 if not writable. */
int gmem_put(struct tkvm_vm *vm, uint64_t addr, const void *src, uint64_t len);
/* Like gmem_at(), for bytes the host checks and then hands on (header
 * fields, content type): a range in shared memory is first copied to a
 * per-VM area that lasts until the next request starts, so what was
 * checked is what is used.  NULL if unreadable or the area (GMEM_STABLE_MAX
 * per request) is full. */
#define GMEM_STABLE_MAX	(256 * 1024)
const void *gmem_stable(struct tkvm_vm *vm, uint64_t addr, uint64_t len);

/* A bitmap with one bit per 4 KiB page of guest memory. */
static inline void
dirty_mark(uint64_t *bitmap, uint64_t addr, uint64_t len)
{
	uint64_t first = addr >> 12, last = (addr + len - 1) >> 12;

	for (uint64_t pg = first; pg <= last; pg++)
		bitmap[pg >> 6] |= 1ULL << (pg & 63);
}

/* A range of guest memory the host wrote, in a request VM: dirty_host
 * for the reset, and dirty_sum, so the reset visits only its words. */
static inline void
host_dirty(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	uint64_t w = addr >> 18, last = (addr + len - 1) >> 18;

	dirty_mark(vm->dirty_host, addr, len);
	for (; w <= last; w++)
		vm->dirty_sum[w >> 6] |= 1ULL << (w & 63);
}

/* cpu/tables.c: page tables, GDT, IDT, TSS, stubs (the main VM's memory). */
int cpu_build_tables(struct tkvm_vm *vm, char *err, size_t errlen);
/* The final tables' syscall stub entry: user-accessible only for ring 3. */
void cpu_map_syscall_stub(struct tkvm_vm *vm, int ring);
/* cpu/vcpu.c: sets up a new vCPU, running the probe on the way. */
int cpu_setup_vcpu(struct tkvm_vm *vm, char *err, size_t errlen);
/* Sets the FS base for the next KVM_RUN (arch_prctl). */
int cpu_set_fs_base(struct tkvm_vm *vm, uint64_t base);
/* Before a request: undoes whatever the last one did to segments and
 * system registers (seen in the registers KVM syncs at each exit). */
void cpu_restore_segments(struct tkvm_vm *vm);
void cpu_describe_exception(struct tkvm_vm *vm, unsigned vector,
    char *out, size_t outlen);
/* After an exit through an exception stub: puts the guest back where the
 * exception hit, from the frame the CPU pushed; -1 if it hit in ring 0. */
int cpu_exception_return(struct tkvm_vm *vm, unsigned vector);
/* An exception that hit at CPL 3: the frame the CPU pushed, the error
 * code and (page faults) CR2.  -1 if it hit in ring 0. */
struct cpu_fault {
	uint64_t rip, rflags, rsp, code, cr2;
};
int cpu_user_fault(struct tkvm_vm *vm, unsigned vector, struct cpu_fault *out);
/* guest/storage_call.c: a page fault of a request VM that executed the
 * separate storage program is a direct storage call.  True when it was
 * one: the caller then goes on after the call, or has failed. */
bool storage_direct_call(struct tkvm_vm *vm);
/* cpu/probe.c: sets syscall_ring, xcr0 and xsave_size from the probe;
 * a request VM must find its main VM's values. */
int cpu_probe(struct tkvm_vm *vm, char *err, size_t errlen);
/* Median microseconds of a probe run: one bare exit round trip. */
double cpu_probe_exit_us(struct tkvm_vm *vm, unsigned rounds, char *err,
    size_t errlen);
/* cpu/xstate.c: XSAVE components and sizes, from the host's CPUID. */
bool xstate_host_has_xsave(void);
uint64_t xstate_choose_xcr0(uint64_t supported);
uint32_t xstate_size(uint64_t xcr0, unsigned *largest_bit);
const char *xstate_component_name(unsigned bit);
void xstate_describe(uint64_t xcr0, char *out, size_t outlen);

/* elf.c */
#define ELF_INTERP_MAX	256	/* PT_INTERP, its NUL included */
struct elf_image {
	uint64_t base;		/* load bias: 0 for ET_EXEC */
	uint64_t entry;
	uint64_t phdr_addr;
	uint64_t phnum;
	uint64_t end;		/* highest loaded address, page aligned */
	uint64_t interp_off;	/* PT_INTERP's path in the file, */
	uint64_t interp_len;	/* without its NUL; 0: none */
	uint64_t interp_base;	/* where interp.c loaded it: AT_BASE */
	uint64_t interp_entry;	/* where the program starts, if loaded */
};
int elf_check_header(const void *img, size_t len, char *err, size_t errlen);
/* Loads the image (main program at PIE_BASE, if PIE). */
int elf_load(struct tkvm_vm *vm, const uint8_t *img, size_t len,
    struct elf_image *out, char *err, size_t errlen);
/* Loads it with load bias base (ET_DYN; ET_EXEC ignores base). */
int elf_place(struct tkvm_vm *vm, const uint8_t *img, size_t len,
    uint64_t base, struct elf_image *out, char *err, size_t errlen);
/* An ET_DYN image with checked headers: the bytes its PT_LOADs span from
 * address 0, and their largest alignment (at most 2 MiB); -1 if odd. */
int elf_span(const uint8_t *img, size_t len, uint64_t *size, uint64_t *align);
/* A program linked at or above 1 GiB (a storage program beside a request
 * program) gets its memory from the gigabyte its lowest segment is in:
 * that gigabyte's start, else 0 (PIE, or below 1 GiB). */
uint64_t elf_user_floor(const void *image, size_t len);

/* interp.c: a program with PT_INTERP gets its interpreter loaded in the
 * mmap area (after mm_init()), from the allowed paths, where the system
 * library locations are allowed read-only implicitly (docs/DESIGN.md,
 * "Dynamically linked programs"); img->interp_base and interp_entry are
 * set.  Nothing for a static program. */
int interp_load(struct tkvm_vm *vm, const uint8_t *prog, size_t len,
    struct elf_image *img, char *err, size_t errlen);
/* Allows the system library locations read-only (a dynamic program). */
int interp_allow_system(struct tkvm_vm *vm, char *err, size_t errlen);

/* stack.c */
int stack_build(struct tkvm_vm *vm, const struct elf_image *img,
    char *err, size_t errlen);

/* mm.c */
int mm_init(struct tkvm_vm *vm, uint64_t image_end, char *err, size_t errlen);
void mm_fini(struct tkvm_vm *vm);
uint64_t mm_brk(struct tkvm_vm *vm, uint64_t addr);
int64_t mm_map(struct tkvm_vm *vm, uint64_t addr, uint64_t len, bool fixed);
/* mmap(): prot and MAP_* flags; a hint (addr without MAP_FIXED) is used
 * when that range is free.  The address or -errno. */
int64_t mm_map_prot(struct tkvm_vm *vm, uint64_t addr, uint64_t len, int prot,
    int flags);
/* The memory limit of a plain run whose address space is larger,
 * checked at every exit: -1 with the reason once the pages it holds
 * exceed it. */
int mm_check_limit(const struct tkvm_vm *vm, char *why, size_t whylen);
/* Pages the VM holds, in bytes (its memfd's, or its main VM's). */
uint64_t mm_resident(const struct tkvm_vm *vm);
int mm_unmap(struct tkvm_vm *vm, uint64_t addr, uint64_t len);
bool mm_is_mapped(const struct tkvm_vm *vm, uint64_t addr, uint64_t len);
/* 0 if the pages the VM's memfd holds fit in mem_limit; otherwise -1
 * with "WHICH uses N KiB of memory after initialization, more than
 * max_memory (M KiB)" in err. */
void mm_map_data(struct tkvm_vm *vm);
void mm_trim_master(const struct tkvm_vm *vm);
int mm_check_resident(const struct tkvm_vm *vm, const char *which,
    char *err, size_t errlen);
void mm_zero(struct tkvm_vm *vm, uint64_t addr, uint64_t len);

/* memory/vma.c: protections in the page tables, the mapping list. */
enum vma_kind { VMA_IMAGE, VMA_HEAP, VMA_MMAP, VMA_STACK };
struct vma_info {
	uint64_t start, end;
	int prot;		/* PROT_*; writable pages are also executable */
	enum vma_kind kind;
};
/* Lists the guest's mappings in address order (the image, the brk heap,
 * the mmap area's mappings, the main stack), a region split where the
 * protection changes; returns how many were written, at most max. */
unsigned vma_list(const struct tkvm_vm *vm, struct vma_info *out,
    unsigned max);
/* The same as /proc/self/maps text (at most 64 lines): the length
 * written, NUL-terminated, cut at a whole line to fit len. */
size_t vma_format_maps(const struct tkvm_vm *vm, char *buf, size_t len);
int vma_set_prot(struct tkvm_vm *vm, uint64_t start, uint64_t end, int prot);
/* Whether addr, when free, is in the absent middle of a large address
 * space; vma_release() gives freed pages that protection. */
bool vma_far(const struct tkvm_vm *vm, uint64_t addr);
int vma_release(struct tkvm_vm *vm, uint64_t start, uint64_t end);
int vma_flush(struct tkvm_vm *vm);
void vma_commit(struct tkvm_vm *vm);
/* Request VM, after its pages were copied back: drops the translations
 * of a request that changed protections; 0 or -1 (errno). */
int vma_reset(struct tkvm_vm *vm);
int vma_insert(struct guest_mm *mm, uint64_t start, uint64_t end, int prot,
    int flags);
int vma_remove(struct guest_mm *mm, uint64_t start, uint64_t end);
bool vma_overlaps(const struct guest_mm *mm, uint64_t start, uint64_t end);
bool vma_covered(const struct tkvm_vm *vm, uint64_t start, uint64_t end);
int vma_protect_list(struct guest_mm *mm, uint64_t start, uint64_t end,
    int prot);

/* paths.c */
int paths_init(struct tkvm_vm *vm, char *err, size_t errlen);
/* Adds one host path (absolute) to the allow-list; quiet: a path missing
 * on the host is skipped.  0 or -1 with err. */
int paths_add(struct tkvm_vm *vm, const char *path, bool quiet, char *err,
    size_t errlen);
/* A request VM's allow-list: a copy of its main VM's (the config's
 * strings are the embedder's and gone after the program loaded). */
int paths_copy(struct tkvm_vm *vm, const struct tkvm_vm *from);
void paths_fini(struct tkvm_vm *vm);
/* Opens a guest path read-only if the allow-list permits it; returns a
 * host fd or -errno. */
int paths_open(struct tkvm_vm *vm, const char *guest_path, int dirfd_guest,
    bool want_dir);
/* The same for stat, access and readlink: the directories on the way to
 * an allowed path ("/", "/srv" for "/srv/app") open too, as Linux lets
 * any process look them up; the fd is for their metadata only. */
int paths_open_meta(struct tkvm_vm *vm, const char *guest_path,
    int dirfd_guest);
/* chdir(): the guest path must be an allowed directory; 0 or -errno. */
int paths_chdir(struct tkvm_vm *vm, const char *guest_path);

/* procfs.c: the /proc and /sys files answered from the VM (called by
 * paths_open() with a normalized absolute path): a host fd, -errno, or
 * PROCFS_NOT_OURS for a path the allow-list decides. */
#define PROCFS_NOT_OURS	1
int procfs_open(struct tkvm_vm *vm, const char *path);
/* A path under /proc/self, /proc/thread-self or /proc/PID. */
bool procfs_is_process(const char *path);

/* syscalls.c: dispatch of Linux system calls through a table; the
 * handlers live in sys_*.c grouped by area.  a[] holds the six arguments. */
void syscall_dispatch(struct tkvm_vm *vm, struct kvm_regs *regs);
const char *syscall_name(uint64_t nr);
typedef int64_t syscall_fn(struct tkvm_vm *vm, const uint64_t a[6]);
#define SYSCALL_HANDLERS(X) \
	X(read) X(write) X(readv) X(writev) X(pread64) X(lseek) X(close) \
	X(open) X(openat) X(stat) X(fstat) X(lstat) X(newfstatat) \
	X(getdents64) X(readlink) X(readlinkat) X(access) X(faccessat) \
	X(faccessat2) X(fcntl) X(dup) X(dup2) X(dup3) X(ioctl) X(getcwd) \
	X(chdir) X(brk) X(mmap) X(munmap) X(mprotect) X(mremap) X(madvise) \
	X(getrusage) X(arch_prctl) X(set_tid_address) X(set_robust_list) X(rseq) \
	X(prlimit64) X(getrlimit) X(getrandom) X(clock_gettime) \
	X(clock_getres) X(gettimeofday) X(time) X(nanosleep) \
	X(clock_nanosleep) X(uname) X(getpid) X(gettid) X(getppid) \
	X(getuid) X(geteuid) X(getgid) X(getegid) X(rt_sigaction) \
	X(rt_sigprocmask) X(sigaltstack) X(sched_getaffinity) \
	X(sched_yield) X(futex) X(sysinfo) X(exit) X(exit_group) X(tgkill) \
	X(kill) X(tkill) X(rt_sigreturn) X(rt_sigpending) X(rt_sigsuspend) X(pause) \
	X(poll) X(ppoll) X(select) X(pselect6) X(epoll_create) \
	X(epoll_create1) X(epoll_ctl) X(epoll_wait) X(epoll_pwait) X(epoll_pwait2) \
	X(eventfd) X(eventfd2) X(pipe) X(pipe2) X(timerfd_create) \
	X(timerfd_settime) X(timerfd_gettime) X(clone) X(clone3)
#define DECLARE_SYSCALL(name) syscall_fn sys_##name;
SYSCALL_HANDLERS(DECLARE_SYSCALL)
#undef DECLARE_SYSCALL

/* Whether rip, at an exit through the syscall port, lies at the syscall
 * stub's `out` (KVM may or may not have stepped past it already). */
static inline bool
vm_at_syscall_stub(uint64_t rip)
{
	return rip == SYSCALL_STUB_ADDR + STUB_SYSCALL ||
	    rip == SYSCALL_STUB_ADDR + STUB_SYSCALL + 2;
}

/* Whether rip, at an exit through port PORT_EXCEPTION + vector, lies at
 * that vector's stub.  With IOPL 3 (hardware KVM) user code could write
 * to any port, so an exception exit counts only from its stub, which
 * user code cannot execute there (supervisor-only page). */
static inline bool
vm_at_exception_stub(uint64_t rip, unsigned vector)
{
	const uint64_t stub = SYSCALL_STUB_ADDR + STUB_EXCEPTION +
	    (uint64_t)vector * STUB_EXCEPTION_SIZE;

	return rip == stub || rip == stub + 2;
}

/* run.c: runs until a handler halts the VM; fills res on faults.  Under
 * gdb, stops are served in between (debug/debug.c); vm_run_plain() is the
 * bare loop. */
enum vm_halt vm_run(struct tkvm_vm *vm, double timeout_s, struct tkvm_result *res);
enum vm_halt vm_run_plain(struct tkvm_vm *vm, double timeout_s,
    struct tkvm_result *res);
int vm_create_machine(struct tkvm_vm *vm, char *err, size_t errlen);
/* A VM with its system area and a probed vCPU but no program. */
struct tkvm_vm *vm_create_bare(char *err, size_t errlen);
int vm_create_vcpu(struct tkvm_vm *vm, char *err, size_t errlen);
int vm_map_memory(struct tkvm_vm *vm, int memfd, int shm_fd, bool cow);
/* The registers to resume the guest after the API call it exited with:
 * KVM completes an `out` only on the next KVM_RUN, so rip is stepped
 * past it, and rax (the call's result) is 0. */
void vm_capture_resume(const struct tkvm_vm *vm, struct kvm_regs *out);

/* api.c: guest API calls (port 0). */
void api_dispatch(struct tkvm_vm *vm, struct kvm_regs *regs);
/* guest/regex.c: frees the handles vm owns and, in a request VM, borrows
 * its main VM's again; regex_fini only frees. */
void regex_reset(struct tkvm_vm *vm);
void regex_fini(struct tkvm_vm *vm);

/* Ends the run from inside a handler: a clean exit or a failure. */
void vm_exit(struct tkvm_vm *vm, int status);
void vm_fail(struct tkvm_vm *vm, enum tkvm_stop why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fds.c */
void fds_init(struct tkvm_vm *vm);
void fds_close_all(struct tkvm_vm *vm);
int fds_install(struct tkvm_vm *vm, int host_fd, bool is_dir);
struct guest_fd *fds_get(struct tkvm_vm *vm, int64_t fd);
/* dup(): the lowest free guest fd >= min, or -errno. */
int fds_dup(struct tkvm_vm *vm, int64_t fd, int64_t min);
int fds_dup_to(struct tkvm_vm *vm, int64_t fd, int64_t newfd);
int fds_close(struct tkvm_vm *vm, int64_t fd);
/* Emulated objects (pipe, eventfd, timerfd; epoll in poll.c): read and
 * write of a guest fd whose obj >= 0, its stat, and a request VM's copy
 * of its main VM's objects (after the fd table was copied). */
int64_t fds_obj_read(struct tkvm_vm *vm, struct guest_fd *f, void *dst,
    uint64_t len);
int64_t fds_obj_write(struct tkvm_vm *vm, struct guest_fd *f,
    const void *src, uint64_t len);
int fds_obj_mode(const struct tkvm_vm *vm, const struct guest_fd *f);
int fds_obj_copy(struct tkvm_vm *vm, const struct tkvm_vm *from);

/* linux/signals.c: delivery to the guest's handlers.  Around a system
 * call (run.c handle_syscall): rt_sigreturn restores a frame, and after
 * any call a pending, unblocked signal is delivered.  True when regs now
 * hold the complete context to resume, rip and rflags included. */
bool signals_syscall_return(struct tkvm_vm *vm, struct kvm_regs *regs,
    bool sigreturn);
/* An exception at CPL 3: true when it went to a handler (regs set). */
bool signals_fault(struct tkvm_vm *vm, unsigned vector);
/* Marks sig pending (kill, SIGPIPE); delivered at the call's return. */
void signals_raise(struct tkvm_vm *vm, int sig, int code);
/* A request VM's signal state: its main VM's, nothing pending. */
void signals_reset(struct tkvm_vm *vm, const struct tkvm_vm *from);

/* Logging from the engine, only in verbose mode. */
void vm_verbose(const struct tkvm_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vm_output(struct tkvm_vm *vm, int fd, const char *data, size_t len);

#endif
