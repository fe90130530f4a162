/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table of known keys (see program_keys.h and the PROGRAM SETTINGS
 * section of vmod/vmod_tinykvm.vcc) and the "did you mean" suggestion.
 */
#include <stdlib.h>
#include <string.h>

#include "program_keys.h"

/* Alphabetical; used = false: accepted for compatibility, not acted on. */
const struct program_key program_keys[] = {
	{ "address_space",		true,	KT_PARSED },
	{ "allow_debug",		true,	KT_PARSED },
	{ "allowed_paths",		true,	KT_PARSED },
	{ "blackout_area",		false,	KT_PARSED },
	{ "cold_start_file",		false,	KT_STRING },
	{ "concurrency",		true,	KT_PARSED },
	{ "control_ephemeral",		true,	KT_PARSED },
	{ "current_working_directory",	true,	KT_PARSED },
	{ "download",			false,	KT_ARRAY },
	{ "environment",		true,	KT_PARSED },
	{ "ephemeral",			true,	KT_PARSED },
	{ "ephemeral_keep_working_memory", false, KT_PARSED },
	{ "executable_heap",		false,	KT_BOOL },
	{ "executable_remapping",	false,	KT_ARRAY_OR_OBJECT },
	{ "filename",			true,	KT_PARSED },
	{ "group",			true,	KT_PARSED },
	{ "hugepage_arena_size",	false,	KT_PARSED },
	{ "hugepages",			false,	KT_PARSED },
	{ "key",			true,	KT_PARSED },
	{ "limit_workmem_after_req",	true,	KT_PARSED },
	{ "main_arguments",		true,	KT_PARSED },
	{ "max_boot_time",		true,	KT_PARSED },
	{ "max_memory",			true,	KT_PARSED },
	{ "max_queue_time",		true,	KT_PARSED },
	{ "max_request_memory",		true,	KT_PARSED },
	{ "max_request_time",		true,	KT_PARSED },
	{ "max_storage_time",		true,	KT_PARSED },
	{ "max_threads",		true,	KT_PARSED },
	{ "md5",			false,	KT_STRING },
	{ "mmap_backed_files",		false,	KT_PARSED },
	{ "relocate_fixed_mmap",	false,	KT_BOOL },
	{ "remapping",			false,	KT_PARSED },
	{ "remote_debug_listen",	true,	KT_PARSED },
	{ "remote_debug_on_exception",	true,	KT_PARSED },
	{ "remote_debug_timeout",	true,	KT_PARSED },
	{ "req_mem_limit_after_reset",	true,	KT_PARSED },
	{ "request_hugepage_arena_size", false,	KT_PARSED },
	{ "request_hugepages",		false,	KT_NUMBER },
	{ "server",			false,	KT_OBJECT },
	{ "sha256",			false,	KT_STRING },
	{ "shared_memory",		true,	KT_PARSED },
	{ "smp",			false,	KT_PARSED },
	{ "split_hugepages",		false,	KT_PARSED },
	{ "start",			true,	KT_PARSED },
	{ "stdout",			true,	KT_PARSED },
	{ "storage",			true,	KT_PARSED },
	{ "transparent_hugepages",	false,	KT_BOOL },
	{ "uri",			true,	KT_PARSED },
	{ "verbose",			true,	KT_PARSED },
	{ "verbose_pagetables",		false,	KT_BOOL },
	{ "verbose_syscalls",		true,	KT_PARSED },
	{ "warmup",			true,	KT_PARSED },
	{ "websocket_server",		false,	KT_OBJECT },
};
const size_t program_nkeys = sizeof program_keys / sizeof program_keys[0];

const char *const warmup_keys[] = {
	"exact", "headers", "method", "num_requests", "url", NULL
};
const char *const path_keys[] = {
	"prefix", "real", "symlink", "virtual", "writable", NULL
};
const char *const server_keys[] = {
	"address", "path", "port", "systems", NULL
};
const char *const websocket_keys[] = {
	"address", "port", "systems", NULL
};
const char *const download_keys[] = {
	"filepath", "md5", "sha256", "uri", NULL
};

const struct program_key *
program_key_find(const char *name)
{
	for (size_t i = 0; i < program_nkeys; i++)
		if (strcmp(program_keys[i].name, name) == 0)
			return &program_keys[i];
	return NULL;
}

bool
program_member_used(const char *key, const char *member)
{
	if (strcmp(key, "warmup") == 0)
		return strcmp(member, "exact") != 0 &&
		    strcmp(member, "headers") != 0;
	return true;
}

size_t
key_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, d;

	if (la > 256 || lb > 256)
		return (size_t)-1;
	if ((row = calloc(lb + 1, sizeof *row)) == NULL)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];	/* row[i-1][j-1] */
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

/* A likely typo: at most 2 edits, or a third of the name. */
static bool
close_enough(const char *name, size_t d)
{
	return d <= 2 || d * 3 <= strlen(name);
}

const char *
key_closest_of(const char *name, const char *const *names)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;

	for (size_t i = 0; names[i] != NULL; i++) {
		size_t d = key_distance(name, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	return best != NULL && close_enough(name, bd) ? best : NULL;
}

/* Names from older libraries of the published VMOD's predecessor, which
 * the published VMOD no longer reads either: what they became. */
static const char *const renamed[][2] = {
	{ "max_time",		"max_request_time" },
	{ "max_work_memory",	"max_request_memory" },
};

const char *
program_key_closest(const char *name)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;

	for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++)
		if (strcmp(name, renamed[i][0]) == 0)
			return renamed[i][1];

	for (size_t i = 0; i < program_nkeys; i++) {
		size_t d = key_distance(name, program_keys[i].name);
		if (d < bd) {
			bd = d;
			best = program_keys[i].name;
		}
	}
	return best != NULL && close_enough(name, bd) ? best : NULL;
}
