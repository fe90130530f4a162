/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signal and wait state across requests (tests/requests/signals.sh).
 * Initialization installs a SIGUSR1 handler, fills a pipe and an eventfd;
 * /change replaces the handler, blocks SIGUSR2 with one pending, sets a
 * sigaltstack and drains the pipe; /state reports all of it; /segv
 * catches its own fault; /nested faults in its SIGSEGV handler.  In an
 * ephemeral VM every request finds the init-time state.
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <tinykvm/kvm_api.h>

static int pipefd[2], efd;
static volatile int got;
static sigjmp_buf jb;
static char alt[16384];
static volatile int *volatile bad = (volatile int *)(uintptr_t)0x40;

static void on_a(int sig) { (void)sig; got = 'A'; }
static void on_b(int sig) { (void)sig; got = 'B'; }
static void on_segv(int sig) { (void)sig; siglongjmp(jb, 1); }
static void on_segv_again(int sig) { (void)sig; *bad = 2; }

static void
state(char *out, size_t len)
{
	struct sigaction sa;
	sigset_t mask, pend;
	stack_t ss;
	struct pollfd p = { pipefd[0], POLLIN, 0 };
	uint64_t v = 0;
	int ready;

	sigaction(SIGUSR1, NULL, &sa);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigpending(&pend);
	sigaltstack(NULL, &ss);
	ready = poll(&p, 1, 0);
	/* Read and put back: the eventfd's count. */
	if (read(efd, &v, 8) == 8)
		write(efd, &v, 8);
	got = 0;
	raise(SIGUSR1);
	snprintf(out, len, "handler=%s mask_usr2=%d pending_usr2=%d "
	    "altstack=%s pipe_ready=%d eventfd=%llu raised=%c",
	    sa.sa_handler == on_a ? "A" : sa.sa_handler == on_b ? "B" : "?",
	    sigismember(&mask, SIGUSR2), sigismember(&pend, SIGUSR2),
	    ss.ss_flags & SS_DISABLE ? "off" : "on", ready,
	    (unsigned long long)v, got ? got : '-');
}

static void
on_get(const char *url, const char *arg)
{
	char out[256], buf[16];
	sigset_t set;

	(void)arg;
	if (!strcmp(url, "/change")) {
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
		signal(SIGUSR1, on_b);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR2);
		sigaltstack(&ss, NULL);
		read(pipefd[0], buf, sizeof buf);
		uint64_t one = 1;
		write(efd, &one, 8);
	} else if (!strcmp(url, "/segv")) {
		signal(SIGSEGV, on_segv);
		if (sigsetjmp(jb, 1) == 0)
			*bad = 1;
		backend_response_str(200, "text/plain", "caught");
		return;
	} else if (!strcmp(url, "/nested")) {
		signal(SIGSEGV, on_segv_again);
		*bad = 1;
	}
	state(out, sizeof out);
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	uint64_t three = 3;

	signal(SIGUSR1, on_a);
	pipe(pipefd);
	write(pipefd[1], "init", 4);
	efd = eventfd(0, EFD_NONBLOCK);
	write(efd, &three, 8);
	set_backend_get(on_get);
	wait_for_requests();
}
