/* SPDX-License-Identifier: BSD-2-Clause */
/* The XSAVE size the engine computes for an XCR0 matches what the CPU
 * itself reports for the XCR0 this process runs with, and the components
 * are named; a size above the reserved area would be refused at VM
 * creation (checked by the probe), so it must fit here. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED: %s (line %d)\n", \
	#c, __LINE__); return 1; } } while (0)

int
main(void)
{
	unsigned a, b, c, d, largest;
	uint32_t lo, hi;
	uint64_t xcr0;
	char names[256];

	CHECK(xstate_host_has_xsave());
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = ((uint64_t)hi << 32) | lo;
	__cpuid_count(0xd, 0, a, b, c, d);
	printf("host XCR0 0x%llx: CPUID size %u, engine size %u\n",
	    (unsigned long long)xcr0, b, xstate_size(xcr0, &largest));
	CHECK(xstate_size(xcr0, &largest) == b);
	CHECK(b <= XSAVE_CLEAN_MAX);
	CHECK(xstate_size(0x3, &largest) == 576);
	xstate_describe(0x7, names, sizeof names);
	CHECK(strcmp(names, "x87, SSE, AVX") == 0);
	xstate_describe(0x600e7, names, sizeof names);
	CHECK(strstr(names, "AMX TILEDATA") != NULL);
	/* The XCR0 chosen on hardware KVM: AVX-512 whole or not at all. */
	CHECK(xstate_choose_xcr0(0x2ff) == 0xe7);
	CHECK(xstate_choose_xcr0(0x67) == 0x7);
	CHECK(xstate_choose_xcr0(0x3) == 0x3);
	CHECK(xstate_choose_xcr0(0x60007) == 0x7);	/* no AMX */
	puts("ok");
	return 0;
}
