#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 64

struct parser {
	const char *p, *end;
	const char *line_start;
	unsigned line;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
fail(struct parser *ps, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "line %u, column %u: %s", ps->line,
	    (unsigned)(ps->p - ps->line_start) + 1, msg);
}

static void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->line_start = ++ps->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '/') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '*') {
			ps->p += 2;
			while (ps->p + 1 < ps->end && !(ps->p[0] == '*' && ps->p[1] == '/')) {
				if (*ps->p == '\n') {
					ps->line++;
					ps->line_start = ps->p + 1;
				}
				ps->p++;
			}
			if (ps->p + 1 >= ps->end) {
				fail(ps, "unterminated comment");
				return;
			}
			ps->p += 2;
		} else {
			return;
		}
	}
}

static struct json_value *
new_value(struct parser *ps, enum json_type t)
{
	struct json_value *v = calloc(1, sizeof *v);

	if (v == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	v->type = t;
	v->line = ps->line;
	v->column = (unsigned)(ps->p - ps->line_start) + 1;
	return v;
}

static struct json_value *parse_value(struct parser *ps, int depth);

static int
hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;

	if (ps->end - ps->p < 4) {
		fail(ps, "truncated \\u escape");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else {
			fail(ps, "bad hex digit in \\u escape");
			return -1;
		}
	}
	*out = v;
	return 0;
}

static size_t
utf8_put(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
escape(struct parser *ps, char *out, size_t *n)
{
	unsigned cp, lo;
	char c = *ps->p++;

	switch (c) {
	case '"': case '\\': case '/': out[(*n)++] = c; return 0;
	case 'b': out[(*n)++] = '\b'; return 0;
	case 'f': out[(*n)++] = '\f'; return 0;
	case 'n': out[(*n)++] = '\n'; return 0;
	case 'r': out[(*n)++] = '\r'; return 0;
	case 't': out[(*n)++] = '\t'; return 0;
	case 'u': break;
	default:
		ps->p--;
		fail(ps, "bad escape '\\%c' in string", c);
		return -1;
	}
	if (hex4(ps, &cp))
		return -1;
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
			fail(ps, "unpaired UTF-16 surrogate in \\u escape");
			return -1;
		}
		ps->p += 2;
		if (hex4(ps, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff) {
			fail(ps, "bad UTF-16 low surrogate in \\u escape");
			return -1;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail(ps, "unpaired UTF-16 surrogate in \\u escape");
		return -1;
	}
	*n += utf8_put(out + *n, cp);
	return 0;
}

static char *
parse_string_raw(struct parser *ps, size_t *lenp)
{
	const char *start = ++ps->p;	/* past the quote */
	char *out;
	size_t n = 0;

	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\')
			ps->p++;
		if (ps->p < ps->end)
			ps->p++;
	}
	if (ps->p >= ps->end) {
		fail(ps, "unterminated string");
		return NULL;
	}
	out = malloc((size_t)(ps->p - start) + 1);
	if (out == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	ps->p = start;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20) {
			fail(ps, "control character in string");
			free(out);
			return NULL;
		}
		if (c == '\\') {
			ps->p++;
			if (escape(ps, out, &n)) {
				free(out);
				return NULL;
			}
		} else {
			out[n++] = (char)c;
			ps->p++;
		}
	}
	ps->p++;
	out[n] = '\0';
	*lenp = n;
	return out;
}

static int
push_member(struct parser *ps, struct json_value *v, char *key,
    struct json_value *item)
{
	char **keys = v->keys;
	struct json_value **items = realloc(v->items, (v->len + 1) * sizeof *items);

	if (items == NULL)
		goto oom;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = realloc(v->keys, (v->len + 1) * sizeof *keys);
		if (keys == NULL)
			goto oom;
		v->keys = keys;
		keys[v->len] = key;
	}
	items[v->len++] = item;
	return 0;
oom:
	fail(ps, "out of memory");
	return -1;
}

