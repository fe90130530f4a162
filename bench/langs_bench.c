/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Request programs in other languages (examples/rust, examples/python,
 * examples/go, examples/node): for each, its cold start (reading the program, main() up
 * to wait_for_requests, the request VM, the first response; median of
 * LOADS loads) and its request cycle on one request VM (time, pages the
 * reset copies back, resets and KVM_RUNs per request), beside the bare
 * exit round trip measured in the same run.
 *
 * usage: langs_bench GUEST_DIR [REQUESTS]
 *   GUEST_DIR holds exit_loop, hello_rust, python/hello.py (with
 *   python/libkvm_api.so), hello_go and node/hello.js (with
 *   node/varnish.node), as bench/run.sh builds them; a program that is
 *   missing or does not load is reported and skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

#define LOADS	3

struct lang {
	const char *label;
	const char *file;		/* the ELF: in GUEST_DIR, or absolute */
	const char *script;		/* argv[1] in GUEST_DIR, or NULL */
	uint64_t memory_mib, space_mib;
	const char *(*allow)(void);	/* a path the runtime reads, or NULL */
};

static const char *python_stdlib(void);
static const char *
openssl_dir(void)
{
	return "/etc/ssl";		/* Node.js reads openssl.cnf at start-up */
}

static const struct lang langs[] = {
	{ "rust", "hello_rust", NULL, 64, 0, NULL },
	{ "python", "/usr/bin/python3", "python/hello.py", 64, 0, python_stdlib },
	{ "go", "hello_go", NULL, 1024, 0, NULL },
	/* V8 reserves more than 1 GiB at start-up. */
	{ "node", "/usr/bin/node", "node/hello.js", 1024, 4096, openssl_dir },
};

/* Python's standard library directory, from python3 itself. */
static const char *
python_stdlib(void)
{
	static char path[256];
	FILE *f = popen("/usr/bin/python3 -c 'import sysconfig; "
	    "print(sysconfig.get_paths()[\"stdlib\"])' 2>/dev/null", "r");

	if (f == NULL)
		return "/usr/lib/python3";
	if (fgets(path, sizeof path, f) == NULL)
		snprintf(path, sizeof path, "/usr/lib/python3");
	pclose(f);
	path[strcspn(path, "\n")] = '\0';
	return path;
}

struct setup {
	char file[512], script[512], dir[512], name[64];
	const char *argv[3];
	const char *envp[3];
	const char *allowed[3];
	struct tkvm_program_config cfg;
	struct capture out;		/* the guest's first output */
};

static void
setup(struct setup *s, const char *gdir, const struct lang *l)
{
	char *abs = realpath(gdir, NULL);

	memset(s, 0, sizeof *s);
	if (abs != NULL)
		gdir = abs;
	if (l->file[0] == '/')
		snprintf(s->file, sizeof s->file, "%s", l->file);
	else
		snprintf(s->file, sizeof s->file, "%s/%s", gdir, l->file);
	s->argv[0] = l->label;
	if (l->script != NULL) {
		snprintf(s->script, sizeof s->script, "%s/%s", gdir, l->script);
		snprintf(s->dir, sizeof s->dir, "%s", s->script);
		*strrchr(s->dir, '/') = '\0';	/* the script's directory */
		s->argv[1] = s->script;
		s->allowed[0] = s->dir;
		s->allowed[1] = l->allow != NULL ? l->allow() : NULL;
	}
	/* What the VMOD and tinykvm-run give a request program. */
	snprintf(s->name, sizeof s->name, "KVM_NAME=%s", l->label);
	s->envp[0] = s->name;
	s->envp[1] = "KVM_TYPE=request";
	s->cfg.vm.envp = s->envp;
	s->cfg.vm.argv = s->argv;
	s->cfg.vm.output = capture_output;
	s->cfg.vm.opaque = &s->out;
	s->cfg.vm.allowed_paths = s->allowed;
	s->cfg.vm.memory_mib = l->memory_mib;
	s->cfg.vm.address_space_mib = l->space_mib;
	s->cfg.concurrency = 1;
	free(abs);
}

/* Loads the program and runs its first request: 0 and the times in ms,
 * or -1 with why. */
