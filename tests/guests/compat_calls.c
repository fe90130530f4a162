/*
 * The header and regex calls with the results the published VMOD gives
 * (docs/GUEST_API.md), using only published names: it is built against
 * our kvm_api.h and against tests/guests/published/kvm_api.h, and both
 * builds must answer alike.  GET /http and /regex print what the calls
 * returned; the other URLs make one bad or unserved call each, which must
 * end the request (on_error then shows the reason).
 */
#include <stdio.h>
#include <string.h>
#include "kvm_api.h"

static int copy_re;		/* compiled during initialization */
static char out[4096];
static int n;

#define SAY(...) (n += snprintf(out + n, sizeof out - (size_t)n, __VA_ARGS__))

static void
http_calls(void)
{
	char buf[64];
	long a = sys_http_append(RESP, "X-A: 1", 6);
	long b = sys_http_append(RESP, "X-B: 2", 6);
	long s = sys_http_set(RESP, "X-A: 3", 6);
	long c = sys_http_set(RESP, "X-C: 4", 6);
	unsigned f, f2;
	unsigned long m;

	SAY("append=%d,%d set=%d,%d ", a > 0, b == a + 1, s == a, c == b + 1);
	f = sys_http_find(RESP, "x-a", 3, buf, sizeof buf);
	SAY("find=%u:%.*s ", f, (int)f, buf);
	SAY("null=%u ", sys_http_find(RESP, "X-A", 3, NULL, 0));
	SAY("small=%u ", sys_http_find(RESP, "X-A", 3, buf, 5));
	SAY("exact=%u ", sys_http_find(RESP, "X-A", 3, buf, 6));
	SAY("none=%u ", sys_http_find(RESP, "X-None", 6, buf, sizeof buf));
	s = sys_http_set(RESP, "X-B", 3);
	SAY("unset=%d,", s == b);
	SAY("%ld ", sys_http_set(RESP, "X-B", 3));
	SAY("empty=%ld ", sys_http_set(RESP, "X-D: 1", 0));
	f = sys_http_find(4, "X-In", 4, buf, sizeof buf);
	SAY("where4=%.*s ", (int)f, buf);
	SAY("where5=%d ", sys_http_append(5, "X-Five: 5", 9) > 0);
	f2 = sys_http_find(BEREQ, "X-In", 4, NULL, 0);
	SAY("bereq=%d ", f2 == f && sys_http_find(BERESP, "X-Five", 6, NULL, 0) == 9);
	m = sys_http_method(buf, sizeof buf);
	SAY("method=%.*s/%lu/", (int)m, buf, sys_http_method(NULL, 0));
	SAY("%lu", sys_http_method(buf, 2));
}

static void
regex_calls(void)
{
	char dst[64];
	int r1 = sys_regex_compile(": .*", 4);
	int r2 = sys_regex_compile(": .*", 4);
	int g = sys_regex_compile("([a-z])([0-9])", 14);
	int e = sys_regex_compile("^$", 2);
	long s;

	SAY("handle=%d same=%d ", r1 >= 0, r1 == r2);
	SAY("match=%d nomatch=%d empty=%d ", sys_regex_match(r1, "X-V: 5", 6) > 0,
	    sys_regex_match(r1, "none", 4), sys_regex_match(e, "", 0) > 0);
	s = sys_regex_subst(r1, "X-Value: 5", ": 666", dst, sizeof dst, 0);
	SAY("subst=%ld:%s ", s, dst);
	s = sys_regex_subst(g, "a1 b2 c3", "\\2\\1", dst, sizeof dst, 1);
	SAY("all=%ld:%s ", s, dst);
	s = sys_regex_subst(g, "a1 b2 c3", "<\\0|\\7|\\q>", dst, sizeof dst, 0);
	SAY("first=%ld:%s ", s, dst);
	s = sys_regex_subst(g, "none", "x", dst, sizeof dst, 1);
	SAY("nomatch=%ld:%s ", s, dst);
	memset(dst, '#', sizeof dst);
	s = sys_regex_subst(r1, "X-Value: 5", ": 666", dst, 4, 0);
	SAY("cut=%ld:%.5s ", s, dst);
	SAY("copied=%d ", sys_regex_copyto(copy_re, REQ, RESP));
	sys_regex_free(r1);
	SAY("again=%d", sys_regex_compile(": .*", 4) >= 0);
}

static void
on_get(const char *url, const char *arg)
{
	char p[16];
	char res[8];
	struct virtbuffer vb = { "a", 1 };

	(void)arg;
	n = 0;
	if (!strcmp(url, "/http"))
		http_calls();
	if (!strcmp(url, "/regex"))
		regex_calls();
	if (!strcmp(url, "/leak"))
		SAY("handle=%d", sys_regex_compile("leak[0-9]", 9));
	if (!strcmp(url, "/use1"))
		SAY("match=%d", sys_regex_match(1, "leak1", 5));
	if (!strcmp(url, "/limit"))
		for (int i = 0; i < 100; i++) {
			snprintf(p, sizeof p, "p%d", i);
			SAY("%d ", sys_regex_compile(p, strlen(p)));
		}
	if (!strcmp(url, "/badpattern"))
		sys_regex_compile("(", 1);
	if (!strcmp(url, "/badhandle"))
		sys_regex_match(99, "a", 1);
	if (!strcmp(url, "/badfree"))
		sys_regex_free(99);
	if (!strcmp(url, "/badsubst"))
		sys_regex_subst(-1, "a", "b", res, sizeof res, 0);
	if (!strcmp(url, "/badcopy"))
		sys_regex_copyto(42, REQ, RESP);
	if (!strcmp(url, "/where9"))
		sys_http_find(9, "X-In", 4, NULL, 0);
	if (!strcmp(url, "/where4"))
		sys_http_find(4, "X-In", 4, NULL, 0);
	if (!strcmp(url, "/storage"))
		storage_callv(NULL, 1, &vb, res, sizeof res);
	if (!strcmp(url, "/multiprocess"))
		SAY("multiprocess=%ld wait=%ld", multiprocess(2, NULL, NULL),
		    multiprocess_wait());
	if (!strcmp(url, "/stream"))
		begin_streaming_response(200, "text/plain", 10, 5, NULL, NULL);
	if (!strcmp(url, "/noreturn"))
		storage_noreturn("x", 1);
	backend_response_str(200, "text/plain", out);
}

static void
on_error(const char *url, const char *arg, const char *exception)
{
	(void)arg;
	n = snprintf(out, sizeof out, "on_error %s: %s", url, exception);
	backend_response_str(500, "text/plain", out);
}

int
main(void)
{
	copy_re = sys_regex_compile("^X-Copy", 7);
	set_backend_get(on_get);
	set_on_error(on_error);
	wait_for_requests();
}
