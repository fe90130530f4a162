/*
 * The JSON parser and program definitions: accepted documents, every
 * error with its exact message, groups, overrides and engine settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "program_config.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

static void
json_error(const char *text, const char *want)
{
	char err[256] = "";
	struct json_value *v = json_parse(text, strlen(text), err, sizeof err);

	CHECK(v == NULL);
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "for %s\n  got  [%s]\n  want [%s]\n", text, err, want);
		failures++;
	}
	json_free(v);
}

static void
test_json(void)
{
	const char *doc = "// comment\n{ \"a\": [1, 2.5, -3e2], /* x */ \"b\": "
	    "\"\\u00e9\\ud83d\\ude00\\n\", \"c\": true, \"d\": null }";
	char err[256];
	struct json_value *v = json_parse(doc, strlen(doc), err, sizeof err);
	const struct json_value *a, *b;

	CHECK(v != NULL && v->type == JSON_OBJECT && v->len == 4);
	a = json_get(v, "a");
	CHECK(a != NULL && a->type == JSON_ARRAY && a->len == 3);
	CHECK(a->items[0]->is_integer && a->items[0]->number == 1);
	CHECK(!a->items[1]->is_integer && a->items[1]->number == 2.5);
	CHECK(a->items[2]->number == -300);
	b = json_get(v, "b");
	CHECK(b != NULL && strcmp(b->string, "\xc3\xa9\xf0\x9f\x98\x80\n") == 0);
	CHECK(json_get(v, "c")->boolean && json_get(v, "d")->type == JSON_NULL);
	CHECK(json_get(v, "missing") == NULL);
	json_free(v);

	json_error("{\"a\": 1,}", "line 1, column 9: trailing comma in object");
	json_error("[1, 2,]", "line 1, column 7: trailing comma in array");
	json_error("{\"a\": 1, \"a\": 2}", "line 1, column 13: duplicate key 'a'");
	json_error("{\"a\" 1}", "line 1, column 6: expected ':' after key 'a'");
	json_error("{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}' after object member");
	json_error("[1 2]", "line 1, column 4: expected ',' or ']' after array element");
	json_error("\n\n  {\"a\": tru}", "line 3, column 9: unexpected character 't'");
	json_error("\"abc", "line 1, column 5: unterminated string");
	json_error("\"\\x\"", "line 1, column 3: bad escape '\\x' in string");
	json_error("\"\\ud800\"", "line 1, column 8: unpaired UTF-16 surrogate in \\u escape");
	json_error("01", "line 1, column 1: leading zero in number");
	json_error("{} x", "line 1, column 4: unexpected text after the JSON value");
	json_error("/* open", "line 1, column 7: unterminated comment");
	json_error("", "line 1, column 1: unexpected end of input");
	char deep[200];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	json_error(deep, "line 1, column 66: nested deeper than 64 levels");
}

static void
library_error(const char *text, const char *want)
{
	char err[256] = "";
	struct program_library *lib = library_parse(text, strlen(text), err, sizeof err);

	CHECK(lib == NULL);
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "for %s\n  got  [%s]\n  want [%s]\n", text, err, want);
		failures++;
	}
	library_free(lib);
}

static int
apply(struct program_library *lib, const char *name, const char *json, char *err)
{
	return library_apply_json(lib, name, json, strlen(json), err, 256);
}

static void
test_library(void)
{
	const char *text = "{ \"g\": { \"concurrency\": 3, \"max_memory\": 32, "
	    "\"environment\": [\"A=1\"] },\n \"p\": { \"group\": \"g\", \"filename\": "
	    "\"/bin/p\", \"max_memory\": 48, \"allowed_paths\": [\"/etc/hosts\", "
	    "{ \"real\": \"/srv\", \"prefix\": true }] } }";
	char err[256] = "";
	struct program_library *lib = library_parse(text, strlen(text), err, sizeof err);
	const struct program_def *d;
	struct tkvm_program_config cfg;
	struct program_engine_config owned;

	CHECK(lib != NULL);
	if (lib == NULL) {
		fprintf(stderr, "library: %s\n", err);
		return;
	}
	d = library_find(lib, "p");
	CHECK(d != NULL && d->concurrency == 3 && d->max_memory == 48);
	CHECK(d->nallowed == 2 && d->allowed[1].prefix);
	CHECK(library_find(lib, "g") == NULL);	/* a group is not a program */
	CHECK(apply(lib, "p", "{\"concurrency\": 5}", err) == 0);
	d = library_find(lib, "p");
	CHECK(d->concurrency == 5 && d->max_memory == 48);
	CHECK(apply(lib, "q", "{\"filename\": \"/q\"}", err) == 0);
	CHECK(library_find(lib, "q") != NULL && library_find(lib, "q")->concurrency == 2);
	CHECK(apply(lib, "p", "{\"concurency\": 5}", err) != 0);
	CHECK(strcmp(err, "program 'p': 'concurency' is not a known setting") == 0);
	CHECK(apply(lib, "p", "{\"ephemeral\": 1}", err) != 0);
	CHECK(strcmp(err, "program 'p': 'ephemeral' must be true or false, not a number") == 0);
	CHECK(program_def_to_engine(library_find(lib, "p"), NULL, &cfg, &owned, err,
	    sizeof err) == 0);
	CHECK(cfg.concurrency == 5 && cfg.vm.memory_mib == 48 && !cfg.persistent);
	CHECK(strcmp(cfg.vm.argv[0], "p") == 0 && cfg.vm.argv[1] == NULL);
	CHECK(strcmp(cfg.vm.envp[0], "A=1") == 0 && strcmp(cfg.vm.envp[1], "KVM_NAME=p") == 0);
	CHECK(strcmp(cfg.vm.allowed_paths[1], "/srv") == 0);
	program_engine_config_free(&owned);
	library_free(lib);

	library_error("[]", "a library must be a JSON object of programs and groups");
	library_error("{\"p\": 3}", "group 'p' must be a JSON object, not a number");
	library_error("{\"p\": {\"filename\": \"/x\", \"concurrency\": 0}}",
	    "program 'p': 'concurrency' must be at least 1");
	library_error("{\"p\": {\"filename\": \"/x\", \"max_request_time\": -1}}",
	    "program 'p': 'max_request_time' must be a number of seconds above 0 (at most 86400)");
	library_error("{\"p\": {\"filename\": \"/x\", \"main_arguments\": [1]}}",
	    "program 'p': 'main_arguments' must be an array of strings (element 0 is a number)");
	library_error("{\"p\": {\"filename\": \"/x\", \"allowed_paths\": [{\"prefix\": true}]}}",
	    "program 'p': 'allowed_paths' element 0 has no 'real' path");
	library_error("{\"p\": {\"filename\": \"/x\", \"warmup\": {\"urls\": 1}}}",
	    "program 'p': 'warmup' has an unknown key 'urls'");
	library_error("{\"p\": {\"group\": \"q\", \"filename\": \"/x\"}, \"q\": {\"uri\": \"/y\"}}",
	    "program 'p': group 'q' is a program, not a group of settings");
}

int
main(void)
{
	test_json();
	test_library();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
