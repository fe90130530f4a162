/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One entry's settings: every key of config/program_keys.c checked for its
 * type and range and read into a struct program_def (with the readers of
 * program_values.c), or only type-checked and listed as not acted on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_keys.h"
#include "program_settings.h"

#define MAX_CONCURRENCY	255	/* as published */
#define MAX_SMP		16
#define MAX_WARMUP	100000

/* ---- allowed_paths ---- */

/* One member of an allowed path object. */
static int
path_member(const struct ctx *c, const char *k, const char *ek,
    const struct json_value *ev, struct allowed_path_def *a)
{
	char key[120];

	snprintf(key, sizeof key, "%s.%s", k, ek);
	if (strcmp(ek, "real") == 0)
		return pc_get_path(c, key, ev, true, &a->real);
	if (strcmp(ek, "virtual") == 0)
		return pc_get_path(c, key, ev, false, &a->virt);
	if (strcmp(ek, "prefix") == 0)
		return pc_get_bool(c, key, ev, &a->prefix);
	if (strcmp(ek, "writable") == 0)
		return pc_get_bool(c, key, ev, &a->writable);
	if (strcmp(ek, "symlink") == 0)
		return pc_get_bool(c, key, ev, &a->symlink);
	return pc_unknown_member(c, k, ek, path_keys);
}

