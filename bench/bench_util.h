/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the benchmark programs. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinykvm/engine.h"

/* "PROGRAM: WHAT: WHY" on stderr, and exit status 1. */
static inline void __attribute__((noreturn))
die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
	exit(1);
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n), which it sorts. */
static inline double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The static guest DIR/NAME (built by bench/run.sh), or die. */
static inline void *
load_guest(const char *dir, const char *name, size_t *len)
{
	char path[512], err[256];
	void *img;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	img = tkvm_read_file(path, 1 << 30, len, err, sizeof err);
	if (img == NULL)
		die(name, err);
	return img;
}

/* Keeps the first bytes a guest prints, for figures it reports itself. */
struct capture {
	char text[128];
	size_t len;
};

static inline void
capture_output(void *opaque, int fd, const char *data, size_t len)
{
	struct capture *c = opaque;

	(void)fd;
	if (len > sizeof c->text - 1 - c->len)
		len = sizeof c->text - 1 - c->len;
	memcpy(c->text + c->len, data, len);
	c->len += len;
	c->text[c->len] = '\0';
}

static inline double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per bare exit, timed by the guest itself. */
static inline double
bare_exit_ns(const char *dir)
{
	const char *argv[] = { "exit_loop", "20000", NULL };
	struct capture out = { "", 0 };
	struct tkvm_config cfg = { .argv = argv, .output = capture_output,
	    .opaque = &out };
	struct tkvm_result res;
	char err[256];
	size_t len;
	void *img = load_guest(dir, "exit_loop", &len);
	struct tkvm_vm *vm = tkvm_vm_create(&cfg, img, len, err, sizeof err);

	free(img);
	if (vm == NULL) {
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, err);
		exit(1);
	}
	tkvm_vm_run(vm, &res);
	tkvm_vm_destroy(vm);
	return atof(out.text);
}

#endif
