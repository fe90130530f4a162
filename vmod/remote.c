/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * http(s) downloads with a cache (remote.h).  Every download has a
 * deadline for the whole exchange and a size cap, so a server that
 * trickles or sends too much cannot hold a VCL load or fill memory
 * (tests/vmod/remote_limits.vtc).  Beside each cached FILE, FILE.meta
 * holds the URL it came from and its ETag.  The cache is only written after the
 * caller has used the download (remote_commit), so a bad download never
 * replaces a good copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinykvm/engine.h"
#include "http_client.h"
#include "remote.h"

#define DEFAULT_CACHE_DIR "/var/lib/varnish-tinykvm"
#define WORKDIR_CACHE_DIR "tinykvm_cache"

void
remote_settings_init(struct remote_settings *s)
{
	memset(s, 0, sizeof *s);
	s->timeout = 30.0;
	s->max_size = 256UL << 20;
	s->max_entries = 1000;
	s->max_unpacked = 512UL << 20;
}

void
remote_settings_free(struct remote_settings *s)
{
	free(s->cache_dir);
	free(s->ca_file);
	memset(s, 0, sizeof *s);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
}

void
remote_curl_init(void)
{
	(void)pthread_once(&curl_once, curl_start);
}

bool
remote_is_url(const char *uri)
{
	return strncasecmp(uri, "http://", 7) == 0 ||
	    strncasecmp(uri, "https://", 8) == 0;
}

int
remote_cache_path(const struct remote_settings *s, const char *url,
    const char *prefix, char *path, size_t plen, char *err, size_t errlen)
{
	const char *dir = s->cache_dir;
	char cwd[512];
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	struct stat sb;

	if (dir == NULL && stat(DEFAULT_CACHE_DIR, &sb) == 0 && S_ISDIR(sb.st_mode))
		dir = DEFAULT_CACHE_DIR;
	if (dir == NULL) {
		if (getcwd(cwd, sizeof cwd - sizeof WORKDIR_CACHE_DIR - 1) == NULL)
			snprintf(cwd, sizeof cwd, ".");
		strcat(cwd, "/" WORKDIR_CACHE_DIR);
		dir = cwd;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the cache directory '%s': %s",
		    dir, strerror(errno));
		return -1;
	}
	if (access(dir, W_OK) != 0) {
		snprintf(err, errlen, "cannot write to the cache directory '%s': "
		    "%s", dir, strerror(errno));
		return -1;
	}
	for (const char *p = url; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	if ((size_t)snprintf(path, plen, "%s/%s-%016llx", dir, prefix,
	    (unsigned long long)h) >= plen) {
		snprintf(err, errlen, "the cache path in '%s' is too long", dir);
		return -1;
	}
	return 0;
}

struct dl {
	struct remote_file *f;
	char *buf;
	size_t len, cap, max;
	bool too_big;
};

static size_t
on_data(char *p, size_t size, size_t n, void *priv)
{
	struct dl *d = priv;
	size_t add = size * n, cap;
	char *nb;

	if (add > d->max - d->len) {
		d->too_big = true;
		return 0;
	}
	if (d->len + add > d->cap) {
		for (cap = d->cap ? d->cap : 65536; cap < d->len + add; cap *= 2)
			;
		if ((nb = realloc(d->buf, cap)) == NULL)
			return 0;
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, p, add);
	d->len += add;
	return add;
}

/* Keeps the ETag of the last response (after redirects). */
static size_t
on_header(char *p, size_t size, size_t n, void *priv)
{
	struct dl *d = priv;
	size_t len = size * n, v;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		d->f->etag[0] = '\0';
	if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
		for (v = 5; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		while (len > v && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' '))
			len--;
		if (len - v < sizeof d->f->etag)
			snprintf(d->f->etag, sizeof d->f->etag, "%.*s",
			    (int)(len - v), p + v);
	}
	return size * n;
}

/*
 * What FILE.meta says of the cached copy: 1 when it was downloaded from
 * url (its ETag, maybe "", in etag); 0 without FILE.meta (a copy put
 * there by other means: revalidated by If-Modified-Since alone, as the
 * published VMOD does); -1 when it came from another URL, so it is not
 * a copy of this one at all.
 */
static int
cache_origin(const char *cache, const char *url, char *etag, size_t elen)
{
	char path[1100], buf[9000], *nl;
	size_t n;
	FILE *fp;

	etag[0] = '\0';
	snprintf(path, sizeof path, "%s.meta", cache);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL)
		return -1;
	*nl++ = '\0';
	if (strcmp(buf, url) != 0)
		return -1;
	snprintf(etag, elen, "%.*s", (int)strcspn(nl, "\r\n"), nl);
	return 1;
}

/* "If-Modified-Since: " and t as an HTTP date (RFC 9110), whatever the
 * locale. */
static void
http_date(time_t t, char *out, size_t olen)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, olen, "If-Modified-Since: %s, %02d %s %04d %02d:%02d:%02d "
	    "GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
set_options(CURL *c, const struct remote_settings *s, const char *url,
    struct dl *d, char *cerr)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(s->timeout * 1e3) + 1);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max_size);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vmod-tinykvm");
	curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
	http_curl_ca(c, s->ca_file);
}

