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

/* The position of the first field named key, or -1. */
static int
first(const struct header_set *hs, const char *key, size_t klen)
{
	for (unsigned i = 0; i < hs->count; i++)
		if (key_len(hs->fields[i], strlen(hs->fields[i])) == klen &&
		    strncasecmp(hs->fields[i], key, klen) == 0)
			return (int)i;
	return -1;
}

long
headers_add(struct header_set *hs, const char *field, size_t len)
{
	char *copy;

	if (hs->count == HEADER_SET_MAX)
		return 0;
	copy = strndup(field, len);
	if (copy == NULL)
		return 0;
	hs->fields[hs->count++] = copy;
	return hs->count;
}

long
headers_set(struct header_set *hs, const char *field, size_t len)
{
	int i = first(hs, field, key_len(field, len));
	char *copy;

	if (memchr(field, ':', len) == NULL) {
		if (i < 0)
			return 0;
		free(hs->fields[i]);
		memmove(&hs->fields[i], &hs->fields[i + 1],
		    (hs->count - (unsigned)i - 1) * sizeof hs->fields[0]);
		hs->count--;
		return i + 1;
	}
	if (i < 0)
		return headers_add(hs, field, len);
	copy = strndup(field, len);
	if (copy == NULL)
		return 0;
	free(hs->fields[i]);
	hs->fields[i] = copy;
	return i + 1;
}

long
headers_find(const struct header_set *hs, const char *key, size_t klen,
    const char **field)
{
	int i = first(hs, key, klen);

	if (i < 0)
		return -1;
	*field = hs->fields[i];
	return (long)strlen(*field);
}

void
headers_clear(struct header_set *hs)
{
	for (unsigned i = 0; i < hs->count; i++)
		free(hs->fields[i]);
	hs->count = 0;
}
