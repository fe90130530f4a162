/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON reader's scalars: strings (escapes, UTF-16 surrogate pairs,
 * UTF-8 checks) and numbers (the JSON grammar, read in the C locale),
 * and the UTF-8 helpers the writer shares.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if none. */
size_t
json_utf8_valid(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* Writes code point cp as UTF-8; returns the byte count. */
size_t
json_utf8_encode(char *dst, unsigned cp)
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

/* ---- Reader: positions and errors ---- */


/* ---- Strings ---- */

/* Reads 4 hex digits at p (before limit); -1 if they are not there. */
static int
hex4(const char *p, const char *limit, unsigned *out)
{
	unsigned v = 0;

	if (limit - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Decodes \uXXXX (and a following low surrogate) at ps->p = the 'u'. */
static int
unicode_escape(struct parser *ps, const char *limit, char *out, size_t *n)
{
	const char *esc = ps->p - 1;	/* the backslash */
	unsigned cp, lo;

	if (hex4(ps->p + 1, limit, &cp) != 0) {
		json_fail_at(ps, esc, "expected 4 hex digits after \\u");
		return -1;
	}
	ps->p += 5;
	if (cp == 0) {
		json_fail_at(ps, esc, "\\u0000 is not allowed in strings");
		return -1;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		json_fail_at(ps, esc, "unpaired UTF-16 surrogate \\u%04x", cp);
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (limit - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, limit, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
			json_fail_at(ps, esc, "unpaired UTF-16 surrogate \\u%04x", cp);
			return -1;
		}
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*n += json_utf8_encode(out + *n, cp);
	return 0;
}

/* Decodes the escape at ps->p (the backslash) into out. */
static int
escape(struct parser *ps, const char *limit, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = *++ps->p, buf[32];
	const char *k = c != '\0' ? strchr(from, c) : NULL;

	if (k != NULL) {
		out[(*n)++] = to[k - from];
		ps->p++;
		return 0;
	}
	if (c == 'u')
		return unicode_escape(ps, limit, out, n);
	json_fail_at(ps, ps->p - 1, "invalid escape: backslash followed by %s",
	    json_describe(ps, ps->p, buf, sizeof buf));
	return -1;
}

/*
 * Where the string opened at ps->p ends: its closing quote, or the first
 * raw control character or the end of input (both errors, found again
 * while decoding).  The decoded string is never longer than this.
 */
static const char *
string_stop(const struct parser *ps)
{
	const char *s = ps->p + 1;

	while (s < ps->end && *s != '"' && (unsigned char)*s >= 0x20)
		s += *s == '\\' && s + 1 < ps->end ? 2 : 1;
	return s < ps->end ? s : ps->end;
}

/* Decodes the characters of a string up to stop; -1 on an error. */
static int
decode_string(struct parser *ps, const char *stop, char *out, size_t *n)
{
	while (ps->p < stop) {
		unsigned char c = (unsigned char)*ps->p;
		size_t k;

		if (c == '\\') {
			if (ps->p + 1 >= stop)
				return 0;	/* ran into the stop: reported there */
			if (escape(ps, stop, out, n) != 0)
				return -1;
			continue;
		}
		k = json_utf8_valid((const unsigned char *)ps->p, (size_t)(stop - ps->p));
		if (k == 0) {
			fail(ps, "invalid UTF-8 in string (byte 0x%02x)", c);
			return -1;
		}
		memcpy(out + *n, ps->p, k);
		*n += k;
		ps->p += k;
	}
	return 0;
}

/* Parses the string at ps->p (its opening quote); a malloc'd copy. */
char *
json_parse_string_raw(struct parser *ps, size_t *lenp)
{
	const char *open = ps->p, *stop = string_stop(ps);
	char *out = malloc((size_t)(stop - open));
	size_t n = 0;

	if (out == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	ps->p++;
	if (decode_string(ps, stop, out, &n) != 0)
		goto bad;
	ps->p = stop;
	if (stop >= ps->end) {
		json_fail_at(ps, open, "unterminated string");
		goto bad;
	}
	if (*stop != '"') {
		fail(ps, *stop == '\n' ? "newline in string (unterminated string?)" :
		    "control character 0x%02x in string (escape it)",
		    (unsigned char)*stop);
		goto bad;
	}
	ps->p++;
	out[n] = '\0';
	*lenp = n;
	return out;
bad:
	free(out);
	return NULL;
}


/* ---- Numbers ---- */

static bool
is_digit(const struct parser *ps, const char *s)
{
	return s < ps->end && *s >= '0' && *s <= '9';
}

/* Skips digits; fails with msg (at s) if there is not at least one. */
static const char *
digits(struct parser *ps, const char *s, const char *msg)
{
	if (!is_digit(ps, s)) {
		json_fail_at(ps, s, "%s", msg);
		return NULL;
	}
	while (is_digit(ps, s))
		s++;
	return s;
}

/* The end of the number at ps->p per the JSON grammar, or NULL. */
static const char *
scan_number(struct parser *ps, bool *integer)
{
	const char *s = ps->p;

	*integer = true;
	if (*s == '-')
		s++;
	if (is_digit(ps, s) && *s == '0' && is_digit(ps, s + 1)) {
		json_fail_at(ps, s, "leading zero in number");
		return NULL;
	}
	s = digits(ps, s, "expected a digit");
	if (s != NULL && s < ps->end && *s == '.') {
		*integer = false;
		s = digits(ps, s + 1, "expected a digit after '.'");
	}
	if (s != NULL && s < ps->end && (*s == 'e' || *s == 'E')) {
		*integer = false;
		s++;
		if (s < ps->end && (*s == '+' || *s == '-'))
			s++;
		s = digits(ps, s, "expected a digit in the exponent");
	}
	return s;
}

/* strtod() in the C locale, whatever the process's locale is. */
static double
c_strtod(const char *s, char **end)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	double d;

	if (c == (locale_t)0)
		return strtod(s, end);
	d = strtod_l(s, end, c);
	freelocale(c);
	return d;
}

struct json_value *
json_parse_number(struct parser *ps)
{
	struct json_value *v;
	char buf[256], *end;
	bool integer;
	const char *s = scan_number(ps, &integer);
	size_t n;

	if (s == NULL)
		return NULL;
	n = (size_t)(s - ps->p);
	if (n >= sizeof buf) {
		fail(ps, "number longer than %zu characters", sizeof buf - 1);
		return NULL;
	}
	memcpy(buf, ps->p, n);
	buf[n] = '\0';
	v = json_new_value(ps, JSON_NUMBER);
	if (v == NULL)
		return NULL;
	v->number = c_strtod(buf, &end);
	if (*end != '\0' || !isfinite(v->number)) {
		fail(ps, "number out of range");
		free(v);
		return NULL;
	}
	v->is_integer = integer;
	ps->p = s;
	return v;
}

