/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the benchmark programs. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <string.h>
#include <time.h>

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

#endif
