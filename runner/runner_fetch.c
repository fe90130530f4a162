/*
 * sys_fetch and sys_request under tinykvm-run: the VMOD's HTTP client
 * (http/http_client.c).  A self-request (sys_request, or a URL that is a path)
 * goes to the prefix given with --self-request, for example a varnishd
 * on http://127.0.0.1:6081; without one it fails with a message saying
 * so, where the VMOD would have gone into Varnish.
 */
#include <errno.h>
#include <stdio.h>

#include "headers.h"
#include "http_client.h"

int
runner_fetch(const char *self_prefix, struct tkvm_fetch *f)
{
	const struct http_client hc = { NULL, self_prefix };

	if (f->self && f->url[0] != '/') {
		f->errcode = EINVAL;
		snprintf(f->error, sizeof f->error, "sys_request takes a path "
		    "(a self-request), not '%.100s'", f->url);
		return -1;
	}
	if (f->url[0] == '/' && self_prefix == NULL) {
		f->errcode = ENOSYS;
		snprintf(f->error, sizeof f->error, "a self-request (%.80s) "
		    "needs --self-request URL-PREFIX", f->url);
		return -1;
	}
	return http_fetch(&hc, f);
}
