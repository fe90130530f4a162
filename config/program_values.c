/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The building blocks of a program definition's settings: errors in the
 * "KIND 'NAME': ..." form, definitions and their lists, $HOME and $PWD
 * expansion, and the typed readers (string, path, boolean, number, MiB,
 * seconds, string list, raw JSON) that program_settings.c applies key by
 * key.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "program_keys.h"
#include "program_settings.h"

#define MIB_MAX		(1ULL << 20)	/* 1 TiB */
#define MAX_SECONDS	86400.0

/* ---- Errors ---- */

/* "KIND 'NAME': MESSAGE"; returns -1. */
int
pc_error(const struct ctx *c, const char *fmt, ...)
{
	char msg[300], name[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s '%s': %s", c->kind,
		    printable(c->name, name, sizeof name), msg);
	return -1;
}

/* "KIND 'NAME': 'KEY' MESSAGE"; returns -1. */
int
pc_bad(const struct ctx *c, const char *key, const char *fmt, ...)
{
	char msg[256], k[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pc_error(c, "'%s' %s", printable(key, k, sizeof k), msg);
}

int
pc_oom(const struct ctx *c)
{
	return pc_error(c, "out of memory");
}

int
pc_warn(const struct ctx *c, const char *fmt, ...)
{
	struct program_def *d = c->warn_to;
	char msg[300], name[80], *w;
	size_t n = 0;
	va_list ap;
	char **l;

	if (d == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (asprintf(&w, "%s '%s': %s", c->kind,
	    printable(c->name, name, sizeof name), msg) < 0)
		return pc_oom(c);
	for (; d->warnings[n] != NULL; n++)
		if (strcmp(d->warnings[n], w) == 0) {
			free(w);
			return 0;
		}
	if ((l = realloc(d->warnings, (n + 2) * sizeof *l)) == NULL) {
		free(w);
		return pc_oom(c);
	}
	d->warnings = l;
	l[n] = w;
	l[n + 1] = NULL;
	return 0;
}

/* " (did you mean 'X'?)" when there is a close known name, else "". */
const char *
pc_suggest(const char *closest, char *buf, size_t n)
{
	if (closest == NULL)
		return "";
	snprintf(buf, n, " (did you mean '%s'?)", closest);
	return buf;
}

/* An unknown member of a nested setting k, among names. */
int
pc_unknown_member(const struct ctx *c, const char *k, const char *member,
    const char *const *names)
{
	char key[160], m[80], hint[80], list[200] = "";

	snprintf(key, sizeof key, "%s.%s", k, printable(member, m, sizeof m));
	for (size_t i = 0; names[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		    i ? ", " : "", names[i]);
	return pc_warn(c, "'%s' is not a known member of '%s' (%s)%s; ignored",
	    key, k, list, pc_suggest(key_closest_of(member, names), hint,
	    sizeof hint));
}

/* What v is, for "..., not X": a number's value or the type. */
const char *
pc_what_is(const struct json_value *v, char *buf, size_t n)
{
	if (v->type != JSON_NUMBER)
		return json_type_name(v->type);
	snprintf(buf, n, "%g", v->number);
	return buf;
}

/* ---- Lists and definitions ---- */

static void
list_free(char **l)
{
	for (char **p = l; p != NULL && *p != NULL; p++)
		free(*p);
	free(l);
}

/* A NULL-terminated copy of an array of strings, or NULL (no memory). */
static char **
list_copy(const struct json_value *arr)
{
	char **l = calloc(arr->len + 1, sizeof *l);

	for (size_t i = 0; l != NULL && i < arr->len; i++) {
		l[i] = strdup(arr->items[i]->string);
		if (l[i] == NULL) {
			list_free(l);
			return NULL;
		}
	}
	return l;
}

void
pc_allowed_free(struct allowed_path_def *a, size_t n)
{
	for (size_t i = 0; a != NULL && i < n; i++) {
		free(a[i].real);
		free(a[i].virt);
	}
	free(a);
}

void
pc_def_free(struct program_def *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->group);
	free(d->uri);
	free(d->filename);
	free(d->key);
	free(d->cwd);
	free(d->warmup_url);
	free(d->warmup_method);
	free(d->remote_debug_listen);
	list_free(d->main_arguments);
	list_free(d->environment);
	list_free(d->warmup_headers);
	list_free(d->unused);
	list_free(d->warnings);
	pc_allowed_free(d->allowed, d->nallowed);
	json_free(d->remapping);
	json_free(d->blackout_area);
	free(d);
}

/* A definition with the defaults, or NULL (no memory). */
struct program_def *
pc_def_new(void)
{
	struct program_def *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->concurrency = 2;
	d->max_threads = 64;
	d->max_boot_time = 20.0;
	d->max_request_time = 8.0;
	d->max_storage_time = 10.0;
	d->remote_debug_timeout = 300.0;
	d->max_queue_time = 5.0;
	d->max_memory = 64;
	d->max_request_memory = 32;
	d->ephemeral = true;
	d->mmap_backed_files = true;
	d->main_arguments = calloc(1, sizeof *d->main_arguments);
	d->environment = calloc(1, sizeof *d->environment);
	d->warmup_headers = calloc(1, sizeof *d->warmup_headers);
	d->unused = calloc(1, sizeof *d->unused);
	d->warnings = calloc(1, sizeof *d->warnings);
	d->group = strdup("test");
	if (d->main_arguments == NULL || d->environment == NULL ||
	    d->warmup_headers == NULL || d->unused == NULL ||
	    d->warnings == NULL || d->group == NULL) {
		pc_def_free(d);
		return NULL;
	}
	return d;
}

/* ---- $HOME and $PWD in paths, arguments and environment ---- */

/* s with its first occurrence of var replaced by value (s is taken). */
static char *
replace_first(char *s, const char *var, const char *value)
{
	char *at = s != NULL && value != NULL ? strstr(s, var) : NULL, *r;
	size_t n;

	if (at == NULL)
		return s;
	n = strlen(s) - strlen(var) + strlen(value) + 1;
	if ((r = malloc(n)) != NULL)
		snprintf(r, n, "%.*s%s%s", (int)(at - s), s, value,
		    at + strlen(var));
	free(s);
	return r;
}

/*
 * As the published VMOD does: the first "$HOME" becomes the HOME of the
 * process and the first "$PWD" its working directory (varnishd's is its
 * -n directory).  Replaces *s; -1 without memory.
 */
static int
expand_vars(const struct ctx *c, char **s)
{
	char cwd[PATH_MAX];

	*s = replace_first(*s, "$HOME", getenv("HOME"));
	*s = replace_first(*s, "$PWD", getcwd(cwd, sizeof cwd));
	return *s != NULL ? 0 : pc_oom(c);
}

int
pc_expand_list(const struct ctx *c, char **l)
{
	for (; *l != NULL; l++)
		if (expand_vars(c, l) != 0)
			return -1;
	return 0;
}

/* ---- Typed settings: each returns 0, or -1 with the error written ---- */

int
pc_get_string(const struct ctx *c, const char *k, const struct json_value *v,
    char **out)
{
	char *s;

	if (v->type != JSON_STRING || v->len == 0)
		return pc_bad(c, k, "must be a non-empty string, not %s",
		    v->type == JSON_STRING ? "\"\"" : json_type_name(v->type));
	if ((s = strdup(v->string)) == NULL)
		return pc_oom(c);
	free(*out);
	*out = s;
	return 0;
}

int
pc_get_optional(const struct ctx *c, const char *k, const struct json_value *v,
    bool expand, char **out)
{
	if (v->type == JSON_STRING && v->len == 0) {
		free(*out);
		*out = NULL;
		return 0;
	}
	return (expand ? pc_get_expanded : pc_get_string)(c, k, v, out);
}

/* A string with $HOME and $PWD expanded. */
int
pc_get_expanded(const struct ctx *c, const char *k, const struct json_value *v,
    char **out)
{
	if (pc_get_string(c, k, v, out) != 0)
		return -1;
	return expand_vars(c, out);
}

/* An absolute path; with expand, after $HOME and $PWD are expanded. */
int
pc_get_path(const struct ctx *c, const char *k, const struct json_value *v,
    bool expand, char **out)
{
	char buf[80];

	if ((expand ? pc_get_expanded : pc_get_string)(c, k, v, out) != 0)
		return -1;
	if ((*out)[0] != '/')
		return pc_bad(c, k, "must be an absolute path, not '%s'",
		    printable(*out, buf, sizeof buf));
	return 0;
}

int
pc_get_bool(const struct ctx *c, const char *k, const struct json_value *v,
    bool *out)
{
	if (v->type != JSON_BOOL)
		return pc_bad(c, k, "must be true or false, not %s",
		    json_type_name(v->type));
	*out = v->boolean;
	return 0;
}

/* A number from min to max, its fraction dropped (as the published
 * VMOD's JSON reader converts it); unit is appended to the message. */
static int
get_uint(const struct ctx *c, const char *k, const struct json_value *v,
    uint64_t min, uint64_t max, const char *unit, uint64_t *out)
{
	char buf[40];

	if (v->type != JSON_NUMBER || !(v->number >= (double)min) ||
	    !(v->number < (double)max + 1))
		return pc_bad(c, k, "must be a number from %llu to %llu%s, not %s",
		    (unsigned long long)min, (unsigned long long)max, unit,
		    pc_what_is(v, buf, sizeof buf));
	*out = (uint64_t)v->number;
	return 0;
}

int
pc_get_unsigned(const struct ctx *c, const char *k, const struct json_value *v,
    unsigned min, unsigned max, unsigned *out)
{
	uint64_t n = 0;

	if (get_uint(c, k, v, min, max, "", &n) != 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

int
pc_get_mib(const struct ctx *c, const char *k, const struct json_value *v,
    uint64_t *out)
{
	return get_uint(c, k, v, 0, MIB_MAX, " (MiB)", out);
}

int
pc_get_seconds(const struct ctx *c, const char *k, const struct json_value *v,
    double *out)
{
	if (v->type != JSON_NUMBER || !(v->number > 0) || v->number > MAX_SECONDS)
		return pc_bad(c, k, "must be a number of seconds above 0 (at most "
		    "%.0f)", MAX_SECONDS);
	*out = v->number;
	return 0;
}

/* An array of strings; with need_equals each must be "KEY=VALUE". */
int
pc_get_strings(const struct ctx *c, const char *k, const struct json_value *v,
    bool need_equals, char ***out)
{
	char **l, buf[80];

	if (v->type != JSON_ARRAY)
		return pc_bad(c, k, "must be an array of strings, not %s",
		    json_type_name(v->type));
	for (size_t i = 0; i < v->len; i++) {
		const struct json_value *e = v->items[i];
		if (e->type != JSON_STRING)
			return pc_bad(c, k, "must be an array of strings (element %zu "
			    "is %s)", i, json_type_name(e->type));
		if (need_equals && (e->string[0] == '=' ||
		    strchr(e->string, '=') == NULL))
			return pc_bad(c, k, "entry \"%s\" is not KEY=VALUE",
			    printable(e->string, buf, sizeof buf));
	}
	if ((l = list_copy(v)) == NULL)
		return pc_oom(c);
	list_free(*out);
	*out = l;
	return 0;
}

/* The raw JSON of a setting that is only type-checked for now. */
int
pc_get_raw(const struct ctx *c, const char *k, const struct json_value *v,
    bool object_too, struct json_value **out)
{
	struct json_value *copy;

	if (v->type != JSON_ARRAY && (!object_too || v->type != JSON_OBJECT))
		return pc_bad(c, k, "must be an array%s, not %s",
		    object_too ? " or an object" : "", json_type_name(v->type));
	if ((copy = json_clone(v)) == NULL)
		return pc_oom(c);
	json_free(*out);
	*out = copy;
	return 0;
}

