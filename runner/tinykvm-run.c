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

#include "tinykvm/engine.h"

#define EXIT_SANDBOX 125
#define EXIT_TIMEOUT 124
#define MAX_LIST 256
#define MAX_PROGRAM_SIZE (1ULL << 30)

struct options {
	double timeout;
	uint64_t memory;
	const char *allow[MAX_LIST + 1];
	const char *env[MAX_LIST + 1];
	unsigned nallow, nenv;
	int verbose;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tinykvm-run [--timeout SECONDS] [--memory MIB] [--allow PATH]...\n"
	    "                   [--env KEY=VALUE]... [--verbose] PROGRAM [ARG...]\n"
	    "Runs a static x86-64 Linux PROGRAM inside a KVM sandbox.\n"
	    "Exit status: the program's; 124 on timeout; 125 on a sandbox failure.\n");
}

static void __attribute__((format(printf, 1, 2), noreturn))
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
		{ "allow", required_argument, NULL, 'a' },
		{ "env", required_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+t:m:a:e:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->timeout = parse_number(optarg, "--timeout"); break;
		case 'm': o->memory = (uint64_t)parse_number(optarg, "--memory"); break;
		case 'a': add(o->allow, &o->nallow, optarg, "--allow"); break;
		case 'e':
			if (strchr(optarg, '=') == NULL)
				fail("bad --env '%s' (want KEY=VALUE)", optarg);
			add(o->env, &o->nenv, optarg, "--env");
			break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_SANDBOX);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		exit(EXIT_SANDBOX);
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct tkvm_config cfg = { 0 };
	struct tkvm_result res;
	struct tkvm_vm *vm;
	char err[256];
	void *image;
	size_t len;
	int first = parse_options(argc, argv, &o);
	const char *path = argv[first];

	image = tkvm_read_file(path, MAX_PROGRAM_SIZE, &len, err, sizeof err);
	if (image == NULL)
		fail("%s", err);
	/* argv[0] inside the guest is the program's base name. */
	argv[first] = basename(argv[first]);
	cfg.memory_mib = o.memory;
	cfg.timeout_s = o.timeout;
	cfg.allowed_paths = o.allow;
	cfg.envp = o.env;
	cfg.argv = (const char *const *)&argv[first];
	cfg.output = write_output;
	cfg.verbose = o.verbose;
	vm = tkvm_vm_create(&cfg, image, len, err, sizeof err);
	free(image);
	if (vm == NULL)
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
