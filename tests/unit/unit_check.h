/* SPDX-License-Identifier: BSD-2-Clause */
/* The unit tests' checks: each failed one is printed and counted in
 * failures, which main() turns into the exit status. */
#ifndef TKVM_UNIT_CHECK_H
#define TKVM_UNIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

static void
check_str(int line, const char *what, const char *got, const char *want)
{
	if (got == NULL || strcmp(got, want) != 0) {
		fprintf(stderr, "%s:%d: %s\n  got  [%s]\n  want [%s]\n", __FILE__,
		    line, what, got ? got : "(null)", want);
		failures++;
	}
}

#define CHECK_STR(got, want) check_str(__LINE__, #got, (got), (want))

#endif
