/* SPDX-License-Identifier: BSD-2-Clause */
/* Storage program of the direct-call benchmark (bench/storage_bench.c),
 * linked at 0x40200000 by bench/run.sh: direct_get.c calls bench_incr()
 * as a plain function. */
#include <tinykvm/kvm_api.h>

static unsigned long counter;

unsigned long bench_incr(void)
{
	return ++counter;
}

int main(void)
{
	STORAGE_ALLOW(bench_incr);
	wait_for_requests();
}
