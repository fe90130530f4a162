/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signal delivery (tests/engine/signals.sh): each mode prints what its
 * handlers saw, the same under tinykvm-run as natively.
 *   segv     SIGSEGV with SA_SIGINFO on a sigaltstack, siglongjmp out
 *   fpe      SIGFPE (#DE), SIGILL (ud2), SIGTRAP (int3)
 *   gpss     SIGSEGV (#GP, non-canonical address), SIGBUS (#SS)
 *   raise    raise(), kill(getpid()), masks, pending, SA_RESETHAND,
 *            SA_NODEFER, sigsuspend-free delivery on unblock
 *   abort    abort() with a SIGABRT handler that longjmps out
 *   fpu      the handler's FPU changes are undone by sigreturn
 *   ucontext the handler moves rip in uc_mcontext past a ud2
 *   nested   the SIGSEGV handler faults itself (the run must end)
 *   forged   rt_sigreturn with a forged frame (kernel rip)
 *   forgedfl a forged frame asking for IOPL 3, NT, VM: resumes with
 *            user flags only (forgedcs: with kernel CS/SS too, which the
 *            host replaces by the user selectors)
 *   noret    a handler set without SA_RESTORER
 *   badhandler  a handler at a non-canonical address
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int hits;
static volatile int seen_sig, seen_code, on_alt;
static void *volatile seen_addr;
static char altstack[65536];
/* Addresses in the unmapped first page (volatile: the compiler must not
 * know them). */
static volatile int *volatile bad10 = (volatile int *)(uintptr_t)0x10;
static volatile int *volatile bad20 = (volatile int *)(uintptr_t)0x20;

static void
on_fault(int sig, siginfo_t *si, void *ctx)
{
	int here;

	(void)ctx;
	seen_sig = si->si_signo;
	seen_code = si->si_code;
	seen_addr = si->si_addr;
	on_alt = (char *)&here >= altstack && (char *)&here < altstack + sizeof altstack;
	hits = sig;
	siglongjmp(jb, 1);
}

static void
catch(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static int
mode_segv(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old;
	volatile int *bad = bad10;

	sigaltstack(&ss, NULL);
	catch(SIGSEGV, SA_ONSTACK);
	if (sigsetjmp(jb, 1) == 0) {
		*bad = 1;
		puts("no fault");
		return 1;
	}
	sigaltstack(NULL, &old);
	/* A NULL-page write: #PF on hardware KVM (si_addr 0x10); the
	 * software backend may deliver #GP (si_addr 0): both SIGSEGV. */
	printf("SIGSEGV caught: signo=%d on_altstack=%d altstack_flags=%d "
	    "addr=%s\n", seen_sig, on_alt, old.ss_flags,
	    seen_addr == (void *)0x10 ? "0x10" : seen_addr == NULL ? "0" : "?");
	/* Again: the mask was restored by siglongjmp(…, 1). */
	if (sigsetjmp(jb, 1) == 0)
		*bad = 2;
	printf("again: %s\n", hits == SIGSEGV ? "caught" : "missed");
	return 0;
}

static int
mode_fpe_ill_trap(void)
{
	volatile int zero = 0, x = 7;

	catch(SIGFPE, 0);
	catch(SIGILL, 0);
	catch(SIGTRAP, 0);
	if (sigsetjmp(jb, 1) == 0)
		x = x / zero;
	printf("SIGFPE: signo=%d code=%d (FPE_INTDIV=%d)\n", seen_sig,
	    seen_code, FPE_INTDIV);
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("ud2");
	printf("SIGILL: signo=%d code=%d (ILL_ILLOPN=%d)\n", seen_sig,
	    seen_code, ILL_ILLOPN);
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("int3");
	printf("SIGTRAP: signo=%d code=%d\n", seen_sig, seen_code);
	return x == 7 ? 0 : 1;
}

/* A non-canonical data address (#GP) and a non-canonical stack (#SS):
 * SIGSEGV and SIGBUS natively, both with si_code SI_KERNEL, si_addr 0. */
static int
mode_gp_ss(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	volatile uint64_t *nc = (volatile uint64_t *)0x8000000000000000ULL;

	sigaltstack(&ss, NULL);
	catch(SIGSEGV, SA_ONSTACK);
	catch(SIGBUS, SA_ONSTACK);
	if (sigsetjmp(jb, 1) == 0)
		*nc = 1;
	printf("non-canonical data: %s code=%d addr=%p\n",
	    seen_sig == SIGSEGV ? "SIGSEGV" : seen_sig == SIGBUS ? "SIGBUS" : "?",
	    seen_code, seen_addr);
	seen_sig = 0;
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("mov %%rsp, %%rbx; movabs $0x8000000000000000, %%rax;"
		    "mov %%rax, %%rsp; push %%rax; mov %%rbx, %%rsp"
		    ::: "rax", "rbx", "memory");
	printf("non-canonical stack: %s code=%d on_altstack=%d\n",
	    seen_sig == SIGSEGV ? "SIGSEGV" : seen_sig == SIGBUS ? "SIGBUS" : "?",
	    seen_code, on_alt);
	return 0;
}

static volatile int count, depth, max_depth, last_code;

static void
on_usr(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	count++;
	last_code = si->si_code;
	if (++depth > max_depth)
		max_depth = depth;
	if (sig == SIGUSR2 && count < 3)
		raise(SIGUSR2);		/* SA_NODEFER: nests */
	depth--;
}

static int
mode_raise(void)
{
	struct sigaction sa;
	sigset_t set, pend, cur;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("raise: count=%d code=%s\n", count,
	    last_code == SI_TKILL ? "SI_TKILL" : "?");
	kill(getpid(), SIGUSR1);
	printf("kill: count=%d code=%s\n", count,
	    last_code == SI_USER ? "SI_USER" : "?");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	raise(SIGUSR1);		/* one pending instance, not two */
	sigpending(&pend);
	printf("blocked: count=%d pending=%d\n", count, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigpending(&pend);
	printf("unblocked: count=%d pending=%d\n", count,
	    sigismember(&pend, SIGUSR1));

	count = 0;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("nodefer: count=%d max_depth=%d\n", count, max_depth);

	count = 0;
	max_depth = 0;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &sa);
	printf("resethand: count=%d handler_now=%s\n", count,
	    sa.sa_handler == SIG_DFL ? "SIG_DFL" : "?");

	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	signal(SIGCHLD, SIG_DFL);
	raise(SIGCHLD);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("ignored: alive, mask_has_usr1=%d\n", sigismember(&cur, SIGUSR1));
	fflush(stdout);
	raise(SIGUSR1);		/* now SIG_DFL: the end */
	puts("not reached");
	return 1;
}

static void
on_abrt(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static int
mode_abort(void)
{
	signal(SIGABRT, on_abrt);
	if (sigsetjmp(jb, 1) == 0)
		abort();
	puts("abort: handler ran, longjmp out");
	fflush(stdout);
	signal(SIGABRT, SIG_DFL);
	abort();
}

static volatile double fpu_seen;

static void
on_fpu(int sig)
{
	volatile double d = 1.0;

	(void)sig;
	/* Clobber x87/SSE state and MXCSR rounding: sigreturn undoes it. */
	__asm__ volatile("ldmxcsr %0" : : "m"((unsigned){ 0x7f80 }));
	fpu_seen = d / 3.0;
	__asm__ volatile("xorps %%xmm0, %%xmm0; xorps %%xmm1, %%xmm1" ::: "xmm0", "xmm1");
}

static int
mode_fpu(void)
{
	unsigned mxcsr;
	double a = 2.0, b;

	signal(SIGUSR1, on_fpu);
	b = a;
	raise(SIGUSR1);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	printf("fpu: mxcsr=0x%x handler_saw=%.4f b=%.1f\n", mxcsr, fpu_seen, b);
	return 0;
}

static void
on_ill_skip(int sig, siginfo_t *si, void *vctx)
{
	ucontext_t *uc = vctx;

	(void)sig; (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 2;	/* past the ud2 */
	uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static int
mode_ucontext(void)
{
	struct sigaction sa;
	long rax = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_ill_skip;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	__asm__ volatile("xor %%eax, %%eax; ud2" : "=a"(rax));
	printf("ucontext: resumed after ud2, rax=%ld\n", rax);
	return 0;
}

static void
on_fault_again(int sig)
{
	(void)sig;
	*bad20 = 1;	/* faults inside the handler */
}

static int
mode_nested(void)
{
	puts("nested: faulting");
	fflush(stdout);
	signal(SIGSEGV, on_fault_again);
	*bad10 = 1;
	puts("not reached");
	return 1;
}

/* A frame built by hand: rt_sigreturn(2) reads the ucontext at rsp. */
static uint64_t forged_stack[8192] __attribute__((aligned(16)));

static int
forge(uint64_t rip, uint64_t flags, unsigned short cs, unsigned short ss)
{
	static uint64_t frame[128] __attribute__((aligned(16)));
	uint64_t *mc = frame + 5;	/* uc_mcontext: after flags, link, stack */
	long r;

	memset(frame, 0, sizeof frame);
	mc[16] = rip;			/* rip */
	mc[17] = flags;			/* eflags */
	/* rsp, as after a call */
	mc[15] = (uint64_t)(uintptr_t)(forged_stack + 8191);
	memcpy(&mc[18], (unsigned short[4]){ cs, 0, 0, ss }, 8);
	__asm__ volatile("mov %1, %%rsp; mov $15, %%eax; syscall"
	    : "=a"(r) : "r"(frame) : "memory");
	return (int)r;
}

static void
after_forged(void)
{
	unsigned long fl;
	unsigned short cs, ss;

	__asm__ volatile("pushf; pop %0" : "=r"(fl) : : "memory");
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	printf("forged flags: resumed, iopl=%lu nt=%lu cpl=%u ss_rpl=%u\n",
	    (fl >> 12) & 3, (fl >> 14) & 1, cs & 3u, ss & 3u);
	fflush(stdout);
	_exit(0);
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "segv"))
		return mode_segv();
	if (!strcmp(m, "fpe"))
		return mode_fpe_ill_trap();
	if (!strcmp(m, "gpss"))
		return mode_gp_ss();
	if (!strcmp(m, "raise"))
		return mode_raise();
	if (!strcmp(m, "abort"))
		return mode_abort();
	if (!strcmp(m, "fpu"))
		return mode_fpu();
	if (!strcmp(m, "ucontext"))
		return mode_ucontext();
	if (!strcmp(m, "nested"))
		return mode_nested();
	if (!strcmp(m, "forged"))
		return forge(0xffffffff81000000ULL, 0x202, 0x33, 0x2b);
	/* IOPL 1, NT and VM asked for, with Linux's user selectors (the
	 * same outcome natively) or with kernel ones (natively SIGSEGV).
	 * The IOPL the guest gets is the host's (0, or 3 on hardware KVM),
	 * never the frame's. */
	if (!strcmp(m, "forgedfl"))
		return forge((uint64_t)(uintptr_t)after_forged,
		    0x1202 | (1UL << 14) | (1UL << 17), 0x33, 0x2b);
	if (!strcmp(m, "forgedcs"))
		return forge((uint64_t)(uintptr_t)after_forged,
		    0x1202 | (1UL << 14) | (1UL << 17), 0x08, 0x10);
	if (!strcmp(m, "badhandler")) {
		long r;
		uint64_t act[4] = { 0x800000000000ULL, 0x04000000 /* SA_RESTORER */,
		    (uint64_t)(uintptr_t)after_forged, 0 };
		r = syscall(SYS_rt_sigaction, SIGUSR1, act, NULL, 8);
		printf("badhandler: sigaction=%ld\n", r);
		fflush(stdout);
		raise(SIGUSR1);
		return 1;
	}
	if (!strcmp(m, "noret")) {
		long r;
		uint64_t act[4] = { (uint64_t)(uintptr_t)on_abrt, 0, 0, 0 };
		r = syscall(SYS_rt_sigaction, SIGUSR1, act, NULL, 8);
		printf("noret: sigaction=%ld\n", r);
		fflush(stdout);
		raise(SIGUSR1);
		return 1;
	}
	fprintf(stderr, "usage: signals MODE\n");
	return 2;
}
