/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tinykvm-run: runs a static Linux program in the TinyKVM sandbox from the
 * terminal, forwarding its output and exit status.
 *
 * Exit status: the program's own; 125 when the sandbox fails (bad program,
 * crash, KVM unusable); 124 when the program runs past --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>

#include "gdb.h"
#include "help.h"
#include "headers.h"
#include "regex.h"
#include "runner.h"
#include "program_config.h"
#include "tinykvm/engine.h"

void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tinykvm-run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SANDBOX);
}

static void
write_output(void *opaque, int fd, const char *data, size_t len)
{
	(void)opaque;
	fwrite(data, 1, len, fd == 2 ? stderr : stdout);
	if (fd == 2)
		fflush(stderr);
}

static unsigned long
parse_count(const char *s, const char *option)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 100000000UL)
		fail("bad %s '%s'", option, s);
	return v;
}

static double
parse_number(const char *s, const char *option)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		fail("bad %s '%s'", option, s);
	return v;
}

static void
add(const char **list, unsigned *n, const char *item, const char *option)
{
	if (*n == MAX_LIST)
		fail("too many %s (at '%s')", option, item);
	list[(*n)++] = item;
	list[*n] = NULL;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "memory", required_argument, NULL, 'm' },
		{ "address-space", required_argument, NULL, 'M' },
		{ "max-threads", required_argument, NULL, 'L' },
		{ "allow", required_argument, NULL, 'a' },
		{ "env", required_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "request", required_argument, NULL, 'R' },
		{ "arg", required_argument, NULL, 'A' },
		{ "body", required_argument, NULL, 'B' },
		{ "content-type", required_argument, NULL, 'C' },
		{ "header", required_argument, NULL, 'H' },
		{ "repeat", required_argument, NULL, 'N' },
		{ "concurrency", required_argument, NULL, 'P' },
		{ "storage", no_argument, NULL, 'S' },
		{ "storage-program", required_argument, NULL, 'T' },
		{ "self-request", required_argument, NULL, 'Q' },
		{ "config", required_argument, NULL, 'F' },
		{ "program", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "host-info", no_argument, NULL, 'I' },
		{ "gdb", optional_argument, NULL, 'D' },
		{ "gdb-on-crash", optional_argument, NULL, 'E' },
		{ "gdb-wait", required_argument, NULL, 'W' },
		/* Testing only: every Nth ioctl of a reset fails (engine.h). */
		{ "test-fail-reset-ioctl", required_argument, NULL, 'X' },
		/* Testing only: shared bytes change once copied (engine.h). */
		{ "test-flip-shared", no_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+t:m:a:e:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->timeout = parse_number(optarg, "--timeout"); break;
		case 'm': o->memory = (uint64_t)parse_number(optarg, "--memory"); break;
		case 'M':
			o->address_space = (uint64_t)parse_number(optarg,
			    "--address-space");
			break;
		case 'L': o->max_threads = (unsigned)parse_number(optarg, "--max-threads"); break;
		case 'a': add(o->allow, &o->nallow, optarg, "--allow"); break;
		case 'e':
			if (strchr(optarg, '=') == NULL)
				fail("bad --env '%s' (want KEY=VALUE)", optarg);
			add(o->env, &o->nenv, optarg, "--env");
			break;
		case 'v': o->verbose = 1; break;
		case 'R':
			if (optind >= argc)
				fail("--request needs METHOD and URL");
			if (o->nrequests == MAX_LIST)
				fail("too many --request");
			o->methods[o->nrequests] = optarg;
			o->urls[o->nrequests++] = argv[optind++];
			break;
		case 'A': o->arg = optarg; break;
		case 'B': o->body_file = optarg; break;
		case 'C': o->content_type = optarg; break;
		case 'H':
			if (strchr(optarg, ':') == NULL)
				fail("bad --header '%s' (want 'Key: value')", optarg);
			add(o->headers, &o->nheaders, optarg, "--header");
			break;
		case 'N': o->repeat = parse_count(optarg, "--repeat"); break;
		case 'P': o->concurrency = parse_count(optarg, "--concurrency"); break;
		case 'S': o->storage = true; break;
		case 'T': o->storage_program = optarg; o->storage = true; break;
		case 'Q': o->self_request = optarg; break;
		case 'F': o->config = optarg; break;
		case 'G': o->program = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'I': exit(host_info());
		case 'D': case 'E':
			*(c == 'D' ? &o->gdb.at_entry : &o->gdb.on_crash) = true;
			if (optarg != NULL)
				o->gdb.listen = optarg;
			break;
		case 'W': o->gdb.wait_s = parse_number(optarg, "--gdb-wait"); break;
		case 'X': o->test_fail_reset = parse_count(optarg,
		    "--test-fail-reset-ioctl"); break;
		case 'Y': o->test_flip_shared = true; break;
		default: usage(stderr); exit(EXIT_SANDBOX);
		}
	}
	if ((o->config == NULL) != (o->program == NULL))
		fail("--config and --program go together");
	if (optind >= argc && o->config == NULL) {
		usage(stderr);
		exit(EXIT_SANDBOX);
	}
	return optind;
}

/* Settings from --config/--program, or defaults; CLI options win. */
/* Whether warning is about the entry KIND 'NAME'. */
static bool
warning_about(const char *warning, const char *kind, const char *name)
{
	size_t k = strlen(kind), n = strlen(name);

	return strncmp(warning, kind, k) == 0 && warning[k] == ' ' &&
	    warning[k + 1] == '\'' && strncmp(warning + k + 2, name, n) == 0 &&
	    warning[k + 2 + n] == '\'';
}

