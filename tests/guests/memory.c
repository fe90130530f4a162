/* SPDX-License-Identifier: BSD-2-Clause */
/* memory MODE MIB: "alloc" touches MIB MiB in 1 MiB blocks and reports
 * how many it got; "churn" mallocs and frees 1 MiB blocks MIB*100 times;
 * "bomb" allocates until failure, forever touching. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int
main(int argc, char **argv)
{
	const char *mode = argv[1];
	long mib = atol(argv[2]), got = 0;

	if (strcmp(mode, "alloc") == 0) {
		for (long i = 0; i < mib; i++) {
			char *p = malloc(1 << 20);
			if (p == NULL)
				break;
			memset(p, 1, 1 << 20);
			got++;
		}
		printf("got %ld of %ld MiB\n", got, mib);
		return got == mib ? 0 : 3;
	}
	if (strcmp(mode, "churn") == 0) {
		for (long i = 0; i < mib * 100; i++) {
			char *p = malloc(1 << 20);
			if (p == NULL) {
				printf("failed at %ld\n", i);
				return 3;
			}
			memset(p, 2, 1 << 20);
			free(p);
			void *m = mmap(NULL, 3 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED) {
				printf("mmap failed at %ld\n", i);
				return 3;
			}
			memset(m, 3, 4096);
			m = mremap(m, 3 << 20, 5 << 20, MREMAP_MAYMOVE);
			if (m == MAP_FAILED || ((char *)m)[0] != 3) {
				printf("mremap failed at %ld\n", i);
				return 3;
			}
			munmap(m, 5 << 20);
		}
		printf("churned %ld\n", mib * 100);
		return 0;
	}
	for (;;) {
		char *p = malloc(1 << 20);
		if (p == NULL) {
			void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			printf("bomb stopped: malloc NULL, mmap %s after %ld MiB\n",
			    m == MAP_FAILED ? "ENOMEM" : "ok", got);
			return 4;
		}
		memset(p, 1, 1 << 20);
		got++;
	}
}
