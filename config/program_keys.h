/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The keys a program library may hold: every key of the published TinyKVM
 * VMOD's program libraries, and ours.  A key is either acted on, or only
 * accepted (type-checked, then reported once per program as not used, so
 * that libraries written for the published VMOD load unchanged).  A key
 * in no table is an error, and the message names the closest known key.
 */
#ifndef TKVM_PROGRAM_KEYS_H
#define TKVM_PROGRAM_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* What an accepted-only key must be; KT_PARSED keys are read by
 * program_config.c into struct program_def. */
enum key_type {
	KT_PARSED,
	KT_BOOL,
	KT_NUMBER,
	KT_STRING,
	KT_OBJECT,
	KT_ARRAY,
	KT_ARRAY_OR_OBJECT,
};

struct program_key {
	const char *name;
	bool used;		/* acted on; false: accepted, warned about */
	enum key_type type;
};

/* The top-level keys of a program or group, in alphabetical order. */
extern const struct program_key program_keys[];
extern const size_t program_nkeys;

/* NULL-terminated names of the members of nested settings. */
extern const char *const warmup_keys[];		/* "warmup" */
extern const char *const path_keys[];		/* "allowed_paths" objects */
extern const char *const server_keys[];		/* "server" */
extern const char *const websocket_keys[];	/* "websocket_server" */
extern const char *const download_keys[];	/* "download" elements */

/* The entry of a top-level key, or NULL when nobody knows it. */
const struct program_key *program_key_find(const char *name);
/* Whether a nested member (e.g. "warmup.headers") is acted on. */
bool program_member_used(const char *key, const char *member);

/* Levenshtein distance between a and b (insert, delete, substitute). */
size_t key_distance(const char *a, const char *b);
/* The name in names (NULL-terminated) closest to name, or NULL when
 * none is close enough to be a likely typo. */
const char *key_closest_of(const char *name, const char *const *names);
/* The same among the top-level keys. */
const char *program_key_closest(const char *name);

#endif
