/*
 * A small header store for the runner: the request and response header
 * sets that programs read and edit with sys_http_*.
 */
#include <stdlib.h>
#include <string.h>

#include "headers.h"

static size_t
key_len(const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);

	return colon ? (size_t)(colon - field) : len;
}

static bool
same_key(const struct header_set *hs, unsigned i, const char *key, size_t klen)
{
	return key_len(hs->fields[i], strlen(hs->fields[i])) == klen &&
	    strncasecmp(hs->fields[i], key, klen) == 0;
}

int
headers_add(struct header_set *hs, const char *field, size_t len)
{
	char *copy;

	if (hs->count == HEADER_SET_MAX)
		return -1;
	copy = strndup(field, len);
	if (copy == NULL)
		return -1;
	hs->fields[hs->count++] = copy;
	return 0;
}

void
headers_unset(struct header_set *hs, const char *key, size_t klen)
{
	unsigned i = 0;

	while (i < hs->count) {
		if (same_key(hs, i, key, klen)) {
			free(hs->fields[i]);
			memmove(&hs->fields[i], &hs->fields[i + 1],
			    (hs->count - i - 1) * sizeof hs->fields[0]);
			hs->count--;
		} else {
			i++;
		}
	}
}

int
headers_set(struct header_set *hs, const char *field, size_t len)
{
	headers_unset(hs, field, key_len(field, len));
	if (memchr(field, ':', len) == NULL)
		return 0;
	return headers_add(hs, field, len);
}

long
headers_find(const struct header_set *hs, const char *key, size_t klen,
    const char **value)
{
	for (unsigned i = 0; i < hs->count; i++) {
		if (!same_key(hs, i, key, klen))
			continue;
		const char *v = hs->fields[i] + klen + 1;
		while (*v == ' ')
			v++;
		*value = v;
		return (long)strlen(v);
	}
	return -1;
}

void
headers_clear(struct header_set *hs)
{
	for (unsigned i = 0; i < hs->count; i++)
		free(hs->fields[i]);
	hs->count = 0;
}
