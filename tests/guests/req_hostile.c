/* SPDX-License-Identifier: BSD-2-Clause */
/* Misbehaves according to the URL; /ok answers normally. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

#define WILD ((const void *)0xffffffffffff0000UL)
static char big[100 * 1024];

static void
on_error(const char *url, const char *arg, const char *exception)
{
	char out[512];
	size_t n = 0;

	(void)arg;
	for (const char *p = "on_error for "; *p; p++) out[n++] = *p;
	for (const char *p = url; *p && n < 200; p++) out[n++] = *p;
	out[n++] = ':'; out[n++] = ' ';
	for (const char *p = exception; *p && n < 500; p++) out[n++] = *p;
	sys_backend_response(500, "text/plain", 10, out, n, NULL);
}

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	if (!strcmp(url, "/crash")) *(volatile int *)0 = 1;
	if (!strcmp(url, "/loop")) for (;;) ;
	if (!strcmp(url, "/ud2")) __asm__ volatile("ud2");
	if (!strcmp(url, "/return")) return;
	if (!strcmp(url, "/status0")) sys_backend_response(0, "a", 1, "b", 1, NULL);
	if (!strcmp(url, "/status199")) sys_backend_response(199, "a", 1, "b", 1, NULL);
	if (!strcmp(url, "/status600")) sys_backend_response(600, "a", 1, "b", 1, NULL);
	if (!strcmp(url, "/status-1")) sys_backend_response(-1, "a", 1, "b", 1, NULL);
	if (!strcmp(url, "/ctype-null")) sys_backend_response(200, NULL, 5, "b", 1, NULL);
	if (!strcmp(url, "/body-wild")) sys_backend_response(200, "a", 1, WILD, 10, NULL);
	if (!strcmp(url, "/body-huge")) sys_backend_response(200, "a", 1, "b", 1UL << 62, NULL);
	if (!strcmp(url, "/body-wrap")) sys_backend_response(200, "a", 1,
	    (const void *)0xfffffffffffff000UL, 0x2000, NULL);
	if (!strcmp(url, "/extra-wild")) sys_backend_response(200, "a", 1, "b", 1,
	    (const struct BackendResponseExtra *)WILD);
	/* What a program built with the older five-argument header leaves
	 * in the sixth register: not a structure, so no extra. */
	if (!strcmp(url, "/extra-small")) sys_backend_response(200, "a", 1, "b", 1,
	    (const struct BackendResponseExtra *)3);
	if (!strcmp(url, "/extra-zero")) {
		struct BackendResponseExtra ex = { NULL, 0, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, "a", 1, "b", 1, &ex);
	}
	if (!strcmp(url, "/extra-many")) {
		struct BackendResponseExtra ex = { NULL, 1000, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, "a", 1, "b", 1, &ex);
	}
	if (!strcmp(url, "/ctype-crlf"))
		sys_backend_response(200, "text/plain\r\nX-Injected: 1", 25, "b", 1, NULL);
	if (!strcmp(url, "/extra-crlf")) {
		struct ResponseHeader h = { "X-A: 1\r\nX-Injected: 1", 22 };
		struct BackendResponseExtra ex = { &h, 1, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, "a", 1, "b", 1, &ex);
	}
	if (!strcmp(url, "/extra-badname")) {
		struct ResponseHeader h = { "Bad Name: 1", 11 };
		struct BackendResponseExtra ex = { &h, 1, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, "a", 1, "b", 1, &ex);
	}
	if (!strcmp(url, "/extra-nocolon")) {
		struct ResponseHeader h = { "NoColon", 7 };
		struct BackendResponseExtra ex = { &h, 1, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, "a", 1, "b", 1, &ex);
	}
	/* Bad arguments to the header calls end the request, as published. */
	if (!strcmp(url, "/append-wild")) sys_http_append(HTTP_RESP, WILD, 10);
	if (!strcmp(url, "/append-huge")) sys_http_append(HTTP_RESP, "X: y", 1UL << 62);
	if (!strcmp(url, "/append-nocolon")) sys_http_append(HTTP_RESP, "NoColon", 7);
	if (!strcmp(url, "/append-where")) sys_http_append(7, "X: y", 4);
	if (!strcmp(url, "/append-64k")) {
		memset(big, 'a', sizeof big);
		memcpy(big, "X: ", 3);
		sys_http_append(HTTP_RESP, big, 0x10000);
	}
	if (!strcmp(url, "/set-wild")) sys_http_set(HTTP_RESP, WILD, 5);
	if (!strcmp(url, "/find-wild")) sys_http_find(HTTP_REQ, WILD, 5, NULL, 0);
	if (!strcmp(url, "/find-out-wild")) {
		sys_http_append(HTTP_RESP, "X-A: 1", 6);
		sys_http_find(HTTP_RESP, "X-A", 3, (char *)WILD, 100);
	}
	if (!strcmp(url, "/method-wild")) sys_http_method((char *)WILD, 100);
	if (!strcmp(url, "/meminfo-wild")) get_meminfo((struct meminfo *)WILD);
	if (!strcmp(url, "/log-wild")) sys_log(WILD, 10);
	if (!strcmp(url, "/bad-calls")) {
		/* As published, the length is 16 bits: 2^62 logs nothing, and
		 * the request goes on. */
		sys_log("x", 1UL << 62);
		backend_response_str(200, "text/plain", "all refused");
	}
	backend_response_str(200, "text/plain", "ok");
}

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "on_error"))
		set_on_error(on_error);
	set_backend_get(on_get);
	wait_for_requests();
}
