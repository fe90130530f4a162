/* SPDX-License-Identifier: BSD-2-Clause */
/* The hostile-input catalogue of system calls: every emulated call that
 * takes a pointer gets each bad pointer in that position (NULL, the
 * unmapped first page, the host's system area, the kernel half, a range
 * that wraps around 2^64, a range that straddles the end of guest memory),
 * and every call with a length gets 0, 1, a huge and a negative length,
 * the other arguments being valid.  One line per case: the raw result
 * (-errno).  tests/requests/catalogue.sh compares them with the expected
 * list, so every outcome is asserted exactly.
 *
 * argv[1]: a readable file (in the allowed paths); argv[2]: a directory. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timerfd.h>

#define NCASES 6

static uint64_t mem_top;
static char buf[8192] __attribute__((aligned(64)));
static const char spaces[64] = "                                                              \n";
static char path[256];
static int fd, dirfd_;
static struct iovec iov[2], iov_out[2];

static const char *const ptr_names[NCASES] = {
	"null", "page1", "system", "kernel", "wrap", "straddle",
};

/* Bad pointer number i; its range is len bytes. */
static uint64_t
bad_ptr(int i, uint64_t len)
{
	switch (i) {
	case 0: return 0;
	case 1: return 0x1000;			/* first pages: system area */
	case 2: return 0x9000;			/* the page tables */
	case 3: return 0xffff800000000000ULL;
	case 4: return 0ULL - len / 2;		/* wraps around 2^64 */
	default: return mem_top - len / 2;	/* straddles the end */
	}
}

static const char *const len_names[4] = { "0", "1", "huge", "negative" };
static const uint64_t lens[4] = { 0, 1, 1ULL << 62, (uint64_t)-1 };

/* -errno, or the result; results that are addresses or times (they
 * differ from run to run) print as "ok". */
static const char *
call(long nr, const uint64_t a[6])
{
	static char out[32];
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	if (r == -1)
		snprintf(out, sizeof out, "%d", -errno);
	else if (r >= 0x100000)
		snprintf(out, sizeof out, "ok");
	else
		snprintf(out, sizeof out, "%ld", r);
	return out;
}

/* One system call: its valid arguments, which of them are pointers (with
 * the size they must cover), and which one is a length. */
struct spec {
	const char *name;
	long nr;
	uint64_t a[6];
	uint64_t ptr_len[6];	/* > 0: argument i is a pointer to that much */
	int len_arg;		/* -1: none */
};

static void
run(const struct spec *s)
{
	uint64_t a[6];

	for (int p = 0; p < 6; p++) {
		if (s->ptr_len[p] == 0)
			continue;
		for (int i = 0; i < NCASES; i++) {
			memcpy(a, s->a, sizeof a);
			a[p] = bad_ptr(i, s->ptr_len[p]);
			printf("%s arg%d=%s: %s\n", s->name, p, ptr_names[i],
			    call(s->nr, a));
		}
	}
	if (s->len_arg < 0)
		return;
	for (int i = 0; i < 4; i++) {
		memcpy(a, s->a, sizeof a);
		a[s->len_arg] = lens[i];
		printf("%s len=%s: %s\n", s->name, len_names[i], call(s->nr, a));
	}
}

#define P(x) ((uint64_t)(uintptr_t)(x))

