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
#include "program_config.h"
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
	const char *config, *program;	/* --config FILE --program NAME */
	/* Request mode: the requests, sent in order, --repeat times. */
	const char *methods[MAX_LIST], *urls[MAX_LIST];
	unsigned nrequests;
	const char *arg, *body_file, *content_type;
	const char *headers[MAX_LIST + 1];
	unsigned nheaders;
	unsigned long repeat, concurrency;
	unsigned long test_fail_reset;	/* --test-fail-reset-ioctl N */
	bool test_flip_shared;		/* --test-flip-shared */
	bool storage;			/* --storage */
	const char *self_request;	/* --self-request URL-PREFIX */
	struct gdb_options gdb;		/* --gdb, --gdb-on-crash, --gdb-wait */
};

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

/* One request VM's worth of requests, run by one thread. */
struct worker {
	struct tkvm_reqvm *vm;
	const struct options *o;
	const struct tkvm_request *protos;	/* one per --request */
	unsigned nprotos;
	unsigned long rounds;
	bool prints;			/* prints its first round */
	unsigned long failed, timeouts, differ, replaced;
	struct first_response {
		int status;
		char *body;
		size_t len;
	} first[MAX_LIST];
	struct header_sets sets;		/* ctx of header_sets_ops */
};

static void
print_response(const struct worker *w, const struct tkvm_response *r)
{
	printf("HTTP %d\nContent-Type: %.*s\n", r->status,
	    (int)r->content_type_len, r->content_type ? r->content_type : "");
	for (unsigned i = 0; i < r->num_headers; i++)
		printf("%.*s\n", (int)r->headers[i].len, r->headers[i].field);
	for (unsigned i = 0; i < w->sets.resp.count; i++)
		printf("%s\n", w->sets.resp.fields[i]);
	if (r->cache_set)
		printf("X-TinyKVM-Cache: %s ttl=%g grace=%g keep=%g\n",
		    r->cached ? "cached" : "uncached", r->ttl, r->grace, r->keep);
	printf("\n");
	if (r->body_len > 0)	/* an empty body may be NULL */
		fwrite(r->body, 1, r->body_len, stdout);
	printf("\n");
	fflush(stdout);
}

static void
reset_headers(struct worker *w, const struct tkvm_request *proto)
{
	headers_clear(&w->sets.req);
	headers_clear(&w->sets.resp);
	for (unsigned i = 0; i < proto->num_headers; i++)
		headers_add(&w->sets.req, proto->headers[i].field,
		    proto->headers[i].len);
}

static void
record(struct worker *w, unsigned long round, unsigned k, int rc,
    const struct tkvm_response *r)
{
	struct first_response *f = &w->first[k];

	if (rc != 0) {
		w->failed++;
		w->timeouts += r->stop == TKVM_STOP_TIMEOUT;
		if (round == 0 && w->prints)
			fprintf(stderr, "tinykvm-run: request %u (%s %s) failed: %s\n",
			    k + 1, w->protos[k].method, w->protos[k].url, r->reason);
	}
	if (round == 0) {
		f->status = r->status;
		f->len = r->body_len;
		f->body = malloc(r->body_len + 1);
		/* An empty body may be NULL, which memcpy() must not get. */
		if (f->body != NULL && r->body_len > 0)
			memcpy(f->body, r->body, r->body_len);
		if (w->prints)
			print_response(w, r);
	} else if (r->status != f->status || r->body_len != f->len ||
	    (f->len > 0 && f->body && memcmp(r->body, f->body, f->len) != 0)) {
		w->differ++;
	}
}

/* A streamed response is pulled whole into *buf, which becomes its body
 * (the caller frees it); -1 with resp->reason when the stream fails. */
static int
drain_stream(struct tkvm_reqvm *vm, struct tkvm_response *r, char **buf)
{
	size_t len = 0, cap = 0, n;
	const void *chunk;
	char *nb;
	int rc;

	*buf = NULL;
	while ((rc = tkvm_stream_pull(vm, 65536, &chunk, &n, r->reason,
	    sizeof r->reason)) == 1) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			if ((nb = realloc(*buf, cap)) == NULL) {
				snprintf(r->reason, sizeof r->reason, "out of memory");
				rc = -1;
				break;
			}
			*buf = nb;
		}
		memcpy(*buf + len, chunk, n);
		len += n;
	}
	if (rc != 0) {
		r->stop = TKVM_STOP_ERROR;
		r->status = 500;
		r->body_len = 0;
		return -1;
	}
	r->body = *buf;
	r->body_len = len;
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct tkvm_response resp;
	char why[256];

	for (unsigned long n = 0; n < w->rounds; n++) {
		for (unsigned k = 0; k < w->nprotos; k++) {
			struct tkvm_request req = w->protos[k];
			req.http = &header_sets_ops;
			req.http_ctx = &w->sets;
			req.backend = true;	/* as under program() */
			reset_headers(w, &req);
			char *streamed = NULL;
			int rc = tkvm_request_run(w->vm, &req, &resp);
			/* on_error's response may stream too (rc -1) */
			if (resp.streaming &&
			    drain_stream(w->vm, &resp, &streamed) != 0)
				rc = -1;
			if (rc != 0 && resp.status == 0)
				resp.status = resp.stop == TKVM_STOP_TIMEOUT ? 504 : 500;
			record(w, n, k, rc, &resp);
			free(streamed);
			if (tkvm_request_end(w->vm, why, sizeof why) != 0) {
				w->replaced++;
				fprintf(stderr, "tinykvm-run: after request %u "
				    "(%s %s): %s\n", k + 1, req.method, req.url, why);
			}
		}
	}
	headers_clear(&w->sets.req);
	headers_clear(&w->sets.resp);
	return NULL;
}

