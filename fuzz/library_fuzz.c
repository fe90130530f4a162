/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for program libraries (config/program_config.c).
 * The input is NUL-separated parts: a library text, then pairs NAME,
 * SETTINGS applied as configure(NAME, SETTINGS) (library_apply_json);
 * an empty NAME merges SETTINGS as a library text instead.  After every
 * step: a refused change left the same program definitions, every
 * program resolves within its documented ranges and converts to an
 * engine config, and every definition handed out so far is still
 * readable (they stay valid until library_free()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "program_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 16
#define MAX_SEEN 4096

static const struct program_def *seen[MAX_SEEN];
static size_t nseen;

static void
fatal(const char *what, const char *detail)
{
	fprintf(stderr, "library_fuzz: %s %s\n", what, detail != NULL ? detail : "");
	abort();
}

static size_t
list_len(char *const *l)
{
	size_t n = 0;

	if (l == NULL)
		fatal("a list is NULL", NULL);
	for (; *l != NULL; l++)
		n += strlen(*l) + 1;
	return n;
}

/* Reads every field, so that ASan sees a freed definition. */
static void
touch(const struct program_def *d)
{
	size_t n = strlen(d->name);

	n += d->group ? strlen(d->group) : 0;
	n += d->uri ? strlen(d->uri) : 0;
	n += d->filename ? strlen(d->filename) : 0;
	n += d->cwd ? strlen(d->cwd) : 0;
	n += list_len(d->main_arguments) + list_len(d->environment) +
	    list_len(d->warmup_headers) + list_len(d->warnings);
	for (unsigned i = 0; i < d->nallowed; i++)
		n += strlen(d->allowed[i].real);
	(void)n;
}

static void
check_def(const struct program_library *lib, const struct program_def *d)
{
	struct tkvm_program_config cfg;
	struct program_engine_config owned;
	char err[512] = "";

	if (d == NULL || d->name == NULL || library_find(lib, d->name) != d)
		fatal("a program cannot be found by its name", d ? d->name : NULL);
	touch(d);
	if (d->concurrency > 255 || d->smp > 16 ||
	    d->max_memory > (1ULL << 20) || !(d->max_request_time > 0) ||
	    !(d->max_boot_time > 0) || !(d->max_queue_time > 0))
		fatal("a setting out of its range in", d->name);
	for (char **e = d->environment; *e != NULL; e++)
		if (strchr(*e, '=') == NULL || **e == '=')
			fatal("an environment entry is not KEY=VALUE:", *e);
	if (program_def_to_engine(d, NULL, &cfg, &owned, err, sizeof err) != 0) {
		if (err[0] == '\0')
			fatal("program_def_to_engine failed without a reason", d->name);
		return;
	}
	if (d->concurrency < 1)
		fatal("concurrency 0 converts to an engine config:", d->name);
	if (cfg.vm.argv[0] != d->name || cfg.vm.envp == NULL)
		fatal("a bad engine config for", d->name);
	program_engine_config_free(&owned);
}

/* The library's programs now; remembers them for later reads. */
static size_t
snapshot(const struct program_library *lib, const struct program_def **out,
    size_t max)
{
	size_t n = library_count(lib);

	if (n > max)
		fatal("too many programs", NULL);
	for (size_t i = 0; i < n; i++) {
		out[i] = library_program(lib, i);
		check_def(lib, out[i]);
		if (nseen < MAX_SEEN)
			seen[nseen++] = out[i];
	}
	if (library_program(lib, n) != NULL)
		fatal("library_program() beyond library_count()", NULL);
	return n;
}

/* The next NUL-terminated part of [*p, end), or NULL. */
static char *
next_part(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *s = *p, *nul;
	char *part;

	if (s > end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(end - s));
	*len = nul != NULL ? (size_t)(nul - s) : (size_t)(end - s);
	*p = s + *len + 1;
	if ((part = malloc(*len + 1)) == NULL)
		fatal("out of memory", NULL);
	memcpy(part, s, *len);
	part[*len] = '\0';
	return part;
}

/* One change; a refused one must leave the programs as they were. */
static void
step(struct program_library *lib, const char *name, size_t namelen,
    const char *text, size_t len)
{
	static const struct program_def *before[MAX_SEEN], *after[MAX_SEEN];
	size_t n = snapshot(lib, before, MAX_SEEN), m;
	char err[512] = "";
	int r;

	if (namelen == 0)
		r = library_merge_text(lib, text, len, err, sizeof err);
	else
		r = library_apply_json(lib, name, text, len, err, sizeof err);
	m = snapshot(lib, after, MAX_SEEN);
	if (r != 0) {
		if (err[0] == '\0')
			fatal("a change refused without a reason", NULL);
		if (m != n || memcmp(before, after, n * sizeof *before) != 0)
			fatal("a refused change altered the library:", err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct program_library *lib;
	char err[512] = "", *text, *name;
	size_t len, namelen;

	nseen = 0;
	if (size > 32768)	/* fewer than 4096 programs: see snapshot() */
		return 0;
	if ((text = next_part(&p, end, &len)) == NULL)
		return 0;
	lib = library_parse(text, len, err, sizeof err);
	free(text);
	if (lib == NULL) {
		if (err[0] == '\0')
			fatal("a library refused without a reason", NULL);
		if ((lib = library_parse("{}", 2, err, sizeof err)) == NULL)
			fatal("the empty library is refused:", err);
	}
	for (int i = 0; i < MAX_STEPS; i++) {
		if ((name = next_part(&p, end, &namelen)) == NULL)
			break;
		if ((text = next_part(&p, end, &len)) == NULL) {
			free(name);
			break;
		}
		step(lib, name, namelen, text, len);
		free(name);
		free(text);
	}
	for (size_t i = 0; i < nseen; i++)
		touch(seen[i]);
	library_free(lib);
	return 0;
}
