/* sys_fetch and sys_request from a request: /fetch fetches arg, /request
 * self-requests arg; the answer is "r=R status=S ct=T body=B" (at most
 * 200 bytes of the body). */
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static void
on_get(const char *url, const char *arg)
{
	struct curl_op op;
	char out[512];
	long r;

	memset(&op, 0, sizeof op);
	if (strcmp(url, "/request") == 0)
		r = sys_request(arg, strlen(arg), &op, NULL, NULL);
	else
		r = sys_fetch(arg, strlen(arg), &op, NULL, NULL);
	snprintf(out, sizeof out, "r=%ld status=%u ct=%.*s body=%.*s", r,
	    op.status, (int)op.ctlen, op.ctype,
	    r == 0 && op.content_length < 200 ? (int)op.content_length : 0,
	    r == 0 ? (const char *)op.content : "");
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
	return 0;
}