static void
build_requests(const struct options *o, struct tkvm_request *reqs,
    struct tkvm_header *hdrs, void **body)
{
	char err[256];
	size_t len = 0;

	if (o->body_file != NULL) {
		*body = tkvm_read_file(o->body_file, MAX_PROGRAM_SIZE, &len, err,
		    sizeof err);
		if (*body == NULL)
			fail("%s", err);
	}
	for (unsigned i = 0; i < o->nheaders; i++) {
		hdrs[i].field = o->headers[i];
		hdrs[i].len = strlen(o->headers[i]);
	}
	for (unsigned k = 0; k < o->nrequests; k++) {
		struct tkvm_request *req = &reqs[k];
		memset(req, 0, sizeof *req);
		req->method = o->methods[k];
		req->url = o->urls[k];
		req->arg = o->arg;
		req->content_type = o->content_type;
		req->body = *body;
		req->body_len = len;
		req->headers = hdrs;
		req->num_headers = o->nheaders;
	}
}

static void
print_storage(struct tkvm_program *prog)
{
	struct tkvm_storage_stats st;

	if (tkvm_program_storage_stats(prog, &st) != 0)
		return;
	fprintf(stderr, "tinykvm-run: storage: %llu calls (%llu failed), %llu "
	    "resets, %llu task runs (%llu failed), %llu bytes in, %llu out, "
	    "%.1f us per call in the storage VM\n",
	    (unsigned long long)st.calls, (unsigned long long)st.failures,
	    (unsigned long long)st.resets, (unsigned long long)st.tasks,
	    (unsigned long long)st.task_failures,
	    (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out,
	    st.calls ? st.run_s * 1e6 / (double)st.calls : 0.0);
}

static int
request_mode(const struct options *o, const struct tkvm_program_config *base,
    const void *image, size_t len)
{
	struct tkvm_program_config cfg = *base;
	static struct tkvm_request protos[MAX_LIST];
	struct tkvm_header hdrs[MAX_LIST];
	struct tkvm_program *prog;
	struct worker *workers;
	pthread_t *threads;
	unsigned long n = o->concurrency ? o->concurrency : 1;
	unsigned long repeat = o->repeat ? o->repeat : 1;
	unsigned long failed = 0, timeouts = 0, differ = 0, replaced = 0;
	void *body = NULL;
	char err[256];

	cfg.vm.timeout_s = 0;
	if (o->timeout > 0)
		cfg.max_request_time = o->timeout;
	cfg.concurrency = (unsigned)n;
	cfg.test_fail_reset_ioctl = (unsigned)o->test_fail_reset;
	cfg.vm.test_flip_shared = o->test_flip_shared;
	cfg.storage |= o->storage;
	build_requests(o, protos, hdrs, &body);
	prog = tkvm_program_load(&cfg, image, len, err, sizeof err);
	if (prog == NULL)
		fail("%s", err);
	workers = calloc(n, sizeof *workers);
	threads = calloc(n, sizeof *threads);
	if (workers == NULL || threads == NULL)
		fail("out of memory");
	for (unsigned long i = 0; i < n; i++) {
		workers[i].vm = tkvm_program_reqvm(prog, (unsigned)i);
		workers[i].o = o;
		workers[i].protos = protos;
		workers[i].nprotos = o->nrequests;
		workers[i].rounds = repeat / n + (i < repeat % n);
		workers[i].prints = i == 0;
		workers[i].sets.fetch = runner_fetch;
		workers[i].sets.self_prefix = o->self_request;
		if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0)
			fail("cannot start thread %lu", i);
	}
	for (unsigned long i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	for (unsigned long i = 0; i < n; i++) {
		failed += workers[i].failed;
		timeouts += workers[i].timeouts;
		differ += workers[i].differ;
		replaced += workers[i].replaced;
		for (unsigned k = 0; i > 0 && workers[i].rounds && k < o->nrequests; k++) {
			const struct first_response *a = &workers[0].first[k];
			const struct first_response *b = &workers[i].first[k];
			differ += a->status != b->status || a->len != b->len ||
			    (a->body && b->body && memcmp(a->body, b->body, a->len) != 0);
		}
	}
	for (unsigned long i = 0; i < n; i++)
		for (unsigned k = 0; k < o->nrequests; k++)
			free(workers[i].first[k].body);
	if (repeat > 1 || o->nrequests > 1)
		fprintf(stderr, "tinykvm-run: %lu requests on %lu VMs: %lu failed, "
		    "%lu differed from the first round\n", repeat * o->nrequests,
		    n, failed, differ);
	if (replaced)
		fprintf(stderr, "tinykvm-run: %lu request VMs replaced after a "
		    "failed reset\n", replaced);
	print_storage(prog);
	free(workers);
	free(threads);
	free(body);
	tkvm_program_destroy(prog);
	if (failed)
		return timeouts == failed ? EXIT_TIMEOUT : EXIT_SANDBOX;
	return 0;
}

/* Settings from --config/--program, or defaults; CLI options win. */
/* The library's warnings about the program run (keys not acted on). */
static void
warn_program(void *opaque, const char *warning)
{
	const char *name = opaque;
	size_t n = strlen(name);

	if (strncmp(warning, "program '", 9) == 0 &&
	    strncmp(warning + 9, name, n) == 0 && warning[9 + n] == '\'')
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
	library_take_warnings(*lib, warn_program, (void *)(uintptr_t)o->program);
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
	char err[256];
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
