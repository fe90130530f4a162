/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Request benchmark: per-request figures of a hello GET over many requests
 * on one request VM, against a bare VM exit round trip measured in the
 * same run (a guest `out` the host answers without doing anything).
 *
 * usage: request_bench GUEST_DIR [REQUESTS] [ADDRESS_SPACE_MIB]
 *   GUEST_DIR holds hello_get, dirty_pages and exit_loop (bench/run.sh
 *   builds them).  Prints ratios and counts; absolute times are noisy.
 *   ADDRESS_SPACE_MIB (default 0: the 64 MiB of memory) sizes the guest
 *   address space as a program library's address_space does (1024, less
 *   shared memory, is what every program of a library gets at least).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

struct figures {
	double ns_per_request;
	double kvm_runs, ioctls, pages, segment_restores;
};

static void
run_requests(const char *dir, const char *name, unsigned n, uint64_t space,
    struct figures *f)
{
	const char *argv[] = { name, NULL };
	struct tkvm_program_config cfg = { .vm.argv = argv, .concurrency = 1,
	    .vm.address_space_mib = space };
	struct tkvm_request req = { .method = "GET", .url = "/" };
	struct tkvm_reqvm_stats before, after;
	struct tkvm_response resp;
	struct tkvm_program *p;
	struct tkvm_reqvm *rv;
	char err[256];
	size_t len;
	void *img = load_guest(dir, name, &len);
	double t0;

	p = tkvm_program_load(&cfg, img, len, err, sizeof err);
	free(img);
	if (p == NULL) {
		fprintf(stderr, "request_bench: %s: %s\n", name, err);
		exit(1);
	}
	rv = tkvm_program_reqvm(p, 0);
	/* One request first, so page faults of the first touch are not counted. */
	tkvm_request_run(rv, &req, &resp);
	tkvm_request_end(rv, err, sizeof err);
	tkvm_reqvm_stats(rv, &before);
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (tkvm_request_run(rv, &req, &resp) != 0 || resp.status != 200) {
			fprintf(stderr, "request_bench: request failed: %s\n", resp.reason);
			exit(1);
		}
		tkvm_request_end(rv, err, sizeof err);
	}
	f->ns_per_request = (now_ns() - t0) / n;
	tkvm_reqvm_stats(rv, &after);
	f->kvm_runs = (double)(after.kvm_run_calls - before.kvm_run_calls) / n;
	f->ioctls = (double)(after.kvm_ioctls - before.kvm_ioctls) / n;
	f->pages = (double)(after.pages_dirtied_total - before.pages_dirtied_total) / n;
	f->segment_restores = (double)(after.segment_restores -
	    before.segment_restores) / n;
	tkvm_program_destroy(p);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	uint64_t space = argc > 3 ? (uint64_t)atoi(argv[3]) : 0;
	struct figures hello, dirty;
	double bare;

	bare = bare_exit_ns(dir);
	run_requests(dir, "hello_get", n, space, &hello);
	run_requests(dir, "dirty_pages", n, space, &dirty);
	printf("bare_exit_round_trip: %.2f us (guest out -> host -> guest, no work)\n",
	    bare / 1000);
	printf("hello_get_requests: %u on one VM, %.2f us per full cycle "
	    "(enter, handler, response, reset)\n", n, hello.ns_per_request / 1000);
	printf("hello_get_kvm_run_per_request: %.3f (target 1)\n", hello.kvm_runs);
	printf("hello_get_ioctls_per_request: %.3f (target <= 3)\n", hello.ioctls);
	printf("hello_get_pages_restored_per_request: %.2f (pages the reset copies back)\n", hello.pages);
	printf("hello_get_segment_restores_per_request: %.3f (target 0)\n",
	    hello.segment_restores);
	printf("hello_get_cycle_vs_bare_exit: ratio %.2f (target <= 1.5)\n",
	    hello.ns_per_request / bare);
	printf("dirty256_requests: %.2f us per cycle, %.1f pages restored, "
	    "%.3f KVM_RUN, %.3f ioctls per request, ratio to bare exit %.2f\n",
	    dirty.ns_per_request / 1000, dirty.pages, dirty.kvm_runs, dirty.ioctls,
	    dirty.ns_per_request / bare);
	return 0;
}
