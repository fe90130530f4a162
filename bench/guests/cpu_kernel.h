/* SPDX-License-Identifier: BSD-2-Clause */
/* The CPU-bound kernel timed in the guest and natively: integer hashing
 * and floating point, with a result that depends on every iteration. */
#ifndef CPU_KERNEL_H
#define CPU_KERNEL_H

#include <stdint.h>

static inline uint64_t
cpu_kernel(uint64_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	double x = 1.0;

	for (uint64_t i = 0; i < n; i++) {
		h ^= i;
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		x = x * 1.0000001 + (double)(h & 0xff) * 1e-9;
	}
	return h ^ (uint64_t)x;
}

#endif
