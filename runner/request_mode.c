/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tinykvm-run --request: a program's request VMs driven from the terminal,
 * one thread per request VM, responses printed and compared per round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>

#include "headers.h"
#include "regex.h"
#include "runner.h"

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
	char err[1024];
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

int
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
	void *body = NULL, *storage_image = NULL;
	char err[1024];

	cfg.vm.timeout_s = 0;
	if (o->timeout > 0)
		cfg.max_request_time = o->timeout;
	cfg.concurrency = (unsigned)n;
	cfg.test_fail_reset_ioctl = (unsigned)o->test_fail_reset;
	cfg.vm.test_flip_shared = o->test_flip_shared;
	cfg.storage |= o->storage;
	if (o->storage_program != NULL) {
		storage_image = tkvm_read_file(o->storage_program,
		    MAX_PROGRAM_SIZE, &cfg.storage_image_len, err, sizeof err);
		if (storage_image == NULL)
			fail("storage program: %s", err);
		cfg.storage_image = storage_image;
	}
	build_requests(o, protos, hdrs, &body);
	prog = tkvm_program_load(&cfg, image, len, err, sizeof err);
	free(storage_image);
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
