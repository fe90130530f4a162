/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finding the program in a downloaded file (unpack.h).  As in the
 * published VMOD: an ELF file is the program; otherwise the file is a tar
 * archive whose one regular, non-empty entry is the program, and an entry
 * whose name ends in "storage" is the separate storage program (what the
 * storage VM runs; docs/DESIGN.md, "Direct storage calls").  Every entry
 * is checked before anything else is
 * done with it: an archive comes from a server we only partly trust.
 * Tests: tests/vmod/remote_hostile.vtc, fuzz/archive_fuzz.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "unpack.h"

/* Begins as the engine's message for a file that is not ELF, which is
 * what a program that is neither used to get. */
#define NOT_EITHER "invalid ELF: not an ELF file (bad magic), and not a " \
	"tar archive (.tar, .tar.gz, .tar.xz, .tar.zst) either: "

static const char *
aerr(struct archive *a)
{
	const char *e = archive_error_string(a);

	return e != NULL ? e : "no reason given";
}

/* Entry names in messages: printable ASCII, bounded. */
static void
printable_name(char *dst, size_t dlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static bool
has_dotdot(const char *p)
{
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		p += strspn(p, "/");
	}
	return false;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* NULL when the entry is acceptable, else what is wrong with it. */
static const char *
entry_problem(struct archive_entry *e, const char **target)
{
	const char *name = archive_entry_pathname(e);

	*target = NULL;
	if (name == NULL || *name == '\0')
		return "an entry without a name is not allowed";
	if (name[0] == '/')
		return "an absolute path is not allowed";
	if (has_dotdot(name))
		return "a '..' component is not allowed";
	if ((*target = archive_entry_hardlink(e)) != NULL)
		return "a hard link is not allowed";
	if ((*target = archive_entry_symlink(e)) != NULL)
		return "a symbolic link is not allowed";
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		break;
	case AE_IFLNK:
		return "a symbolic link is not allowed";
	case AE_IFCHR:
		return "a character device is not allowed";
	case AE_IFBLK:
		return "a block device is not allowed";
	case AE_IFIFO:
		return "a FIFO is not allowed";
	case AE_IFSOCK:
		return "a socket is not allowed";
	default:
		return "an entry of unknown type is not allowed";
	}
	if (archive_entry_size(e) < 0)
		return "a negative size is not allowed";
	return NULL;
}

/* Reads the current entry's size bytes of data, and checks there are no
 * more. */
static void *
read_entry(struct archive *a, size_t size, char *err, size_t errlen)
{
	char *buf = malloc(size ? size : 1), extra;
	size_t got = 0;
	la_ssize_t n;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory for %zu bytes", size);
		return NULL;
	}
	while (got < size && (n = archive_read_data(a, buf + got, size - got)) > 0)
		got += (size_t)n;
	if (got == size && archive_read_data(a, &extra, 1) == 0)
		return buf;
	snprintf(err, errlen, "its data does not match its size (%zu bytes): %s",
	    size, aerr(a));
	free(buf);
	return NULL;
}

struct walk {
	const struct unpack_limits *lim;
	struct unpacked *out;
	size_t entries;
	uint64_t total;
	char name[200];			/* the current entry, printable */
};

/* One entry: 0 to go on, -1 with err. */
static int
take_entry(struct walk *w, struct archive *a, struct archive_entry *e,
    char *err, size_t errlen)
{
	const char *why, *target;
	char tname[200], ierr[160];
	uint64_t size;

	printable_name(w->name, sizeof w->name, archive_entry_pathname(e) ?
	    archive_entry_pathname(e) : "");
	if (++w->entries > w->lim->max_entries) {
		snprintf(err, errlen, "the archive has more than %zu entries",
		    w->lim->max_entries);
		return -1;
	}
	if ((why = entry_problem(e, &target)) != NULL) {
		printable_name(tname, sizeof tname, target ? target : "");
		snprintf(err, errlen, "archive entry '%s': %s%s%s%s", w->name,
		    why, target ? " (to '" : "", target ? tname : "",
		    target ? "')" : "");
		return -1;
	}
	size = (uint64_t)archive_entry_size(e);
	if (size > w->lim->max_total - w->total) {
		snprintf(err, errlen, "the archive unpacks to more than %zu "
		    "bytes (at entry '%s', %llu bytes): refused as a "
		    "decompression bomb", w->lim->max_total, w->name,
		    (unsigned long long)size);
		return -1;
	}
	w->total += size;
	if (archive_entry_filetype(e) != AE_IFREG || size == 0)
		return 0;
	if (ends_with(archive_entry_pathname(e), "storage")) {
		if (w->out->storage != NULL) {
			snprintf(err, errlen, "the archive has two storage "
			    "programs, '%s' and '%s'", w->out->storage_entry,
			    w->name);
			return -1;
		}
		w->out->storage = read_entry(a, (size_t)size, ierr, sizeof ierr);
		if (w->out->storage == NULL) {
			snprintf(err, errlen, "archive entry '%s': %s", w->name,
			    ierr);
			return -1;
		}
		w->out->storage_len = (size_t)size;
		snprintf(w->out->storage_entry, sizeof w->out->storage_entry,
		    "%s", w->name);
		return 0;
	}
	if (w->out->image != NULL) {
		snprintf(err, errlen, "the archive has two programs, '%s' and "
		    "'%s' (one executable is expected, and optionally one "
		    "named '...storage')", w->out->entry, w->name);
		return -1;
	}
	if ((w->out->image = read_entry(a, (size_t)size, ierr, sizeof ierr)) == NULL) {
		snprintf(err, errlen, "archive entry '%s': %s", w->name, ierr);
		return -1;
	}
	w->out->len = (size_t)size;
	snprintf(w->out->entry, sizeof w->out->entry, "%s", w->name);
	return 0;
}

