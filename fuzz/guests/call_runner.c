/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest of the call fuzzer (fuzz/calls_fuzz.c).  A POST body is a
 * script of 64-byte records; each record makes one Linux system call
 * (`syscall`) or one guest API call (`out` to port 0) with arguments built
 * from the record: literals, pointers into a scratch buffer, NULL, the
 * system area, the kernel half, addresses that wrap around or straddle
 * the end of guest memory, huge and negative lengths.  Whatever the calls
 * do to this program is its own business; the host must survive them and
 * the next request must find a clean VM, which GET /canary checks.
 *
 * Record: [0] kind (0 syscall, 1 API call, else skipped), [4..7] number
 * selector, [8..13] argument kinds, [16..63] six 64-bit argument values.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <tinykvm/kvm_api.h>

#define SCRATCH_SIZE	65536
#define RECORD_SIZE	64

static uint8_t scratch[SCRATCH_SIZE] __attribute__((aligned(4096)));
static char canary[64] = "canary: untouched";
static uint64_t memory_top, shared_start;
static void *initial_break;

/* System calls worth most of the fuzzer's time: those the host emulates,
 * a few it refuses, and the ones that end the program. */
static const uint16_t syscalls[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_lseek,
	SYS_close, SYS_open, SYS_openat, SYS_stat, SYS_fstat, SYS_lstat,
	SYS_newfstatat, SYS_getdents64, SYS_readlink, SYS_readlinkat,
	SYS_access, SYS_faccessat, SYS_fcntl, SYS_dup, SYS_dup2, SYS_dup3,
	SYS_ioctl, SYS_getcwd, SYS_chdir, SYS_brk, SYS_mmap, SYS_munmap,
	SYS_mprotect, SYS_mremap, SYS_madvise, SYS_arch_prctl,
	SYS_set_tid_address, SYS_set_robust_list, SYS_prlimit64,
	SYS_getrlimit, SYS_getrandom, SYS_clock_gettime, SYS_clock_getres,
	SYS_gettimeofday, SYS_time, SYS_nanosleep, SYS_clock_nanosleep,
	SYS_uname, SYS_getpid, SYS_gettid, SYS_rt_sigaction,
	SYS_rt_sigprocmask, SYS_sigaltstack, SYS_sched_getaffinity,
	SYS_sched_yield, SYS_futex, SYS_sysinfo, SYS_tgkill, SYS_kill,
	SYS_clone, SYS_fork, SYS_execve, SYS_socket, SYS_pipe, SYS_exit,
	SYS_exit_group, 334 /* rseq */, 439 /* faccessat2 */,
	SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_create1,
	SYS_epoll_ctl, SYS_epoll_wait, SYS_epoll_pwait, SYS_eventfd2,
	SYS_pipe2, SYS_timerfd_create, SYS_timerfd_settime,
	SYS_timerfd_gettime, SYS_rt_sigreturn, SYS_rt_sigpending,
	SYS_rt_sigsuspend, SYS_tkill, SYS_clone3, SYS_epoll_create,
	SYS_eventfd, SYS_getppid, SYS_getrusage, SYS_pause, SYS_epoll_pwait2,
};

/* Guest API calls, the published numbers. */
static const uint32_t api_calls[] = {
	0x10000, 0x10001, 0x10002, 0x10005, 0x10010, 0x10011, 0x10012,
	0x10013, 0x10020, 0x10021, 0x10022, 0x10023, 0x10030, 0x10031,
	0x10032, 0x10033, 0x10035, 0x10500, 0x10700, 0x10703, 0x10706,
	0x10707, 0x10708, 0x10709, 0x1070A, 0x10710, 0x10711, 0x10712,
	0x10713, 0x10A00, 0x20000, 0x20001, 0x7F000, 0x7FDEB, 0x7F7F7,
};

static const char *const strings[] = {
	"/", ".", "..", "/etc/passwd", "/proc/self/fd/0", "X-Key: value",
	"X-Key", "Content-Type: text/plain", "^(a+)+$", "http://127.0.0.1:1/",
	"", "a\r\nB: c", "/tmp",
};

static uint64_t
argument(uint8_t kind, uint64_t v)
{
	switch (kind % 12) {
	case 0: return v;
	case 1: return v & 0xff;
	case 2: return (uint64_t)(uintptr_t)scratch + v % SCRATCH_SIZE;
	case 3: return 0;
	case 4: return v % 0x200000;			/* system area */
	case 5: return 0xffff800000000000ULL | v;	/* kernel half */
	case 6: return ~0ULL - (v & 0xffff);		/* wraps */
	case 7: return memory_top - (v & 0xfff);	/* straddles the end */
	case 8: return 1ULL << (v % 64);		/* huge */
	case 9: return (uint64_t)-(int64_t)(v & 0xffff);	/* negative */
	case 10: return (uint64_t)(uintptr_t)strings[v % (sizeof strings /
		     sizeof strings[0])];
	default: return shared_start ? shared_start + v % 4096 : v;
	}
}

static long
do_syscall(uint64_t nr, const uint64_t a[6])
{
	long ret;
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a[0]), "S"(a[1]),
	    "d"(a[2]), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}

static long
do_api_call(uint32_t nr, const uint64_t a[6])
{
	long ret;
	register uint64_t rcx __asm__("rcx") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];

	__asm__ volatile("out %%eax, $0" : "=a"(ret) : "a"(nr), "D"(a[0]),
	    "S"(a[1]), "d"(a[2]), "r"(rcx), "r"(r8), "r"(r9) : "r10", "r11",
	    "memory");
	return ret;
}

static void
run_script(const uint8_t *s, size_t len)
{
	for (size_t off = 0; off + RECORD_SIZE <= len; off += RECORD_SIZE) {
		const uint8_t *r = s + off;
		uint32_t sel;
		uint64_t a[6];

		memcpy(&sel, r + 4, 4);
		for (int i = 0; i < 6; i++) {
			uint64_t v;
			memcpy(&v, r + 16 + 8 * i, 8);
			a[i] = argument(r[8 + i], v);
		}
		if (r[0] == 0)
			do_syscall(sel & 0x80000000 ? sel & 0x3ff :
			    syscalls[sel % (sizeof syscalls / sizeof syscalls[0])], a);
		else if (r[0] == 1)
			do_api_call(sel & 0x80000000 ? 0x10000 + (sel & 0x7ffff) :
			    api_calls[sel % (sizeof api_calls / sizeof api_calls[0])], a);
	}
}

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	(void)url; (void)arg; (void)ctype;
	run_script(data, len);
	backend_response_str(200, "text/plain", "script done");
}

/* What a script may have changed, and the next request must not see. */
static void
on_get(const char *url, const char *arg)
{
	uint64_t sum = 0;

	(void)url; (void)arg;
	for (size_t i = 0; i < SCRATCH_SIZE; i++)
		sum += scratch[i] != (uint8_t)(i * 7);
	if (sum != 0 || strcmp(canary, "canary: untouched") != 0 ||
	    sbrk(0) != initial_break)
		backend_response_str(500, "text/plain", "dirty");
	backend_response_str(200, "text/plain", "clean");
}

int
main(void)
{
	struct shared_memory_info shm = shared_memory_area();
	char top;

	for (size_t i = 0; i < SCRATCH_SIZE; i++)
		scratch[i] = (uint8_t)(i * 7);
	memory_top = ((uint64_t)(uintptr_t)&top + 0x1fffff) & ~0x1fffffULL;
	shared_start = shm.ptr;
	initial_break = sbrk(0);
	set_backend_post(on_post);
	set_backend_get(on_get);
	wait_for_requests();
}
