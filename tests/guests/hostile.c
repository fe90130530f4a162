/* SPDX-License-Identifier: BSD-2-Clause */
/* hostile WHAT: misbehaves in one way.  The syscall cases print the raw
 * results of calls given bad pointers and lengths and keep running. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int zero;

static int
recurse(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

/* The raw result: -errno on failure, as the kernel returns it. */
static void
report(const char *what, long r)
{
	printf("%s=%ld\n", what, r == -1 ? -(long)errno : r);
}

static void
bad_syscalls(void)
{
	const long huge = 1L << 62;
	const long wild = (long)0xffffffffffff0000UL;

	report("write_null", syscall(SYS_write, 1, NULL, 10));
	report("write_low", syscall(SYS_write, 1, 0x1000, 10));
	report("write_wild", syscall(SYS_write, 1, wild, 10));
	report("write_huge", syscall(SYS_write, 1, "x", huge));
	report("write_wrap", syscall(SYS_write, 1, (long)0xfffffffffffff000UL, 0x2000));
	report("read_wild", syscall(SYS_read, 0, wild, 10));
	report("openat_null", syscall(SYS_openat, -100, NULL, 0));
	report("openat_wild", syscall(SYS_openat, -100, wild, 0));
	report("mmap_huge", syscall(SYS_mmap, 0, huge, 3, 0x22, -1, 0));
	report("mmap_zero", syscall(SYS_mmap, 0, 0, 3, 0x22, -1, 0));
	report("munmap_wild", syscall(SYS_munmap, wild, 4096));
	report("munmap_wrap", syscall(SYS_munmap, 0x400000, -1L));
	{
		long m = syscall(SYS_mmap, 0, 8192, 3, 0x22, -1, 0);
		report("mremap_wrap", syscall(SYS_mremap, m, 8192, -1L, 1));
		report("mremap_wild", syscall(SYS_mremap, wild, 4096, 8192, 1));
		report("madvise_wrap", syscall(SYS_madvise, m, -4096L, 4));
	}
	report("fstat_wild", syscall(SYS_fstat, 1, wild));
	report("clock_null", syscall(SYS_clock_gettime, 1, NULL));
	report("getrandom_huge", syscall(SYS_getrandom, "x", huge, 0));
	report("writev_wild", syscall(SYS_writev, 1, wild, 2));
	report("uname_low", syscall(SYS_uname, 0x10));
	report("unknown", syscall(999));
	printf("still alive\n");
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	if (!strcmp(w, "syscalls"))
		bad_syscalls();
	else if (!strcmp(w, "loop"))
		for (;;)
			;
	else if (!strcmp(w, "null"))
		return *(volatile int *)0;
	else if (!strcmp(w, "wild"))
		((void (*)(void))0xdead0000UL)();
	else if (!strcmp(w, "jumpnull"))
		((void (*)(void))0)();
	else if (!strcmp(w, "stack"))
		return recurse(0);
	else if (!strcmp(w, "ud2"))
		__asm__ volatile("ud2");
	else if (!strcmp(w, "div"))
		return 10 / zero;
	else if (!strcmp(w, "abort"))
		abort();
	else if (!strcmp(w, "hlt"))
		__asm__ volatile("hlt");
	else if (!strcmp(w, "cli"))
		__asm__ volatile("cli");
	else if (!strcmp(w, "cliloop"))
		__asm__ volatile("cli; 1: jmp 1b");
	else if (!strcmp(w, "fakeexc"))	/* pretend to be the #GP stub */
		__asm__ volatile("outb %%al, $0x8d" : : "a"(0));
	else if (!strcmp(w, "port"))
		__asm__ volatile("outb %%al, $0x70" : : "a"(0));
	return 0;
}
