/*
 * A small header store for the runner: the request and response header
 * sets that programs read and edit with sys_http_*.
 */
#include <errno.h>
#include <stdio.h>
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

static struct header_set *
pick(void *ctx, int where)
{
	struct header_sets *sets = ctx;

	return where ? &sets->resp : &sets->req;
}

static bool
sets_has(void *ctx, int where)
{
	(void)ctx; (void)where;
	return true;
}

static long
sets_append(void *ctx, int where, const char *field, size_t len)
{
	return headers_add(pick(ctx, where), field, len);
}

static long
sets_set(void *ctx, int where, const char *field, size_t len)
{
	return headers_set(pick(ctx, where), field, len);
}

static long
sets_find(void *ctx, int where, const char *key, size_t klen,
    const char **field)
{
	return headers_find(pick(ctx, where), key, klen, field);
}

static long
sets_field(void *ctx, int where, unsigned i, const char **field)
{
	const struct header_set *hs = pick(ctx, where);

	if (i >= hs->count)
		return -1;
	*field = hs->fields[i];
	return (long)strlen(*field);
}

static void
sets_log(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	fprintf(stderr, "[log] %.*s\n", (int)len, text);
}

static int
sets_fetch(void *ctx, struct tkvm_fetch *f)
{
	const struct header_sets *sets = ctx;

	if (sets->fetch != NULL)
		return sets->fetch(sets->self_prefix, f);
	f->errcode = ENOSYS;
	snprintf(f->error, sizeof f->error, "no HTTP client here");
	return -1;
}

const struct tkvm_http_ops header_sets_ops = {
	sets_has, sets_append, sets_set, sets_find, sets_field, sets_log,
	sets_fetch,
	NULL,	/* output: the terminal, as outside requests */
};
