/* SPDX-License-Identifier: BSD-2-Clause */
/* The program tests/debug/gdb.sh debugs (built with -g -O0).  No
 * argument: compute() with a local and a global, answer() whose result
 * gdb changes, a raw getpid syscall between two labels for stepi, then
 * sys_breakpoint(); exits with a status made of the results.  "null",
 * "ud2", "div0": the fault each one names, in crash_here(). */
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

int counter = 41;
int is_debug = -1;
int *volatile nowhere;
volatile int zero;

int
compute(int x)
{
	int local = x * 2;
	counter += local;
	return local + 1;
}

__attribute__((noinline)) int
answer(void)
{
	return 5;
}

/* syscall_at and after_syscall mark the instruction gdb steps over. */
long
raw_getpid(void)
{
	long r;
	__asm__ volatile("mov $39, %%eax\n"
	    ".globl syscall_at\nsyscall_at: syscall\n"
	    ".globl after_syscall\nafter_syscall: nop"
	    : "=a"(r) : : "rcx", "r11", "memory");
	return r;
}

__attribute__((noinline)) int
crash_here(const char *how)
{
	if (strcmp(how, "null") == 0)
		*nowhere = 1;
	else if (strcmp(how, "ud2") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(how, "div0") == 0)
		return 10 / zero;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1) {
		printf("crashing: %s\n", argv[1]);
		fflush(stdout);
		return crash_here(argv[1]);
	}
	int r = compute(21);
	int a = answer();
	long pid = raw_getpid();
	is_debug = sys_is_debug();
	sys_breakpoint();
	printf("r=%d counter=%d a=%d pid=%ld is_debug=%d\n", r, counter, a,
	    pid, is_debug);
	return a;
}
