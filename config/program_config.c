/*
 * Program definitions: the library's entries keep their settings as JSON
 * objects; after every change all of them are checked and every program
 * is resolved again into a struct program_def.  A change is made on a
 * copy of the entries, so that a refused change leaves nothing behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "program_config.h"
#include "program_keys.h"

#define MIB_MAX		(1ULL << 20)	/* 1 TiB */
#define MAX_CONCURRENCY	256
#define MAX_SMP		16
#define MAX_SECONDS	86400.0
#define MAX_WARMUP	100000

/* A name with its settings. */
struct entry {
	char *name;
	bool is_program;
	struct json_value *settings;	/* a JSON object, owned */
	struct program_def *def;	/* programs: the resolved definition */
};

struct program_library {
	struct entry *entries;
	size_t n;
	struct program_def **retired;	/* replaced, kept until library_free */
	size_t nretired;
	char **warned;			/* "program\nkey" warned about once */
	size_t nwarned;
	char **pending;			/* warnings not taken yet */
	size_t npending;
};

/* Where an error is reported from: "program 'hello'" or "group 'g'". */
struct ctx {
	const char *kind, *name;
	char *err;
	size_t errlen;
};

/* ---- Errors ---- */


/* "KIND 'NAME': MESSAGE"; returns -1. */
static int __attribute__((format(printf, 2, 3)))
entry_error(const struct ctx *c, const char *fmt, ...)
{
	char msg[300], name[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s '%s': %s", c->kind,
		    json_printable(c->name, name, sizeof name), msg);
	return -1;
}

