/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where libraries and programs come from: a plain path, a file:// URI,
 * or an http(s):// URI downloaded through the cache (remote.c).  A
 * program's bytes are an ELF file or a tar archive holding one
 * (unpack.c), whichever way they came.  A download is saved to the
 * cache only after it has been used: a library that parsed, a program
 * that loaded.  docs/COMPATIBILITY.md, "Remote libraries and programs".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinykvm_vmod.h"
#include "unpack.h"
#include "source.h"

void
source_warn(VRT_CTX, const char *what, const char *text)
{
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "warning: %s: %s", what, text);
	fprintf(stderr, VMOD_LOG_PREFIX "warning: %s: %s\n", what, text);
}

static const char *
local_path(const char *uri, char *err, size_t errlen)
{
	if (strncmp(uri, "file://", 7) == 0)
		return uri + 7;
	if (strstr(uri, "://") == NULL)
		return uri;
	snprintf(err, errlen, "uri '%s': only http://, https://, file:// "
	    "URIs and plain paths are supported", uri);
	return NULL;
}

/* f->cache: the given file, else one in the cache directory; a cache
 * that cannot be had is a warning, not a failure. */
static void
choose_cache(VRT_CTX, const struct remote_settings *s, const char *url,
    const char *given, const char *prefix, const char *what,
    struct remote_file *f)
{
	char why[600];

	if (given != NULL) {
		snprintf(f->cache, sizeof f->cache, "%s", given);
		return;
	}
	if (remote_cache_path(s, url, prefix, f->cache, sizeof f->cache, why,
	    sizeof why) != 0) {
		f->cache[0] = '\0';
		source_warn(ctx, what, why);
	}
}

int
source_read(VRT_CTX, struct vmod_state *st, const char *uri,
    const char *cache, const char *prefix, const char *what, size_t max,
    struct remote_file *f, char *err, size_t errlen)
{
	const char *path;

	memset(f, 0, sizeof *f);
	if (remote_is_url(uri)) {
		choose_cache(ctx, &st->remote, uri, cache, prefix, what, f);
		if (remote_get(&st->remote, uri, f, err, errlen) != 0) {
			if (st->vsc != NULL)
				COUNT_ADD(st->vsc->download_failures, 1);
			return -1;
		}
		if (f->warning[0] != '\0') {
			if (st->vsc != NULL)
				COUNT_ADD(st->vsc->download_failures, 1);
			source_warn(ctx, what, f->warning);
		}
		return 0;
	}
	if ((path = local_path(uri, err, errlen)) == NULL)
		return -1;
	f->data = tkvm_read_file(path, max, &f->len, err, errlen);
	return f->data != NULL ? 0 : -1;
}

void
source_saved(VRT_CTX, struct remote_file *f, const void *data, size_t len,
    mode_t mode, const char *what)
{
	char why[1200];

	if (remote_commit(f, data, len, mode, why, sizeof why) != 0)
		source_warn(ctx, what, why);
}

/* FILE_storage beside a program read from FILE (a local file, or the
 * cache): the published VMOD's separate storage program.  0 when there
 * is none or it was read; -1 with err when it is there but unreadable. */
static int
storage_beside(struct program_source *ps, const char *path, char *err,
    size_t errlen)
{
	char sp[1200], why[400];

	if (path == NULL || *path == '\0')
		return 0;
	snprintf(sp, sizeof sp, "%s_storage", path);
	if (access(sp, F_OK) != 0)
		return 0;
	ps->storage = tkvm_read_file(sp, 1ULL << 30, &ps->storage_len, why,
	    sizeof why);
	if (ps->storage == NULL) {
		snprintf(err, errlen, "storage program: %s", why);
		return -1;
	}
	return 0;
}

int
source_program(VRT_CTX, struct vmod_state *st, const struct program_def *def,
    struct program_source *ps, char *err, size_t errlen)
{
	const struct unpack_limits lim = { st->remote.max_entries,
	    st->remote.max_unpacked };
	const char *uri = def->uri;
	struct unpacked u;
	char prefix[80], what[160];
	size_t i;

	memset(ps, 0, sizeof *ps);
	/* As published, a uri wins: a remote one with filename as its
	 * cache, a local one (file:// or a path) read where it is, whether
	 * or not filename exists. */
	if (def->uri == NULL)
		uri = def->filename;
	if (uri == NULL) {
		snprintf(err, errlen, "no 'filename' or 'uri' to load it from");
		return -1;
	}
	snprintf(what, sizeof what, "program '%s'", def->name);
	snprintf(prefix, sizeof prefix, "program-%.60s", def->name);
	for (i = 0; prefix[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", prefix[i]) == NULL)
			prefix[i] = '_';
	if (source_read(ctx, st, uri, def->filename, prefix, what,
	    st->remote.max_unpacked, &ps->file, err, errlen) != 0)
		return -1;
	if (unpack_program(ps->file.data, ps->file.len, &lim, &u, err,
	    errlen) != 0) {
		remote_file_free(&ps->file);
		return -1;
	}
	ps->image = u.image;
	ps->len = u.len;
	ps->storage = u.storage;
	ps->storage_len = u.storage_len;
	ps->storage_wanted = def->storage;
	if (ps->storage != NULL && !def->storage) {
		char msg[700];
		snprintf(msg, sizeof msg, "archive entry '%s' (a separate "
		    "storage program) is not used: the program has no "
		    "\"storage\": true", u.storage_entry);
		source_warn(ctx, what, msg);
		free(ps->storage);
		ps->storage = NULL;
	} else if (ps->storage == NULL && def->storage && !ps->file.fresh &&
	    storage_beside(ps, remote_is_url(uri) ? ps->file.cache :
	    local_path(uri, err, errlen), err, errlen) != 0) {
		source_program_done(ctx, ps, def->name, false);
		return -1;
	}
	return 0;
}

void
source_program_done(VRT_CTX, struct program_source *ps, const char *name,
    bool loaded)
{
	char what[160];

	snprintf(what, sizeof what, "program '%s'", name);
	if (loaded) {
		char why[1200];
		source_saved(ctx, &ps->file, ps->image, ps->len, 0755, what);
		/* The next start from the cache finds the same storage
		 * program, or none. */
		if (ps->storage_wanted && remote_commit_beside(&ps->file,
		    "_storage", ps->storage, ps->storage_len, 0755, why,
		    sizeof why) != 0)
			source_warn(ctx, what, why);
	}
	remote_file_free(&ps->file);
	free(ps->image);
	if (!ps->storage_taken)
		free(ps->storage);
	ps->image = ps->storage = NULL;
}
