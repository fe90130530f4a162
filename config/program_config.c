#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "program_config.h"

#define MAX_LAYERS 16

/* A name with its JSON objects of settings, applied in order. */
struct entry {
	char *name;
	bool is_program;
	struct json_value *layers[MAX_LAYERS];
	unsigned nlayers;
	struct program_def *resolved;	/* cache, dropped on change */
};

struct program_library {
	struct entry *entries;
	unsigned n;
};

/* Where an error is reported from. */
struct ctx {
	const char *kind, *name;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
bad(const struct ctx *c, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s '%s': '%s' %s", c->kind, c->name, key, msg);
	return -1;
}

static char *
dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static void
free_list(char **l)
{
	for (char **p = l; p && *p; p++)
		free(*p);
	free(l);
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
	free_list(d->main_arguments);
	free_list(d->environment);
	free_list(d->warmup_headers);
	for (unsigned i = 0; i < d->nallowed; i++) {
		free(d->allowed[i].real);
		free(d->allowed[i].virt);
	}
	free(d->allowed);
	free(d);
}

static void
defaults(struct program_def *d)
{
	d->concurrency = 2;
	d->max_boot_time = 20.0;
	d->max_request_time = 8.0;
	d->max_queue_time = 5.0;
	d->max_memory = 64;
	d->max_request_memory = 32;
	d->ephemeral = true;
}

/* Typed readers: 0 or -1 with the error written. */
static int
get_string(const struct ctx *c, const char *k, const struct json_value *v,
    char **out)
{
	if (v->type != JSON_STRING)
		return bad(c, k, "must be a string, not %s", json_type_name(v->type));
	free(*out);
	*out = dup_or_die(v->string);
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

static int
get_uint(const struct ctx *c, const char *k, const struct json_value *v,
    uint64_t max, const char *unit, uint64_t *out)
{
	if (v->type != JSON_NUMBER || !v->is_integer || v->number < 0 ||
	    v->number > (double)max)
		return bad(c, k, "must be an integer from 0 to %llu%s",
		    (unsigned long long)max, unit);
	*out = (uint64_t)v->number;
	return 0;
}

static int
get_seconds(const struct ctx *c, const char *k, const struct json_value *v,
    double *out)
{
	if (v->type != JSON_NUMBER || !(v->number > 0) || v->number > 86400)
		return bad(c, k, "must be a number of seconds above 0 (at most 86400)");
	*out = v->number;
	return 0;
}

static int
get_strings(const struct ctx *c, const char *k, const struct json_value *v,
    bool need_equals, char ***out)
{
	char **l;

	if (v->type != JSON_ARRAY)
		return bad(c, k, "must be an array of strings");
	for (size_t i = 0; i < v->len; i++) {
		if (v->items[i]->type != JSON_STRING)
			return bad(c, k, "must be an array of strings (element %zu "
			    "is %s)", i, json_type_name(v->items[i]->type));
		if (need_equals && strchr(v->items[i]->string, '=') == NULL)
			return bad(c, k, "entry \"%s\" is not KEY=VALUE",
			    v->items[i]->string);
	}
	l = calloc(v->len + 1, sizeof *l);
	if (l == NULL)
		abort();
	for (size_t i = 0; i < v->len; i++)
		l[i] = dup_or_die(v->items[i]->string);
	free_list(*out);
	*out = l;
	return 0;
}

static int
get_allowed(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	struct allowed_path_def *a;

	if (v->type != JSON_ARRAY)
		return bad(c, k, "must be an array of paths or path objects");
	a = calloc(v->len + 1, sizeof *a);
	if (a == NULL)
		abort();
	for (size_t i = 0; i < v->len; i++) {
		const struct json_value *e = v->items[i];
		if (e->type == JSON_STRING) {
			a[i].real = dup_or_die(e->string);
			continue;
		}
		if (e->type != JSON_OBJECT)
			goto fail;
		for (size_t j = 0; j < e->len; j++) {
			const char *ek = e->keys[j];
			const struct json_value *ev = e->items[j];
			bool ok = true;
			if (strcmp(ek, "real") == 0 && ev->type == JSON_STRING)
				a[i].real = dup_or_die(ev->string);
			else if (strcmp(ek, "virtual") == 0 && ev->type == JSON_STRING)
				a[i].virt = dup_or_die(ev->string);
			else if (strcmp(ek, "prefix") == 0 && ev->type == JSON_BOOL)
				a[i].prefix = ev->boolean;
			else if (strcmp(ek, "writable") == 0 && ev->type == JSON_BOOL)
				a[i].writable = ev->boolean;
			else if (strcmp(ek, "symlink") == 0 && ev->type == JSON_BOOL)
				a[i].symlink = ev->boolean;
			else
				ok = false;
			if (!ok) {
				bad(c, k, "element %zu: '%s' is not a known path "
				    "setting or has the wrong type", i, ek);
				goto free;
			}
		}
		if (a[i].real == NULL && a[i].virt != NULL)
			a[i].real = dup_or_die(a[i].virt);
		if (a[i].real == NULL) {
			bad(c, k, "element %zu has no 'real' path", i);
			goto free;
		}
	}
	for (unsigned i = 0; i < d->nallowed; i++) {
		free(d->allowed[i].real);
		free(d->allowed[i].virt);
	}
	free(d->allowed);
	d->allowed = a;
	d->nallowed = (unsigned)v->len;
	return 0;
fail:
	bad(c, k, "must be an array of paths or path objects");
free:
	for (size_t i = 0; i < v->len; i++) {
		free(a[i].real);
		free(a[i].virt);
	}
	free(a);
	return -1;
}

static int
get_warmup(const struct ctx *c, const char *k, const struct json_value *v,
    struct program_def *d)
{
	uint64_t n = 0;

	if (v->type != JSON_OBJECT)
		return bad(c, k, "must be an object {num_requests, url, method, headers}");
	for (size_t j = 0; j < v->len; j++) {
		const char *ek = v->keys[j];
		const struct json_value *ev = v->items[j];
		int r;
		if (strcmp(ek, "num_requests") == 0) {
			r = get_uint(c, "warmup.num_requests", ev, 100000, "", &n);
			d->warmup_requests = (unsigned)n;
		} else if (strcmp(ek, "url") == 0)
			r = get_string(c, "warmup.url", ev, &d->warmup_url);
		else if (strcmp(ek, "method") == 0)
			r = get_string(c, "warmup.method", ev, &d->warmup_method);
		else if (strcmp(ek, "headers") == 0)
			r = get_strings(c, "warmup.headers", ev, false, &d->warmup_headers);
		else
			r = bad(c, "warmup", "has an unknown key '%s'", ek);
		if (r)
			return r;
	}
	return 0;
}

static int
get_any(const struct ctx *c, const char *k, const struct json_value *v,
    enum json_type a, enum json_type b)
{
	if (v->type != a && v->type != b)
		return bad(c, k, "must be %s or %s", json_type_name(a),
		    json_type_name(b));
	return 0;
}

#define MIB_MAX (1ULL << 20)

/* Applies one setting. */
static int
apply_key(const struct ctx *c, struct program_def *d, const char *k,
    const struct json_value *v)
{
	uint64_t n = 0;
	int r;

#define STR(name, field) if (!strcmp(k, name)) return get_string(c, k, v, &d->field);
#define BOOL(name, field) if (!strcmp(k, name)) return get_bool(c, k, v, &d->field);
#define MIB(name, field) if (!strcmp(k, name)) return get_uint(c, k, v, MIB_MAX, " (MiB)", &d->field);
#define SECS(name, field) if (!strcmp(k, name)) return get_seconds(c, k, v, &d->field);
	STR("group", group)
	STR("uri", uri)
	STR("filename", filename)
	STR("key", key)
	STR("current_working_directory", cwd)
	BOOL("storage", storage)
	BOOL("start", start)
	BOOL("ephemeral", ephemeral)
	BOOL("ephemeral_keep_working_memory", ephemeral_keep_working_memory)
	BOOL("control_ephemeral", control_ephemeral)
	BOOL("hugepages", hugepages)
	BOOL("split_hugepages", split_hugepages)
	BOOL("allow_debug", allow_debug)
	BOOL("remote_debug_on_exception", remote_debug_on_exception)
	BOOL("verbose", verbose)
	BOOL("verbose_syscalls", verbose_syscalls)
	BOOL("stdout", print_stdout)
	SECS("max_boot_time", max_boot_time)
	SECS("max_request_time", max_request_time)
	SECS("max_queue_time", max_queue_time)
	MIB("max_memory", max_memory)
	MIB("max_request_memory", max_request_memory)
	MIB("req_mem_limit_after_reset", limit_workmem_after_req)
	MIB("limit_workmem_after_req", limit_workmem_after_req)
	MIB("shared_memory", shared_memory)
	MIB("address_space", address_space)
	MIB("hugepage_arena_size", hugepage_arena_size)
	MIB("request_hugepage_arena_size", request_hugepage_arena_size)
#undef STR
#undef BOOL
#undef MIB
#undef SECS
	if (!strcmp(k, "concurrency")) {
		r = get_uint(c, k, v, 256, "", &n);
		if (r == 0 && n == 0)
			return bad(c, k, "must be at least 1");
		d->concurrency = (unsigned)n;
		return r;
	}
	if (!strcmp(k, "smp")) {
		r = get_uint(c, k, v, 16, "", &n);
		d->smp = (unsigned)n;
		return r;
	}
	if (!strcmp(k, "main_arguments"))
		return get_strings(c, k, v, false, &d->main_arguments);
	if (!strcmp(k, "environment"))
		return get_strings(c, k, v, true, &d->environment);
	if (!strcmp(k, "allowed_paths"))
		return get_allowed(c, k, v, d);
	if (!strcmp(k, "warmup"))
		return get_warmup(c, k, v, d);
	if (!strcmp(k, "remapping") || !strcmp(k, "blackout_area"))
		return get_any(c, k, v, JSON_ARRAY, JSON_OBJECT);
	if (!strcmp(k, "mmap_backed_files"))
		return get_any(c, k, v, JSON_ARRAY, JSON_ARRAY);
	return bad(c, k, "is not a known setting");
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

static struct entry *
find_entry(const struct program_library *lib, const char *name)
{
	for (unsigned i = 0; i < lib->n; i++)
		if (strcmp(lib->entries[i].name, name) == 0)
			return &lib->entries[i];
	return NULL;
}

static bool
looks_like_program(const struct json_value *obj)
{
	return json_get(obj, "uri") || json_get(obj, "filename") ||
	    json_get(obj, "group");
}

static void
drop_cache(struct program_library *lib)
{
	for (unsigned i = 0; i < lib->n; i++) {
		def_free(lib->entries[i].resolved);
		lib->entries[i].resolved = NULL;
	}
}

/* Checks an object's keys and types by applying it to a scratch def. */
static int
validate(const char *kind, const char *name, const struct json_value *obj,
    char *err, size_t errlen)
{
	struct ctx c = { kind, name, err, errlen };
	struct program_def *d;
	int r;

	if (obj->type != JSON_OBJECT) {
		snprintf(err, errlen, "%s '%s' must be a JSON object, not %s",
		    kind, name, json_type_name(obj->type));
		return -1;
	}
	d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	defaults(d);
	r = apply_object(&c, d, obj);
	def_free(d);
	return r;
}

static struct entry *
add_entry(struct program_library *lib, const char *name, bool is_program)
{
	struct entry *e = realloc(lib->entries, (lib->n + 1) * sizeof *e);

	if (e == NULL)
		abort();
	lib->entries = e;
	e = &lib->entries[lib->n++];
	memset(e, 0, sizeof *e);
	e->name = dup_or_die(name);
	e->is_program = is_program;
	return e;
}

static void
clear_layers(struct entry *e)
{
	for (unsigned i = 0; i < e->nlayers; i++)
		json_free(e->layers[i]);
	e->nlayers = 0;
}

static const char *
group_of(const struct entry *e)
{
	const struct json_value *gv = NULL;

	for (unsigned i = e->nlayers; i-- > 0 && gv == NULL; )
		gv = json_get(e->layers[i], "group");
	return gv ? gv->string : NULL;
}

/* Every program's group must name a group. */
static int
check_groups(const struct program_library *lib, char *err, size_t errlen)
{
	for (unsigned i = 0; i < lib->n; i++) {
		const struct entry *e = &lib->entries[i], *g;
		const char *name = e->is_program ? group_of(e) : NULL;
		if (name == NULL)
			continue;
		g = find_entry(lib, name);
		if (g == NULL || g->is_program) {
			snprintf(err, errlen, "program '%s': group '%s' %s", e->name,
			    name, g ? "is a program, not a group of settings" :
			    "is not defined");
			return -1;
		}
	}
	return 0;
}

int
library_merge_text(struct program_library *lib, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct json_value *root = json_parse(text, len, err, errlen);

	if (root == NULL)
		return -1;
	if (root->type != JSON_OBJECT) {
		snprintf(err, errlen, "a library must be a JSON object of "
		    "programs and groups");
		json_free(root);
		return -1;
	}
	for (size_t i = 0; i < root->len; i++) {
		const struct json_value *obj = root->items[i];
		bool prog = obj->type == JSON_OBJECT && looks_like_program(obj);
		if (validate(prog ? "program" : "group", root->keys[i], obj, err,
		    errlen) != 0) {
			json_free(root);
			return -1;
		}
	}
	for (size_t i = 0; i < root->len; i++) {
		struct entry *e = find_entry(lib, root->keys[i]);
		if (e == NULL)
			e = add_entry(lib, root->keys[i], false);
		clear_layers(e);
		e->is_program = looks_like_program(root->items[i]);
		e->layers[e->nlayers++] = root->items[i];
		root->items[i] = NULL;
	}
	root->len = 0;
	for (size_t i = 0; i < root->len; i++)
		free(root->keys[i]);
	json_free(root);
	drop_cache(lib);
	return check_groups(lib, err, errlen);
}

struct program_library *
library_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct program_library *lib = calloc(1, sizeof *lib);

	if (lib == NULL)
		abort();
	if (library_merge_text(lib, text, len, err, errlen) != 0) {
		library_free(lib);
		return NULL;
	}
	return lib;
}

int
library_apply_json(struct program_library *lib, const char *program,
    const char *json, size_t len, char *err, size_t errlen)
{
	struct json_value *obj = json_parse(json, len, err, errlen);
	struct entry *e;

	if (obj == NULL)
		return -1;
	e = find_entry(lib, program);
	if (validate(e && !e->is_program ? "group" : "program", program, obj,
	    err, errlen) != 0) {
		json_free(obj);
		return -1;
	}
	if (e == NULL)
		e = add_entry(lib, program, true);
	if (e->nlayers == MAX_LAYERS) {
		snprintf(err, errlen, "program '%s': too many configure() calls",
		    program);
		json_free(obj);
		return -1;
	}
	e->layers[e->nlayers++] = obj;
	drop_cache(lib);
	if (check_groups(lib, err, errlen) != 0) {
		e->nlayers--;
		json_free(obj);
		drop_cache(lib);
		return -1;
	}
	return 0;
}

static int
apply_layers(const struct entry *e, struct program_def *d)
{
	char err[256];
	struct ctx c = { "program", e->name, err, sizeof err };

	for (unsigned i = 0; i < e->nlayers; i++)
		if (apply_object(&c, d, e->layers[i]) != 0)
			return -1;
	return 0;
}

const struct program_def *
library_find(const struct program_library *lib, const char *name)
{
	struct entry *e = find_entry(lib, name), *g = NULL;
	struct program_def *d;
	const char *group;

	if (e == NULL || !e->is_program)
		return NULL;
	if (e->resolved != NULL)
		return e->resolved;
	group = group_of(e);
	if (group != NULL) {
		g = find_entry(lib, group);
		if (g == NULL || g->is_program)
			return NULL;
	}
	d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	defaults(d);
	if ((g != NULL && apply_layers(g, d) != 0) || apply_layers(e, d) != 0) {
		def_free(d);
		return NULL;
	}
	d->name = dup_or_die(name);
	e->resolved = d;
	return d;
}

void
library_free(struct program_library *lib)
{
	if (lib == NULL)
		return;
	for (unsigned i = 0; i < lib->n; i++) {
		clear_layers(&lib->entries[i]);
		def_free(lib->entries[i].resolved);
		free(lib->entries[i].name);
	}
	free(lib->entries);
	free(lib);
}

static const char **
string_array(size_t n)
{
	const char **a = calloc(n + 1, sizeof *a);

	if (a == NULL)
		abort();
	return a;
}

int
program_def_to_engine(const struct program_def *d, const char *const *main_args,
    struct tkvm_program_config *cfg, struct program_engine_config *owned,
    char *err, size_t errlen)
{
	const char *const *args = main_args ? main_args :
	    (const char *const *)d->main_arguments;
	size_t nargs = 0, nenv = 0, n = 0;
	(void)err;
	(void)errlen;
	while (args && args[nargs])
		nargs++;
	while (d->environment && d->environment[nenv])
		nenv++;
	memset(cfg, 0, sizeof *cfg);
	memset(owned, 0, sizeof *owned);
	owned->argv = string_array(nargs + 1);
	owned->argv[0] = d->name;
	for (size_t i = 0; i < nargs; i++)
		owned->argv[i + 1] = args[i];
	owned->envp = string_array(nenv + 8);
	for (size_t i = 0; i < nenv; i++)
		owned->envp[n++] = d->environment[i];
	/* What every program can see of where it runs (GUEST_ABI.md). */
	if (asprintf(&owned->extra[0], "KVM_NAME=%s", d->name) < 0 ||
	    asprintf(&owned->extra[1], "KVM_GROUP=%s", d->group ? d->group : "") < 0 ||
	    asprintf(&owned->extra[2], "KVM_DEBUG=%d", d->allow_debug) < 0)
		abort();
	owned->envp[n++] = owned->extra[0];
	owned->envp[n++] = owned->extra[1];
	owned->envp[n++] = "KVM_TYPE=request";
	owned->envp[n++] = "KVM_STATE=state";
	owned->envp[n++] = owned->extra[2];
	owned->allowed = string_array(d->nallowed);
	for (unsigned i = 0; i < d->nallowed; i++)
		owned->allowed[i] = d->allowed[i].real;
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
