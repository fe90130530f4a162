/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON writer: a growable buffer, minified or indented, checked use
 * (keys only in objects, balanced ends).  The one JSON writer of the
 * project: tinykvm.stats() (vmod/stats.c) writes with it too.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

#define WRITER_MAX_INDENT 16

void
json_writer_init(struct json_writer *w, int indent)
{
	memset(w, 0, sizeof *w);
	w->indent = indent < 0 ? -1 :
	    indent > WRITER_MAX_INDENT ? WRITER_MAX_INDENT : indent;
	w->empty = true;
}

void
json_writer_free(struct json_writer *w)
{
	free(w->buf);
	json_writer_init(w, w->indent);
}

bool
json_writer_failed(const struct json_writer *w)
{
	return w->failed;
}

/* Makes room for n more bytes and the final NUL. */
static bool
reserve(struct json_writer *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 256;
	char *buf;

	if (w->failed)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	while (cap < w->len + n + 1)
		cap *= 2;
	buf = realloc(w->buf, cap);
	if (buf == NULL) {
		w->failed = true;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static void
put(struct json_writer *w, const char *s, size_t n)
{
	if (reserve(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

static void
put_str(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* A line break and the indentation of the current depth. */
static void
newline(struct json_writer *w)
{
	size_t n;

	if (w->indent < 0)
		return;
	n = (size_t)w->depth * (size_t)w->indent;
	if (reserve(w, n + 1)) {
		w->buf[w->len++] = '\n';
		memset(w->buf + w->len, ' ', n);
		w->len += n;
	}
}

static bool
in_object(const struct json_writer *w)
{
	return w->depth > 0 && w->open[w->depth - 1] == '{';
}

/* Before any value: checks it may come here, writes the separator. */
static bool
begin_value(struct json_writer *w)
{
	if (w->failed || w->done || (in_object(w) && !w->after_key)) {
		w->failed = true;
		return false;
	}
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth > 0) {
		if (!w->empty)
			put(w, ",", 1);
		newline(w);
		w->empty = false;
	}
	return !w->failed;
}

static void
end_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void
begin_container(struct json_writer *w, char open)
{
	if (!begin_value(w))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	put(w, &open, 1);
	w->open[w->depth++] = (unsigned char)open;
	w->empty = true;
}

static void
end_container(struct json_writer *w, char open, char close)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->open[w->depth - 1] != (unsigned char)open ||
	    w->after_key) {
		w->failed = true;
		return;
	}
	w->depth--;
	if (!w->empty)
		newline(w);
	put(w, &close, 1);
	w->empty = false;
	end_value(w);
}

void
json_begin_object(struct json_writer *w)
{
	begin_container(w, '{');
}

void
json_end_object(struct json_writer *w)
{
	end_container(w, '{', '}');
}

void
json_begin_array(struct json_writer *w)
{
	begin_container(w, '[');
}

void
json_end_array(struct json_writer *w)
{
	end_container(w, '[', ']');
}

/* Writes s as a quoted, escaped JSON string. */
static void
put_quoted(struct json_writer *w, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];

	put(w, "\"", 1);
	for (size_t i = 0; i < len && !w->failed; ) {
		const char *named = strchr("\"\\\b\f\n\r\t", u[i]);
		size_t k;

		if (u[i] != '\0' && named != NULL) {
			esc[0] = '\\';
			esc[1] = "\"\\bfnrt"[named - "\"\\\b\f\n\r\t"];
			put(w, esc, 2);
			i++;
		} else if (u[i] < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", u[i]);
			put(w, esc, 6);
			i++;
		} else if ((k = json_utf8_valid(u + i, len - i)) == 0) {
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
		} else {
			put(w, s + i, k);
			i += k;
		}
	}
	put(w, "\"", 1);
}

void
json_key(struct json_writer *w, const char *key)
{
	if (w->failed || !in_object(w) || w->after_key || key == NULL) {
		w->failed = true;
		return;
	}
	if (!w->empty)
		put(w, ",", 1);
	newline(w);
	w->empty = false;
	put_quoted(w, key, strlen(key));
	put_str(w, w->indent < 0 ? ":" : ": ");
	w->after_key = true;
}

void
json_write_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (s == NULL) {
		json_write_null(w);
		return;
	}
	if (!begin_value(w))
		return;
	put_quoted(w, s, len);
	end_value(w);
}

void
json_write_string(struct json_writer *w, const char *s)
{
	json_write_string_len(w, s, s != NULL ? strlen(s) : 0);
}

/* Writes a scalar already formatted as text. */
static void
write_raw(struct json_writer *w, const char *text)
{
	if (!begin_value(w))
		return;
	put_str(w, text);
	end_value(w);
}

void
json_write_int(struct json_writer *w, int64_t n)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, n);
	write_raw(w, buf);
}

void
json_write_uint(struct json_writer *w, uint64_t n)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRIu64, n);
	write_raw(w, buf);
}

/* The shortest %g form of d that reads back as d, always with a '.' or
 * an exponent so that it reads as a fraction. */
static void
format_double(double d, char *buf, size_t n)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	for (char *c = buf; *c != '\0'; c++)
		if (*c == ',')
			*c = '.';	/* a decimal comma from the locale */
	if (strpbrk(buf, ".eE") == NULL && strlen(buf) + 3 <= n)
		strcat(buf, ".0");
}

void
json_write_double(struct json_writer *w, double d)
{
	char buf[40];

	if (!isfinite(d)) {
		json_write_null(w);
		return;
	}
	format_double(d, buf, sizeof buf);
	write_raw(w, buf);
}

void
json_write_fixed(struct json_writer *w, double d, int decimals)
{
	char buf[352];	/* DBL_MAX in %.16f */

	if (!isfinite(d)) {
		json_write_null(w);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 16)
		decimals = 16;
	snprintf(buf, sizeof buf, "%.*f", decimals, d);
	for (char *c = buf; *c != '\0'; c++)
		if (*c == ',')
			*c = '.';	/* a decimal comma from the locale */
	write_raw(w, buf);
}

void
json_write_bool(struct json_writer *w, bool b)
{
	write_raw(w, b ? "true" : "false");
}

void
json_write_null(struct json_writer *w)
{
	write_raw(w, "null");
}

char *
json_writer_finish(struct json_writer *w, size_t *len)
{
	char *out = NULL;

	if (!w->failed && w->done && reserve(w, 0)) {
		w->buf[w->len] = '\0';
		out = w->buf;
		if (len != NULL)
			*len = w->len;
		w->buf = NULL;
	}
	json_writer_free(w);
	return out;
}