/* What went wrong with a download, in words. */
static void
failure(CURLcode rc, long status, const struct dl *d,
    const struct remote_settings *s, const char *cerr, char *why, size_t wlen)
{
	if (d->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(why, wlen, "it is over the size limit of %zu bytes",
		    s->max_size);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(why, wlen, "it did not complete within the deadline "
		    "of %.1f s", s->timeout);
	else if (rc != CURLE_OK)
		snprintf(why, wlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	else
		snprintf(why, wlen, "the server answered %ld", status);
}

/* One GET; the status, or -1 with why.  Conditional when cached. */
static long
download(const struct remote_settings *s, const char *url,
    struct remote_file *f, const char *etag, char *why, size_t wlen)
{
	struct dl d = { .f = f, .max = s->max_size };
	struct curl_slist *hdrs = NULL;
	char cerr[CURL_ERROR_SIZE] = "", line[300];
	curl_off_t filetime = -1;
	long status = 0;
	struct stat sb;
	CURLcode rc;
	CURL *c;

	remote_curl_init();
	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	set_options(c, s, url, &d, cerr);
	/* The validators are sent as header fields, not with libcurl's
	 * time condition, which turns a 200 for a changed ETag but an old
	 * Last-Modified into a 304 of its own. */
	if (etag != NULL && stat(f->cache, &sb) == 0) {
		http_date(sb.st_mtime, line, sizeof line);
		hdrs = curl_slist_append(hdrs, line);
		if (etag[0] != '\0') {
			snprintf(line, sizeof line, "If-None-Match: %s", etag);
			hdrs = curl_slist_append(hdrs, line);
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_FILETIME_T, &filetime);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || (status != 200 && status != 304)) {
		failure(rc, status, &d, s, cerr, why, wlen);
		free(d.buf);
		return -1;
	}
	if (status == 200) {
		f->data = d.buf ? d.buf : malloc(1);
		f->len = d.len;
		f->mtime = filetime > 0 ? (time_t)filetime : 0;
	} else {
		free(d.buf);
	}
	return status;
}

static int
read_cache(const struct remote_settings *s, struct remote_file *f, char *why,
    size_t wlen)
{
	f->data = tkvm_read_file(f->cache, s->max_unpacked > s->max_size ?
	    s->max_unpacked : s->max_size, &f->len, why, wlen);
	return f->data != NULL ? 0 : -1;
}

int
remote_get(const struct remote_settings *s, const char *url,
    struct remote_file *f, char *err, size_t errlen)
{
	char why[CURL_ERROR_SIZE + 128], cwhy[256], date[64], etag[256];
	bool cached = f->cache[0] != '\0' && access(f->cache, R_OK) == 0 &&
	    cache_origin(f->cache, url, etag, sizeof etag) >= 0;
	struct stat sb;
	struct tm tm;
	long status;

	f->url = url;
	status = download(s, url, f, cached ? etag : NULL, why, sizeof why);
	if (status == 200) {
		f->fresh = true;
		return 0;
	}
	if (status == 304) {
		if (read_cache(s, f, cwhy, sizeof cwhy) == 0)
			return 0;
		/* The copy went bad: ask for the whole file again. */
		status = download(s, url, f, NULL, why, sizeof why);
		if (status == 200) {
			f->fresh = true;
			return 0;
		}
		cached = false;
	}
	if (!cached) {
		snprintf(err, errlen, "download of '%s' failed: %s; no cached "
		    "copy%s%s%s", url, why, f->cache[0] ? " at '" : "",
		    f->cache, f->cache[0] ? "'" : "");
		return -1;
	}
	if (read_cache(s, f, cwhy, sizeof cwhy) != 0) {
		snprintf(err, errlen, "download of '%s' failed: %s; the cached "
		    "copy cannot be read: %s", url, why, cwhy);
		return -1;
	}
	date[0] = '\0';
	if (stat(f->cache, &sb) == 0)
		strftime(date, sizeof date, " of %Y-%m-%d %H:%M:%S UTC",
		    gmtime_r(&sb.st_mtime, &tm));
	snprintf(f->warning, sizeof f->warning, "download of '%s' failed (%s); "
	    "using the cached copy '%s'%s", url, why, f->cache, date);
	return 0;
}

static int
write_atomically(const char *path, const void *data, size_t len, mode_t mode,
    time_t mtime, char *err, size_t errlen)
{
	char tmp[1100];
	const char *p = data;
	struct timespec ts[2];
	size_t done = 0;
	ssize_t n;
	bool ok;
	int fd, e;

	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "cannot write the cache '%s': %s", tmp,
		    strerror(errno));
		return -1;
	}
	while (done < len && (n = write(fd, p + done, len - done)) > 0)
		done += (size_t)n;
	if (done == len && mtime > 0) {
		ts[0].tv_sec = ts[1].tv_sec = mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(fd, ts);
	}
	ok = done == len && fchmod(fd, mode) == 0;
	e = ok ? 0 : (errno ? errno : EIO);
	if (close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		snprintf(err, errlen, "cannot write the cache '%s': %s", path,
		    strerror(e));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
remote_commit(const struct remote_file *f, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen)
{
	char path[1100], *meta;
	int rc;

	if (!f->fresh || f->cache[0] == '\0')
		return 0;
	snprintf(path, sizeof path, "%s.meta", f->cache);
	/* Validators that no longer match must not outlive the old copy. */
	(void)unlink(path);
	if (write_atomically(f->cache, data, len, mode, f->mtime, err, errlen))
		return -1;
	if (asprintf(&meta, "%s\n%s\n", f->url, f->etag) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = write_atomically(path, meta, strlen(meta), 0644, 0, err, errlen);
	free(meta);
	return rc;
}

int
remote_commit_beside(const struct remote_file *f, const char *suffix,
    const void *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	char path[1100];

	if (!f->fresh || f->cache[0] == '\0')
		return 0;
	snprintf(path, sizeof path, "%s%s", f->cache, suffix);
	if (data == NULL) {
		if (unlink(path) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove %s: %s", path,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	return write_atomically(path, data, len, mode, f->mtime, err, errlen);
}

void
remote_file_free(struct remote_file *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}
