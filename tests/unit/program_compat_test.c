/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Program libraries as the published TinyKVM VMOD reads them
 * (docs/COMPATIBILITY.md, "Library keys"): the default group "test",
 * "key": "" for no live update, unknown keys warned about and ignored,
 * and the odd values it takes (concurrency 0 loads and fails the
 * program's load, smp above 16, fractions, a "start" that is not a
 * boolean, main_arguments as one string).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_config.h"

#include "unit_check.h"

static void
collect(void *opaque, const char *w)
{
	char *buf = opaque;

	snprintf(buf + strlen(buf), 2048 - strlen(buf), "%s\n", w);
}

/* Parses text, which must load; its warnings go to warnings. */
static struct program_library *
load(int line, const char *text, char *warnings)
{
	char err[512] = "";
	struct program_library *lib = library_parse(text, strlen(text), err,
	    sizeof err);

	warnings[0] = '\0';
	if (lib == NULL) {
		fprintf(stderr, "%s:%d: refused: %s\n", __FILE__, line, err);
		failures++;
		return NULL;
	}
	library_take_warnings(lib, collect, warnings);
	return lib;
}

#define LOAD(text, w) load(__LINE__, (text), (w))

static void
test_default_group(void)
{
	char w[2048];
	struct program_library *lib;
	const struct program_def *d;

	/* Named without being defined, as the published libraries do. */
	lib = LOAD("{ \"a\": { \"group\": \"test\", \"filename\": \"/a\" },"
	    " \"b\": { \"filename\": \"/b\" } }", w);
	d = lib ? library_find(lib, "a") : NULL;
	CHECK(d != NULL && strcmp(d->group, "test") == 0 && d->concurrency == 2);
	d = lib ? library_find(lib, "b") : NULL;
	CHECK(d != NULL && strcmp(d->group, "test") == 0);
	CHECK_STR(w, "");
	library_free(lib);

	/* A group entry named "test" is the default group's settings. */
	lib = LOAD("{ \"test\": { \"concurrency\": 4, \"max_memory\": 128 },"
	    " \"a\": { \"filename\": \"/a\" },"
	    " \"b\": { \"group\": \"test\", \"filename\": \"/b\", \"concurrency\": 1 },"
	    " \"g\": { \"max_memory\": 32 },"
	    " \"c\": { \"group\": \"g\", \"filename\": \"/c\" } }", w);
	d = lib ? library_find(lib, "a") : NULL;
	CHECK(d != NULL && d->concurrency == 4 && d->max_memory == 128);
	d = lib ? library_find(lib, "b") : NULL;
	CHECK(d != NULL && d->concurrency == 1 && d->max_memory == 128);
	d = lib ? library_find(lib, "c") : NULL;	/* another group: not test's */
	CHECK(d != NULL && d->concurrency == 2 && d->max_memory == 32);
	CHECK(lib != NULL && library_find(lib, "test") == NULL);
	library_free(lib);

	/* A program named "test" is a program; the group is the defaults. */
	lib = LOAD("{ \"test\": { \"filename\": \"/t\", \"concurrency\": 3 },"
	    " \"a\": { \"filename\": \"/a\" } }", w);
	d = lib ? library_find(lib, "a") : NULL;
	CHECK(d != NULL && d->concurrency == 2);
	CHECK(lib != NULL && library_count(lib) == 2);
	library_free(lib);
}

static void
test_empty_strings(void)
{
	char w[2048];
	struct program_library *lib = LOAD("{ \"a\": { \"filename\": \"/a\","
	    " \"key\": \"\" }, \"b\": { \"uri\": \"https://h/b\", \"filename\": \"\" },"
	    " \"c\": { \"uri\": \"\", \"filename\": \"/c\", \"key\": \"k\" } }", w);
	const struct program_def *d;

	d = lib ? library_find(lib, "a") : NULL;
	CHECK(d != NULL && d->key == NULL);	/* no live update */
	d = lib ? library_find(lib, "b") : NULL;
	CHECK(d != NULL && d->filename == NULL && strcmp(d->uri, "https://h/b") == 0);
	d = lib ? library_find(lib, "c") : NULL;
	CHECK(d != NULL && d->uri == NULL && strcmp(d->key, "k") == 0);
	CHECK_STR(w, "");
	library_free(lib);
}