int
main(int argc, char **argv)
{
	char top;
	struct timespec ts = { 0, 1 };
	uint64_t sigset = 0, sigdata[2];
	struct timespec ts0 = { 0, 0 };
	struct timeval tv0 = { 0, 0 };
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct pollfd pfd[1];
	struct epoll_event epev;
	fd_set rdset[1];
	int pipefd[2], pipe_rd, ep, tfd;

	if (argc < 3)
		return 2;
	mem_top = (P(&top) + 0x1fffff) & ~0x1fffffULL;
	snprintf(path, sizeof path, "%s", argv[1]);
	fd = open(argv[1], O_RDONLY);
	dirfd_ = open(argv[2], O_RDONLY | O_DIRECTORY);
	iov[0].iov_base = buf;
	iov[0].iov_len = 16;
	iov[1] = iov[0];
	iov_out[0].iov_base = (void *)spaces;
	iov_out[0].iov_len = 16;
	iov_out[1] = iov_out[0];
	/* The last bytes of memory (the top of the stack: argument strings,
	 * already used) get no NUL, so a string there runs off the end. */
	memset((char *)(uintptr_t)(mem_top - 64), 'A', 64);
	printf("setup fd=%d dir=%d\n", fd, dirfd_);
	syscall(SYS_pipe2, pipefd, O_NONBLOCK);
	write(pipefd[1], "x", 1);
	pipe_rd = pipefd[0];
	pfd[0] = (struct pollfd){ pipe_rd, POLLIN, 0 };
	FD_ZERO(rdset);
	FD_SET(pipe_rd, rdset);
	sigdata[0] = P(&sigset);
	sigdata[1] = 8;
	ep = epoll_create1(0);
	epev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_ADD, pipe_rd, &epev);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	const struct spec specs[] = {
		{ "read", SYS_read, { fd, P(buf), 16 }, { 0, 16 }, 2 },
		{ "write", SYS_write, { 1, P(spaces), 16 }, { 0, 16 }, 2 },
		{ "readv", SYS_readv, { fd, P(iov), 2 }, { 0, 32 }, 2 },
		{ "writev", SYS_writev, { 1, P(iov_out), 2 }, { 0, 32 }, 2 },
		{ "pread64", SYS_pread64, { fd, P(buf), 16, 0 }, { 0, 16 }, 2 },
		{ "open", SYS_open, { P(path), O_RDONLY }, { 16 }, -1 },
		{ "openat", SYS_openat, { AT_FDCWD, P(path), O_RDONLY }, { 0, 16 }, -1 },
		{ "stat", SYS_stat, { P(path), P(buf) }, { 16, 144 }, -1 },
		{ "fstat", SYS_fstat, { fd, P(buf) }, { 0, 144 }, -1 },
		{ "lstat", SYS_lstat, { P(path), P(buf) }, { 16, 144 }, -1 },
		{ "newfstatat", SYS_newfstatat, { AT_FDCWD, P(path), P(buf), 0 },
		    { 0, 16, 144 }, -1 },
		{ "getdents64", SYS_getdents64, { dirfd_, P(buf), 4096 }, { 0, 4096 }, 2 },
		{ "readlink", SYS_readlink, { P(path), P(buf), 64 }, { 16, 64 }, 2 },
		{ "readlinkat", SYS_readlinkat, { AT_FDCWD, P(path), P(buf), 64 },
		    { 0, 16, 64 }, 3 },
		{ "access", SYS_access, { P(path), R_OK }, { 16 }, -1 },
		{ "faccessat", SYS_faccessat, { AT_FDCWD, P(path), R_OK }, { 0, 16 }, -1 },
		{ "getcwd", SYS_getcwd, { P(buf), 256 }, { 256 }, 1 },
		{ "chdir", SYS_chdir, { P("/") }, { 16 }, -1 },
		{ "mmap_file", SYS_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0 },
		    { 0 }, 1 },
		{ "munmap", SYS_munmap, { 0, 4096 }, { 4096 }, 1 },
		{ "mprotect", SYS_mprotect, { P(buf) & ~4095ULL, 4096, PROT_READ | PROT_WRITE },
		    { 4096 }, 1 },
		{ "madvise", SYS_madvise, { P(buf) & ~4095ULL, 4096, MADV_NORMAL },
		    { 4096 }, 1 },
		{ "arch_prctl_get_fs", SYS_arch_prctl, { 0x1003 /* ARCH_GET_FS */, P(buf) },
		    { 0, 8 }, -1 },
		{ "set_robust_list", SYS_set_robust_list, { P(buf), 24 }, { 24 }, 1 },
		{ "rseq", SYS_rseq, { P(buf), 32, 0, 0x53053053 }, { 32 }, 1 },
		{ "prlimit64", SYS_prlimit64, { 0, RLIMIT_NOFILE, 0, P(buf) },
		    { 0, 0, 16, 16 }, -1 },
		{ "getrlimit", SYS_getrlimit, { RLIMIT_NOFILE, P(buf) }, { 0, 16 }, -1 },
		{ "getrandom", SYS_getrandom, { P(buf), 16, 0 }, { 16 }, 1 },
		{ "clock_gettime", SYS_clock_gettime, { CLOCK_MONOTONIC, P(buf) },
		    { 0, 16 }, -1 },
		{ "clock_getres", SYS_clock_getres, { CLOCK_MONOTONIC, P(buf) },
		    { 0, 16 }, -1 },
		{ "gettimeofday", SYS_gettimeofday, { P(buf), 0 }, { 16 }, -1 },
		{ "time", SYS_time, { P(buf) }, { 8 }, -1 },
		{ "nanosleep", SYS_nanosleep, { P(&ts), 0 }, { 16, 16 }, -1 },
		{ "clock_nanosleep", SYS_clock_nanosleep, { CLOCK_MONOTONIC, 0, P(&ts), 0 },
		    { 0, 0, 16, 16 }, -1 },
		{ "uname", SYS_uname, { P(buf) }, { 390 }, -1 },
		{ "rt_sigaction", SYS_rt_sigaction, { SIGUSR1, 0, P(buf), 8 },
		    { 0, 32, 32 }, 3 },
		{ "rt_sigprocmask", SYS_rt_sigprocmask, { SIG_BLOCK, P(&sigset), P(buf), 8 },
		    { 0, 8, 8 }, 3 },
		{ "sigaltstack", SYS_sigaltstack, { 0, P(buf) }, { 24, 24 }, -1 },
		{ "sched_getaffinity", SYS_sched_getaffinity, { 0, 128, P(buf) },
		    { 0, 0, 128 }, 1 },
		{ "futex_wake", SYS_futex, { P(buf), 1 /* WAKE */, 1 }, { 4 }, -1 },
		{ "sysinfo", SYS_sysinfo, { P(buf) }, { 112 }, -1 },
		/* Waits and their objects (pipe_rd has data: ready). */
		{ "poll", SYS_poll, { P(pfd), 1, 0 }, { 8 }, 1 },
		{ "ppoll", SYS_ppoll, { P(pfd), 1, P(&ts0), P(&sigset), 8 },
		    { 8, 0, 16, 8 }, 4 },
		{ "select", SYS_select, { pipe_rd + 1, P(rdset), 0, 0, P(&tv0) },
		    { 0, 8, 0, 0, 16 }, -1 },
		{ "pselect6", SYS_pselect6, { pipe_rd + 1, P(rdset), 0, 0, P(&ts0),
		    P(sigdata) }, { 0, 8, 0, 0, 16, 16 }, -1 },
		{ "epoll_ctl", SYS_epoll_ctl, { ep, EPOLL_CTL_MOD, pipe_rd, P(&epev) },
		    { 0, 0, 0, 12 }, -1 },
		{ "epoll_wait", SYS_epoll_wait, { ep, P(buf), 4, 0 }, { 0, 48 }, 2 },
		{ "epoll_pwait", SYS_epoll_pwait, { ep, P(buf), 4, 0, P(&sigset), 8 },
		    { 0, 48, 0, 0, 8 }, 5 },
		{ "pipe2", SYS_pipe2, { P(buf), 0 }, { 8 }, -1 },
		{ "timerfd_settime", SYS_timerfd_settime, { tfd, 0, P(&its), P(buf) },
		    { 0, 0, 32, 32 }, -1 },
		{ "timerfd_gettime", SYS_timerfd_gettime, { tfd, P(buf) }, { 0, 32 }, -1 },
		{ "rt_sigpending", SYS_rt_sigpending, { P(buf), 8 }, { 8 }, 1 },
		{ "rt_sigsuspend", SYS_rt_sigsuspend, { P(&sigset), 8 }, { 8 }, -1 },
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		run(&specs[i]);
		fflush(stdout);
	}
	printf("still alive\n");
	return 0;
}
