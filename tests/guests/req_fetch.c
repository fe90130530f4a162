/* SPDX-License-Identifier: BSD-2-Clause */
/* sys_fetch and sys_request from a request: /fetch fetches arg, /request
 * self-requests arg; the answer is "r=R status=S ct=T body=B" (at most
 * 200 bytes of the body).  /into fetches into a 16-byte content buffer of
 * the program's, /small into one of 4 bytes, and /nomem first maps all of
 * its free address space, so no buffer can be made for the body. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <tinykvm/kvm_api.h>

static char into[16];

static void
fill_address_space(void)
{
	for (size_t size = 1ULL << 34; size >= 4096; size /= 2)
		while (mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
			;
}

static void
on_get(const char *url, const char *arg)
{
	struct curl_op op;
	char out[512];
	long r;

	memset(&op, 0, sizeof op);
	if (!strcmp(url, "/into") || !strcmp(url, "/small")) {
		op.content = into;
		op.content_length = url[1] == 'i' ? sizeof into : 4;
	}
	if (!strcmp(url, "/nomem"))
		fill_address_space();
	if (strcmp(url, "/request") == 0)
		r = sys_request(arg, strlen(arg), &op, NULL, NULL);
	else
		r = sys_fetch(arg, strlen(arg), &op, NULL, NULL);
	snprintf(out, sizeof out, "r=%ld status=%u ct=%.*s body=%.*s%s", r,
	    op.status, (int)op.ctlen, op.ctype,
	    r == 0 && op.content_length < 200 ? (int)op.content_length : 0,
	    r == 0 ? (const char *)op.content : "",
	    r == 0 && op.content == into ? " (into its buffer)" : "");
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
	return 0;
}
