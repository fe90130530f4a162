/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Extended CPU state (XSAVE): which components the guest runs with and how
 * large their save area is.  Sizes and offsets come from the host's CPUID
 * leaf 0xD, which describes the same CPU the guest runs on.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"
#include "cpu/x86.h"

static const char *const component_names[64] = {
	[0] = "x87", [1] = "SSE", [2] = "AVX", [3] = "MPX bounds",
	[4] = "MPX config", [5] = "AVX-512 opmask", [6] = "AVX-512 ZMM_Hi256",
	[7] = "AVX-512 Hi16_ZMM", [9] = "PKRU", [17] = "AMX TILECFG",
	[18] = "AMX TILEDATA", [19] = "APX",
};

const char *
xstate_component_name(unsigned bit)
{
	return bit < 64 && component_names[bit] ? component_names[bit] :
	    "unknown component";
}

bool
xstate_host_has_xsave(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 26));
}

/* Offset and size of component bit in the standard (non-compacted) form. */
static void
component_extent(unsigned bit, uint32_t *offset, uint32_t *size)
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	__cpuid_count(0xd, bit, a, b, c, d);
	*size = a;
	*offset = b;
}

uint32_t
xstate_size(uint64_t xcr0, unsigned *largest_bit)
{
	uint32_t end = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE, largest = 0;

	*largest_bit = XFEATURE_SSE;
	for (unsigned bit = XFEATURE_AVX; bit < 64; bit++) {
		uint32_t off, size;
		if (!(xcr0 & (1ULL << bit)))
			continue;
		component_extent(bit, &off, &size);
		if (off + size > end)
			end = off + size;
		if (size > largest) {
			largest = size;
			*largest_bit = bit;
		}
	}
	return end;
}

uint64_t
xstate_choose_xcr0(uint64_t supported)
{
	const uint64_t avx512 = (1ULL << XFEATURE_OPMASK) |
	    (1ULL << XFEATURE_ZMM_HI256) | (1ULL << XFEATURE_HI16_ZMM);
	uint64_t xcr0 = supported & 0x7;

	/* AVX-512 only whole and on top of AVX (an XCR0 rule). */
	if ((supported & avx512) == avx512 && (xcr0 & 0x4))
		xcr0 |= avx512;
	return xcr0;
}

void
xstate_describe(uint64_t xcr0, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned bit = 0; bit < 64 && used < outlen; bit++) {
		if (!(xcr0 & (1ULL << bit)))
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s",
		    used ? ", " : "", xstate_component_name(bit));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
