/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Program libraries: defaults, every setting, group inheritance,
 * configure() overrides, refused changes that leave the library as it
 * was, every kind of error with its exact message, allowed_paths in both
 * forms, and the engine settings made from a definition.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "program_config.h"
#include "program_keys.h"

#include "unit_check.h"

static struct program_library *
lib_ok(int line, const char *text)
{
	char err[512] = "";
	struct program_library *lib = library_parse(text, strlen(text), err,
	    sizeof err);

	if (lib == NULL) {
		fprintf(stderr, "%s:%d: library refused: %s\n", __FILE__, line, err);
		failures++;
	}
	return lib;
}

#define LIB_OK(text) lib_ok(__LINE__, (text))

/* library_parse(text) must fail with exactly want. */
static void
lib_error(int line, const char *text, const char *want)
{
	char err[512] = "";
	struct program_library *lib = library_parse(text, strlen(text), err,
	    sizeof err);

	if (lib != NULL) {
		fprintf(stderr, "%s:%d: accepted %s\n", __FILE__, line, text);
		failures++;
		library_free(lib);
		return;
	}
	check_str(line, text, err, want);
}

#define LIB_ERROR(text, want) lib_error(__LINE__, (text), (want))

/* One program "p" with the settings given (JSON members), must fail. */
#define P_ERROR(members, want) \
	lib_error(__LINE__, "{ \"p\": { \"filename\": \"/x\", " members " } }", (want))

static void
add_warning(void *opaque, const char *w)
{
	char *buf = opaque;

	snprintf(buf + strlen(buf), 1024 - strlen(buf), "%s\n", w);
}

/* library_parse(text) must load, with exactly the warnings want. */
static void
lib_warning(int line, const char *text, const char *want)
{
	char err[512] = "", buf[1024] = "", w[600];
	struct program_library *lib = library_parse(text, strlen(text), err,
	    sizeof err);

	if (lib == NULL) {
		fprintf(stderr, "%s:%d: refused %s: %s\n", __FILE__, line, text, err);
		failures++;
		return;
	}
	library_take_warnings(lib, add_warning, buf);
	snprintf(w, sizeof w, "%s\n", want);
	check_str(line, text, buf, w);
	library_free(lib);
}

/* Program "p" with these settings loads, with one warning. */
#define P_WARN(members, want) \
	lib_warning(__LINE__, "{ \"p\": { \"filename\": \"/x\", " members " } }", (want))

static int
apply(struct program_library *lib, const char *name, const char *json, char *err)
{
	return library_apply_json(lib, name, json, strlen(json), err, 512);
}

