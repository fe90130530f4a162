#ifndef RUNNER_HEADERS_H
#define RUNNER_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "tinykvm/engine.h"

#define HEADER_SET_MAX 256

/* "Key: value" strings, owned by the set.  A field's index, as the guest
 * sees it, is its position + 1. */
struct header_set {
	char *fields[HEADER_SET_MAX];
	unsigned count;
};

/* The new field's index, 0 when the set is full. */
long headers_add(struct header_set *hs, const char *field, size_t len);
/* Replaces the first field of the same key in place (or adds): its index.
 * A bare key removes the first field of that key: the index it had, 0 if
 * none. */
long headers_set(struct header_set *hs, const char *field, size_t len);
/* The whole first field named key: its length and *field, or -1. */
long headers_find(const struct header_set *hs, const char *key, size_t klen,
    const char **field);
void headers_clear(struct header_set *hs);

/* A request's two sets behind the engine's header calls: ctx is a struct
 * header_sets; sys_log goes to stderr.  sys_fetch and sys_request go to
 * fetch (tinykvm-run: the shared HTTP client, runner/fetch.c); without
 * it they fail with ENOSYS. */
struct header_sets {
	struct header_set req, resp;
	int (*fetch)(const char *self_prefix, struct tkvm_fetch *f);
	const char *self_prefix;	/* --self-request, or NULL */
};

/* runner_fetch.c: the fetch of tinykvm-run's header sets. */
int runner_fetch(const char *self_prefix, struct tkvm_fetch *f);
extern const struct tkvm_http_ops header_sets_ops;

#endif