/* The library's warnings about the program run and its group (keys not
 * acted on, unknown keys). */
static void
warn_program(void *opaque, const char *warning)
{
	const struct program_def *def = opaque;

	if (warning_about(warning, "program", def->name) ||
	    (def->group != NULL && warning_about(warning, "group", def->group)))
		fprintf(stderr, "tinykvm-run: warning: %s\n", warning);
}

static void
settings(const struct options *o, struct tkvm_program_config *cfg,
    struct program_engine_config *owned, struct program_library **lib,
    const char **path)
{
	const struct program_def *def;
	char err[512];
	size_t len;
	char *text;

	memset(cfg, 0, sizeof *cfg);
	if (o->config == NULL)
		return;
	text = tkvm_read_file(o->config, 16 << 20, &len, err, sizeof err);
	if (text == NULL)
		fail("%s", err);
	*lib = library_parse(text, len, err, sizeof err);
	free(text);
	if (*lib == NULL)
		fail("%s: %s", o->config, err);
	def = library_find(*lib, o->program);
	if (def == NULL)
		fail("%s: no program '%s'", o->config, o->program);
	library_take_warnings(*lib, warn_program, (void *)(uintptr_t)def);
	if (program_def_to_engine(def, NULL, cfg, owned, err, sizeof err) != 0)
		fail("%s", err);
	if (*path == NULL)
		*path = def->filename;
	if (*path == NULL)
		fail("program '%s' has no filename: give PROGRAM", o->program);
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct tkvm_program_config pcfg;
	struct program_engine_config owned = { 0 };
	struct program_library *lib = NULL;
	struct tkvm_config *cfg = &pcfg.vm;
	struct tkvm_result res;
	struct tkvm_vm *vm;
	char err[1024];
	void *image;
	size_t len;
	int first = parse_options(argc, argv, &o);
	const char *path = first < argc ? argv[first] : NULL;
	const char *default_argv[2] = { NULL, NULL };
	char name_var[300];

	settings(&o, &pcfg, &owned, &lib, &path);
	static char gdb_program[4096];	/* path's library is freed early */
	snprintf(gdb_program, sizeof gdb_program, "%s", path ? path : "");
	o.gdb.program = gdb_program;
	image = tkvm_read_file(path, MAX_PROGRAM_SIZE, &len, err, sizeof err);
	if (image == NULL)
		fail("%s", err);
	if (first < argc) {
		/* argv[0] inside the guest is the program's base name. */
		argv[first] = basename(argv[first]);
		cfg->argv = (const char *const *)&argv[first];
	} else if (cfg->argv == NULL) {
		default_argv[0] = o.program;
		cfg->argv = default_argv;
	}
	if (o.memory)
		cfg->memory_mib = o.memory;
	if (o.address_space)
		cfg->address_space_mib = o.address_space;
	else if (o.nrequests == 0 && o.config == NULL)
		/* A plain run reserves like a Linux process: a large address
		 * space, of which only touched pages count against --memory. */
		cfg->address_space_mib = PLAIN_ADDRESS_SPACE_MIB;
	if (o.max_threads)
		cfg->max_threads = o.max_threads;
	cfg->timeout_s = o.timeout;
	if (o.nallow)
		cfg->allowed_paths = o.allow;
	if (o.nrequests > 0 && o.config == NULL) {
		/* What the VMOD tells a program of where it runs. */
		snprintf(name_var, sizeof name_var, "KVM_NAME=%s", cfg->argv[0]);
		add(o.env, &o.nenv, name_var, "--env");
		add(o.env, &o.nenv, "KVM_GROUP=", "--env");
		add(o.env, &o.nenv, "KVM_TYPE=request", "--env");
		add(o.env, &o.nenv, "KVM_STATE=state", "--env");
		add(o.env, &o.nenv, "KVM_DEBUG=0", "--env");
	}
	if (o.nenv || cfg->envp == NULL)
		cfg->envp = o.env;
	cfg->output = write_output;
	cfg->regex = &runner_regex_ops;
	cfg->verbose |= o.verbose;
	if (o.nrequests > 0) {
		if (o.gdb.at_entry || o.gdb.on_crash)
			fail("--gdb and --gdb-on-crash debug a plain run, "
			    "not --request");
		int rc = request_mode(&o, &pcfg, image, len);
		free(image);
		program_engine_config_free(&owned);
		library_free(lib);
		return rc;
	}
	vm = tkvm_vm_create(cfg, image, len, err, sizeof err);
	free(image);
	program_engine_config_free(&owned);
	library_free(lib);
	if (vm == NULL)
		fail("%s", err);
	if ((o.gdb.at_entry || o.gdb.on_crash) &&
	    gdb_attach(vm, &o.gdb, err, sizeof err) != 0)
		fail("%s", err);
	tkvm_vm_run(vm, &res);
	tkvm_vm_destroy(vm);
	fflush(stdout);
	switch (res.stop) {
	case TKVM_STOP_EXIT:
		return res.status;
	case TKVM_STOP_TIMEOUT:
		fprintf(stderr, "tinykvm-run: %s\n", res.reason);
		return EXIT_TIMEOUT;
	default:
		fprintf(stderr, "tinykvm-run: %s\n", res.reason);
		return EXIT_SANDBOX;
	}
}
