/* SPDX-License-Identifier: BSD-2-Clause */
/* brk() at its edges: below the start, past the mmap area, near 2^64
 * (where rounding up to a page wraps), growing, shrinking and growing
 * again (the page comes back zeroed).  Prints what each call returned,
 * relative to the initial break.  With "request" it does the same inside
 * a request, whose VM must survive it and be clean for the next one. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <tinykvm/kvm_api.h>

static char out[1024];

static long
brk_(unsigned long addr)
{
	return syscall(SYS_brk, addr);
}

static void
edges(void)
{
	static const struct { const char *name; unsigned long addr; } bad[] = {
		{ "below", 1 }, { "wrap", 0xfffffffffffff001UL },
		{ "max", ~0UL }, { "half", 0x8000000000000000UL },
		{ "past_memory", 0x7fffffff000UL },
	};
	long start = brk_(0);
	int n = snprintf(out, sizeof out, "start_is_page_aligned=%d",
	    (start & 4095) == 0);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		n += snprintf(out + n, sizeof out - (size_t)n, " %s=%+ld",
		    bad[i].name, brk_(bad[i].addr) - start);
	long grown = brk_((unsigned long)start + 8192);
	memset((char *)start, 'x', 8192);
	long shrunk = brk_((unsigned long)start + 1);
	long again = brk_((unsigned long)start + 8192);
	n += snprintf(out + n, sizeof out - (size_t)n,
	    " grow=%+ld shrink=%+ld regrow=%+ld second_page=%s",
	    grown - start, shrunk - start, again - start,
	    ((char *)start)[4096] == 0 ? "zeroed" : "STALE");
	brk_((unsigned long)start);
}

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	if (strcmp(url, "/break") == 0) {
		snprintf(out, sizeof out, "break=%lx", brk_(0));
		backend_response_str(200, "text/plain", out);
	}
	edges();
	brk_(0xfffffffffffff001UL);
	brk_((unsigned long)sbrk(0) + 65536);	/* left grown */
	backend_response_str(200, "text/plain", out);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "request") == 0) {
		set_backend_get(on_get);
		wait_for_requests();
	}
	edges();
	puts(out);
	return 0;
}
