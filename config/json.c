/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON reader, a recursive descent parser building a DOM: its
 * structure (values, objects, arrays, literals), white space, comments
 * and error positions.  Strings and numbers are read in json_scalar.c,
 * the DOM is in json_value.c, the writer in json_write.c.  See json.h
 * for what is accepted and refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

/* ---- Reader: positions and errors ---- */

void
json_fail_at(struct parser *ps, const char *pos, const char *fmt, ...)
{
	unsigned line = 1, column = 1;
	char msg[256];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	/* Errors are rare: count lines and characters from the start. */
	for (const char *s = ps->start; s < pos; s++) {
		if (*s == '\n') {
			line++;
			column = 1;
		} else if (((unsigned char)*s & 0xc0) != 0x80) {
			column++;	/* not a UTF-8 continuation byte */
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "line %u, column %u: %s", line,
		    column, msg);
}

#define fail(ps, ...) json_fail_at((ps), (ps)->p, __VA_ARGS__)

/* Describes the character at p for a message: 'x' or byte 0xNN. */
const char *
json_describe(const struct parser *ps, const char *p, char *buf, size_t n)
{
	unsigned char c;

	if (p >= ps->end)
		return "end of input";
	c = (unsigned char)*p;
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, n, "character '%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

/* Fails with "expected WHAT", or says the input ended. */
void
json_expected(struct parser *ps, const char *what)
{
	if (ps->p >= ps->end)
		fail(ps, "unexpected end of input, expected %s", what);
	else
		fail(ps, "expected %s", what);
}

/* ---- Reader: white space and comments ---- */

/* Skips a block comment starting at ps->p ("/" "*"). */
static void
skip_block_comment(struct parser *ps)
{
	const char *open = ps->p;

	for (ps->p += 2; ps->p + 1 < ps->end; ps->p++) {
		if (ps->p[0] == '*' && ps->p[1] == '/') {
			ps->p += 2;
			return;
		}
		if (ps->p[0] == '\n')
			ps->line++;
	}
	ps->p = ps->end;
	json_fail_at(ps, open, "unterminated comment");
}

static void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end && !ps->failed) {
		char c = *ps->p;
		char next = ps->p + 1 < ps->end ? ps->p[1] : '\0';

		if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '/' && next == '/') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '/' && next == '*') {
			skip_block_comment(ps);
		} else {
			return;
		}
	}
}

/* ---- Reader: values ---- */

struct json_value *
json_new_value(struct parser *ps, enum json_type t)
{
	struct json_value *v = calloc(1, sizeof *v);

	if (v == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	v->type = t;
	v->line = ps->line;
	return v;
}

static struct json_value *parse_value(struct parser *ps, unsigned depth);

/* Appends item (and key, for objects) to container v; cap is its room. */
static int
push_member(struct parser *ps, struct json_value *v, size_t *cap, char *key,
    struct json_value *item)
{
	if (v->len == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct json_value **items = realloc(v->items, ncap * sizeof *items);
		if (items == NULL)
			goto oom;
		v->items = items;
		if (v->type == JSON_OBJECT) {
			char **keys = realloc(v->keys, ncap * sizeof *keys);
			if (keys == NULL)
				goto oom;
			v->keys = keys;
		}
		*cap = ncap;
	}
	if (v->type == JSON_OBJECT)
		v->keys[v->len] = key;
	v->items[v->len++] = item;
	return 0;
oom:
	fail(ps, "out of memory");
	return -1;
}

/* Parses one "key": value member into object v. */
static int
parse_member(struct parser *ps, struct json_value *v, size_t *cap,
    unsigned depth)
{
	const char *at = ps->p;
	struct json_value *item;
	char *key, buf[64];
	size_t klen;

	key = json_parse_string_raw(ps, &klen);
	if (key == NULL)
		return -1;
	if (json_get(v, key) != NULL) {
		json_fail_at(ps, at, "duplicate key '%s'", printable(key, buf, sizeof buf));
		free(key);
		return -1;
	}
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != ':') {
		if (!ps->failed) {
			char what[100];
			snprintf(what, sizeof what, "':' after key '%s'",
			    printable(key, buf, sizeof buf));
			json_expected(ps, what);
		}
		free(key);
		return -1;
	}
	ps->p++;
	item = parse_value(ps, depth);
	if (item == NULL || push_member(ps, v, cap, key, item) != 0) {
		free(key);
		json_free(item);
		return -1;
	}
	return 0;
}

