/* SPDX-License-Identifier: BSD-2-Clause */
/* A program linked above 1 GiB (tests/requests/direct_storage.sh): its
 * heap, mmap area and stack must all be above that gigabyte too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(void)
{
	int local;
	void *heap = malloc(100), *big = malloc(8 << 20);
	void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uintptr_t gib = 1UL << 30;

	printf("code=%d heap=%d big=%d map=%d stack=%d\n",
	    (uintptr_t)main >= gib, (uintptr_t)heap >= gib,
	    (uintptr_t)big >= gib, map != MAP_FAILED && (uintptr_t)map >= gib,
	    (uintptr_t)&local >= gib);
	return 0;
}