static int
cold_start(struct setup *s, double *load_ms, double *first_ms,
    struct tkvm_program **pp, char *why, size_t whylen)
{
	struct tkvm_request req = { .method = "GET", .url = "/" };
	struct tkvm_response resp;
	struct tkvm_program *p;
	double t0 = now_ns(), t1;
	size_t len;
	void *img = tkvm_read_file(s->file, 1 << 30, &len, why, whylen);

	if (img == NULL)
		return -1;
	p = tkvm_program_load(&s->cfg, img, len, why, whylen);
	free(img);
	if (p == NULL)
		return -1;
	t1 = now_ns();
	if (tkvm_request_run(tkvm_program_reqvm(p, 0), &req, &resp) != 0 ||
	    resp.status != 200) {
		snprintf(why, whylen, "first request: %s", resp.reason);
		tkvm_program_destroy(p);
		return -1;
	}
	*load_ms = (t1 - t0) / 1e6;
	*first_ms = (now_ns() - t0) / 1e6;
	tkvm_request_end(tkvm_program_reqvm(p, 0), why, whylen);
	*pp = p;
	return 0;
}

static void
bench_lang(const char *gdir, const struct lang *l, unsigned n, double bare)
{
	struct tkvm_request req = { .method = "GET", .url = "/" };
	struct tkvm_reqvm_stats before, after;
	struct tkvm_response resp;
	struct tkvm_program *p = NULL;
	double load[LOADS], first[LOADS], t0, ns;
	struct tkvm_reqvm *rv;
	struct setup s;
	char why[256];

	setup(&s, gdir, l);
	if (access(s.file, R_OK) != 0 ||
	    (s.script[0] != '\0' && access(s.script, R_OK) != 0)) {
		printf("%s: not run: %s not built (bench/run.sh builds it when "
		    "the toolchain is installed)\n", l->label,
		    s.script[0] != '\0' ? s.script : s.file);
		return;
	}
	for (int i = 0; i < LOADS; i++) {
		if (p != NULL)
			tkvm_program_destroy(p);
		s.out.len = 0;
		s.out.text[0] = '\0';
		if (cold_start(&s, &load[i], &first[i], &p, why, sizeof why) != 0) {
			s.out.text[strcspn(s.out.text, "\n")] = '\0';
			printf("%s: not run: %s%s%s\n", l->label, why,
			    s.out.len > 0 ? "; it printed: " : "", s.out.text);
			return;
		}
	}
	rv = tkvm_program_reqvm(p, 0);
	tkvm_reqvm_stats(rv, &before);
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (tkvm_request_run(rv, &req, &resp) != 0 || resp.status != 200) {
			printf("%s: request %u failed: %s\n", l->label, i, resp.reason);
			tkvm_program_destroy(p);
			return;
		}
		tkvm_request_end(rv, why, sizeof why);
	}
	ns = (now_ns() - t0) / n;
	tkvm_reqvm_stats(rv, &after);
	printf("%s_cold_start: %.1f ms program load (main() to "
	    "wait_for_requests, request VM), %.1f ms to the first response "
	    "(median of %d)\n", l->label, median(load, LOADS),
	    median(first, LOADS), LOADS);
	printf("%s_requests: %u GETs on one VM, %.2f us per cycle, ratio to "
	    "bare exit %.1f\n", l->label, n, ns / 1000, ns / bare);
	printf("%s_pages_restored_per_request: %.2f\n", l->label,
	    (double)(after.pages_dirtied_total - before.pages_dirtied_total) / n);
	printf("%s_resets_per_request: %.3f, KVM_RUN per request: %.3f, "
	    "ioctls per request: %.3f\n", l->label,
	    (double)(after.resets - before.resets) / n,
	    (double)(after.kvm_run_calls - before.kvm_run_calls) / n,
	    (double)(after.kvm_ioctls - before.kvm_ioctls) / n);
	tkvm_program_destroy(p);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	double bare;

	if (n == 0)
		n = 1;
	bare = bare_exit_ns(dir);
	printf("bare_exit_round_trip: %.2f us (guest out -> host -> guest, no work)\n",
	    bare / 1000);
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
		bench_lang(dir, &langs[i], n, bare);
	return 0;
}