static void
test_unknown_keys(void)
{
	const char *more = "{ \"concurency\": 3, \"colour\": 1 }";
	char w[2048], err[512];
	struct program_library *lib = LOAD("{ \"old\": { \"max_time\": 4,"
	    " \"max_work_memory\": 64 },\n"
	    " \"p\": { \"group\": \"old\", \"filename\": \"/p\", \"concurency\": 2 },\n"
	    " \"q\": { \"group\": \"old\", \"filename\": \"/q\", \"xyzzy\": true },\n"
	    " \"unused\": { \"verbos\": true } }", w);
	const struct program_def *d = lib ? library_find(lib, "p") : NULL;

	/* Ignored: the defaults stay. */
	CHECK(d != NULL && d->max_request_time == 8.0 && d->concurrency == 2);
	CHECK(d != NULL && d->max_request_memory == 32);
	CHECK_STR(w,
	    "group 'old': 'max_time' is not a known setting (did you mean "
	    "'max_request_time'?); ignored\n"
	    "group 'old': 'max_work_memory' is not a known setting (did you mean "
	    "'max_request_memory'?); ignored\n"
	    "program 'p': 'concurency' is not a known setting (did you mean "
	    "'concurrency'?); ignored\n"
	    "program 'q': 'xyzzy' is not a known setting; ignored\n"
	    "group 'unused': 'verbos' is not a known setting (did you mean "
	    "'verbose'?); ignored\n");
	/* Each once; configure() warns about what is new. */
	w[0] = '\0';
	CHECK(lib != NULL && library_apply_json(lib, "p", more, strlen(more), err,
	    sizeof err) == 0);
	library_take_warnings(lib, collect, w);
	CHECK_STR(w, "program 'p': 'colour' is not a known setting; ignored\n");
	library_free(lib);
}

static void
test_values(void)
{
	char w[2048], err[512];
	struct program_library *lib = LOAD("{ \"a\": { \"filename\": \"/a\","
	    " \"concurrency\": 0, \"smp\": 17, \"start\": \"yes\" },\n"
	    " \"b\": { \"filename\": \"/b\", \"concurrency\": 255, \"smp\": 1000,"
	    " \"max_memory\": 1.5, \"main_arguments\": \"--v\", \"start\": 1 },\n"
	    " \"c\": { \"filename\": \"/c\", \"concurrency\": 2.9, \"start\": true } }",
	    w);
	const struct program_def *d;
	struct tkvm_program_config cfg;
	struct program_engine_config owned = { 0 };

	d = lib ? library_find(lib, "a") : NULL;
	CHECK(d != NULL && d->concurrency == 0 && d->smp == 16 && !d->start);
	/* Concurrency 0 loads, and the program's load fails, as published. */
	CHECK(d != NULL && program_def_to_engine(d, NULL, &cfg, &owned, err,
	    sizeof err) != 0);
	CHECK_STR(err, "program 'a': 'concurrency' must be at least 1");
	program_engine_config_free(&owned);
	d = lib ? library_find(lib, "b") : NULL;
	CHECK(d != NULL && d->concurrency == 255 && d->smp == 16);
	CHECK(d != NULL && d->max_memory == 1 && !d->start);
	CHECK(d != NULL && d->main_arguments[0] != NULL &&
	    strcmp(d->main_arguments[0], "--v") == 0 && d->main_arguments[1] == NULL);
	CHECK(d != NULL && program_def_to_engine(d, NULL, &cfg, &owned, err,
	    sizeof err) == 0 && cfg.concurrency == 255);
	program_engine_config_free(&owned);
	d = lib ? library_find(lib, "c") : NULL;
	CHECK(d != NULL && d->concurrency == 2 && d->start);
	CHECK_STR(w,
	    "program 'a': 'start' is not true or false but a string; ignored\n"
	    "program 'a': 'smp' is accepted but not supported yet; ignored\n"
	    "program 'b': 'start' is not true or false but a number; ignored\n"
	    "program 'b': 'smp' is accepted but not supported yet; ignored\n");
	library_free(lib);
}

int
main(void)
{
	test_default_group();
	test_empty_strings();
	test_unknown_keys();
	test_values();
	if (failures) {
		fprintf(stderr, "program_compat_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("program_compat_test: all checks passed\n");
	return 0;
}