static int
walk_archive(struct archive *a, struct walk *w, char *err, size_t errlen)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (w->entries == 0)
				snprintf(err, errlen, NOT_EITHER "%s",
				    aerr(a));
			else
				snprintf(err, errlen, "the archive is damaged "
				    "after entry '%s': %s", w->name,
				    aerr(a));
			return -1;
		}
		if (take_entry(w, a, e, err, errlen) != 0)
			return -1;
	}
	if (w->out->image == NULL) {
		snprintf(err, errlen, "the archive has no program (no regular "
		    "file with content%s)", w->out->storage != NULL ?
		    " other than the storage entry" : "");
		return -1;
	}
	return 0;
}

/*
 * gzip is inflated here and the tar handed to libarchive, not libarchive's
 * own gzip filter: inside varnishd, zlib's names resolve to the copy of
 * zlib built into varnishd, whose z_stream has three more fields at its
 * end, and libarchive's inflateInit2_ then fails ("invalid library
 * version").  Ours passes a stream with room for them and says which
 * size it is (the standard one first), so either zlib takes it.
 */
struct gunzip {
	struct {
		z_stream z;
		unsigned long varnish_fields[3];
	} s;
	bool started;
	const unsigned char *in;
	size_t inlen;
	unsigned char out[65536];
};

static int
gunzip_start(struct gunzip *g)
{
	int rc;

	memset(&g->s, 0, sizeof g->s);
	rc = inflateInit2_(&g->s.z, 15 + 16, ZLIB_VERSION, (int)sizeof g->s.z);
	if (rc == Z_VERSION_ERROR) {
		memset(&g->s, 0, sizeof g->s);
		rc = inflateInit2_(&g->s.z, 15 + 16, ZLIB_VERSION, (int)sizeof g->s);
	}
	if (rc != Z_OK)
		return -1;
	g->started = true;
	g->s.z.next_in = (unsigned char *)(uintptr_t)g->in;
	g->s.z.avail_in = (uInt)g->inlen;
	return 0;
}

static la_ssize_t
gunzip_read(struct archive *a, void *priv, const void **buf)
{
	struct gunzip *g = priv;
	int rc = Z_OK;

	*buf = g->out;
	g->s.z.next_out = g->out;
	g->s.z.avail_out = sizeof g->out;
	while (g->s.z.avail_out > 0 && g->s.z.avail_in > 0) {
		rc = inflate(&g->s.z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END && g->s.z.avail_in > 0)
			rc = inflateReset(&g->s.z);	/* concatenated members */
		else if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK) {
			archive_set_error(a, EINVAL, "gzip data: %s",
			    g->s.z.msg ? g->s.z.msg : "not valid");
			return -1;
		}
	}
	return (la_ssize_t)(sizeof g->out - g->s.z.avail_out);
}

static int
open_archive(struct archive *a, struct gunzip *g, const void *data,
    size_t len)
{
	archive_read_support_format_tar(a);
	if (len < 2 || memcmp(data, "\037\213", 2) != 0 || len > UINT32_MAX) {
		archive_read_support_filter_xz(a);
		archive_read_support_filter_zstd(a);
		return archive_read_open_memory(a, data, len);
	}
	g->in = data;
	g->inlen = len;
	if (gunzip_start(g) != 0) {
		archive_set_error(a, EINVAL, "gzip: zlib "
		    "does not start");
		return ARCHIVE_FATAL;
	}
	return archive_read_open(a, g, NULL, gunzip_read, NULL);
}

int
unpack_program(const void *data, size_t len, const struct unpack_limits *lim,
    struct unpacked *out, char *err, size_t errlen)
{
	struct walk w = { .lim = lim, .out = out };
	struct gunzip *g = NULL;
	struct archive *a;
	int rc;

	memset(out, 0, sizeof *out);
	if (len >= 4 && memcmp(data, "\177ELF", 4) == 0) {
		if ((out->image = malloc(len)) == NULL) {
			snprintf(err, errlen, "out of memory for %zu bytes", len);
			return -1;
		}
		memcpy(out->image, data, len);
		out->len = len;
		return 0;
	}
	if ((a = archive_read_new()) == NULL || (g = calloc(1, sizeof *g)) == NULL) {
		if (a != NULL)
			archive_read_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (open_archive(a, g, data, len) != ARCHIVE_OK) {
		snprintf(err, errlen, NOT_EITHER "%s", aerr(a));
		rc = -1;
	} else {
		rc = walk_archive(a, &w, err, errlen);
	}
	archive_read_free(a);
	if (g->started)
		inflateEnd(&g->s.z);
	free(g);
	if (rc != 0) {
		free(out->image);
		free(out->storage);
		memset(out, 0, sizeof *out);
	}
	return rc;
}