static struct json_value *
parse_object(struct parser *ps, int depth)
{
	struct json_value *v = new_value(ps, JSON_OBJECT);

	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return v;
	}
	while (v != NULL && !ps->failed) {
		char *key;
		size_t klen;
		struct json_value *item;

		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, ps->p < ps->end && *ps->p == '}' ?
			    "trailing comma in object" : "expected a string key");
			break;
		}
		key = parse_string_raw(ps, &klen);
		if (key == NULL)
			break;
		if (json_get(v, key) != NULL) {
			fail(ps, "duplicate key '%s'", key);
			free(key);
			break;
		}
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			fail(ps, "expected ':' after key '%s'", key);
			free(key);
			break;
		}
		ps->p++;
		item = parse_value(ps, depth + 1);
		if (item == NULL || push_member(ps, v, key, item)) {
			free(key);
			json_free(item);
			break;
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return v;
		}
		fail(ps, "expected ',' or '}' after object member");
	}
	json_free(v);
	return NULL;
}

static struct json_value *
parse_array(struct parser *ps, int depth)
{
	struct json_value *v = new_value(ps, JSON_ARRAY);

	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return v;
	}
	while (v != NULL && !ps->failed) {
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ']') {
			fail(ps, "trailing comma in array");
			break;
		}
		struct json_value *item = parse_value(ps, depth + 1);
		if (item == NULL || push_member(ps, v, NULL, item)) {
			json_free(item);
			break;
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return v;
		}
		fail(ps, "expected ',' or ']' after array element");
	}
	json_free(v);
	return NULL;
}

static struct json_value *
parse_number(struct parser *ps)
{
	struct json_value *v;
	const char *s = ps->p;
	char buf[64], *end;
	size_t n;

	if (*s == '-')
		s++;
	if (s >= ps->end || *s < '0' || *s > '9') {
		fail(ps, "unexpected character '%c'", *ps->p);
		return NULL;
	}
	if (*s == '0' && s + 1 < ps->end && s[1] >= '0' && s[1] <= '9') {
		fail(ps, "leading zero in number");
		return NULL;
	}
	while (s < ps->end && strchr("0123456789+-.eE", *s) != NULL)
		s++;
	n = (size_t)(s - ps->p);
	if (n >= sizeof buf) {
		fail(ps, "number too long");
		return NULL;
	}
	memcpy(buf, ps->p, n);
	buf[n] = '\0';
	v = new_value(ps, JSON_NUMBER);
	if (v == NULL)
		return NULL;
	errno = 0;
	v->number = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v->number)) {
		fail(ps, "bad number '%s'", buf);
		free(v);
		return NULL;
	}
	v->is_integer = strpbrk(buf, ".eE") == NULL;
	ps->p = s;
	return v;
}

static struct json_value *
parse_word(struct parser *ps, const char *word, enum json_type t, bool b)
{
	size_t n = strlen(word);
	struct json_value *v;

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, "unexpected character '%c'", *ps->p);
		return NULL;
	}
	v = new_value(ps, t);
	if (v != NULL)
		v->boolean = b;
	ps->p += n;
	return v;
}

static struct json_value *
parse_value(struct parser *ps, int depth)
{
	struct json_value *v;

	skip_space(ps);
	if (ps->failed)
		return NULL;
	if (depth > MAX_DEPTH) {
		fail(ps, "nested deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{': return parse_object(ps, depth);
	case '[': return parse_array(ps, depth);
	case '"':
		v = new_value(ps, JSON_STRING);
		if (v != NULL && (v->string = parse_string_raw(ps, &v->len)) == NULL) {
			free(v);
			v = NULL;
		}
		return v;
	case 't': return parse_word(ps, "true", JSON_BOOL, true);
	case 'f': return parse_word(ps, "false", JSON_BOOL, false);
	case 'n': return parse_word(ps, "null", JSON_NULL, false);
	default: return parse_number(ps);
	}
}

struct json_value *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { text, text + len, text, 1, err, errlen, false };
	struct json_value *v = parse_value(&ps, 0);

	if (v != NULL) {
		skip_space(&ps);
		if (ps.p < ps.end && !ps.failed)
			fail(&ps, "unexpected text after the JSON value");
	}
	if (ps.failed) {
		json_free(v);
		return NULL;
	}
	return v;
}

void
json_free(struct json_value *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; (v->type == JSON_ARRAY || v->type == JSON_OBJECT) &&
	    i < v->len; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *
json_type_name(enum json_type t)
{
	static const char *const names[] = { "null", "a boolean", "a number",
	    "a string", "an array", "an object" };

	return names[t];
}
