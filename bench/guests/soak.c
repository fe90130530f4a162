/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The program bench/soak.sh runs under several names.  The URL is
 * "/KIND/MARKER": hello answers "hello MARKER X-MARKER" (the URL's marker
 * and the X-Marker header's), crash faults, loop spins past
 * max_request_time, hog dirties more than max_request_memory.  Built with
 * -DON_ERROR it crashes on every URL and on_error answers 203 "recovered
 * MARKER".  -DGEN=N changes nothing but the binary (for live updates).
 */
#include <tinykvm/kvm_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GEN
#define GEN 1
#endif
static char out[512];
static int gen = GEN;

static const char *
marker(const char *url)
{
	const char *m = strchr(url + 1, '/');

	return m != NULL ? m + 1 : "";
}

static void __attribute__((unused))
on_error(const char *url, const char *arg, const char *why)
{
	(void)arg; (void)why;
	int n = snprintf(out, sizeof out, "recovered %s", marker(url));
	sys_backend_response(203, "text/plain", 10, out, (size_t)n, NULL);
}

static void
on_get(const char *url, const char *arg)
{
	char hdr[256] = "";
	unsigned hl;

	(void)arg;
#ifdef ON_ERROR
	*(volatile int *)0 = gen;
#endif
	if (!strncmp(url, "/crash/", 7))
		*(volatile int *)0 = gen;
	if (!strncmp(url, "/loop/", 6))
		for (;;)
			__asm__ volatile("");
	if (!strncmp(url, "/hog/", 5)) {
		size_t len = 12 << 20;
		char *p = malloc(len);
		if (p != NULL)
			memset(p, gen, len);
		__asm__ volatile("" : : "r"(p) : "memory");	/* kept */
	}
	hl = http_find_str(REQ, "X-Marker", hdr, sizeof hdr - 1);
	hdr[hl] = '\0';
	int n = snprintf(out, sizeof out, "hello %s %s", marker(url),
	    hl > 10 ? hdr + 10 : "");
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(void)
{
	set_backend_get(on_get);
#ifdef ON_ERROR
	set_on_error(on_error);
#endif
	wait_for_requests();
}
