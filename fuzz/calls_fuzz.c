/*
 * Fuzzes the guest-call layer and the emulated system calls.  The input is
 * a script for the guest fuzz/guests/call_runner.c: each 64-byte record is
 * one system call or guest API call, with arguments the fuzzer chooses
 * (numbers, pointers of every kind, lengths).  One program is loaded once,
 * with shared memory and a request VM; each input is one POST request on
 * it, then a GET checks that the reset left nothing behind.
 *
 * It fails (abort) when the host crashes or misbehaves (ASan, UBSan), when
 * a request neither responds nor fails cleanly, or when the next request
 * finds the VM dirty.  The guest's path: CALLS_FUZZ_GUEST, or
 * guests/call_runner next to this executable.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinykvm/engine.h"
#include "headers.h"
#include "regex.h"

static void
quiet_log(void *ctx, const char *text, size_t len)
{
	(void)ctx; (void)text; (void)len;
}

static struct tkvm_http_ops ops;	/* the runner's header sets, quiet */

static struct tkvm_program *program;
static struct tkvm_reqvm *vm;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "calls_fuzz: %s: %s\n", what, why);
	abort();
}

static void
load(void)
{
	static const char *const argv[] = { "call_runner", NULL };
	struct tkvm_program_config cfg = {
		.vm = { .memory_mib = 32, .shared_memory_mib = 2, .argv = argv,
		    .regex = &runner_regex_ops },
		.max_request_time = 0.5, .concurrency = 1,
	};
	char path[PATH_MAX], exe[PATH_MAX], err[256];
	const char *env = getenv("CALLS_FUZZ_GUEST");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t len;
	void *image;

	if (env != NULL)
		snprintf(path, sizeof path, "%s", env);
	else if (n > 0 && (exe[n] = '\0', 1))
		snprintf(path, sizeof path, "%s/guests/call_runner", dirname(exe));
	else
		die("guest", "cannot find this executable");
	image = tkvm_read_file(path, 64 << 20, &len, err, sizeof err);
	if (image == NULL)
		die("guest", err);
	program = tkvm_program_load(&cfg, image, len, err, sizeof err);
	free(image);
	if (program == NULL)
		die("load", err);
	vm = tkvm_program_reqvm(program, 0);
}

/* One request; 0 when it responded, 1 when it failed cleanly. */
static int
request(const char *method, const void *body, size_t len,
    struct tkvm_response *resp)
{
	struct header_sets sets = { { { 0 }, 0 }, { { 0 }, 0 }, NULL, NULL };
	struct tkvm_request req = {
		.method = method, .url = "/", .body = body, .body_len = len,
		.http = &ops, .http_ctx = &sets, .backend = true,
	};
	char why[256];
	int rc = tkvm_request_run(vm, &req, resp);

	if (rc != 0 && resp->reason[0] == '\0')
		die("request", "failed without a reason");
	if (rc == 0 && (resp->status < 200 || resp->status > 599))
		die("request", "responded with a status out of range");
	/* A streamed body: a few pulls, each at most what was asked. */
	for (int i = 0; i < 4 && resp->streaming; i++) {
		const void *chunk;
		size_t n;
		int pr = tkvm_stream_pull(vm, 4096, &chunk, &n, why, sizeof why);
		if (pr < 0 && why[0] == '\0')
			die("stream", "failed without a reason");
		if (pr != 1)
			break;
		if (n == 0 || n > 4096 || chunk == NULL)
			die("stream", "a chunk out of bounds");
	}
	if (tkvm_request_end(vm, why, sizeof why) != 0)
		die("reset", why);
	headers_clear(&sets.req);
	headers_clear(&sets.resp);
	return rc != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tkvm_response resp;

	if (program == NULL) {
		ops = header_sets_ops;
		ops.log = quiet_log;
		load();
	}
	if (size > 64 * 64)
		return 0;	/* 64 calls at most: keeps each input fast */
	request("POST", size ? data : (const void *)"", size, &resp);
	/* The canary is a trivial request: a time-out there means this
	 * busy machine did not run it for 0.5 s, unless it keeps happening. */
	for (int tries = 0; tries < 3; tries++) {
		if (request("GET", NULL, 0, &resp) == 0 && resp.body_len == 5 &&
		    memcmp(resp.body, "clean", 5) == 0)
			return 0;
		if (resp.status != 0 || resp.stop != TKVM_STOP_TIMEOUT)
			break;
	}
	die("canary", resp.status ? "the next request found the VM dirty" :
	    resp.reason);
	return 0;
}
