#ifndef RUNNER_HEADERS_H
#define RUNNER_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#define HEADER_SET_MAX 256

/* "Key: value" strings, owned by the set. */
struct header_set {
	char *fields[HEADER_SET_MAX];
	unsigned count;
};

int headers_add(struct header_set *hs, const char *field, size_t len);
/* Replaces every header of the same key; a bare key only removes. */
int headers_set(struct header_set *hs, const char *field, size_t len);
void headers_unset(struct header_set *hs, const char *key, size_t klen);
/* Length of the value (after "Key: "), or -1. */
long headers_find(const struct header_set *hs, const char *key, size_t klen,
    const char **value);
void headers_clear(struct header_set *hs);

#endif
