/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: times N bare VM exits (an unknown guest API call the
 * host answers with -ENOSYS and no other work) and prints ns per exit. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long
bare_exit(void)
{
	long r;

	__asm__ volatile("out %%eax, $0" : "=a"(r) : "a"(0x7ffff) : "memory");
	return r;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		bare_exit();
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
