/* SPDX-License-Identifier: BSD-2-Clause */
/* json: validates the POSTed JSON document and answers it minified
 * (200), or says where it is wrong (400). */
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

struct scan {
	const char *p, *end;
	char *out;
	size_t n;
	const char *error;
};

static void value(struct scan *s, int depth);

static void
space(struct scan *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p))
		s->p++;
}

static void
emit(struct scan *s, char c)
{
	s->out[s->n++] = c;
}

static int
expect(struct scan *s, char c)
{
	space(s);
	if (s->p < s->end && *s->p == c) {
		emit(s, *s->p++);
		return 1;
	}
	return 0;
}

static void
string(struct scan *s)
{
	emit(s, *s->p++);
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20) {
			s->error = "control character in string";
			return;
		}
		if (*s->p == '\\') {
			emit(s, *s->p++);
			if (s->p >= s->end || !strchr("\"\\/bfnrtu", *s->p)) {
				s->error = "bad escape";
				return;
			}
		}
		emit(s, *s->p++);
	}
	if (s->p >= s->end) {
		s->error = "unterminated string";
		return;
	}
	emit(s, *s->p++);
}

static void
members(struct scan *s, int depth, char close, int keyed)
{
	if (expect(s, close))
		return;
	do {
		space(s);
		if (keyed) {
			if (s->p >= s->end || *s->p != '"') {
				s->error = "expected a string key";
				return;
			}
			string(s);
			if (s->error || !expect(s, ':')) {
				s->error = s->error ? s->error : "expected ':'";
				return;
			}
		}
		value(s, depth + 1);
		if (s->error)
			return;
	} while (expect(s, ','));
	if (!expect(s, close))
		s->error = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
}

static void
value(struct scan *s, int depth)
{
	space(s);
	if (depth > 256) {
		s->error = "nested too deeply";
		return;
	}
	if (s->p >= s->end) {
		s->error = "unexpected end";
		return;
	}
	if (*s->p == '{' || *s->p == '[') {
		char close = *s->p == '{' ? '}' : ']';
		emit(s, *s->p++);
		members(s, depth, close, close == '}');
	} else if (*s->p == '"') {
		string(s);
	} else {
		const char *start = s->p;
		while (s->p < s->end && strchr("+-.0123456789eEtruefalsn", *s->p))
			emit(s, *s->p++);
		if (s->p == start)
			s->error = "unexpected character";
	}
}

static char out[16 << 20];

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	struct scan s = { (const char *)data, (const char *)data + len, out, 0, NULL };

	(void)url; (void)arg; (void)ctype;
	if (len > sizeof out) {
		backend_response_str(413, "text/plain", "document too large\n");
	}
	value(&s, 0);
	space(&s);
	if (s.error == NULL && s.p != s.end)
		s.error = "text after the document";
	if (s.error != NULL) {
		char msg[128];
		int n = snprintf(msg, sizeof msg, "invalid JSON at byte %zu: %s\n",
		    (size_t)(s.p - (const char *)data), s.error);
		sys_backend_response(400, "text/plain", 10, msg, (size_t)n, NULL);
	}
	sys_backend_response(200, "application/json", 16, out, s.n, NULL);
}

int
main(void)
{
	set_backend_post(on_post);
	wait_for_requests();
}
