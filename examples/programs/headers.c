/* SPDX-License-Identifier: BSD-2-Clause */
/* headers: answers with the request's method, URL and headers, one per
 * line, and looks one up by name with sys_http_find. */
#include <stdio.h>
#include <tinykvm/kvm_api.h>

static char out[65536];

static void
on_request(const struct kvm_request *r)
{
	char ua[256] = "";
	long ul = sys_http_find(HTTP_REQ, "User-Agent", 10, ua, sizeof ua - 1);
	int n = snprintf(out, sizeof out, "%.*s %.*s\n", r->method_len, r->method,
	    r->url_len, r->url);

	for (unsigned i = 0; i < r->num_headers && n < (int)sizeof out - 512; i++)
		n += snprintf(out + n, sizeof out - (size_t)n, "%.*s\n",
		    (int)r->headers[i].field_len, r->headers[i].field);
	n += snprintf(out + n, sizeof out - (size_t)n, "(your user agent is %s)\n",
	    ul > 0 ? ua : "unknown");
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(void)
{
	set_backend_request(on_request);
	wait_for_requests();
}
