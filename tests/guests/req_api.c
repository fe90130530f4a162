/* SPDX-License-Identifier: BSD-2-Clause */
/* Request-serving guest exercising the guest API: GET, POST and the
 * request callback (selected by argv[1]), header calls, cacheability,
 * logging, meminfo and the small calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

KVM_API_CALL(unknown_api_call, 0x7ABCD);
extern long unknown_api_call(void);
static int ephemeral;	/* sys_make_ephemeral() in main(): during a
			 * request it would end the request (as published) */

static char out[4096];

static void
on_get(const char *url, const char *arg)
{
	char method[16] = "", ua[64] = "", small[2] = "";
	unsigned long ml = sys_http_method(method, sizeof method);
	unsigned long mlen = sys_http_method(NULL, 0);
	unsigned ul = sys_http_find(HTTP_REQ, "User-Agent", 10, ua, sizeof ua);
	unsigned need = sys_http_find(HTTP_REQ, "User-Agent", 10, NULL, 0);
	unsigned tiny = sys_http_find(HTTP_REQ, "User-Agent", 10, small, sizeof small);
	unsigned missing = sys_http_find(HTTP_REQ, "X-Missing", 9, ua + 40, 10);
	struct meminfo mi;
	struct shared_memory_info shm = shared_memory_area();

	get_meminfo(&mi);
	sys_http_set(HTTP_REQ, "User-Agent", 10);	/* unset */
	unsigned gone = sys_http_find(HTTP_REQ, "User-Agent", 10, NULL, 0);
	http_append_str(HTTP_RESP, "X-Appended: 1");
	sys_http_set(HTTP_RESP, "X-Set: a", 8);
	sys_http_set(HTTP_RESP, "X-Set: b", 8);
	sys_log("hello from the guest", 20);
	sys_set_cacheable(true, 60000, 5000, 1000);
	int n = snprintf(out, sizeof out,
	    "GET url=%s arg=%s method=%.*s/%lu ua=%.*s need=%u tiny=%u "
	    "missing=%u gone=%u maxmem=%d storage=%d debug=%d "
	    "ephemeral=%d shm=%llx-%llx unknown=%ld vm=%d", url, arg, (int)ml,
	    method, mlen, (int)ul, ua, need, tiny, missing, gone,
	    mi.max_memory > 0, sys_is_storage(), sys_is_debug(),
	    ephemeral, (unsigned long long)shm.ptr,
	    (unsigned long long)shm.end, unknown_api_call(), vcpureqid());
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = sum * 31 + data[i];
	int n = snprintf(out, sizeof out, "POST url=%s arg=%s ctype=%s len=%zu "
	    "sum=%u", url, arg, ctype, len, sum);
	struct ResponseHeader h[2] = { { "X-One: 1", 8 }, { "X-Two: 2", 8 } };
	struct BackendResponseExtra ex = { h, 2, true, 30.0f, 10.0f, 5.0f, { 0 } };
	sys_backend_response(201, "application/x-test", 18, out, (size_t)n, &ex);
}

static void
on_request(const struct kvm_request *r)
{
	int n = snprintf(out, sizeof out, "REQ %.*s %.*s arg=%.*s ctype=%.*s "
	    "len=%zu warmup=%d headers=%u:", r->method_len, r->method,
	    r->url_len, r->url, r->arg_len, r->arg, r->content_type_len,
	    r->content_type, r->content_len, r->info_flags, r->num_headers);
	for (unsigned i = 0; i < r->num_headers && n < 3000; i++)
		n += snprintf(out + n, sizeof out - (size_t)n, " [%.*s|%u]",
		    (int)r->headers[i].field_len, r->headers[i].field,
		    r->headers[i].field_colon);
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(int argc, char **argv)
{
	ephemeral = sys_make_ephemeral(0);
	if (argc > 1 && !strcmp(argv[1], "request"))
		set_backend_request(on_request);
	set_backend_get(on_get);
	set_backend_post(on_post);
	wait_for_requests();
}
