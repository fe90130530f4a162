/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine's own invariants, checked at its entry points.  A failed
 * check is a bug in the engine or in its embedder's use of the API (a
 * wrong handle, a call in the wrong state), never something a guest can
 * cause: it prints where and what, and aborts.  The names follow
 * Varnish's AN/AZ/CHECK_OBJ_NOTNULL, with a prefix so they never clash.
 */
#ifndef TKVM_CHECK_H
#define TKVM_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define TKVM_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "tinykvm engine: assertion failed in "	\
		    "%s() at %s:%d: %s\n", __func__, __FILE__, __LINE__, #cond); \
		abort();						\
	}								\
} while (0)

#define TKVM_AN(x)	TKVM_ASSERT((x) != 0)
#define TKVM_AZ(x)	TKVM_ASSERT((x) == 0)
/* ptr is non-NULL and its magic field holds magic. */
#define TKVM_CHECK_OBJ(ptr, magic_value)				\
	TKVM_ASSERT((ptr) != NULL && (ptr)->magic == (magic_value))

#endif
