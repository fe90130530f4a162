/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the JSON reader's files share (json.c: structure and errors,
 * json_scalar.c: strings, numbers and UTF-8); not for other users.
 */
#ifndef TKVM_JSON_INTERNAL_H
#define TKVM_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* The reader's state: the text, where it is, the first error. */
struct parser {
	const char *start, *p, *end;
	unsigned line;		/* of p, kept up to date by skip_space() */
	char *err;
	size_t errlen;
	bool failed;
};

/* Reports the first error only, at text position pos. */
void json_fail_at(struct parser *ps, const char *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define fail(ps, ...) json_fail_at((ps), (ps)->p, __VA_ARGS__)
/* Describes the character at p for a message: 'x' or byte 0xNN. */
const char *json_describe(const struct parser *ps, const char *p, char *buf,
    size_t n);
/* Fails with "expected WHAT", or says the input ended. */
void json_expected(struct parser *ps, const char *what);
/* A new value of type t at the current line; NULL (and failed) if out of
 * memory. */
struct json_value *json_new_value(struct parser *ps, enum json_type t);

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if none. */
size_t json_utf8_valid(const unsigned char *s, size_t n);
/* Writes code point cp as UTF-8; returns the byte count. */
size_t json_utf8_encode(char *dst, unsigned cp);
/* The string at ps->p (a '"'), decoded and NUL-terminated; its length in
 * *lenp.  NULL on an error. */
char *json_parse_string_raw(struct parser *ps, size_t *lenp);
/* The number at ps->p, or NULL on an error. */
struct json_value *json_parse_number(struct parser *ps);

#endif
