/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: times cpu_kernel(N) and prints "NS RESULT". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_kernel.h"

int
main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t r = cpu_kernel(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f %llu\n", (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec),
	    (unsigned long long)r);
	return 0;
}