/* One element of allowed_paths: "/path" or {real, virtual, ...}. */
static int
path_entry(const struct ctx *c, const char *k, size_t i,
    const struct json_value *e, struct allowed_path_def *a)
{
	char key[64];

	snprintf(key, sizeof key, "%s[%zu]", k, i);
	if (e->type == JSON_STRING)
		return pc_get_path(c, key, e, true, &a->real);
	if (e->type != JSON_OBJECT)
		return pc_bad(c, key, "must be a path or an object {real, virtual, "
		    "prefix, writable, symlink}, not %s", json_type_name(e->type));
	for (size_t j = 0; j < e->len; j++)
		if (path_member(c, key, e->keys[j], e->items[j], a) != 0)
			return -1;
	if (a->real == NULL && a->virt == NULL)
		return pc_bad(c, key, "has no 'real' path");
	if (a->real == NULL && (a->real = strdup(a->virt)) == NULL)
		return pc_oom(c);
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
		return pc_bad(c, k, "must be an array of paths or path objects, not %s",
		    json_type_name(v->type));
	if ((a = calloc(v->len + 1, sizeof *a)) == NULL)
		return pc_oom(c);
	for (size_t i = 0; i < v->len; i++) {
		if (path_entry(c, k, i, v->items[i], &a[i]) != 0) {
			pc_allowed_free(a, v->len);
			return -1;
		}
	}
	pc_allowed_free(d->allowed, d->nallowed);
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
		return pc_oom(c);
	d->unused = l;
	if ((l[n] = strdup(key)) == NULL)
		return pc_oom(c);
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

/* Members of an object setting not among names are warned about. */
static int
check_members(const struct ctx *c, const char *k, const struct json_value *v,
    const char *const *names)
{
	for (size_t i = 0; i < v->len; i++) {
		bool known = false;
		for (size_t j = 0; names[j] != NULL && !known; j++)
			known = strcmp(v->keys[i], names[j]) == 0;
		if (!known && pc_unknown_member(c, k, v->keys[i], names) != 0)
			return -1;
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
			return pc_bad(c, key, "must be an object {uri, filepath, "
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
		return pc_bad(c, pk->name, "must be %s, not %s", type_words(pk->type),
		    pc_what_is(v, buf, sizeof buf));
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

/* One member, read into d. */
static int
warmup_read(const struct ctx *c, const char *key, const char *ek,
    const struct json_value *ev, struct program_def *d)
{
	bool exact;

	if (strcmp(ek, "num_requests") == 0)
		return pc_get_unsigned(c, key, ev, 0, MAX_WARMUP, &d->warmup_requests);
	if (strcmp(ek, "url") == 0)
		return pc_get_string(c, key, ev, &d->warmup_url);
	if (strcmp(ek, "method") == 0)
		return pc_get_string(c, key, ev, &d->warmup_method);
	if (strcmp(ek, "headers") == 0)
		return pc_get_strings(c, key, ev, false, &d->warmup_headers);
	if (strcmp(ek, "exact") == 0)
		return pc_get_bool(c, key, ev, &exact);
	return pc_unknown_member(c, "warmup", ek, warmup_keys);
}

/* One member; noted in d->unused when not acted on. */
static int
warmup_member(const struct ctx *c, const char *ek, const struct json_value *ev,
    struct program_def *d)
{
	char key[80], buf[80];

	snprintf(key, sizeof key, "warmup.%s", printable(ek, buf, sizeof buf));
	if (warmup_read(c, key, ek, ev, d) != 0)
		return -1;
	return program_member_used("warmup", ek) ? 0 : note_unused(c, d, key);
}

static int
get_warmup(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	if (v->type != JSON_OBJECT)
		return pc_bad(c, k, "must be an object {num_requests, url, method, "
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
enum kind { K_STRING, K_OPTIONAL, K_OPTIONAL_EXPANDED, K_PATH, K_BOOL,
    K_SECONDS, K_MIB };

#define FIELD(f) offsetof(struct program_def, f)
static const struct simple_setting {
	const char *name;
	enum kind kind;
	size_t offset;
} simple_settings[] = {
	{ "group",		K_STRING,  FIELD(group) },
	{ "uri",		K_OPTIONAL, FIELD(uri) },
	{ "filename",		K_OPTIONAL_EXPANDED, FIELD(filename) },
	{ "key",		K_OPTIONAL, FIELD(key) },
	{ "current_working_directory", K_PATH, FIELD(cwd) },
	{ "storage",		K_BOOL,    FIELD(storage) },
	{ "mmap_backed_files",	K_BOOL,    FIELD(mmap_backed_files) },
	{ "ephemeral",		K_BOOL,    FIELD(ephemeral) },
	{ "ephemeral_keep_working_memory", K_BOOL, FIELD(ephemeral_keep_working_memory) },
	{ "control_ephemeral",	K_BOOL,    FIELD(control_ephemeral) },
	{ "hugepages",		K_BOOL,    FIELD(hugepages) },
	{ "split_hugepages",	K_BOOL,    FIELD(split_hugepages) },
	{ "allow_debug",	K_BOOL,    FIELD(allow_debug) },
	{ "remote_debug_on_exception", K_BOOL, FIELD(remote_debug_on_exception) },
	{ "remote_debug_listen", K_STRING, FIELD(remote_debug_listen) },
	{ "remote_debug_timeout", K_SECONDS, FIELD(remote_debug_timeout) },
	{ "verbose",		K_BOOL,    FIELD(verbose) },
	{ "verbose_syscalls",	K_BOOL,    FIELD(verbose_syscalls) },
	{ "stdout",		K_BOOL,    FIELD(print_stdout) },
	{ "max_boot_time",	K_SECONDS, FIELD(max_boot_time) },
	{ "max_request_time",	K_SECONDS, FIELD(max_request_time) },
	{ "max_storage_time",	K_SECONDS, FIELD(max_storage_time) },
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
	case K_STRING:	return pc_get_string(c, s->name, v, (char **)(void *)field);
	case K_OPTIONAL: return pc_get_optional(c, s->name, v, false,
			    (char **)(void *)field);
	case K_OPTIONAL_EXPANDED: return pc_get_optional(c, s->name, v, true,
			    (char **)(void *)field);
	case K_PATH:	return pc_get_path(c, s->name, v, true, (char **)(void *)field);
	case K_BOOL:	return pc_get_bool(c, s->name, v, (bool *)(void *)field);
	case K_SECONDS:	return pc_get_seconds(c, s->name, v, (double *)(void *)field);
	case K_MIB:	return pc_get_mib(c, s->name, v, (uint64_t *)(void *)field);
	}
	return -1;
}

/* As published, "smp" above 16 is 16. */
static int
get_smp(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	if (v->type == JSON_NUMBER && v->number > MAX_SMP) {
		d->smp = MAX_SMP;
		return 0;
	}
	return pc_get_unsigned(c, k, v, 0, MAX_SMP, &d->smp);
}

/* As published, a "start" that is not true or false is not looked at. */
static int
get_start(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	if (v->type == JSON_BOOL) {
		d->start = v->boolean;
		return 0;
	}
	return pc_warn(c, "'%s' is not true or false but %s; ignored", k,
	    json_type_name(v->type));
}

/* An array of strings, or (as the published VMOD reads it) one string:
 * one argument. */
static int
get_main_arguments(const struct ctx *c, const char *k,
    const struct json_value *v, struct program_def *d)
{
	struct json_value one = { .type = JSON_ARRAY, .len = 1 };
	struct json_value *items[1] = { (struct json_value *)(uintptr_t)v };

	if (v->type == JSON_STRING) {
		one.items = items;
		v = &one;
	}
	if (pc_get_strings(c, k, v, false, &d->main_arguments) != 0)
		return -1;
	return pc_expand_list(c, d->main_arguments);
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
		return pc_get_unsigned(c, k, v, 0, MAX_CONCURRENCY, &d->concurrency);
	if (strcmp(k, "max_threads") == 0)
		return pc_get_unsigned(c, k, v, 1, 1024, &d->max_threads);
	if (strcmp(k, "smp") == 0)
		return get_smp(c, k, v, d);
	if (strcmp(k, "start") == 0)
		return get_start(c, k, v, d);
	if (strcmp(k, "main_arguments") == 0)
		return get_main_arguments(c, k, v, d);
	if (strcmp(k, "environment") == 0)
		return pc_get_strings(c, k, v, true, &d->environment) != 0 ? -1 :
		    pc_expand_list(c, d->environment);
	if (strcmp(k, "allowed_paths") == 0)
		return get_allowed(c, k, v, d);
	if (strcmp(k, "warmup") == 0)
		return get_warmup(c, k, v, d);
	if (strcmp(k, "remapping") == 0)
		return pc_get_raw(c, k, v, true, &d->remapping);
	if (strcmp(k, "blackout_area") == 0)
		return pc_get_raw(c, k, v, true, &d->blackout_area);
	return pc_bad(c, k, "has no reader (config/program_keys.c out of step)");
}

/* Applies one setting k = v to d; notes it when it is not acted on. */
static int
apply_key(const struct ctx *c, struct program_def *d, const char *k,
    const struct json_value *v)
{
	const struct program_key *pk = program_key_find(k);
	char hint[80], name[80];

	if (pk == NULL)		/* as published: reported, then ignored */
		return pc_warn(c, "'%s' is not a known setting%s; ignored",
		    printable(k, name, sizeof name),
		    pc_suggest(program_key_closest(k), hint, sizeof hint));
	if (pk->type != KT_PARSED)
		return accept_key(c, d, pk, v);
	if (parse_key(c, d, k, v) != 0)
		return -1;
	return pk->used ? 0 : note_unused(c, d, k);
}

int
pc_apply_object(const struct ctx *c, struct program_def *d,
    const struct json_value *obj)
{
	struct ctx wc = *c;

	wc.warn_to = d;
	for (size_t i = 0; i < obj->len; i++)
		if (apply_key(&wc, d, obj->keys[i], obj->items[i]) != 0)
			return -1;
	return 0;
}
