/*
 * Internal to config/: one entry's settings read into a struct program_def
 * (program_settings.c), for the library (program_config.c) and the engine
 * settings (program_engine.c).  Errors are written as
 *   KIND 'NAME': MESSAGE
 * into the ctx's buffer, and the function returns -1.
 */
#ifndef TKVM_PROGRAM_SETTINGS_H
#define TKVM_PROGRAM_SETTINGS_H

#include "json.h"
#include "program_config.h"

/* Where an error is reported from: "program 'hello'" or "group 'g'". */
struct ctx {
	const char *kind, *name;
	char *err;
	size_t errlen;
};

/* "KIND 'NAME': MESSAGE"; returns -1. */
int pc_error(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "KIND 'NAME': 'KEY' MESSAGE"; returns -1. */
int pc_bad(const struct ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "KIND 'NAME': out of memory"; returns -1. */
int pc_oom(const struct ctx *c);

/* A definition with the defaults, or NULL (no memory). */
struct program_def *pc_def_new(void);
void pc_def_free(struct program_def *d);
/* Applies every setting of obj (a JSON object) to d, in order; keys
 * not acted on are listed in d->unused.  0, or -1 with the error. */
int pc_apply_object(const struct ctx *c, struct program_def *d,
    const struct json_value *obj);

#endif
