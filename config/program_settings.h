/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to config/: one entry's settings read into a struct program_def
 * (program_settings.c, with the readers of program_values.c), for the
 * library (program_config.c) and the engine settings (program_engine.c).
 * Errors are written as
 *   KIND 'NAME': MESSAGE
 * into the ctx's buffer, and the function returns -1.
 */
#ifndef TKVM_PROGRAM_SETTINGS_H
#define TKVM_PROGRAM_SETTINGS_H

#include "json.h"
#include "program_config.h"

/* Where an error is reported from: "program 'hello'" or "group 'g'";
 * warnings go to warn_to->warnings (set by pc_apply_object). */
struct ctx {
	const char *kind, *name;
	char *err;
	size_t errlen;
	struct program_def *warn_to;
};

/* "KIND 'NAME': MESSAGE"; returns -1. */
int pc_error(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "KIND 'NAME': 'KEY' MESSAGE"; returns -1. */
int pc_bad(const struct ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "KIND 'NAME': out of memory"; returns -1. */
int pc_oom(const struct ctx *c);
/* Records the warning "KIND 'NAME': MESSAGE" in c->warn_to (once);
 * 0, or -1 without memory. */
int pc_warn(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A definition with the defaults, or NULL (no memory). */
struct program_def *pc_def_new(void);
void pc_def_free(struct program_def *d);
/* Applies every setting of obj (a JSON object) to d, in order; keys
 * not acted on are listed in d->unused, unknown keys and members are
 * warnings in d->warnings.  0, or -1 with the error. */
int pc_apply_object(const struct ctx *c, struct program_def *d,
    const struct json_value *obj);

/*
 * The typed readers (program_values.c): each checks v for setting k and
 * stores it in *out, replacing what was there; 0, or -1 with the error.
 */
int pc_get_string(const struct ctx *c, const char *k,
    const struct json_value *v, char **out);		/* non-empty */
/* A string where "" means not given (*out becomes NULL), as published
 * for "key", "filename" and "uri". */
int pc_get_optional(const struct ctx *c, const char *k,
    const struct json_value *v, bool expand, char **out);
int pc_get_expanded(const struct ctx *c, const char *k,
    const struct json_value *v, char **out);		/* $HOME, $PWD */
int pc_get_path(const struct ctx *c, const char *k,
    const struct json_value *v, bool expand, char **out);	/* absolute */
int pc_get_bool(const struct ctx *c, const char *k,
    const struct json_value *v, bool *out);
int pc_get_unsigned(const struct ctx *c, const char *k,
    const struct json_value *v, unsigned min, unsigned max, unsigned *out);
int pc_get_mib(const struct ctx *c, const char *k,
    const struct json_value *v, uint64_t *out);
int pc_get_seconds(const struct ctx *c, const char *k,
    const struct json_value *v, double *out);
/* An array of strings; with need_equals each must be "KEY=VALUE". */
int pc_get_strings(const struct ctx *c, const char *k,
    const struct json_value *v, bool need_equals, char ***out);
/* The raw JSON (an array, or with object_too an object), kept as is. */
int pc_get_raw(const struct ctx *c, const char *k,
    const struct json_value *v, bool object_too, struct json_value **out);
/* $HOME and $PWD expanded in every string of l. */
int pc_expand_list(const struct ctx *c, char **l);
void pc_allowed_free(struct allowed_path_def *a, size_t n);
/* An unknown member of nested setting k, with the known names listed:
 * a warning, as the published VMOD ignores it; 0, or -1 without memory. */
int pc_unknown_member(const struct ctx *c, const char *k, const char *member,
    const char *const *names);
/* " (did you mean 'X'?)" when closest is not NULL, else "". */
const char *pc_suggest(const char *closest, char *buf, size_t n);
/* What v is, for "..., not X": a number's value or the type's name. */
const char *pc_what_is(const struct json_value *v, char *buf, size_t n);

#endif
