/*
 * The JSON reader (a recursive descent parser building a DOM) and the
 * JSON writer.  See json.h for what is accepted and refused.
 */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if none. */
static size_t
utf8_valid(const unsigned char *s, size_t n)
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
static size_t
utf8_encode(char *dst, unsigned cp)
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

struct parser {
	const char *start, *p, *end;
	unsigned line;		/* of p, kept up to date by skip_space() */
	char *err;
	size_t errlen;
	bool failed;
};

/* Reports the first error only, at text position pos. */
static void __attribute__((format(printf, 3, 4)))
fail_at(struct parser *ps, const char *pos, const char *fmt, ...)
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

#define fail(ps, ...) fail_at((ps), (ps)->p, __VA_ARGS__)

/* Describes the character at p for a message: 'x' or byte 0xNN. */
static const char *
describe(const struct parser *ps, const char *p, char *buf, size_t n)
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
static void
expected(struct parser *ps, const char *what)
{
	if (ps->p >= ps->end)
		fail(ps, "unexpected end of input, expected %s", what);
	else
		fail(ps, "expected %s", what);
}

/* Copies s for a message: at most 60 bytes, control characters as '?'. */
const char *
json_printable(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; s[i] != '\0' && i < 60 && i + 4 < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (s[i] != '\0' && i + 4 <= n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
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
	fail_at(ps, open, "unterminated comment");
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
	return v;
}

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
		fail_at(ps, esc, "expected 4 hex digits after \\u");
		return -1;
	}
	ps->p += 5;
	if (cp == 0) {
		fail_at(ps, esc, "\\u0000 is not allowed in strings");
		return -1;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail_at(ps, esc, "unpaired UTF-16 surrogate \\u%04x", cp);
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (limit - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, limit, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
			fail_at(ps, esc, "unpaired UTF-16 surrogate \\u%04x", cp);
			return -1;
		}
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*n += utf8_encode(out + *n, cp);
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
	fail_at(ps, ps->p - 1, "invalid escape: backslash followed by %s",
	    describe(ps, ps->p, buf, sizeof buf));
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
		k = utf8_valid((const unsigned char *)ps->p, (size_t)(stop - ps->p));
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
static char *
parse_string_raw(struct parser *ps, size_t *lenp)
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
		fail_at(ps, open, "unterminated string");
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

	key = parse_string_raw(ps, &klen);
	if (key == NULL)
		return -1;
	if (json_get(v, key) != NULL) {
		fail_at(ps, at, "duplicate key '%s'", json_printable(key, buf, sizeof buf));
		free(key);
		return -1;
	}
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != ':') {
		if (!ps->failed) {
			char what[100];
			snprintf(what, sizeof what, "':' after key '%s'",
			    json_printable(key, buf, sizeof buf));
			expected(ps, what);
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
		expected(ps, after_comma ? "a string key" : "a string key or '}'");
	return -1;
}

static struct json_value *
parse_object(struct parser *ps, unsigned depth)
{
	struct json_value *v = new_value(ps, JSON_OBJECT);
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
		expected(ps, "',' or '}' after object member");
		break;
	}
	json_free(v);
	return NULL;
}

static struct json_value *
parse_array(struct parser *ps, unsigned depth)
{
	struct json_value *v = new_value(ps, JSON_ARRAY);
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
		expected(ps, "',' or ']' after array element");
		break;
	}
	json_free(v);
	return NULL;
}

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
		fail_at(ps, s, "%s", msg);
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
		fail_at(ps, s, "leading zero in number");
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

static struct json_value *
parse_number(struct parser *ps)
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
	v = new_value(ps, JSON_NUMBER);
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
	v = new_value(ps, t);
	if (v != NULL)
		v->boolean = b;
	ps->p = after;
	return v;
}

static struct json_value *
parse_string_value(struct parser *ps)
{
	struct json_value *v = new_value(ps, JSON_STRING);

	if (v != NULL && (v->string = parse_string_raw(ps, &v->len)) == NULL) {
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
	case '-': return parse_number(ps);
	default:
		if (*ps->p >= '0' && *ps->p <= '9')
			return parse_number(ps);
		fail(ps, "unexpected %s", describe(ps, ps->p, buf, sizeof buf));
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

/* ---- The DOM ---- */

void
json_free(struct json_value *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->len && v->items != NULL; i++) {
		json_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

/* Copies the members or elements of container v into c. */
static int
clone_items(const struct json_value *v, struct json_value *c)
{
	size_t n = v->len ? v->len : 1;

	c->len = 0;
	c->items = calloc(n, sizeof *c->items);
	if (c->items == NULL)
		return -1;
	if (v->type == JSON_OBJECT && (c->keys = calloc(n, sizeof *c->keys)) == NULL)
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		c->items[i] = json_clone(v->items[i]);
		if (c->keys != NULL)
			c->keys[i] = strdup(v->keys[i]);
		c->len = i + 1;		/* so json_free() sees what is there */
		if (c->items[i] == NULL || (c->keys != NULL && c->keys[i] == NULL))
			return -1;
	}
	return 0;
}

struct json_value *
json_clone(const struct json_value *v)
{
	struct json_value *c;

	if (v == NULL || (c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	*c = *v;
	c->string = NULL;
	c->keys = NULL;
	c->items = NULL;
	if (v->type == JSON_STRING) {
		c->string = malloc(v->len + 1);
		if (c->string != NULL)
			memcpy(c->string, v->string, v->len + 1);
		else
			c->len = 0;
		if (c->string == NULL)
			goto oom;
	} else if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) &&
	    clone_items(v, c) != 0) {
		goto oom;
	}
	return c;
oom:
	json_free(c);
	return NULL;
}

const char *
json_type_name(enum json_type t)
{
	static const char *const names[] = { "null", "a boolean", "a number",
	    "a string", "an array", "an object" };

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

enum json_type
json_typeof(const struct json_value *v)
{
	return v != NULL ? v->type : JSON_NULL;
}

bool
json_is(const struct json_value *v, enum json_type t)
{
	return v != NULL && v->type == t;
}

bool
json_bool(const struct json_value *v)
{
	return json_is(v, JSON_BOOL) && v->boolean;
}

double
json_number(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) ? v->number : 0;
}

bool
json_is_integer(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) && v->is_integer;
}

const char *
json_string(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->string : NULL;
}

size_t
json_string_len(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->len : 0;
}

size_t
json_length(const struct json_value *v)
{
	return json_is(v, JSON_ARRAY) || json_is(v, JSON_OBJECT) ? v->len : 0;
}

const struct json_value *
json_at(const struct json_value *v, size_t i)
{
	return i < json_length(v) ? v->items[i] : NULL;
}

const char *
json_key_at(const struct json_value *obj, size_t i)
{
	return json_is(obj, JSON_OBJECT) && i < obj->len ? obj->keys[i] : NULL;
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	if (!json_is(obj, JSON_OBJECT) || key == NULL)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

/* ---- The writer ---- */

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
		} else if ((k = utf8_valid(u + i, len - i)) == 0) {
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
