/* SPDX-License-Identifier: BSD-2-Clause */
/* The hostile-input catalogue of guest API calls: GET /CALL/argN/CASE
 * makes one call with argument N replaced by a bad pointer (null, page1,
 * system, kernel, wrap, straddle) or a bad length (len0, len1, huge,
 * negative; wide and wide32: the valid length plus 2^16 or 2^32, which the
 * published host cuts to 16 or 32 bits; long: 2000, or a 70,000-byte
 * string), the others valid, and answers with the call's result; a call
 * that ends the request instead leaves its reason to the host.  The calls
 * ending in 0 pass length 0 with the bad pointer.  With the argument
 * "register" main() registers a callback at a bad address.
 * tests/requests/api_catalogue.sh asserts every outcome exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static uint64_t mem_top;
static char buf[4096] __attribute__((aligned(64)));
static char longtext[70001];

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
	if (!strcmp(c, "wide")) return valid + (1ULL << 16);
	if (!strcmp(c, "wide32")) return valid + (1ULL << 32);
	if (!strcmp(c, "long")) return len != 0 ? (uint64_t)(uintptr_t)longtext : 2000;
	return valid;
}

#define PTR(n, v, len)	(arg == (n) ? bad(c, (uint64_t)(uintptr_t)(v), len) : (uint64_t)(uintptr_t)(v))
#define LEN(n, v)	(arg == (n) ? bad(c, v, 0) : (uint64_t)(v))

/* Runs in the storage VM: gives back its first buffer. */
static void
give_back(size_t n, struct virtbuffer b[], size_t res)
{
	(void)res;
	if (n == 0)
		storage_return("none", 4);
	storage_return(b[0].data, b[0].len);
}

static void
task(void *data, size_t len)
{
	(void)data; (void)len;
}

static long
one_call(const char *call, int arg, const char *c)
{
	static const char field[] = "X-Cat: yes", key[] = "X-Cat";
	static const char ctype[] = "text/plain", pattern[] = "^/a";
	struct meminfo mi;
	struct curl_op op;
	struct curl_fields cf;
	struct curl_options opts;
	struct virtbuffer vb = { "abc", 3 };
	char res[8];

	memset(&op, 0, sizeof op);
	memset(&cf, 0, sizeof cf);
	memset(&opts, 0, sizeof opts);
	opts.follow_location = 1;
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
	if (!strcmp(call, "regex_compile0"))
		return sys_regex_compile((const char *)PTR(0, pattern, 3), 0);
	if (!strcmp(call, "regex_match0")) {
		int h = sys_regex_compile(pattern, 3);
		return sys_regex_match(h, (const char *)PTR(1, "/abc", 4), 0);
	}
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
	if (!strcmp(call, "log0"))
		return (sys_log((const char *)PTR(0, "line", 4), 0), 0);
	if (!strcmp(call, "get_meminfo"))
		return (get_meminfo((struct meminfo *)PTR(0, &mi, 32)), 0);
	if (!strcmp(call, "fetch"))
		return sys_fetch((const char *)PTR(0, "http://127.0.0.1:9/", 19),
		    LEN(1, 19), (struct curl_op *)PTR(2, &op, 176),
		    (struct curl_fields *)PTR(3, &cf, 120),
		    (struct curl_options *)PTR(4, &opts, 24));
	if (!strcmp(call, "fetch_field")) {
		cf.ptr[0] = (const char *)PTR(0, "X-A: b", 6);
		cf.len[0] = (uint16_t)LEN(1, 6);
		return sys_fetch("http://127.0.0.1:9/", 19, &op, &cf, NULL);
	}
	if (!strcmp(call, "storage_callv"))
		return storage_callv(give_back, LEN(1, 1),
		    (const struct virtbuffer *)PTR(2, &vb, 16),
		    (void *)PTR(3, res, 8), LEN(4, 8));
	if (!strcmp(call, "storage_buffer")) {
		vb.data = (const void *)PTR(0, "abc", 3);
		vb.len = LEN(1, 3);
		return storage_callv(give_back, 1, &vb, res, sizeof res);
	}
	if (!strcmp(call, "storage_task"))
		return sys_storage_task(task, (const void *)PTR(1, "data", 4),
		    LEN(2, 4), 0, 0);
	if (!strcmp(call, "make_ephemeral"))
		return sys_make_ephemeral(0);
	if (!strcmp(call, "wait_for_requests"))	/* ends the request */
		wait_for_requests();
	if (!strcmp(call, "set_cacheable"))	/* -1 outside a backend */
		return sys_set_cacheable(false, 0, 0, 0);
	return -9999;
}

static void
on_get(const char *url, const char *a)
{
	char call[32], c[16], out[128];
	int arg;

	(void)a;
	if (sscanf(url, "/%31[a-z_0-9]/arg%d/%15s", call, &arg, c) != 3)
		backend_response_str(400, "text/plain", "bad url");
	snprintf(out, sizeof out, "%s arg%d=%s: %ld", call, arg, c,
	    one_call(call, arg, c));
	backend_response_str(200, "text/plain", out);
}

int
main(int argc, char **argv)
{
	char top;

	memset(longtext, 'a', sizeof longtext - 1);
	if (argc > 1 && !strcmp(argv[1], "register"))
		register_func(KVM_CB_ERROR, (void *)0x1000);
	if (argc > 1 && !strcmp(argv[1], "slot"))
		register_func(13, on_get);

	mem_top = ((uint64_t)(uintptr_t)&top + 0x1fffff) & ~0x1fffffULL;
	memset((char *)(uintptr_t)(mem_top - 64), 'A', 64);
	set_backend_get(on_get);
	wait_for_requests();
}