/* "KIND 'NAME': 'KEY' MESSAGE"; returns -1. */
static int __attribute__((format(printf, 3, 4)))
bad(const struct ctx *c, const char *key, const char *fmt, ...)
{
	char msg[256], k[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return entry_error(c, "'%s' %s", json_printable(key, k, sizeof k), msg);
}

static int
oom(const struct ctx *c)
{
	return entry_error(c, "out of memory");
}

/* " (did you mean 'X'?)" when there is a close known name, else "". */
static const char *
suggest(const char *closest, char *buf, size_t n)
{
	if (closest == NULL)
		return "";
	snprintf(buf, n, " (did you mean '%s'?)", closest);
	return buf;
}

/* An unknown member of a nested setting k, among names. */
static int
unknown_member(const struct ctx *c, const char *k, const char *member,
    const char *const *names)
{
	char key[160], m[80], hint[80], list[200] = "";

	snprintf(key, sizeof key, "%s.%s", k, json_printable(member, m, sizeof m));
	for (size_t i = 0; names[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		    i ? ", " : "", names[i]);
	return bad(c, key, "is not a known member of '%s' (%s)%s", k, list,
	    suggest(key_closest_of(member, names), hint, sizeof hint));
}

/* What v is, for "..., not X": a number's value or the type. */
static const char *
what_is(const struct json_value *v, char *buf, size_t n)
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

static void
allowed_free(struct allowed_path_def *a, size_t n)
{
	for (size_t i = 0; a != NULL && i < n; i++) {
		free(a[i].real);
		free(a[i].virt);
	}
	free(a);
}

static void
def_free(struct program_def *d)
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
	list_free(d->main_arguments);
	list_free(d->environment);
	list_free(d->warmup_headers);
	list_free(d->unused);
	allowed_free(d->allowed, d->nallowed);
	json_free(d->remapping);
	json_free(d->blackout_area);
	free(d);
}

/* A definition with the defaults, or NULL (no memory). */
static struct program_def *
def_new(void)
{
	struct program_def *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->concurrency = 2;
	d->max_boot_time = 20.0;
	d->max_request_time = 8.0;
	d->max_queue_time = 5.0;
	d->max_memory = 64;
	d->max_request_memory = 32;
	d->ephemeral = true;
	d->mmap_backed_files = true;
	d->main_arguments = calloc(1, sizeof *d->main_arguments);
	d->environment = calloc(1, sizeof *d->environment);
	d->warmup_headers = calloc(1, sizeof *d->warmup_headers);
	d->unused = calloc(1, sizeof *d->unused);
	if (d->main_arguments == NULL || d->environment == NULL ||
	    d->warmup_headers == NULL || d->unused == NULL) {
		def_free(d);
		return NULL;
	}
	return d;
}

/* ---- Typed settings: each returns 0, or -1 with the error written ---- */

static int
get_string(const struct ctx *c, const char *k, const struct json_value *v,
    char **out)
{
	char *s;

	if (v->type != JSON_STRING || v->len == 0)
		return bad(c, k, "must be a non-empty string, not %s",
		    v->type == JSON_STRING ? "\"\"" : json_type_name(v->type));
	if ((s = strdup(v->string)) == NULL)
		return oom(c);
	free(*out);
	*out = s;
	return 0;
}

static int
get_path(const struct ctx *c, const char *k, const struct json_value *v,
    char **out)
{
	char buf[80];

	if (get_string(c, k, v, out) != 0)
		return -1;
	if ((*out)[0] != '/')
		return bad(c, k, "must be an absolute path, not '%s'",
		    json_printable(*out, buf, sizeof buf));
	return 0;
}

static int
get_bool(const struct ctx *c, const char *k, const struct json_value *v,
    bool *out)
{
	if (v->type != JSON_BOOL)
		return bad(c, k, "must be true or false, not %s",
		    json_type_name(v->type));
	*out = v->boolean;
	return 0;
}

/* An integer from min to max; unit is appended to the message. */
static int
get_uint(const struct ctx *c, const char *k, const struct json_value *v,
    uint64_t min, uint64_t max, const char *unit, uint64_t *out)
{
	char buf[40];

	if (v->type != JSON_NUMBER || !v->is_integer || v->number < (double)min ||
	    v->number > (double)max)
		return bad(c, k, "must be an integer from %llu to %llu%s, not %s",
		    (unsigned long long)min, (unsigned long long)max, unit,
		    what_is(v, buf, sizeof buf));
	*out = (uint64_t)v->number;
	return 0;
}

static int
get_unsigned(const struct ctx *c, const char *k, const struct json_value *v,
    unsigned min, unsigned max, unsigned *out)
{
	uint64_t n;

	if (get_uint(c, k, v, min, max, "", &n) != 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int
get_mib(const struct ctx *c, const char *k, const struct json_value *v,
    uint64_t *out)
{
	return get_uint(c, k, v, 0, MIB_MAX, " (MiB)", out);
}

static int
get_seconds(const struct ctx *c, const char *k, const struct json_value *v,
    double *out)
{
	if (v->type != JSON_NUMBER || !(v->number > 0) || v->number > MAX_SECONDS)
		return bad(c, k, "must be a number of seconds above 0 (at most "
		    "%.0f)", MAX_SECONDS);
	*out = v->number;
	return 0;
}

/* An array of strings; with need_equals each must be "KEY=VALUE". */
static int
get_strings(const struct ctx *c, const char *k, const struct json_value *v,
    bool need_equals, char ***out)
{
	char **l, buf[80];

	if (v->type != JSON_ARRAY)
		return bad(c, k, "must be an array of strings, not %s",
		    json_type_name(v->type));
	for (size_t i = 0; i < v->len; i++) {
		const struct json_value *e = v->items[i];
		if (e->type != JSON_STRING)
			return bad(c, k, "must be an array of strings (element %zu "
			    "is %s)", i, json_type_name(e->type));
		if (need_equals && (e->string[0] == '=' ||
		    strchr(e->string, '=') == NULL))
			return bad(c, k, "entry \"%s\" is not KEY=VALUE",
			    json_printable(e->string, buf, sizeof buf));
	}
	if ((l = list_copy(v)) == NULL)
		return oom(c);
	list_free(*out);
	*out = l;
	return 0;
}

/* The raw JSON of a setting that is only type-checked for now. */
static int
get_raw(const struct ctx *c, const char *k, const struct json_value *v,
    bool object_too, struct json_value **out)
{
	struct json_value *copy;

	if (v->type != JSON_ARRAY && (!object_too || v->type != JSON_OBJECT))
		return bad(c, k, "must be an array%s, not %s",
		    object_too ? " or an object" : "", json_type_name(v->type));
	if ((copy = json_clone(v)) == NULL)
		return oom(c);
	json_free(*out);
	*out = copy;
	return 0;
}

/* ---- allowed_paths ---- */

/* One member of an allowed path object. */
static int
path_member(const struct ctx *c, const char *k, const char *ek,
    const struct json_value *ev, struct allowed_path_def *a)
{
	char key[120];

	snprintf(key, sizeof key, "%s.%s", k, ek);
	if (strcmp(ek, "real") == 0)
		return get_path(c, key, ev, &a->real);
	if (strcmp(ek, "virtual") == 0)
		return get_path(c, key, ev, &a->virt);
	if (strcmp(ek, "prefix") == 0)
		return get_bool(c, key, ev, &a->prefix);
	if (strcmp(ek, "writable") == 0)
		return get_bool(c, key, ev, &a->writable);
	if (strcmp(ek, "symlink") == 0)
		return get_bool(c, key, ev, &a->symlink);
	return unknown_member(c, k, ek, path_keys);
}

/* One element of allowed_paths: "/path" or {real, virtual, ...}. */
static int
path_entry(const struct ctx *c, const char *k, size_t i,
    const struct json_value *e, struct allowed_path_def *a)
{
	char key[64];

	snprintf(key, sizeof key, "%s[%zu]", k, i);
	if (e->type == JSON_STRING)
		return get_path(c, key, e, &a->real);
	if (e->type != JSON_OBJECT)
		return bad(c, key, "must be a path or an object {real, virtual, "
		    "prefix, writable, symlink}, not %s", json_type_name(e->type));
	for (size_t j = 0; j < e->len; j++)
		if (path_member(c, key, e->keys[j], e->items[j], a) != 0)
			return -1;
	if (a->real == NULL && a->virt == NULL)
		return bad(c, key, "has no 'real' path");
	if (a->real == NULL && (a->real = strdup(a->virt)) == NULL)
		return oom(c);
	if (a->virt != NULL && strcmp(a->virt, a->real) == 0) {
		free(a->virt);
		a->virt = NULL;		/* the same path: no mapping */
	}
	return 0;
}

static int
get_allowed(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	struct allowed_path_def *a;

	if (v->type != JSON_ARRAY)
		return bad(c, k, "must be an array of paths or path objects, not %s",
		    json_type_name(v->type));
	if ((a = calloc(v->len + 1, sizeof *a)) == NULL)
		return oom(c);
	for (size_t i = 0; i < v->len; i++) {
		if (path_entry(c, k, i, v->items[i], &a[i]) != 0) {
			allowed_free(a, v->len);
			return -1;
		}
	}
	allowed_free(d->allowed, d->nallowed);
	d->allowed = a;
	d->nallowed = (unsigned)v->len;
	return 0;
}

/* ---- Keys accepted but not acted on ---- */

/* Records that d takes the key (or "key.member") without acting on it. */
static int
note_unused(const struct ctx *c, struct program_def *d, const char *key)
{
	size_t n = 0;
	char **l;

	while (d->unused[n] != NULL)
		if (strcmp(d->unused[n++], key) == 0)
			return 0;
	if ((l = realloc(d->unused, (n + 2) * sizeof *l)) == NULL)
		return oom(c);
	d->unused = l;
	if ((l[n] = strdup(key)) == NULL)
		return oom(c);
	l[n + 1] = NULL;
	return 0;
}

/* Whether v is of type t (an accepted-only key). */
static bool
type_ok(enum key_type t, const struct json_value *v)
{
	switch (t) {
	case KT_BOOL:	return v->type == JSON_BOOL;
	case KT_NUMBER:	return v->type == JSON_NUMBER && v->number >= 0;
	case KT_STRING:	return v->type == JSON_STRING;
	case KT_OBJECT:	return v->type == JSON_OBJECT;
	case KT_ARRAY:	return v->type == JSON_ARRAY;
	case KT_ARRAY_OR_OBJECT:
		return v->type == JSON_ARRAY || v->type == JSON_OBJECT;
	case KT_PARSED:	break;
	}
	return false;
}

static const char *
type_words(enum key_type t)
{
	switch (t) {
	case KT_BOOL:	return "true or false";
	case KT_NUMBER:	return "a number from 0";
	case KT_STRING:	return "a string";
	case KT_OBJECT:	return "an object";
	case KT_ARRAY:	return "an array";
	case KT_ARRAY_OR_OBJECT: return "an array or an object";
	case KT_PARSED:	break;
	}
	return "?";
}

/* Members of an object setting must be among names. */
static int
check_members(const struct ctx *c, const char *k, const struct json_value *v,
    const char *const *names)
{
	for (size_t i = 0; i < v->len; i++) {
		bool known = false;
		for (size_t j = 0; names[j] != NULL && !known; j++)
			known = strcmp(v->keys[i], names[j]) == 0;
		if (!known)
			return unknown_member(c, k, v->keys[i], names);
	}
	return 0;
}

/* "download": an array of objects {uri, filepath, sha256, md5}. */
static int
check_download(const struct ctx *c, const char *k, const struct json_value *v)
{
	char key[64];

	for (size_t i = 0; i < v->len; i++) {
		snprintf(key, sizeof key, "%s[%zu]", k, i);
		if (v->items[i]->type != JSON_OBJECT)
			return bad(c, key, "must be an object {uri, filepath, "
			    "sha256, md5}, not %s", json_type_name(v->items[i]->type));
		if (check_members(c, key, v->items[i], download_keys) != 0)
			return -1;
	}
	return 0;
}

/* A key only type-checked, then noted as not acted on. */
static int
accept_key(const struct ctx *c, struct program_def *d,
    const struct program_key *pk, const struct json_value *v)
{
	char buf[40];

	if (!type_ok(pk->type, v))
		return bad(c, pk->name, "must be %s, not %s", type_words(pk->type),
		    what_is(v, buf, sizeof buf));
	if (strcmp(pk->name, "server") == 0 &&
	    check_members(c, pk->name, v, server_keys) != 0)
		return -1;
	if (strcmp(pk->name, "websocket_server") == 0 &&
	    check_members(c, pk->name, v, websocket_keys) != 0)
		return -1;
	if (strcmp(pk->name, "download") == 0 && check_download(c, pk->name, v) != 0)
		return -1;
	return note_unused(c, d, pk->name);
}

/* ---- warmup ---- */

#define WARMUP_DEFAULT_REQUESTS	20	/* an object without num_requests */

static int
warmup_member(const struct ctx *c, const char *ek, const struct json_value *ev,
    struct program_def *d)
{
	char key[80], buf[80];
	bool exact;

	snprintf(key, sizeof key, "warmup.%s", json_printable(ek, buf, sizeof buf));
	if (strcmp(ek, "num_requests") == 0)
		return get_unsigned(c, key, ev, 0, MAX_WARMUP, &d->warmup_requests);
	if (strcmp(ek, "url") == 0)
		return get_string(c, key, ev, &d->warmup_url);
	if (strcmp(ek, "method") == 0)
		return get_string(c, key, ev, &d->warmup_method);
	if (strcmp(ek, "headers") == 0) {
		if (get_strings(c, key, ev, false, &d->warmup_headers) != 0)
			return -1;
		return note_unused(c, d, key);
	}
	if (strcmp(ek, "exact") == 0) {
		if (get_bool(c, key, ev, &exact) != 0)
			return -1;
		return note_unused(c, d, key);
	}
	return unknown_member(c, "warmup", ek, warmup_keys);
}

static int
get_warmup(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	if (v->type != JSON_OBJECT)
		return bad(c, k, "must be an object {num_requests, url, method, "
		    "headers, exact}, not %s", json_type_name(v->type));
	if (json_get(v, "num_requests") == NULL)
		d->warmup_requests = WARMUP_DEFAULT_REQUESTS;
	for (size_t j = 0; j < v->len; j++)
		if (warmup_member(c, v->keys[j], v->items[j], d) != 0)
			return -1;
	return 0;
}

/* ---- All settings ---- */

/* The settings of one simple type, by name. */
enum kind { K_STRING, K_PATH, K_BOOL, K_SECONDS, K_MIB };

#define FIELD(f) offsetof(struct program_def, f)
static const struct simple_setting {
	const char *name;
	enum kind kind;
	size_t offset;
} simple_settings[] = {
	{ "group",		K_STRING,  FIELD(group) },
	{ "uri",		K_STRING,  FIELD(uri) },
	{ "filename",		K_STRING,  FIELD(filename) },
	{ "key",		K_STRING,  FIELD(key) },
	{ "current_working_directory", K_PATH, FIELD(cwd) },
	{ "storage",		K_BOOL,    FIELD(storage) },
	{ "mmap_backed_files",	K_BOOL,    FIELD(mmap_backed_files) },
	{ "start",		K_BOOL,    FIELD(start) },
	{ "ephemeral",		K_BOOL,    FIELD(ephemeral) },
	{ "ephemeral_keep_working_memory", K_BOOL, FIELD(ephemeral_keep_working_memory) },
	{ "control_ephemeral",	K_BOOL,    FIELD(control_ephemeral) },
	{ "hugepages",		K_BOOL,    FIELD(hugepages) },
	{ "split_hugepages",	K_BOOL,    FIELD(split_hugepages) },
	{ "allow_debug",	K_BOOL,    FIELD(allow_debug) },
	{ "remote_debug_on_exception", K_BOOL, FIELD(remote_debug_on_exception) },
	{ "verbose",		K_BOOL,    FIELD(verbose) },
	{ "verbose_syscalls",	K_BOOL,    FIELD(verbose_syscalls) },
	{ "stdout",		K_BOOL,    FIELD(print_stdout) },
	{ "max_boot_time",	K_SECONDS, FIELD(max_boot_time) },
	{ "max_request_time",	K_SECONDS, FIELD(max_request_time) },
	{ "max_queue_time",	K_SECONDS, FIELD(max_queue_time) },
	{ "max_memory",		K_MIB,     FIELD(max_memory) },
	{ "max_request_memory",	K_MIB,     FIELD(max_request_memory) },
	{ "req_mem_limit_after_reset", K_MIB, FIELD(limit_workmem_after_req) },
	{ "limit_workmem_after_req", K_MIB, FIELD(limit_workmem_after_req) },
	{ "shared_memory",	K_MIB,     FIELD(shared_memory) },
	{ "address_space",	K_MIB,     FIELD(address_space) },
	{ "hugepage_arena_size", K_MIB,    FIELD(hugepage_arena_size) },
	{ "request_hugepage_arena_size", K_MIB, FIELD(request_hugepage_arena_size) },
};
#undef FIELD

static int
apply_simple(const struct ctx *c, struct program_def *d,
    const struct simple_setting *s, const struct json_value *v)
{
	char *field = (char *)d + s->offset;

	switch (s->kind) {
	case K_STRING:	return get_string(c, s->name, v, (char **)(void *)field);
	case K_PATH:	return get_path(c, s->name, v, (char **)(void *)field);
	case K_BOOL:	return get_bool(c, s->name, v, (bool *)(void *)field);
	case K_SECONDS:	return get_seconds(c, s->name, v, (double *)(void *)field);
	case K_MIB:	return get_mib(c, s->name, v, (uint64_t *)(void *)field);
	}
	return -1;
}

/* Applies one setting k = v to d, among the keys program_config.c reads. */
static int
parse_key(const struct ctx *c, struct program_def *d, const char *k,
    const struct json_value *v)
{
	for (size_t i = 0; i < sizeof simple_settings / sizeof simple_settings[0]; i++)
		if (strcmp(k, simple_settings[i].name) == 0)
			return apply_simple(c, d, &simple_settings[i], v);
	if (strcmp(k, "concurrency") == 0)
		return get_unsigned(c, k, v, 1, MAX_CONCURRENCY, &d->concurrency);
	if (strcmp(k, "smp") == 0)
		return get_unsigned(c, k, v, 0, MAX_SMP, &d->smp);
	if (strcmp(k, "main_arguments") == 0)
		return get_strings(c, k, v, false, &d->main_arguments);
	if (strcmp(k, "environment") == 0)
		return get_strings(c, k, v, true, &d->environment);
	if (strcmp(k, "allowed_paths") == 0)
		return get_allowed(c, k, v, d);
	if (strcmp(k, "warmup") == 0)
		return get_warmup(c, k, v, d);
	if (strcmp(k, "remapping") == 0)
		return get_raw(c, k, v, true, &d->remapping);
	if (strcmp(k, "blackout_area") == 0)
		return get_raw(c, k, v, true, &d->blackout_area);
	return bad(c, k, "has no reader (config/program_keys.c out of step)");
}

/* Applies one setting k = v to d; notes it when it is not acted on. */
static int
apply_key(const struct ctx *c, struct program_def *d, const char *k,
    const struct json_value *v)
{
	const struct program_key *pk = program_key_find(k);
	char hint[80];

	if (pk == NULL)
		return bad(c, k, "is not a known setting%s",
		    suggest(program_key_closest(k), hint, sizeof hint));
	if (pk->type != KT_PARSED)
		return accept_key(c, d, pk, v);
	if (parse_key(c, d, k, v) != 0)
		return -1;
	return pk->used ? 0 : note_unused(c, d, k);
}

static int
apply_object(const struct ctx *c, struct program_def *d,
    const struct json_value *obj)
{
	for (size_t i = 0; i < obj->len; i++)
		if (apply_key(c, d, obj->keys[i], obj->items[i]) != 0)
			return -1;
	return 0;
}

/* ---- Entries ---- */

static bool
looks_like_program(const struct json_value *obj)
{
	return json_get(obj, "uri") != NULL || json_get(obj, "filename") != NULL ||
	    json_get(obj, "group") != NULL;
}

static struct entry *
find_entry(const struct program_library *lib, const char *name)
{
	for (size_t i = 0; i < lib->n; i++)
		if (strcmp(lib->entries[i].name, name) == 0)
			return &lib->entries[i];
	return NULL;
}

static void
entries_free(struct entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(entries[i].name);
		json_free(entries[i].settings);
		def_free(entries[i].def);
	}
	free(entries);
}

/* Adds an entry taking settings (an object); NULL when out of memory. */
static struct entry *
add_entry(struct program_library *lib, const char *name,
    struct json_value *settings, bool is_program)
{
	struct entry *e = realloc(lib->entries, (lib->n + 1) * sizeof *e);
	char *copy = strdup(name);

	if (e != NULL)
		lib->entries = e;
	if (e == NULL || copy == NULL) {
		free(copy);
		return NULL;
	}
	e = &lib->entries[lib->n++];
	e->name = copy;
	e->settings = settings;
	e->is_program = is_program;
	e->def = NULL;
	return e;
}

/* A working copy of lib's entries (without definitions), or NULL. */
static struct program_library *
work_copy(const struct program_library *lib)
{
	struct program_library *w = calloc(1, sizeof *w);

	for (size_t i = 0; w != NULL && i < lib->n; i++) {
		const struct entry *e = &lib->entries[i];
		struct json_value *s = json_clone(e->settings);
		if (s == NULL || add_entry(w, e->name, s, e->is_program) == NULL) {
			json_free(s);
			library_free(w);
			return NULL;
		}
	}
	return w;
}

/* The group a program names: 0 with *g (NULL if none), or -1. */
static int
program_group(const struct program_library *lib, const struct entry *e,
    const struct entry **g, char *err, size_t errlen)
{
	const struct ctx c = { "program", e->name, err, errlen };
	const struct json_value *gv = json_get(e->settings, "group");
	char buf[80];

	*g = NULL;
	if (gv == NULL)
		return 0;
	if (gv->type != JSON_STRING)
		return bad(&c, "group", "must be a non-empty string, not %s",
		    json_type_name(gv->type));
	*g = find_entry(lib, gv->string);
	if (*g == NULL || (*g)->is_program)
		return entry_error(&c, "group '%s' %s",
		    json_printable(gv->string, buf, sizeof buf), *g == NULL ?
		    "is not defined" : "is a program, not a group of settings");
	return 0;
}

/* Resolves program e: defaults, its group, its own settings. */
static struct program_def *
resolve(const struct program_library *lib, const struct entry *e, char *err,
    size_t errlen)
{
	const struct ctx c = { "program", e->name, err, errlen };
	const struct entry *g;
	struct program_def *d;

	if (program_group(lib, e, &g, err, errlen) != 0)
		return NULL;
	if ((d = def_new()) == NULL || (d->name = strdup(e->name)) == NULL) {
		oom(&c);
		def_free(d);
		return NULL;
	}
	if (g != NULL) {
		const struct ctx gc = { "group", g->name, err, errlen };
		if (apply_object(&gc, d, g->settings) != 0)
			goto bad;
	}
	if (apply_object(&c, d, e->settings) == 0)
		return d;
bad:
	def_free(d);
	return NULL;
}

/* Checks a group's settings on a scratch definition. */
static int
check_group(const struct entry *e, char *err, size_t errlen)
{
	const struct ctx c = { "group", e->name, err, errlen };
	struct program_def *d = def_new();
	int r;

	if (d == NULL)
		return oom(&c);
	r = apply_object(&c, d, e->settings);
	def_free(d);
	return r;
}

/* Checks every group, then resolves every program of w. */
static int
resolve_all(struct program_library *w, char *err, size_t errlen)
{
	for (size_t i = 0; i < w->n; i++)
		if (!w->entries[i].is_program &&
		    check_group(&w->entries[i], err, errlen) != 0)
			return -1;
	for (size_t i = 0; i < w->n; i++) {
		struct entry *e = &w->entries[i];
		if (e->is_program && (e->def = resolve(w, e, err, errlen)) == NULL)
			return -1;
	}
	return 0;
}

/* ---- Warnings ---- */

static bool
in_list(char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* Appends s (taken) to the list l of n; false (s freed) without memory. */
static bool
list_push(char ***l, size_t *n, char *s)
{
	char **nl = s == NULL ? NULL : realloc(*l, (*n + 1) * sizeof *nl);

	if (nl == NULL) {
		free(s);
		return false;
	}
	nl[(*n)++] = s;
	*l = nl;
	return true;
}

/* Queues one warning per program and unused key not warned about yet. */
static void
queue_warnings(struct program_library *lib)
{
	char *id, *msg, name[80];

	for (size_t i = 0; i < lib->n; i++) {
		const struct program_def *d = lib->entries[i].def;
		for (char **k = d ? d->unused : NULL; k && *k; k++) {
			if (asprintf(&id, "%s\n%s", d->name, *k) < 0)
				return;
			if (in_list(lib->warned, lib->nwarned, id)) {
				free(id);
				continue;
			}
			if (!list_push(&lib->warned, &lib->nwarned, id) ||
			    asprintf(&msg, "program '%s': '%s' is accepted but not "
			    "supported yet; ignored", json_printable(d->name, name,
			    sizeof name), *k) < 0)
				return;
			(void)list_push(&lib->pending, &lib->npending, msg);
		}
	}
}

void
library_take_warnings(struct program_library *lib,
    void (*fn)(void *opaque, const char *warning), void *opaque)
{
	if (lib == NULL)
		return;
	for (size_t i = 0; i < lib->npending; i++) {
		fn(opaque, lib->pending[i]);
		free(lib->pending[i]);
	}
	free(lib->pending);
	lib->pending = NULL;
	lib->npending = 0;
}

/*
 * Resolves the working copy w and, if all is well, makes it lib's
 * entries; lib's old definitions are retired, not freed.  w is consumed.
 */
static int
commit(struct program_library *lib, struct program_library *w, char *err,
    size_t errlen)
{
	struct program_def **r;
	size_t n = lib->nretired;

	if (resolve_all(w, err, errlen) != 0) {
		library_free(w);
		return -1;
	}
	r = realloc(lib->retired, (n + lib->n + 1) * sizeof *r);
	if (r == NULL) {
		library_free(w);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	lib->retired = r;
	for (size_t i = 0; i < lib->n; i++) {
		if (lib->entries[i].def != NULL)
			r[n++] = lib->entries[i].def;
		lib->entries[i].def = NULL;
	}
	lib->nretired = n;
	entries_free(lib->entries, lib->n);
	lib->entries = w->entries;
	lib->n = w->n;
	free(w);
	queue_warnings(lib);
	return 0;
}

/* ---- The library ---- */

/* Parses text that must be a JSON object; NULL with err otherwise. */
static struct json_value *
parse_object(const char *text, size_t len, const char *what, char *err,
    size_t errlen)
{
	struct json_value *v = json_parse(text, len, err, errlen);

	if (v != NULL && v->type != JSON_OBJECT) {
		snprintf(err, errlen, "%s must be a JSON object, not %s", what,
		    json_type_name(v->type));
		json_free(v);
		return NULL;
	}
	return v;
}

/* Puts the entry name = obj into w (replacing one); obj is taken. */
static int
put_entry(struct program_library *w, const char *name, struct json_value *obj,
    char *err, size_t errlen)
{
	const struct ctx c = { "entry", name, err, errlen };
	struct entry *e;

	if (name[0] == '\0')
		return snprintf(err, errlen, "an entry name must not be empty"), -1;
	if (obj->type != JSON_OBJECT)
		return entry_error(&c, "must be an object of settings, not %s",
		    json_type_name(obj->type));
	e = find_entry(w, name);
	if (e == NULL && (e = add_entry(w, name, NULL, false)) == NULL)
		return oom(&c);
	json_free(e->settings);
	e->settings = obj;
	e->is_program = looks_like_program(obj);
	return 0;
}

int
library_merge_text(struct program_library *lib, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct json_value *root = parse_object(text, len,
	    "a library (programs and groups)", err, errlen);
	struct program_library *w;
	int r = 0;

	if (root == NULL)
		return -1;
	if ((w = work_copy(lib)) == NULL) {
		json_free(root);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	for (size_t i = 0; i < root->len && r == 0; i++) {
		r = put_entry(w, root->keys[i], root->items[i], err, errlen);
		if (r == 0)
			root->items[i] = NULL;	/* now w's */
	}
	json_free(root);
	if (r != 0) {
		library_free(w);
		return -1;
	}
	return commit(lib, w, err, errlen);
}

struct program_library *
library_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct program_library *lib = calloc(1, sizeof *lib);

	if (lib == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (library_merge_text(lib, text, len, err, errlen) != 0) {
		library_free(lib);
		return NULL;
	}
	return lib;
}

/* Lays the members of obj over the object into (replacing same keys). */
static int
overlay(struct json_value *into, struct json_value *obj)
{
	for (size_t i = 0; i < obj->len; i++) {
		size_t j = 0;
		while (j < into->len && strcmp(into->keys[j], obj->keys[i]) != 0)
			j++;
		if (j == into->len) {
			char **k = realloc(into->keys, (j + 1) * sizeof *k);
			struct json_value **v = k == NULL ? NULL :
			    realloc(into->items, (j + 1) * sizeof *v);
			if (k != NULL)
				into->keys = k;
			if (v == NULL)
				return -1;
			into->items = v;
			into->keys[j] = obj->keys[i];
			into->items[j] = obj->items[i];
			into->len++;
			obj->keys[i] = NULL;
		} else {
			json_free(into->items[j]);
			into->items[j] = obj->items[i];
		}
		obj->items[i] = NULL;
	}
	return 0;
}

int
library_apply_json(struct program_library *lib, const char *program,
    const char *json, size_t len, char *err, size_t errlen)
{
	struct json_value *obj = parse_object(json, len, "the settings", err,
	    errlen);
	struct program_library *w;
	struct entry *e;
	const struct ctx c = { "program", program, err, errlen };

	if (obj == NULL)
		return -1;
	if (program == NULL || program[0] == '\0') {
		json_free(obj);
		return snprintf(err, errlen, "a program name must not be empty"), -1;
	}
	if ((w = work_copy(lib)) == NULL) {
		json_free(obj);
		return oom(&c);
	}
	e = find_entry(w, program);
	if (e == NULL) {
		/* As in a library: a program, or else a group of settings. */
		if (add_entry(w, program, obj, looks_like_program(obj)) == NULL)
			goto nomem;
	} else {
		int r = overlay(e->settings, obj);
		json_free(obj);
		obj = NULL;
		if (r != 0)
			goto nomem;
		e->is_program = e->is_program || looks_like_program(e->settings);
	}
	return commit(lib, w, err, errlen);
nomem:
	json_free(obj);
	library_free(w);
	return oom(&c);
}

const struct program_def *
library_find(const struct program_library *lib, const char *name)
{
	const struct entry *e;

	if (lib == NULL || name == NULL)
		return NULL;
	e = find_entry(lib, name);
	return e != NULL ? e->def : NULL;
}

size_t
library_count(const struct program_library *lib)
{
	size_t n = 0;

	for (size_t i = 0; lib != NULL && i < lib->n; i++)
		n += lib->entries[i].is_program;
	return n;
}

const struct program_def *
library_program(const struct program_library *lib, size_t i)
{
	for (size_t j = 0; lib != NULL && j < lib->n; j++)
		if (lib->entries[j].is_program && i-- == 0)
			return lib->entries[j].def;
	return NULL;
}

void
library_free(struct program_library *lib)
{
	if (lib == NULL)
		return;
	entries_free(lib->entries, lib->n);
	for (size_t i = 0; i < lib->nretired; i++)
		def_free(lib->retired[i]);
	free(lib->retired);
	for (size_t i = 0; i < lib->nwarned; i++)
		free(lib->warned[i]);
	free(lib->warned);
	for (size_t i = 0; i < lib->npending; i++)
		free(lib->pending[i]);
	free(lib->pending);
	free(lib);
}

/* ---- Engine settings ---- */

static size_t
list_len(const char *const *l)
{
	size_t n = 0;

	while (l != NULL && l[n] != NULL)
		n++;
	return n;
}

/* Refuses allowed paths the engine cannot give as asked. */
static int
check_paths_for_engine(const struct program_def *d, char *err, size_t errlen)
{
	const struct ctx c = { "program", d->name, err, errlen };

	for (unsigned i = 0; i < d->nallowed; i++) {
		const struct allowed_path_def *a = &d->allowed[i];
		if (a->virt != NULL)
			return entry_error(&c, "allowed path '%s': a 'virtual' path "
			    "other than the real one is not supported", a->real);
		if (a->writable)
			return entry_error(&c, "allowed path '%s': writable paths "
			    "are not supported (guest files are read-only)", a->real);
	}
	return 0;
}

/* The environment: the program's, then what tells it where it runs. */
static int
build_envp(const struct program_def *d, struct program_engine_config *o)
{
	size_t n = 0, nenv = list_len((const char *const *)d->environment);

	if ((o->envp = calloc(nenv + 6, sizeof *o->envp)) == NULL)
		return -1;
	for (size_t i = 0; i < nenv; i++)
		o->envp[n++] = d->environment[i];
	/* What every program can see of where it runs (GUEST_ABI.md). */
	if (asprintf(&o->extra[0], "KVM_NAME=%s", d->name) < 0) {
		o->extra[0] = NULL;
		return -1;
	}
	if (asprintf(&o->extra[1], "KVM_GROUP=%s", d->group ? d->group : "") < 0) {
		o->extra[1] = NULL;
		return -1;
	}
	if (asprintf(&o->extra[2], "KVM_DEBUG=%d", d->allow_debug) < 0) {
		o->extra[2] = NULL;
		return -1;
	}
	o->envp[n++] = o->extra[0];
	o->envp[n++] = o->extra[1];
	o->envp[n++] = "KVM_TYPE=request";
	o->envp[n++] = "KVM_STATE=state";
	o->envp[n++] = o->extra[2];
	return 0;
}

/* argv = { name, args... }, envp and the allowed real paths. */
static int
build_arrays(const struct program_def *d, const char *const *args,
    struct program_engine_config *o)
{
	size_t nargs = list_len(args);

	o->argv = calloc(nargs + 2, sizeof *o->argv);
	o->allowed = calloc(d->nallowed + 1, sizeof *o->allowed);
	if (o->argv == NULL || o->allowed == NULL || build_envp(d, o) != 0)
		return -1;
	o->argv[0] = d->name;
	for (size_t i = 0; i < nargs; i++)
		o->argv[i + 1] = args[i];
	for (unsigned i = 0; i < d->nallowed; i++)
		o->allowed[i] = d->allowed[i].real;
	return 0;
}

int
program_def_to_engine(const struct program_def *d, const char *const *main_args,
    struct tkvm_program_config *cfg, struct program_engine_config *owned,
    char *err, size_t errlen)
{
	const char *const *args = main_args != NULL ? main_args :
	    (const char *const *)d->main_arguments;

	memset(cfg, 0, sizeof *cfg);
	memset(owned, 0, sizeof *owned);
	if (check_paths_for_engine(d, err, errlen) != 0)
		return -1;
	if (build_arrays(d, args, owned) != 0) {
		program_engine_config_free(owned);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->vm.memory_mib = d->max_memory;
	cfg->vm.shared_memory_mib = d->shared_memory;
	cfg->vm.argv = owned->argv;
	cfg->vm.envp = owned->envp;
	cfg->vm.allowed_paths = owned->allowed;
	cfg->vm.cwd = d->cwd;
	cfg->vm.verbose = d->verbose || d->verbose_syscalls;
	cfg->max_boot_time = d->max_boot_time;
	cfg->max_request_time = d->max_request_time;
	cfg->concurrency = d->concurrency;
	cfg->max_request_memory_mib = d->max_request_memory;
	cfg->limit_workmem_after_req_mib = d->limit_workmem_after_req;
	cfg->persistent = !d->ephemeral;
	cfg->control_ephemeral = d->control_ephemeral;
	cfg->warmup_requests = d->warmup_requests;
	cfg->warmup_url = d->warmup_url;
	cfg->warmup_method = d->warmup_method;
	return 0;
}

void
program_engine_config_free(struct program_engine_config *owned)
{
	free(owned->argv);
	free(owned->envp);
	free(owned->allowed);
	for (int i = 0; i < 3; i++)
		free(owned->extra[i]);
	memset(owned, 0, sizeof *owned);
}