/* After '{' or ',': there must be a key; returns -1 if there is none. */
static int
object_key_ahead(struct parser *ps, bool after_comma)
{
	skip_space(ps);
	if (ps->failed)
		return -1;
	if (ps->p < ps->end && *ps->p == '"')
		return 0;
	if (after_comma && ps->p < ps->end && *ps->p == '}')
		fail(ps, "trailing comma in object");
	else
		json_expected(ps, after_comma ? "a string key" : "a string key or '}'");
	return -1;
}

static struct json_value *
parse_object(struct parser *ps, unsigned depth)
{
	struct json_value *v = json_new_value(ps, JSON_OBJECT);
	size_t cap = 0;

	ps->p++;
	if (v == NULL)
		return NULL;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return v;
	}
	for (bool comma = false; ; comma = true) {
		if (object_key_ahead(ps, comma) != 0 ||
		    parse_member(ps, v, &cap, depth) != 0)
			break;
		skip_space(ps);
		if (ps->failed)
			break;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return v;
		}
		json_expected(ps, "',' or '}' after object member");
		break;
	}
	json_free(v);
	return NULL;
}

static struct json_value *
parse_array(struct parser *ps, unsigned depth)
{
	struct json_value *v = json_new_value(ps, JSON_ARRAY);
	size_t cap = 0;

	ps->p++;
	if (v == NULL)
		return NULL;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return v;
	}
	for (;;) {
		struct json_value *item;

		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ']' && v->len > 0) {
			fail(ps, "trailing comma in array");
			break;
		}
		item = parse_value(ps, depth);
		if (item == NULL || push_member(ps, v, &cap, NULL, item) != 0) {
			json_free(item);
			break;
		}
		skip_space(ps);
		if (ps->failed)
			break;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return v;
		}
		json_expected(ps, "',' or ']' after array element");
		break;
	}
	json_free(v);
	return NULL;
}

/* true, false or null. */
static struct json_value *
parse_word(struct parser *ps, const char *word, enum json_type t, bool b)
{
	size_t n = strlen(word);
	const char *after = ps->p + n;
	struct json_value *v;

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0 ||
	    (after < ps->end && ((*after >= 'a' && *after <= 'z') ||
	    (*after >= 'A' && *after <= 'Z') || (*after >= '0' && *after <= '9')))) {
		fail(ps, "invalid literal (did you mean %s?)", word);
		return NULL;
	}
	v = json_new_value(ps, t);
	if (v != NULL)
		v->boolean = b;
	ps->p = after;
	return v;
}

static struct json_value *
parse_string_value(struct parser *ps)
{
	struct json_value *v = json_new_value(ps, JSON_STRING);

	if (v != NULL && (v->string = json_parse_string_raw(ps, &v->len)) == NULL) {
		free(v);
		v = NULL;
	}
	return v;
}

/* A value at nesting depth (the number of containers around it). */
static struct json_value *
parse_value(struct parser *ps, unsigned depth)
{
	char buf[32];

	skip_space(ps);
	if (ps->failed)
		return NULL;
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	if ((*ps->p == '{' || *ps->p == '[') && depth >= JSON_MAX_DEPTH) {
		fail(ps, "nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	switch (*ps->p) {
	case '{': return parse_object(ps, depth + 1);
	case '[': return parse_array(ps, depth + 1);
	case '"': return parse_string_value(ps);
	case 't': return parse_word(ps, "true", JSON_BOOL, true);
	case 'f': return parse_word(ps, "false", JSON_BOOL, false);
	case 'n': return parse_word(ps, "null", JSON_NULL, false);
	case '-': return json_parse_number(ps);
	default:
		if (*ps->p >= '0' && *ps->p <= '9')
			return json_parse_number(ps);
		fail(ps, "unexpected %s", json_describe(ps, ps->p, buf, sizeof buf));
		return NULL;
	}
}

struct json_value *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { text, text, text + len, 1, err, errlen, false };
	struct json_value *v;

	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		ps.start = ps.p = ps.end = "";
	if (ps.end - ps.p >= 3 && memcmp(ps.p, "\xef\xbb\xbf", 3) == 0)
		ps.start = ps.p += 3;	/* a byte order mark */
	v = parse_value(&ps, 0);
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
