/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small strict JSON reader and writer (libc only).
 *
 * Reader: RFC 8259 JSON plus // and block comments.  Objects keep their
 * key order.  Refused, each with "line L, column C: what": trailing
 * commas, duplicate keys, text after the value, nesting deeper than
 * JSON_MAX_DEPTH, bad numbers (leading zeros, "1.", ".5", overflow), raw
 * control characters and invalid UTF-8 in strings, lone UTF-16
 * surrogates and \u0000 in escapes (strings are NUL-terminated C
 * strings, so an embedded NUL could only truncate them).  Lines start
 * at 1; a column counts characters (UTF-8 code points, a tab is one)
 * from 1.  A UTF-8 byte order mark at the very start is skipped.
 *
 * Writer: appends to a growable buffer, minified or indented (the
 * project's one JSON writer, also behind tinykvm.stats()).
 */
#ifndef TKVM_JSON_H
#define TKVM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "printable.h"

#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/*
 * A parsed value.  The fields may be read directly; the accessors below
 * do the type checks for you.  A value is only freed through json_free()
 * of the root that owns it.
 */
struct json_value {
	enum json_type type;
	bool boolean;			/* JSON_BOOL */
	double number;			/* JSON_NUMBER */
	bool is_integer;		/* written without fraction or exponent */
	char *string;			/* JSON_STRING, NUL-terminated UTF-8 */
	size_t len;			/* string bytes, or element/member count */
	char **keys;			/* JSON_OBJECT: len keys, in order */
	struct json_value **items;	/* JSON_ARRAY elements, JSON_OBJECT values */
	unsigned line;			/* where the value starts */
};

/* Parses text[0..len); NULL with "line L, column C: message" in err. */
struct json_value *json_parse(const char *text, size_t len, char *err,
    size_t errlen);
void json_free(struct json_value *v);
/* A deep copy, or NULL when out of memory. */
struct json_value *json_clone(const struct json_value *v);

/* "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *json_type_name(enum json_type t);

/* Accessors; each is safe on NULL and on a value of another type. */
enum json_type json_typeof(const struct json_value *v);	/* NULL: JSON_NULL */
bool json_is(const struct json_value *v, enum json_type t);
bool json_bool(const struct json_value *v);		/* false if not a bool */
double json_number(const struct json_value *v);		/* 0 if not a number */
bool json_is_integer(const struct json_value *v);	/* an integral number */
const char *json_string(const struct json_value *v);	/* NULL if not a string */
size_t json_string_len(const struct json_value *v);
size_t json_length(const struct json_value *v);		/* 0 unless array/object */
/* The i-th element of an array or value of an object, or NULL. */
const struct json_value *json_at(const struct json_value *v, size_t i);
/* The i-th key of an object, or NULL. */
const char *json_key_at(const struct json_value *obj, size_t i);
/* The member named key of an object, or NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key);

/*
 * The writer.  indent < 0 writes minified JSON; indent N puts each
 * member and element on its own line, N spaces per level.  Misuse (a
 * key outside an object, a value without its key, unbalanced ends,
 * nesting deeper than JSON_MAX_DEPTH) or running out of memory marks the
 * writer failed; json_writer_finish() then returns NULL.  Strings that
 * are not valid UTF-8 are written with U+FFFD for each bad byte;
 * non-finite doubles are written as null.
 */
struct json_writer {
	char *buf;
	size_t len, cap;
	int indent;
	unsigned depth;
	unsigned char open[JSON_MAX_DEPTH];	/* '{' or '[' per level */
	bool empty;		/* nothing written yet in the open container */
	bool after_key;		/* a key was written; its value comes next */
	bool done;		/* the top-level value is complete */
	bool failed;
};

void json_writer_init(struct json_writer *w, int indent);
/* Frees the buffer (not needed after json_writer_finish()). */
void json_writer_free(struct json_writer *w);
/*
 * The NUL-terminated document, which the caller frees, and its length;
 * NULL when the writer failed or the document is not complete.  The
 * writer is left empty either way.
 */
char *json_writer_finish(struct json_writer *w, size_t *len);
bool json_writer_failed(const struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_write_string(struct json_writer *w, const char *s);	/* NULL: null */
void json_write_string_len(struct json_writer *w, const char *s, size_t len);
void json_write_int(struct json_writer *w, int64_t n);
void json_write_uint(struct json_writer *w, uint64_t n);
void json_write_double(struct json_writer *w, double d);
/* d with exactly decimals digits after the point ("%.*f", C locale). */
void json_write_fixed(struct json_writer *w, double d, int decimals);
void json_write_bool(struct json_writer *w, bool b);
void json_write_null(struct json_writer *w);

#endif
