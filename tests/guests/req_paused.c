/* SPDX-License-Identifier: BSD-2-Clause */
/* Paused-style guest: loops on wait_for_requests_paused() and answers
 * with what it got; /crash and /loop misbehave. */
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static int served;

int
main(void)
{
	struct kvm_request req;
	static char out[1024];

	for (;;) {
		wait_for_requests_paused(&req);
		if (req.url_len == 6 && !memcmp(req.url, "/crash", 6))
			*(volatile int *)0 = 1;
		if (req.url_len == 5 && !memcmp(req.url, "/loop", 5))
			for (;;)
				;
		int n = snprintf(out, sizeof out, "paused %.*s %.*s arg=%.*s "
		    "body=%.*s headers=%u served=%d", req.method_len, req.method,
		    req.url_len, req.url, req.arg_len, req.arg,
		    (int)req.content_len, req.content ? (const char *)req.content : "",
		    req.num_headers, served++);
		sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
	}
}
