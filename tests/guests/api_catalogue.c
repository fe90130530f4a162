/* SPDX-License-Identifier: BSD-2-Clause */
/* The hostile-input catalogue of guest API calls: GET /CALL/argN/CASE
 * makes one call with argument N replaced by a bad pointer (null, page1,
 * system, kernel, wrap, straddle) or a bad length (len0, len1, huge,
 * negative), the others valid, and answers with the call's result; a call
 * that ends the request instead leaves its reason to the host.
 * tests/requests/api_catalogue.sh asserts every outcome exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static uint64_t mem_top;
static char buf[4096] __attribute__((aligned(64)));

static uint64_t
bad(const char *c, uint64_t valid, uint64_t len)
{
	if (!strcmp(c, "null")) return 0;
	if (!strcmp(c, "page1")) return 0x1000;
	if (!strcmp(c, "system")) return 0x9000;
	if (!strcmp(c, "kernel")) return 0xffff800000000000ULL;
	if (!strcmp(c, "wrap")) return 0ULL - len / 2;
	if (!strcmp(c, "straddle")) return mem_top - len / 2;
	if (!strcmp(c, "len0")) return 0;
	if (!strcmp(c, "len1")) return 1;
	if (!strcmp(c, "huge")) return 1ULL << 62;
	if (!strcmp(c, "negative")) return (uint64_t)-1;
	return valid;
}

#define PTR(n, v, len)	(arg == (n) ? bad(c, (uint64_t)(uintptr_t)(v), len) : (uint64_t)(uintptr_t)(v))
#define LEN(n, v)	(arg == (n) ? bad(c, v, 0) : (uint64_t)(v))

static long
one_call(const char *call, int arg, const char *c)
{
	static const char field[] = "X-Cat: yes", key[] = "X-Cat";
	static const char ctype[] = "text/plain", pattern[] = "^/a";
	struct meminfo mi;
	struct curl_op op;
	struct curl_fields cf;

	memset(&op, 0, sizeof op);
	memset(&cf, 0, sizeof cf);
	if (!strcmp(call, "backend_response"))
		return sys_backend_response(200, (const char *)PTR(1, ctype, 10),
		    LEN(2, 10), (const char *)PTR(3, "body", 4), LEN(4, 4),
		    (const struct BackendResponseExtra *)PTR(5, NULL, 56)), 0;
	if (!strcmp(call, "http_append"))
		return (long)sys_http_append(RESP, (const char *)PTR(1, field, 10), LEN(2, 10));
	if (!strcmp(call, "http_set"))
		return (long)sys_http_set(RESP, (const char *)PTR(1, field, 10), LEN(2, 10));
	if (!strcmp(call, "http_find"))
		return (long)sys_http_find(REQ, (const char *)PTR(1, key, 5), LEN(2, 5),
		    (char *)PTR(3, buf, 64), LEN(4, 64));
	if (!strcmp(call, "http_method"))
		return (long)sys_http_method((char *)PTR(0, buf, 16), LEN(1, 16));
	if (!strcmp(call, "regex_compile"))
		return sys_regex_compile((const char *)PTR(0, pattern, 3), LEN(1, 3));
	if (!strcmp(call, "regex_match")) {
		int h = sys_regex_compile(pattern, 3);
		return sys_regex_match(h, (const char *)PTR(1, "/abc", 4), LEN(2, 4));
	}
	if (!strcmp(call, "regex_subst")) {
		int h = sys_regex_compile(pattern, 3);
		return sys_regex_subst(h, (const char *)PTR(1, "/abc", 5),
		    (const char *)PTR(2, "/z", 3), (char *)PTR(3, buf, 64),
		    LEN(4, 64), 0);
	}
	if (!strcmp(call, "log"))
		return (sys_log((const char *)PTR(0, "line", 4), LEN(1, 4)), 0);
	if (!strcmp(call, "get_meminfo"))
		return (get_meminfo((struct meminfo *)PTR(0, &mi, 32)), 0);
	if (!strcmp(call, "fetch"))
		return sys_fetch((const char *)PTR(0, "http://127.0.0.1:9/", 19),
		    LEN(1, 19), (struct curl_op *)PTR(2, &op, 176),
		    (struct curl_fields *)PTR(3, &cf, 120), NULL);
	return -9999;
}

static void
on_get(const char *url, const char *a)
{
	char call[32], c[16], out[128];
	int arg;

	(void)a;
	if (sscanf(url, "/%31[a-z_]/arg%d/%15s", call, &arg, c) != 3)
		backend_response_str(400, "text/plain", "bad url");
	snprintf(out, sizeof out, "%s arg%d=%s: %ld", call, arg, c,
	    one_call(call, arg, c));
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	char top;

	mem_top = ((uint64_t)(uintptr_t)&top + 0x1fffff) & ~0x1fffffULL;
	memset((char *)(uintptr_t)(mem_top - 64), 'A', 64);
	set_backend_get(on_get);
	wait_for_requests();
}
