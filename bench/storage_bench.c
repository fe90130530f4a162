/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Storage benchmark: the cycle of a GET that makes one storage call
 * against the same GET without it, on one request VM of a program with a
 * storage VM, and the time the call spends in the storage VM; then the
 * same for a direct call into a separate storage program.
 *
 * usage: storage_bench GUEST_DIR [REQUESTS]
 *   GUEST_DIR holds storage_get, direct_get and counter_storage
 *   (bench/run.sh builds them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

static double
cycle_ns(struct tkvm_reqvm *rv, const char *url, unsigned n, double *runs)
{
	struct tkvm_request req = { .method = "GET", .url = url };
	struct tkvm_reqvm_stats before, after;
	struct tkvm_response resp;
	char err[256];
	double t0;

	tkvm_request_run(rv, &req, &resp);	/* first touches not counted */
	tkvm_request_end(rv, err, sizeof err);
	tkvm_reqvm_stats(rv, &before);
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (tkvm_request_run(rv, &req, &resp) != 0 || resp.status != 200) {
			fprintf(stderr, "storage_bench: %s failed: %s\n", url,
			    resp.reason);
			exit(1);
		}
		tkvm_request_end(rv, err, sizeof err);
	}
	tkvm_reqvm_stats(rv, &after);
	*runs = (double)(after.kvm_run_calls - before.kvm_run_calls) / n;
	return (now_ns() - t0) / n;
}

static struct tkvm_program *
load(const char *dir, const char *name, const char *storage_name)
{
	const char *args[] = { name, NULL };
	struct tkvm_program_config cfg = { .vm.argv = args, .concurrency = 1,
	    .storage = true };
	struct tkvm_program *p;
	char path[512], err[256];
	void *img, *simg = NULL;
	size_t len, slen = 0;

	if (storage_name != NULL) {
		snprintf(path, sizeof path, "%s/%s", dir, storage_name);
		simg = tkvm_read_file(path, 1 << 30, &slen, err, sizeof err);
		if (simg == NULL)
			die("storage_bench", err);
		cfg.storage_image = simg;
		cfg.storage_image_len = slen;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	img = tkvm_read_file(path, 1 << 30, &len, err, sizeof err);
	p = img ? tkvm_program_load(&cfg, img, len, err, sizeof err) : NULL;
	free(img);
	free(simg);
	if (p == NULL)
		die("storage_bench", err);
	return p;
}

/* The direct call: the same measurement on the separate-program pair. */
static void
direct_calls(const char *dir, unsigned n)
{
	struct tkvm_program *p = load(dir, "direct_get", "counter_storage");
	struct tkvm_reqvm *rv = tkvm_program_reqvm(p, 0);
	struct tkvm_storage_stats s0, s1;
	double plain, direct, plain_runs, direct_runs;

	plain = cycle_ns(rv, "/plain", n, &plain_runs);
	tkvm_program_storage_stats(p, &s0);
	direct = cycle_ns(rv, "/direct", n, &direct_runs);
	tkvm_program_storage_stats(p, &s1);
	printf("direct_get_cycle: %.2f us (the same GET with one direct call "
	    "into a separate storage program; %.3f KVM_RUN of the request "
	    "VM; plain %.2f us)\n", direct / 1000, direct_runs, plain / 1000);
	printf("direct_call_cost: %.2f us more per request, of which %.2f us "
	    "in the storage VM run\n", (direct - plain) / 1000,
	    (s1.run_s - s0.run_s) * 1e6 / (double)(s1.calls - s0.calls));
	printf("direct_call_vs_plain_cycle: ratio %.2f\n",
	    (direct - plain) / plain);
	tkvm_program_destroy(p);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 5000;
	struct tkvm_storage_stats s0, s1;
	struct tkvm_program *p = load(dir, "storage_get", NULL);
	struct tkvm_reqvm *rv;
	double plain, store, plain_runs, store_runs;

	rv = tkvm_program_reqvm(p, 0);
	plain = cycle_ns(rv, "/plain", n, &plain_runs);
	tkvm_program_storage_stats(p, &s0);
	store = cycle_ns(rv, "/store", n, &store_runs);
	tkvm_program_storage_stats(p, &s1);
	printf("plain_get_cycle: %.2f us (%u requests, %.3f KVM_RUN each)\n",
	    plain / 1000, n, plain_runs);
	printf("storage_get_cycle: %.2f us (the same GET with one storage call;"
	    " %.3f KVM_RUN of the request VM)\n", store / 1000, store_runs);
	printf("storage_call_cost: %.2f us more per request, of which %.2f us "
	    "inside storage_callv (lock, copies, storage VM run)\n",
	    (store - plain) / 1000,
	    (s1.run_s - s0.run_s) * 1e6 / (double)(s1.calls - s0.calls));
	printf("storage_call_vs_plain_cycle: ratio %.2f\n", (store - plain) / plain);
	tkvm_program_destroy(p);
	direct_calls(dir, n);
	return 0;
}
