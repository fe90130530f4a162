/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Program definitions: the library's entries keep their settings as JSON
 * objects; after every change all of them are checked and every program
 * is resolved again into a struct program_def (program_settings.c).  A
 * change is made on a copy of the entries, so that a refused change
 * leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_settings.h"

/* A name with its settings. */
struct entry {
	char *name;
	bool is_program;
	struct json_value *settings;	/* a JSON object, owned */
	struct program_def *def;	/* programs: the resolved definition;
					 * groups: their own settings */
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
		pc_def_free(entries[i].def);
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

/* The group every library has, as published: the defaults, and the
 * settings of an entry of this name when it is a group. */
#define DEFAULT_GROUP	"test"

/* The group a program is in (its "group", else the default group): 0
 * with *g (NULL: the defaults alone), or -1. */
static int
program_group(const struct program_library *lib, const struct entry *e,
    const struct entry **g, char *err, size_t errlen)
{
	const struct ctx c = { "program", e->name, err, errlen, NULL };
	const struct json_value *gv = json_get(e->settings, "group");
	const char *name = DEFAULT_GROUP;
	char buf[80];

	*g = NULL;
	if (gv != NULL && (gv->type != JSON_STRING || gv->len == 0))
		return pc_bad(&c, "group", "must be a non-empty string, not %s",
		    gv->type == JSON_STRING ? "\"\"" : json_type_name(gv->type));
	if (gv != NULL)
		name = gv->string;
	*g = find_entry(lib, name);
	if (*g != NULL && !(*g)->is_program)
		return 0;
	*g = NULL;
	if (strcmp(name, DEFAULT_GROUP) == 0)
		return 0;
	return pc_error(&c, "group '%s' %s", printable(name, buf, sizeof buf),
	    find_entry(lib, name) == NULL ? "is not defined" :
	    "is a program, not a group of settings");
}

/* Resolves program e: defaults, its group, its own settings. */
static struct program_def *
resolve(const struct program_library *lib, const struct entry *e, char *err,
    size_t errlen)
{
	const struct ctx c = { "program", e->name, err, errlen, NULL };
	const struct entry *g;
	struct program_def *d;

	if (program_group(lib, e, &g, err, errlen) != 0)
		return NULL;
	if ((d = pc_def_new()) == NULL || (d->name = strdup(e->name)) == NULL) {
		pc_oom(&c);
		pc_def_free(d);
		return NULL;
	}
	if (g != NULL) {
		const struct ctx gc = { "group", g->name, err, errlen, NULL };
		if (pc_apply_object(&gc, d, g->settings) != 0)
			goto bad;
	}
	if (pc_apply_object(&c, d, e->settings) == 0)
		return d;
bad:
	pc_def_free(d);
	return NULL;
}

/* Checks a group's settings on a definition of its own, kept for the
 * warnings about them (library_find() gives only programs). */
static int
check_group(struct entry *e, char *err, size_t errlen)
{
	const struct ctx c = { "group", e->name, err, errlen, NULL };
	struct program_def *d = pc_def_new();

	if (d == NULL)
		return pc_oom(&c);
	e->def = d;
	return pc_apply_object(&c, d, e->settings);
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

/* Queues w unless it was given already; false without memory. */
static bool
queue_once(struct program_library *lib, const char *w)
{
	char *msg;

	if (in_list(lib->warned, lib->nwarned, w))
		return true;
	if (!list_push(&lib->warned, &lib->nwarned, strdup(w)))
		return false;
	msg = strdup(w);
	return list_push(&lib->pending, &lib->npending, msg);
}

/* Queues the warnings of every entry, and one per program and unused
 * key, not given yet. */
static void
queue_warnings(struct program_library *lib)
{
	char *id, *msg, name[80];

	for (size_t i = 0; i < lib->n; i++) {
		const struct program_def *d = lib->entries[i].def;
		for (char **w = d ? d->warnings : NULL; w && *w; w++)
			if (!queue_once(lib, *w))
				return;
		if (!lib->entries[i].is_program)
			continue;
		for (char **k = d ? d->unused : NULL; k && *k; k++) {
			if (asprintf(&id, "%s\n%s", d->name, *k) < 0)
				return;
			if (in_list(lib->warned, lib->nwarned, id)) {
				free(id);
				continue;
			}
			if (!list_push(&lib->warned, &lib->nwarned, id) ||
			    asprintf(&msg, "program '%s': '%s' is accepted but not "
			    "supported yet; ignored", printable(d->name, name,
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
	const struct ctx c = { "entry", name, err, errlen, NULL };
	struct entry *e;

	if (name[0] == '\0')
		return snprintf(err, errlen, "an entry name must not be empty"), -1;
	if (obj->type != JSON_OBJECT)
		return pc_error(&c, "must be an object of settings, not %s",
		    json_type_name(obj->type));
	e = find_entry(w, name);
	if (e == NULL && (e = add_entry(w, name, NULL, false)) == NULL)
		return pc_oom(&c);
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
	const struct ctx c = { "program", program, err, errlen, NULL };

	if (obj == NULL)
		return -1;
	if (program == NULL || program[0] == '\0') {
		json_free(obj);
		return snprintf(err, errlen, "a program name must not be empty"), -1;
	}
	if ((w = work_copy(lib)) == NULL) {
		json_free(obj);
		return pc_oom(&c);
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
	return pc_oom(&c);
}

const struct program_def *
library_find(const struct program_library *lib, const char *name)
{
	const struct entry *e;

	if (lib == NULL || name == NULL)
		return NULL;
	e = find_entry(lib, name);
	return e != NULL && e->is_program ? e->def : NULL;
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
		pc_def_free(lib->retired[i]);
	free(lib->retired);
	for (size_t i = 0; i < lib->nwarned; i++)
		free(lib->warned[i]);
	free(lib->warned);
	for (size_t i = 0; i < lib->npending; i++)
		free(lib->pending[i]);
	free(lib->pending);
	free(lib);
}
