/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What tinykvm-run's files share: the parsed command line, exit statuses,
 * the fatal error, and the request mode (request_mode.c).
 */
#ifndef TKVM_RUNNER_H
/* A plain run's address space without --address-space (at least the
 * memory): large reservations (Go) fit, only touched pages count. */
#define PLAIN_ADDRESS_SPACE_MIB 4096
#define TKVM_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdb.h"
#include "tinykvm/engine.h"

#define EXIT_SANDBOX 125
#define EXIT_TIMEOUT 124
#define MAX_LIST 256
#define MAX_PROGRAM_SIZE (1ULL << 30)

struct options {
	double timeout;
	uint64_t memory;
	uint64_t address_space;	/* --address-space MIB; 0 = the default */
	unsigned max_threads;
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
	const char *storage_program;	/* --storage-program FILE */
	const char *self_request;	/* --self-request URL-PREFIX */
	struct gdb_options gdb;		/* --gdb, --gdb-on-crash, --gdb-wait */
};

/* Prints "tinykvm-run: MESSAGE" and exits with EXIT_SANDBOX. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * --request: runs the program image[0..len) with base's settings up to
 * wait_for_requests(), sends o's requests --repeat times over
 * --concurrency request VMs, prints the first round's responses and a
 * summary; returns the exit status.
 */
int request_mode(const struct options *o, const struct tkvm_program_config *base,
    const void *image, size_t len);

#endif
