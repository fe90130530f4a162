/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Downloads of libraries and programs over http(s) with libcurl, kept in
 * a cache file and revalidated (If-Modified-Since from the file's mtime,
 * If-None-Match from the ETag saved next to it in FILE.meta, with the
 * URL: a copy of another URL is not used).  When the
 * server cannot be reached or answers neither 200 nor 304, the cached
 * copy is used and a warning says why.  docs/COMPATIBILITY.md, "Remote
 * libraries and programs"; tests/vmod/remote_https.vtc.
 */
#ifndef TKVM_VMOD_REMOTE_H
#define TKVM_VMOD_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <curl/curl.h>

/* remote_settings() in VCL; defaults in remote_settings_init(). */
struct remote_settings {
	char *cache_dir;	/* NULL: the default (remote_cache_path) */
	double timeout;		/* seconds for one whole download */
	size_t max_size;	/* bytes of one download */
	size_t max_entries;	/* of an archive */
	size_t max_unpacked;	/* bytes an archive unpacks to */
	char *ca_file;		/* trusted besides the system CAs, or NULL */
};
void remote_settings_init(struct remote_settings *s);
void remote_settings_free(struct remote_settings *s);

/* Once per process, before any libcurl use. */
void remote_curl_init(void);

bool remote_is_url(const char *uri);	/* http:// or https:// */

struct remote_file {
	void *data;		/* malloc'd */
	size_t len;
	bool fresh;		/* downloaded now: remote_commit() after use */
	const char *url;	/* what was downloaded (the caller's string) */
	char cache[1024];	/* the cache file, "" when none */
	char etag[256];		/* of the download */
	time_t mtime;		/* its Last-Modified, or 0 */
	char warning[1600];	/* "" or why the cached copy was used */
};

/*
 * The cache file for url in the cache directory (made if missing):
 * DIR/PREFIX-HASH.  -1 with why in err when there is no usable directory.
 * The default directory is /var/lib/varnish-tinykvm when it exists,
 * else tinykvm_cache in varnishd's working directory.
 */
int remote_cache_path(const struct remote_settings *s, const char *url,
    const char *prefix, char *path, size_t plen, char *err, size_t errlen);

/* Gets url into f, revalidating f->cache (set by the caller, "" for
 * none).  0, or -1 with a precise reason in err. */
int remote_get(const struct remote_settings *s, const char *url,
    struct remote_file *f, char *err, size_t errlen);

/* Saves data (the download, or what was made of it) as f->cache with
 * f's validators, atomically.  0, or -1 with err. */
int remote_commit(const struct remote_file *f, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);

/* After remote_commit(): a companion file, the cache file's name with
 * suffix, holding data, or removed when data is NULL (a fresh download
 * only; 0 otherwise). */
int remote_commit_beside(const struct remote_file *f, const char *suffix,
    const void *data, size_t len, mode_t mode, char *err, size_t errlen);
void remote_file_free(struct remote_file *f);

#endif
