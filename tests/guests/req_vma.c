/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mappings and protections a request changes are the main VM's again in
 * the next request (tests/requests/vma.sh).  main() leaves a page of its
 * data, a guard page between two read-write pages and a read-only page.
 *   GET /change   checks them, then changes them all, maps PROT_NONE and
 *                 512 MiB read-write (1 MiB touched) and answers where
 *   GET /guard    reads the guard page: faults
 *   GET /rowrite  writes the read-only page: faults
 *   GET /far/ADDR reads ADDR (where /change mapped 512 MiB): faults
 *   GET /kept     writes the page /change unmapped: main() mapped it
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <tinykvm/kvm_api.h>

#define PG 4096UL

static char main_page[PG] __attribute__((aligned(4096))) = "main";
static char *guard, *ro;

static void
on_get(const char *url, const char *arg)
{
	volatile char *v;
	char out[256];

	(void)arg;
	if (strcmp(url, "/change") == 0) {
		char before[64];
		main_page[100] = 'x';	/* faults if left read-only */
		main_page[100] = 0;
		snprintf(before, sizeof before, "%.8s/%.8s/%c", main_page, ro,
		    guard[0]);
		int r = mprotect(main_page, PG, PROT_READ);
		r |= mprotect(ro, PG, PROT_READ | PROT_WRITE);
		ro[0] = 'R';
		r |= mprotect(guard + PG, PG, PROT_READ | PROT_WRITE);
		guard[PG] = 'G';
		r |= munmap(guard, PG);
		char *none = mmap(NULL, 64 << 10, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *big = mmap(NULL, 512UL << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (big != MAP_FAILED)
			memset(big, 'B', 1 << 20);
		snprintf(out, sizeof out, "before=%s r=%d none=%p big=%p",
		    before, r, (void *)none, (void *)big);
	} else if (strcmp(url, "/guard") == 0) {
		v = guard + PG;
		snprintf(out, sizeof out, "guard readable: %d", v[0]);
	} else if (strcmp(url, "/rowrite") == 0) {
		ro[0] = 'w';
		snprintf(out, sizeof out, "read-only page written");
	} else if (strncmp(url, "/far/", 5) == 0) {
		v = (volatile char *)strtoul(url + 5, NULL, 16);
		snprintf(out, sizeof out, "far readable: %d", v[0]);
	} else if (strcmp(url, "/kept") == 0) {
		guard[1] = 'k';
		snprintf(out, sizeof out, "kept: %c%c", guard[0], guard[1]);
	} else {
		snprintf(out, sizeof out, "?");
	}
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	guard = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, PG, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED || ro == MAP_FAILED)
		return 1;
	memset(guard, 'g', 3 * PG);
	strcpy(ro, "ro");
	if (mprotect(guard + PG, PG, PROT_NONE) || mprotect(ro, PG, PROT_READ))
		return 2;
	set_backend_get(on_get);
	wait_for_requests();
}
