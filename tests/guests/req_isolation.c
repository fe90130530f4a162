/* SPDX-License-Identifier: BSD-2-Clause */
/* Each request reports what an earlier request could have left behind,
 * then leaves a secret everywhere: globals, heap, stack, a new mmap, brk,
 * an open file, a signal handler, TLS (FS base), vector registers, cwd. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <tinykvm/kvm_api.h>

static char global[32] = "clean";
static char *heap;
static __thread char tls[32] = "clean";
static const char *allowed_file, *other_dir;

/* The stack a request starts with holds what init left there, and a
 * random byte of that may be an 'S' (1 run in 70 saw one): only a run of
 * them shows what an earlier request left behind. */
static void __attribute__((noinline))
stack_probe(char *out)
{
	volatile char buf[256];
	int dirty = 0;

	/* Eight 'S' in a row: a single one may be random garbage (a stack
	 * canary copy left by initialization). */
	for (int i = 0; i + 8 <= 256; i++) {
		int run = 0;
		for (int k = 0; k < 8; k++)
			run += buf[i + k] == 'S';
		dirty |= run == 8;
	}
	strcpy(out, dirty ? "SECRET" : "clean");
	for (int i = 0; i < 256; i++)
		buf[i] = 'S';
}

static void
on_get(const char *url, const char *arg)
{
	char stack[16], out[1024], cwd[64];
	unsigned long long xmm[2];
	struct sigaction sa;

	(void)url; (void)arg;
	__asm__ volatile("movdqu %%xmm7, %0" : "=m"(xmm));
	sigaction(SIGUSR1, NULL, &sa);
	stack_probe(stack);
	int fd = open(allowed_file, O_RDONLY);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int n = snprintf(out, sizeof out, "global=%s heap=%s tls=%s stack=%s "
	    "mmap=%s brk=%p fd=%d sig=%s xmm=%llx cwd=%s", global, heap, tls,
	    stack, m[0] ? "SECRET" : "clean", sbrk(0), fd,
	    sa.sa_handler == SIG_DFL ? "default" : "SET", xmm[0] | xmm[1],
	    getcwd(cwd, sizeof cwd));
	/* Now leave secrets everywhere. */
	strcpy(global, "SECRET");
	strcpy(heap, "SECRET");
	strcpy(tls, "SECRET");
	memset(m, 'S', 8192);
	memset(sbrk(4096), 'S', 4096);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	chdir(other_dir);
	xmm[0] = xmm[1] = 0x5345435245540000ULL;
	__asm__ volatile("movdqu %0, %%xmm7" : : "m"(xmm));
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(int argc, char **argv)
{
	allowed_file = argc > 1 ? argv[1] : "/";
	other_dir = argc > 2 ? argv[2] : "/";
	heap = malloc(32);
	strcpy(heap, "clean");
	set_backend_get(on_get);
	wait_for_requests();
}
