/*
 * The HTTP client of sys_fetch, sys_request and the chain's fetch step
 * (libcurl), shared by the VMOD and tinykvm-run.
 */
#ifndef TKVM_HTTP_CLIENT_H
#define TKVM_HTTP_CLIENT_H

#include <tinykvm/engine.h>

/* Where a relative URL (a self-request) goes: the Unix socket when set,
 * else self_prefix + path, else http://127.0.0.1:6081 + path. */
struct http_client {
	const char *self_socket;
	const char *self_prefix;
};

/* Does f, all of it within f->timeout seconds (<= 0: 10): 0 with
 * f->status, a malloc'd body, headers (when asked) and content type, or
 * -1 with f->errcode (an errno value) and f->error. */
int http_fetch(const struct http_client *hc, struct tkvm_fetch *f);

#endif
