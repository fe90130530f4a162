/* Calls made the way the published example programs make them (see
 * docs/COMPATIBILITY.md, "Published examples"), answering what the host
 * gave back:
 *   /noheaders URL  sys_fetch with a zeroed curl_op: no header fields are
 *                   collected (only a headers_length of 64 or more asks)
 *   /gzip URL       headers_length 16384 and no buffer, "Accept-Encoding:
 *                   gzip" sent: the fields arrive in a new mapping ending
 *                   in NUL, and the body as the origin encoded it
 *   /empty          "Content-Disposition: " (empty value) appended to the
 *                   response: the published host refuses a field ending in
 *                   a space, and so must we (the request fails)
 *   /unset          a field set, then unset by its bare key */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static void
no_headers(const char *url)
{
	struct curl_op op = {0};
	char out[256];
	long r = sys_fetch(url, strlen(url), &op, NULL, NULL);

	snprintf(out, sizeof out, "r=%ld status=%u headers=%s hlen=%u", r,
	    op.status, op.headers == NULL ? "none" : "some", op.headers_length);
	backend_response_str(200, "text/plain", out);
}

static void
gzip_origin(const char *url)
{
	struct curl_op op = {0};
	struct curl_fields fields = {0};
	const unsigned char *body;
	char out[256];
	long r;

	op.headers_length = 16384;
	CURL_SETFIELD(fields, 0, "Accept-Encoding: gzip");
	r = sys_fetch(url, strlen(url), &op, &fields, NULL);
	body = op.content;
	snprintf(out, sizeof out, "r=%ld status=%u encoding=%s raw=%02x%02x nul=%d",
	    r, op.status,
	    op.headers && strcasestr(op.headers, "Content-Encoding: gzip") ? "gzip" : "none",
	    op.content_length >= 2 ? body[0] : 0, op.content_length >= 2 ? body[1] : 0,
	    op.headers != NULL && op.headers[op.headers_length] == '\0');
	backend_response_str(200, "text/plain", out);
}

static void
on_get(const char *url, const char *arg)
{
	if (strcmp(url, "/noheaders") == 0) {
		no_headers(arg);
	} else if (strcmp(url, "/gzip") == 0) {
		gzip_origin(arg);
	} else if (strcmp(url, "/empty") == 0) {
		http_appendf(RESP, "Content-Disposition: %s", "");
		backend_response_str(200, "text/plain", "appended");
	} else {
		http_set_str(RESP, "Content-Encoding: gzip");
		http_set_str(RESP, "Content-Encoding");
		backend_response_str(200, "text/plain", "unset");
	}
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
	return 0;
}
