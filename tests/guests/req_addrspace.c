/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address space larger than max_memory.  GET /map/MIB/PAGES: malloc(MIB
 * MiB) and mmap(MIB MiB), write one byte to each of the first PAGES pages
 * of both, answer what happened and get_meminfo()'s max_memory.
 * main_arguments ["init", MIB]: write MIB MiB before wait_for_requests().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <tinykvm/kvm_api.h>

static long
touch(char *p, long pages)
{
	long sum = 0;

	for (long i = 0; i < pages; i++) {
		p[i * 4096] = (char)(i % 255 + 1);
		sum += p[i * 4096] != 0;
	}
	return sum;
}

static void
on_get(const char *url, const char *arg)
{
	long mib = 0, pages = 0;
	char out[200];
	struct meminfo mi;

	(void)arg;
	sscanf(url, "/map/%ld/%ld", &mib, &pages);
	size_t len = (size_t)mib << 20;
	/* One after the other: both need most of a 1 GiB address space. */
	char *m = malloc(len);
	long tm = m != NULL ? touch(m, pages) : -1;
	free(m);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long tp = p != MAP_FAILED ? touch(p, pages) : -1;
	if (p != MAP_FAILED)
		munmap(p, len);
	get_meminfo(&mi);
	snprintf(out, sizeof out, "malloc %s mmap %s touched %ld+%ld "
	    "max_memory=%lluMiB", m != NULL ? "ok" : "NULL",
	    p != MAP_FAILED ? "ok" : "ENOMEM", tm, tp,
	    (unsigned long long)(mi.max_memory >> 20));
	backend_response_str(200, "text/plain", out);
}

int
main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "init") == 0) {
		long mib = atol(argv[2]);
		char *m = malloc(512 << 20);
		if (m == NULL)
			return 3;
		touch(m, mib * 256);
		printf("init touched %ld MiB\n", mib);
	}
	set_backend_get(on_get);
	wait_for_requests();
}
