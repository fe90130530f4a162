/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Libraries and programs read from a path, file:// or http(s):// URI
 * (source.c), with the download cache of remote.h.
 */
#ifndef TKVM_VMOD_SOURCE_H
#define TKVM_VMOD_SOURCE_H

#include "remote.h"

struct vmod_state;
struct program_def;

/* One VCL_Log line and one stderr line: "tinykvm: warning: WHAT: TEXT". */
void source_warn(VRT_CTX, const char *what, const char *text);

/*
 * Reads uri into f: a local file (at most max bytes), or a download
 * cached at cache (NULL: a file named PREFIX-HASH in the cache
 * directory).  A cached copy used instead of a failed download is
 * logged as a warning about what.  0, or -1 with err.
 */
int source_read(VRT_CTX, struct vmod_state *st, const char *uri,
    const char *cache, const char *prefix, const char *what, size_t max,
    struct remote_file *f, char *err, size_t errlen);
/* Saves a fresh download (or what was made of it) to its cache; a
 * failure is a warning. */
void source_saved(VRT_CTX, struct remote_file *f, const void *data,
    size_t len, mode_t mode, const char *what);

struct program_source {
	struct remote_file file;	/* what was read or downloaded */
	void *image;			/* the program in it (malloc'd) */
	size_t len;
	/* The separate storage program (malloc'd), or NULL: an archive's
	 * storage entry, else FILE_storage beside a local or cached FILE. */
	void *storage;
	size_t storage_len;
	bool storage_taken;		/* the caller keeps storage: not freed */
	bool storage_wanted;		/* "storage": true: the cache keeps it */
};
/* The program of def: its uri or filename, unpacked.  0, or -1 with err. */
int source_program(VRT_CTX, struct vmod_state *st,
    const struct program_def *def, struct program_source *ps, char *err,
    size_t errlen);
/* After the load: a program that loaded is saved to the cache. */
void source_program_done(VRT_CTX, struct program_source *ps,
    const char *name, bool loaded);

#endif