static size_t
count(char *const *list)
{
	size_t n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

static void
test_defaults(void)
{
	struct program_library *lib = LIB_OK("{ \"p\": { \"uri\": \"file:///p\" } }");
	const struct program_def *d = lib ? library_find(lib, "p") : NULL;

	CHECK(d != NULL);
	if (d == NULL) {
		library_free(lib);
		return;
	}
	CHECK_STR(d->name, "p");
	CHECK_STR(d->uri, "file:///p");
	CHECK_STR(d->group, "test");	/* the published default group */
	CHECK(d->filename == NULL && d->key == NULL);
	CHECK(d->concurrency == 2 && d->max_boot_time == 20.0);
	CHECK(d->max_threads == 64);
	CHECK(d->max_request_time == 8.0 && d->max_queue_time == 5.0);
	CHECK(d->max_memory == 64 && d->max_request_memory == 32);
	CHECK(d->ephemeral && !d->storage && !d->start && !d->control_ephemeral);
	CHECK(d->limit_workmem_after_req == 0 && d->shared_memory == 0);
	CHECK(d->address_space == 0 && d->hugepage_arena_size == 0);
	CHECK(!d->hugepages && !d->split_hugepages && d->smp == 0);
	CHECK(!d->verbose && !d->verbose_syscalls && !d->print_stdout);
	CHECK(!d->allow_debug && !d->remote_debug_on_exception);
	CHECK(d->main_arguments != NULL && d->main_arguments[0] == NULL);
	CHECK(d->environment != NULL && d->environment[0] == NULL);
	CHECK(d->warmup_headers != NULL && d->warmup_headers[0] == NULL);
	CHECK(d->nallowed == 0 && d->cwd == NULL && d->warmup_requests == 0);
	CHECK(d->warmup_url == NULL && d->warmup_method == NULL);
	CHECK(d->remapping == NULL && d->blackout_area == NULL);
	CHECK(d->mmap_backed_files && d->unused != NULL && d->unused[0] == NULL);
	library_free(lib);
}

static void
test_all_settings(void)
{
	struct program_library *lib = LIB_OK("{ /* every setting */\n"
	    " \"p\": { \"uri\": \"https://h/p.tar.xz\", \"filename\": \"/cache/p\",\n"
	    "  \"key\": \"secret\", \"concurrency\": 8, \"storage\": true,\n"
	    "  \"max_threads\": 200,\n"
	    "  \"start\": true, \"max_boot_time\": 1.5, \"max_request_time\": 3,\n"
	    "  \"max_queue_time\": 0.25, \"max_memory\": 512,\n"
	    "  \"max_request_memory\": 128, \"req_mem_limit_after_reset\": 16,\n"
	    "  \"shared_memory\": 4, \"address_space\": 2048, \"ephemeral\": false,\n"
	    "  \"ephemeral_keep_working_memory\": true, \"control_ephemeral\": true,\n"
	    "  \"hugepages\": true, \"split_hugepages\": true,\n"
	    "  \"hugepage_arena_size\": 64, \"request_hugepage_arena_size\": 8,\n"
	    "  \"main_arguments\": [\"--a\", \"\"], \"environment\": [\"A=1\", \"B=\"],\n"
	    "  \"allowed_paths\": [\"/etc/hosts\"],\n"
	    "  \"current_working_directory\": \"/srv\",\n"
	    "  \"warmup\": { \"num_requests\": 10, \"url\": \"/w\", \"method\": \"POST\",\n"
	    "    \"headers\": [\"X-A: 1\"] },\n"
	    "  \"allow_debug\": true, \"remote_debug_on_exception\": true,\n"
	    "  \"verbose\": true, \"verbose_syscalls\": true, \"stdout\": true,\n"
	    "  \"smp\": 16, \"remapping\": { \"0x1000\": 2 }, \"blackout_area\": [],\n"
	    "  \"mmap_backed_files\": false },\n"
	    " \"q\": { \"filename\": \"/q\", \"limit_workmem_after_req\": 24 } }");
	const struct program_def *d = lib ? library_find(lib, "p") : NULL;

	CHECK(d != NULL);
	if (d == NULL) {
		library_free(lib);
		return;
	}
	CHECK_STR(d->uri, "https://h/p.tar.xz");
	CHECK_STR(d->filename, "/cache/p");
	CHECK_STR(d->key, "secret");
	CHECK(d->concurrency == 8 && d->storage && d->start);
	CHECK(d->max_threads == 200);
	CHECK(d->max_boot_time == 1.5 && d->max_request_time == 3.0);
	CHECK(d->max_queue_time == 0.25);
	CHECK(d->max_memory == 512 && d->max_request_memory == 128);
	CHECK(d->limit_workmem_after_req == 16);
	CHECK(d->shared_memory == 4 && d->address_space == 2048);
	CHECK(!d->ephemeral && d->ephemeral_keep_working_memory && d->control_ephemeral);
	CHECK(d->hugepages && d->split_hugepages);
	CHECK(d->hugepage_arena_size == 64 && d->request_hugepage_arena_size == 8);
	CHECK(count(d->main_arguments) == 2);
	CHECK_STR(d->main_arguments[0], "--a");
	CHECK_STR(d->main_arguments[1], "");
	CHECK(count(d->environment) == 2);
	CHECK_STR(d->environment[1], "B=");
	CHECK(d->nallowed == 1);
	CHECK_STR(d->allowed[0].real, "/etc/hosts");
	CHECK_STR(d->cwd, "/srv");
	CHECK(d->warmup_requests == 10);
	CHECK_STR(d->warmup_url, "/w");
	CHECK_STR(d->warmup_method, "POST");
	CHECK(count(d->warmup_headers) == 1);
	CHECK_STR(d->warmup_headers[0], "X-A: 1");
	CHECK(d->allow_debug && d->remote_debug_on_exception);
	CHECK(d->remote_debug_listen == NULL && d->remote_debug_timeout == 300.0);
	CHECK(d->verbose && d->verbose_syscalls && d->print_stdout && d->smp == 16);
	CHECK(json_is(d->remapping, JSON_OBJECT));
	CHECK(json_number(json_get(d->remapping, "0x1000")) == 2);
	CHECK(json_is(d->blackout_area, JSON_ARRAY) && json_length(d->blackout_area) == 0);
	CHECK(!d->mmap_backed_files);
	d = library_find(lib, "q");
	CHECK(d != NULL && d->limit_workmem_after_req == 24);
	library_free(lib);
}

static void
test_groups(void)
{
	struct program_library *lib = LIB_OK("{\n"
	    "  \"g\": { \"concurrency\": 3, \"max_memory\": 32, \"verbose\": true,\n"
	    "         \"environment\": [\"A=1\"], \"main_arguments\": [\"x\"] },\n"
	    "  \"p\": { \"group\": \"g\", \"filename\": \"/bin/p\", \"max_memory\": 48,\n"
	    "         \"main_arguments\": [] },\n"
	    "  \"lone\": { \"group\": \"g\" },\n"
	    "  \"other\": { \"filename\": \"/bin/o\" }\n"
	    "}");
	const struct program_def *d;

	if (lib == NULL)
		return;
	d = library_find(lib, "p");
	CHECK(d != NULL);
	if (d != NULL) {
		CHECK_STR(d->group, "g");
		CHECK(d->concurrency == 3 && d->verbose);	/* from the group */
		CHECK(d->max_memory == 48);			/* its own */
		CHECK(count(d->environment) == 1 && count(d->main_arguments) == 0);
	}
	/* "group" alone makes a program. */
	d = library_find(lib, "lone");
	CHECK(d != NULL && d->filename == NULL && d->max_memory == 32);
	CHECK(d != NULL && count(d->main_arguments) == 1);
	/* No group: the default group 'test', here the defaults only. */
	d = library_find(lib, "other");
	CHECK(d != NULL && strcmp(d->group, "test") == 0);
	CHECK(d != NULL && d->concurrency == 2 && !d->verbose);
	/* A group is not a program; unknown names are nothing. */
	CHECK(library_find(lib, "g") == NULL);
	CHECK(library_find(lib, "nothere") == NULL);
	CHECK(library_find(lib, NULL) == NULL);
	CHECK(library_count(lib) == 3);
	CHECK_STR(library_program(lib, 0)->name, "p");
	CHECK_STR(library_program(lib, 2)->name, "other");
	CHECK(library_program(lib, 3) == NULL);
	library_free(lib);

	LIB_ERROR("{ \"p\": { \"group\": \"nogroup\", \"filename\": \"/x\" } }",
	    "program 'p': group 'nogroup' is not defined");
	LIB_ERROR("{ \"p\": { \"group\": \"q\", \"filename\": \"/x\" },"
	    " \"q\": { \"uri\": \"/y\" } }",
	    "program 'p': group 'q' is a program, not a group of settings");
	LIB_ERROR("{ \"p\": { \"group\": 7 } }",
	    "program 'p': 'group' must be a non-empty string, not a number");
	/* A bad group is reported as the group's, used or not. */
	LIB_ERROR("{ \"g\": { \"verbose\": 1 } }",
	    "group 'g': 'verbose' must be true or false, not a number");
	/* An unknown key of a group is warned about once, as the group's. */
	lib_warning(__LINE__, "{ \"g\": { \"concurency\": 1 }, \"p\": { \"group\": "
	    "\"g\" }, \"q\": { \"group\": \"g\" } }", "group 'g': 'concurency' is "
	    "not a known setting (did you mean 'concurrency'?); ignored");
}

static void
test_apply(void)
{
	struct program_library *lib = LIB_OK("{ \"g\": { \"concurrency\": 3 },"
	    " \"p\": { \"group\": \"g\", \"filename\": \"/bin/p\", \"max_memory\": 48 } }");
	const struct program_def *d, *before;
	char err[512] = "";

	if (lib == NULL)
		return;
	before = library_find(lib, "p");
	/* Keys apply over the program's own; the others stay. */
	CHECK(apply(lib, "p", "{ \"concurrency\": 5, \"ephemeral\": false }", err) == 0);
	d = library_find(lib, "p");
	CHECK(d != NULL && d->concurrency == 5 && d->max_memory == 48 && !d->ephemeral);
	CHECK(d != NULL && strcmp(d->filename, "/bin/p") == 0);
	/* An earlier definition stays valid and unchanged. */
	CHECK(before != d && before->concurrency == 3 && before->ephemeral);
	/* And again, over the first configure(). */
	CHECK(apply(lib, "p", "{ \"max_memory\": 96 }", err) == 0);
	d = library_find(lib, "p");
	CHECK(d->concurrency == 5 && d->max_memory == 96);
	/* A new name is a new program, with the defaults. */
	CHECK(apply(lib, "q", "{ \"filename\": \"/q\" }", err) == 0);
	d = library_find(lib, "q");
	CHECK(d != NULL && d->concurrency == 2 && strcmp(d->filename, "/q") == 0);
	/* A new name without uri, filename or group is a group. */
	CHECK(apply(lib, "bare", "{ \"concurrency\": 4 }", err) == 0);
	CHECK(library_find(lib, "bare") == NULL);
	CHECK(apply(lib, "q", "{ \"group\": \"bare\" }", err) == 0);
	CHECK(library_find(lib, "q")->concurrency == 4);
	/* Changing a group changes its programs (not their own keys). */
	CHECK(apply(lib, "g", "{ \"concurrency\": 7, \"smp\": 2 }", err) == 0);
	d = library_find(lib, "p");
	CHECK(d->concurrency == 5 && d->smp == 2);
	CHECK(library_find(lib, "g") == NULL);
	/* A program may join a group by configure(). */
	CHECK(apply(lib, "q", "{ \"group\": \"g\" }", err) == 0);
	CHECK(library_find(lib, "q")->concurrency == 7);

	/* Refused changes leave the library as it was. */
	before = library_find(lib, "p");
	CHECK(apply(lib, "p", "{ \"concurrency\": \"5\" }", err) != 0);
	CHECK_STR(err, "program 'p': 'concurrency' must be a number from 0 to 255, "
	    "not a string");
	CHECK(apply(lib, "p", "{ \"max_memory\": \"lots\" }", err) != 0);
	CHECK_STR(err, "program 'p': 'max_memory' must be a number from 0 to "
	    "1048576 (MiB), not a string");
	CHECK(apply(lib, "p", "{ \"group\": \"nogroup\" }", err) != 0);
	CHECK_STR(err, "program 'p': group 'nogroup' is not defined");
	CHECK(apply(lib, "g", "{ \"verbose\": \"yes\" }", err) != 0);
	CHECK_STR(err, "group 'g': 'verbose' must be true or false, not a string");
	/* A group that becomes a program breaks the programs in it. */
	CHECK(apply(lib, "g", "{ \"filename\": \"/g\" }", err) != 0);
	CHECK_STR(err, "program 'p': group 'g' is a program, not a group of settings");
	CHECK(apply(lib, "p", "{ \"filename\": \"/x\", }", err) != 0);
	CHECK_STR(err, "line 1, column 21: trailing comma in object");
	CHECK(apply(lib, "p", "[]", err) != 0);
	CHECK_STR(err, "the settings must be a JSON object, not an array");
	CHECK(apply(lib, "", "{}", err) != 0);
	CHECK_STR(err, "a program name must not be empty");
	CHECK(library_find(lib, "p") == before && before->max_memory == 96);
	CHECK(library_find(lib, "g") == NULL && library_count(lib) == 2);

	/* A library text merged in replaces entries of the same name. */
	const char *more = "{ \"p\": { \"filename\": \"/p2\" }, \"r\": { \"uri\": \"/r\" } }";
	CHECK(library_merge_text(lib, more, strlen(more), err, sizeof err) == 0);
	d = library_find(lib, "p");
	CHECK(d != NULL && strcmp(d->filename, "/p2") == 0 && d->max_memory == 64);
	CHECK(library_find(lib, "r") != NULL && library_count(lib) == 3);
	const char *bad = "{ \"r\": { \"uri\": \"/r2\" }, \"s\": { \"uri\": 1 } }";
	CHECK(library_merge_text(lib, bad, strlen(bad), err, sizeof err) != 0);
	CHECK_STR(err, "program 's': 'uri' must be a non-empty string, not a number");
	CHECK(strcmp(library_find(lib, "r")->uri, "/r") == 0);
	CHECK(library_find(lib, "s") == NULL);
	library_free(lib);
}

static void
test_errors(void)
{
	LIB_ERROR("[]", "a library (programs and groups) must be a JSON object, "
	    "not an array");
	LIB_ERROR("{ \"p\": 3 }", "entry 'p': must be an object of settings, not a number");
	LIB_ERROR("{ \"\": {} }", "an entry name must not be empty");
	LIB_ERROR("{ \"p\": { \"filename\": \"/x\" },\n  \"p\": {} }",
	    "line 2, column 3: duplicate key 'p'");
	P_WARN("\"concurency\": 2", "program 'p': 'concurency' is not a known "
	    "setting (did you mean 'concurrency'?); ignored");
	P_ERROR("\"max_memory\": \"lots\"", "program 'p': 'max_memory' must be a "
	    "number from 0 to 1048576 (MiB), not a string");
	P_ERROR("\"shared_memory\": -1", "program 'p': 'shared_memory' must be a "
	    "number from 0 to 1048576 (MiB), not -1");
	P_ERROR("\"concurrency\": 256", "program 'p': 'concurrency' must be a "
	    "number from 0 to 255, not 256");
	P_ERROR("\"concurrency\": -1", "program 'p': 'concurrency' must be a "
	    "number from 0 to 255, not -1");
	P_ERROR("\"smp\": -1", "program 'p': 'smp' must be a number from 0 to 16, "
	    "not -1");
	P_ERROR("\"max_threads\": 0", "program 'p': 'max_threads' must be a "
	    "number from 1 to 1024, not 0");
	P_ERROR("\"max_threads\": 1025", "program 'p': 'max_threads' must be a "
	    "number from 1 to 1024, not 1025");
	P_ERROR("\"max_request_time\": -1", "program 'p': 'max_request_time' must be "
	    "a number of seconds above 0 (at most 86400)");
	P_ERROR("\"max_boot_time\": \"5\"", "program 'p': 'max_boot_time' must be "
	    "a number of seconds above 0 (at most 86400)");
	P_ERROR("\"ephemeral\": 1", "program 'p': 'ephemeral' must be true or "
	    "false, not a number");
	P_ERROR("\"key\": 123", "program 'p': 'key' must be a non-empty string, not a number");
	P_ERROR("\"current_working_directory\": \"srv\"", "program 'p': "
	    "'current_working_directory' must be an absolute path, not 'srv'");
	P_ERROR("\"main_arguments\": [1]", "program 'p': 'main_arguments' must be an "
	    "array of strings (element 0 is a number)");
	P_ERROR("\"main_arguments\": {}", "program 'p': 'main_arguments' must be "
	    "an array of strings, not an object");
	P_ERROR("\"environment\": [\"A=1\", \"NOEQUALS\"]", "program 'p': "
	    "'environment' entry \"NOEQUALS\" is not KEY=VALUE");
	P_ERROR("\"environment\": [\"=x\"]", "program 'p': 'environment' entry "
	    "\"=x\" is not KEY=VALUE");
	P_WARN("\"warmup\": { \"urls\": 1 }", "program 'p': 'warmup.urls' is not "
	    "a known member of 'warmup' (exact, headers, method, num_requests, url) "
	    "(did you mean 'url'?); ignored");
	P_ERROR("\"warmup\": { \"num_requests\": true }", "program 'p': "
	    "'warmup.num_requests' must be a number from 0 to 100000, not a boolean");
	P_ERROR("\"warmup\": { \"headers\": [null] }", "program 'p': "
	    "'warmup.headers' must be an array of strings (element 0 is null)");
	P_ERROR("\"warmup\": 5", "program 'p': 'warmup' must be an object "
	    "{num_requests, url, method, headers, exact}, not a number");
	P_ERROR("\"remapping\": \"x\"", "program 'p': 'remapping' must be an array "
	    "or an object, not a string");
	P_ERROR("\"blackout_area\": true", "program 'p': 'blackout_area' must be an "
	    "array or an object, not a boolean");
	P_ERROR("\"mmap_backed_files\": {}", "program 'p': 'mmap_backed_files' must "
	    "be true or false, not an object");
	/* Names and keys in messages are cut and made printable. */
	P_WARN("\"a\\nb\": 1", "program 'p': 'a?b' is not a known setting; ignored");
	P_WARN("\"0123456789012345678901234567890123456789012345678901234567890123"
	    "456789\": 1", "program 'p': '0123456789012345678901234567890123456789"
	    "01234567890123456789...' is not a known setting; ignored");
}

static void
test_allowed_paths(void)
{
	struct program_library *lib = LIB_OK("{ \"p\": { \"filename\": \"/x\","
	    " \"allowed_paths\": [ \"/etc/hosts\","
	    " { \"real\": \"/srv/data\", \"prefix\": true },"
	    " { \"virtual\": \"/data\", \"real\": \"/srv/data\", \"writable\": true,"
	    "   \"symlink\": true },"
	    " { \"virtual\": \"/only/virtual\" },"
	    " { \"virtual\": \"/same\", \"real\": \"/same\" } ] } }");
	const struct program_def *d = lib ? library_find(lib, "p") : NULL;

	CHECK(d != NULL && d->nallowed == 5);
	if (d == NULL || d->nallowed != 5) {
		library_free(lib);
		return;
	}
	CHECK_STR(d->allowed[0].real, "/etc/hosts");
	CHECK(d->allowed[0].virt == NULL && !d->allowed[0].prefix);
	CHECK(!d->allowed[0].writable && !d->allowed[0].symlink);
	CHECK_STR(d->allowed[1].real, "/srv/data");
	CHECK(d->allowed[1].prefix && !d->allowed[1].writable);
	CHECK_STR(d->allowed[2].real, "/srv/data");
	CHECK_STR(d->allowed[2].virt, "/data");
	CHECK(d->allowed[2].writable && d->allowed[2].symlink && !d->allowed[2].prefix);
	CHECK_STR(d->allowed[3].real, "/only/virtual");	/* real = virtual */
	CHECK(d->allowed[3].virt == NULL);
	CHECK_STR(d->allowed[4].real, "/same");
	CHECK(d->allowed[4].virt == NULL);
	library_free(lib);

	P_ERROR("\"allowed_paths\": \"/etc\"", "program 'p': 'allowed_paths' must "
	    "be an array of paths or path objects, not a string");
	P_ERROR("\"allowed_paths\": [\"/a\", 3]", "program 'p': 'allowed_paths[1]' "
	    "must be a path or an object {real, virtual, prefix, writable, symlink}, "
	    "not a number");
	P_ERROR("\"allowed_paths\": [\"etc/hosts\"]", "program 'p': "
	    "'allowed_paths[0]' must be an absolute path, not 'etc/hosts'");
	P_ERROR("\"allowed_paths\": [{ \"prefix\": true }]", "program 'p': "
	    "'allowed_paths[0]' has no 'real' path");
	P_WARN("\"allowed_paths\": [{ \"real\": \"/a\", \"prefx\": true }]",
	    "program 'p': 'allowed_paths[0].prefx' is not a known member of "
	    "'allowed_paths[0]' (prefix, real, symlink, virtual, writable) (did you "
	    "mean 'prefix'?); ignored");
	P_ERROR("\"allowed_paths\": [{ \"real\": \"/a\", \"prefix\": \"yes\" }]",
	    "program 'p': 'allowed_paths[0].prefix' must be true or false, not a string");
	P_ERROR("\"allowed_paths\": [{ \"real\": \"\" }]", "program 'p': "
	    "'allowed_paths[0].real' must be a non-empty string, not \"\"");
}

static void
test_engine(void)
{
	struct program_library *lib = LIB_OK("{ \"g\": { \"environment\": [\"A=1\"] },"
	    " \"p\": { \"group\": \"g\", \"filename\": \"/bin/p\", \"max_memory\": 48,"
	    " \"concurrency\": 5, \"shared_memory\": 2, \"max_request_memory\": 20,"
	    " \"limit_workmem_after_req\": 6, \"control_ephemeral\": true,"
	    " \"max_boot_time\": 2.5, \"max_request_time\": 1.25,"
	    " \"main_arguments\": [\"--x\", \"y\"], \"verbose_syscalls\": true,"
	    " \"current_working_directory\": \"/tmp\","
	    " \"warmup\": { \"num_requests\": 3, \"url\": \"/warm\", \"method\": \"HEAD\" },"
	    " \"allowed_paths\": [\"/etc/hosts\", { \"real\": \"/srv\", \"prefix\": true }] },"
	    " \"w\": { \"filename\": \"/w\", \"ephemeral\": false,"
	    " \"allowed_paths\": [{ \"real\": \"/srv\", \"writable\": true }] },"
	    " \"v\": { \"filename\": \"/v\","
	    " \"allowed_paths\": [{ \"real\": \"/srv\", \"virtual\": \"/data\" }] },"
	    " \"a\": { \"filename\": \"/a\", \"max_memory\": 512, \"address_space\": 300 },"
	    " \"b\": { \"filename\": \"/b\", \"address_space\": 1800 },"
	    " \"s\": { \"filename\": \"/s\", \"shared_memory\": 900 },"
	    " \"t\": { \"filename\": \"/t\", \"shared_memory\": 3 } }");
	const char *const args[] = { "override", NULL };
	struct tkvm_program_config cfg;
	struct program_engine_config owned;
	char err[512] = "";

	if (lib == NULL)
		return;
	CHECK(program_def_to_engine(library_find(lib, "p"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.vm.memory_mib == 48 && cfg.vm.shared_memory_mib == 2);
	CHECK(cfg.vm.max_threads == 64);
	/* At least 1 GiB with its 2 MiB of shared memory. */
	CHECK(cfg.vm.address_space_mib == 1022);
	CHECK(cfg.concurrency == 5 && cfg.max_request_memory_mib == 20);
	CHECK(cfg.limit_workmem_after_req_mib == 6);
	CHECK(cfg.max_boot_time == 2.5 && cfg.max_request_time == 1.25);
	CHECK(!cfg.persistent && cfg.control_ephemeral && cfg.vm.verbose);
	CHECK(cfg.warmup_requests == 3);
	CHECK_STR(cfg.warmup_url, "/warm");
	CHECK_STR(cfg.warmup_method, "HEAD");
	CHECK_STR(cfg.vm.cwd, "/tmp");
	CHECK_STR(cfg.vm.argv[0], "p");
	CHECK_STR(cfg.vm.argv[1], "--x");
	CHECK_STR(cfg.vm.argv[2], "y");
	CHECK(cfg.vm.argv[3] == NULL);
	CHECK_STR(cfg.vm.envp[0], "A=1");
	CHECK_STR(cfg.vm.envp[1], "KVM_NAME=p");
	CHECK_STR(cfg.vm.envp[2], "KVM_GROUP=g");
	CHECK_STR(cfg.vm.envp[3], "KVM_TYPE=request");
	CHECK_STR(cfg.vm.envp[4], "KVM_STATE=state");
	CHECK_STR(cfg.vm.envp[5], "KVM_DEBUG=0");
	CHECK(cfg.vm.envp[6] == NULL);
	CHECK_STR(cfg.vm.allowed_paths[0], "/etc/hosts");
	CHECK_STR(cfg.vm.allowed_paths[1], "/srv");
	CHECK(cfg.vm.allowed_paths[2] == NULL);
	CHECK(cfg.vm.output == NULL && cfg.log == NULL);
	program_engine_config_free(&owned);
	program_engine_config_free(&owned);	/* harmless twice */

	/* main_args replaces main_arguments. */
	CHECK(program_def_to_engine(library_find(lib, "p"), args, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK_STR(cfg.vm.argv[0], "p");
	CHECK_STR(cfg.vm.argv[1], "override");
	CHECK(cfg.vm.argv[2] == NULL);
	program_engine_config_free(&owned);

	/* What the engine cannot do is refused, not ignored. */
	CHECK(program_def_to_engine(library_find(lib, "w"), NULL, &cfg, &owned, err,
	    sizeof err) != 0);
	CHECK_STR(err, "program 'w': allowed path '/srv': writable paths are not "
	    "supported (guest files are read-only)");
	CHECK(owned.argv == NULL && owned.envp == NULL);
	CHECK(program_def_to_engine(library_find(lib, "v"), NULL, &cfg, &owned, err,
	    sizeof err) != 0);
	CHECK_STR(err, "program 'v': allowed path '/srv': a 'virtual' path other "
	    "than the real one is not supported");
	CHECK(apply(lib, "w", "{ \"allowed_paths\": [] }", err) == 0);
	CHECK(program_def_to_engine(library_find(lib, "w"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.persistent && cfg.vm.allowed_paths[0] == NULL);
	CHECK(cfg.vm.envp[0] != NULL && strcmp(cfg.vm.envp[1], "KVM_GROUP=test") == 0);
	program_engine_config_free(&owned);
	/* The address space: the largest of address_space, max_memory and
	 * 1 GiB less shared memory. */
	CHECK(program_def_to_engine(library_find(lib, "a"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.vm.memory_mib == 512 && cfg.vm.address_space_mib == 1024);
	program_engine_config_free(&owned);
	CHECK(program_def_to_engine(library_find(lib, "b"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.vm.memory_mib == 64 && cfg.vm.address_space_mib == 1800);
	program_engine_config_free(&owned);
	CHECK(program_def_to_engine(library_find(lib, "s"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.vm.address_space_mib == 256 && cfg.vm.shared_memory_mib == 900);
	program_engine_config_free(&owned);
	/* 3 MiB of shared memory take 4 MiB: 1 GiB in all, no more. */
	CHECK(program_def_to_engine(library_find(lib, "t"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.vm.address_space_mib == 1020);
	program_engine_config_free(&owned);
	library_free(lib);
}

/* Every key the published VMOD's program libraries take. */
static const char *const published_keys[] = {
	"address_space", "allow_debug", "allowed_paths", "blackout_area",
	"cold_start_file", "concurrency", "control_ephemeral",
	"current_working_directory", "download", "environment", "ephemeral",
	"ephemeral_keep_working_memory", "executable_heap",
	"executable_remapping", "filename", "group", "hugepage_arena_size",
	"hugepages", "key", "limit_workmem_after_req", "main_arguments",
	"max_boot_time", "max_memory", "max_request_memory", "max_request_time",
	"max_storage_time", "md5", "mmap_backed_files", "relocate_fixed_mmap",
	"remapping", "remote_debug_on_exception", "req_mem_limit_after_reset",
	"request_hugepage_arena_size", "request_hugepages", "server", "sha256",
	"shared_memory", "smp", "split_hugepages", "start", "stdout", "storage",
	"transparent_hugepages", "uri", "verbose", "verbose_pagetables",
	"verbose_syscalls", "warmup", "websocket_server", NULL
};

static void
test_key_table(void)
{
	size_t n = 0;

	for (size_t i = 0; published_keys[i] != NULL; i++, n++) {
		const struct program_key *k = program_key_find(published_keys[i]);
		CHECK(k != NULL);
		if (k == NULL)
			fprintf(stderr, "  missing: %s\n", published_keys[i]);
	}
	/* Ours as well; the table is sorted and has no duplicates. */
	CHECK(program_key_find("max_queue_time") != NULL);
	CHECK(program_key_find("remote_debug_listen") != NULL);
	CHECK(program_key_find("remote_debug_timeout") != NULL);
	CHECK(program_key_find("max_threads") != NULL);
	CHECK(program_nkeys == n + 4);
	for (size_t i = 1; i < program_nkeys; i++)
		CHECK(strcmp(program_keys[i - 1].name, program_keys[i].name) < 0);
	CHECK(program_key_find("concurency") == NULL);
	CHECK(program_key_find("") == NULL);
	/* Acted on, or only accepted. */
	CHECK(program_key_find("concurrency")->used);
	CHECK(program_key_find("start")->used);
	CHECK(program_key_find("warmup")->used);
	CHECK(!program_key_find("server")->used);
	CHECK(!program_key_find("executable_heap")->used);
	CHECK(program_key_find("storage")->used);
	CHECK(program_key_find("max_storage_time")->used);
	CHECK(program_key_find("max_threads")->used);
	CHECK(program_member_used("warmup", "url"));
	CHECK(!program_member_used("warmup", "headers"));
	CHECK(!program_member_used("warmup", "exact"));

	/* Suggestions: the closest key, only when it is a likely typo. */
	CHECK(key_distance("", "") == 0 && key_distance("abc", "") == 3);
	CHECK(key_distance("kitten", "sitting") == 3);
	CHECK(key_distance("servr", "server") == 1);
	CHECK_STR(program_key_closest("concurency"), "concurrency");
	CHECK_STR(program_key_closest("servre"), "server");
	CHECK_STR(program_key_closest("executable_heaps"), "executable_heap");
	CHECK_STR(program_key_closest("max_request_mem"), "max_request_memory");
	CHECK_STR(program_key_closest("Ephemeral"), "ephemeral");
	CHECK(program_key_closest("xyzzy") == NULL);
	CHECK_STR(program_key_closest("max_work_memory"), "max_request_memory");
	CHECK_STR(program_key_closest("max_time"), "max_request_time");
	CHECK(program_key_closest("") == NULL);
	CHECK_STR(key_closest_of("nums_requests", warmup_keys), "num_requests");
	CHECK(key_closest_of("zzzzzzz", server_keys) == NULL);
	P_WARN("\"websocket_servr\": {}", "program 'p': 'websocket_servr' is not "
	    "a known setting (did you mean 'websocket_server'?); ignored");
	P_WARN("\"sever\": { \"port\": 1 }", "program 'p': 'sever' is not a "
	    "known setting (did you mean 'server'?); ignored");
	P_WARN("\"qwertyuiop\": 1", "program 'p': 'qwertyuiop' is not a known "
	    "setting; ignored");
}

/* Accepted-only keys: type-checked, listed per program, warned once. */
static void
collect(void *opaque, const char *w)
{
	char *buf = opaque;

	snprintf(buf + strlen(buf), 2048 - strlen(buf), "%s\n", w);
}

static void
test_unused_keys(void)
{
	struct program_library *lib = LIB_OK("{\n"
	    " \"compute\": { \"concurrency\": 2, \"server\": { \"port\": 8081,\n"
	    "   \"address\": \"127.0.0.1\", \"systems\": 1 } },\n"
	    " \"a\": { \"group\": \"compute\", \"filename\": \"/a\",\n"
	    "   \"executable_heap\": true, \"sha256\": \"00\",\n"
	    "   \"warmup\": { \"headers\": [\"Host: x\"], \"exact\": true } },\n"
	    " \"b\": { \"uri\": \"/b\", \"download\": [ { \"uri\": \"/u\",\n"
	    "   \"filepath\": \"/f\" } ], \"max_storage_time\": 2.5,\n"
	    "   \"websocket_server\": { \"port\": 1 }, \"storage\": false } }");
	const struct program_def *d = lib ? library_find(lib, "a") : NULL;
	char buf[2048] = "", err[512] = "";

	CHECK(d != NULL);
	if (d == NULL) {
		library_free(lib);
		return;
	}
	CHECK(count(d->unused) == 5);
	CHECK_STR(d->unused[0], "server");		/* from its group */
	CHECK_STR(d->unused[1], "executable_heap");
	CHECK_STR(d->unused[4], "warmup.exact");
	CHECK(d->warmup_requests == 20);	/* warmup without num_requests */
	library_take_warnings(lib, collect, buf);
	CHECK_STR(buf,
	    "program 'a': 'server' is accepted but not supported yet; ignored\n"
	    "program 'a': 'executable_heap' is accepted but not supported yet; ignored\n"
	    "program 'a': 'sha256' is accepted but not supported yet; ignored\n"
	    "program 'a': 'warmup.headers' is accepted but not supported yet; ignored\n"
	    "program 'a': 'warmup.exact' is accepted but not supported yet; ignored\n"
	    "program 'b': 'download' is accepted but not supported yet; ignored\n"
	    "program 'b': 'websocket_server' is accepted but not supported yet; ignored\n");
	/* Taken once; later changes warn only about what is new. */
	buf[0] = '\0';
	library_take_warnings(lib, collect, buf);
	CHECK_STR(buf, "");
	CHECK(apply(lib, "a", "{ \"smp\": 2, \"executable_heap\": false }", err) == 0);
	CHECK(apply(lib, "c", "{ \"group\": \"compute\" }", err) == 0);
	library_take_warnings(lib, collect, buf);
	CHECK_STR(buf,
	    "program 'a': 'smp' is accepted but not supported yet; ignored\n"
	    "program 'c': 'server' is accepted but not supported yet; ignored\n");
	library_free(lib);

	/* Accepted keys are still type-checked, members included. */
	P_ERROR("\"server\": 8080", "program 'p': 'server' must be an object, "
	    "not 8080");
	lib_warning(__LINE__, "{ \"p\": { \"filename\": \"/x\", \"server\": "
	    "{ \"prot\": 8080 } } }", "program 'p': 'server.prot' is not a known "
	    "member of 'server' (address, path, port, systems) (did you mean "
	    "'port'?); ignored\nprogram 'p': 'server' is accepted but not "
	    "supported yet; ignored");
	P_ERROR("\"executable_heap\": \"yes\"", "program 'p': 'executable_heap' "
	    "must be true or false, not a string");
	P_ERROR("\"max_storage_time\": -1", "program 'p': 'max_storage_time' "
	    "must be a number of seconds above 0 (at most 86400)");
	P_ERROR("\"download\": [3]", "program 'p': 'download[0]' must be an "
	    "object {uri, filepath, sha256, md5}, not a number");
	lib_warning(__LINE__, "{ \"p\": { \"filename\": \"/x\", \"download\": "
	    "[{ \"url\": \"/x\" }] } }", "program 'p': 'download[0].url' is not a "
	    "known member of 'download[0]' (filepath, md5, sha256, uri) (did you "
	    "mean 'uri'?); ignored\nprogram 'p': 'download' is accepted but not "
	    "supported yet; ignored");
	P_ERROR("\"executable_remapping\": 1", "program 'p': "
	    "'executable_remapping' must be an array or an object, not 1");
	P_ERROR("\"warmup\": { \"exact\": 1 }", "program 'p': 'warmup.exact' "
	    "must be true or false, not a number");
}

/* The first $HOME and $PWD in paths, arguments and environment. */
static void
test_expand(void)
{
	struct program_library *lib;
	const struct program_def *d;
	char cwd[PATH_MAX], want[PATH_MAX + 16];

	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(setenv("HOME", "/home/t", 1) == 0);
	lib = LIB_OK("{ \"p\": { \"filename\": \"$HOME/bin/p\",\n"
	    " \"uri\": \"$HOME/not-expanded\",\n"
	    " \"main_arguments\": [\"$PWD/x\", \"$HOME$HOME\", \"$HOMEX\"],\n"
	    " \"environment\": [\"H=$HOME\"],\n"
	    " \"current_working_directory\": \"$HOME\",\n"
	    " \"allowed_paths\": [\"$HOME/a\", { \"real\": \"$PWD\" }] } }");
	d = lib ? library_find(lib, "p") : NULL;
	CHECK(d != NULL);
	if (d == NULL) {
		library_free(lib);
		return;
	}
	CHECK_STR(d->filename, "/home/t/bin/p");
	CHECK_STR(d->uri, "$HOME/not-expanded");
	snprintf(want, sizeof want, "%s/x", cwd);
	CHECK_STR(d->main_arguments[0], want);
	CHECK_STR(d->main_arguments[1], "/home/t$HOME");	/* the first only */
	CHECK_STR(d->main_arguments[2], "/home/tX");
	CHECK_STR(d->environment[0], "H=/home/t");
	CHECK_STR(d->cwd, "/home/t");
	CHECK_STR(d->allowed[0].real, "/home/t/a");
	CHECK_STR(d->allowed[1].real, cwd);
	library_free(lib);
	/* A relative path stays refused once expanded. */
	CHECK(setenv("HOME", "rel", 1) == 0);
	P_ERROR("\"current_working_directory\": \"$HOME\"", "program 'p': "
	    "'current_working_directory' must be an absolute path, not 'rel'");
}

int
main(void)
{
	test_defaults();
	test_all_settings();
	test_groups();
	test_apply();
	test_errors();
	test_allowed_paths();
	test_engine();
	test_key_table();
	test_unused_keys();
	test_expand();
	library_free(NULL);
	if (failures) {
		fprintf(stderr, "program_config_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("program_config_test: all checks passed\n");
	return 0;
}
