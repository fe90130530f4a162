/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Streamed response benchmark: one request VM streams a large body in
 * 64 KiB pulls (the size of a Varnish fetch buffer it is given here);
 * prints the time to the response, to the first chunk and to the end.
 *
 * usage: stream_bench GUEST_DIR [MIB]
 *   GUEST_DIR holds stream_get (bench/run.sh builds it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

#define PULL	65536

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned mib = argc > 2 ? (unsigned)atoi(argv[2]) : 256;
	const char *args[] = { "stream_get", NULL };
	struct tkvm_program_config cfg = { .vm.argv = args, .concurrency = 1 };
	struct tkvm_request req = { .method = "GET" };
	struct tkvm_response resp;
	struct tkvm_program *p;
	struct tkvm_reqvm *rv;
	char path[512], url[32], err[256];
	double t0, t_resp, t_first = 0, t_end;
	size_t len, n, total = 0, pulls = 0;
	const void *data;
	void *img;
	int rc;

	snprintf(path, sizeof path, "%s/stream_get", dir);
	img = tkvm_read_file(path, 1 << 30, &len, err, sizeof err);
	p = img ? tkvm_program_load(&cfg, img, len, err, sizeof err) : NULL;
	free(img);
	if (p == NULL) {
		fprintf(stderr, "stream_bench: %s\n", err);
		return 1;
	}
	rv = tkvm_program_reqvm(p, 0);
	snprintf(url, sizeof url, "/%llu", (unsigned long long)mib << 20);
	req.url = url;
	t0 = now_ns();
	if (tkvm_request_run(rv, &req, &resp) != 0 || !resp.streaming) {
		fprintf(stderr, "stream_bench: no stream: %s\n", resp.reason);
		return 1;
	}
	t_resp = now_ns();
	while ((rc = tkvm_stream_pull(rv, PULL, &data, &n, err, sizeof err)) == 1) {
		if (pulls++ == 0)
			t_first = now_ns();
		total += n;
	}
	t_end = now_ns();
	if (rc != 0 || total != (size_t)mib << 20) {
		fprintf(stderr, "stream_bench: %zu bytes: %s\n", total,
		    rc ? err : "short");
		return 1;
	}
	tkvm_request_end(rv, err, sizeof err);
	printf("stream_response: %.1f us to the response, %.1f us to the "
	    "first 64 KiB\n", (t_resp - t0) / 1e3, (t_first - t0) / 1e3);
	printf("stream_total: %u MiB in %zu pulls: %.1f ms, %.0f MiB/s, "
	    "%.2f us per pull\n", mib, pulls, (t_end - t0) / 1e6,
	    mib / ((t_end - t0) / 1e9), (t_end - t_resp) / 1e3 / (double)pulls);
	tkvm_program_destroy(p);
	return 0;
}
